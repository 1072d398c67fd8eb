// CFLAGS: -fopenmp
// Explicit time stepping of a 2-D reaction-diffusion field (zero-flux boundaries): a serial
// time loop whose every step is a `parallel for collapse(2)` Jacobi sweep from u into v, the
// buffers swapped after each step; the objective is a weighted energy of the final field,
// a `parallel for collapse(2) reduction(+:e)`. Inputs: the initial field (n x n) and the
// diffusivity. Reverse and forward mode, 1/2/4 threads, against finite differences and
// against one thread.
#include "omp_prog.h"
#include <string.h>

double heat2d(const double *x, int n) {
  double kappa = 1.0 + 0.5 * x[n * n];
  double *u = (double *)malloc(sizeof(double) * (size_t)(n * n));
  double *v = (double *)malloc(sizeof(double) * (size_t)(n * n));
  memcpy(u, x, sizeof(double) * (size_t)(n * n));
  for (int step = 0; step < 5; step++) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double c = u[i * n + j];
        double w = j > 0 ? u[i * n + j - 1] : c;
        double e = j < n - 1 ? u[i * n + j + 1] : c;
        double s = i > 0 ? u[(i - 1) * n + j] : c;
        double nn = i < n - 1 ? u[(i + 1) * n + j] : c;
        v[i * n + j] = c + 0.1 * kappa * (w + e + s + nn - 4.0 * c) + 0.02 * c * (1.0 - c * c);
      }
    double *t = u;
    u = v;
    v = t;
  }
  double en = 0.0;
#pragma omp parallel for collapse(2) reduction(+ : en)
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      en += (1.0 + 0.1 * i + 0.05 * j) * u[i * n + j] * u[i * n + j];
  free(u);
  free(v);
  return en;
}

DEFINE_PROG_CHECK(heat2d, n * n + 1, 0)

int main(void) {
  heat2d_all(7, 11u);
  heat2d_all(4, 5u);
  return check_report();
}
