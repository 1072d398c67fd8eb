// CFLAGS: -fopenmp
// A particle / force loop: each particle's force sums pair interactions with every other
// particle (a smoothed inverse-square law), computed by a parallel loop over particles; then a
// parallel leapfrog step moves them. Every iteration reads all positions, so the reverse sweep
// accumulates position adjoints from all threads into the same shadow memory.
#include "omp_check.h"

#define DIM 2

// x: positions then velocities (2 * n * DIM), y: new positions and velocities
void step(const double *x, double *y, int n) {
  const double *pos = x, *vel = x + n * DIM;
  double *force = (double *)calloc((size_t)(n * DIM), sizeof(double));
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; i++) {
    double fx = 0.0, fy = 0.0;
    for (int j = 0; j < n; j++) {
      if (j == i)
        continue;
      double dx = pos[j * DIM] - pos[i * DIM], dy = pos[j * DIM + 1] - pos[i * DIM + 1];
      double r2 = dx * dx + dy * dy + 0.1;
      double inv = 1.0 / (r2 * sqrt(r2));
      fx += dx * inv;
      fy += dy * inv;
    }
    force[i * DIM] = fx;
    force[i * DIM + 1] = fy;
  }
  const double dt = 0.05;
#pragma omp parallel for
  for (int i = 0; i < n * DIM; i++) {
    double v = vel[i] + dt * force[i];
    y[n * DIM + i] = v;
    y[i] = pos[i] + dt * v;
  }
  free(force);
}

// potential energy: a parallel reduction over pairs
double energy(const double *pos, int n) {
  double e = 0.0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 1)
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double dx = pos[j * DIM] - pos[i * DIM], dy = pos[j * DIM + 1] - pos[i * DIM + 1];
      e -= 1.0 / sqrt(dx * dx + dy * dy + 0.1);
    }
  return e;
}

DEFINE_KERNEL_CHECK(step, 2 * n * DIM, 2 * n * DIM)
DEFINE_SCALAR_CHECK(energy, n *DIM)

int main(void) {
  static const int ns[] = {2, 5, 12};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    step_check(ns[c], 17u + c);
    energy_check(ns[c], 19u + c);
  }
  return check_report();
}
