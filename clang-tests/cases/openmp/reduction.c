// CFLAGS: -fopenmp
// reduction(+:s) and reduction(max:m): clang's __kmpc_reduce_nowait protocol. ferment updates
// the shared variable in a critical section and reverses those sections in the opposite order
// of their forward execution, so max (order-dependent) gets its adjoint where the maximum was.
#include "omp_check.h"

double sum_sq(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel for reduction(+ : s)
  for (int i = 0; i < n; i++)
    s += x[i] * x[i] * (1.0 + 0.1 * i);
  return s;
}

double max_of(const double *x, int n) {
  double m = -1e300;
#pragma omp parallel for reduction(max : m)
  for (int i = 0; i < n; i++) {
    double v = sin(3.0 * x[i]) + 0.01 * i;
    m = v > m ? v : m;
  }
  return m * m;
}

double two_sums(const double *x, int n) { // two reduction variables, then nonlinear use
  double a = 0.0, b = 1.0;
#pragma omp parallel for reduction(+ : a, b) schedule(dynamic, 2)
  for (int i = 0; i < n; i++) {
    a += exp(0.5 * x[i]);
    b += x[i] * x[(i + 1) % n];
  }
  return a * b + log(a);
}

DEFINE_SCALAR_CHECK(sum_sq, n)
DEFINE_SCALAR_CHECK(max_of, n)
DEFINE_SCALAR_CHECK(two_sums, n)

int main(void) {
  static const int ns[] = {1, 3, 17, 40};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    sum_sq_check(ns[c], 5u + c);
    max_of_check(ns[c], 9u + c);
    two_sums_check(ns[c], 13u + c);
  }
  return check_report();
}
