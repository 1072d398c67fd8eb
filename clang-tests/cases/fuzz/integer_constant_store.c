// Found by ferment-fuzz (user variant, seed 760102, reduced by hand): a stack array of doubles
// filled from an active value, one element then overwritten by `memset(a + 1, 0, 8)` or by a
// `memcpy` of one double from a constant table, then read by a helper in a loop. In ferment's
// copy at -O0 and -O1 the small memset / memcpy becomes `store i64 0` (or the table entry's
// bits), and type analysis, which sees the array indexed only by variables, could not say the
// element holds a double, so the store kept its integer type and both modes skipped it: the
// overwritten element's old tangent (forward) and the adjoint of its reads (reverse) survived,
// a wrong derivative in both modes that agreed with each other. Forward and reverse against the
// analytic derivative and central finite differences.
#include "check.h"

#define N 5
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static const double tb[4] = {0.5, -0.25, 1.5, 0.75};

static inline double sum_tanh(const double *p, int n) {
  double acc = 0.125;
  for (int i = 0; i < n; i++)
    acc += tanh(p[i]);
  return acc;
}

#define KERNEL(NAME, OVERWRITE)                                                                \
  double NAME(double s) {                                                                      \
    double a[N];                                                                               \
    for (int q = 0; q < N; q++)                                                                \
      a[q] = s * (0.5 + 0.1 * q);                                                              \
    OVERWRITE;                                                                                 \
    return sum_tanh(a, N);                                                                     \
  }
KERNEL(zero_one, memset(a + 1, 0, sizeof(double)))
KERNEL(zero_two, memset(a + 1, 0, 2 * sizeof(double)))
KERNEL(copy_one, memcpy(a + 1, tb + 1, sizeof(double)))
KERNEL(copy_two, memcpy(a + 2, tb, 2 * sizeof(double)))

/* d/ds of sum_q tanh(s (0.5 + 0.1 q)) over the elements q not overwritten (mask bit q clear) */
static double analytic(double s, unsigned overwritten) {
  double d = 0.0;
  for (int q = 0; q < N; q++) {
    if (overwritten & (1u << q))
      continue;
    double c = 0.5 + 0.1 * q, t = tanh(s * c);
    d += c * (1.0 - t * t);
  }
  return d;
}

static void check(const char *name, double (*f)(double), unsigned overwritten) {
  char what[96];
  const double xs[] = {0.7, -1.3};
  for (int k = 0; k < 2; k++) {
    double s = xs[k], want = analytic(s, overwritten);
    snprintf(what, sizeof what, "%s: analytic vs finite differences", name);
    CHECK_CLOSE_AT(what, s, want, fd1(f, s), RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "%s: forward", name);
    CHECK_CLOSE_AT(what, s, __enzyme_fwddiff((void *)f, s, 1.0), want, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "%s: reverse", name);
    CHECK_CLOSE_AT(what, s, __enzyme_autodiff((void *)f, s), want, RTOL_D, ATOL_D);
  }
}

int main(void) {
  check("zero_one", zero_one, 1u << 1);
  check("zero_two", zero_two, 3u << 1);
  check("copy_one", copy_one, 1u << 1);
  check("copy_two", copy_two, 3u << 2);
  return check_report();
}
