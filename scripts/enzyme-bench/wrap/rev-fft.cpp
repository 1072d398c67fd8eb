// ReverseMode/fft: foobar = ifft(fft(data)) on len = 1024 complex values, differentiated by
// the program's own call shape (`__enzyme_autodiff<void>(foobar, enzyme_dupnoneed, inp, dinp,
// len)`), seeded with weights so the gradient is not all ones; the program's
// foobar_and_gradient(len) (seed 1, returns dinp[0]) is also run once and must give 1.
#include "fft.cpp"
#include "bench_common.h"
static const unsigned LEN = 1024;
static double *w, *buf;
extern "C" double *bench_init(long *n) {
  *n = 2 * LEN;
  w = bench_rvec(2 * LEN, -1, 1);
  buf = (double *)malloc(2 * LEN * sizeof(double));
  double r = foobar_and_gradient(LEN);
  if (fabs(r - 1) > 1e-9) printf("foobar_and_gradient(%u) = %.12g, expected 1\n", LEN, r);
  return bench_rvec(2 * LEN, -1, 1);
}
extern "C" double bench_primal(const double *x) {
  memcpy(buf, x, 2 * LEN * sizeof(double));
  foobar(buf, LEN);
  double s = 0;
  for (unsigned i = 0; i < 2 * LEN; i++) s += w[i] * buf[i];
  return s;
}
extern "C" void bench_grad_ferment(const double *x, double *g) {
  memcpy(buf, x, 2 * LEN * sizeof(double));
  memcpy(g, w, 2 * LEN * sizeof(double));
  __enzyme_autodiff<void>(foobar, enzyme_dupnoneed, buf, g, LEN);
}
extern "C" void bench_grad_hand(double *) {}
