// A GRU recurrent network over a sequence in single precision, as an embedded-ML user writes it:
// float weights in one flat malloc'd parameter vector sliced by offsets, sigmoid/tanh gates
// (expf, tanhf), the hidden state carried in a two-row ping-pong buffer, a per-step linear
// readout and a squared loss accumulated in float and written through a float pointer (seeded
// with enzyme_dupnoneed and 1.0f, as users do to avoid varargs float promotion). Reverse mode gives the
// gradient of the loss with respect to all parameters and the input sequence; forward mode
// checks a direction. Tolerances are single-precision ones.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences in
// double of the float program (RTOL_FDF), forward vs reverse.
#include "check.h"
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
float __enzyme_fwddiff(void *, ...);

enum { NIN = 3, NH = 5, T = 10 };
enum {
  OFF_WZ = 0,
  OFF_UZ = OFF_WZ + NH * NIN,
  OFF_BZ = OFF_UZ + NH * NH,
  OFF_WR = OFF_BZ + NH,
  OFF_UR = OFF_WR + NH * NIN,
  OFF_BR = OFF_UR + NH * NH,
  OFF_WH = OFF_BR + NH,
  OFF_UH = OFF_WH + NH * NIN,
  OFF_BH = OFF_UH + NH * NH,
  OFF_V = OFF_BH + NH,
  NPARAM = OFF_V + NH
};

static float sigm(float z) { return 1.0f / (1.0f + expf(-z)); }

static void matvec(const float *W, const float *x, int rows, int cols, float *out) {
  for (int i = 0; i < rows; i++) {
    float s = 0.0f;
    for (int j = 0; j < cols; j++) s += W[i * cols + j] * x[j];
    out[i] = s;
  }
}

void gru_loss(const float *p, const float *xs, const float *targets, float *loss) {
  float h[2][NH], a[NH], b[NH], z[NH], r[NH], rh[NH], c[NH];
  memset(h, 0, sizeof h);
  float L = 0.0f;
  for (int t = 0; t < T; t++) {
    const float *x = xs + t * NIN;
    float *hp = h[t & 1], *hn = h[(t + 1) & 1];
    matvec(p + OFF_WZ, x, NH, NIN, a);
    matvec(p + OFF_UZ, hp, NH, NH, b);
    for (int i = 0; i < NH; i++) z[i] = sigm(a[i] + b[i] + p[OFF_BZ + i]);
    matvec(p + OFF_WR, x, NH, NIN, a);
    matvec(p + OFF_UR, hp, NH, NH, b);
    for (int i = 0; i < NH; i++) r[i] = sigm(a[i] + b[i] + p[OFF_BR + i]), rh[i] = r[i] * hp[i];
    matvec(p + OFF_WH, x, NH, NIN, a);
    matvec(p + OFF_UH, rh, NH, NH, b);
    for (int i = 0; i < NH; i++) c[i] = tanhf(a[i] + b[i] + p[OFF_BH + i]);
    for (int i = 0; i < NH; i++) hn[i] = (1.0f - z[i]) * hp[i] + z[i] * c[i];
    float y = 0.0f;
    for (int i = 0; i < NH; i++) y += p[OFF_V + i] * hn[i];
    float e = y - targets[t];
    L += e * e;
  }
  *loss = L / T;
}

static double loss_of(const float *p, const float *xs, const float *tg) {
  float l;
  gru_loss(p, xs, tg, &l);
  return l;
}

int main(void) {
  float *p = malloc(NPARAM * sizeof(float)), *dp = calloc(NPARAM, sizeof(float));
  float xs[T * NIN], dxs[T * NIN], tg[T];
  unsigned st = 8;
  for (int i = 0; i < NPARAM; i++) p[i] = (float)(0.5 * prand(&st));
  for (int i = 0; i < T * NIN; i++) xs[i] = (float)prand(&st);
  for (int t = 0; t < T; t++) tg[t] = (float)(0.5 * sin(0.6 * t));
  memset(dxs, 0, sizeof dxs);
  float loss, dloss = 1.0f;
  __enzyme_autodiff((void *)gru_loss, enzyme_dup, p, dp, enzyme_dup, xs, dxs, enzyme_const, tg, enzyme_dupnoneed,
                    &loss, &dloss);
  CHECK_CLOSE("primal", loss, loss_of(p, xs, tg), 1e-6, 1e-7);
  for (int i = 0; i < NPARAM; i++) {
    double h = 1e-2f;
    double fd = FD_AT(p[i], h, loss_of(p, xs, tg));
    CHECK_CLOSE("dL/dp", dp[i], fd, 2e-2, 2e-3);
  }
  for (int i = 0; i < T * NIN; i++)
    CHECK_CLOSE("dL/dx", dxs[i], FD_AT(xs[i], 1e-2f, loss_of(p, xs, tg)), 2e-2, 2e-3);
  float *tp = malloc(NPARAM * sizeof(float)), tx[T * NIN] = {0}, lo, tl;
  double want = 0.0;
  for (int i = 0; i < NPARAM; i++) tp[i] = (float)cos(0.37 * i), want += (double)tp[i] * dp[i];
  __enzyme_fwddiff((void *)gru_loss, enzyme_dup, p, tp, enzyme_dup, xs, tx, enzyme_const, tg, enzyme_dup, &lo, &tl);
  CHECK_CLOSE("forward vs reverse", tl, want, RTOL_F * 10, ATOL_F * 10);
  free(p), free(dp), free(tp);
  return check_report();
}
