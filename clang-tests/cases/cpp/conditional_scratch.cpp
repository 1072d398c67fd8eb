// Scratch arrays filled only under a run-time flag passed with enzyme_const: a unit vector
// computed (and never used) when the flag is set, and a copy of one element (memcpy of 8 bytes
// into an uninitialized 3-element array) that is used. Both flag values, so the path that does
// not read the scratch runs too. Oracles: analytic gradient; central finite differences.
#include "check.h"
#include <cmath>
#include <cstring>
extern "C" void __enzyme_autodiff(void *, ...);
__attribute__((noinline)) double partial_copy(double *v, bool on) {
  double dir[3];
  double len = 0.0;
  if (on) {
    memcpy(dir, v, sizeof(double));
    for (int i = 0; i < 2; ++i) len += v[i] * v[i];
    len = std::sqrt(len);
    if (len > 0.0) dir[0] /= len;
    return v[0] * dir[0] + v[2];
  }
  return v[0] * v[1];
}
__attribute__((noinline)) void unused_unit(double *v, bool on, double *out) {
  double dir[3] = {0, 0, 0};
  double len = 0.0;
  if (on) {
    for (int i = 0; i < 3; ++i) { dir[i] = v[i]; len += dir[i] * dir[i]; }
    len = std::sqrt(len);
    if (len > 0.0) for (int i = 0; i < 3; ++i) dir[i] /= len;
  }
  *out = 2.0 * v[0] - v[1] + 0.5 * v[2] * v[2];
}
static bool flag;
static double pc(const double *v) { double w[3] = {v[0], v[1], v[2]}; return partial_copy(w, flag); }
int main() {
  for (int on = 0; on < 2; on++) {
    double v[3] = {1.5, -2.0, 0.75}, dv[3] = {0, 0, 0}, out = 0, dout = 1.0;
    __enzyme_autodiff((void *)unused_unit, enzyme_dup, v, dv, enzyme_const, (bool)on, enzyme_dup, &out, &dout);
    CHECK_CLOSE("d0", dv[0], 2.0, RTOL_D, 0);
    CHECK_CLOSE("d1", dv[1], -1.0, RTOL_D, 0);
    CHECK_CLOSE("d2", dv[2], v[2], RTOL_D, 0);
    flag = on;
    double g[3] = {0, 0, 0};
    __enzyme_autodiff((void *)partial_copy, enzyme_dup, v, g, enzyme_const, (bool)on);
    for (int i = 0; i < 3; i++) CHECK_CLOSE("fd", g[i], fdv(pc, v, 3, i), RTOL_FD, 1e-8);
  }
  return check_report();
}
