// Split reverse mode: ONE __enzyme_augmentfwd (primal + tape), then several __enzyme_reverse
// calls on that tape with different seeds, all but the last with enzyme_nofree (the tape stays
// valid); the last one frees the tape (no free(tape) here: split_two_seeds_asan.c checks with
// LeakSanitizer that nothing leaks and nothing is freed twice). Between the reverse calls the
// shadows are read and zeroed.
// - f(x, n): scalar result of an array, seeds 1 and -2.5 (dx = seed * gradient);
// - vg(x, y): vector result y = (x0 x1, sin x0 + x2^2, exp(x1 - x2)) through a duplicated
//   output, seeds dy = e_0, e_1, e_2 one after the other: the three rows of the Jacobian from one
//   forward run; each reverse consumes dy (zero afterwards);
// - h(a, b): two active scalars, returned as a struct, seeds 1 and 3.
// Against analytic gradients (checked against central finite differences).
// RUN: clang opt
#include "check.h"

extern int enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
typedef struct {
  double da, db;
} Grad2;
Grad2 __enzyme_reverse_2(void *, ...) __asm__("__enzyme_reverse");

double f(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i + 1 < n; i++)
    s += sin(x[i]) * x[i + 1];
  for (int i = 0; i < n; i++)
    s += 0.5 * x[i] * x[i];
  return s;
}
static void f_grad(const double *x, int n, double *g) {
  for (int i = 0; i < n; i++)
    g[i] = x[i];
  for (int i = 0; i + 1 < n; i++) {
    g[i] += cos(x[i]) * x[i + 1];
    g[i + 1] += sin(x[i]);
  }
}
static double f_packed(const double *x, const void *c) { return f(x, *(const int *)c); }

void vg(const double *x, double *y) {
  y[0] = x[0] * x[1];
  y[1] = sin(x[0]) + x[2] * x[2];
  y[2] = exp(x[1] - x[2]);
}
static double vg_row(const double *x, const void *c) {
  double y[3];
  vg(x, y);
  return y[*(const int *)c];
}

double h(double a, double b) { return a * exp(b) + sin(a * b); }

int main(void) {
  unsigned s = 17;
  for (int t = 0; t < 3; t++) {
    /* f */
    int n = 5 + t;
    double x[8], dx[8] = {0}, g[8], g1[8];
    for (int i = 0; i < n; i++)
      x[i] = 1.5 * prand(&s);
    f_grad(x, n, g);
    CHECK_GRAD_FD("oracle: f vs finite differences", f_packed, &n, x, n, g, RTOL_FD, ATOL_FD);
    void *tape = __enzyme_augmentfwd((void *)f, x, dx, n);
    __enzyme_reverse((void *)f, x, dx, n, 1.0, enzyme_nofree, tape);
    CHECK_ARRAY_CLOSE("f: first reverse (seed 1, enzyme_nofree)", dx, g, n, RTOL_D, ATOL_D);
    memset(dx, 0, sizeof dx);
    __enzyme_reverse((void *)f, x, dx, n, -2.5, tape); /* frees the tape */
    for (int i = 0; i < n; i++)
      g1[i] = -2.5 * g[i];
    CHECK_ARRAY_CLOSE("f: second reverse (seed -2.5) on the same tape", dx, g1, n, RTOL_D, ATOL_D);

    /* vg: the Jacobian row by row */
    double xv[3] = {prand(&s), prand(&s), prand(&s)}, y[3] = {0, 0, 0}, dxv[3] = {0, 0, 0}, dy[3] = {0, 0, 0};
    double J[3][3] = {{xv[1], xv[0], 0.0},
                      {cos(xv[0]), 0.0, 2.0 * xv[2]},
                      {0.0, exp(xv[1] - xv[2]), -exp(xv[1] - xv[2])}};
    void *vt = __enzyme_augmentfwd((void *)vg, xv, dxv, y, dy);
    CHECK_CLOSE("vg: primal y0 from the augmented forward", y[0], xv[0] * xv[1], RTOL_D, ATOL_D);
    CHECK_CLOSE("vg: primal y2 from the augmented forward", y[2], exp(xv[1] - xv[2]), RTOL_D, ATOL_D);
    for (int r = 0; r < 3; r++) {
      CHECK_GRAD_FD("oracle: Jacobian row vs finite differences", vg_row, &r, xv, 3, J[r], RTOL_FD, ATOL_FD);
      memset(dxv, 0, sizeof dxv);
      memset(dy, 0, sizeof dy);
      dy[r] = 1.0;
      if (r < 2)
        __enzyme_reverse((void *)vg, xv, dxv, y, dy, enzyme_nofree, vt);
      else
        __enzyme_reverse((void *)vg, xv, dxv, y, dy, vt);
      CHECK_ARRAY_CLOSE("vg: Jacobian row from one reverse", dxv, J[r], 3, RTOL_D, ATOL_D);
      CHECK_TRUE("vg: the reverse consumed the seed (dy zero afterwards)", dy[0] == 0.0 && dy[1] == 0.0 && dy[2] == 0.0);
    }

    /* h: two active scalars */
    double a = prand(&s), b = prand(&s);
    double ha = exp(b) + cos(a * b) * b, hb = a * exp(b) + cos(a * b) * a;
    CHECK_CLOSE("oracle: dh/da vs finite differences", ha, fd2(h, a, b, 0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("oracle: dh/db vs finite differences", hb, fd2(h, a, b, 1), RTOL_FD, ATOL_FD);
    void *ht = __enzyme_augmentfwd((void *)h, a, b);
    Grad2 r1 = __enzyme_reverse_2((void *)h, a, b, 1.0, enzyme_nofree, ht);
    Grad2 r3 = __enzyme_reverse_2((void *)h, a, b, 3.0, ht);
    CHECK_CLOSE("h: da, seed 1", r1.da, ha, RTOL_D, ATOL_D);
    CHECK_CLOSE("h: db, seed 1", r1.db, hb, RTOL_D, ATOL_D);
    CHECK_CLOSE("h: da, seed 3", r3.da, 3.0 * ha, RTOL_D, ATOL_D);
    CHECK_CLOSE("h: db, seed 3", r3.db, 3.0 * hb, RTOL_D, ATOL_D);
  }
  return check_report();
}
