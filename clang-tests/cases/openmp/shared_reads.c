// CFLAGS: -fopenmp
// What a parallel region only reads: a shared scalar captured by address (`k`, read in every
// iteration; the derivative reads it once per thread and sums its adjoint per thread), and a
// restrict array read through its captured pointer (the reverse sweep reads it again instead of
// taping it). And the cases where neither is allowed: a pointer variable the caller reassigns
// between regions (the buffers of a Jacobi step swap), a restrict array a later region
// overwrites after one has read it (the reverse sweep must use the taped values), and a shared
// scalar the region updates (a reduction).
#include "omp_check.h"

// x[0] scales a cubic sink; three Jacobi steps of a nonlinear heat equation on x[1..n-1]
void steps(const double *restrict x, double *restrict y, int n) {
  double k = 0.1 * x[0];
  double *u = (double *)malloc(sizeof(double) * (size_t)n);
  double *v = (double *)malloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < n; i++)
    u[i] = v[i] = x[i];
  for (int t = 0; t < 3; t++) {
#pragma omp parallel for schedule(static)
    for (int i = 1; i < n - 1; i++)
      v[i] = u[i] + 0.2 * (u[i - 1] - 2.0 * u[i] + u[i + 1]) - k * u[i] * u[i] * u[i];
    double *w = u;
    u = v;
    v = w;
  }
  for (int i = 0; i < n; i++)
    y[i] = u[i] * (1.0 + 0.1 * i);
  free(u);
  free(v);
}

// pair sums over a restrict array the regions only read, with a shared scalar `c`
double pairs(const double *restrict x, int n) {
  double e = 0.0, c = 1.0 + 0.5 * x[0] * x[0];
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 2)
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double d = x[j] - x[i];
      e += c * x[i] / (1.0 + d * d) + sin(x[j]) * x[i];
    }
#pragma omp parallel for reduction(+ : e)
  for (int i = 0; i < n; i++)
    e += x[i] * x[i] * c;
  return e;
}

// y is restrict, written by a region, read by the next, then overwritten by a third: the first region's reverse
// sweep must use the values it read, not y's final ones
void overwrite(const double *restrict x, double *restrict y, int n) {
  double s = 0.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[i] + 0.5;
#pragma omp parallel for reduction(+ : s)
  for (int i = 0; i < n; i++)
    s += y[i] * y[i] * x[(i + 1) % n];
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    y[i] = s * x[i];
}

DEFINE_KERNEL_CHECK(steps, n, n)
DEFINE_KERNEL_CHECK(overwrite, n, n)
DEFINE_SCALAR_CHECK(pairs, n)

int main(void) {
  static const int ns[] = {1, 2, 7, 33};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    steps_check(ns[c], 5u + c);
    overwrite_check(ns[c], 17u + c);
    pairs_check(ns[c], 29u + c);
  }
  return check_report();
}
