// Hand-written shapes of the fuzz findings flat_quotient_zero_factor_loop.c and
// flat_exp_log_zero_factor_loop_noinline.c: a value that is exactly 0 on every other iteration
// of a loop (`(double)(i % 2) * g`) under uses flat at the infinity a quotient or a log makes of
// it (`atan(c / z)`, `exp(-c / z)`, `exp(a log z)`) and under `sqrt`, whose partial is infinite
// there. The zero factor makes those terms constant, so the derivative is finite; reverse mode
// multiplied the flat use's zero adjoint by the infinite partial (NaN) once the guard on that
// product tested the first test of its chain instead of its own adjoint. Shapes: the zero
// factor's other operand carried by the loop (loop_carried), the values stored into an array
// and read back by a second loop (through_memory), and the terms in a sum with a `select`
// (discarded). Oracles: central finite differences of the primal, forward mode against reverse
// mode, split mode, batched reverse and batched forward lanes against the scalar results.
#include "check.h"

extern int enzyme_width, enzyme_out, enzyme_dupnoneed;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse(void *, ...);
typedef struct { double d[2]; } L2;
L2 __enzyme_autodiff_l2(void *, ...) __asm__("__enzyme_autodiff");
L2 __enzyme_fwddiff_l2(void *, ...) __asm__("__enzyme_fwddiff");

#define NMAX 8

static double loop_carried(int n, double s) {
  double t = s;
  for (int i = 0; i < n; i++) {
    double cz = (double)((i + 1) % 2) * (1.0 + 0.5 * tanh(t));
    t = 0.5 * t + 0.25 * tanh(sqrt(cz) - atan(1.5 / cz)) + 0.1 * exp(-1.2 / cz) + 0.3 * s;
  }
  return t;
}

static double through_memory(int n, double s) {
  double b[NMAX], t = 0;
  for (int i = 0; i < n; i++)
    b[i] = (double)(i % 2) * (1.0 + 0.5 * erf(s * (i + 1)));
  for (int i = 0; i < n; i++)
    t += (0.5 + 0.1 * i) * tanh(atan(1.5 / b[i]) + exp(0.9 * log(b[i])) - exp(-1.664 / b[i]));
  return t + s * s;
}

static double discarded(int n, double s) {
  double t = 0;
  for (int i = 0; i < n; i++) {
    double cz = (double)(i % 2) * (1.0 + s * s);
    double u = tanh(atan(1.5 / cz) - sqrt(cz));
    t += i % 3 == 2 ? 0.25 * s : u;
  }
  return t;
}

// Every scalar mode of F at (n, s), and batched forward mode (width 2).
#define CHECK_ONE(F, n, s)                                                                     \
  do {                                                                                         \
    double fd_ = (F(n, (s) + 1e-6) - F(n, (s) - 1e-6)) / 2e-6;                                 \
    double rev_ = __enzyme_autodiff((void *)F, n, s);                                          \
    double fwd_ = __enzyme_fwddiff((void *)F, n, s, 1.0);                                      \
    void *tape_ = __enzyme_augmentfwd((void *)F, n, enzyme_out, s);                            \
    double split_ = __enzyme_reverse((void *)F, n, enzyme_out, s, 1.0, tape_);                 \
    L2 fl_ = __enzyme_fwddiff_l2((void *)F, enzyme_width, 2, n, s, 1.0, -0.5);                 \
    CHECK_CLOSE_AT(#F ": reverse vs finite differences", s, rev_, fd_, RTOL_FD, ATOL_FD);      \
    CHECK_CLOSE_AT(#F ": forward vs reverse", s, fwd_, rev_, RTOL_D, ATOL_D);                  \
    CHECK_CLOSE_AT(#F ": split vs reverse", s, split_, rev_, RTOL_D, ATOL_D);                  \
    CHECK_CLOSE_AT(#F ": batched forward lane 0", s, fl_.d[0], fwd_, RTOL_D, ATOL_D);          \
    CHECK_CLOSE_AT(#F ": batched forward lane 1", s, fl_.d[1], -0.5 * fwd_, RTOL_D, ATOL_D);   \
  } while (0)

// The batched reverse lanes need a function of its own per kernel (the result through memory).
#define BATCHED(F)                                                                             \
  static void F##_ret(int n, double s, double *ret) { *ret = F(n, s); }                          \
  static void F##_lanes(int n, double s) {                                                      \
    double ret, d0 = 1.0, d1 = 2.0;                                                             \
    L2 g = __enzyme_autodiff_l2((void *)F##_ret, enzyme_width, 2, n, enzyme_out, s,               \
                                enzyme_dupnoneed, &ret, &d0, &d1);                              \
    double rev = __enzyme_autodiff((void *)F, n, s);                                            \
    CHECK_CLOSE_AT(#F ": batched reverse lane 0", s, g.d[0], rev, RTOL_D, ATOL_D);              \
    CHECK_CLOSE_AT(#F ": batched reverse lane 1", s, g.d[1], 2.0 * rev, RTOL_D, ATOL_D);        \
  }
BATCHED(loop_carried)
BATCHED(through_memory)
BATCHED(discarded)

int main(void) {
  static const double ss[] = {0.3, -0.45, 1.1};
  static const int ns[] = {1, 2, 3, 6};
  for (unsigned k = 0; k < COUNT_OF(ss); k++)
    for (unsigned j = 0; j < COUNT_OF(ns); j++) {
      double s = ss[k];
      int n = ns[j];
      CHECK_ONE(loop_carried, n, s);
      CHECK_ONE(through_memory, n, s);
      CHECK_ONE(discarded, n, s);
      loop_carried_lanes(n, s);
      through_memory_lanes(n, s);
      discarded_lanes(n, s);
    }
  return check_report();
}
