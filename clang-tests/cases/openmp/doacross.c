// CFLAGS: -fopenmp
// Doacross loops (ordered(n) with depend(sink) / depend(source)): a 1-D recurrence (each
// iteration reads what the previous one wrote) and a 2-D Gauss-Seidel sweep (a wavefront: cell
// (i, j) waits for (i-1, j) and (i, j-1)), with work outside the ordered part too. The reverse
// sweep runs the ordered parts' reverses in the opposite order of the forward's (tickets taken
// once an iteration's waits returned). Checked: gradients against finite differences and
// forward mode at 1, 2 and 4 threads; forward mode alone against finite differences.
#include "omp_check.h"

// y = x, then y[i] += 0.5 sin(y[i-1]) in order; the objective weights y.
void recurrence(const double *x, double *y, int n) {
#pragma omp parallel
  {
#pragma omp for
    for (int i = 0; i < n; i++)
      y[i] = x[i];
#pragma omp for ordered(1) schedule(static, 1)
    for (int i = 1; i < n; i++) {
      double w = cos(x[i]) * x[i]; // independent work before the wait
#pragma omp ordered depend(sink : i - 1)
      y[i] = y[i] + 0.5 * sin(y[i - 1]) + 0.1 * w * y[i - 1];
#pragma omp ordered depend(source)
    }
  }
}

// One Gauss-Seidel sweep of a nonlinear Poisson-like problem on an m x m grid (interior
// cells), in place: u[i][j] = 0.25 (u[i-1][j] + u[i+1][j] + u[i][j-1] + u[i][j+1]) - h f(u).
// The result is the grid itself (NY = NX = m * m).
static int grid_m(int n) { return n; }
void gauss_seidel(const double *x, double *u, int n) {
  int m = grid_m(n);
  for (int k = 0; k < m * m; k++)
    u[k] = x[k];
#pragma omp parallel for ordered(2) schedule(static, 1)
  for (int i = 1; i < m - 1; i++)
    for (int j = 1; j < m - 1; j++) {
#pragma omp ordered depend(sink : i - 1, j) depend(sink : i, j - 1)
      {
        double c = u[i * m + j];
        u[i * m + j] = 0.25 * (u[(i - 1) * m + j] + u[(i + 1) * m + j] + u[i * m + j - 1] +
                               u[i * m + j + 1]) -
                       0.05 * c * c * c;
      }
#pragma omp ordered depend(source)
    }
}

DEFINE_KERNEL_CHECK(recurrence, n, n)
DEFINE_KERNEL_CHECK(gauss_seidel, n *n, n *n)

int main(void) {
  static const int ns[] = {1, 2, 9, 33};
  for (unsigned c = 0; c < COUNT_OF(ns); c++)
    recurrence_check(ns[c], 3u + c);
  static const int ms[] = {3, 4, 7};
  for (unsigned c = 0; c < COUNT_OF(ms); c++)
    gauss_seidel_check(ms[c], 11u + c);
  return check_report();
}
