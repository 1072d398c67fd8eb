// -ferment-no-inline at -O0: a wrong gradient (found in session 37 reducing
// cases/programs/std_function_rk4_lambdas.cpp, whose gradients are ~50x off with the flag at
// -O0). A lambda capturing `running` by reference is wrapped in a std::function and called once;
// the result is `running`. The gradient comes out multiplied by the primal value of `running`
// (1.25 here; 0.625 with t = 0.5): the reverse sweep reads the capture's pointer out of the
// std::function's storage as its own shadow, so the adjoint it takes is the primal `running`.
// The same call through a plain function pointer and a hand-written closure passes; -O2 passes.
// Build: clang++-22 -std=c++17 -O0 -mllvm -ferment-no-inline -fpass-plugin=... -I clang-tests/include
// CFLAGS: -mllvm -ferment-no-inline
// Oracle: central differences.
#include "check.h"
#include <functional>
extern "C" { double __enzyme_autodiff(void *, ...); }
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
  return check_report();
}
