// Mutual recursion: od(x, n) and ev(x, n) call each other down to depth n (0..8), with the active
// value passed, transformed and returned at every level; plus a mutually recursive pair that
// takes two active scalars and swaps them. Reverse and forward mode against a dual-number
// evaluation of the same recursion (checked against central finite differences).
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef struct {
  double da, db;
} Grad2;
Grad2 __enzyme_autodiff_2(void *, ...) __asm__("__enzyme_autodiff");

double ev(double x, int n);
double od(double x, int n) { return n == 0 ? sin(x) : x * ev(x, n - 1) + 0.1; }
double ev(double x, int n) { return n == 0 ? x * x : cos(od(0.5 * x, n - 1)) * 0.5 + x; }

double pb(double a, double b, int n);
double pa(double a, double b, int n) { return n == 0 ? a * b : pb(b, a + 0.25 * b, n - 1) * 0.9; }
double pb(double a, double b, int n) { return n == 0 ? a - b * b : pa(sin(a), b, n - 1) + a; }

/* dual numbers: (value, derivative) */
typedef struct {
  double v, d;
} Dual;
static Dual ev_d(Dual x, int n);
static Dual od_d(Dual x, int n) {
  if (n == 0) {
    Dual r = {sin(x.v), cos(x.v) * x.d};
    return r;
  }
  Dual e = ev_d(x, n - 1);
  Dual r = {x.v * e.v + 0.1, x.d * e.v + x.v * e.d};
  return r;
}
static Dual ev_d(Dual x, int n) {
  if (n == 0) {
    Dual r = {x.v * x.v, 2.0 * x.v * x.d};
    return r;
  }
  Dual h = {0.5 * x.v, 0.5 * x.d};
  Dual o = od_d(h, n - 1);
  Dual r = {cos(o.v) * 0.5 + x.v, -sin(o.v) * o.d * 0.5 + x.d};
  return r;
}
static Dual pb_d(Dual a, Dual b, int n);
static Dual pa_d(Dual a, Dual b, int n) {
  if (n == 0) {
    Dual r = {a.v * b.v, a.d * b.v + a.v * b.d};
    return r;
  }
  Dual c = {a.v + 0.25 * b.v, a.d + 0.25 * b.d};
  Dual p = pb_d(b, c, n - 1);
  Dual r = {p.v * 0.9, p.d * 0.9};
  return r;
}
static Dual pb_d(Dual a, Dual b, int n) {
  if (n == 0) {
    Dual r = {a.v - b.v * b.v, a.d - 2.0 * b.v * b.d};
    return r;
  }
  Dual s = {sin(a.v), cos(a.v) * a.d};
  Dual p = pa_d(s, b, n - 1);
  Dual r = {p.v + a.v, p.d + a.d};
  return r;
}

static int NN;
static double od_n(double x) { return od(x, NN); }
static double pa_n(double a, double b) { return pa(a, b, NN); }

int main(void) {
  static const double xs[] = {-1.2, 0.35, 1.05};
  static const double bs[] = {0.6, -0.8, 1.3};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i], b = bs[i];
    for (int n = 0; n <= 8; n++) {
      NN = n;
#define W(s) (snprintf(what, sizeof what, "%s (n=%d)", s, n), what)
      Dual dx = {x, 1.0};
      double want = od_d(dx, n).d;
      CHECK_CLOSE_AT(W("oracle: od' vs finite differences"), x, want, fd1(od_n, x), RTOL_FD, ATOL_FD);
      CHECK_CLOSE_AT(W("reverse od'"), x, __enzyme_autodiff((void *)od, x, n), want, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(W("forward od'"), x, __enzyme_fwddiff((void *)od, x, 1.0, n), want, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(W("reverse ev'"), x, __enzyme_autodiff((void *)ev, x, n), ev_d(dx, n).d, RTOL_D, ATOL_D);

      Dual a1 = {x, 1.0}, b0 = {b, 0.0}, a0 = {x, 0.0}, b1 = {b, 1.0};
      double wa = pa_d(a1, b0, n).d, wb = pa_d(a0, b1, n).d;
      CHECK_CLOSE_AT(W("oracle: d pa/da vs finite differences"), x, wa, fd2(pa_n, x, b, 0), RTOL_FD, ATOL_FD);
      CHECK_CLOSE_AT(W("oracle: d pa/db vs finite differences"), x, wb, fd2(pa_n, x, b, 1), RTOL_FD, ATOL_FD);
      Grad2 g = __enzyme_autodiff_2((void *)pa, x, b, n);
      CHECK_CLOSE_AT(W("reverse d pa/da"), x, g.da, wa, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(W("reverse d pa/db"), x, g.db, wb, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(W("reverse d pa/db (a const)"), x, __enzyme_autodiff((void *)pa, enzyme_const, x, b, n), wb, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(W("forward pa along (1, -2)"), x, __enzyme_fwddiff((void *)pa, x, 1.0, b, -2.0, n), wa - 2.0 * wb, RTOL_D, ATOL_D);
#undef W
    }
  }
  return check_report();
}
