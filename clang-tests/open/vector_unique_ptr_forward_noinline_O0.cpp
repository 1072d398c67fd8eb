// CFLAGS: -std=c++17 -mllvm -ferment-no-inline
// WRONG DERIVATIVE (found in session 37, main 270b29f too): forward mode at -O0 with
// -ferment-no-inline, a std::vector<std::unique_ptr<Pick>> filled with make_unique inside the
// differentiated function: __enzyme_fwddiff gives -1.365 and 0.135 where the reverse (which
// agrees with central differences) gives -1.05 and 0.45 (d/dx0, d/dx1). -O1..-O3, and -O0 without
// -ferment-no-inline, pass; a std::vector<Pick *> of `new` objects is refused instead ("cannot tell
// which floating-point type 'llvm.memmove' copies"). No virtual call is involved (seen first as
// cpp/virtual_mixed_layouts.cpp with -ferment-no-inline at -O0).
// Oracles: central differences (reverse), forward vs reverse.
#include "check.h"
#include <memory>
#include <vector>
extern "C" {
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}
struct Pick {
  int i;
  double w;
  Pick(int i, double w) : i(i), w(w) {}
  double eval(const double *x) const { return w * x[i]; }
};
double f(const double *x) {
  std::vector<std::unique_ptr<Pick>> terms;
  terms.push_back(std::make_unique<Pick>(1, 1.5));
  double s = 0;
  for (const auto &t : terms) s += t->eval(x) * x[0];
  return s;
}
int main() {
  double x[2] = {0.3, -0.7}, dx[2] = {0, 0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  CHECK_ARRAY_FD("reverse", x, 2, dx, 1e-6, f(x), RTOL_FD, ATOL_FD);
  for (int i = 0; i < 2; i++) {
    double t[2] = {0, 0};
    t[i] = 1;
    double df = __enzyme_fwddiff((void *)f, enzyme_dup, x, t);
    CHECK_CLOSE("forward vs reverse", df, dx[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
