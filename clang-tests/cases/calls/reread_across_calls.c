// A non-inlined call cannot write memory it gets no pointer to: a `restrict` parameter (a) or a
// local buffer (s) that no call receives is read again in the reverse sweep across such calls
// (the calls write globals and their own arguments). Memory a call does receive (B, written by
// fill after it was read) or a global it writes (G) must still be taped.
// Oracle: central finite differences of the primal.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>

extern int enzyme_dup, enzyme_const;
double __enzyme_autodiff(void *, ...);

#define N 6
static double G[N], B[N];

__attribute__((noinline)) static double touch(double v, int i) {
  double old = G[i];
  G[i] = sin(v) + 0.5 * old; // writes a global, not a or s
  return old * v;
}

__attribute__((noinline)) static void fill(double *buf, double v) {
  for (int k = 0; k < N; k++) buf[k] = buf[k] * 0.5 + v * k;
}

static double obj(const double *restrict a, int n) {
  double *s = malloc(sizeof(double) * N);
  double *buf = B;
  for (int i = 0; i < n; i++) {
    s[i] = a[i] * a[i];
    buf[i] = cos(a[i]);
    G[i] = a[(i + 1) % n];
  }
  double r = 0;
  for (int i = 0; i < n; i++) {
    double x = a[i] * s[i];       // a and s: nothing writes them below
    double y = buf[i] * G[i];     // buf and G: written by fill and touch below
    r += touch(x, i) + x * y;
    fill(buf, y);
    r += exp(0.1 * s[(i + 2) % n]) * buf[(i + 1) % n];
  }
  free(s);
  return r;
}

static double obj_fd(const double *x, const void *ctx) {
  (void)ctx;
  return obj(x, N);
}

int main(void) {
  double x[N] = {0.7, -0.4, 1.1, 0.25, -0.9, 0.6}, dx[N] = {0};
  __enzyme_autodiff((void *)obj, enzyme_dup, x, dx, enzyme_const, N);
  CHECK_GRAD_FD("obj", obj_fd, 0, x, N, dx, RTOL_FD, ATOL_FD);
  return check_report();
}
