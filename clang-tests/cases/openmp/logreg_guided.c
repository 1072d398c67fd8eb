// CFLAGS: -fopenmp
// Regularised logistic regression: the mean log-loss of a fixed data set (generated once,
// file-scope arrays) as a function of the weights and the bias, over the samples with
// `schedule(guided, 3) reduction(+:L)`, the bias `firstprivate` and the logit `private`; an
// L2 penalty in a `parallel for reduction(+:r)`. The gradient is what a training step uses.
// The finite differences run the primal on one thread (guided chunks change the order).
// (At -O1 and up the firstprivate bias, read from w, reached the fork as an integer load of
// its bits, which ferment refused before session 37.)
#include "omp_prog.h"

#define FEATURES 5
#define SAMPLES 61
static double data[SAMPLES][FEATURES], label[SAMPLES];

double logloss(const double *w, int m) {
  double L = 0.0, r = 0.0, b = w[FEATURES], z;
#pragma omp parallel for schedule(guided, 3) reduction(+ : L) firstprivate(b) private(z)
  for (int k = 0; k < m; k++) {
    z = b;
    for (int j = 0; j < FEATURES; j++)
      z += data[k][j] * w[j];
    L += log1p(exp(-label[k] * z));
  }
#pragma omp parallel for reduction(+ : r)
  for (int j = 0; j < FEATURES; j++)
    r += w[j] * w[j];
  return L / m + 0.01 * r;
}

DEFINE_PROG_CHECK(logloss, FEATURES + 1, 1)

int main(void) {
  unsigned s = 77u;
  for (int k = 0; k < SAMPLES; k++) {
    for (int j = 0; j < FEATURES; j++)
      data[k][j] = 2.0 * prand(&s);
    label[k] = prand(&s) > 0.0 ? 1.0 : -1.0;
  }
  logloss_all(SAMPLES, 21u);
  logloss_all(7, 4u);
  return check_report();
}
