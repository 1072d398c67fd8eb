// Variadic helper, long double/float mixes, union punning, fast inverse sqrt, qsort-free
// sorting network, memmove of active data, error-path early returns.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double vsum(int n, ...) {
  va_list ap; va_start(ap, n);
  double s = 0;
  for (int i = 0; i < n; i++) { double v = va_arg(ap, double); s += v * (i + 1); }
  va_end(ap);
  return s;
}
double f_var(double a, double b, double c) { return vsum(3, a * b, sin(c), a * c) * vsum(2, b, c); }
static double fv_a(double a) { return f_var(a, 0.7, -1.1); }

double f_ld(double x) {
  long double y = (long double)x * x;
  float z = (float)x;
  long double w = sqrtl(y + 1.0L) + (long double)(z * z);
  return (double)(w * expl(-y / 4));
}

double f_inv(double x) {
  double y = x;
  double x2 = x * 0.5;
  int64_t i = *(int64_t *)&y;
  i = 0x5fe6eb50c7b537a9 - (i >> 1);
  y = *(double *)&i;
  y = y * (1.5 - x2 * y * y);
  y = y * (1.5 - x2 * y * y);
  y = y * (1.5 - x2 * y * y);
  return y;
}

union pun { double d; uint64_t u; };
double f_union(double x) {
  union pun p; p.d = x * 3.0;
  int neg = (p.u >> 63) != 0;
  return neg ? -p.d * p.d : p.d * x;
}

static void sort3(double *v) {
  double t;
  if (v[0] > v[1]) { t = v[0]; v[0] = v[1]; v[1] = t; }
  if (v[1] > v[2]) { t = v[1]; v[1] = v[2]; v[2] = t; }
  if (v[0] > v[1]) { t = v[0]; v[0] = v[1]; v[1] = t; }
}
double f_sort(double *v) {
  double w[4];
  memmove(w + 1, v, 3 * sizeof(double));
  sort3(w + 1);
  w[0] = 1.0;
  return w[1] * 1.0 + w[2] * 2.0 + w[3] * 3.0 * w[0];
}

static int parse_err;
double f_err(double x, int mode) {
  if (mode < 0) { parse_err = EINVAL; return 0.0; }
  if (x < 0) { errno = EDOM; return -1.0; }
  double r = log(x) * x;
  if (!isfinite(r)) return 0.0;
  return r;
}
static double ferr(double x) { return f_err(x, 1); }

int main(void) {
  double a = 0.4, b = 0.7, c = -1.1;
  double ga = __enzyme_autodiff((void *)f_var, a, enzyme_const, b, enzyme_const, c);
  CHECK_CLOSE("variadic d/da", ga, fd1(fv_a, a), RTOL_FD, ATOL_FD);
  for (double x = 0.3; x < 3; x += 0.9) {
    { double w = sqrt(x * x + 1) + x * x, e = exp(-x * x / 4);
      double want = (x / sqrt(x * x + 1) + 2 * x) * e + w * (-x / 2) * e;
    CHECK_CLOSE_AT("long double rev", x, __enzyme_autodiff((void *)f_ld, x), want, 1e-6, 1e-7);
    CHECK_CLOSE_AT("long double fwd", x, __enzyme_fwddiff((void *)f_ld, x, 1.0), want, 1e-6, 1e-7); }
    CHECK_CLOSE_AT("inv sqrt rev", x, __enzyme_autodiff((void *)f_inv, x), -0.5 * pow(x, -1.5), 1e-4, 1e-6);
    CHECK_CLOSE_AT("inv sqrt fwd", x, __enzyme_fwddiff((void *)f_inv, x, 1.0), -0.5 * pow(x, -1.5), 1e-4, 1e-6);
    CHECK_CLOSE_AT("union rev", x, __enzyme_autodiff((void *)f_union, x), fd1(f_union, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("union rev neg", -x, __enzyme_autodiff((void *)f_union, -x), fd1(f_union, -x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("err path", x, __enzyme_autodiff((void *)f_err, x, 1), fd1(ferr, x), RTOL_FD, ATOL_FD);
  }
  CHECK_CLOSE("err path neg", __enzyme_autodiff((void *)f_err, -0.5, 1), 0.0, 0, 0);
  CHECK_CLOSE("err path mode", __enzyme_autodiff((void *)f_err, 0.5, -1), 0.0, 0, 0);
  double v[3] = {0.9, -0.3, 0.4}, dv[3] = {0};
  __enzyme_autodiff((void *)f_sort, enzyme_dup, v, dv);
  CHECK_ARRAY_FD("sort", v, 3, dv, 1e-6, f_sort(v), RTOL_FD, ATOL_FD);
  return check_report();
}
