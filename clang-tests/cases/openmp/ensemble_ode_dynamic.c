// CFLAGS: -fopenmp
// An ensemble of damped nonlinear oscillators, each integrated with Heun's method (a serial
// time loop inside each iteration of a `parallel for schedule(dynamic)`), with a member-
// dependent step count; each member writes its own final state into a shared array, and the
// misfit against observations is summed after the region. Inputs: per member the initial
// position, velocity and damping. The gradient is what a parameter fit needs.
#include "omp_prog.h"

static void rhs(double q, double p, double c, double *dq, double *dp) {
  *dq = p;
  *dp = -sin(q) - c * p;
}

double ensemble_misfit(const double *x, int m) {
  double *final = (double *)malloc(sizeof(double) * (size_t)(2 * m));
#pragma omp parallel for schedule(dynamic)
  for (int e = 0; e < m; e++) {
    double q = x[3 * e], p = x[3 * e + 1], c = 0.2 + 0.1 * x[3 * e + 2];
    const double h = 0.05;
    int steps = 20 + 3 * (e % 4);
    for (int t = 0; t < steps; t++) {
      double k1q, k1p, k2q, k2p;
      rhs(q, p, c, &k1q, &k1p);
      rhs(q + h * k1q, p + h * k1p, c, &k2q, &k2p);
      q += 0.5 * h * (k1q + k2q);
      p += 0.5 * h * (k1p + k2p);
    }
    final[2 * e] = q;
    final[2 * e + 1] = p;
  }
  double f = 0.0;
  for (int e = 0; e < m; e++) {
    double dq = final[2 * e] - 0.1 * e, dp = final[2 * e + 1];
    f += dq * dq + 0.5 * dp * dp;
  }
  free(final);
  return f;
}

DEFINE_PROG_CHECK(ensemble_misfit, 3 * n, 0)

int main(void) {
  ensemble_misfit_all(11, 14u);
  ensemble_misfit_all(2, 15u);
  return check_report();
}
