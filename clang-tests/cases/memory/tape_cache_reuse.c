// Large tapes (4 MiB and more) outlive the gradient in per-thread slots and the next gradient
// starts its buffers there. Gradients of different sizes one after another (large, small,
// larger, and a second function whose tape takes the other slot) must each be right:
// a reused block that is larger than needed, one that is too small, and two functions taking
// turns. Oracles: central finite differences on sampled coordinates and forward mode against
// reverse mode (a random direction), for every call.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

// T steps of a nonlinear in-place stencil: sin(u[i]) is taped for every step (n * T values).
double heat(const double *x, long n, long T) {
  double *u = malloc(n * sizeof(double));
  for (long i = 0; i < n; i++)
    u[i] = x[i];
  for (long t = 0; t < T; t++)
    for (long i = 1; i < n - 1; i++)
      u[i] = sin(u[i]) + 0.1 * (u[i - 1] - 2 * u[i] + u[i + 1]);
  double s = 0;
  for (long i = 0; i < n; i++)
    s += u[i] * u[i];
  free(u);
  return s;
}

// Another shape of tape: exp(u[i]) per step, on a half-size grid.
double decay(const double *x, long n, long T) {
  double *u = malloc(n * sizeof(double));
  for (long i = 0; i < n; i++)
    u[i] = x[i];
  for (long t = 0; t < T; t++)
    for (long i = 0; i < n; i++)
      u[i] = 0.5 * exp(-u[i] * u[i]) + 0.4 * u[i];
  double s = 0;
  for (long i = 0; i < n; i++)
    s += u[i] * (1 + 0.001 * i);
  return free(u), s;
}

typedef double (*grid_fn)(const double *, long, long);

static void check_call(const char *name, grid_fn f, double *x, double *dx, double *v, long n, long T) {
  char what[128];
  for (long i = 0; i < n; i++) {
    x[i] = 0.8 * sin(0.013 * i + 0.1 * T);
    dx[i] = 0;
    v[i] = cos(0.7 * i);
  }
  if (f == heat)
    __enzyme_autodiff((void *)heat, enzyme_dup, x, dx, enzyme_const, n, enzyme_const, T);
  else
    __enzyme_autodiff((void *)decay, enzyme_dup, x, dx, enzyme_const, n, enzyme_const, T);
  for (long i = 3; i < n; i += n / 3) {
    double h = 1e-6, s = x[i];
    x[i] = s + h;
    double fp = f(x, n, T);
    x[i] = s - h;
    double fm = f(x, n, T);
    x[i] = s;
    snprintf(what, sizeof what, "%s n=%ld T=%ld: reverse vs finite differences at %ld", name, n, T, i);
    CHECK_CLOSE(what, dx[i], (fp - fm) / (2 * h), 1e-5, 1e-7);
  }
  double dot = 0;
  for (long i = 0; i < n; i++)
    dot += v[i] * dx[i];
  double t = f == heat ? __enzyme_fwddiff((void *)heat, enzyme_dup, x, v, enzyme_const, n, enzyme_const, T)
                       : __enzyme_fwddiff((void *)decay, enzyme_dup, x, v, enzyme_const, n, enzyme_const, T);
  snprintf(what, sizeof what, "%s n=%ld T=%ld: forward vs reverse", name, n, T);
  CHECK_CLOSE(what, t, dot, 1e-9, 1e-9);
}

int main(void) {
  enum { NMAX = 12000 };
  double *x = malloc(NMAX * sizeof(double)), *dx = malloc(NMAX * sizeof(double)),
         *v = malloc(NMAX * sizeof(double));
  static const long sizes[][2] = {{7000, 80}, {2500, 20}, {8000, 72}};
  for (int k = 0; k < 3; k++) {
    check_call("heat", heat, x, dx, v, sizes[k][0], sizes[k][1]);
    check_call("decay", decay, x, dx, v, sizes[k][0] / 2, sizes[k][1]);
  }
  free(x);
  free(dx);
  free(v);
  return check_report();
}
