// CFLAGS: -fopenmp
// Sample covariance of 3-D data with per-thread partial moments: inside a `parallel` region
// each thread sums its samples' first and second moments in local arrays (`omp for`, nested
// loops over the components), then adds them into the shared totals in an `omp critical`
// section. The objective is a smooth function of the covariance matrix (its squared Frobenius
// norm plus its trace). Inputs: the samples. Critical sections run in any order, so the finite
// differences run the primal on one thread.
#include "omp_prog.h"

double cov_objective(const double *x, int n) {
  double S[3][3] = {{0.0}}, m[3] = {0.0};
#pragma omp parallel
  {
    double ls[3][3] = {{0.0}}, lm[3] = {0.0};
#pragma omp for
    for (int k = 0; k < n; k++)
      for (int a = 0; a < 3; a++) {
        lm[a] += x[3 * k + a];
        for (int b = 0; b < 3; b++)
          ls[a][b] += x[3 * k + a] * x[3 * k + b];
      }
#pragma omp critical
    {
      for (int a = 0; a < 3; a++) {
        m[a] += lm[a];
        for (int b = 0; b < 3; b++)
          S[a][b] += ls[a][b];
      }
    }
  }
  double f = 0.0;
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) {
      double c = S[a][b] / n - m[a] * m[b] / ((double)n * n);
      f += c * c + (a == b ? c : 0.0);
    }
  return f;
}

DEFINE_PROG_CHECK(cov_objective, 3 * n, 1)

int main(void) {
  cov_objective_all(23, 6u);
  cov_objective_all(2, 1u);
  return check_report();
}
