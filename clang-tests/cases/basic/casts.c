// Casts between integers and floating point: integer arguments are constant (no marker needed),
// int->double (sitofp/uitofp) of constants, double->int (fptosi) of active values (zero
// derivative through the cast), and long/unsigned variants. Reverse and forward.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double scale_by_int(double x, int n) { return x * n + n; }
static double scale_by_unsigned(double x, unsigned u) { return sin(x) * (double)u + (double)(u / 2); }
static double by_long(double x, long k) { return x * x * (double)k - (double)(k * k); }
static double through_int(double x) { return x * (int)x + (double)(int)(x * 7.0) * 0.5; } // (int)x: piecewise const
static double through_float(double x) { return (double)(float)(x * x); }                   // fptrunc+fpext
static double int_to_float_to_double(double x, int n) { float s = (float)n; return x * s * 0.5; }

int main(void) {
  static const double xs[] = {-2.3, -0.45, 0.35, 1.7};
  static const int ns[] = {-3, 0, 2, 7};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    for (unsigned j = 0; j < COUNT_OF(ns); j++) {
      int n = ns[j];
      CHECK_CLOSE_AT("reverse x*n+n (int n const by default)", x, __enzyme_autodiff((void *)scale_by_int, x, n), (double)n, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("reverse x*n+n (enzyme_const n)", x, __enzyme_autodiff((void *)scale_by_int, x, enzyme_const, n), (double)n, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("forward x*n+n", x, __enzyme_fwddiff((void *)scale_by_int, x, 1.0, n), (double)n, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("reverse x*(float)n*0.5", x, __enzyme_autodiff((void *)int_to_float_to_double, x, n), 0.5 * n, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("forward x*(float)n*0.5", x, __enzyme_fwddiff((void *)int_to_float_to_double, x, 2.0, n), (double)n, RTOL_D, ATOL_D);
      unsigned u = (unsigned)(n < 0 ? -n : n) + 1u;
      CHECK_CLOSE_AT("reverse sin(x)*u (unsigned)", x, __enzyme_autodiff((void *)scale_by_unsigned, x, u), cos(x) * u, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("forward sin(x)*u (unsigned)", x, __enzyme_fwddiff((void *)scale_by_unsigned, x, 1.0, u), cos(x) * u, RTOL_D, ATOL_D);
      long k = (long)n * 3;
      CHECK_CLOSE_AT("reverse x*x*k (long)", x, __enzyme_autodiff((void *)by_long, x, k), 2.0 * x * (double)k, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("forward x*x*k (long)", x, __enzyme_fwddiff((void *)by_long, x, 1.0, k), 2.0 * x * (double)k, RTOL_D, ATOL_D);
    }
    double w = (double)(int)x; // d/dx [x * (int)x] = (int)x; the (int)(7x) term is piecewise constant
    CHECK_CLOSE_AT("oracle: x*(int)x vs finite differences", x, w, fd1(through_int, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse x*(int)x", x, __enzyme_autodiff((void *)through_int, x), w, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward x*(int)x", x, __enzyme_fwddiff((void *)through_int, x, 1.0), w, RTOL_D, ATOL_D);
    // (double)(float)(x*x): derivative 2x, rounded through float
    CHECK_CLOSE_AT("reverse (double)(float)(x*x)", x, __enzyme_autodiff((void *)through_float, x), 2.0 * x, RTOL_F, ATOL_F);
    CHECK_CLOSE_AT("forward (double)(float)(x*x)", x, __enzyme_fwddiff((void *)through_float, x, 1.0), 2.0 * x, RTOL_F, ATOL_F);
  }
  return check_report();
}
