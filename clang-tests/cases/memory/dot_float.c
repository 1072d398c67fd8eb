// float dot product with a float nonlinearity: sum_i x_i * y_i + sinf(x_i) * 0.5f over float arrays.
// Reverse gradients accumulate into float shadows; forward tangent vs the reverse gradient; both
// against a double analytic oracle and float finite differences.
#include "check.h"

void __enzyme_autodiff(void *, ...);
float __enzyme_fwddiff(void *, ...);

#define N 12

float dotf(const float *x, const float *y, int n) {
  float s = 0.0f;
  for (int i = 0; i < n; i++)
    s += x[i] * y[i] + sinf(x[i]) * 0.5f;
  return s;
}
static float dotf_packed(const float *xy, const void *ctx) {
  (void)ctx;
  return dotf(xy, xy + N, N);
}

int main(void) {
  float xy[2 * N], dxy[2 * N], txy[2 * N];
  unsigned seed = 3;
  for (int i = 0; i < 2 * N; i++) {
    xy[i] = (float)prand(&seed);
    dxy[i] = 1.0f; // gradient is added onto 1
    txy[i] = (float)prand(&seed);
  }
  float *x = xy, *y = xy + N;
  __enzyme_autodiff((void *)dotf, enzyme_dup, x, dxy, enzyme_dup, y, dxy + N, enzyme_const, N);
  char what[128];
  double dirv = 0.0;
  for (int i = 0; i < 2 * N; i++) {
    double want = i < N ? (double)y[i] + 0.5 * cos((double)x[i]) : (double)x[i - N];
    snprintf(what, sizeof what, "reverse float shadow [%d] - 1", i);
    CHECK_CLOSE(what, (double)dxy[i] - 1.0, want, RTOL_F, ATOL_F);
    snprintf(what, sizeof what, "oracle: analytic [%d] vs float finite differences", i);
    CHECK_CLOSE(what, want, fdvcf(dotf_packed, NULL, xy, 2 * N, i), RTOL_FDF, ATOL_FDF);
    dirv += want * (double)txy[i];
  }
  float t = __enzyme_fwddiff((void *)dotf, enzyme_dup, x, txy, enzyme_dup, y, txy + N, enzyme_const, N);
  CHECK_CLOSE("forward float tangent vs gradient . direction", t, dirv, 1e-4, 1e-5);
  return check_report();
}
