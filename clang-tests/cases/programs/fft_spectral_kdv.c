// A pseudo-spectral solver as a physicist writes it in C99: a hand-written iterative radix-2
// FFT on `double complex` arrays (bit reversal with integer swaps, twiddles from cexp), spectral
// derivatives (multiply by i k), a Korteweg-de Vries-like equation u_t = -u u_x - nu u_xxx
// stepped with RK2 in physical space (the nonlinear product pointwise), a 2/3 de-aliasing mask,
// and an energy-weighted misfit of the final field. The user differentiates the misfit with
// respect to the initial field and nu (reverse), and checks a forward direction.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse, and the derivative of a single Fourier mode for the spectral operator.
#include "check.h"
#include <complex.h>
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 32 };

static void fft(double complex *a, int n, int inverse) {
  for (int i = 1, j = 0; i < n; i++) {
    int bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double complex t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
  for (int len = 2; len <= n; len <<= 1) {
    double ang = 2 * M_PI / len * (inverse ? 1 : -1);
    double complex wl = cexp(I * ang);
    for (int i = 0; i < n; i += len) {
      double complex w = 1.0;
      for (int j = 0; j < len / 2; j++) {
        double complex u = a[i + j], v = a[i + j + len / 2] * w;
        a[i + j] = u + v;
        a[i + j + len / 2] = u - v;
        w *= wl;
      }
    }
  }
  if (inverse)
    for (int i = 0; i < n; i++) a[i] /= n;
}

/* du = -u u_x - nu u_xxx on [0, 2 pi) */
static void rhs(const double *u, double *du, double nu, double complex *work, double complex *wx) {
  for (int i = 0; i < N; i++) work[i] = u[i];
  fft(work, N, 0);
  for (int k = 0; k < N; k++) {
    int kk = k <= N / 2 ? k : k - N;
    if (k == N / 2 || abs(kk) > N / 3) work[k] = 0; /* 2/3 rule */
    double complex ik = I * kk;
    wx[k] = ik * work[k];
    work[k] = ik * ik * ik * work[k];
  }
  fft(wx, N, 1);
  fft(work, N, 1);
  for (int i = 0; i < N; i++) du[i] = -u[i] * creal(wx[i]) - nu * creal(work[i]);
}

double kdv_misfit(const double *u0, double nu, int steps, double dt) {
  double complex *work = malloc(N * sizeof(double complex)), *wx = malloc(N * sizeof(double complex));
  double u[N], k1[N], tmp[N], k2[N];
  for (int i = 0; i < N; i++) u[i] = u0[i];
  for (int s = 0; s < steps; s++) {
    rhs(u, k1, nu, work, wx);
    for (int i = 0; i < N; i++) tmp[i] = u[i] + dt * k1[i];
    rhs(tmp, k2, nu, work, wx);
    for (int i = 0; i < N; i++) u[i] += 0.5 * dt * (k1[i] + k2[i]);
  }
  double J = 0;
  for (int i = 0; i < N; i++) {
    double x = 2 * M_PI * i / N;
    J += (1.0 + 0.5 * cos(x)) * (u[i] - 0.3 * sin(x)) * (u[i] - 0.3 * sin(x));
  }
  free(work), free(wx);
  return J;
}

static double mode_slope(const double *u, int i) {
  double complex wx[N], wk[N];
  double du[N];
  rhs(u, du, 0.0, wk, wx);
  return du[i];
}

int main(void) {
  double u0[N];
  for (int i = 0; i < N; i++) {
    double x = 2 * M_PI * i / N;
    u0[i] = 0.4 * sin(x) + 0.1 * cos(2 * x) + 0.05;
  }
  double nu = 0.02, dt = 0.01;
  int steps = 25;
  double du0[N] = {0};
  double dnu = __enzyme_autodiff((void *)kdv_misfit, enzyme_dup, u0, du0, nu, enzyme_const, steps, enzyme_const, dt);
  CHECK_ARRAY_FD("dJ/du0", u0, N, du0, 1e-6, kdv_misfit(u0, nu, steps, dt), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dJ/dnu", dnu, FD_AT(nu, 1e-6, kdv_misfit(u0, nu, steps, dt)), RTOL_FD, ATOL_FD);
  double v[N];
  for (int i = 0; i < N; i++) v[i] = cos(3.0 * 2 * M_PI * i / N);
  double t = __enzyme_fwddiff((void *)kdv_misfit, enzyme_dup, u0, v, nu, 1.0, enzyme_const, steps, enzyme_const, dt);
  CHECK_CLOSE("forward vs reverse", t, dotv(v, du0, N) + dnu, 1e-9, 1e-12);
  /* d(-u u_x)_i / du for u = a sin x: reverse of the spectral operator vs differences */
  double us[N], dus[N] = {0};
  for (int i = 0; i < N; i++) us[i] = 0.7 * sin(2 * M_PI * i / N);
  __enzyme_autodiff((void *)mode_slope, enzyme_dup, us, dus, enzyme_const, 5);
  CHECK_ARRAY_FD("d rhs_5 / du", us, N, dus, 1e-6, mode_slope(us, 5), RTOL_FD, ATOL_FD);
  return check_report();
}
