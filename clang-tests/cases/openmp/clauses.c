// CFLAGS: -fopenmp
// More clauses: num_threads (the reverse sweep's team must have the forward sweep's size),
// reduction(*) and reduction(min), a parallel region that only calls omp_get_thread_num /
// omp_get_num_threads to split the work by hand, and a firstprivate double that carries no
// derivative (clang passes it by value, as the bits of an i64).
#include "omp_check.h"

void fixed_team(const double *x, double *y, int n) {
#pragma omp parallel for num_threads(3) schedule(static, 1)
  for (int i = 0; i < n; i++)
    y[i] = x[i] * x[(i + 1) % n] + cbrt(2.0 + x[i]);
}

double product(const double *x, int n) {
  double p = 1.0;
#pragma omp parallel for reduction(* : p)
  for (int i = 0; i < n; i++)
    p *= 1.0 + 0.3 * x[i];
  return p;
}

double minimum(const double *x, int n) {
  double m = 1e300;
#pragma omp parallel for reduction(min : m)
  for (int i = 0; i < n; i++) {
    double v = cos(2.0 * x[i]) - 0.001 * i;
    m = v < m ? v : m;
  }
  return exp(m);
}

void by_hand(const double *x, double *y, int n) {
#pragma omp parallel
  {
    int me = omp_get_thread_num(), nt = omp_get_num_threads();
    for (int i = me; i < n; i += nt)
      y[i] = sinh(0.5 * x[i]) * x[n - 1 - i];
  }
}

void scaled(const double *x, double *y, int n) {
  double a = 1.5;
#pragma omp parallel for firstprivate(a)
  for (int i = 0; i < n; i++) {
    a += 0.0;
    y[i] = a * x[i] * x[i];
  }
}

DEFINE_KERNEL_CHECK(fixed_team, n, n)
DEFINE_KERNEL_CHECK(scaled, n, n)
DEFINE_SCALAR_CHECK(product, n)
DEFINE_SCALAR_CHECK(minimum, n)
DEFINE_KERNEL_CHECK(by_hand, n, n)

int main(void) {
  static const int ns[] = {1, 4, 19};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    fixed_team_check(ns[c], 3u + c);
    product_check(ns[c], 5u + c);
    minimum_check(ns[c], 7u + c);
    by_hand_check(ns[c], 9u + c);
    scaled_check(ns[c], 11u + c);
  }
  return check_report();
}
