// CFLAGS: -std=c++17
// std::valarray's subset views with active doubles: a std::slice assigned through (slice_array
// `*=`, `+=` of another valarray), a std::gslice taking a 2-D block out of a row-major matrix and
// writing back into it, a mask_array (`v[v > 0.5]`, the mask itself chosen by active values) and
// an indirect_array (`v[idx]` with a std::valarray<size_t>), apply(), cshift(), min()/max().
// Reverse mode; forward mode along each input. Oracles: central finite differences; forward vs
// reverse.
#include "check.h"
#include <cmath>
#include <valarray>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double f(const double *x, int n) {
  std::valarray<double> v(x, n);                   // n = 12: a 3 x 4 matrix, row major
  v[std::slice(0, 4, 3)] *= std::valarray<double>(2.0, 4);   // every third element doubled
  std::valarray<double> col = v[std::slice(1, 3, 4)];        // column 1
  v[std::slice(2, 3, 4)] += col * col;                       // column 2 += column 1 squared
  std::size_t lens[] = {2, 2}, strides[] = {4, 1};
  std::gslice block(5, std::valarray<std::size_t>(lens, 2), std::valarray<std::size_t>(strides, 2));
  std::valarray<double> b = v[block];                        // rows 1..2, columns 1..2
  v[block] = std::sin(b) + b * 0.5;
  std::valarray<double> big = v[v > 0.5];                    // mask chosen by the values
  double sbig = big.size() ? (big * big).sum() : 0.0;
  v[v < 0.0] = 0.0;                                          // relu through a mask_array
  std::size_t ix[] = {11, 0, 6, 6, 3};
  std::valarray<double> picked = v[std::valarray<std::size_t>(ix, 5)];
  std::valarray<double> sq = picked.apply([](double t) { return t * t * t; });
  std::valarray<double> sh = v.cshift(3);
  double cross = (sh * v).sum();
  return sbig + sq.sum() + 0.1 * cross + v.max() - v.min();
}
static double f_at(const double *x, const void *c) { return f(x, *(const int *)c); }

int main() {
  const int n = 12;
  double x[n], dx[n] = {0};
  for (int i = 0; i < n; i++) x[i] = 0.9 * std::sin(1.7 * i + 0.3) + 0.07 * i;
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, n);
  int nn = n;
  CHECK_GRAD_FD("reverse", f_at, &nn, x, n, dx, RTOL_FD, ATOL_FD);
  for (int k = 0; k < n; k++) {
    double t[n] = {0};
    t[k] = 1;
    CHECK_CLOSE("fwd vs rev", __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, n), dx[k], RTOL_D, ATOL_D);
  }
  return check_report();
}
