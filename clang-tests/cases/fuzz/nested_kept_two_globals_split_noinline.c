// CFLAGS: -mllvm -ferment-no-inline
// Forward mode over split mode, with calls kept (`-ferment-no-inline`), of a
// kernel whose helpers talk through two globals: `put` writes `ga` and `gb` from the inputs,
// `mix` reads both and writes `gb` again, `get` reads them. Each nested request's derivatives
// keep their shadows of the globals in globals of their own level
// (`NAME.ferment.tangent.level2`, `NAME.ferment.shadow.level2`): the first derivative's
// shadow globals are primal memory to the second (see fwd_over_fwd_kept_global_noinline.c).
// Reverse over split mode is refused with -ferment-no-inline (main 32dae5b too): "a pointer
// loaded from memory where the caller may have stored a pointer to constant data in place of
// its shadow" in `ferment.augmented.put.ferment.outret`, and a module holding this split
// request refuses reverse over forward and reverse over reverse of the same kernel
// (nested_kept_two_globals_noinline.c) the same way; so only forward over split here.
// The other nestings: nested_kept_two_globals_noinline.c.
// Oracles: central differences of f for the first derivatives, central differences of the
// first derivatives for the second.
#include "check.h"

typedef struct {
  double dx, ds;
} Grad2;
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
Grad2 __enzyme_reverse(void *, ...);

static double ga[2];
static double gb;

__attribute__((noinline)) static void put(double x, double s) {
  ga[0] = x * s + sin(x);
  ga[1] = s * x * x;
  gb = cos(s) * x;
}

__attribute__((noinline)) static void mix(double s) { gb = gb * ga[1] + s * ga[0]; }

__attribute__((noinline)) static double get(double x) {
  return ga[0] * ga[0] * x + ga[1] * gb + gb * gb;
}

double f(double x, double s) {
  put(x, s);
  mix(s);
  return get(x) + x * s * s;
}

// d f / d x by split mode.
__attribute__((noinline)) static double Dsplit(double x, double s) {
  void *tape = __enzyme_augmentfwd((void *)f, x, s);
  return __enzyme_reverse((void *)f, x, s, 1.0, tape).dx;
}

typedef double (*Dfn)(double, double);

static void second(const char *what, Dfn D, int k, double x, double s) {
  const double e = 1e-6;
  double dxx = (D(x + e, s) - D(x - e, s)) / (2 * e);
  double dxs = (D(x, s + e) - D(x, s - e)) / (2 * e);
  double d1 = D(x, s);
  CHECK_CLOSE_AT(what, k, d1, (f(x + e, s) - f(x - e, s)) / (2 * e), RTOL_FD, ATOL_FD);
  CHECK_CLOSE_AT(what, k, __enzyme_fwddiff((void *)D, x, 1.0, s, 0.0), dxx, RTOL_FD, ATOL_FD);
  CHECK_CLOSE_AT(what, k, __enzyme_fwddiff((void *)D, x, 0.0, s, 1.0), dxs, RTOL_FD, ATOL_FD);
  CHECK_CLOSE_AT(what, k, D(x, s), d1, 0, 0); /* the second derivatives left it alone */
}

int main(void) {
  const double pts[3][2] = {{0.3, -0.5}, {-0.4, 0.7}, {1.1, 0.2}};
  for (int k = 0; k < 3; k++) {
    double x = pts[k][0], s = pts[k][1];
    second("over split", Dsplit, k, x, s);
  }
  return check_report();
}
