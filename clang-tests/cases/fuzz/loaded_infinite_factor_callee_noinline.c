// CFLAGS: -mllvm -ferment-no-inline
// A kept callee stores a quotient (`store_inv(b, s)`: `b[0] = 1 / s`), and the caller reads it back
// as a factor whose adjoint is zero (`b[1] = u * b[0]`, b[1] never read, or read behind a select on
// s). At s = 0 the loaded b[0] = inf met that zero: reverse mode gave NaN in d/du (main f32a697 at
// -O0 and -O1), since memory a call writes counted as finite. Now a call of a function that may
// store such a value makes the values loaded after it tested as the forward sweep loads them (a
// NaN's bits ORed into one slot where `x - x` is NaN), and the loaded factors' products are guarded
// behind that test. Shapes: one quotient, a loop of quotients in the callee, a callee calling
// another kept callee, a heap buffer; combined and split reverse mode. Oracles: the analytic
// derivative at s = 0 (d/du = 2u: the quotients' terms are never used), central finite differences
// where s != 0, forward mode against reverse mode. The other direction, memory the caller wrote
// before calling a kept callee that reads it: loaded_factor_caller_written_noinline.c.
#include "check.h"
#include <stdlib.h>

extern int enzyme_out;
typedef struct { double du, ds; } D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
D2 __enzyme_reverse_d2(void *, ...) __asm__("__enzyme_reverse");

#define N 4
static void store_inv(double *b, double s) { b[0] = 1 / s; }
static double one_quotient(double u, double s) {
  double b[2];
  store_inv(b, s);
  b[1] = u * b[0];
  return u * u;
}
static void store_inv_loop(double *b, double s, int n) {
  for (int i = 0; i < n; i++)
    b[i] = (i + 1) / s;
}
static double loop_in_callee(double u, double s) {
  double b[N], t = 0;
  store_inv_loop(b, s, N);
  for (int i = 0; i < N; i++)
    b[i] = u * b[i];
  for (int i = 0; i < N; i++)
    t += s != 0 ? b[i] : 0.0;
  return u * u + t;
}
static void store_two(double *b, double s) {
  store_inv(b, s);
  store_inv(b + 1, s * s);
}
static double nested_callee(double u, double s) {
  double b[3];
  store_two(b, s);
  b[2] = u * (b[0] + b[1]);
  return u * u + (s != 0 ? b[2] : 0.0);
}
static double heap_buffer(double u, double s) {
  double *b = malloc(N * sizeof(double)), t = 0;
  store_inv_loop(b, s, N);
  for (int i = 0; i < N; i++)
    t += s != 0 ? u * b[i] : u;
  free(b);
  return u * u + t;
}

#define CHECK_AT(F, u, s, wu, ws)                                                              \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, u, s);                                             \
    void *tape_ = __enzyme_augmentfwd((void *)F, enzyme_out, u, enzyme_out, s);                \
    D2 sp_ = __enzyme_reverse_d2((void *)F, enzyme_out, u, enzyme_out, s, 1.0, tape_);         \
    double fu_ = __enzyme_fwddiff((void *)F, u, 1.0, s, 0.0);                                  \
    double fs_ = __enzyme_fwddiff((void *)F, u, 0.0, s, 1.0);                                  \
    CHECK_CLOSE_AT("reverse " #F " d/du", s, r_.du, wu, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("reverse " #F " d/ds", s, r_.ds, ws, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("split " #F " d/du", s, sp_.du, r_.du, RTOL_D, ATOL_D);                     \
    CHECK_CLOSE_AT("split " #F " d/ds", s, sp_.ds, r_.ds, RTOL_D, ATOL_D);                     \
    CHECK_CLOSE_AT("forward " #F " d/du", s, fu_, r_.du, RTOL_D, ATOL_D);                      \
    CHECK_CLOSE_AT("forward " #F " d/ds", s, fs_, r_.ds, RTOL_D, ATOL_D);                      \
  } while (0)

#define FD_U(F, u, s) ((F((u) + 1e-6, s) - F((u) - 1e-6, s)) / 2e-6)
#define FD_S(F, u, s) ((F(u, (s) + 1e-6) - F(u, (s) - 1e-6)) / 2e-6)
#define CHECK_FD(F, u, s) CHECK_AT(F, u, s, FD_U(F, u, s), FD_S(F, u, s))

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    CHECK_AT(one_quotient, u, 0.0, 2.0 * u, 0.0);
    CHECK_AT(loop_in_callee, u, 0.0, 2.0 * u, 0.0);
    CHECK_AT(nested_callee, u, 0.0, 2.0 * u, 0.0);
    // heap_buffer at s = 0: t = N u
    CHECK_AT(heap_buffer, u, 0.0, 2.0 * u + N, 0.0);
    CHECK_FD(one_quotient, u, 0.7);
    CHECK_FD(loop_in_callee, u, 0.7);
    CHECK_FD(nested_callee, u, -0.7);
    CHECK_FD(heap_buffer, u, 0.7);
  }
  return check_report();
}
