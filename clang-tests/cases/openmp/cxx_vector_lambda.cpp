// CFLAGS: -fopenmp
// C++: a std::vector scratch buffer and a lambda inside an omp parallel for with a reduction,
// checked against the analytic gradient with 1, 2 and 4 threads.
#include "check.h"
#include <cmath>
#include <omp.h>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);

double loss(const double *x, int n) {
  std::vector<double> t(n);
  auto f = [](double a) { return a * std::exp(-a); };
  double s = 0;
#pragma omp parallel for reduction(+ : s)
  for (int i = 0; i < n; i++) {
    t[i] = f(x[i]);
    s += t[i] * t[i];
  }
  return s;
}

int main() {
  const int N = 50;
  const int threads[] = {1, 2, 4};
  for (int t : threads) {
    omp_set_num_threads(t);
    double x[N], dx[N] = {0};
    for (int i = 0; i < N; i++)
      x[i] = 0.05 * i;
    __enzyme_autodiff((void *)loss, enzyme_dup, x, dx, enzyme_const, N);
    for (int k = 0; k < N; k++) { // d/da (a e^-a)^2 = 2 a e^-a (1 - a) e^-a
      double a = x[k], want = 2 * a * std::exp(-a) * (1 - a) * std::exp(-a);
      CHECK_CLOSE_AT("d loss / dx_k", k, dx[k], want, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
