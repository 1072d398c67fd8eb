// enzyme_const pointers mixed with duplicated ones: a weighted least-squares residual where the
// data (A, b) are constant and only theta is active; also the same function with A active
// and theta constant, and with enzyme_dupnoneed on an output buffer.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

#define M 5
#define P 3

// r = A theta - b written to res; returns 0.5 * sum w_i r_i^2
double wls(const double *A, const double *b, const double *w, const double *theta, double *res) {
  double l = 0.0;
  for (int i = 0; i < M; i++) {
    double r = -b[i];
    for (int j = 0; j < P; j++)
      r += A[i * P + j] * theta[j];
    res[i] = r;
    l += 0.5 * w[i] * r * r;
  }
  return l;
}
static double wls_theta(const double *theta, const void *ctx) {
  const double *const *d = (const double *const *)ctx;
  double res[M];
  return wls(d[0], d[1], d[2], theta, res);
}
static double wls_A(const double *A, const void *ctx) {
  const double *const *d = (const double *const *)ctx;
  double res[M];
  return wls(A, d[1], d[2], d[3], res);
}

int main(void) {
  double A[M * P], b[M], w[M], theta[P], res[M];
  unsigned s = 2;
  for (int i = 0; i < M * P; i++)
    A[i] = prand(&s);
  for (int i = 0; i < M; i++) {
    b[i] = prand(&s);
    w[i] = 1.0 + 0.5 * prand(&s);
  }
  for (int j = 0; j < P; j++)
    theta[j] = prand(&s);
  const double *ctx[4] = {A, b, w, theta};
  double dtheta[P] = {0}, dres[M] = {0};
  __enzyme_autodiff_d((void *)wls, enzyme_const, A, enzyme_const, b, enzyme_const, w, enzyme_dup, theta,
                      dtheta, enzyme_dupnoneed, res, dres);
  double want[P] = {0};
  for (int i = 0; i < M; i++) {
    double r = -b[i];
    for (int j = 0; j < P; j++)
      r += A[i * P + j] * theta[j];
    for (int j = 0; j < P; j++)
      want[j] += w[i] * r * A[i * P + j];
  }
  CHECK_ARRAY_CLOSE("reverse d theta (A, b, w const; res dupnoneed)", dtheta, want, P, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("oracle: analytic d theta", wls_theta, ctx, theta, P, want, RTOL_FD, ATOL_FD);

  double dA[M * P] = {0}, dres2[M] = {0};
  __enzyme_autodiff_d((void *)wls, enzyme_dup, A, dA, enzyme_const, b, enzyme_const, w, enzyme_const, theta,
                      enzyme_dup, res, dres2);
  CHECK_GRAD_FD("reverse d A (theta const)", wls_A, ctx, A, M * P, dA, RTOL_FD, ATOL_FD);
  for (int i = 0; i < M; i++) {
    double r = -b[i];
    for (int j = 0; j < P; j++)
      r += A[i * P + j] * theta[j];
    CHECK_CLOSE("primal residual written", res[i], r, RTOL_D, ATOL_D);
  }

  double ttheta[P] = {0.5, -1.0, 0.25}, tres[M];
  double t = __enzyme_fwddiff((void *)wls, enzyme_const, A, enzyme_const, b, enzyme_const, w, enzyme_dup, theta,
                              ttheta, enzyme_dup, res, tres);
  CHECK_CLOSE("forward d theta . direction", t, dotv(want, ttheta, P), RTOL_D, ATOL_D);
  for (int i = 0; i < M; i++) {
    double tr = 0.0;
    for (int j = 0; j < P; j++)
      tr += A[i * P + j] * ttheta[j];
    CHECK_CLOSE("forward residual tangent", tres[i], tr, RTOL_D, ATOL_D);
  }
  return check_report();
}
