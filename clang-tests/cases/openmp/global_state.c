// CFLAGS: -fopenmp
// Parallel regions (outlined functions called through the OpenMP runtime: calls that stay
// calls) using file-scope globals that hold derivative data: a scalar the caller sets from the
// inputs and every thread reads, an array one region fills per index and the next reads at
// other indices, a scalar read inside a reduction, and an array only a region uses. The globals' shadows are shared with
// the regions' derivatives; threads add their adjoints into them atomically.
#include "omp_check.h"

static double scale;
static double buf[64];

// y_i = buf_i * scale + buf_{i+1}, buf_i = sin(x_i) * scale, scale = 0.5 + x_0^2
static void field(const double *x, double *y, int n) {
  scale = 0.5 + x[0] * x[0];
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    buf[i] = sin(x[i]) * scale;
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    y[i] = buf[i] * scale + buf[(i + 1) % n];
}

// sum_i x_1 x_i^2
static double total(const double *x, int n) {
  scale = x[1];
  double e = 0.0;
#pragma omp parallel for reduction(+ : e)
  for (int i = 0; i < n; i++)
    e += scale * x[i] * x[i];
  return e;
}

// y_i = t_i sin(t_i), t_i = x_i^2 kept in a global only the region touches
static double tmp[64];
static void local(const double *x, double *y, int n) {
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
    tmp[i] = x[i] * x[i];
    y[i] = tmp[i] * sin(tmp[i]);
  }
}

DEFINE_KERNEL_CHECK(field, n, n)
DEFINE_KERNEL_CHECK(local, n, n)
DEFINE_SCALAR_CHECK(total, n)

int main(void) {
  static const int ns[] = {5, 17, 64};
  for (int c = 0; c < 3; c++) {
    field_check(ns[c], 3u + c);
    total_check(ns[c], 11u + c);
    local_check(ns[c], 19u + c);
  }
  return check_report();
}
