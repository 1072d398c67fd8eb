// Split mode of a function returning a pointer into a duplicated argument: __enzyme_augmentfwd
// returns {tape, primal, shadow} (Enzyme's layout; the shadow was left unset before), the caller
// seeds the reverse sweep through the returned shadow. Also the result declared without the
// shadow ({tape, primal}), the tape in enzyme_tape memory, and a pointer into constant memory
// returned with the {tape, primal} layout. Oracle: analytic derivatives.
// RUN: clang opt
#include "check.h"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_tape, enzyme_allocated;
typedef struct { void *tape; double *primal; double *shadow; } AugP;
typedef struct { void *tape; double *primal; } Aug2;
typedef struct { double *primal; double *shadow; } AugT;
AugP __enzyme_augmentfwd(void *, ...);
Aug2 __enzyme_augmentfwd_2(void *, ...);
AugT __enzyme_augmentfwd_t(void *, ...);
int __enzyme_augmentsize(void *, ...);
void __enzyme_reverse(void *, ...);

// squares x in place, returns &x[k]
static double *square_pick(double *x, int n, int k) {
  for (int i = 0; i < n; i++) x[i] = x[i] * sin(x[i]);
  return x + k;
}
static const double table[3] = {1.0, 2.0, 3.0};
// scales x by table, returns a pointer into the constant table
static const double *scale_const(double *x, int n, int k) {
  for (int i = 0; i < n; i++) x[i] *= table[i % 3] * x[i];
  return table + k;
}

int main(void) {
  double x0[4] = {0.5, 1.5, -2.0, 3.0};
  double x[4], dx[4] = {0};
  memcpy(x, x0, sizeof x);
  AugP a = __enzyme_augmentfwd((void *)square_pick, enzyme_dup, x, dx, enzyme_const, 4, enzyme_const, 2);
  CHECK_TRUE("primal pointer", a.primal == x + 2);
  CHECK_TRUE("shadow pointer", a.shadow == dx + 2);
  CHECK_CLOSE("primal value", *a.primal, x0[2] * sin(x0[2]), RTOL_D, ATOL_D);
  *a.shadow += 1.0; // the adjoint of the returned element
  dx[0] += 0.5;     // and of another output
  __enzyme_reverse((void *)square_pick, enzyme_dup, x, dx, enzyme_const, 4, enzyme_const, 2, a.tape);
  for (int i = 0; i < 4; i++) {
    double seed = i == 2 ? 1.0 : i == 0 ? 0.5 : 0.0;
    CHECK_CLOSE("dx", dx[i], seed * (sin(x0[i]) + x0[i] * cos(x0[i])), RTOL_D, ATOL_D);
  }
  // declared without the shadow
  memcpy(x, x0, sizeof x);
  memset(dx, 0, sizeof dx);
  Aug2 a2 = __enzyme_augmentfwd_2((void *)square_pick, enzyme_dup, x, dx, enzyme_const, 4, enzyme_const, 1);
  CHECK_TRUE("primal pointer (two fields)", a2.primal == x + 1);
  dx[1] = 2.0;
  __enzyme_reverse((void *)square_pick, enzyme_dup, x, dx, enzyme_const, 4, enzyme_const, 1, a2.tape);
  CHECK_CLOSE("dx (two fields)", dx[1], 2.0 * (sin(x0[1]) + x0[1] * cos(x0[1])), RTOL_D, ATOL_D);
  // the tape in the caller's memory: the call returns {primal, shadow}
  memcpy(x, x0, sizeof x);
  memset(dx, 0, sizeof dx);
  int size = __enzyme_augmentsize((void *)square_pick, enzyme_dup, enzyme_const, enzyme_const);
  void *mem = malloc(size > 0 ? size : 1);
  AugT t = __enzyme_augmentfwd_t((void *)square_pick, enzyme_allocated, size, enzyme_tape, mem,
                                 enzyme_dup, x, dx, enzyme_const, 4, enzyme_const, 3);
  CHECK_TRUE("primal pointer (enzyme_tape)", t.primal == x + 3);
  CHECK_TRUE("shadow pointer (enzyme_tape)", t.shadow == dx + 3);
  *t.shadow = 1.0;
  __enzyme_reverse((void *)square_pick, enzyme_allocated, size, enzyme_tape, mem, enzyme_dup, x, dx,
                   enzyme_const, 4, enzyme_const, 3);
  CHECK_CLOSE("dx (enzyme_tape)", dx[3], sin(x0[3]) + x0[3] * cos(x0[3]), RTOL_D, ATOL_D);
  free(mem);
  // a pointer into constant memory: no shadow, the {tape, primal} layout
  memcpy(x, x0, sizeof x);
  memset(dx, 0, sizeof dx);
  Aug2 c = __enzyme_augmentfwd_2((void *)scale_const, enzyme_dup, x, dx, enzyme_const, 4, enzyme_const, 1);
  CHECK_TRUE("constant primal pointer", c.primal == table + 1);
  for (int i = 0; i < 4; i++) dx[i] = 1.0;
  __enzyme_reverse((void *)scale_const, enzyme_dup, x, dx, enzyme_const, 4, enzyme_const, 1, c.tape);
  for (int i = 0; i < 4; i++)
    CHECK_CLOSE("dx (constant result)", dx[i], 2 * table[i % 3] * x0[i], RTOL_D, ATOL_D);
  return check_report();
}
