// CFLAGS: -std=c++17 -mllvm -ferment-no-inline
// VALGRIND
// -ferment-no-inline: a std::vector<std::unique_ptr<Pick>> filled with make_unique inside the
// differentiated function, forward and reverse. Was a wrong derivative at -O0 (session 37, fixed
// in session 39): __enzyme_fwddiff gave -1.365 and 0.135 (d/dx0, d/dx1) instead of -1.05 and 0.45.
// The kept move constructor `_Tuple_impl(_Tuple_impl&&)` copies the Pick pointer with an 8-byte
// `memcpy` from the caller's unique_ptr (no shadow) into the vector's element (shadowed); the
// callee summary did not ask for a shadow of the source, so the shadow element got the primal
// pointer and the tangent read the primal `w` as its derivative. With -ferment-no-inline, a
// constant-length copy of a pointer into shadowed memory asks for a shadow of its source
// (activity-analysis `demand_shadows`, `Context::copies_pointer`, `pointer_copy_sources`).
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
