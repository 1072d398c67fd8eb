// Control flow written with labels: two blocks that jump to each other and to themselves
// (`goto first` / `goto second` chosen by the state, exits from both), a loop with two
// back-edge targets and an inner self-loop, differentiated in split mode (returned tape,
// __enzyme_augmentfwd then __enzyme_reverse) as Enzyme's controlflow test does. Oracle: central
// finite differences of the weighted final state; the augmented call keeps the primal result.
#include "check.h"
#include <math.h>
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

__attribute__((noinline)) void walk(double *s) {
  double tmp;
  int guard = 0;
first:
  guard++;
  tmp = 1.5 * cos(s[0] - 0.5 * s[1]);
  s[0] = 2.0 * sin(s[0] + 0.3 * s[1]);
  s[1] = tmp;
  if (guard > 40 || s[0] * s[0] < s[1])
    return;
  if (s[0] > 0)
    goto first;
  goto second;
second:
  guard++;
  tmp = 1.2 * sin(0.7 * s[0] - s[1]);
  s[0] = 1.7 * cos(s[0] + 0.4 * s[1]);
  s[1] = tmp;
  if (guard > 40 || s[0] * s[0] < s[1])
    return;
  if (s[0] > 0)
    goto first;
  goto second;
}

static double wsum(const double *x0) {
  double s[2] = {x0[0], x0[1]};
  walk(s);
  return 0.8 * s[0] + 1.9 * s[1];
}

int main(void) {
  double pts[3][2] = {{0.9, 0.7}, {-0.4, 0.2}, {1.3, -0.8}};
  for (int p = 0; p < 3; p++) {
    double x[2] = {pts[p][0], pts[p][1]};
    double dx[2] = {0.8, 1.9};
    double s[2] = {x[0], x[1]};
    void *tape = __enzyme_augmentfwd((void *)walk, s, dx);
    __enzyme_reverse((void *)walk, s, dx, tape);
    double h = 1e-6;
    for (int i = 0; i < 2; i++) {
      double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]};
      xp[i] += h; xm[i] -= h;
      double want = (wsum(xp) - wsum(xm)) / (2 * h);
      CHECK_CLOSE("split d/dx", dx[i], want, RTOL_FD, 1e-7);
    }
    double s2[2] = {x[0], x[1]};
    walk(s2);
    CHECK_CLOSE("primal kept", s[0], s2[0], RTOL_D, 0);
  }
  return check_report();
}
