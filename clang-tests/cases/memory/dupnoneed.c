// Output through memory: out[i] = x[i]^2 * c; reverse with enzyme_dup on the input and
// enzyme_dupnoneed on the output (seed d_out, read d_x); forward with enzyme_dup on both.
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

#define N 5

static void square_scale(const double *x, double *out, double c) {
  for (int i = 0; i < N; i++)
    out[i] = x[i] * x[i] * c + sin(x[i]);
}

int main(void) {
  double x[N], dx[N], out[N], dout[N];
  const double c = 1.5;
  char what[128];
  for (int i = 0; i < N; i++) {
    x[i] = 0.4 * i - 1.0;
    dx[i] = 0.0;
    dout[i] = 1.0 + i; // seed
  }
  __enzyme_autodiff((void *)square_scale, enzyme_dup, x, dx, enzyme_dupnoneed, out, dout, enzyme_const, c);
  for (int i = 0; i < N; i++) {
    double want = (2.0 * x[i] * c + cos(x[i])) * (1.0 + i);
    snprintf(what, sizeof what, "reverse dx[%d] = d out[%d]/dx[%d] * seed", i, i, i);
    CHECK_CLOSE(what, dx[i], want, RTOL_D, ATOL_D);
  }
  double tx[N], tout[N];
  for (int i = 0; i < N; i++) {
    tx[i] = 0.5 - 0.25 * i;
    tout[i] = 0.0;
  }
  __enzyme_fwddiff((void *)square_scale, enzyme_dup, x, tx, enzyme_dup, out, tout, enzyme_const, c);
  for (int i = 0; i < N; i++) {
    double want = (2.0 * x[i] * c + cos(x[i])) * tx[i];
    snprintf(what, sizeof what, "forward tangent tout[%d]", i);
    CHECK_CLOSE(what, tout[i], want, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "forward primal out[%d]", i);
    CHECK_CLOSE(what, out[i], x[i] * x[i] * c + sin(x[i]), RTOL_D, ATOL_D);
  }
  return check_report();
}
