// A finite-volume solver for viscous Burgers' equation u_t + (u^2/2)_x = nu u_xx on a periodic
// grid: MUSCL reconstruction with a minmod limiter (three-way branches), Rusanov flux (fabs of
// the wave speed), a CFL-limited time step computed from max|u| each step (a data-dependent
// while loop over time), SSP-RK2 stages in scratch arrays, and a misfit against observations.
// The user differentiates the misfit with respect to the initial condition and the viscosity
// (reverse mode), and checks a forward-mode directional derivative against it.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  int n;          /* cells */
  double dx;      /* cell width */
  double cfl;     /* Courant number */
  double t_end;   /* final time */
} Grid;

static double minmod(double a, double b) {
  if (a * b <= 0.0) return 0.0;
  if (fabs(a) < fabs(b)) return a;
  return b;
}

static double rusanov(double ul, double ur) {
  double fl = 0.5 * ul * ul, fr = 0.5 * ur * ur;
  double a = fmax(fabs(ul), fabs(ur));
  return 0.5 * (fl + fr) - 0.5 * a * (ur - ul);
}

/* du/dt for the state u (periodic), written into r */
static void residual(const Grid *g, double nu, const double *u, double *r, double *slope) {
  int n = g->n;
  for (int i = 0; i < n; i++) {
    int im = (i + n - 1) % n, ip = (i + 1) % n;
    slope[i] = minmod(u[i] - u[im], u[ip] - u[i]);
  }
  for (int i = 0; i < n; i++) r[i] = 0.0;
  for (int i = 0; i < n; i++) {
    int ip = (i + 1) % n;
    double ul = u[i] + 0.5 * slope[i];
    double ur = u[ip] - 0.5 * slope[ip];
    double f = rusanov(ul, ur) - nu * (u[ip] - u[i]) / g->dx;
    r[i] -= f / g->dx;
    r[ip] += f / g->dx;
  }
}

static double max_speed(const double *u, int n) {
  double m = 1e-12;
  for (int i = 0; i < n; i++)
    if (fabs(u[i]) > m) m = fabs(u[i]);
  return m;
}

/* integrate to t_end; u0 is the initial state (not overwritten) */
static void solve(const Grid *g, double nu, const double *u0, double *u) {
  int n = g->n;
  double *r = malloc(n * sizeof(double));
  double *s = malloc(n * sizeof(double));
  double *u1 = malloc(n * sizeof(double));
  memcpy(u, u0, n * sizeof(double));
  double t = 0.0;
  int steps = 0;
  while (t < g->t_end && steps < 10000) {
    double dt = g->cfl * g->dx / (max_speed(u, n) + 2.0 * nu / g->dx);
    if (t + dt > g->t_end) dt = g->t_end - t;
    residual(g, nu, u, r, s);
    for (int i = 0; i < n; i++) u1[i] = u[i] + dt * r[i];
    residual(g, nu, u1, r, s);
    for (int i = 0; i < n; i++) u[i] = 0.5 * (u[i] + u1[i] + dt * r[i]);
    t += dt;
    steps++;
  }
  free(r);
  free(s);
  free(u1);
}

double misfit(const Grid *g, const double *u0, double nu, const double *obs) {
  int n = g->n;
  double *u = malloc(n * sizeof(double));
  solve(g, nu, u0, u);
  double j = 0.0;
  for (int i = 0; i < n; i++) {
    double d = u[i] - obs[i];
    j += 0.5 * d * d * g->dx;
  }
  free(u);
  return j;
}

enum { N = 24 };

int main(void) {
  Grid g = {N, 1.0 / N, 0.4, 0.15};
  double u0[N], obs[N];
  for (int i = 0; i < N; i++) {
    double x = (i + 0.5) / N;
    u0[i] = 0.6 + 0.5 * sin(2 * M_PI * x) + 0.1 * cos(6 * M_PI * x);
    obs[i] = 0.5 + 0.4 * sin(2 * M_PI * (x - 0.1));
  }
  double nu = 0.01;

  double du0[N] = {0};
  double dnu = __enzyme_autodiff((void *)misfit, enzyme_const, &g, enzyme_dup, u0, du0, enzyme_out, nu,
                                 enzyme_const, obs);
  CHECK_ARRAY_FD("dJ/du0", u0, N, du0, 1e-7, misfit(&g, u0, nu, obs), 1e-4, 1e-8);
  CHECK_CLOSE("dJ/dnu", dnu, FD_AT(nu, 1e-7, misfit(&g, u0, nu, obs)), 1e-4, 1e-8);

  /* forward mode along a smooth perturbation of the initial state and of nu */
  double v[N];
  for (int i = 0; i < N; i++) v[i] = cos(2 * M_PI * (i + 0.5) / N);
  double t = __enzyme_fwddiff((void *)misfit, enzyme_const, &g, enzyme_dup, u0, v, nu, 0.5, enzyme_const, obs);
  CHECK_CLOSE("forward vs reverse", t, dotv(du0, v, N) + 0.5 * dnu, 1e-9, 1e-12);
  return check_report();
}
