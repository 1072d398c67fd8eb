/* omp_prog.h: the check of the OpenMP programs written as a scientist would (cases/openmp,
 * session 37): a scalar objective S(const double *x, int n) of NX(n) inputs, differentiated in
 * reverse and forward mode with 1, 2 and 4 threads. At every thread count: the gradient
 * against central finite differences of the primal (run with FD_THREADS threads when that is
 * not 0, else with the same count), the tangent along a random direction against <grad, t>;
 * and the value, gradient and tangent against those of one thread (equal up to the rounding of
 * a different summation order). */
#include "omp_check.h"

#define DEFINE_PROG_CHECK(S, NX, FD_THREADS)                                                   \
  DEFINE_SCALAR_CHECK_T(S, int, NX, FD_THREADS)                                                \
  static void S##_threads(int n, unsigned seed) {                                              \
    int nx = (NX);                                                                             \
    double *x = (double *)calloc((size_t)nx, sizeof(double));                                  \
    double *tx = (double *)calloc((size_t)nx, sizeof(double));                                 \
    double *dx = (double *)calloc((size_t)nx, sizeof(double));                                 \
    double *d1 = (double *)calloc((size_t)nx, sizeof(double));                                 \
    double f1 = 0.0, t1 = 0.0, scale = 0.0;                                                    \
    char what[160];                                                                            \
    unsigned s = seed;                                                                         \
    for (int i = 0; i < nx; i++) {                                                             \
      x[i] = prand(&s);                                                                        \
      tx[i] = prand(&s);                                                                       \
    }                                                                                          \
    for (unsigned c = 0; c < COUNT_OF(omp_check_threads); c++) {                               \
      int t = omp_check_threads[c];                                                            \
      omp_set_num_threads(t);                                                                  \
      for (int i = 0; i < nx; i++)                                                             \
        dx[i] = 0.0;                                                                           \
      double f = S(x, n);                                                                      \
      __enzyme_autodiff((void *)S, enzyme_dup, x, dx, enzyme_const, n);                        \
      double jt = __enzyme_fwddiff((void *)S, enzyme_dup, x, tx, enzyme_const, n);             \
      if (c == 0) {                                                                            \
        f1 = f;                                                                                \
        t1 = jt;                                                                               \
        for (int i = 0; i < nx; i++) {                                                         \
          d1[i] = dx[i];                                                                       \
          scale = fmax(scale, fabs(dx[i]));                                                    \
        }                                                                                      \
        continue;                                                                              \
      }                                                                                        \
      snprintf(what, sizeof what, "%s n=%d value threads=%d vs 1", #S, n, t);                  \
      CHECK_CLOSE(what, f, f1, 1e-11, 1e-13);                                                  \
      snprintf(what, sizeof what, "%s n=%d tangent threads=%d vs 1", #S, n, t);                \
      CHECK_CLOSE(what, jt, t1, 1e-10, 1e-12);                                                 \
      snprintf(what, sizeof what, "%s n=%d gradient threads=%d vs 1", #S, n, t);               \
      CHECK_ARRAY_CLOSE(what, dx, d1, nx, 1e-10, 1e-12 * (1.0 + scale));                      \
    }                                                                                          \
    free(x);                                                                                   \
    free(tx);                                                                                  \
    free(dx);                                                                                  \
    free(d1);                                                                                  \
  }                                                                                            \
  static void S##_all(int n, unsigned seed) {                                                  \
    S##_check(n, seed);                                                                        \
    S##_threads(n, seed);                                                                      \
  }
