// A static global array written by one callee and read by another (both noinline), with
// Enzyme's -enzyme-global-activity=1 as Enzyme's test passes it: the reader's adjoints must go
// to the same shadow the writer's derivative reads, not to a local one.
// Oracle: the analytic gradient of sum_i (2 - i)(i + 1) x_i^2 + 0.5 x_i.
// CFLAGS: -mllvm -enzyme-global-activity=1
#include "check.h"
void __enzyme_autodiff(void *, ...);
static double buf[3];
__attribute__((noinline)) static void fill(const double *x) {
  for (int i = 0; i < 3; i++) buf[i] = x[i] * x[i] * (i + 1);
}
__attribute__((noinline)) static double drain(const double *x) {
  double s = 0;
  for (int i = 0; i < 3; i++) s += buf[i] * (2.0 - i) + 0.5 * x[i];
  return s;
}
static double both(const double *x) { fill(x); return drain(x); }
int main(void) {
  double x[3] = {1.5, -0.5, 2.0}, dx[3] = {0, 0, 0};
  __enzyme_autodiff((void *)both, x, dx);
  for (int i = 0; i < 3; i++) CHECK_CLOSE("dx", dx[i], 2 * x[i] * (i + 1) * (2.0 - i) + 0.5, RTOL_D, 0);
  return check_report();
}
