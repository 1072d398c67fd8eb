// The same helper called several times from one function with different activities: a scalar
// helper once with an active argument and once with constant ones, and a pointer helper with
// (active, constant), (constant, constant) and (active, active) arguments. Reverse with the
// scalar parameter active and enzyme_const, and forward mode, against the analytic gradient
// (itself checked against finite differences). twice_noinline.c: same with -ferment-no-inline
// (one augmented/reverse pair per activity pattern).
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double h(double a, double b) { return a * a * b + sin(a) * b * b; }
__attribute__((noinline)) double dotw(const double *a, const double *w, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += a[i] * w[i] * w[i];
  return s;
}

static const double W[3] = {0.5, -1.25, 2.0};

double twice_f(const double *x, double c) {
  double wl[3] = {W[0] + c, W[1], W[2] * c}; /* depends on c only */
  return h(x[0], c) + h(c, 2.0) * x[1]      /* active first argument; then all constant */
         + dotw(x, W, 3) * dotw(wl, wl, 3)  /* (active, const) and (const, const) */
         + dotw(x, x, 3);                   /* (active, active) */
}

static double h_a(double a, double b) { return 2.0 * a * b + cos(a) * b * b; }
static double h_b(double a, double b) { return a * a + 2.0 * sin(a) * b; }

/* analytic gradient: g[0..2] = dF/dx, g[3] = dF/dc */
static void grad(const double *x, double c, double *g) {
  double wl[3] = {W[0] + c, W[1], W[2] * c};
  double D = wl[0] * wl[0] * wl[0] + wl[1] * wl[1] * wl[1] + wl[2] * wl[2] * wl[2];
  double dD = 3.0 * wl[0] * wl[0] + 3.0 * wl[2] * wl[2] * W[2];
  double xw = x[0] * W[0] * W[0] + x[1] * W[1] * W[1] + x[2] * W[2] * W[2];
  g[0] = h_a(x[0], c) + W[0] * W[0] * D + 3.0 * x[0] * x[0];
  g[1] = h(c, 2.0) + W[1] * W[1] * D + 3.0 * x[1] * x[1];
  g[2] = W[2] * W[2] * D + 3.0 * x[2] * x[2];
  g[3] = h_b(x[0], c) + h_a(c, 2.0) * x[1] + xw * dD;
}

static double packed(const double *p, const void *ctx) {
  (void)ctx;
  return twice_f(p, p[3]);
}

int main(void) {
  unsigned s = 7;
  for (int t = 0; t < 4; t++) {
    double p[4];
    for (int i = 0; i < 4; i++)
      p[i] = 1.2 * prand(&s);
    double c = p[3], want[4];
    grad(p, c, want);
    CHECK_GRAD_FD("oracle vs finite differences", packed, NULL, p, 4, want, RTOL_FD, ATOL_FD);

    double dx[3] = {0, 0, 0};
    double dc = __enzyme_autodiff((void *)twice_f, p, dx, c);
    CHECK_ARRAY_CLOSE("reverse dx (c active)", dx, want, 3, RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse dc (c active)", dc, want[3], RTOL_D, ATOL_D);

    double dx2[3] = {0, 0, 0};
    __enzyme_autodiff_v((void *)twice_f, p, dx2, enzyme_const, c);
    CHECK_ARRAY_CLOSE("reverse dx (c enzyme_const)", dx2, want, 3, RTOL_D, ATOL_D);

    double v[3] = {0.3, -0.7, 1.1};
    double fw = __enzyme_fwddiff((void *)twice_f, p, v, c, 0.9);
    CHECK_CLOSE("forward along (v, 0.9)", fw, dotv(v, want, 3) + 0.9 * want[3], RTOL_D, ATOL_D);
    double fw0 = __enzyme_fwddiff((void *)twice_f, p, v, c, 0.0);
    CHECK_CLOSE("forward along (v, 0)", fw0, dotv(v, want, 3), RTOL_D, ATOL_D);
  }
  return check_report();
}
