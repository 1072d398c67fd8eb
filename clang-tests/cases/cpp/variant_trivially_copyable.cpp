// CFLAGS: -std=c++17
// A std::vector of std::variant<double, long, std::array<double, 2>>: the variant is trivially
// copyable, so copying the vector copies its storage as bytes whose first 8 hold a double in
// some elements and an integer in others (the active index decides). Alternatives are read
// with std::get_if / std::get; a std::vector<std::optional<double>> (nullopt for the integer
// alternative) is copied and read with value_or. Reverse mode; forward mode along each input.
// Oracles: central finite differences of the primal; forward against reverse.
#include "check.h"
#include <array>
#include <cmath>
#include <optional>
#include <variant>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

using Val = std::variant<double, long, std::array<double, 2>>;

static double f(const double *x, int n) {
  std::vector<Val> vs;
  for (int i = 0; i < n; i++) {
    if (i % 3 == 0)
      vs.push_back(x[i] * x[i]);
    else if (i % 3 == 1)
      vs.push_back((long)(i * 7));
    else
      vs.push_back(std::array<double, 2>{x[i], std::sin(x[i])});
  }
  std::vector<Val> copy = vs; // trivially copyable variant: copied as bytes
  std::vector<std::optional<double>> opt;
  double s = 0;
  for (const Val &v : copy) {
    if (auto d = std::get_if<double>(&v)) {
      s += *d;
      opt.push_back(*d * 0.5);
    } else if (auto l = std::get_if<long>(&v)) {
      s += 0.01 * (double)*l;
      opt.push_back(std::nullopt);
    } else {
      auto &a = std::get<2>(v);
      s += a[0] * a[1];
      opt.push_back(a[1]);
    }
  }
  auto o2 = opt;
  for (auto &o : o2)
    s += o.value_or(1.0) * s * 0.1;
  return s;
}
static double f_at(const double *x, const void *c) { return f(x, *(const int *)c); }

int main() {
  const int n = 9;
  double x[n], dx[n] = {0};
  for (int i = 0; i < n; i++)
    x[i] = 0.3 + 0.11 * i;
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
