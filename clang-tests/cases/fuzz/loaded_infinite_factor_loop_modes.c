// Quotients (and other values that may be infinite) stored inside a loop and read back later as
// factors whose adjoint is zero, in every reverse mode (combined, split, batched): the forward
// sweep tests each value such an origin takes as it makes it (a NaN's bits ORed where `q - q` is
// NaN, into one slot, a field of the tape in split mode), and the reverse sweep guards the loaded
// factors' products where that test failed. Shapes: a float quotient, a `log` of 0, a quotient
// stored on some iterations only, a heap buffer, and a logistic `1 / (1 + exp(-x))` (finite
// everywhere, no test needed) next to a quotient. At the singular point the quotients' terms are
// discarded: d/du = 2u there. Reverse and split modes gave NaN on main f32a697 at -O0 and -O1.
// Oracles: that analytic derivative, central finite differences away from it, forward mode against
// reverse mode, split mode and the batched reverse lanes against the scalar reverse.
#include "check.h"
#include <stdlib.h>

extern int enzyme_width, enzyme_out, enzyme_const, enzyme_dupnoneed;
typedef struct { double du, ds; } D2;
typedef struct { double d[2]; } L2;
D2 __enzyme_autodiff_d2(void *, ...) __asm__("__enzyme_autodiff");
L2 __enzyme_autodiff_l2(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
D2 __enzyme_reverse_d2(void *, ...) __asm__("__enzyme_reverse");

#define N 5
static double float_origin(double u, double s) {
  float b[N];
  double t = 0;
  for (int i = 0; i < N; i++)
    b[i] = (float)(i + 1) / (float)s;
  for (int i = 0; i < N; i++)
    b[i] = (float)u * b[i];
  for (int i = 0; i < N; i++)
    t += s != 0 ? b[i] : 0.0f;
  return u * u + t;
}
static double log_origin(double u, double s) {
  double b[N], t = 0;
  for (int i = 0; i < N; i++)
    b[i] = log(s * s * (i + 1));
  for (int i = 0; i < N; i++)
    b[i] = u * b[i];
  for (int i = 0; i < N; i++)
    t += s != 0 ? b[i] : 0.0;
  return u * u + t;
}
static double some_iterations(double u, double s) {
  double b[N], t = 0;
  for (int i = 0; i < N; i++)
    b[i] = i % 2 ? (i + 1) / s : 1.0 + i * s;
  for (int i = 0; i < N; i++)
    b[i] = u * b[i];
  for (int i = 0; i < N; i++)
    t += s != 0 || i % 2 == 0 ? b[i] : 0.0;
  return u * u + t;
}
static double heap_origin(double u, double s) {
  double *b = malloc(N * sizeof(double)), t = 0;
  for (int i = 0; i < N; i++)
    b[i] = (i + 2) / (s * (i + 1));
  for (int i = 0; i < N; i++)
    b[i] = u * b[i];
  for (int i = 0; i < N; i++)
    t += s != 0 ? b[i] : 0.0;
  free(b);
  return u * u + t;
}
static double logistic_and_quotient(double u, double s) {
  double g[N], b[N], t = 0;
  for (int i = 0; i < N; i++) {
    g[i] = 1.0 / (1.0 + exp(-(s + i)));
    b[i] = 1.0 / s;
  }
  for (int i = 0; i < N; i++)
    b[i] = u * b[i] * g[i];
  for (int i = 0; i < N; i++)
    t += (s != 0 ? b[i] : 0.0) + u * g[i];
  return u * u + t;
}

// The batched reverse lanes (width 2, u active, s constant) need the result through memory.
#define BATCHED(F)                                                                             \
  static void F##_ret(double u, double s, double *ret) { *ret = F(u, s); }                       \
  static void F##_lanes(double u, double s, double du) {                                         \
    double ret, d0 = 1.0, d1 = -2.0;                                                            \
    L2 g = __enzyme_autodiff_l2((void *)F##_ret, enzyme_width, 2, enzyme_out, u, enzyme_const,  \
                                s, enzyme_dupnoneed, &ret, &d0, &d1);                           \
    CHECK_CLOSE_AT(#F ": batched reverse lane 0", s, g.d[0], du, RTOL_D, ATOL_D);               \
    CHECK_CLOSE_AT(#F ": batched reverse lane 1", s, g.d[1], -2.0 * du, RTOL_D, ATOL_D);        \
  }
BATCHED(float_origin)
BATCHED(log_origin)
BATCHED(some_iterations)
BATCHED(heap_origin)
BATCHED(logistic_and_quotient)

// rtol/atol: against the oracle; mrtol/matol: between modes (float_origin: float rounding).
#define CHECK_MODES(F, u, s, wu, ws, rtol, atol, mrtol, matol)                                 \
  do {                                                                                         \
    D2 r_ = __enzyme_autodiff_d2((void *)F, u, s);                                             \
    void *tape_ = __enzyme_augmentfwd((void *)F, enzyme_out, u, enzyme_out, s);                \
    D2 sp_ = __enzyme_reverse_d2((void *)F, enzyme_out, u, enzyme_out, s, 1.0, tape_);         \
    double fu_ = __enzyme_fwddiff((void *)F, u, 1.0, s, 0.0);                                  \
    double fs_ = __enzyme_fwddiff((void *)F, u, 0.0, s, 1.0);                                  \
    CHECK_CLOSE_AT("reverse " #F " d/du", s, r_.du, wu, rtol, atol);                           \
    CHECK_CLOSE_AT("reverse " #F " d/ds", s, r_.ds, ws, rtol, atol);                           \
    CHECK_CLOSE_AT("split " #F " d/du", s, sp_.du, r_.du, mrtol, matol);                     \
    CHECK_CLOSE_AT("split " #F " d/ds", s, sp_.ds, r_.ds, mrtol, matol);                     \
    CHECK_CLOSE_AT("forward " #F " d/du", s, fu_, r_.du, mrtol, matol);                      \
    CHECK_CLOSE_AT("forward " #F " d/ds", s, fs_, r_.ds, mrtol, matol);                      \
    F##_lanes(u, s, r_.du);                                                                    \
  } while (0)

#define CHECK_AT(F, u, s, wu, ws, rtol, atol)                                                  \
  CHECK_MODES(F, u, s, wu, ws, rtol, atol, RTOL_D, ATOL_D)
#define CHECK_FLOAT(F, u, s, wu, ws, rtol, atol)                                               \
  CHECK_MODES(F, u, s, wu, ws, rtol, atol, 1e-5, 1e-6)
#define FD_U(F, u, s, h) ((F((u) + (h), s) - F((u) - (h), s)) / (2 * (h)))
#define FD_S(F, u, s, h) ((F(u, (s) + (h)) - F(u, (s) - (h))) / (2 * (h)))
#define CHECK_FD(F, u, s)                                                                      \
  CHECK_AT(F, u, s, FD_U(F, u, s, 1e-6), FD_S(F, u, s, 1e-6), RTOL_FD, ATOL_FD)

int main(void) {
  static const double us[] = {0.3, -1.25, 2.0};
  for (unsigned k = 0; k < COUNT_OF(us); k++) {
    double u = us[k];
    // the singular point: the infinite terms are discarded
    CHECK_FLOAT(float_origin, u, 0.0, 2.0 * u, 0.0, RTOL_FD, ATOL_FD);
    CHECK_AT(log_origin, u, 0.0, 2.0 * u, 0.0, RTOL_FD, ATOL_FD);
    CHECK_AT(heap_origin, u, 0.0, 2.0 * u, 0.0, RTOL_FD, ATOL_FD);
    // the even iterations' terms stay: 2u + sum_{i even} (1 + i s), and d/ds = u sum_{i even} i
    CHECK_AT(some_iterations, u, 0.0, 2.0 * u + 3.0, u * 6.0, RTOL_FD, ATOL_FD);
    // sum_i g_i with g_i = 1 / (1 + exp(-i)) at s = 0; d/ds = u sum_i g_i (1 - g_i)
    double sg = 0, sdg = 0;
    for (int i = 0; i < N; i++) {
      double g = 1.0 / (1.0 + exp(-(double)i));
      sg += g;
      sdg += g * (1 - g);
    }
    CHECK_AT(logistic_and_quotient, u, 0.0, 2.0 * u + sg, u * sdg, RTOL_FD, ATOL_FD);
    // away from it: finite differences (float_origin rounds to float: a looser tolerance)
    CHECK_FLOAT(float_origin, u, 0.7, FD_U(float_origin, u, 0.7, 1e-3),
                FD_S(float_origin, u, 0.7, 1e-3), RTOL_FDF, ATOL_FDF);
    CHECK_FD(log_origin, u, 0.7);
    CHECK_FD(heap_origin, u, -0.7);
    CHECK_FD(some_iterations, u, 0.7);
    CHECK_FD(logistic_and_quotient, u, 0.7);
  }
  return check_report();
}
