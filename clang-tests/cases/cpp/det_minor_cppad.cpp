// CFLAGS: -std=c++17
// The determinant by minors as CppAD writes it (det_of_minor): a recursive function that keeps
// the remaining rows and columns as linked lists in two std::vector<size_t> it edits in place
// and restores, and reads the matrix from a std::vector<double>. The recursion stays a call, so
// reverse mode runs augmented forward functions whose tapes grow. Reverse and forward mode,
// checked against central finite differences.
#include "check.h"
#include <cmath>
#include <vector>
#include <cstddef>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// CppAD-style determinant of a minor: rows and columns as linked lists in r and c
double det_of_minor(const std::vector<double> &a, size_t m, size_t n, std::vector<size_t> &r,
                    std::vector<size_t> &c) {
  size_t R0 = r[m];
  size_t Cj = c[m];
  size_t Cj1 = m;
  if (n == 1)
    return a[R0 * m + Cj];
  double detM = 0;
  int s = 1;
  r[m] = r[R0];
  for (size_t j = 0; j < n; j++) {
    size_t k = R0 * m + Cj;
    c[Cj1] = c[Cj];
    double M = det_of_minor(a, m, n - 1, r, c);
    c[Cj1] = Cj;
    if (s > 0)
      detM = detM + a[k] * M;
    else
      detM = detM - a[k] * M;
    s = -s;
    Cj1 = Cj;
    Cj = c[Cj];
  }
  r[m] = R0;
  return detM;
}

double det_by_minor(const double *x, size_t m) {
  std::vector<double> a(x, x + m * m);
  std::vector<size_t> r(m + 1), c(m + 1);
  for (size_t i = 0; i < m; i++) {
    r[i] = i + 1;
    c[i] = i + 1;
  }
  r[m] = 0;
  c[m] = 0;
  return det_of_minor(a, m, m, r, c);
}
static size_t M_;
static double f(const double *x) { return det_by_minor(x, M_); }
int main() {
  for (size_t m = 1; m <= 4; m++) {
    M_ = m;
    std::vector<double> x(m * m), dx(m * m, 0.0);
    for (size_t k = 0; k < m * m; k++) x[k] = std::sin(1.3 * k + 0.2) + (k % (m + 1) == 0 ? 2.0 : 0.0);
    __enzyme_autodiff((void *)det_by_minor, enzyme_dup, x.data(), dx.data(), enzyme_const, m);
    for (size_t k = 0; k < m * m; k++) {
      double want = fdv(f, x.data(), (int)(m * m), (int)k);
      CHECK_CLOSE_AT("reverse", k, dx[k], want, RTOL_FD, ATOL_FD);
      std::vector<double> t(m * m, 0.0); t[k] = 1;
      double fw = __enzyme_fwddiff((void *)det_by_minor, enzyme_dup, x.data(), t.data(), enzyme_const, m);
      CHECK_CLOSE_AT("forward", k, fw, want, RTOL_FD, ATOL_FD);
    }
  }
  return check_report();
}
