// Magic-number rounding: (a + C) - C with C = 1.5 * 2^52 rounds a to an integer (branch-free
// floor/round, range reduction in fast exp implementations). As a function of a it is a
// staircase, so its derivative is zero; differentiating the two additions instead would give
// one and, in a range-reduced exp, cancel the whole derivative. Also through a volatile-free
// optimization barrier (an empty asm statement), as Eigen writes it. Oracles: analytic
// derivatives (exp' = exp), finite differences away from the steps, forward vs reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double round_magic(double a) { return (a + 0x1.8p52) - 0x1.8p52; }

#if defined(__x86_64__)
static double barrier(double v) {
  __asm__("" : "+x"(v));
  return v;
}
#else
static double barrier(double v) { return v; }
#endif

// exp(x) = 2^n * p(r), n = round(x / ln 2), r = x - n ln 2, p a degree-13 Taylor polynomial.
static double fast_exp(double x) {
  const double ln2 = 0.6931471805599453;
  double n = barrier(x / ln2 + 0x1.8p52) - 0x1.8p52;
  double r = x - n * ln2;
  double p = 1.0, t = 1.0;
  for (int k = 1; k <= 13; k++) {
    t *= r / k;
    p += t;
  }
  return ldexp(p, (int)n);
}

static double stepped(double x) { return round_magic(3.0 * x) * x + fast_exp(0.5 * x); }

int main(void) {
  const double xs[] = {-3.7, -0.45, 0.2, 1.3, 4.9};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    CHECK_CLOSE_AT("rounding has derivative 0", x, __enzyme_autodiff((void *)round_magic, x), 0.0,
                   RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("range-reduced exp: reverse", x, __enzyme_autodiff((void *)fast_exp, x),
                   exp(x), 1e-12, 1e-14);
    CHECK_CLOSE_AT("range-reduced exp: forward", x, __enzyme_fwddiff((void *)fast_exp, x, 1.0),
                   exp(x), 1e-12, 1e-14);
    double want = round_magic(3.0 * x) + 0.5 * exp(0.5 * x);
    CHECK_CLOSE_AT("steps times x", x, __enzyme_autodiff((void *)stepped, x), want, RTOL_D,
                   ATOL_D);
    CHECK_CLOSE_AT("steps times x vs finite differences", x,
                   __enzyme_autodiff((void *)stepped, x), fd1(stepped, x), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
