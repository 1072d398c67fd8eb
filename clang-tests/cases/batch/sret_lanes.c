// Forward mode of functions returning a struct too large for registers (the C ABI returns it
// through a hidden sret pointer): the call gets the tangent struct, or with enzyme_width N the N
// tangent structs (one per lane), with enzyme_dup_return the primal struct first. Scalar and
// memory arguments, a loop with a runtime trip count, widths 1, 3 and 5. Reverse mode (width 1)
// takes the result's adjoint buffer right after the function (Enzyme's convention) and consumes
// it. Oracles: analytic tangents, central finite differences along each lane's direction, and
// the dot-product test between forward and reverse.
#include "check.h"

extern int enzyme_width, enzyme_dup_return, enzyme_dupv, enzyme_const;
typedef struct { double x, y, z; } V;
typedef struct { V d[3]; } V3;
typedef struct { V primal; V d[5]; } PV5;
typedef struct { double da, db; } G;
G __enzyme_autodiff_g(void *, ...) __asm__("__enzyme_autodiff");
void __enzyme_autodiff(void *, ...);
extern int enzyme_out, enzyme_dup;
V __enzyme_fwddiff_v(void *, ...) __asm__("__enzyme_fwddiff");
V3 __enzyme_fwddiff_v3(void *, ...) __asm__("__enzyme_fwddiff");
PV5 __enzyme_fwddiff_pv5(void *, ...) __asm__("__enzyme_fwddiff");

static V vf(double a, double b) {
  V v = {a * b, sin(a), b * b * exp(-a)};
  return v;
}
// Moments of a weighted vector: (sum w x, sum w x^2, max-free smooth norm).
__attribute__((noinline)) static V moments(const double *x, const double *w, int n) {
  V m = {0, 0, 0};
  for (int i = 0; i < n; i++) {
    m.x += w[i] * x[i];
    m.y += w[i] * x[i] * x[i];
  }
  m.z = sqrt(m.y + 1.0) * m.x;
  return m;
}

int main(void) {
  const double a = 0.7, b = 1.5;
  {
    V t = __enzyme_fwddiff_v((void *)vf, a, 1.0, b, 0.0);
    CHECK_CLOSE("sret tangent x", t.x, b, RTOL_D, ATOL_D);
    CHECK_CLOSE("sret tangent y", t.y, cos(a), RTOL_D, ATOL_D);
    CHECK_CLOSE("sret tangent z", t.z, -b * b * exp(-a), RTOL_D, ATOL_D);
  }
  {
    double da[3] = {1.0, 0.0, 2.0}, db[3] = {0.0, 1.0, -0.5};
    V3 r = __enzyme_fwddiff_v3((void *)vf, enzyme_width, 3, a, da[0], da[1], da[2], b, db[0], db[1], db[2]);
    for (int l = 0; l < 3; l++) {
      CHECK_CLOSE("sret lanes x", r.d[l].x, b * da[l] + a * db[l], RTOL_D, ATOL_D);
      CHECK_CLOSE("sret lanes y", r.d[l].y, cos(a) * da[l], RTOL_D, ATOL_D);
      CHECK_CLOSE("sret lanes z", r.d[l].z, exp(-a) * (2 * b * db[l] - b * b * da[l]), RTOL_D, ATOL_D);
    }
  }
  {
    enum { N = 6 };
    double x[N] = {0.3, -0.8, 1.1, 0.5, -1.4, 0.9}, w[N] = {1, 0.5, 2, 1.5, 0.25, 1}, dx[5][N];
    for (int l = 0; l < 5; l++)
      for (int i = 0; i < N; i++) dx[l][i] = (i == l) ? 1.0 : 0.2 * ((l + i) % 3 - 1);
    PV5 r = __enzyme_fwddiff_pv5((void *)moments, enzyme_width, 5, enzyme_dup_return, enzyme_dupv, sizeof dx[0], x,
                                 dx[0], enzyme_const, w, enzyme_const, N);
    V m = moments(x, w, N);
    CHECK_CLOSE("primal x", r.primal.x, m.x, RTOL_D, ATOL_D);
    CHECK_CLOSE("primal y", r.primal.y, m.y, RTOL_D, ATOL_D);
    CHECK_CLOSE("primal z", r.primal.z, m.z, RTOL_D, ATOL_D);
    for (int l = 0; l < 5; l++) {
      double xp[N], xm[N], e = 1e-6;
      for (int i = 0; i < N; i++) { xp[i] = x[i] + e * dx[l][i]; xm[i] = x[i] - e * dx[l][i]; }
      V p = moments(xp, w, N), q = moments(xm, w, N);
      CHECK_CLOSE("memory sret lanes x vs fd", r.d[l].x, (p.x - q.x) / (2 * e), RTOL_FD, ATOL_FD);
      CHECK_CLOSE("memory sret lanes y vs fd", r.d[l].y, (p.y - q.y) / (2 * e), RTOL_FD, ATOL_FD);
      CHECK_CLOSE("memory sret lanes z vs fd", r.d[l].z, (p.z - q.z) / (2 * e), RTOL_FD, ATOL_FD);
    }
  }
  // Reverse mode: <w, J v> = <J^T w, v> against the forward lanes above, and analytic.
  {
    V w = {1.0, -2.0, 0.5};
    G g = __enzyme_autodiff_g((void *)vf, &w, enzyme_out, a, enzyme_out, b);
    CHECK_CLOSE("reverse sret d/da", g.da, 1.0 * b - 2.0 * cos(a) - 0.5 * b * b * exp(-a), RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse sret d/db", g.db, 1.0 * a + 0.5 * 2 * b * exp(-a), RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse sret consumes the seed", fabs(w.x) + fabs(w.y) + fabs(w.z), 0.0, 0.0, 0.0);
    enum { N = 6 };
    double x[N] = {0.3, -0.8, 1.1, 0.5, -1.4, 0.9}, wt[N] = {1, 0.5, 2, 1.5, 0.25, 1}, gx[N] = {0};
    V s = {0.5, -1.0, 2.0}, s0 = s;
    __enzyme_autodiff((void *)moments, &s, enzyme_dup, x, gx, enzyme_const, wt, enzyme_const, N);
    for (int l = 0; l < 3; l++) {
      double v[N], xp[N], xm[N], e = 1e-6, lhs = 0;
      for (int i = 0; i < N; i++) v[i] = (i == l) ? 1.0 : 0.3 * ((l + 2 * i) % 3 - 1);
      V t = __enzyme_fwddiff_v((void *)moments, enzyme_dup, x, v, enzyme_const, wt, enzyme_const, N);
      for (int i = 0; i < N; i++) { lhs += gx[i] * v[i]; xp[i] = x[i] + e * v[i]; xm[i] = x[i] - e * v[i]; }
      V p = moments(xp, wt, N), q = moments(xm, wt, N);
      double fwd = s0.x * t.x + s0.y * t.y + s0.z * t.z;
      double fd = (s0.x * (p.x - q.x) + s0.y * (p.y - q.y) + s0.z * (p.z - q.z)) / (2 * e);
      CHECK_CLOSE("reverse sret vs forward (dot product)", lhs, fwd, RTOL_D, ATOL_D);
      CHECK_CLOSE("reverse sret vs finite differences", lhs, fd, RTOL_FD, ATOL_FD);
    }
  }
  return check_report();
}
