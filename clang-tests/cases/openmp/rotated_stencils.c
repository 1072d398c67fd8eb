// CFLAGS: -fopenmp
// Stencil accumulations in the copies of a region's reverse (plugin/src/openmp.rs
// `define_team_copies`, prepare.rs `rotate_plain_accumulations`): a team of one adds plainly, and
// so does a team's loop block whose adds all lie in the thread's private range; those adds into
// neighbouring shadow elements (`dx[i-1..i+1] += ...`) are rotated into partial sums carried in
// registers (issue 19, omp_stencil). Shapes: a Jacobi time loop swapping two buffers (each step an
// `omp parallel for`, omp_stencil's shape); a stencil with boundary selects over the whole range;
// a stencil reading one half of a buffer and writing the other (one object: the rotated loop runs
// behind a run-time test of the address ranges); a region whose second loop reads what another
// thread's iteration of its first loop wrote (the rotated sums left at a loop's exit must reach
// memory before the first loop's reverse reads them); and, where the rotation must not apply, an
// in-place red-black half sweep (the addresses move by two elements: reads and writes
// interleave in one array). Sizes from empty thread blocks (n = 3, 4 threads) to long ones.
// Checked with 1, 2 and 4 threads against finite differences and forward mode (omp_check.h).
#include "omp_check.h"
#include <string.h>

void jacobi(const double *x, double *y, int n) {
  long m = n;
  double *u = (double *)malloc(sizeof(double) * (size_t)m);
  double *v = (double *)malloc(sizeof(double) * (size_t)m);
  memcpy(u, x, sizeof(double) * (size_t)m);
  v[0] = u[0];
  v[m - 1] = u[m - 1];
  for (int t = 0; t < 3; t++) {
#pragma omp parallel for schedule(static)
    for (long i = 1; i < m - 1; i++) {
      double c = u[i];
      v[i] = c + 0.25 * (u[i - 1] - 2 * c + u[i + 1]) - 0.1 * c * c * c;
    }
    double *w = u;
    u = v;
    v = w;
  }
  memcpy(y, u, sizeof(double) * (size_t)m);
  free(u);
  free(v);
}

void boundary_selects(const double *x, double *y, int n) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; i++) {
    double l = i > 0 ? x[i - 1] : x[i];
    double r = i < n - 1 ? x[i + 1] : x[i];
    y[i] = l * x[i] - 0.5 * r * r + 0.25 * (l - 2 * x[i] + r);
  }
}

void halves(const double *x, double *y, int n) {
  long m = n;
  double *z = (double *)malloc(sizeof(double) * (size_t)(2 * m));
  memcpy(z, x, sizeof(double) * (size_t)m);
  z[m] = 0.0;
  z[2 * m - 1] = 0.0;
#pragma omp parallel for schedule(static)
  for (long i = 1; i < m - 1; i++)
    z[m + i] = z[i - 1] * z[i + 1] + 0.5 * z[i] * z[i];
  for (long i = 0; i < m; i++)
    y[i] = z[m + i];
  free(z);
}

void two_loops(const double *x, double *y, int n) {
  double *t = (double *)malloc(sizeof(double) * (size_t)n);
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++)
      t[i] = x[i] * x[i] + 0.5 * x[i];
#pragma omp for schedule(static)
    for (int i = 1; i < n - 1; i++)
      y[i] = t[i - 1] * t[i + 1] - t[i] * x[i];
  }
  free(t);
}

void red_black(const double *x, double *y, int n) {
  long m = n;
  double *z = (double *)malloc(sizeof(double) * (size_t)m);
  memcpy(z, x, sizeof(double) * (size_t)m);
#pragma omp parallel for schedule(static)
  for (long k = 0; k < (m - 1) / 2; k++)
    z[2 * k + 1] = 0.5 * z[2 * k] * z[2 * k + 2] + 0.25 * z[2 * k + 1];
  memcpy(y, z, sizeof(double) * (size_t)m);
  free(z);
}

DEFINE_KERNEL_CHECK(jacobi, n, n)
DEFINE_KERNEL_CHECK(boundary_selects, n, n)
DEFINE_KERNEL_CHECK(halves, n, n)
DEFINE_KERNEL_CHECK(two_loops, n, n)
DEFINE_KERNEL_CHECK(red_black, n, n)

int main(void) {
  static const int ns[] = {3, 4, 5, 9, 64, 301};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    jacobi_check(ns[c], 7u + c);
    boundary_selects_check(ns[c], 17u + c);
    halves_check(ns[c], 31u + c);
    two_loops_check(ns[c], 47u + c);
    red_black_check(ns[c], 59u + c);
  }
  return check_report();
}
