// CFLAGS: -fopenmp
// Cloud-in-cell charge deposition of a particle-in-cell code: each particle (position in
// [-1, 1), charge) adds its charge to the two nearest cells of a shared grid with linear
// weights, `#pragma omp atomic` updates of the shared array in a `parallel for`; then the
// field energy sum_g (1 + 0.1 g) rho_g^2. Inputs: positions then charges; the gradient with
// respect to positions is the (scaled) force. Many particles share a cell, on different threads.
#include "omp_prog.h"

#define CELLS 16

double deposit_energy(const double *x, int np) {
  double *rho = (double *)calloc(CELLS, sizeof(double));
#pragma omp parallel for
  for (int p = 0; p < np; p++) {
    double s = (x[p] + 1.0) * 0.5 * (CELLS - 2) + 0.5;
    int c = (int)s;
    double f = s - c, q = 1.0 + 0.5 * x[np + p];
#pragma omp atomic
    rho[c] += (1.0 - f) * q;
#pragma omp atomic
    rho[c + 1] += f * q;
  }
  double e = 0.0;
  for (int g = 0; g < CELLS; g++)
    e += (1.0 + 0.1 * g) * rho[g] * rho[g];
  free(rho);
  return e;
}

DEFINE_PROG_CHECK(deposit_energy, 2 * n, 1)

int main(void) {
  deposit_energy_all(40, 8u);
  deposit_energy_all(3, 2u);
  return check_report();
}
