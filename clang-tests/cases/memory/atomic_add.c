// Floating-point atomic read-modify-writes (`atomicrmw fadd`/`fsub`, as
// C++ std::atomic<double>::fetch_add, OpenMP atomics and CUDA's atomicAdd
// produce them): the added value receives the accumulator's adjoint, the
// subtracted one its negation; forward mode adds the tangent. Checked
// against the analytic gradient, central finite differences, and forward
// mode (dot product with the reverse gradient).
#include "check.h"
#include <math.h>

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) void acc(const double *x, double *out, int n) {
  for (int i = 0; i < n; i++) {
    __atomic_fetch_add(&out[0], x[i] * x[i], __ATOMIC_RELAXED);
    __atomic_fetch_sub(&out[1], sin(x[i]), __ATOMIC_SEQ_CST);
  }
}

#define N 6
static double scalar(const double *x, const void *c) {
  (void)c;
  double out[2] = {0.5, -0.25};
  acc(x, out, N);
  return 3.0 * out[0] + 2.0 * out[1];
}

int main(void) {
  double x[N], dx[N] = {0}, t[N];
  unsigned s = 11;
  for (int i = 0; i < N; i++) {
    x[i] = 1.1 * prand(&s);
    t[i] = prand(&s);
  }
  double out[2] = {0.5, -0.25}, dout[2] = {3.0, 2.0};
  __enzyme_autodiff((void *)acc, x, dx, out, dout, N);
  double dot = 0;
  for (int i = 0; i < N; i++) {
    double want = 3.0 * 2 * x[i] - 2.0 * cos(x[i]);
    CHECK_CLOSE_AT("reverse d/dx", (double)i, dx[i], want, RTOL_D, 1e-12);
    CHECK_CLOSE_AT("reverse vs FD", (double)i, dx[i], fdvc(scalar, NULL, x, N, i), RTOL_FD, ATOL_FD);
    dot += dx[i] * t[i];
  }
  CHECK_CLOSE("adjoint of out kept", dout[0], 3.0, 0, 0);
  double o2[2] = {0.5, -0.25}, to[2] = {0, 0};
  __enzyme_fwddiff((void *)acc, x, t, o2, to, N);
  CHECK_CLOSE("forward = <reverse, t>", 3.0 * to[0] + 2.0 * to[1], dot, 1e-10, 1e-12);
  return check_report();
}
