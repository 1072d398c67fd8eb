// A loop with several exits: a break (to code after the loop), a return from inside, and the
// normal exit, each reached by a different input; plus a while(1) loop left only by returns.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

double exits(const double *x, int n) {
  double s = 0.0;
  int i;
  for (i = 0; i < n; i++) {
    double v = x[i] * x[i] + 0.5 * x[i];
    if (v > 4.0)
      break; // exit 1
    if (v < -0.05)
      return s * v + exp(x[i]); // exit 2
    s = s * 0.8 + v;
  }
  // exit 1 and the normal exit 3 both land here
  return s * (1.0 + 0.1 * i);
}
double spin(double x) { // halves until |y| < 1 or doubles until |y| > 1e-3 ... only returns
  double y = x;
  int k = 0;
  while (1) {
    if (fabs(y) < 1.0)
      return y * y + k;
    if (k > 50)
      return -y;
    y = 0.5 * y + 0.01 * sin(y);
    k++;
  }
}

#define N 6
static double g_x[3][N] = {
    {0.5, 0.3, 1.9, 0.2, 0.1, 0.4},    // v > 4 at i = 2: break
    {0.5, 0.3, -0.2, 0.2, 0.1, 0.4},   // v < -0.05 at i = 2: return
    {0.5, 0.3, 0.2, 0.25, 0.1, 0.4},   // normal exit
};
static double ex_p(const double *x, const void *c) { (void)c; return exits(x, N); }

int main(void) {
  char what[128];
  for (int c = 0; c < 3; c++) {
    double d[N] = {0}, tx[N];
    __enzyme_autodiff((void *)exits, g_x[c], d, N);
    snprintf(what, sizeof what, "reverse exits input %d", c);
    CHECK_GRAD_FD(what, ex_p, NULL, g_x[c], N, d, RTOL_FD, ATOL_FD);
    for (int i = 0; i < N; i++)
      tx[i] = 1.0 - 0.3 * i;
    snprintf(what, sizeof what, "forward exits input %d", c);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)exits, g_x[c], tx, N), dotv(d, tx, N), RTOL_D, ATOL_D);
  }
  static const double xs[] = {0.3, 3.0, -17.0, 250.0};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    double r = __enzyme_autodiff_d((void *)spin, x);
    CHECK_CLOSE_AT("reverse spin vs finite differences", x, r, fd1(spin, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward spin vs reverse", x, __enzyme_fwddiff((void *)spin, x, 1.0), r, RTOL_D, ATOL_D);
  }
  return check_report();
}
