// CFLAGS: -fopenmp
// Finite-volume Burgers equation with a Rusanov flux: a serial time loop, each step a
// `parallel for` over the cell faces that calls a flux helper (a separate, non-inlined
// function with a max and an abs) and then a `parallel for` over the cells updating from the
// face fluxes (periodic boundaries, buffers swapped). The objective is the final field
// against a target. Inputs: the initial field. Neighbouring faces read the same cells on
// different threads.
#include "omp_prog.h"
#include <string.h>

__attribute__((noinline)) static double rusanov(double ul, double ur) {
  double a = fmax(fabs(ul), fabs(ur));
  return 0.25 * (ul * ul + ur * ur) - 0.5 * a * (ur - ul);
}

double burgers(const double *x, int n) {
  double *u = (double *)malloc(sizeof(double) * (size_t)n);
  double *v = (double *)malloc(sizeof(double) * (size_t)n);
  double *flux = (double *)malloc(sizeof(double) * (size_t)n);
  memcpy(u, x, sizeof(double) * (size_t)n);
  const double dtdx = 0.3;
  for (int step = 0; step < 6; step++) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++)
      flux[i] = rusanov(u[i], u[(i + 1) % n]);
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++)
      v[i] = u[i] - dtdx * (flux[i] - flux[(i + n - 1) % n]);
    double *t = u;
    u = v;
    v = t;
  }
  double f = 0.0;
  for (int i = 0; i < n; i++) {
    double d = u[i] - 0.1 * i / n;
    f += d * d;
  }
  free(u);
  free(v);
  free(flux);
  return f;
}

DEFINE_PROG_CHECK(burgers, n, 0)

int main(void) {
  burgers_all(24, 31u);
  burgers_all(5, 17u);
  return check_report();
}
