// -ferment-no-inline: a lambda capturing `running` by reference, wrapped in a std::function and
// called once; the result is `running`. Was a wrong gradient at -O0 (found in session 37 reducing
// cases/programs/std_function_rk4_lambdas.cpp, fixed in session 39): the gradient came out
// multiplied by the primal `running` (1.25 here). The kept `_M_create` copies the 8-byte closure
// (a pointer to `running`) with a `memcpy`/integer copy from the caller's closure object (no
// shadow) into the std::function's `_Any_data` (shadowed), so the shadow storage held the primal
// pointer and the reverse sweep took the primal `running` as its adjoint. With
// -ferment-no-inline, a constant-length copy of a pointer into shadowed memory now asks for a
// shadow of its source, as a store of one does.
// CFLAGS: -std=c++17 -mllvm -ferment-no-inline
// VALGRIND
// Oracles: central differences (reverse and forward).
#include "check.h"
#include <functional>
extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}
double cost(const double *y0) {
  double y[2] = {y0[0] * y0[1], y0[1]};
  double running = 0.0;
  auto obs = [&running](double t, const double *s) { running += s[0] * t; };
  std::function<void(double, const double *)> o = obs;
  o(1.0, y);
  return running;
}
int main() {
  double y0[2] = {2.5, 0.5}, dy0[2] = {0, 0};
  __enzyme_autodiff((void *)cost, enzyme_dup, y0, dy0);
  CHECK_ARRAY_FD("dy0", y0, 2, dy0, 1e-6, cost(y0), RTOL_FD, ATOL_FD);
  for (int i = 0; i < 2; i++) {
    double t[2] = {0, 0};
    t[i] = 1;
    double d = __enzyme_fwddiff((void *)cost, enzyme_dup, y0, t);
    CHECK_CLOSE("forward vs reverse", d, dy0[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
