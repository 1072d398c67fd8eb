// A helper that returns a freshly malloc'd active array (features of x), reduced and freed by its
// caller inside the differentiated function; the helper is also forced out of line (noinline) in
// a second variant. f = sum_k (k+1) r_k^2, r = [sin x_i, x_i x_{i+1 mod n}]_i.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double *features(const double *x, int n) {
  double *r = (double *)malloc(2 * (size_t)n * sizeof(double));
  for (int i = 0; i < n; i++) {
    r[2 * i] = sin(x[i]);
    r[2 * i + 1] = x[i] * x[(i + 1) % n];
  }
  return r;
}
__attribute__((noinline)) static double *features_ool(const double *x, int n) {
  return features(x, n);
}

double reduce(const double *x, int n) {
  double *r = features(x, n);
  double s = 0.0;
  for (int k = 0; k < 2 * n; k++)
    s += (k + 1) * r[k] * r[k];
  free(r);
  return s;
}
double reduce_ool(const double *x, int n) {
  double *r = features_ool(x, n);
  double s = 0.0;
  for (int k = 0; k < 2 * n; k++)
    s += (k + 1) * r[k] * r[k];
  free(r);
  return s;
}

#define N 7
static double reduce_packed(const double *x, const void *ctx) {
  (void)ctx;
  return reduce(x, N);
}

int main(void) {
  double x[N], want[N] = {0};
  unsigned s = 31;
  for (int i = 0; i < N; i++)
    x[i] = prand(&s);
  for (int i = 0; i < N; i++) {
    int j = (i + 1) % N;
    want[i] += (2 * i + 1) * 2.0 * sin(x[i]) * cos(x[i]);
    double q = x[i] * x[j];
    want[i] += (2 * i + 2) * 2.0 * q * x[j];
    want[j] += (2 * i + 2) * 2.0 * q * x[i];
  }
  CHECK_GRAD_FD("oracle: analytic", reduce_packed, NULL, x, N, want, RTOL_FD, ATOL_FD);
  double dx[N] = {0}, dx2[N] = {0}, tx[N];
  __enzyme_autodiff((void *)reduce, x, dx, N);
  CHECK_ARRAY_CLOSE("reverse (helper inlined)", dx, want, N, RTOL_D, ATOL_D);
  __enzyme_autodiff((void *)reduce_ool, x, dx2, N);
  CHECK_ARRAY_CLOSE("reverse (noinline helper)", dx2, want, N, RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++)
    tx[i] = prand(&s);
  CHECK_CLOSE("forward vs gradient . direction", __enzyme_fwddiff((void *)reduce, x, tx, N),
              dotv(want, tx, N), RTOL_D, ATOL_D);
  CHECK_CLOSE("forward (noinline helper)", __enzyme_fwddiff((void *)reduce_ool, x, tx, N),
              dotv(want, tx, N), RTOL_D, ATOL_D);
  return check_report();
}
