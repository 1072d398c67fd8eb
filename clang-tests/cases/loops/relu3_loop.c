// relu3 (x > 0 ? x^3 : 0) inside loops: summed over an array with an if, with a select and with
// fmax; an elementwise output with a seed; and a scalar recurrence x <- 0.9 x + 0.3 relu3(x - 0.2)
// run for a runtime number of steps (the branch taken differs per iteration).
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

static double relu3(double x) {
  if (x > 0)
    return pow(x, 3);
  return 0;
}
double sum_if(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    if (x[i] > 0)
      s += x[i] * x[i] * x[i];
  return s;
}
double sum_select(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += x[i] > 0 ? x[i] * x[i] * x[i] : 0.0;
  return s;
}
double sum_fmax(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double t = fmax(x[i], 0.0);
    s += t * t * t;
  }
  return s;
}
void relu3_out(const double *x, double *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = relu3(x[i]);
}
double recur(double x, int steps) {
  for (int k = 0; k < steps; k++)
    x = 0.9 * x + 0.3 * relu3(x - 0.2);
  return x;
}

#define N 11

int main(void) {
  double x[N];
  for (int i = 0; i < N; i++)
    x[i] = -1.25 + 0.25 * i + 0.01; // both signs, no exact zeros
  double want[N];
  for (int i = 0; i < N; i++)
    want[i] = x[i] > 0 ? 3.0 * x[i] * x[i] : 0.0;
  char what[128];
  double tx[N];
  for (int i = 0; i < N; i++)
    tx[i] = 0.1 * i - 0.3;
  // the function must be known at compile time: one request per variant
#define RELU3_VARIANT(fn)                                                                        \
  do {                                                                                           \
    double dx[N] = {0};                                                                          \
    __enzyme_autodiff((void *)fn, x, dx, N);                                                     \
    CHECK_ARRAY_CLOSE("reverse relu3 sum (" #fn ")", dx, want, N, RTOL_D, ATOL_D);               \
    CHECK_CLOSE("forward relu3 sum (" #fn ")", __enzyme_fwddiff((void *)fn, x, tx, N),           \
                dotv(want, tx, N), RTOL_D, ATOL_D);                                              \
  } while (0)
  RELU3_VARIANT(sum_if);
  RELU3_VARIANT(sum_select);
  RELU3_VARIANT(sum_fmax);
  double out[N], dout[N], dx[N] = {0};
  for (int i = 0; i < N; i++)
    dout[i] = 1.0 + i;
  __enzyme_autodiff((void *)relu3_out, x, dx, out, dout, N);
  for (int i = 0; i < N; i++) {
    snprintf(what, sizeof what, "relu3_out reverse dx[%d]", i);
    CHECK_CLOSE(what, dx[i], want[i] * (1.0 + i), RTOL_D, ATOL_D);
  }
  static const double x0s[] = {-0.5, 0.1, 0.6, 0.75}; // all converge
  static const int steps[] = {0, 1, 7, 40};
  for (unsigned a = 0; a < COUNT_OF(x0s); a++)
    for (unsigned b = 0; b < COUNT_OF(steps); b++) {
      double xv = x0s[a], d = 1.0;
      for (int k = 0; k < steps[b]; k++) {
        double u = xv - 0.2;
        d *= 0.9 + (u > 0 ? 0.9 * u * u : 0.0);
        xv = 0.9 * xv + 0.3 * relu3(u);
      }
      snprintf(what, sizeof what, "recurrence reverse steps=%d", steps[b]);
      CHECK_CLOSE_AT(what, x0s[a], __enzyme_autodiff_d((void *)recur, x0s[a], steps[b]), d, 1e-9, 1e-12);
      snprintf(what, sizeof what, "recurrence forward steps=%d", steps[b]);
      CHECK_CLOSE_AT(what, x0s[a], __enzyme_fwddiff((void *)recur, x0s[a], 1.0, steps[b]), d, 1e-9, 1e-12);
      double h = 1e-6, fd = (recur(x0s[a] + h, steps[b]) - recur(x0s[a] - h, steps[b])) / (2 * h);
      snprintf(what, sizeof what, "oracle: recurrence derivative vs finite differences steps=%d", steps[b]);
      CHECK_CLOSE_AT(what, x0s[a], d, fd, RTOL_FD, ATOL_FD);
    }
  return check_report();
}
