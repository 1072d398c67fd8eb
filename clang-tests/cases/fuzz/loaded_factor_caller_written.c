// A caller stores a quotient (`b[0] = 1 / s`) into memory that a recursive function, which stays
// a call without -ferment-no-inline too, reads as a factor whose adjoint is zero (`b[k] = u *
// b[k - 1]`, never read), or gets the quotient as an argument, or returns a product the caller
// discards at s = 0. The callee's derivative counted what its caller hands it as finite: at s = 0
// its reverse multiplied the zero adjoint by inf, d/du NaN (true: 2u). See
// loaded_factor_caller_written_noinline.c for the shapes with kept callees. Oracles: the analytic
// derivative at s = 0, central finite differences at s = +-0.7, split mode and forward mode
// against reverse mode.
#include "check.h"

extern int enzyme_out;
typedef struct { double du, ds; } D2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
D2 __enzyme_reverse_d2(void *, ...) __asm__("__enzyme_reverse");

#define N 3

static void chain(double *b, double u, int k) {
  if (k > N)
    return;
  b[k] = u * b[k - 1];
  chain(b, u, k + 1);
}
static double memory(double u, double s) {
  double b[N + 1];
  b[0] = 1 / s;
  chain(b, u, 1);
  return u * u;
}

static void chain_arg(double *b, double u, double q, int k) {
  if (k > N)
    return;
  b[k] = u * q;
  chain_arg(b, u, q, k + 1);
}
static double argument(double u, double s) {
  double b[N + 1];
  chain_arg(b, u, 1 / s, 1);
  return u * u;
}

static double power_sum(const double *b, double u, int k) {
  return k == 0 ? u * b[0] : u * b[0] + power_sum(b, u, k - 1);
}
static double returned(double u, double s) {
  double b[1];
  b[0] = 1 / s;
  double r = power_sum(b, u, N);
  return u * u + (s != 0 ? r : 0.0);
}

#define CHECK_AT(F, u, s, wu, ws)                                                              \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, u, s);                                             \
    void *tape_ = __enzyme_augmentfwd((void *)F, enzyme_out, u, enzyme_out, s);                \
    D2 sp_ = __enzyme_reverse_d2((void *)F, enzyme_out, u, enzyme_out, s, 1.0, tape_);         \
    double fu_ = __enzyme_fwddiff((void *)F, u, 1.0, s, 0.0);                                  \
    CHECK_CLOSE_AT("reverse " #F " d/du", s, r_.du, wu, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("reverse " #F " d/ds", s, r_.ds, ws, RTOL_FD, ATOL_FD);                     \
    CHECK_CLOSE_AT("split " #F " d/du", s, sp_.du, r_.du, RTOL_D, ATOL_D);                     \
    CHECK_CLOSE_AT("split " #F " d/ds", s, sp_.ds, r_.ds, RTOL_D, ATOL_D);                     \
    CHECK_CLOSE_AT("forward " #F " d/du", s, fu_, r_.du, RTOL_D, ATOL_D);                      \
  } while (0)

#define FD_U(F, u, s) ((F((u) + 1e-6, s) - F((u) - 1e-6, s)) / 2e-6)
#define FD_S(F, u, s) ((F(u, (s) + 1e-6) - F(u, (s) - 1e-6)) / 2e-6)
#define CHECK_FD(F, u, s) CHECK_AT(F, u, s, FD_U(F, u, s), FD_S(F, u, s))
#define CHECK_ALL(F, wu0)                                                                      \
  do {                                                                                         \
    CHECK_AT(F, u, 0.0, wu0, 0.0);                                                             \
    CHECK_FD(F, u, 0.7);                                                                       \
    CHECK_FD(F, u, -0.7);                                                                      \
  } while (0)

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    CHECK_ALL(memory, 2.0 * u);
    CHECK_ALL(argument, 2.0 * u);
    CHECK_ALL(returned, 2.0 * u);
  }
  return check_report();
}
