// CFLAGS: -std=c++17
// std::function<double(double)> objects built inside the differentiated function from lambdas with
// different captures: a double by value, the active input pointer, two doubles, a local by
// reference (updated by the calls), and one passed by const reference to a helper. Each object's
// _Any_data holds its own layout, so type analysis sees each one apart: reverse and forward mode at
// -O0..-O3. `vec_values`: a std::vector of std::function whose lambdas all capture doubles by value
// ([a], [b], [a, b]); at -O1..-O3 the moves are inlined per element and it is differentiated in
// both modes. At -O0 the out-of-line move/swap of std::function copies every element's _Any_data
// through one memcpy whose bytes type analysis sees both as the doubles and as the pointer the
// manager's __get_functor_ptr stores there: reverse mode refuses it
// (std_function_values_vector_no_inline.cpp), forward mode copies tangent bytes whatever they hold.
// A vector mixing pointer and double captures: std_function_mixed_vector_forward.cpp. Oracles:
// central finite differences (reverse), forward vs reverse and forward vs finite differences.
#include "check.h"
#include <cmath>
#include <functional>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double call_twice(const std::function<double(double)> &g, double v) {
  return g(v) + g(0.5 * v);
}

double separate(const double *x, int n) {
  double a = x[0], b = x[1];
  double acc = 0;
  std::function<double(double)> by_value = [a](double v) { return a * v; };
  std::function<double(double)> by_pointer = [x](double v) { return x[2] * v; };
  std::function<double(double)> two = [a, b](double v) { return std::sin(a * v) + b; };
  std::function<double(double)> by_ref = [&acc](double v) {
    acc += v * v;
    return acc;
  };
  double s = 0;
  for (int i = 0; i < n; i++)
    s += by_value(x[i]) + by_pointer(x[i]) + two(x[i]) + by_ref(x[i]) + call_twice(two, x[i]);
  return s;
}

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

typedef double (*fn)(const double *, int);
static double fd_dir(fn f, const double *x0, const double *t, int n) {
  std::vector<double> p(x0, x0 + n), m(x0, x0 + n);
  double h = 1e-6;
  for (int i = 0; i < n; i++) p[i] += h * t[i], m[i] -= h * t[i];
  return (f(p.data(), n) - f(m.data(), n)) / (2 * h);
}
static double check_fwd(const char *name, fn f, const double *x0, int n, const double *t) {
  std::vector<double> x(x0, x0 + n);
  double tan = __enzyme_fwddiff((void *)f, x.data(), t, n);
  CHECK_CLOSE(name, tan, fd_dir(f, x0, t, n), RTOL_FD, ATOL_FD);
  return tan;
}
static void check_rev(const char *name, fn f, const double *x0, int n, const double *t, double tan) {
  std::vector<double> x(x0, x0 + n), dx(n, 0.0);
  __enzyme_autodiff((void *)f, x.data(), dx.data(), n);
  CHECK_ARRAY_FD(name, x, n, dx, 1e-6, f(x.data(), n), RTOL_FD, ATOL_FD);
  CHECK_CLOSE(name, tan, dotv(dx.data(), t, n), RTOL_D, ATOL_D);
}
int main() {
  double x[9] = {0.3, -1.2, 0.7, 1.9, -0.4, 0.8, 0.25, -0.6, 1.1};
  double t[9];
  for (int i = 0; i < 9; i++) t[i] = 0.3 + 0.1 * i - 0.05 * i * i;
  check_rev("separate", separate, x, 5, t, check_fwd("separate", separate, x, 5, t));
  double tan = check_fwd("vec_values", vec_values, x, 5, t);
#ifdef __OPTIMIZE__
  check_rev("vec_values", vec_values, x, 5, t, tan);
#else
  (void)tan;
#endif
  return check_report();
}
