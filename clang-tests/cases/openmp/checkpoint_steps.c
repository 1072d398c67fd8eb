// CFLAGS: -fopenmp
// Checkpointed time loops (__enzyme_checkpoint_for with enzyme_checkpoint_regions) whose step
// is made of OpenMP worksharing loops: the double-buffered Jacobi stencil of benches omp_stencil
// written as a step of two sweeps (u -> v, v -> u; both buffers are regions), and a step with a
// chunked static schedule, a nonlinear source term and a parallel copy back. The gradient keeps
// one snapshot per segment and recomputes each segment (its regions forked again) in the
// reverse sweep. Trip counts that are not multiples of the segment length (ceil(sqrt(steps))).
// The coefficients c that the second step's region reads are listed as a region too (copied
// with each snapshot) in `sourced`, and not in `sourced_captured`: there the region reads them
// through the stack slot clang passes the capture in, which the write check refused before
// (a pointer outside the regions stored in memory); now the slot's contents count as read
// (vouched by the one-call gradient) and the region's writes through it are checked. The objective after the loop is serial: the one-call vouch
// for memory the steps read outside the regions (x is not `restrict`) does not hold across a
// fork after the loop.
// Oracles: central finite differences of the primal run on ONE thread, and forward vs reverse,
// with the gradient on 1, 2 and 4 threads (omp_check.h), -O0..-O3.
#include "omp_check.h"
#include <enzyme/checkpoint.h>
#include <math.h>
#include <string.h>

static const double R = 0.25, DT = 0.05;

static void jacobi2(int64_t t, double *u, double *v, long n, const double *kappa) {
  (void)t;
  double k = kappa[0];
#pragma omp parallel for schedule(static)
  for (long i = 1; i < n - 1; i++) {
    double c = u[i];
    v[i] = c + R * (u[i - 1] - 2 * c + u[i + 1]) - DT * k * c * c * c;
  }
#pragma omp parallel for schedule(static)
  for (long i = 1; i < n - 1; i++) {
    double c = v[i];
    u[i] = c + R * (v[i - 1] - 2 * c + v[i + 1]) - DT * k * c * c * c;
  }
}

// x = u0[n], kappa; f = 0.5 sum u(T)^2 after `steps` double steps
static double heat_steps(const double *x, long n, long steps) {
  double *u = malloc(sizeof(double) * n), *v = malloc(sizeof(double) * n);
  memcpy(u, x, sizeof(double) * n);
  v[0] = u[0];
  v[n - 1] = u[n - 1];
  __enzyme_checkpoint_for((void *)jacobi2, 0, steps, enzyme_scheme, &EnzymeCkptPeriodic, (void *)0,
                          enzyme_checkpoint_region, u, n * sizeof(double), enzyme_checkpoint_region, v,
                          n * sizeof(double), u, v, n, x + n);
  double f = 0;
  for (long i = 0; i < n; i++)
    f += u[i] * u[i];
  free(u);
  free(v);
  return 0.5 * f;
}

__attribute__((noinline)) double heat5(const double *x, long n) { return heat_steps(x, n, 5); }
__attribute__((noinline)) double heat7(const double *x, long n) { return heat_steps(x, n, 7); }

static void source_step(int64_t t, double *u, double *w, long n, const double *c) {
#pragma omp parallel for schedule(static, 3)
  for (long i = 0; i < n; i++) {
    double left = i > 0 ? u[i - 1] : u[i], right = i < n - 1 ? u[i + 1] : u[i];
    w[i] = u[i] + 0.2 * (left - 2 * u[i] + right) + 0.1 * c[i] * sin(u[i]) + 0.01 * (double)t;
  }
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++)
    u[i] = w[i];
}

// x = u0[n], c[n]; f = sum_i (i + 1) u_i(T)^2 / n after 6 steps
__attribute__((noinline)) double sourced(const double *x, long n) {
  double *u = malloc(sizeof(double) * n), *w = malloc(sizeof(double) * n);
  memcpy(u, x, sizeof(double) * n);
  __enzyme_checkpoint_for((void *)source_step, 0, 6, enzyme_scheme, &EnzymeCkptPeriodic, (void *)0,
                          enzyme_checkpoint_region, u, n * sizeof(double), enzyme_checkpoint_region, w,
                          n * sizeof(double), enzyme_checkpoint_region, x + n, n * sizeof(double), u, w, n,
                          x + n);
  double f = 0;
  for (long i = 0; i < n; i++)
    f += (double)(i + 1) * u[i] * u[i] / (double)n;
  free(u);
  free(w);
  return f;
}

// the same with c outside the regions: the regions read it through a capture slot
__attribute__((noinline)) double sourced_captured(const double *x, long n) {
  double *u = malloc(sizeof(double) * n), *w = malloc(sizeof(double) * n);
  memcpy(u, x, sizeof(double) * n);
  __enzyme_checkpoint_for((void *)source_step, 0, 5, enzyme_scheme, &EnzymeCkptPeriodic, (void *)0,
                          enzyme_checkpoint_region, u, n * sizeof(double), enzyme_checkpoint_region, w,
                          n * sizeof(double), u, w, n, x + n);
  double f = 0;
  for (long i = 0; i < n; i++)
    f += (double)(i + 1) * u[i] * u[i] / (double)n;
  free(u);
  free(w);
  return f;
}

DEFINE_SCALAR_CHECK_T(heat5, long, n + 1, 1)
DEFINE_SCALAR_CHECK_T(heat7, long, n + 1, 1)
DEFINE_SCALAR_CHECK_T(sourced, long, 2 * n, 1)
DEFINE_SCALAR_CHECK_T(sourced_captured, long, 2 * n, 1)

int main(void) {
  static const int ns[] = {3, 8, 29};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    heat5_check(ns[c], 11u + c);
    heat7_check(ns[c], 23u + c);
    sourced_check(ns[c], 37u + c);
    sourced_captured_check(ns[c], 41u + c);
  }
  return check_report();
}
