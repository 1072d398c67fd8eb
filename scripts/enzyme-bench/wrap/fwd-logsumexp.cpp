// ForwardMode/logsumexp (which calls __enzyme_autodiff, reverse mode, with no activity markers:
// `__enzyme_autodiff<void>(logsumexp, input, inputp, n)`) at n = 1000, inputs as the program's
// main makes them (pi / (i + 1)).
#include "logsumexp.cpp"
#include "bench_common.h"
static const unsigned long NN = 1000;
extern "C" double *bench_init(long *n) {
  *n = NN;
  double *x = (double *)malloc(NN * sizeof(double));
  for (unsigned long i = 0; i < NN; i++) x[i] = 3.1415926535 / (i + 1);
  return x;
}
extern "C" double bench_primal(const double *x) { return logsumexp(x, NN); }
extern "C" void bench_grad_ferment(const double *x, double *g) {
  memset(g, 0, NN * sizeof(double));
  __enzyme_autodiff<void>(logsumexp, x, g, NN);
}
extern "C" void bench_grad_hand(double *) {}
