// CFLAGS: -fopenmp
// A team of several threads reverses pair loops whose adjoint adds go to per-thread buffers
// (dynamic schedules: no private ranges). Adds into adjacent elements of one object in one block
// (x[3j], x[3j+1], x[3j+2]) share one check that the buffer holds them all (one group); the
// cases where they must not: elements farther apart than a group may span (records of 12
// doubles, fields 0..2 and 11), an add through another address of the same object between two
// adjacent ones (x[2j], x[perm[j]], x[2j+1]: its buffer growth may move the buffer), adds in
// different blocks (a cutoff branch around some), a hole between two adds (x[j-1], x[j+1]),
// 32-bit indices. Oracles: central finite differences and forward vs reverse (small sizes,
// omp_check.h), an analytic gradient at a size where the buffers grow many times (several
// thousand elements per thread, so groups straddle a buffer's edge), each with 1, 2 and 4
// threads.
#include "omp_check.h"
#include <math.h>

// e = sum_{i<j} 1 / (1 + |p_i - p_j|^2), p_i = x[3i..3i+2]
__attribute__((noinline)) double triples(const double *x, long n) {
  double e = 0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 4)
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
      e += 1.0 / (1.0 + dx * dx + dy * dy + dz * dz);
    }
  return e;
}

// the same with 32-bit indices and a cutoff: pairs farther apart add nothing
__attribute__((noinline)) double triples_cut(const double *x, int n) {
  double e = 0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 3)
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
      double r2 = dx * dx + dy * dy + dz * dz;
      if (r2 < 1.5)
        e += (1.5 - r2) * (1.5 - r2) * x[3 * j + 1];
    }
  return e;
}

// records of 12 doubles: fields 0, 1, 2 and 11 (88 bytes from field 0: not one group)
__attribute__((noinline)) double records(const double *x, long n) {
  double e = 0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 2)
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double a = x[12 * i] - x[12 * j], b = x[12 * i + 1] - x[12 * j + 1], c = x[12 * i + 2] - x[12 * j + 2];
      e += x[12 * i + 11] * x[12 * j + 11] / (1.0 + a * a + b * b + c * c);
    }
  return e;
}

// x[j-1] and x[j+1]: two adds with a hole between them
__attribute__((noinline)) double gapped(const double *x, long n) {
  double e = 0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 5)
  for (long i = 1; i < n - 1; i++)
    for (long j = i + 1; j < n - 1; j++) {
      double d = x[j - 1] - x[j + 1] + 0.5 * x[i];
      e += d * d * x[i + 1];
    }
  return e;
}

// x[2j], x[perm[j]], x[2j+1]: the add through perm lies between the two adjacent ones
static int perm[4096];
__attribute__((noinline)) double interleaved(const double *x, long n) {
  double e = 0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 3)
  for (long i = 0; i < n; i++)
    for (long j = 0; j < n; j++) {
      if (j == i)
        continue;
      double a = x[2 * i] - x[2 * j];
      double w = x[perm[j]];
      double b = x[2 * i + 1] - x[2 * j + 1];
      e += w * a * a + sin(b) * a;
    }
  return e;
}

DEFINE_SCALAR_CHECK_T(triples, long, 3 * n, 1)
DEFINE_SCALAR_CHECK_T(triples_cut, int, 3 * n, 1)
DEFINE_SCALAR_CHECK_T(records, long, 12 * n, 1)
DEFINE_SCALAR_CHECK_T(gapped, long, n, 1)
DEFINE_SCALAR_CHECK_T(interleaved, long, 2 * n, 1)

// triples at a size where every thread's buffer grows many times, against the analytic
// gradient: d/dp_i of 1 / (1 + r2) is -2 (p_i - p_j) / (1 + r2)^2
static void check_triples_large(long n) {
  double *x = (double *)malloc(sizeof(double) * (size_t)(3 * n));
  double *g = (double *)calloc((size_t)(3 * n), sizeof(double));
  double *want = (double *)calloc((size_t)(3 * n), sizeof(double));
  unsigned s = 7;
  for (long i = 0; i < 3 * n; i++)
    x[i] = 3.0 * prand(&s);
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double d[3], r2 = 0;
      for (int k = 0; k < 3; k++) {
        d[k] = x[3 * i + k] - x[3 * j + k];
        r2 += d[k] * d[k];
      }
      double w = 1.0 / (1.0 + r2);
      for (int k = 0; k < 3; k++) {
        want[3 * i + k] -= 2.0 * d[k] * w * w;
        want[3 * j + k] += 2.0 * d[k] * w * w;
      }
    }
  for (unsigned c = 0; c < COUNT_OF(omp_check_threads); c++) {
    omp_set_num_threads(omp_check_threads[c]);
    for (long i = 0; i < 3 * n; i++)
      g[i] = 0.0;
    __enzyme_autodiff((void *)triples, enzyme_dup, x, g, enzyme_const, n);
    double worst = 0.0;
    long at = 0;
    for (long i = 0; i < 3 * n; i++) {
      double e = fabs(g[i] - want[i]) / (1.0 + fabs(want[i]));
      if (e > worst) {
        worst = e;
        at = i;
      }
    }
    char what[96];
    snprintf(what, sizeof what, "triples n=%ld threads=%d worst element %ld", n, omp_check_threads[c], at);
    CHECK_CLOSE(what, worst, 0.0, 0.0, 1e-10);
  }
  free(x);
  free(g);
  free(want);
}

int main(void) {
  for (int j = 0; j < 4096; j++)
    perm[j] = (7 * j + 3) % 64; /* near the adjacent pairs of the first rows, some equal */
  triples_check(1, 11);
  triples_check(2, 12);
  triples_check(37, 13);
  triples_cut_check(41, 14);
  records_check(23, 15);
  gapped_check(3, 16);
  gapped_check(45, 17);
  interleaved_check(32, 18);
  check_triples_large(3000);
  return check_report();
}
