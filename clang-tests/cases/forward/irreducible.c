// Forward mode needs no reversed control flow, so a loop with two entries (a goto into its
// middle: irreducible) differentiates like any other code. Checked against central finite
// differences and the analytic derivative of the unrolled recurrence.
#include "check.h"

double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double f(double x, int n) {
  double s = 0;
  int i = 0;
  if (n > 5)
    goto inside;
again:
  s += x * x;
inside:
  s = s * 0.5 + x;
  i++;
  if (i < n)
    goto again;
  return s;
}

/* the same recurrence, tracking (s, ds/dx) explicitly */
static double df_ref(double x, int n) {
  double s = 0, ds = 0;
  int first = n > 5;
  for (int i = 0; i < n; i++) {
    if (!(first && i == 0)) {
      s += x * x;
      ds += 2 * x;
    }
    s = s * 0.5 + x;
    ds = ds * 0.5 + 1;
  }
  return ds;
}

int main(void) {
  const double xs[] = {-0.7, 0.4, 1.5};
  const int ns[] = {1, 3, 8};
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) {
      double x = xs[a];
      int n = ns[b];
      double d = __enzyme_fwddiff((void *)f, x, 1.0, n);
      CHECK_CLOSE_AT("forward df/dx", x, d, df_ref(x, n), RTOL_D, 1e-12);
      double h = 1e-6, fd = (f(x + h, n) - f(x - h, n)) / (2 * h);
      CHECK_CLOSE_AT("forward vs FD", x, d, fd, RTOL_FD, 1e-7);
    }
  return check_report();
}
