// calloc'd accumulator inside the function: acc[j] += x_i * x_j * c_i over all i (a Gram-like
// accumulation that reads and re-writes the heap buffer each iteration), then f = sum_j
// log(1 + acc_j^2); a second malloc'd buffer is freed early (before the reduction).
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double gram(const double *x, const double *c, int n) {
  double *acc = (double *)calloc((size_t)n, sizeof(double));
  double *sq = (double *)malloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < n; i++)
    sq[i] = x[i] * c[i];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      acc[j] += sq[i] * x[j];
  free(sq);
  double f = 0.0;
  for (int j = 0; j < n; j++)
    f += log(1.0 + acc[j] * acc[j]);
  free(acc);
  return f;
}

#define N 6
static const double C[N] = {0.3, -0.7, 1.1, 0.5, -0.2, 0.9};
static double gram_packed(const double *x, const void *ctx) {
  (void)ctx;
  return gram(x, C, N);
}

int main(void) {
  double x[N], dx[N] = {0}, want[N];
  unsigned s = 17;
  for (int i = 0; i < N; i++)
    x[i] = prand(&s);
  // f = sum_j log(1 + (S x_j)^2), S = sum_i c_i x_i
  double S = dotv(C, x, N), A = 0.0;
  for (int j = 0; j < N; j++) {
    double a = S * x[j];
    A += 2.0 * a / (1.0 + a * a) * x[j]; // sum_j df/da_j * da_j/dS
  }
  for (int k = 0; k < N; k++) {
    double a = S * x[k];
    want[k] = A * C[k] + 2.0 * a / (1.0 + a * a) * S;
  }
  CHECK_GRAD_FD("oracle: analytic", gram_packed, NULL, x, N, want, RTOL_FD, ATOL_FD);
  __enzyme_autodiff((void *)gram, x, dx, enzyme_const, C, N);
  CHECK_ARRAY_CLOSE("reverse", dx, want, N, 1e-9, 1e-12);
  double tx[N];
  for (int i = 0; i < N; i++)
    tx[i] = prand(&s);
  double t = __enzyme_fwddiff((void *)gram, x, tx, enzyme_const, C, N);
  CHECK_CLOSE("forward vs gradient . direction", t, dotv(want, tx, N), 1e-9, 1e-12);
  return check_report();
}
