// CFLAGS: -fopenmp
// Run-time schedules (dynamic, guided, runtime) in regions whose forward sweep has nothing to
// compute once differentiated: the energy the reduction sums is not needed by the gradient,
// which recomputes everything in the reverse sweep. The reverse sweep replays the chunks each
// thread took in the forward sweep; such a forward sweep deals its chunks round-robin, so the
// reverse work is shared among the threads (it used to land on whichever thread reached the loop
// first). The inputs are restrict, so the reverse sweep reads them again instead of taping them
// (a forward sweep that tapes them keeps its schedule: its work follows the reverse's). Checked: the gradient against finite differences and forward mode at 1, 2 and 4
// threads, and, with 2 threads, that each thread ran a share of the iterations.
#include "omp_check.h"

double pairs_dynamic(const double *restrict x, int n) {
  double e = 0.0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 3)
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double d = x[i] - x[j];
      double r2 = d * d + 0.5;
      if (r2 < 2.0) // a smooth cutoff: the term and its slope vanish at r2 = 2
        e += (2.0 - r2) * (2.0 - r2) / r2;
    }
  return e;
}

double pairs_dynamic1(const double *restrict x, int n) {
  double e = 0.0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic)
  for (long i = 0; i < n; i++)
    for (long j = 0; j < i; j++)
      e += sin(x[i] * x[j]);
  return e;
}

double guided_max(const double *restrict x, int n) {
  double m = -1e300, s = 0.0;
#pragma omp parallel for reduction(max : m) reduction(+ : s) schedule(guided, 2)
  for (int i = 0; i < n; i++) {
    double v = x[i] * x[(i + 1) % n];
    m = v > m ? v : m;
    s += exp(0.1 * x[i]);
  }
  return m + s;
}

double runtime_nowait(const double *restrict x, int n) {
  double e = 0.0;
#pragma omp parallel reduction(+ : e)
  {
#pragma omp for schedule(runtime) nowait
    for (int i = 0; i < n; i++)
      e += x[i] * x[i] * x[(i * 7) % n];
#pragma omp for schedule(dynamic, 2)
    for (int i = 0; i < n; i++)
      e += cos(x[i]);
  }
  return e;
}

// Iterations run by each thread in the last call (thread numbers below 64).
static int ran[64];

double pairs_counted(const double *restrict x, int n) {
  double e = 0.0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 4)
  for (int i = 0; i < n; i++) {
    ran[omp_get_thread_num() & 63]++;
    for (int j = i + 1; j < n; j++) {
      double d = x[i] - x[j];
      e += 0.1 * d * d * (1.0 + x[j]);
    }
  }
  return e;
}

// Finite differences of the primal on one thread: dynamic, guided and runtime schedules sum the
// reduction in a different order on every run, noise the differences would divide by the step.
DEFINE_SCALAR_CHECK_T(pairs_dynamic, int, n, 1)
DEFINE_SCALAR_CHECK_T(pairs_dynamic1, int, n, 1)
DEFINE_SCALAR_CHECK_T(guided_max, int, n, 1)
DEFINE_SCALAR_CHECK_T(runtime_nowait, int, n, 1)
DEFINE_SCALAR_CHECK_T(pairs_counted, int, n, 1)

int main(void) {
  static const int ns[] = {1, 7, 40};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    pairs_dynamic_check(ns[c], 3u + c);
    pairs_dynamic1_check(ns[c], 5u + c);
    guided_max_check(ns[c], 7u + c);
    runtime_nowait_check(ns[c], 9u + c);
    pairs_counted_check(ns[c], 11u + c);
  }
#ifdef __OPTIMIZE__
  // The share of each of 2 threads in the augmented sweep of one gradient, which its reverse
  // sweep replays (at -O0 the forward sweep still sums the energy, and keeps its schedule).
  enum { N = 400 };
  static double x[N], dx[N];
  unsigned s = 17u;
  for (int i = 0; i < N; i++)
    x[i] = prand(&s);
  omp_set_num_threads(2);
  for (int rep = 0; rep < 5; rep++) {
    for (int t = 0; t < 64; t++)
      ran[t] = 0;
    __enzyme_autodiff((void *)pairs_counted, enzyme_dup, x, dx, enzyme_const, N);
    CHECK_TRUE("thread 0 ran at least a third of the iterations", ran[0] >= N / 3);
    CHECK_TRUE("thread 1 ran at least a third of the iterations", ran[1] >= N / 3);
  }
#endif
  return check_report();
}
