// float outputs through a seeded duplicated pointer: out_i = x_i^2 * w_i + sqrtf(1 + x_i^2) with
// w enzyme_const; the seed is consumed, the input shadow accumulates (+=) onto nonzero values.
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

#define N 9

void softsq(const float *x, const float *w, float *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = x[i] * x[i] * w[i] + sqrtf(1.0f + x[i] * x[i]);
}

int main(void) {
  float x[N], w[N], dx[N], out[N], dout[N], seed[N], tx[N], tout[N];
  unsigned s = 77;
  for (int i = 0; i < N; i++) {
    x[i] = (float)prand(&s) * 2.0f;
    w[i] = (float)prand(&s);
    dx[i] = 0.5f;
    seed[i] = dout[i] = (float)prand(&s);
    tx[i] = (float)prand(&s);
  }
  __enzyme_autodiff((void *)softsq, x, dx, enzyme_const, w, out, dout, N);
  char what[128];
  for (int i = 0; i < N; i++) {
    double xi = x[i];
    double d = 2.0 * xi * w[i] + xi / sqrt(1.0 + xi * xi);
    snprintf(what, sizeof what, "reverse dx[%d] (onto 0.5)", i);
    CHECK_CLOSE(what, dx[i], 0.5 + seed[i] * d, RTOL_F, ATOL_F);
    snprintf(what, sizeof what, "seed dout[%d] consumed", i);
    CHECK_CLOSE(what, dout[i], 0.0, 0, 0);
  }
  __enzyme_fwddiff((void *)softsq, x, tx, enzyme_const, w, out, tout, N);
  for (int i = 0; i < N; i++) {
    double xi = x[i];
    double d = 2.0 * xi * w[i] + xi / sqrt(1.0 + xi * xi);
    snprintf(what, sizeof what, "forward tout[%d]", i);
    CHECK_CLOSE(what, tout[i], d * tx[i], RTOL_F, ATOL_F);
    snprintf(what, sizeof what, "primal out[%d]", i);
    CHECK_CLOSE(what, out[i], xi * xi * w[i] + sqrt(1.0 + xi * xi), RTOL_F, ATOL_F);
  }
  return check_report();
}
