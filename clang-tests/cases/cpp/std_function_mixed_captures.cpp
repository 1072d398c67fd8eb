// CFLAGS: -std=c++17
// EXPECT-ERROR: std_function.h:
// EXPECT-ERROR: cannot tell what bytes
// EXPECT-ERROR: functions_refs
// EXPECT-ERROR: a std::function's copy of its stored callable
// A clean error at every level, with the file:line of the std::function copy (checked session
// 29); the program to make work is kept here, its checks unchanged.
// Found in session 23 (issue 14, C++ survey). At -O2 (clang 22, libstdc++ 12) the gradient and
// the forward derivative miss the terms of the lambda that captures `scale` BY VALUE: df/dx[0]
// is off by sum_i 0.1 x_i exp(0.1 x_i x_0) (got -3.1200, finite differences -3.0026), with no
// error. At -O0, -O1, -O3 and -O2 -mllvm -ferment-no-inline the same file is refused ("cannot
// tell what bytes 8.. of the memory ... copies hold", std_function.h:409), and without the
// std::for_each line or without the `[&acc]` lambda it is refused at -O2 too. The O2 IR stores
// the captured double as `store i64 (load i64 %scale, !tbaa double)` into the std::function's
// _Any_data, whose first 8 bytes hold a pointer in the two other elements of the vector.
// Why no static fix exists (session 24): bytes 0..8 of std::function's _Any_data hold a pointer
// (the [&] and [&acc] captures) in two elements and a double (the [scale] capture) in the third,
// and every element goes through the same copy sites (function(function&&) at
// std_function.h:409, and the vector's reallocation loop over all elements), so no per-site or
// per-callee layout is right: moving adjoints there would add shadow pointers' bits as doubles,
// moving none drops the by-value capture's derivative (session 23's wrong -O2 result). Making
// it work needs the layout chosen at run time, e.g. from the element's _M_manager (which names
// the lambda type, whose invoker reads the capture with its type) taped at each copy.
// Session 35: forward mode of the same kind of vector works at every level (tangent bytes are
// copied whatever they hold: std_function_mixed_vector_forward.cpp); at -O0 a vector whose
// lambdas all capture doubles by value was silently wrong in reverse mode and is now refused
// too (std_function_values_vector_no_inline.cpp). Session 36: the error names the construct
// (std::function's copy of its stored callable) and suggests forward mode or lambdas passed as
// template parameters.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
double functions_refs(const double *x, int n) {
  double scale = x[0];
  double acc = 0;
  std::vector<std::function<double(double)>> fs;
  fs.push_back([&](double v) { return v * scale; });
  fs.push_back([scale](double v) { return std::exp(v * scale * 0.1); });
  fs.push_back([&acc](double v) { acc += v; return acc; });
  scale = scale * x[1];  // the first lambda sees this change, the second does not
  double s = 0;
  for (int i = 1; i < n; i++)
    for (auto &f : fs) s += f(x[i]);
  auto add = [&](double v) { acc += v * scale; };
  std::for_each(x, x + n, add);
  return s + acc;
}

typedef double (*fn)(const double *, int);
static int check_one(const char *name, fn f, const double *x0, int n) {
  std::vector<double> x(x0, x0 + n), dx(n, 0.0), t(n);
  __enzyme_autodiff((void *)f, x.data(), dx.data(), n);
  CHECK_ARRAY_FD(name, x, n, dx, 1e-6, f(x.data(), n), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) t[i] = 0.3 + 0.1 * i - 0.05 * i * i;
  double tan = __enzyme_fwddiff((void *)f, x.data(), t.data(), n);
  CHECK_CLOSE(name, tan, dotv(dx.data(), t.data(), n), RTOL_D, ATOL_D);
  return 0;
}
int main() {
  double x[9] = {0.3, -1.2, 0.7, 1.9, -0.4, 0.8, 0.25, -0.6, 1.1};
  check_one("functions_refs", functions_refs, x, 5);
  return check_report();
}
