// Batched modes with markers and types that were compile errors before: a small struct returned by
// value (its N tangents come back as N structs; in reverse mode every field of every lane is seeded
// with 1.0, Enzyme's convention; in split mode __enzyme_reverse takes one adjoint struct per lane),
// float (f32) lanes forward and reverse, enzyme_const arguments
// among batched ones, enzyme_dupnoneedv in split mode, and widths that are not powers of two
// (3, 5, 7). Oracles, each lane on its own: analytic derivatives and central finite differences.
#include "check.h"

extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_dupnoneedv, enzyme_out, enzyme_dup_return;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
void __enzyme_autodiff(void *, ...);

typedef struct { double re, im; } C;
typedef struct { C d[3]; } C3;
typedef struct { C primal; C d[5]; } PC5;
C __enzyme_fwddiff_c(void *, ...) __asm__("__enzyme_fwddiff");
C3 __enzyme_fwddiff_c3(void *, ...) __asm__("__enzyme_fwddiff");
PC5 __enzyme_fwddiff_pc5(void *, ...) __asm__("__enzyme_fwddiff");
typedef struct { double da, db; } G1;
G1 __enzyme_autodiff_g1(void *, ...) __asm__("__enzyme_autodiff");
typedef struct { double da[3], db[3]; } G3;
G3 __enzyme_autodiff_g3(void *, ...) __asm__("__enzyme_autodiff");
typedef struct { float d[7]; } F7;
F7 __enzyme_fwddiff_f7(void *, ...) __asm__("__enzyme_fwddiff");
typedef struct { float d[3]; } F3;
G1 __enzyme_reverse_g1(void *, ...) __asm__("__enzyme_reverse");
G3 __enzyme_reverse_g3(void *, ...) __asm__("__enzyme_reverse");
F3 __enzyme_autodiff_f3(void *, ...) __asm__("__enzyme_autodiff");

// A complex-like map returned by value: (a^2 - sin b, a e^b) scaled by a constant k.
static C cs(double a, double b, double k) {
  C c = {k * (a * a - sin(b)), k * a * exp(b)};
  return c;
}
// Through memory: the sum of x_i^2 and the product of neighbours, as a pair.
static C pair_of(const double *x, int n) {
  C c = {0, 0};
  for (int i = 0; i < n; i++) {
    c.re += x[i] * x[i];
    c.im += x[i] * x[(i + 1) % n];
  }
  return c;
}
// f32: a * x0 * sin(x1) + x2^3 / c.
static float ff(float a, const float *x, float c) { return a * x[0] * sinf(x[1]) + x[2] * x[2] * x[2] / c; }
// Split mode with an output given per lane by enzyme_dupnoneedv.
static void vf(const double *x, double k, double *y) {
  y[0] = x[0] * x[1] * k;
  y[1] = sin(x[0]) + k * x[2];
  y[2] = exp(x[1] - x[2]);
}

int main(void) {
  const double a = 0.7, b = -0.3, k = 1.5;
  // Forward, scalar and width 3: the tangent of a struct result, per lane.
  {
    C t = __enzyme_fwddiff_c((void *)cs, a, 1.0, b, 0.0, enzyme_const, k);
    CHECK_CLOSE("struct tangent re", t.re, k * 2 * a, RTOL_D, ATOL_D);
    CHECK_CLOSE("struct tangent im", t.im, k * exp(b), RTOL_D, ATOL_D);
    double da[3] = {1.0, 0.0, 2.0}, db[3] = {0.0, 1.0, 0.5};
    C3 r = __enzyme_fwddiff_c3((void *)cs, enzyme_width, 3, a, da[0], da[1], da[2], b, db[0], db[1], db[2], enzyme_const,
                               k);
    for (int l = 0; l < 3; l++) {
      CHECK_CLOSE("struct lanes re", r.d[l].re, k * (2 * a * da[l] - cos(b) * db[l]), RTOL_D, ATOL_D);
      CHECK_CLOSE("struct lanes im", r.d[l].im, k * (exp(b) * da[l] + a * exp(b) * db[l]), RTOL_D, ATOL_D);
    }
  }
  // Forward, width 5, through memory, with the primal first (enzyme_dup_return).
  {
    enum { N = 4 };
    double x[N] = {0.3, -0.8, 1.1, 0.5}, dx[5][N];
    for (int l = 0; l < 5; l++)
      for (int i = 0; i < N; i++) dx[l][i] = (i == l % N) ? 1.0 : 0.25 * ((l + i) % 3 - 1);
    PC5 r = __enzyme_fwddiff_pc5((void *)pair_of, enzyme_width, 5, enzyme_dup_return, enzyme_dupv, sizeof dx[0], x,
                                 dx[0], enzyme_const, N);
    C p = pair_of(x, N);
    CHECK_CLOSE("primal re", r.primal.re, p.re, RTOL_D, ATOL_D);
    CHECK_CLOSE("primal im", r.primal.im, p.im, RTOL_D, ATOL_D);
    for (int l = 0; l < 5; l++) {
      double xp[N], xm[N], e = 1e-6;
      for (int i = 0; i < N; i++) { xp[i] = x[i] + e * dx[l][i]; xm[i] = x[i] - e * dx[l][i]; }
      C cp = pair_of(xp, N), cm = pair_of(xm, N);
      CHECK_CLOSE("memory struct lanes re vs fd", r.d[l].re, (cp.re - cm.re) / (2 * e), RTOL_FD, ATOL_FD);
      CHECK_CLOSE("memory struct lanes im vs fd", r.d[l].im, (cp.im - cm.im) / (2 * e), RTOL_FD, ATOL_FD);
    }
  }
  // Reverse, scalar and width 3: the struct result seeded with 1.0 in every field (every lane).
  {
    double wa = k * (2 * a + exp(b)), wb = k * (-cos(b) + a * exp(b)); // d(re + im)/da, d/db
    G1 g = __enzyme_autodiff_g1((void *)cs, enzyme_out, a, enzyme_out, b, enzyme_const, k);
    CHECK_CLOSE("reverse struct d/da", g.da, wa, RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse struct d/db", g.db, wb, RTOL_D, ATOL_D);
    G3 r = __enzyme_autodiff_g3((void *)cs, enzyme_width, 3, enzyme_out, a, enzyme_out, b, enzyme_const, k);
    for (int l = 0; l < 3; l++) {
      CHECK_CLOSE("reverse struct lanes d/da", r.da[l], wa, RTOL_D, ATOL_D);
      CHECK_CLOSE("reverse struct lanes d/db", r.db[l], wb, RTOL_D, ATOL_D);
    }
    enum { N = 4 };
    double x[N] = {0.3, -0.8, 1.1, 0.5}, gx[3][N] = {{0}};
    __enzyme_autodiff((void *)pair_of, enzyme_width, 3, enzyme_dupv, sizeof gx[0], x, gx[0], enzyme_const, N);
    for (int l = 0; l < 3; l++)
      for (int i = 0; i < N; i++)
        CHECK_CLOSE("reverse memory struct lanes", gx[l][i], 2 * x[i] + x[(i + 1) % N] + x[(i + N - 1) % N], RTOL_D,
                    ATOL_D);
  }
  // Split mode of the struct result: __enzyme_reverse takes its adjoint (one struct per lane, as
  // one struct of N structs, or N structs, which the C ABI splits into scalars).
  for (int form = 0; form < 3; form++) {
    C3 w = {{{1, 0}, {0, 1}, {2, -1}}};
    int width = form == 0 ? 1 : 3;
    G1 g1 = {0, 0};
    G3 g3 = {{0}, {0}};
    if (form == 0) {
      void *t = __enzyme_augmentfwd((void *)cs, enzyme_out, a, enzyme_out, b, enzyme_const, k);
      g1 = __enzyme_reverse_g1((void *)cs, enzyme_out, a, enzyme_out, b, enzyme_const, k, w.d[2], t);
      g3.da[0] = g1.da;
      g3.db[0] = g1.db;
      w.d[0] = w.d[2];
    } else {
      void *t = __enzyme_augmentfwd((void *)cs, enzyme_width, 3, enzyme_out, a, enzyme_out, b, enzyme_const, k);
      if (form == 1)
        g3 = __enzyme_reverse_g3((void *)cs, enzyme_width, 3, enzyme_out, a, enzyme_out, b, enzyme_const, k, w, t);
      else
        g3 = __enzyme_reverse_g3((void *)cs, enzyme_width, 3, enzyme_out, a, enzyme_out, b, enzyme_const, k, w.d[0],
                                 w.d[1], w.d[2], t);
    }
    for (int l = 0; l < width; l++) {
      CHECK_CLOSE("split struct adjoint d/da", g3.da[l], k * (w.d[l].re * 2 * a + w.d[l].im * exp(b)), RTOL_D, ATOL_D);
      CHECK_CLOSE("split struct adjoint d/db", g3.db[l], k * (-w.d[l].re * cos(b) + w.d[l].im * a * exp(b)), RTOL_D,
                  ATOL_D);
    }
  }
  // f32 lanes: forward width 7 (enzyme_const among batched arguments), reverse width 3.
  {
    float x[3] = {0.5f, 1.2f, -0.7f}, dx[7][3], c = 2.0f;
    for (int l = 0; l < 7; l++)
      for (int i = 0; i < 3; i++) dx[l][i] = (i == l % 3) ? 1.0f : 0.5f * (float)((l + 2 * i) % 3 - 1);
    F7 t = __enzyme_fwddiff_f7((void *)ff, enzyme_width, 7, enzyme_const, 1.5f, enzyme_dupv, sizeof dx[0], x, dx[0],
                               enzyme_const, c);
    double gx0 = 1.5 * sin(1.2), gx1 = 1.5 * 0.5 * cos(1.2), gx2 = 3 * 0.49 / 2.0;
    for (int l = 0; l < 7; l++)
      CHECK_CLOSE("f32 forward lanes", t.d[l], gx0 * dx[l][0] + gx1 * dx[l][1] + gx2 * dx[l][2], RTOL_F, ATOL_F);
    float gx[3][3] = {{0}};
    F3 g = __enzyme_autodiff_f3((void *)ff, enzyme_width, 3, enzyme_out, 1.5f, enzyme_dupv, sizeof gx[0], x, gx[0],
                                enzyme_const, c);
    for (int l = 0; l < 3; l++) {
      CHECK_CLOSE("f32 reverse lanes d/da", g.d[l], 0.5 * sin(1.2), RTOL_F, ATOL_F);
      CHECK_CLOSE("f32 reverse lanes d/dx0", gx[l][0], gx0, RTOL_F, ATOL_F);
      CHECK_CLOSE("f32 reverse lanes d/dx1", gx[l][1], gx1, RTOL_F, ATOL_F);
      CHECK_CLOSE("f32 reverse lanes d/dx2", gx[l][2], gx2, RTOL_F, ATOL_F);
    }
  }
  // Split mode, width 5: enzyme_dupnoneedv for the output's seeds, enzyme_out and enzyme_const.
  {
    double x[3] = {0.4, -0.2, 0.9}, gx[5][3] = {{0}}, y[3], s[5][3], kk = 1.25;
    for (int l = 0; l < 5; l++)
      for (int i = 0; i < 3; i++) s[l][i] = (i == l % 3) ? 1.0 : 0.5 * (l - i) / 4.0;
    void *tape = __enzyme_augmentfwd((void *)vf, enzyme_width, 5, enzyme_dupv, sizeof gx[0], x, gx[0], enzyme_const, kk,
                                     enzyme_dupnoneedv, sizeof s[0], y, s[0]);
    __enzyme_reverse((void *)vf, enzyme_width, 5, enzyme_dupv, sizeof gx[0], x, gx[0], enzyme_const, kk,
                     enzyme_dupnoneedv, sizeof s[0], y, s[0], tape);
    for (int l = 0; l < 5; l++) {
      double w[3];
      for (int i = 0; i < 3; i++) w[i] = (i == l % 3) ? 1.0 : 0.5 * (l - i) / 4.0;
      double e = exp(x[1] - x[2]);
      CHECK_CLOSE("split dupnoneedv d/dx0", gx[l][0], w[0] * x[1] * kk + w[1] * cos(x[0]), RTOL_D, ATOL_D);
      CHECK_CLOSE("split dupnoneedv d/dx1", gx[l][1], w[0] * x[0] * kk + w[2] * e, RTOL_D, ATOL_D);
      CHECK_CLOSE("split dupnoneedv d/dx2", gx[l][2], w[1] * kk - w[2] * e, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
