// CFLAGS: -fopenmp
// Reduction variables whose value the gradient does not need. At -O1 and up ferment deletes a
// parallel region's writes into a local of the derivative that nothing reads back (the primal's
// reduced return value), and with them the work that computed it. These kernels read such a
// total inside the region after the reduction's barrier (to scale, in a branch, into an output
// array), so that total must still be computed: its value reaches the result.
#include "omp_check.h"

double scaled(const double *x, int n) { // the first total divides the second sum
  double s = 0.0, out = 0.0;
#pragma omp parallel
  {
#pragma omp for reduction(+ : s)
    for (int i = 0; i < n; i++)
      s += x[i] * x[i];
#pragma omp for reduction(+ : out)
    for (int i = 0; i < n; i++)
      out += sin(x[i]) / (1.0 + s);
  }
  return out;
}

double branchy(const double *x, int n) { // the total chooses the formula
  double s = 0.0, out = 0.0;
#pragma omp parallel
  {
#pragma omp for reduction(+ : s)
    for (int i = 0; i < n; i++)
      s += x[i];
#pragma omp for reduction(+ : out)
    for (int i = 0; i < n; i++)
      out += s > 0.0 ? x[i] * x[i] : cos(x[i]);
  }
  return out;
}

void spread(const double *x, double *y, int n) { // the total lands in an output array
  double s = 0.0;
#pragma omp parallel
  {
#pragma omp for reduction(+ : s)
    for (int i = 0; i < n; i++)
      s += exp(0.3 * x[i]);
#pragma omp for
    for (int i = 0; i < n; i++)
      y[i] = x[i] * s;
  }
}

double energy(const double *x, int n) { // nothing reads the total: its writes are dropped
  double e = 0.0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 3)
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double d = x[i] - x[j];
      if (d * d < 0.5)
        e += d * d * (1.0 + d);
    }
  return e;
}

DEFINE_SCALAR_CHECK(scaled, n)
DEFINE_SCALAR_CHECK(branchy, n)
DEFINE_KERNEL_CHECK(spread, n, n)
DEFINE_SCALAR_CHECK(energy, n)

int main(void) {
  static const int ns[] = {1, 3, 17, 40};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    scaled_check(ns[c], 5u + c);
    branchy_check(ns[c], 9u + c);
    spread_check(ns[c], 13u + c);
    energy_check(ns[c], 17u + c);
  }
  return check_report();
}
