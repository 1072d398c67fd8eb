// CFLAGS: -fopenmp
// A team of several threads reverses a region with per-thread adjoint buffers (the adds into
// shared shadow memory inside its loops go to a buffer of the thread, merged into shadow memory
// before anything that could read them). Checked here: adjoints merged before a critical
// section passes its turn on (a `nowait` loop before the section: in the reverse sweep the first
// thread releases the section and then reverses its long loop; the next thread must read the
// complete adjoint of the shared sum), sites of two types (float and double arrays), buffers
// grown from a few elements to a million, pairs (every iteration adds into many elements), and
// plain reads of shadow memory in a loop (each checks whether the buffer holds that element:
// two pointers to one buffer, written through one and read through the other). Oracles: analytic gradients (large sizes, so that a merge missing
// before a synchronization shows), finite differences through omp_check.h (small sizes).
#include "omp_check.h"
#include <math.h>

// s = 3 * sum_i x[i] x[i+1], each thread's share summed in a critical section after a nowait loop
__attribute__((noinline)) double crit_sum(const double *x, long n) {
  double s = 0;
#pragma omp parallel
  {
    double loc = 0;
#pragma omp for schedule(static) nowait
    for (long i = 0; i < n - 1; i++)
      loc += x[i] * x[i + 1];
#pragma omp critical
    s += 3 * loc;
  }
  return s;
}

// the same with a reduction clause and a float array read beside the double one
__attribute__((noinline)) double mixed(const double *x, const float *z, long n) {
  double s = 0;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : s)
  for (long i = 1; i < n - 1; i++)
    s += x[i - 1] * (double)z[i + 1] + (double)z[i] * x[i + 1];
  return s;
}

static void check_crit(long n) {
  double *x = (double *)malloc(sizeof(double) * (size_t)n);
  double *g = (double *)calloc((size_t)n, sizeof(double));
  for (long i = 0; i < n; i++)
    x[i] = sin(0.1 * (double)i) + 1.5;
  for (unsigned c = 0; c < COUNT_OF(omp_check_threads); c++) {
    omp_set_num_threads(omp_check_threads[c]);
    for (long i = 0; i < n; i++)
      g[i] = 0.0;
    __enzyme_autodiff((void *)crit_sum, enzyme_dup, x, g, enzyme_const, n);
    double worst = 0.0;
    long at = 0;
    for (long i = 0; i < n; i++) {
      double want = 3.0 * ((i > 0 ? x[i - 1] : 0.0) + (i < n - 1 ? x[i + 1] : 0.0));
      double e = fabs(g[i] - want) / (1.0 + fabs(want));
      if (e > worst) {
        worst = e;
        at = i;
      }
    }
    char what[96];
    snprintf(what, sizeof what, "crit_sum n=%ld threads=%d worst element %ld", n, omp_check_threads[c], at);
    CHECK_CLOSE(what, worst, 0.0, 0.0, 1e-12);
  }
  free(x);
  free(g);
}

static void check_mixed(long n) {
  double *x = (double *)malloc(sizeof(double) * (size_t)n);
  double *gx = (double *)calloc((size_t)n, sizeof(double));
  float *z = (float *)malloc(sizeof(float) * (size_t)n);
  float *gz = (float *)calloc((size_t)n, sizeof(float));
  for (long i = 0; i < n; i++) {
    x[i] = cos(0.07 * (double)i);
    z[i] = (float)(0.5 + 0.25 * sin(0.3 * (double)i));
  }
  for (unsigned c = 0; c < COUNT_OF(omp_check_threads); c++) {
    omp_set_num_threads(omp_check_threads[c]);
    for (long i = 0; i < n; i++) {
      gx[i] = 0.0;
      gz[i] = 0.0f;
    }
    __enzyme_autodiff((void *)mixed, enzyme_dup, x, gx, enzyme_dup, z, gz, enzyme_const, n);
    double worst_x = 0.0, worst_z = 0.0;
    for (long i = 0; i < n; i++) {
      // s = sum_{i=1}^{n-2} x[i-1] z[i+1] + z[i] x[i+1]
      double wx = 0.0, wz = 0.0;
      if (i + 1 >= 1 && i + 1 <= n - 2)
        wx += (double)z[i + 2];
      if (i - 1 >= 1 && i - 1 <= n - 2)
        wx += (double)z[i - 1];
      if (i - 1 >= 1 && i - 1 <= n - 2)
        wz += x[i - 2];
      if (i >= 1 && i <= n - 2)
        wz += x[i + 1];
      worst_x = fmax(worst_x, fabs(gx[i] - wx) / (1.0 + fabs(wx)));
      worst_z = fmax(worst_z, fabs((double)gz[i] - wz) / (1.0 + fabs(wz)));
    }
    char what[96];
    snprintf(what, sizeof what, "mixed n=%ld threads=%d d/dx", n, omp_check_threads[c]);
    CHECK_CLOSE(what, worst_x, 0.0, 0.0, 1e-12);
    snprintf(what, sizeof what, "mixed n=%ld threads=%d d/dz", n, omp_check_threads[c]);
    CHECK_CLOSE(what, worst_z, 0.0, 0.0, 1e-5);
  }
  free(x);
  free(gx);
  free(z);
  free(gz);
}

// two loops in one region, the second reading (shifted) what the first wrote: the reverse of
// the first loop reads and clears t's shadow in every iteration (checked against the buffers);
// y[i] also reads x at both ends
void two_loops(const double *x, double *y, int n) {
  double *t = (double *)calloc((size_t)n, sizeof(double));
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++)
      t[i] = x[i] * x[(i + 1) % n];
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++)
      y[i] = t[(i + 3) % n] * t[i] + x[n - 1 - i] * x[0];
  }
  free(t);
}

// every pair (i, j > i) inside a cutoff adds into both ends' adjoints
double pairs(const double *x, int n) {
  double e = 0.0;
#pragma omp parallel for schedule(dynamic, 2) reduction(+ : e)
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double d = x[i] - x[j];
      if (d * d < 4.0)
        e += 1.0 / (1.0 + d * d);
    }
  return e;
}

// p and q are the same buffer: each iteration stores through p and loads the same element
// through q, so its reverse adds into q's shadow (a buffered add) and then reads and clears
// p's shadow: the element must be merged before that read
__attribute__((noinline)) static void same_buffer(double *p, const double *q, const double *x,
                                                  double *y, int n) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; i++) {
    p[i] = x[i] * x[i] + 1.0;
    y[i] = q[i] * x[(i + 1) % n];
  }
}

void aliased(const double *x, double *y, int n) {
  double *w = (double *)calloc((size_t)n, sizeof(double));
  same_buffer(w, w, x, y, n);
  for (int i = 0; i < n; i++)
    y[i] += w[(i + 2) % n];
  free(w);
}

DEFINE_KERNEL_CHECK(two_loops, n, n)
DEFINE_KERNEL_CHECK(aliased, n, n)
DEFINE_SCALAR_CHECK(pairs, n)

int main(void) {
  check_crit(1000000);
  check_crit(5);
  check_mixed(300000);
  check_mixed(4);
  static const int ns[] = {1, 2, 9, 40};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    two_loops_check(ns[c], 3u + c);
    aliased_check(ns[c], 7u + c);
    pairs_check(ns[c], 11u + c);
  }
  return check_report();
}
