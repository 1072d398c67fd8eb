// CFLAGS: -std=c++17
// A differentiated function with a try block that rethrows one exception type and catches all
// others (catch (...)), a std::shared_ptr<std::vector<double>> (its control block's virtual
// dispose is an indirect call), a std::unordered_map<std::string, std::vector<double>>, and a
// logger of std::to_string messages; no exception is thrown on the path differentiated. Two
// failures found here: the exception's destructor handed to __cxa_throw counted as a
// function whose address is taken, so the shared_ptr's indirect calls dispatched to it
// ('cannot differentiate call to external function _ZNSt14overflow_errorD1Ev'); and the
// reverse sweep's record of which invoke reached the catch (...) landing pad was placed
// before the landingpad (LLVM verifier failure). The forward derivative rethrows to the
// caller as the primal does. Oracles: central finite differences (reverse), directional
// difference (forward), forward vs reverse.
#include "check.h"
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
struct Logger {
  std::vector<std::string> lines;
  void log(const std::string &s) { lines.push_back(s); }
};
static double stage(const double *x, int i, Logger &lg) {
  if (x[i] > 1e6) throw std::overflow_error("stage " + std::to_string(i));
  lg.log("stage " + std::to_string(i));
  return std::exp(-x[i] * x[i]) + x[i];
}
static double f(const double *x, int n) {
  Logger lg;
  std::unordered_map<std::string, std::vector<double>> groups;
  auto shared = std::make_shared<std::vector<double>>();
  double s = 0;
  try {
    for (int i = 0; i < n; i++) {
      double v = stage(x, i, lg);
      groups[i % 2 ? "odd" : "even"].push_back(v);
      shared->push_back(v * x[0]);
    }
  } catch (const std::overflow_error &) {
    throw;
  } catch (...) {
    return -1;
  }
  for (auto &kv : groups) {
    double w = kv.first == "odd" ? 2.0 : 3.0;
    for (double v : kv.second) s += w * v * v;
  }
  for (double v : *shared) s += v;
  return s + lg.lines.size();
}
int main() {
  const int n = 5;
  double x[n], dx[n] = {0}, t[n], xp[n], xm[n];
  for (int i = 0; i < n; i++) { x[i] = 0.2 + 0.3 * std::sin(1.3 * i); t[i] = std::cos(i); }
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_ARRAY_FD("reverse", x, n, dx, 1e-6, f(x, n), RTOL_FD, ATOL_FD);
  double fw = __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, n);
  double h = 1e-6;
  shift_along(xp, x, t, h, n);
  shift_along(xm, x, t, -h, n);
  CHECK_CLOSE("forward", fw, (f(xp, n) - f(xm, n)) / (2 * h), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward vs reverse", fw, dotv(t, dx, n), 1e-10, 1e-12);
  double big[n] = {1, 2, 3e7, 4, 5};
  int caught = 0;
  try { __enzyme_fwddiff((void *)f, enzyme_dup, big, t, enzyme_const, n); } catch (const std::overflow_error &e) { caught = std::string(e.what()) == "stage 2"; }
  CHECK_TRUE("rethrown through the forward derivative", caught);
  return check_report();
}
