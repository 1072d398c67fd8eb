// CFLAGS: -fopenmp
// Parallel loops whose reverse calls libm functions (the partial of j0 is -j1, of lgamma the
// digamma function): such calls touch no shadow memory, so a team of several threads still
// accumulates the shared adjoints in per-thread buffers instead of atomic adds per element.
// Oracles: central finite differences and forward mode, 1, 2 and 4 threads (omp_check.h).
#include "omp_check.h"

void bessel(const double *x, double *y, int n) {
#pragma omp parallel for
  for (int i = 1; i < n - 1; i++)
    y[i] = j0(x[i - 1] * x[i + 1]) + x[i] * x[i];
}

void gamma_mix(const double *x, double *y, int n) {
#pragma omp parallel for schedule(dynamic, 2)
  for (int i = 0; i < n; i++)
    y[i] = lgamma(2.0 + x[i] * x[i]) * x[(i + 3) % n] + erf(x[(i + 1) % n]);
}

DEFINE_KERNEL_CHECK(bessel, n, n)
DEFINE_KERNEL_CHECK(gamma_mix, n, n)

int main(void) {
  static const int ns[] = {3, 4, 19, 64};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    bessel_check(ns[c], 3u + c);
    gamma_mix_check(ns[c], 5u + c);
  }
  return check_report();
}
