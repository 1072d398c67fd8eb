// Batched (vector) forward and reverse mode (enzyme_width N): scalar tangents per lane, memory
// shadows given one by one and with enzyme_dupv (byte stride), the primal with enzyme_dup_return,
// and batched vector-Jacobian products; oracles: analytic gradients, finite differences along
// each direction, and the forward-vs-reverse dot-product test.
#include "check.h"
extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_dupnoneed, enzyme_dup_return;
typedef struct { double d[4]; } V4;
typedef struct { double d[3]; } V3;
typedef struct { double primal; double d[3]; } PV3;
V4 __enzyme_fwddiff_v4(void *, ...);
V3 __enzyme_fwddiff_v3(void *, ...);
PV3 __enzyme_fwddiff_pv3(void *, ...);
void __enzyme_fwddiff(void *, ...);
void __enzyme_autodiff(void *, ...);

// f: R^3 -> R (scalar arguments, tangents passed per lane).
static double f3(double x, double y, double z) { return sin(x) * y + exp(y * z) - x * z * z; }
// g: R^n -> R through memory.
static double g(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += x[i] * x[i] * (i + 1) + cos(x[i] * x[(i + 1) % n]);
  return s;
}
// h: R^n -> R^n, results written to memory it does not read.
static void h(const double *x, double *out, int n) {
  for (int i = 0; i < n; i++) out[i] = x[i] * x[(i + 1) % n] + sin(x[i]);
}
// An in-place update: batched lanes would see each other's writes.
static void inplace(double *x, int n) {
  for (int i = 0; i < n; i++) x[i] = x[i] * x[i];
}
static double g_fd(double *x, int n, const double *v) {
  double e = 1e-6, xp[8], xm[8];
  for (int i = 0; i < n; i++) { xp[i] = x[i] + e * v[i]; xm[i] = x[i] - e * v[i]; }
  return (g(xp, n) - g(xm, n)) / (2 * e);
}

int main(void) {
  char what[128];
  // Scalars: the 3 columns of the gradient of f3 in one call (width 3).
  double x = 0.7, y = -0.4, z = 1.3;
  V3 r = __enzyme_fwddiff_v3((void *)f3, enzyme_width, 3, x, 1.0, 0.0, 0.0, y, 0.0, 1.0, 0.0, z, 0.0, 0.0, 1.0);
  double want[3] = {cos(x) * y - z * z, sin(x) + z * exp(y * z), y * exp(y * z) - 2 * x * z};
  for (int k = 0; k < 3; k++) {
    snprintf(what, sizeof what, "f3 lane %d", k);
    CHECK_CLOSE(what, r.d[k], want[k], RTOL_D, ATOL_D);
  }
  PV3 pr = __enzyme_fwddiff_pv3((void *)f3, enzyme_width, 3, enzyme_dup_return, x, 1.0, 0.0, 0.0, y, 0.0, 1.0, 0.0, z, 0.0, 0.0, 1.0);
  CHECK_CLOSE("f3 primal with enzyme_dup_return", pr.primal, f3(x, y, z), RTOL_D, ATOL_D);
  for (int k = 0; k < 3; k++) CHECK_CLOSE("f3 lane with primal", pr.d[k], want[k], RTOL_D, ATOL_D);

  // Memory: 4 directions at once, shadows given one by one and with enzyme_dupv.
  enum { N = 5 };
  double xs[N] = {0.3, -0.8, 1.1, 0.5, -1.4};
  double dirs[4][N];
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < N; i++) dirs[k][i] = (i == k) ? 1.0 : 0.25 * (k - i);
  V4 t = __enzyme_fwddiff_v4((void *)g, enzyme_width, 4, enzyme_dup, xs, dirs[0], dirs[1], dirs[2], dirs[3], enzyme_const, N);
  V4 tv = __enzyme_fwddiff_v4((void *)g, enzyme_width, 4, enzyme_dupv, sizeof dirs[0], xs, dirs[0], enzyme_const, N);
  for (int k = 0; k < 4; k++) {
    snprintf(what, sizeof what, "g direction %d", k);
    CHECK_CLOSE(what, t.d[k], g_fd(xs, N, dirs[k]), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("enzyme_dupv agrees", tv.d[k], t.d[k], RTOL_D, ATOL_D);
  }

  // Jacobian-matrix product of h: out tangents per lane.
  double out[N], dout[4][N];
  __enzyme_fwddiff((void *)h, enzyme_width, 4, enzyme_dupv, sizeof dirs[0], xs, dirs[0], enzyme_dupv,
                   sizeof dout[0], out, dout[0], enzyme_const, N);
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < N; i++) {
      int j = (i + 1) % N;
      double w = dirs[k][i] * (xs[j] + cos(xs[i])) + dirs[k][j] * xs[i];
      CHECK_CLOSE("h tangent", dout[k][i], w, RTOL_D, ATOL_D);
    }
  for (int i = 0; i < N; i++) CHECK_CLOSE("h primal", out[i], xs[i] * xs[(i + 1) % N] + sin(xs[i]), RTOL_D, ATOL_D);

  // Reverse, batched: two vector-Jacobian products of h (seeds in dout, adjoints into dx).
  double seeds[2][N], dx[2][N];
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < N; i++) { seeds[k][i] = 1.0 + k * i; dx[k][i] = 0; }
  __enzyme_autodiff((void *)h, enzyme_width, 2, enzyme_dup, xs, dx[0], dx[1], enzyme_dup, out, seeds[0], seeds[1],
                    enzyme_const, N);
  // Oracle: <J^T s, v> = <s, J v> with the forward tangents above (v = dirs[k]).
  for (int k = 0; k < 2; k++) {
    double s[N];
    for (int i = 0; i < N; i++) s[i] = 1.0 + k * i;
    for (int m = 0; m < 4; m++) {
      double lhs = 0, rhs = 0;
      for (int i = 0; i < N; i++) { lhs += dx[k][i] * dirs[m][i]; rhs += s[i] * dout[m][i]; }
      CHECK_CLOSE("reverse lane vs forward (dot-product test)", lhs, rhs, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
