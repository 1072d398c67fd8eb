// CFLAGS: -std=c++17
// A recursive function in C++ with std::vector: the determinant by expansion in minors, as in
// the "det by minors" program of a public C++ AD benchmark. The recursion stays a call, so its
// reverse mode uses augmented forward functions whose tapes grow with realloc. Reverse mode
// here, forward mode in det_minors_forward.cpp (which includes this file), checked against the
// analytic gradient (the cofactor matrix: d det/d a_ij = C_ij).
#include "check.h"
#include <cmath>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// determinant of the n x n matrix a (row-major) by expansion along the first row
double det(const std::vector<double> &a, int n) {
  if (n == 1)
    return a[0];
  if (n == 2)
    return a[0] * a[3] - a[1] * a[2];
  double d = 0, sign = 1;
  std::vector<double> minor((n - 1) * (n - 1));
  for (int j = 0; j < n; j++) {
    int k = 0;
    for (int r = 1; r < n; r++)
      for (int c = 0; c < n; c++)
        if (c != j)
          minor[k++] = a[r * n + c];
    d += sign * a[j] * det(minor, n - 1);
    sign = -sign;
  }
  return d;
}

double det_of(const double *m, int n) {
  std::vector<double> a(m, m + n * n);
  return det(a, n);
}

// cofactor C_ij = (-1)^(i+j) det(minor without row i and column j), by Gaussian elimination
static double det_ge(std::vector<double> a, int n) {
  double d = 1;
  for (int c = 0; c < n; c++) {
    int p = c;
    for (int r = c + 1; r < n; r++)
      if (std::fabs(a[r * n + c]) > std::fabs(a[p * n + c]))
        p = r;
    if (p != c) {
      for (int k = 0; k < n; k++)
        std::swap(a[c * n + k], a[p * n + k]);
      d = -d;
    }
    d *= a[c * n + c];
    for (int r = c + 1; r < n; r++) {
      double f = a[r * n + c] / a[c * n + c];
      for (int k = c; k < n; k++)
        a[r * n + k] -= f * a[c * n + k];
    }
  }
  return d;
}

static double cofactor(const double *m, int n, int i, int j) {
  std::vector<double> a;
  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++)
      if (r != i && c != j)
        a.push_back(m[r * n + c]);
  return ((i + j) % 2 ? -1 : 1) * det_ge(a, n - 1);
}

int main() {
  for (int n = 1; n <= 5; n++) {
    std::vector<double> m(n * n), dm(n * n, 0.0);
    for (int k = 0; k < n * n; k++)
      m[k] = std::sin(1.3 * k + 0.2) + (k % (n + 1) == 0 ? 2.0 : 0.0);
#ifndef DET_FORWARD
    __enzyme_autodiff((void *)det_of, enzyme_dup, m.data(), dm.data(), enzyme_const, n);
#endif
    for (int k = 0; k < n * n; k++) {
      double want = n == 1 ? 1.0 : cofactor(m.data(), n, k / n, k % n);
#ifdef DET_FORWARD
      std::vector<double> t(n * n, 0.0);
      t[k] = 1;
      double f = __enzyme_fwddiff((void *)det_of, enzyme_dup, m.data(), t.data(), enzyme_const, n);
      CHECK_CLOSE_AT("forward d det/d a_k", k, f, want, 1e-9, 1e-9);
#else
      CHECK_CLOSE_AT("reverse d det/d a_k", k, dm[k], want, 1e-9, 1e-9);
#endif
    }
  }
  return check_report();
}
