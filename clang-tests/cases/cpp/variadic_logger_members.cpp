// CFLAGS: -std=c++17
// C-style variadics in C++ code: a model class whose member `blend(int n, ...)` reads its
// active coefficients with va_arg, a static `Log::printf(const char *fmt, ...)` that formats a
// line into a std::string through vsnprintf (twice, with va_copy, to size the buffer), and a
// templated front `sum_of(Ts... xs)` that forwards a parameter pack to a C variadic helper.
// Oracles: central finite differences of every input, forward vs reverse.
#include "check.h"
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Log {
  static std::vector<std::string> lines;
  static void printf(const char *fmt, ...) {
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int len = std::vsnprintf(nullptr, 0, fmt, ap);
    std::string s(len > 0 ? len : 0, '\0');
    std::vsnprintf(&s[0], s.size() + 1, fmt, again);
    va_end(again);
    va_end(ap);
    lines.push_back(s);
  }
};
std::vector<std::string> Log::lines;

extern "C" double c_sum(int n, ...) {
  va_list ap;
  va_start(ap, n);
  double s = 0;
  for (int i = 0; i < n; i++)
    s += va_arg(ap, double);
  va_end(ap);
  return s;
}
template <class... Ts> double sum_of(Ts... xs) { return c_sum(sizeof...(xs), double(xs)...); }

struct Model {
  double scale;
  double blend(int n, ...) const {
    va_list ap;
    va_start(ap, n);
    double acc = 0.0, wsum = 0.0;
    for (int i = 0; i < n; i++) {
      double c = va_arg(ap, double);
      double w = 1.0 / (1.0 + i);
      acc += w * c * scale;
      wsum += w;
    }
    va_end(ap);
    return acc / wsum;
  }
};

static double objective(const double *p, int n) {
  Model m{p[0]};
  double b = m.blend(3, p[1], p[1] * p[2], std::exp(0.1 * p[2]));
  double s = sum_of(p[0] * p[0], p[1], 2.0f, 3);
  if (n > 3)
    s += sum_of(p[3], std::sin(p[3]));
  Log::printf("blend=%.3f sum=%.3f n=%d", b, s, n);
  return b * s + std::log(1.0 + b * b);
}

int main() {
  const int n = 4;
  double p[n] = {0.7, -0.4, 1.1, 0.3}, dp[n] = {0}, t[n] = {0.5, 1.0, -0.2, 0.4};
  __enzyme_autodiff((void *)objective, enzyme_dup, p, dp, enzyme_const, n);
  CHECK_ARRAY_FD("reverse", p, n, dp, 1e-6, objective(p, n), RTOL_FD, ATOL_FD);
  double fw = __enzyme_fwddiff((void *)objective, enzyme_dup, p, t, enzyme_const, n);
  CHECK_CLOSE("forward vs reverse", fw, dotv(dp, t, n), RTOL_D, ATOL_D);
  CHECK_TRUE("logged", !Log::lines.empty() && Log::lines[0].rfind("blend=", 0) == 0);
  return check_report();
}
