// Matrix-vector product on flat row-major arrays, y = A x (m x n, runtime sizes), output through
// a duplicated pointer whose shadow holds the seed: reverse gives dA += dy x^T, dx += A^T dy and
// consumes the seed (dy zeroed). A scalar loss sum_i w_i tanh((Ax)_i) is checked against finite
// differences of every entry of A and x. Forward: ty = tA x + A tx.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff_d(void *, ...) __asm__("__enzyme_fwddiff");

#define M 4
#define N 5

void matvec(const double *A, const double *x, double *y, int m, int n) {
  for (int i = 0; i < m; i++) {
    double s = 0.0;
    for (int j = 0; j < n; j++)
      s += A[i * n + j] * x[j];
    y[i] = s;
  }
}

static const double W[M] = {0.5, -1.0, 2.0, 0.25};
double loss(const double *A, const double *x, int m, int n) {
  double y[8];
  matvec(A, x, y, m, n);
  double l = 0.0;
  for (int i = 0; i < m; i++)
    l += W[i] * tanh(y[i]);
  return l;
}
static double loss_packed(const double *p, const void *ctx) {
  (void)ctx;
  return loss(p, p + M * N, M, N);
}

int main(void) {
  double p[M * N + N], dp[M * N + N], y[M], dy[M], seed_y[M];
  unsigned s = 11;
  for (int i = 0; i < M * N + N; i++) {
    p[i] = prand(&s);
    dp[i] = 0.0;
  }
  double *A = p, *x = p + M * N, *dA = dp, *dx = dp + M * N;
  for (int i = 0; i < M; i++)
    seed_y[i] = dy[i] = 1.0 + 0.5 * i;
  __enzyme_autodiff((void *)matvec, A, dA, x, dx, enzyme_dup, y, dy, enzyme_const, M, enzyme_const, N);
  char what[128];
  for (int i = 0; i < M; i++) {
    double want = 0.0;
    for (int j = 0; j < N; j++)
      want += A[i * N + j] * x[j];
    snprintf(what, sizeof what, "primal y[%d]", i);
    CHECK_CLOSE(what, y[i], want, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "seed dy[%d] consumed (zeroed)", i);
    CHECK_CLOSE(what, dy[i], 0.0, 0, 0);
    for (int j = 0; j < N; j++) {
      snprintf(what, sizeof what, "reverse dA[%d][%d] = dy[i] x[j]", i, j);
      CHECK_CLOSE(what, dA[i * N + j], seed_y[i] * x[j], RTOL_D, ATOL_D);
    }
  }
  for (int j = 0; j < N; j++) {
    double want = 0.0;
    for (int i = 0; i < M; i++)
      want += A[i * N + j] * seed_y[i];
    snprintf(what, sizeof what, "reverse dx[%d] = (A^T dy)[j]", j);
    CHECK_CLOSE(what, dx[j], want, RTOL_D, ATOL_D);
  }

  // scalar loss through a stack output array
  double g[M * N + N] = {0};
  __enzyme_autodiff_d((void *)loss, enzyme_dup, A, g, enzyme_dup, x, g + M * N, enzyme_const, M, enzyme_const, N);
  CHECK_GRAD_FD("reverse loss gradient (A then x)", loss_packed, NULL, p, M * N + N, g, RTOL_FD, ATOL_FD);

  // forward: directional derivative of y, and of the loss
  double tp[M * N + N], ty[M];
  for (int i = 0; i < M * N + N; i++)
    tp[i] = prand(&s);
  __enzyme_fwddiff((void *)matvec, enzyme_dup, A, tp, enzyme_dup, x, tp + M * N, enzyme_dup, y, ty,
                   enzyme_const, M, enzyme_const, N);
  for (int i = 0; i < M; i++) {
    double want = 0.0;
    for (int j = 0; j < N; j++)
      want += tp[i * N + j] * x[j] + A[i * N + j] * tp[M * N + j];
    snprintf(what, sizeof what, "forward ty[%d] = (tA x + A tx)[i]", i);
    CHECK_CLOSE(what, ty[i], want, RTOL_D, ATOL_D);
  }
  double tl = __enzyme_fwddiff_d((void *)loss, A, tp, x, tp + M * N, M, N);
  CHECK_CLOSE("forward loss tangent vs reverse gradient . direction", tl, dotv(g, tp, M * N + N), 1e-9, 1e-12);
  return check_report();
}
