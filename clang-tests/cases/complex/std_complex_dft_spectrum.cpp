// A spectral loss written with std::complex<double>: the DFT of a real signal (std::polar
// twiddles, complex multiply-accumulate), the power spectrum through std::norm and std::abs,
// the phase through std::arg, and a complex exponential filter; the gradient of the loss with
// respect to the signal. Oracles: finite differences (reverse), forward vs reverse.
// CFLAGS: -std=c++17
#include "check.h"
#include <complex>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

using cd = std::complex<double>;

static double spectral_loss(const double *x, int n, const double *target) {
  std::vector<cd> X(n);
  for (int k = 0; k < n; k++) {
    cd acc(0, 0);
    for (int j = 0; j < n; j++) acc += x[j] * std::polar(1.0, -2 * M_PI * k * j / n);
    X[k] = acc;
  }
  double loss = 0;
  for (int k = 1; k < n; k++) {
    double p = std::norm(X[k]) / n;
    double d = p - target[k];
    loss += d * d;
    loss += 0.1 * std::abs(X[k]) * std::cos(std::arg(X[k]));
    cd f = std::exp(cd(-0.1 * k, 0.3)) * X[k];
    loss += 0.05 * f.real() - 0.02 * (f * std::conj(X[k])).imag();
  }
  return loss;
}

#define N 6
static double xs[N] = {0.5, -0.3, 1.1, 0.2, -0.9, 0.4};
static double tg[N] = {0, 0.3, 0.1, 0.2, 0.1, 0.3};
static int which;
static double one(double t) {
  double y[N];
  for (int i = 0; i < N; i++) y[i] = xs[i];
  y[which] = t;
  return spectral_loss(y, N, tg);
}

int main() {
  double g[N] = {0};
  __enzyme_autodiff((void *)spectral_loss, enzyme_dup, xs, g, enzyme_const, N, enzyme_const, tg);
  for (int i = 0; i < N; i++) {
    which = i;
    CHECK_CLOSE_AT("reverse vs finite differences", i, g[i], fd1(one, xs[i]), RTOL_FD, ATOL_FD);
    double d[N] = {0};
    d[i] = 1;
    CHECK_CLOSE_AT("forward vs reverse", i,
                   __enzyme_fwddiff((void *)spectral_loss, enzyme_dup, xs, d, enzyme_const, N,
                                    enzyme_const, tg),
                   g[i], RTOL_D, 1e-11);
  }
  return check_report();
}
