// CFLAGS: -std=c++17
// Session 37 (issue 14): forward and reverse mode over a function that grows a caller's
// std::vector<std::string> (enzyme_dup, shadow vector) with heap strings built by the
// out-of-line `+` ("long-prefix-for-the-heap-" + std::to_string(i)) and by copies of them,
// beside active values in a caller's std::vector<double>. The shadow vector's strings must be
// blocks of their own (both vectors are destroyed by the caller). Oracles: central finite
// differences, forward vs reverse, the shadow containers' sizes.
#include "check.h"
#include <cmath>
#include <string>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" int enzyme_dup, enzyme_out, enzyme_const;

static double f(double a, std::vector<std::string> &log, std::vector<double> &vals) {
  double s = 0;
  for (int i = 0; i < 4; i++) {
    double t = a * (i + 1);
    vals.push_back(std::exp(-t) * t);
    std::string entry = "long-prefix-for-the-heap-" + std::to_string(i);
    log.push_back(entry);              // a copy
    log.emplace_back(std::move(entry)); // the block itself
    s += vals.back() * (double)log.size();
  }
  return s;
}

static double primal(double a) {
  std::vector<std::string> l;
  std::vector<double> v;
  return f(a, l, v);
}

int main() {
  double a = 0.7;
  std::vector<std::string> log, dlog, flog, fdlog;
  std::vector<double> vals, dvals, fvals, fdvals;
  double da = __enzyme_autodiff((void *)f, enzyme_out, a, enzyme_dup, &log, &dlog, enzyme_dup, &vals, &dvals);
  CHECK_CLOSE("d/da", da, fd1(primal, a), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("log size", (double)log.size(), 8, 0, 0);
  CHECK_CLOSE("shadow log size", (double)dlog.size(), 8, 0, 0);
  CHECK_CLOSE("entry", (double)(log[7] == "long-prefix-for-the-heap-3"), 1, 0, 0);
  double ta = __enzyme_fwddiff((void *)f, a, 1.0, enzyme_dup, &flog, &fdlog, enzyme_dup, &fvals, &fdvals);
  CHECK_CLOSE("forward", ta, da, RTOL_D, ATOL_D);
  CHECK_CLOSE("tangent size", (double)fdlog.size(), 8, 0, 0);
  return check_report();
}
