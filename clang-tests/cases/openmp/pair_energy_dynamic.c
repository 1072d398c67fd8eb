// CFLAGS: -fopenmp
// Potential energy of a 2-D particle chain: a soft Lennard-Jones pair energy over the
// triangular pair loop with `schedule(dynamic, 2) reduction(+:E)` (nested loop inside the
// worksharing loop, uneven work per iteration), plus harmonic bonds between neighbours with
// `schedule(guided) reduction(+:B)`, and a confinement term in a `parallel for` with a
// `private` temporary. The gradient is the force field (reverse), the tangent a directional
// derivative (forward). Dynamic and guided schedules change the summation order between runs,
// so the finite differences run the primal on one thread.
#include "omp_prog.h"

double chain_energy(const double *x, int n) {
  double E = 0.0, B = 0.0, C = 0.0;
#pragma omp parallel for schedule(dynamic, 2) reduction(+ : E)
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double dx = x[2 * i] - x[2 * j], dy = x[2 * i + 1] - x[2 * j + 1];
      double inv = 1.0 / (dx * dx + dy * dy + 0.8);
      double inv3 = inv * inv * inv;
      E += 4.0 * (inv3 * inv3 - inv3);
    }
#pragma omp parallel for schedule(guided) reduction(+ : B)
  for (int i = 0; i < n - 1; i++) {
    double dx = x[2 * i + 2] - x[2 * i], dy = x[2 * i + 3] - x[2 * i + 1];
    double d = sqrt(dx * dx + dy * dy + 1e-3) - 0.7;
    B += 0.5 * 3.0 * d * d;
  }
  double r2;
#pragma omp parallel for private(r2) reduction(+ : C)
  for (int i = 0; i < n; i++) {
    r2 = x[2 * i] * x[2 * i] + x[2 * i + 1] * x[2 * i + 1];
    C += 0.1 * r2 * r2;
  }
  return E + B + C;
}

DEFINE_PROG_CHECK(chain_energy, 2 * n, 1)

int main(void) {
  chain_energy_all(13, 3u);
  chain_energy_all(5, 9u);
  return check_report();
}
