// Loops whose step is a run-time value (as CUDA's grid-stride loops are):
// the reverse sweep recomputes the counter as start + k * step instead of
// taping it. 32- and 64-bit counters, a step computed from two arguments,
// and a loop carrying a product; gradients against finite differences,
// forward mode against reverse.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double stepped(const double *x, int start, int n, int step) {
  double s = 0.0;
  for (int i = start; i < n; i += step)
    s += sin(x[i]) * x[i] + 0.1 * i * x[i];
  return s;
}
double stepped_prod(const double *x, long start, long n, long a, long b) {
  long step = a * b; // computed before the loop, loop-invariant
  double p = 1.0;
  for (long i = start; i < n; i += step)
    p *= 1.0 + 0.25 * tanh(x[i]) + 0.01 * (double)i;
  return p;
}

#define N 29
static int g_start, g_n, g_step;
static double stepped_p(const double *x, const void *c) {
  (void)c;
  return stepped(x, g_start, g_n, g_step);
}
static double prod_p(const double *x, const void *c) {
  (void)c;
  return stepped_prod(x, g_start, g_n, g_step, 1);
}

int main(void) {
  double x[N];
  unsigned s = 7;
  for (int i = 0; i < N; i++)
    x[i] = prand(&s) * 1.2;
  char what[128];
  static const int steps[] = {1, 2, 3, 5, 11};
  for (unsigned c = 0; c < COUNT_OF(steps); c++) {
    for (int start = 0; start < 3; start++) {
      int n = N - (int)c;
      g_start = start, g_n = n, g_step = steps[c];
      double d1[N] = {0}, d2[N] = {0}, tx[N];
      for (int i = 0; i < N; i++)
        tx[i] = prand(&s);
      __enzyme_autodiff((void *)stepped, x, d1, start, n, steps[c]);
      snprintf(what, sizeof what, "reverse stepped start=%d step=%d", start, steps[c]);
      CHECK_GRAD_FD(what, stepped_p, NULL, x, N, d1, RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "forward stepped start=%d step=%d", start, steps[c]);
      CHECK_CLOSE(what, __enzyme_fwddiff((void *)stepped, x, tx, start, n, steps[c]), dotv(d1, tx, N),
                  RTOL_D, ATOL_D);
      __enzyme_autodiff((void *)stepped_prod, x, d2, (long)start, (long)n, (long)steps[c], 1L);
      snprintf(what, sizeof what, "reverse product start=%d step=%d", start, steps[c]);
      CHECK_GRAD_FD(what, prod_p, NULL, x, N, d2, RTOL_FD, ATOL_FD);
    }
  }
  return check_report();
}
