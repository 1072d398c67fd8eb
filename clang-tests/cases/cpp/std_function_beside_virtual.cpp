// CFLAGS: -std=c++17
// EXPECT-ERROR: cannot tell what bytes
// EXPECT-ERROR: functions_refs
// Was a silently wrong derivative at -O2 (session 23, C++ survey): a std::vector of
// std::function holding lambdas that capture by reference and one that captures a double by
// value, in a file that also has C++ classes with virtual methods of the same signature as the
// lambdas' invokers (double(ptr, ptr)). The call of a std::function's invoker (a pointer loaded
// from the object, not from a vtable) was dispatched over the virtual methods too; their view of
// `this` (a vtable pointer at 0, doubles after) was mixed into the std::function's storage, and
// the by-value capture's derivative was dropped (df/dx0 -3.1200 against finite differences
// -3.0026). Now functions whose address only sits in vtables are candidates only of calls through
// a pointer read from a vtable ("vtable pointer" TBAA, or untagged), and the file gets the same
// clean error as without the classes (the by-value capture copied as an integer into storage
// that other elements use for a pointer: see clang-tests/pending/std_function_mixed_captures.cpp,
// which should compile and give the finite differences' answer one day).
#include "check.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Base {
  double state = 0;
  virtual double eval(const double *p) const = 0;
  virtual void absorb(double v) { state += v; }
  virtual ~Base() {}
};
struct Quad : Base {
  double c;
  explicit Quad(double c) : c(c) {}
  double eval(const double *p) const override { return c * p[0] * p[0] + state; }
};
struct Trig : Base {
  double eval(const double *p) const override { return std::sin(p[1]) * std::exp(state); }
  void absorb(double v) override { state += 2.0 * v; }
};
struct Mix : Quad {
  Mix() : Quad(0.5) {}
  double eval(const double *p) const override { return Quad::eval(p) * p[2] + std::cos(state); }
};
volatile int g_kinds[5] = {0, 1, 2, 1, 0};
__attribute__((noinline)) static Base *make(int k, double c) {
  if (k == 0) return new Quad(c);
  if (k == 1) return new Trig();
  return new Mix();
}
double virtual_calls(const double *x, int n) {
  std::vector<std::unique_ptr<Base>> objs;
  for (int i = 0; i < 5; i++) objs.emplace_back(make(g_kinds[i], x[3] + i));
  double s = 0;
  for (int i = 0; i < 5; i++) {
    objs[i]->absorb(x[(i + 1) % n] * 0.3);
    s += objs[i]->eval(x + (i % 3));
  }
  return s;
}

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

// 5. std::complex<double>.

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
