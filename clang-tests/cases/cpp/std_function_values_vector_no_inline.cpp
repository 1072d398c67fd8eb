// CFLAGS: -std=c++17 -fno-inline
// EXPECT-ERROR: cannot tell what bytes 0..
// EXPECT-ERROR: vec_values
// EXPECT-ERROR: a std::function's copy of its stored callable
// Was a silently wrong gradient at -O0, and with -fno-inline at every level (session 35): a
// std::vector of std::function whose lambdas capture doubles by value ([a], [b], [a, b]). The
// out-of-line move/swap of std::function copies every element's 16-byte _Any_data with one memcpy;
// type analysis met a pointer (the manager's __get_functor_ptr stores the functor's address into an
// _Any_data) and the captured double at its first 8 bytes, kept the pointer, and the copy moved
// shadow pointers only: the captured doubles' adjoints were dropped (d/dx0 0.176 against finite
// differences 2.539, d/dx1 6.77 against 10.21). Such a copy is now refused (`retype::copy_layout`:
// a pointer slot where type analysis recorded a pointer-vs-float conflict is ambiguous). At
// -O1..-O3 without -fno-inline the moves are inlined per element and the same function is
// differentiated (std_function_capture_layouts.cpp). Making -O0 work needs the layout chosen at run
// time (see std_function_mixed_captures.cpp).
#include "check.h"
#include <cmath>
#include <functional>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
double vec_values(const double *x, int n) {
  double a = x[0], b = x[1];
  std::vector<std::function<double(double)>> fs;
  fs.push_back([a](double v) { return a * v; });
  fs.push_back([b](double v) { return std::cos(b * v); });
  fs.push_back([a, b](double v) { return std::sin(a * v) + b; });
  double s = 0;
  for (int i = 0; i < n; i++)
    for (auto &f : fs) s += f(x[i]);
  return s;
}
int main() {
  double x[5] = {0.3, -1.2, 0.7, 1.9, -0.4};
  int n = 5;
  std::vector<double> xx(x, x + n), dx(n, 0.0);
  __enzyme_autodiff((void *)vec_values, xx.data(), dx.data(), n);
  CHECK_ARRAY_FD("vec_values", xx, n, dx, 1e-6, vec_values(xx.data(), n), RTOL_FD, ATOL_FD);
  return check_report();
}
