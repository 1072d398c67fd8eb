// CFLAGS: -fopenmp
// Regression (fuzzer, omp variant, seed 420179): in a parallel region, a select between an element
// of an enzyme_const array and a shared active scalar (`c[i] < s ? c[n - 1 - i] : t`). At -O2
// clang selects between the two addresses and loads once; the array's pointer reaches the region
// through the captured variables, where the caller stored it as its own shadow (it has none), so
// the reverse sweep added adjoints into the constant array itself (a segfault for a `const`
// table in read-only memory, silently changed input data otherwise) and forward mode read it as a
// tangent. Oracles: the analytic derivative (the branch each element takes), forward vs
// reverse, and the constant array unchanged, with 1, 2 and 4 threads.
#include "check.h"
#include <omp.h>

#define N 6
extern int enzyme_const, enzyme_dup, enzyme_dupnoneed, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double table[N] = {0.3, -0.7, 0.9, 0.1, -0.2, 0.6};
static const double table_ro[N] = {0.3, -0.7, 0.9, 0.1, -0.2, 0.6};

double f(const double *c, double *y, double s, double t, int n) {
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i++)
    y[i] = 0.25 * y[i] + cos((c[i] < s) ? c[n - 1 - i] : t) * (1.0 + 0.1 * i);
  return t * t;
}

static void check(const double *c, int threads, double t) {
  const double s = 0.2;
  double y[N], dy[N], ty[N];
  char what[160];
  omp_set_num_threads(threads);
  // reverse: seeds w on y, 1 on the result
  double want_t = 2.0 * t;
  for (int i = 0; i < N; i++) {
    y[i] = 0.1 * i;
    dy[i] = 1.0 + 0.5 * i;
    if (!(c[i] < s))
      want_t += dy[i] * -sin(t) * (1.0 + 0.1 * i);
  }
  double w[N];
  memcpy(w, dy, sizeof w);
  double gt = __enzyme_autodiff((void *)f, enzyme_const, c, enzyme_dup, y, dy, enzyme_const, s,
                                enzyme_out, t, N);
  snprintf(what, sizeof what, "reverse d/dt, %d threads, t = %g", threads, t);
  CHECK_CLOSE(what, gt, want_t, RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++) {
    snprintf(what, sizeof what, "reverse d/dy[%d], %d threads", i, threads);
    CHECK_CLOSE(what, dy[i], 0.25 * w[i], RTOL_D, ATOL_D);
  }
  // forward along dt = 1 (dy = 0): forward vs reverse, <J v, w> = <v, J^T w>
  for (int i = 0; i < N; i++) {
    y[i] = 0.1 * i;
    ty[i] = 0.0;
  }
  double tr = __enzyme_fwddiff((void *)f, enzyme_const, c, enzyme_dup, y, ty, enzyme_const, s,
                               enzyme_dup, t, 1.0, N);
  double lhs = tr;
  for (int i = 0; i < N; i++)
    lhs += w[i] * ty[i];
  snprintf(what, sizeof what, "forward <J v, w> vs reverse, %d threads", threads);
  CHECK_CLOSE(what, lhs, want_t, RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++) {
    snprintf(what, sizeof what, "constant array unchanged [%d], %d threads", i, threads);
    CHECK_CLOSE(what, c[i], table_ro[i], 0.0, 0.0);
  }
}

int main(void) {
  static const int threads[] = {1, 2, 4};
  for (unsigned k = 0; k < COUNT_OF(threads); k++) {
    check(table, threads[k], 0.7);
    check(table_ro, threads[k], -1.3);
  }
  return check_report();
}
