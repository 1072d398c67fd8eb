// Split reverse mode (__enzyme_augmentfwd / __enzyme_reverse) of functions returning a struct too
// large for registers (the C ABI returns it through a hidden sret pointer): as in combined mode,
// the result's adjoint buffer comes first, right after the function, in both calls, and the
// reverse sweep consumes it. The augmented pass writes its primal result to a buffer of its own
// (Enzyme's convention), so code between the calls sees nothing of it. One function reads its
// result fields back (m.z from m.x and m.y, stored in the result at -O0), one loops over memory
// with a runtime trip count; the tape also crosses other calls of the same function. Oracles:
// analytic partials, central finite differences of <w, f(x)>, and the combined-mode gradient.
#include "check.h"
#include <string.h>

typedef struct { double da, db; } G;
typedef struct { double x, y, z; } V;
void *__enzyme_augmentfwd(void *, ...);
G __enzyme_reverse_g(void *, ...) __asm__("__enzyme_reverse");
void __enzyme_reverse(void *, ...);
void __enzyme_autodiff(void *, ...);
int __enzyme_augmentsize(void *, ...);
extern int enzyme_allocated, enzyme_tape;

static V vf(double a, double b) {
  V v = {a * b, sin(a), b * b * exp(-a)};
  return v;
}
__attribute__((noinline)) static V moments(const double *x, const double *w, int n) {
  V m = {0, 0, 0};
  for (int i = 0; i < n; i++) {
    m.x += w[i] * x[i];
    m.y += w[i] * x[i] * x[i];
  }
  m.z = sqrt(m.y + 1.0) * m.x;
  return m;
}
enum { N = 6 };
static const double WT[N] = {1, 0.5, 2, 1.5, 0.25, 1};
static V S0 = {0.5, -1.0, 2.0};
static double weighted(const double *x) {
  V m = moments(x, WT, N);
  return S0.x * m.x + S0.y * m.y + S0.z * m.z;
}

int main(void) {
  for (double a = -1.0; a <= 1.5; a += 0.5) {
    double b = 1.5 - 0.4 * a;
    V w = {1.0, -2.0, 0.5};
    void *tape = __enzyme_augmentfwd((void *)vf, &w, enzyme_out, a, enzyme_out, b);
    G g = __enzyme_reverse_g((void *)vf, &w, enzyme_out, a, enzyme_out, b, tape);
    CHECK_CLOSE_AT("split sret d/da", a, g.da, 1.0 * b - 2.0 * cos(a) - 0.5 * b * b * exp(-a), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("split sret d/db", a, g.db, 1.0 * a + 0.5 * 2 * b * exp(-a), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("split sret consumes the seed", a, fabs(w.x) + fabs(w.y) + fabs(w.z), 0.0, 0.0, 0.0);
  }
  {
    double x[N] = {0.3, -0.8, 1.1, 0.5, -1.4, 0.9}, x2[N], gx[N] = {0}, gx2[N] = {0}, gc[N] = {0};
    for (int i = 0; i < N; i++) x2[i] = 0.7 * x[i] + 0.1;
    V s = S0, s2 = S0, sc = S0;
    // Two tapes alive at once, the second in caller memory; other runs of moments between.
    void *t1 = __enzyme_augmentfwd((void *)moments, &s, enzyme_dup, x, gx, enzyme_const, WT, enzyme_const, N);
    int size = __enzyme_augmentsize((void *)moments, enzyme_dup, enzyme_const, enzyme_const);
    char mem[64];
    CHECK_TRUE("tape size fits", size <= (int)sizeof mem);
    __enzyme_augmentfwd((void *)moments, &s2, enzyme_dup, x2, gx2, enzyme_const, WT, enzyme_const, N,
                        enzyme_allocated, size, enzyme_tape, mem);
    V junk = moments(x2, WT, N);
    (void)junk;
    __enzyme_reverse((void *)moments, &s, enzyme_dup, x, gx, enzyme_const, WT, enzyme_const, N, t1);
    __enzyme_reverse((void *)moments, &s2, enzyme_dup, x2, gx2, enzyme_const, WT, enzyme_const, N,
                     enzyme_allocated, size, enzyme_tape, mem);
    __enzyme_autodiff((void *)moments, &sc, enzyme_dup, x, gc, enzyme_const, WT, enzyme_const, N);
    char what[96];
    for (int i = 0; i < N; i++) {
      snprintf(what, sizeof what, "split sret memory d/dx[%d] vs finite differences", i);
      CHECK_CLOSE(what, gx[i], fdv(weighted, x, N, i), RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "split sret memory d/dx[%d] vs combined mode", i);
      CHECK_CLOSE(what, gx[i], gc[i], RTOL_D, ATOL_D);
      snprintf(what, sizeof what, "second tape d/dx2[%d] vs finite differences", i);
      CHECK_CLOSE(what, gx2[i], fdv(weighted, x2, N, i), RTOL_FD, ATOL_FD);
    }
  }
  return check_report();
}
