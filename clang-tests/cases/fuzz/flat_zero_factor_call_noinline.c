// CFLAGS: -mllvm -ferment-no-inline
// flat_zero_factor_shapes.c with the flat terms in a callee of their own that ferment keeps
// (-ferment-no-inline): `term(z) = sqrt(z) - atan(1.5 / z) - exp(-1.664 / z)` called in a loop
// with z = (double)(i % 2) * g(s), exactly 0 on every other iteration. The callee's derivative
// meets z = 0 (atan'(inf) = 0 and exp'(-inf) = 0 against the quotient's infinite partial,
// sqrt'(0) infinite) and the caller multiplies what it returns by the zero factor; the terms are
// constant there, the derivative finite. Also a callee that stores its terms through a pointer.
// Oracles: central finite differences of the primal, forward mode against reverse mode, split
// mode, batched forward lanes against scalar forward mode.
#include "check.h"

extern int enzyme_width, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse(void *, ...);
typedef struct { double d[2]; } L2;
L2 __enzyme_fwddiff_l2(void *, ...) __asm__("__enzyme_fwddiff");

__attribute__((noinline)) static double term(double z) {
  return sqrt(z) - atan(1.5 / z) - exp(-1.664 / z);
}

__attribute__((noinline)) static void term_out(double z, double *out) {
  out[0] = atan(1.5 / z);
  out[1] = exp(0.9 * log(z));
}

static double in_loop(int n, double s) {
  double t = s;
  for (int i = 0; i < n; i++) {
    double z = (double)((i + 1) % 2) * (1.0 + 0.5 * tanh(t));
    t = 0.5 * t + 0.25 * tanh(term(z)) + 0.3 * s;
  }
  return t;
}

static double stored_by_callee(int n, double s) {
  double t = s * s, w[2];
  for (int i = 0; i < n; i++) {
    double z = (double)(i % 2) * (1.0 + 0.5 * erf(s * (i + 1)));
    term_out(z, w);
    t += 0.5 * tanh(w[0]) - 0.25 * w[1];
  }
  return t;
}

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

int main(void) {
  static const double ss[] = {0.3, -0.45, 1.1};
  static const int ns[] = {1, 2, 3, 6};
  for (unsigned k = 0; k < COUNT_OF(ss); k++)
    for (unsigned j = 0; j < COUNT_OF(ns); j++) {
      CHECK_ONE(in_loop, ns[j], ss[k]);
      CHECK_ONE(stored_by_callee, ns[j], ss[k]);
    }
  return check_report();
}
