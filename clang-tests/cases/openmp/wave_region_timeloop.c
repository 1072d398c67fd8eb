// CFLAGS: -fopenmp
// A 1-D wave equation (leapfrog, fixed ends) time-stepped inside ONE `parallel` region: the
// serial time loop runs on every thread, each step an `omp for` over the interior points
// (implicit barrier) followed by an `omp single` that rotates the three time levels (shared
// pointers, implicit barrier after it); then an `omp for reduction(+:e)` for the energy, and
// a `reduction(max:peak)` of the final displacement magnitude outside the region. Inputs: the
// initial displacement and velocity.
#include "omp_prog.h"
#include <string.h>

double wave_energy(const double *x, int n) {
  double *a = (double *)malloc(sizeof(double) * (size_t)n);
  double *b = (double *)malloc(sizeof(double) * (size_t)n);
  double *c = (double *)malloc(sizeof(double) * (size_t)n);
  const double r2 = 0.36, dt = 0.1;
  for (int i = 0; i < n; i++) {
    a[i] = x[i];
    b[i] = x[i] + dt * x[n + i];
  }
  a[0] = a[n - 1] = b[0] = b[n - 1] = c[0] = c[n - 1] = 0.0;
  double *prev = a, *cur = b, *next = c, e = 0.0;
#pragma omp parallel
  {
    for (int t = 0; t < 7; t++) {
#pragma omp for schedule(static)
      for (int i = 1; i < n - 1; i++)
        next[i] = 2.0 * cur[i] - prev[i] + r2 * (cur[i - 1] - 2.0 * cur[i] + cur[i + 1]) -
                  0.05 * cur[i] * cur[i] * cur[i];
#pragma omp single
      {
        double *tmp = prev;
        prev = cur;
        cur = next;
        next = tmp;
      }
    }
#pragma omp for reduction(+ : e)
    for (int i = 1; i < n - 1; i++) {
      double v = (cur[i] - prev[i]) / dt, g = cur[i + 1] - cur[i];
      e += 0.5 * v * v + 0.5 * r2 / (dt * dt) * g * g;
    }
  }
  double peak = 0.0;
#pragma omp parallel for reduction(max : peak)
  for (int i = 0; i < n; i++)
    peak = fmax(peak, cur[i] * cur[i]);
  free(a);
  free(b);
  free(c);
  return e + peak;
}

DEFINE_PROG_CHECK(wave_energy, 2 * n, 0)

int main(void) {
  wave_energy_all(21, 19u);
  wave_energy_all(4, 23u);
  return check_report();
}
