// ForwardMode/taylorlog: `__enzyme_fwddiff<double>(sincos_real, inp, 1.0)`, the derivative of
// sum_{i=1}^{10^7} x^i / i (= -log(1 - x) for |x| < 1) at x = 0.5.
#include "taylorlog.cpp"
extern "C" double *bench_init(long *n) {
  *n = 1;
  static double x[1] = {0.5};
  return x;
}
extern "C" double bench_primal(const double *x) { return sincos_real(x[0]); }
extern "C" void bench_grad_ferment(const double *x, double *g) { g[0] = __enzyme_fwddiff<double>(sincos_real, x[0], 1.0); }
extern "C" void bench_grad_hand(double *v) { v[0] = 1; }
