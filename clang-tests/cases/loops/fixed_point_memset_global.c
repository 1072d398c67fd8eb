// A loop marked with __enzyme_set_fixed_point whose state is a global array zeroed by memset
// in front of it, with the iteration and the setup inlined (always_inline), tested in the
// loop's header (while) and at its end (do-while), carrying locals (the error) from one
// iteration to the next; -enzyme-global-activity=1 as Enzyme passes it. The gradient must equal
// the gradient through every iteration of the same loop without the marker, the state must be
// that of the plain loop afterwards, and both agree with central finite differences.
// CFLAGS: -mllvm -enzyme-global-activity=1
#include "check.h"
#include <stdint.h>
#include <string.h>
void __enzyme_autodiff(void *, ...);
void __enzyme_set_fixed_point(double, int64_t, void *, ...);
#define M 4
double st[M], par[M];
int64_t count;
__attribute__((always_inline)) static inline double relax(double tol) {
  double nxt[M], e = 0;
  for (int k = 0; k < M; k++) nxt[k] = 0.3 * sin(st[k] + 0.4 * st[(k + 1) % M]) + 0.5 * par[k];
  for (int k = 0; k < M; k++) { e = fmax(e, fabs(nxt[k] - st[k])); st[k] = nxt[k]; }
  return e > tol ? e : 0;
}
__attribute__((always_inline)) static inline void start(const double *x) {
  memset(st, 0, sizeof st);
  for (int k = 0; k < M; k++) par[k] = x[k];
}
static double out(void) { double s = 0; for (int k = 0; k < M; k++) s += (k + 1.0) * st[k] * st[k]; return s; }
#define MARK __enzyme_set_fixed_point(1e-30, (int64_t)-1, (void *)0, st, (int64_t)sizeof st)
static double top_plain(const double *x) { start(x); double e = 1; int64_t n = 0; while (e > 0) { e = relax(1e-15); n++; } count = n; return out(); }
static double top_fp(const double *x) { start(x); double e = 1; int64_t n = 0; while (e > 0) { MARK; e = relax(1e-15); n++; } count = n; return out(); }
static double bot_plain(const double *x) { start(x); double e; do { e = relax(1e-15); } while (e > 0); return out(); }
static double bot_fp(const double *x) { start(x); double e; do { MARK; e = relax(1e-15); } while (e > 0); return out(); }
static double plainv(const double *x, const void *c) { (void)c; return top_plain(x); }
int main(void) {
  double x[M] = {0.2, -0.4, 0.7, 0.1};
#define COMPARE(PLAIN, FP)                                                       \
  {                                                                            \
    double d0[M] = {0}, d1[M] = {0}, s0[M];                                    \
    __enzyme_autodiff((void *)PLAIN, enzyme_dup, x, d0);                       \
    for (int k = 0; k < M; k++) s0[k] = st[k];                                 \
    __enzyme_autodiff((void *)FP, enzyme_dup, x, d1);                          \
    for (int k = 0; k < M; k++)                                                \
      CHECK_CLOSE("state as after the plain loop", st[k], s0[k], 0, 0);        \
    for (int k = 0; k < M; k++) {                                              \
      CHECK_CLOSE("marked vs plain", d1[k], d0[k], 1e-9, 1e-12);               \
      CHECK_CLOSE("fd", d0[k], fdvc((fd_fnvc)plainv, 0, x, M, k), RTOL_FD, 1e-8); \
    }                                                                          \
  }
  COMPARE(top_plain, top_fp)
  COMPARE(bot_plain, bot_fp)
  return check_report();
}
