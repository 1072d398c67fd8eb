// std::complex<double> as C++ numerical code uses it (a small wave/impedance model):
// operators * and / (libgcc's __muldc3/__divdc3 underneath), std::abs, std::arg, std::exp,
// std::log, std::sqrt, std::pow, std::polar, std::norm, std::conj, in a loop over a vector of
// complex values. Reverse and forward mode. Oracles: central finite differences, forward vs
// reverse.
#include "check.h"
#include <complex>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

using cd = std::complex<double>;

static double response(const double *x, const void *) {
  // x = {R, L, C, omega0}
  cd j(0.0, 1.0);
  double s = 0;
  std::vector<cd> zs;
  for (int k = 1; k <= 4; k++) {
    double w = x[3] * k;
    cd z = x[0] + j * w * x[1] + 1.0 / (j * w * x[2]);
    zs.push_back(z);
  }
  for (const cd &z : zs) {
    cd h = 1.0 / z;
    s += std::abs(h) + std::arg(z) * 0.1 + std::norm(std::sqrt(z)) * 0.01;
    s += std::real(std::exp(-0.1 * z)) + std::imag(std::log(z)) + std::real(std::pow(z, 0.5));
    s += std::real(z * std::conj(h)) + std::imag(std::polar(x[0], x[3]));
  }
  return s;
}

__attribute__((noinline)) double entry(const double *x) { return response(x, nullptr); }

int main() {
  double x[4] = {1.5, 0.7, 0.9, 1.1}, dx[4] = {0, 0, 0, 0};
  __enzyme_autodiff((void *)entry, x, dx);
  CHECK_GRAD_FD("std::complex circuit response", response, nullptr, x, 4, dx, RTOL_FD, ATOL_FD);
  double t[4] = {0.3, -1.1, 0.8, 0.2};
  double tangent = __enzyme_fwddiff((void *)entry, x, t);
  double rev = 0;
  for (int i = 0; i < 4; i++) rev += dx[i] * t[i];
  CHECK_CLOSE("forward vs reverse", tangent, rev, RTOL_D, ATOL_D);
  return check_report();
}
