// CFLAGS: -fopenmp
// A parallel loop inside a function that is not inlined (the caller's derivative calls its
// augmented forward and reverse functions, which fork), the same function in split mode
// (__enzyme_augmentfwd / __enzyme_reverse), and lastprivate. Analytic gradients, 1, 2 and 4
// threads.
#include "check.h"
#include <omp.h>

void __enzyme_autodiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

__attribute__((noinline)) void inner(const double *x, double *y, int n) {
  double last = 0;
#pragma omp parallel for lastprivate(last)
  for (int i = 1; i < n - 1; i++) {
    y[i] = x[i - 1] * sin(x[i + 1]);
    last = x[i];
  }
  y[0] = last * last;
}

void outer(const double *x, double *y, int n) {
  inner(x, y, n);
  for (int i = 0; i < n; i++)
    y[i] *= 2.0;
}

int main(void) {
  enum { N = 11 };
  const int threads[] = {1, 2, 4};
  for (unsigned t = 0; t < COUNT_OF(threads); t++) {
    omp_set_num_threads(threads[t]);
    double x[N], dx[N] = {0}, dx2[N] = {0}, y[N] = {0}, dy[N], dy2[N];
    for (int i = 0; i < N; i++) {
      x[i] = 0.3 * i - 1;
      dy[i] = 1;
      dy2[i] = 1;
    }
    __enzyme_autodiff((void *)outer, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, N);
    void *tape = __enzyme_augmentfwd((void *)inner, enzyme_dup, x, dx2, enzyme_dup, y, dy2,
                                     enzyme_const, N);
    __enzyme_reverse((void *)inner, enzyme_dup, x, dx2, enzyme_dup, y, dy2, enzyme_const, N, tape);
    for (int k = 0; k < N; k++) {
      // d/dx_k [sum_{i=1}^{N-2} x_{i-1} sin(x_{i+1}) + x_{N-2}^2]
      double w = 0;
      for (int i = 1; i < N - 1; i++) {
        if (k == i - 1)
          w += sin(x[i + 1]);
        if (k == i + 1)
          w += x[i - 1] * cos(x[i + 1]);
      }
      if (k == N - 2)
        w += 2 * x[N - 2];
      CHECK_CLOSE_AT("combined, through a call", k, dx[k], 2 * w, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("split mode", k, dx2[k], w, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
