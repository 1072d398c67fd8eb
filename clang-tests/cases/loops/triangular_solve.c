// Forward substitution L y = b done IN PLACE on b (b_i -= L_ij b_j for j < i; b_i /= L_ii):
// a triangular loop nest that overwrites memory the reverse sweep needs. Reverse with b's shadow
// as the seed w: the gradients are dL = -(L^-T w) y^T (lower part) and db = L^-T w.
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");

void trsv(const double *L, double *b, int n) {
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < i; j++)
      b[i] -= L[i * n + j] * b[j];
    b[i] /= L[i * n + i];
  }
}
#define N 5
double trsv_loss(const double *L, const double *b0, int n) {
  double b[N];
  memcpy(b, b0, sizeof(double) * (size_t)n);
  trsv(L, b, n);
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += (1.0 + i) * b[i] * b[i];
  return s;
}
static double loss_p(const double *p, const void *c) { (void)c; return trsv_loss(p, p + N * N, N); }

int main(void) {
  double p[N * N + N];
  unsigned s = 8;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      p[i * N + j] = j < i ? 0.5 * prand(&s) : (j == i ? 2.0 + prand(&s) * 0.5 : 0.0);
  for (int i = 0; i < N; i++)
    p[N * N + i] = prand(&s);
  const double *L = p;
  double y[N], w[N], dy[N], dL[N * N] = {0};
  memcpy(y, p + N * N, sizeof y);
  for (int i = 0; i < N; i++)
    w[i] = dy[i] = 1.0 + 0.3 * i;
  __enzyme_autodiff((void *)trsv, L, dL, y, dy, N);
  // y now holds the solution; z = L^-T w by back substitution
  double z[N];
  for (int i = N - 1; i >= 0; i--) {
    double t = w[i];
    for (int j = i + 1; j < N; j++)
      t -= L[j * N + i] * z[j];
    z[i] = t / L[i * N + i];
  }
  CHECK_ARRAY_CLOSE("reverse db = L^-T w (in the shadow of b)", dy, z, N, 1e-10, 1e-12);
  char what[128];
  for (int i = 0; i < N; i++)
    for (int j = 0; j <= i; j++) {
      snprintf(what, sizeof what, "reverse dL[%d][%d] = -z_i y_j", i, j);
      CHECK_CLOSE(what, dL[i * N + j], -z[i] * y[j], 1e-10, 1e-12);
    }
  for (int i = 0; i < N; i++) {
    double r = 0.0;
    for (int j = 0; j <= i; j++)
      r += L[i * N + j] * y[j];
    CHECK_CLOSE("primal: L y = b", r, p[N * N + i], 1e-12, 1e-12);
  }
  double g[N * N + N] = {0};
  __enzyme_autodiff_d((void *)trsv_loss, L, g, p + N * N, g + N * N, N);
  CHECK_GRAD_FD("reverse loss gradient (L then b)", loss_p, NULL, p, N * N + N, g, RTOL_FD, ATOL_FD);
  // forward: tangent of the solution for a perturbation of b only equals L^-1 tb
  double y2[N], ty[N], tL[N * N] = {0};
  memcpy(y2, p + N * N, sizeof y2);
  for (int i = 0; i < N; i++)
    ty[i] = prand(&s);
  double tb[N];
  memcpy(tb, ty, sizeof tb);
  __enzyme_fwddiff((void *)trsv, L, tL, y2, ty, N);
  double want[N];
  memcpy(want, tb, sizeof want);
  trsv(L, want, N);
  CHECK_ARRAY_CLOSE("forward: tangent of the solution = L^-1 tb", ty, want, N, 1e-10, 1e-12);
  return check_report();
}
