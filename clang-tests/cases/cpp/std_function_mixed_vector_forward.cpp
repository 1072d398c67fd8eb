// CFLAGS: -std=c++17
// Forward mode of a std::vector<std::function<double(double)>> whose lambdas capture different
// things: a double by value, the active input pointer, two doubles, a local by reference (updated
// by the calls); and a vector whose lambdas all capture by reference. Every element's _Any_data
// goes through the same copies (push_back's move, the vector's reallocation), holding a pointer in
// some elements and doubles in others at the same bytes: forward mode copies the tangent bytes
// whatever they hold (a shadow pointer's or a double's tangent), so no layout is needed.
// Reverse mode needs one and refuses such copies (std_function_mixed_captures.cpp).
// Oracle: central finite differences along a direction, -O0..-O3.
#include "check.h"
#include <cmath>
#include <functional>
#include <vector>
extern "C" double __enzyme_fwddiff(void *, ...);

double vec_mixed(const double *x, int n) {
  double a = x[0], b = x[1];
  double acc = 0;
  std::vector<std::function<double(double)>> fs;
  fs.push_back([a](double v) { return a * v; });
  fs.push_back([x](double v) { return x[2] * v; });
  fs.push_back([a, b](double v) { return std::sin(a * v) + b; });
  fs.push_back([&acc](double v) {
    acc += v * v;
    return acc;
  });
  double s = 0;
  for (int i = 0; i < n; i++)
    for (auto &f : fs) s += f(x[i]);
  return s;
}
double vec_refs(const double *x, int n) {
  double a = x[0], b = x[1];
  double acc = 0;
  std::vector<std::function<double(double)>> fs;
  fs.push_back([&a](double v) { return a * v; });
  fs.push_back([&a, &b](double v) { return std::sin(a * v) + b; });
  fs.push_back([&acc](double v) {
    acc += v * v;
    return acc;
  });
  double s = 0;
  for (int i = 0; i < n; i++)
    for (auto &f : fs) s += f(x[i]);
  return s;
}

typedef double (*fn)(const double *, int);
static void check_fwd(const char *name, fn f, const double *x0, int n) {
  std::vector<double> x(x0, x0 + n), t(n), p(n), m(n);
  for (int i = 0; i < n; i++) t[i] = 0.3 + 0.1 * i - 0.05 * i * i;
  double tan = __enzyme_fwddiff((void *)f, x.data(), t.data(), n);
  double h = 1e-6;
  for (int i = 0; i < n; i++) p[i] = x0[i] + h * t[i], m[i] = x0[i] - h * t[i];
  CHECK_CLOSE(name, tan, (f(p.data(), n) - f(m.data(), n)) / (2 * h), RTOL_FD, ATOL_FD);
}
int main() {
  double x[9] = {0.3, -1.2, 0.7, 1.9, -0.4, 0.8, 0.25, -0.6, 1.1};
  check_fwd("vec_mixed", vec_mixed, x, 5);
  check_fwd("vec_refs", vec_refs, x, 5);
  check_fwd("vec_mixed n=8", vec_mixed, x, 8);
  return check_report();
}
