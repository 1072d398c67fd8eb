// CFLAGS: -fopenmp
// A checkpointed time loop over the function's own pointer parameters (u, v are `restrict`
// parameters and the checkpoint regions), with a parallel reduction after the loop. At -O0 the
// parameters keep their stack slots because the reduction's region captures them by address,
// so the regions' pointers and the step's arguments are separate loads of one slot; the loop
// was refused at -O0 ("writes memory through its argument 1 that ferment cannot place inside
// the checkpoint regions"). The slot is stored once and the regions only load from it, so both
// loads are the same pointer. kappa is a region too (the caller's x is not `restrict`, and a fork
// after the loop keeps the one-call vouch for memory outside the regions from holding).
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

// f = 0.5 sum u(T)^2 + sum_i (i + 1) v_i(T) / n, the sums parallel reductions after the loop
__attribute__((noinline)) static double heat(double *restrict u, double *restrict v, long n, long steps,
                                             const double *restrict kappa) {
  v[0] = u[0];
  v[n - 1] = u[n - 1];
  __enzyme_checkpoint_for((void *)jacobi2, 0, steps, enzyme_scheme, &EnzymeCkptPeriodic, (void *)0,
                          enzyme_checkpoint_region, u, n * sizeof(double), enzyme_checkpoint_region, v,
                          n * sizeof(double), enzyme_checkpoint_region, kappa, sizeof(double), u, v, n, kappa);
  double f = 0;
#pragma omp parallel for reduction(+ : f) schedule(static)
  for (long i = 0; i < n; i++)
    f += 0.5 * u[i] * u[i] + (double)(i + 1) * v[i] / (double)n;
  return f;
}

static double heat_steps(const double *x, long n, long steps) {
  double *u = malloc(sizeof(double) * n), *v = malloc(sizeof(double) * n);
  memcpy(u, x, sizeof(double) * n);
  memset(v, 0, sizeof(double) * n);
  double f = heat(u, v, n, steps, x + n);
  free(u);
  free(v);
  return f;
}

// x = u0[n], kappa
__attribute__((noinline)) double heat4(const double *x, long n) { return heat_steps(x, n, 4); }
__attribute__((noinline)) double heat7(const double *x, long n) { return heat_steps(x, n, 7); }

DEFINE_SCALAR_CHECK_T(heat4, long, n + 1, 1)
DEFINE_SCALAR_CHECK_T(heat7, long, n + 1, 1)

int main(void) {
  static const int ns[] = {3, 8, 29};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    heat4_check(ns[c], 13u + c);
    heat7_check(ns[c], 29u + c);
  }
  return check_report();
}
