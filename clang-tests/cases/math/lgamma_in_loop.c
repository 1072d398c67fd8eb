// lgamma inside a loop (a negative-binomial log-likelihood, lgamma(y_i + r) - lgamma(r) per data
// point) and its second derivative. The digamma of lgamma's derivative is a call of the pure helper
// `ferment.digamma.double`, whose reflection (tan) runs only for negative arguments; the checks
// cover positive and negative arguments, reverse and forward mode, and forward over reverse
// (the helper itself differentiated: trigamma).
// Oracles: central finite differences of the primal, an independent digamma and trigamma
// (recurrence, asymptotic series, reflection).
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double digamma_ref(double x) {
  if (x < 0) return digamma_ref(1.0 - x) - M_PI / tan(M_PI * x);
  double acc = 0;
  for (; x < 10; x += 1) acc -= 1.0 / x;
  double u = 1.0 / (x * x);
  return acc + log(x) - 0.5 / x - u * (1.0 / 12 - u * (1.0 / 120 - u * (1.0 / 252 - u * (1.0 / 240 - u / 132))));
}
// trigamma: psi1(x) = psi1(x + 1) + 1/x^2; psi1(1 - x) + psi1(x) = pi^2 / sin^2(pi x)
static double trigamma_ref(double x) {
  if (x < 0) {
    double s = sin(M_PI * x);
    return M_PI * M_PI / (s * s) - trigamma_ref(1.0 - x);
  }
  double acc = 0;
  for (; x < 10; x += 1) acc += 1.0 / (x * x);
  double u = 1.0 / x, u2 = u * u;
  return acc + u + 0.5 * u2 + u * u2 * (1.0 / 6 - u2 * (1.0 / 30 - u2 * (1.0 / 42 - u2 / 30)));
}

#define N 7
static const double ys[N] = {0, 1, 3, 7, 2, 0, 5};
static volatile int g_n = N;

// sum_i lgamma(y_i + r) - lgamma(r) - lgamma(y_i + 1)
static double nb(double r, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += lgamma(ys[i] + r) - lgamma(r) - lgamma(ys[i] + 1);
  return s;
}
static double nb_n(double r) { return nb(r, N); }
static double nb_grad(double r, int n) { return __enzyme_autodiff((void *)nb, r, enzyme_const, n); }

int main(void) {
  // negative r: arguments y_i + r on both sides of zero (poles avoided)
  static const double rs[] = {0.7, 2.5, 11.3, -0.4, -2.6};
  int n = g_n;
  for (unsigned k = 0; k < COUNT_OF(rs); k++) {
    double r = rs[k];
    double want = 0, want2 = 0;
    for (int i = 0; i < N; i++) {
      want += digamma_ref(ys[i] + r) - digamma_ref(r);
      want2 += trigamma_ref(ys[i] + r) - trigamma_ref(r);
    }
    CHECK_CLOSE_AT("oracle: digamma sum vs finite differences", r, want, fd1(nb_n, r), RTOL_FD, ATOL_FD);
    double g = __enzyme_autodiff((void *)nb, r, enzyme_const, n);
    CHECK_CLOSE_AT("reverse d/dr", r, g, want, 1e-10, 1e-10);
    double t = __enzyme_fwddiff((void *)nb, r, 1.0, enzyme_const, n);
    CHECK_CLOSE_AT("forward d/dr", r, t, want, 1e-10, 1e-10);
    double h = __enzyme_fwddiff((void *)nb_grad, r, 1.0, enzyme_const, n);
    CHECK_CLOSE_AT("forward over reverse d2/dr2 vs trigamma", r, h, want2, 1e-8, 1e-8);
  }
  return check_report();
}
