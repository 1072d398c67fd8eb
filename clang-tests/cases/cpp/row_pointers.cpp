// CFLAGS: -std=c++17
// An array of row pointers allocated with new double*[n], each pointing into one new double[n*m]
// buffer, written and read through loaded row pointers. Reverse and forward mode, checked
// against analytic gradients.
#include "check.h"
#include <cmath>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// sum_ij sin(x_ij) * x_ij * (i + 1)
double rows_sum(const double *x, int n, int m) {
  double **rows = new double *[n];
  double *buf = new double[n * m];
  for (int i = 0; i < n; i++)
    rows[i] = buf + i * m;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++)
      rows[i][j] = std::sin(x[i * m + j]) * (i + 1);
  double s = 0;
  for (int i = 0; i < n; i++) {
    double *r = rows[i];
    for (int j = 0; j < m; j++)
      s += r[j] * x[i * m + j];
  }
  delete[] buf;
  delete[] rows;
  return s;
}

int main() {
  const int n = 3, m = 4;
  double x[n * m], dx[n * m] = {0};
  for (int k = 0; k < n * m; k++)
    x[k] = 0.1 * k - 0.4;
  __enzyme_autodiff((void *)rows_sum, enzyme_dup, x, dx, enzyme_const, n, enzyme_const, m);
  for (int k = 0; k < n * m; k++) {
    int i = k / m;
    double want = (std::cos(x[k]) * x[k] + std::sin(x[k])) * (i + 1);
    CHECK_CLOSE_AT("reverse d rows_sum/dx_k", x[k], dx[k], want, RTOL_D, ATOL_D);
    double t[n * m] = {0};
    t[k] = 1;
    double f = __enzyme_fwddiff((void *)rows_sum, enzyme_dup, x, t, enzyme_const, n, enzyme_const, m);
    CHECK_CLOSE_AT("forward d rows_sum/dx_k", x[k], f, want, RTOL_D, ATOL_D);
  }
  return check_report();
}
