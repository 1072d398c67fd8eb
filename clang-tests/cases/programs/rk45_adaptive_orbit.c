// An adaptive Dormand-Prince RK5(4) integrator as an orbital-mechanics code writes it: the
// Butcher tableau in static const arrays, an embedded error estimate with a max-norm, step-size
// control in a `while (t < t_end)` loop (accepted/rejected steps, a safety factor clamped by
// fmin/fmax, pow(err, -1/5)), and a right-hand side called through a function pointer held in
// a struct with its parameters (a J2-perturbed two-body problem with drag). The user wants the
// sensitivity of the final position misfit to the initial state and to the drag coefficient.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences
// (the step sequence is a smooth function of the inputs away from rejections), forward vs reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef void (*rhs_fn)(const void *par, double t, const double *y, double *dy);

typedef struct {
  double mu, j2, re, cd;
} OrbitPar;

typedef struct {
  rhs_fn f;
  const void *par;
  double rtol, atol, h0, hmax;
  int n;
} Ode;

static void orbit_rhs(const void *vp, double t, const double *y, double *dy) {
  const OrbitPar *p = vp;
  (void)t;
  double x = y[0], yy = y[1], z = y[2];
  double r2 = x * x + yy * yy + z * z, r = sqrt(r2), r3 = r2 * r;
  double k = 1.5 * p->j2 * p->mu * p->re * p->re / (r2 * r3);
  double zr = 5.0 * z * z / r2;
  double vnorm = sqrt(y[3] * y[3] + y[4] * y[4] + y[5] * y[5]);
  double rho = exp(-(r - p->re) / 0.2);
  dy[0] = y[3], dy[1] = y[4], dy[2] = y[5];
  dy[3] = -p->mu * x / r3 + k * x * (zr - 1.0) - p->cd * rho * vnorm * y[3];
  dy[4] = -p->mu * yy / r3 + k * yy * (zr - 1.0) - p->cd * rho * vnorm * y[4];
  dy[5] = -p->mu * z / r3 + k * z * (zr - 3.0) - p->cd * rho * vnorm * y[5];
}

static const double C[7] = {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0};
static const double A[7][6] = {
    {0},
    {1.0 / 5},
    {3.0 / 40, 9.0 / 40},
    {44.0 / 45, -56.0 / 15, 32.0 / 9},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
    {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
static const double B5[7] = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0};
static const double B4[7] = {5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100,
                             1.0 / 40};

/* integrates y in place from 0 to t_end; returns the number of accepted steps */
static int dopri(const Ode *ode, double *y, double t_end) {
  int n = ode->n;
  double *k = malloc(7 * n * sizeof(double));
  double *ys = malloc(n * sizeof(double)), *y5 = malloc(n * sizeof(double));
  double t = 0.0, h = ode->h0;
  int accepted = 0, tries = 0;
  while (t < t_end && tries < 2000) {
    tries++;
    if (t + h > t_end) h = t_end - t;
    for (int s = 0; s < 7; s++) {
      for (int i = 0; i < n; i++) {
        double acc = y[i];
        for (int j = 0; j < s; j++) acc += h * A[s][j] * k[j * n + i];
        ys[i] = acc;
      }
      ode->f(ode->par, t + C[s] * h, ys, k + s * n);
    }
    double err = 0.0;
    for (int i = 0; i < n; i++) {
      double a5 = y[i], a4 = y[i];
      for (int s = 0; s < 7; s++) a5 += h * B5[s] * k[s * n + i], a4 += h * B4[s] * k[s * n + i];
      y5[i] = a5;
      double sc = ode->atol + ode->rtol * fmax(fabs(y[i]), fabs(a5));
      double e = fabs(a5 - a4) / sc;
      if (e > err) err = e;
    }
    double fac = 0.9 * pow(fmax(err, 1e-10), -0.2);
    fac = fmin(5.0, fmax(0.2, fac));
    if (err <= 1.0) {
      t += h;
      for (int i = 0; i < n; i++) y[i] = y5[i];
      accepted++;
    }
    h = fmin(ode->hmax, h * fac);
  }
  free(k), free(ys), free(y5);
  return accepted;
}

double final_misfit(const double *y0, double cd, const double *target, double t_end) {
  OrbitPar par = {1.0, 1e-3, 1.0, cd};
  Ode ode = {orbit_rhs, &par, 1e-8, 1e-10, 1e-3, 0.5, 6};
  double y[6];
  for (int i = 0; i < 6; i++) y[i] = y0[i];
  dopri(&ode, y, t_end);
  double J = 0.0;
  for (int i = 0; i < 3; i++) J += (y[i] - target[i]) * (y[i] - target[i]);
  return J + 0.1 * (y[3] * y[3] + y[4] * y[4] + y[5] * y[5]);
}

int main(void) {
  double y0[6] = {1.2, 0.0, 0.1, 0.0, 0.9, 0.15};
  double target[3] = {-0.5, 0.9, 0.0};
  double cd = 0.05, t_end = 3.0;
  double dy0[6] = {0};
  double dcd = __enzyme_autodiff((void *)final_misfit, enzyme_dup, y0, dy0, enzyme_out, cd, enzyme_const, target,
                                 enzyme_const, t_end);
  CHECK_ARRAY_FD("dJ/dy0", y0, 6, dy0, 1e-6, final_misfit(y0, cd, target, t_end), 1e-4, 1e-7);
  CHECK_CLOSE("dJ/dcd", dcd, FD_AT(cd, 1e-6, final_misfit(y0, cd, target, t_end)), 1e-4, 1e-7);

  double ty[6] = {0.1, -0.2, 0.3, 0.05, 0.0, -0.1};
  double t = __enzyme_fwddiff((void *)final_misfit, enzyme_dup, y0, ty, cd, 1.0, enzyme_const, target, enzyme_const,
                              t_end);
  CHECK_CLOSE("forward vs reverse", t, dotv(dy0, ty, 6) + dcd, 1e-8, 1e-11);
  return check_report();
}
