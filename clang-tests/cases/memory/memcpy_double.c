// memcpy / memset / memmove of double arrays with runtime sizes, through a stack buffer and a heap
// buffer. The memmove shift overwrites the heap slot holding x0*x1, so that term must leave no
// gradient, and the memset zeroes x0, x1's copies: f = sum_{k=3..n} (k+1) x_{k-1}^2.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double shuffle(const double *x, int n) { // 3 <= n <= 16
  double buf[16];
  memcpy(buf, x, (size_t)n * sizeof(double));
  memset(buf, 0, 2 * sizeof(double));
  double *h = (double *)malloc((size_t)(n + 1) * sizeof(double));
  memcpy(h, buf, (size_t)n * sizeof(double));
  h[n] = x[0] * x[1];
  memmove(h + 1, h, (size_t)n * sizeof(double)); // h[k] = old h[k-1], the old h[n] is overwritten
  double s = 0.0;
  for (int i = 0; i <= n; i++)
    s += (i + 1) * h[i] * h[i];
  free(h);
  return s;
}
static double shuffle_packed(const double *x, const void *ctx) {
  return shuffle(x, *(const int *)ctx);
}

// memcpy into the output, then scale in place: out = 2 * in (+ an overwrite with memset of the tail)
void copy_scale(const double *in, double *out, int n) {
  memcpy(out, in, (size_t)n * sizeof(double));
  for (int i = 0; i < n; i++)
    out[i] *= 2.0 * in[i];
  memset(out + n / 2, 0, (size_t)(n - n / 2) * sizeof(double));
}

int main(void) {
  static const int ns[] = {3, 4, 9, 16};
  double x[16];
  unsigned s = 1;
  for (int i = 0; i < 16; i++)
    x[i] = prand(&s);
  char what[128];
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    int n = ns[c];
    double dx[16] = {0}, want[16] = {0};
    for (int j = 2; j < n; j++)
      want[j] = 2.0 * (j + 2) * x[j];
    snprintf(what, sizeof what, "oracle n=%d", n);
    CHECK_GRAD_FD(what, shuffle_packed, &n, x, n, want, RTOL_FD, ATOL_FD);
    __enzyme_autodiff((void *)shuffle, x, dx, n);
    snprintf(what, sizeof what, "reverse n=%d", n);
    CHECK_ARRAY_CLOSE(what, dx, want, 16, RTOL_D, ATOL_D);
    double tx[16];
    for (int i = 0; i < 16; i++)
      tx[i] = prand(&s);
    snprintf(what, sizeof what, "forward n=%d vs gradient . direction", n);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)shuffle, x, tx, n), dotv(want, tx, n), RTOL_D, ATOL_D);
  }
  // output via memcpy + memset: seed consumed everywhere, gradient only from the first half
  int n = 10;
  double out[10], dout[10], din[10];
  for (int i = 0; i < n; i++) {
    dout[i] = 1.0 + i;
    din[i] = 0.5;
  }
  __enzyme_autodiff((void *)copy_scale, x, din, out, dout, n);
  for (int i = 0; i < n; i++) {
    snprintf(what, sizeof what, "copy_scale reverse din[%d] (onto 0.5)", i);
    CHECK_CLOSE(what, din[i], 0.5 + (i < n / 2 ? 4.0 * x[i] * (1.0 + i) : 0.0), RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "copy_scale seed dout[%d] consumed", i);
    CHECK_CLOSE(what, dout[i], 0.0, 0, 0);
    snprintf(what, sizeof what, "copy_scale primal out[%d]", i);
    CHECK_CLOSE(what, out[i], i < n / 2 ? 2.0 * x[i] * x[i] : 0.0, RTOL_D, ATOL_D);
  }
  double tin[10], tout[10];
  for (int i = 0; i < n; i++)
    tin[i] = prand(&s), tout[i] = 42.0;
  __enzyme_fwddiff((void *)copy_scale, x, tin, out, tout, n);
  for (int i = 0; i < n; i++) {
    snprintf(what, sizeof what, "copy_scale forward tout[%d]", i);
    CHECK_CLOSE(what, tout[i], i < n / 2 ? 4.0 * x[i] * tin[i] : 0.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
