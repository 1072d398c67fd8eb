// A piecewise function selected by a switch on floor(x) (cases -2..2, default), applied in a loop
// over an array and as a scalar; also a switch on the loop counter (i % 4) with fallthrough.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

double piece(double x) {
  switch ((int)floor(x)) {
  case -2:
    return -x * x;
  case -1:
    return sin(3.0 * x);
  case 0:
    return exp(x) - 1.0;
  case 1:
    return x * x * x;
  case 2:
    return log(x) * 4.0;
  default:
    return 0.5 * x;
  }
}
static double piece_d(double x) {
  switch ((int)floor(x)) {
  case -2: return -2.0 * x;
  case -1: return 3.0 * cos(3.0 * x);
  case 0: return exp(x);
  case 1: return 3.0 * x * x;
  case 2: return 4.0 / x;
  default: return 0.5;
  }
}
double piece_sum(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += piece(x[i]) * (1.0 + 0.1 * i);
  return s;
}
// switch on the counter, with fallthrough: weights case 0: x^2+x, 1: x, 2: x^2, 3/default: 2x
double counter_switch(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double t = 0.0;
    switch (i % 4) {
    case 0:
      t += x[i] * x[i];
      /* fallthrough */
    case 1:
      t += x[i];
      break;
    case 2:
      t += x[i] * x[i];
      break;
    default:
      t += 2.0 * x[i];
    }
    s += t * t;
  }
  return s;
}

#define N 14

int main(void) {
  double x[N], dx[N] = {0}, want[N], tx[N];
  for (int i = 0; i < N; i++) {
    x[i] = -3.27 + 0.53 * i; // -3.27 .. 3.62, never within 0.03 of an integer
    want[i] = piece_d(x[i]) * (1.0 + 0.1 * i);
    tx[i] = 1.0 - 0.1 * i;
  }
  char what[128];
  for (int i = 0; i < N; i++) {
    snprintf(what, sizeof what, "oracle: piece' vs finite differences at x[%d]", i);
    CHECK_CLOSE(what, piece_d(x[i]), fd1(piece, x[i]), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse scalar piece", x[i], __enzyme_autodiff_d((void *)piece, x[i]), piece_d(x[i]), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward scalar piece", x[i], __enzyme_fwddiff((void *)piece, x[i], 1.0), piece_d(x[i]), RTOL_D, ATOL_D);
  }
  __enzyme_autodiff((void *)piece_sum, x, dx, N);
  CHECK_ARRAY_CLOSE("reverse piece_sum", dx, want, N, RTOL_D, ATOL_D);
  CHECK_CLOSE("forward piece_sum", __enzyme_fwddiff((void *)piece_sum, x, tx, N), dotv(want, tx, N), RTOL_D, ATOL_D);

  double dc[N] = {0}, wc[N];
  for (int i = 0; i < N; i++) {
    double xi = x[i], t, dt;
    switch (i % 4) {
    case 0: t = xi * xi + xi; dt = 2 * xi + 1; break;
    case 1: t = xi; dt = 1; break;
    case 2: t = xi * xi; dt = 2 * xi; break;
    default: t = 2 * xi; dt = 2; break;
    }
    wc[i] = 2.0 * t * dt;
  }
  __enzyme_autodiff((void *)counter_switch, x, dc, N);
  CHECK_ARRAY_CLOSE("reverse counter_switch", dc, wc, N, RTOL_D, ATOL_D);
  CHECK_CLOSE("forward counter_switch", __enzyme_fwddiff((void *)counter_switch, x, tx, N), dotv(wc, tx, N), RTOL_D, ATOL_D);
  return check_report();
}
