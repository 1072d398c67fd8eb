// Batched reverse mode (width 4, one derivative) through memory operations: memcpy into a stack
// array and of a struct, memset, a heap buffer grown with realloc, an enzyme_out scalar whose
// adjoints come back per lane. Oracles, each lane on its own: the scalar reverse mode with the
// lane's seed, and the dot-product test against central finite differences.
#include "check.h"
#include <stdlib.h>
#include <string.h>
extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_dupnoneed, enzyme_dupnoneedv,
    enzyme_out;
typedef struct { double a[4]; } G4;
G4 __enzyme_autodiff_g4(void *, ...);
typedef struct { double a; } G1;
G1 __enzyme_autodiff_g1(void *, ...);

struct P { double x, y; int tag; };
enum { N = 6 };

static void f(const double *in, double t, double *out, int n) {
  double tmp[8];
  memcpy(tmp, in, n * sizeof *in);
  double *h = malloc(2 * sizeof *h);
  h[0] = t;
  h[1] = t * t;
  h = realloc(h, n * sizeof *h);
  for (int i = 2; i < n; i++) h[i] = tmp[i] * h[i - 1];
  struct P p = {tmp[0], tmp[1] * t, 3}, q;
  memcpy(&q, &p, sizeof q);
  memset(tmp, 0, sizeof tmp);
  for (int i = 0; i < n; i++) out[i] = h[i] * q.x + sin(q.y) + tmp[i];
  free(h);
}

int main(void) {
  double in[N] = {0.3, 0.7, -0.5, 1.2, 0.9, -0.4}, out[N], t = 0.8;
  double din[4][N] = {{0}}, s[4][N];
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < N; i++) s[k][i] = 1.0 + k - 0.3 * i;
  G4 g = __enzyme_autodiff_g4((void *)f, enzyme_width, 4, enzyme_dupv, sizeof din[0], in, din[0], enzyme_out, t,
                              enzyme_dupnoneedv, sizeof s[0], out, s[0], enzyme_const, N);
  for (int k = 0; k < 4; k++) {
    double sd[N], sg[N] = {0}, w[N];
    for (int i = 0; i < N; i++) w[i] = sd[i] = 1.0 + k - 0.3 * i;
    G1 r = __enzyme_autodiff_g1((void *)f, enzyme_dup, in, sg, enzyme_out, t, enzyme_dupnoneed, out, sd,
                                enzyme_const, N);
    CHECK_CLOSE("d/dt lane vs scalar reverse", g.a[k], r.a, RTOL_D, ATOL_D);
    for (int i = 0; i < N; i++) CHECK_CLOSE("d/din lane vs scalar reverse", din[k][i], sg[i], RTOL_D, ATOL_D);
    // <grad, v> + dt * vt = <w, (f(x + e v) - f(x - e v)) / 2e>
    double v[N], vt = 0.5 - 0.25 * k, e = 1e-6, xp[N], xm[N], yp[N], ym[N], lhs = g.a[k] * vt, rhs = 0;
    for (int i = 0; i < N; i++) {
      v[i] = (i == k) ? 1.0 : 0.1 * (i % 3 - 1);
      xp[i] = in[i] + e * v[i];
      xm[i] = in[i] - e * v[i];
      lhs += din[k][i] * v[i];
    }
    f(xp, t + e * vt, yp, N);
    f(xm, t - e * vt, ym, N);
    for (int i = 0; i < N; i++) rhs += w[i] * (yp[i] - ym[i]) / (2 * e);
    CHECK_CLOSE("dot-product test vs finite differences", lhs, rhs, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
