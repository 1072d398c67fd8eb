// A quotient stored to memory whose later load is not taken or is discarded (`buf[i] = (a + i) /
// z; ... s += z != 0 ? buf[i] : 0` with z = 0): the load's adjoint never reaches the shadow of
// buf, so the stored quotient's adjoint is zero, and reverse mode multiplied it by the infinite
// partial 1/z (NaN in the gradient at -O0, where buf stays in memory; forward mode was right).
// Also a heap buffer, a buffer a callee that is not inlined fills, a quotient passed to a callee
// that discards it, and an output element seeded with zero. Reverse mode now guards the products
// of values stored or passed to a call whose partials may be infinite. Oracles: the analytic
// derivative where z = 0 (the discarded terms contribute nothing), central finite differences
// where z != 0, forward mode against reverse mode.
#include "check.h"
#include <stdlib.h>

typedef struct { double da, dz; } D2;
D2 __enzyme_autodiff_d2(void *, ...);
double __enzyme_fwddiff(void *, ...);
void __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

#define N 4
// the fuzz shape: a stack array, the load on one side of a branch
static double stack_buf(double a, double z) {
  double buf[N], s = 0;
  for (int i = 0; i < N; i++)
    buf[i] = (a + i) / z;
  for (int i = 0; i < N; i++)
    s += z != 0 ? buf[i] : 0;
  return s + a * a;
}
// the loaded value discarded by a select (the load always runs)
static double stack_sel(double a, double z) {
  volatile int keep = 1;
  double buf[N], s = 0;
  for (int i = 0; i < N; i++)
    buf[i] = (a - i) / z;
  for (int i = 0; i < N; i++) {
    double v = buf[i];
    s += (z != 0 && keep) ? v : 0.0;
  }
  return s + a * a;
}
// a heap buffer
static double heap_buf(double a, double z) {
  double *buf = malloc(N * sizeof(double));
  double s = 0;
  for (int i = 0; i < N; i++)
    buf[i] = log(a + i + 1) / z;
  for (int i = 0; i < N; i++)
    if (z != 0)
      s += buf[i];
  free(buf);
  return s + a * a;
}
// a callee that is not inlined fills the caller's buffer
__attribute__((noinline)) static void fill(double *buf, double a, double z) {
  for (int i = 0; i < N; i++)
    buf[i] = (a + i) / z;
}
static double callee_fill(double a, double z) {
  double buf[N], s = 0;
  fill(buf, a, z);
  for (int i = 0; i < N; i++)
    if (z != 0)
      s += buf[i];
  return s + a * a;
}
// a callee that is not inlined discards its argument
__attribute__((noinline)) static double pick(double q, double z) { return z != 0 ? q : 1.0; }
static double callee_pick(double a, double z) { return pick(a / z, z) * a + a * a; }

#define FD_A(F, a, z) ((F((a) + 1e-6, z) - F((a) - 1e-6, z)) / 2e-6)
#define FD_Z(F, a, z) ((F(a, (z) + 1e-6) - F(a, (z) - 1e-6)) / 2e-6)

#define CHECK_AT(F, a, z, wa, wz)                                                              \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, a, z);                                             \
    double fa_ = __enzyme_fwddiff((void *)F, a, 1.0, z, 0.0);                                  \
    double fz_ = __enzyme_fwddiff((void *)F, a, 0.0, z, 1.0);                                  \
    CHECK_CLOSE_AT("reverse " #F " d/da", z, r_.da, wa, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("reverse " #F " d/dz", z, r_.dz, wz, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("forward " #F " d/da", z, fa_, r_.da, RTOL_D, ATOL_D);                      \
    CHECK_CLOSE_AT("forward " #F " d/dz", z, fz_, r_.dz, RTOL_D, ATOL_D);                      \
  } while (0)

// an output element seeded with zero: out[1] = a / z is infinite at z = 0, out[0]'s row is not
static void outputs(double *out, double a, double z) {
  out[0] = 2.0 * a;
  out[1] = a / z;
}

int main(void) {
  static const double as[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(as); k++) {
    double a = as[k];
    // z = 0: the quotients are discarded, d/da = 2a (callee_pick: 1 + 2a), d/dz = 0
    CHECK_AT(stack_buf, a, 0.0, 2.0 * a, 0.0);
    CHECK_AT(stack_sel, a, 0.0, 2.0 * a, 0.0);
    CHECK_AT(heap_buf, a + 2.0, 0.0, 2.0 * (a + 2.0), 0.0);
    CHECK_AT(callee_fill, a, 0.0, 2.0 * a, 0.0);
    CHECK_AT(callee_pick, a, 0.0, 1.0 + 2.0 * a, 0.0);
    // z != 0: finite differences
    CHECK_AT(stack_buf, a, 0.7, FD_A(stack_buf, a, 0.7), FD_Z(stack_buf, a, 0.7));
    CHECK_AT(stack_sel, a, 0.7, FD_A(stack_sel, a, 0.7), FD_Z(stack_sel, a, 0.7));
    CHECK_AT(heap_buf, a + 2.0, 0.7, FD_A(heap_buf, a + 2.0, 0.7), FD_Z(heap_buf, a + 2.0, 0.7));
    CHECK_AT(callee_fill, a, 0.7, FD_A(callee_fill, a, 0.7), FD_Z(callee_fill, a, 0.7));
    CHECK_AT(callee_pick, a, 0.7, FD_A(callee_pick, a, 0.7), FD_Z(callee_pick, a, 0.7));
    // the zero-seeded output: the first row's derivative, 2
    double out[2], dout[2] = {1.0, 0.0};
    D2 r = __enzyme_autodiff_d2((void *)outputs, enzyme_dup, out, dout, a, 0.0);
    CHECK_CLOSE("outputs row 0 d/da, row 1 seeded 0", r.da, 2.0, RTOL_D, ATOL_D);
    CHECK_CLOSE("outputs row 0 d/dz, row 1 seeded 0", r.dz, 0.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
