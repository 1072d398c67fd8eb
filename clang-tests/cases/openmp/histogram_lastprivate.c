// CFLAGS: -fopenmp
// Kernel density estimate on a grid: a `parallel for` over the samples whose Gaussian kernel
// weights go into a shared density array with `omp atomic` (a nested loop over the grid
// points near each sample), the bandwidth `firstprivate`; then a `parallel for lastprivate(s)`
// that also writes the normalised log-density per grid point, and a log-likelihood-like
// objective. Inputs: the sample positions and the log-bandwidth.
#include "omp_prog.h"

#define GRID 24

double kde_objective(const double *x, int n) {
  double *dens = (double *)calloc(GRID, sizeof(double));
  double *logd = (double *)malloc(sizeof(double) * GRID);
  double bw = exp(-1.0 + 0.3 * x[n]);
#pragma omp parallel for firstprivate(bw)
  for (int k = 0; k < n; k++) {
    int c = (int)((x[k] + 1.0) * 0.5 * (GRID - 1));
    int lo = c - 4 < 0 ? 0 : c - 4, hi = c + 4 >= GRID ? GRID - 1 : c + 4;
    for (int g = lo; g <= hi; g++) {
      double z = (-1.0 + 2.0 * g / (GRID - 1) - x[k]) / bw;
#pragma omp atomic
      dens[g] += exp(-0.5 * z * z) / bw;
    }
  }
  double s = 0.0;
#pragma omp parallel for lastprivate(s)
  for (int g = 0; g < GRID; g++) {
    s = log(dens[g] + 0.05);
    logd[g] = s;
  }
  double f = s;
  for (int g = 0; g < GRID; g++)
    f += (1.0 + 0.05 * g) * logd[g];
  free(dens);
  free(logd);
  return f;
}

DEFINE_PROG_CHECK(kde_objective, n + 1, 1)

int main(void) {
  kde_objective_all(30, 29u);
  kde_objective_all(2, 30u);
  return check_report();
}
