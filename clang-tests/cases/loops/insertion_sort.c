// Insertion sort (data-dependent control flow: the number of inner iterations and every swap
// depend on the values) followed by a weighted sum: d/dx_i sum_k w_k a_k^2 = 2 w_rank(i) x_i.
// Sorted in a local copy, and in place in the caller's array (then the shadow, indexed by the
// ORIGINAL positions, receives the gradient).
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static const double W[16] = {1, -2, 3, 0.5, -1, 2, 0.25, 4, -3, 1.5, 0.75, -0.5, 2.5, 1, -1.25, 3};

static void isort(double *a, int n) {
  for (int i = 1; i < n; i++) {
    double key = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > key) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = key;
  }
}
double sorted_sum(const double *x, int n) { // n <= 16
  double a[16];
  for (int i = 0; i < n; i++)
    a[i] = x[i];
  isort(a, n);
  double s = 0.0;
  for (int k = 0; k < n; k++)
    s += W[k] * a[k] * a[k];
  return s;
}
double sort_in_place(double *x, int n) {
  isort(x, n);
  double s = 0.0;
  for (int k = 0; k < n; k++)
    s += W[k] * x[k] * x[k];
  return s;
}

#define N 13
static double ss_p(const double *x, const void *c) { (void)c; return sorted_sum(x, N); }

int main(void) {
  double x[N];
  unsigned s = 2024;
  for (int i = 0; i < N; i++)
    x[i] = prand(&s) * 3.0; // distinct values
  double want[N];
  for (int i = 0; i < N; i++) {
    int rank = 0;
    for (int j = 0; j < N; j++)
      rank += x[j] < x[i];
    want[i] = 2.0 * W[rank] * x[i];
  }
  double d[N] = {0}, tx[N];
  CHECK_GRAD_FD("oracle: 2 w_rank(i) x_i", ss_p, NULL, x, N, want, RTOL_FD, ATOL_FD);
  __enzyme_autodiff((void *)sorted_sum, x, d, N);
  CHECK_ARRAY_CLOSE("reverse sorted_sum", d, want, N, RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++)
    tx[i] = prand(&s);
  CHECK_CLOSE("forward sorted_sum", __enzyme_fwddiff((void *)sorted_sum, x, tx, N), dotv(want, tx, N), RTOL_D, ATOL_D);

  double y[N], dy[N] = {0};
  memcpy(y, x, sizeof y);
  __enzyme_autodiff((void *)sort_in_place, y, dy, N);
  CHECK_ARRAY_CLOSE("reverse sort_in_place (gradient at the original positions)", dy, want, N, RTOL_D, ATOL_D);
  for (int i = 1; i < N; i++)
    CHECK_TRUE("primal array sorted by the derivative call", y[i - 1] <= y[i]);
  double ty[N];
  memcpy(y, x, sizeof y);
  memcpy(ty, tx, sizeof ty);
  double t = __enzyme_fwddiff((void *)sort_in_place, y, ty, N);
  CHECK_CLOSE("forward sort_in_place", t, dotv(want, tx, N), RTOL_D, ATOL_D);
  // the tangent array is permuted along with the values
  for (int k = 0; k < N; k++)
    for (int i = 0; i < N; i++)
      if (x[i] == y[k])
        CHECK_CLOSE("forward: tangents permuted with the values", ty[k], tx[i], 0, 0);
  return check_report();
}
