// CFLAGS: -std=c++17
// Session 36 (issue 14, section 3), fixed in session 37: a caller's std::vector<std::string> (enzyme_dup, shadow
// vector) grown by the differentiated function with strings built by an out-of-line libstdc++
// call ("prefix" + std::to_string(i): `_M_replace`, whose new heap buffer comes from the
// library's own `_M_create`), next to active double math pushed into a std::vector<double>.
// Before session 37, -O1..-O3 with a key longer than the short-string buffer: the string moved
// into the shadow vector held the PRIMAL's heap buffer (its shadow was the pointer itself: the
// library call updated only the primal string), so destroying both vectors freed it twice
// (valgrind: "Invalid free"). Now the shadow string gets a copy of the characters in a block of
// its own (shadow.rs, `own_string_block`).
// Oracle: central finite differences of the returned value.
#include "check.h"
#include <cmath>
#include <string>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" int enzyme_dup, enzyme_out;

static double f(double a, std::vector<std::string> &log, std::vector<double> &vals) {
  double s = 0;
  for (int i = 0; i < 5; i++) {
    double t = a * (i + 1);
    vals.push_back(t * t);
    s += std::sin(t) * vals.back();
    log.push_back("a-much-longer-prefix-on-heap-" + std::to_string(i));
  }
  return s;
}

static double primal(double a) {
  std::vector<std::string> l;
  std::vector<double> v;
  return f(a, l, v);
}

int main() {
  double a = 0.3;
  std::vector<std::string> log, dlog;
  std::vector<double> vals, dvals;
  double da = __enzyme_autodiff((void *)f, enzyme_out, a, enzyme_dup, &log, &dlog, enzyme_dup, &vals,
                                &dvals);
  CHECK_CLOSE("d/da", da, fd1(primal, a), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("log size", (double)log.size(), 5.0, 0, 0);
  CHECK_CLOSE("last entry", (double)(log.back() == "a-much-longer-prefix-on-heap-4"), 1.0, 0, 0);
  return check_report();
}
