/* omp_check.h: oracles for the OpenMP cases (clang-tests/cases/openmp).
 *
 * A kernel K(const double *x, double *y, int n) maps NX(n) inputs to NY(n) outputs. The checks
 * run the primal, reverse and forward mode with 1, 2 and 4 threads (4 oversubscribes this
 * machine's 2 cores) and compare, at every thread count:
 *   reverse: the gradient of J(x) = sum_i w_i y_i(x) against central finite differences of J,
 *            the primal run with the same number of threads;
 *   forward: the tangent of J along a random direction t, sum_i w_i ty_i, against <dx, t>.
 * A scalar kernel S(const double *x, int n) is checked the same way with J = S
 * (DEFINE_SCALAR_CHECK); DEFINE_SCALAR_CHECK_T(S, T, NX, FD_THREADS) for S(const double *x, T n),
 * its finite differences of the primal run on FD_THREADS threads when that is not 0 (a dynamic
 * schedule's reduction order changes from run to run: its rounding shows in the differences). */
#include "check.h"
#include <omp.h>
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static const int omp_check_threads[] = {1, 2, 4};
static inline double omp_weight(int i) { return 0.5 + 0.25 * (double)(i % 5); }

#define DEFINE_KERNEL_CHECK(K, NX, NY)                                                         \
  static int K##_n;                                                                            \
  static double K##_objective(const double *x, const void *ctx) {                              \
    (void)ctx;                                                                                 \
    int n = K##_n;                                                                             \
    double *y = (double *)calloc((size_t)(NY), sizeof(double));                                \
    K(x, y, n);                                                                                \
    double s = 0.0;                                                                            \
    for (int i = 0; i < (NY); i++)                                                             \
      s += omp_weight(i) * y[i];                                                               \
    free(y);                                                                                   \
    return s;                                                                                  \
  }                                                                                            \
  static void K##_check(int n, unsigned seed) {                                                \
    K##_n = n;                                                                                 \
    int nx = (NX), ny = (NY);                                                                  \
    double *x = (double *)calloc((size_t)nx, sizeof(double));                                  \
    double *dx = (double *)calloc((size_t)nx, sizeof(double));                                 \
    double *tx = (double *)calloc((size_t)nx, sizeof(double));                                 \
    double *y = (double *)calloc((size_t)ny, sizeof(double));                                  \
    double *dy = (double *)calloc((size_t)ny, sizeof(double));                                 \
    double *ty = (double *)calloc((size_t)ny, sizeof(double));                                 \
    char what[160];                                                                            \
    for (unsigned c = 0; c < COUNT_OF(omp_check_threads); c++) {                               \
      int t = omp_check_threads[c];                                                            \
      omp_set_num_threads(t);                                                                  \
      unsigned s = seed;                                                                       \
      for (int i = 0; i < nx; i++) {                                                           \
        x[i] = prand(&s);                                                                      \
        tx[i] = prand(&s);                                                                     \
        dx[i] = 0.0;                                                                           \
      }                                                                                        \
      for (int i = 0; i < ny; i++) {                                                           \
        dy[i] = omp_weight(i);                                                                 \
        ty[i] = 0.0;                                                                           \
      }                                                                                        \
      __enzyme_autodiff((void *)K, enzyme_dup, x, dx, enzyme_dup, y, dy, enzyme_const, n);     \
      snprintf(what, sizeof what, "reverse %s n=%d threads=%d", #K, n, t);                     \
      CHECK_GRAD_FD(what, K##_objective, NULL, x, nx, dx, RTOL_FD, ATOL_FD);                   \
      __enzyme_fwddiff((void *)K, enzyme_dup, x, tx, enzyme_dup, y, ty, enzyme_const, n);      \
      double jt = 0.0;                                                                         \
      for (int i = 0; i < ny; i++)                                                             \
        jt += omp_weight(i) * ty[i];                                                           \
      snprintf(what, sizeof what, "forward vs reverse %s n=%d threads=%d", #K, n, t);          \
      CHECK_CLOSE(what, jt, dotv(dx, tx, nx), 1e-9, 1e-11);                                    \
    }                                                                                          \
    free(x);                                                                                   \
    free(dx);                                                                                  \
    free(tx);                                                                                  \
    free(y);                                                                                   \
    free(dy);                                                                                  \
    free(ty);                                                                                  \
  }

#define DEFINE_SCALAR_CHECK_T(S, T, NX, FD_THREADS)                                            \
  static int S##_n;                                                                            \
  static double S##_objective(const double *x, const void *ctx) {                              \
    (void)ctx;                                                                                 \
    int t_ = omp_get_max_threads();                                                            \
    if (FD_THREADS > 0)                                                                        \
      omp_set_num_threads(FD_THREADS);                                                         \
    double e_ = S(x, (T)S##_n);                                                                \
    omp_set_num_threads(t_);                                                                   \
    return e_;                                                                                 \
  }                                                                                            \
  static void S##_check(int n, unsigned seed) {                                                \
    S##_n = n;                                                                                 \
    int nx = (NX);                                                                             \
    double *x = (double *)calloc((size_t)nx, sizeof(double));                                  \
    double *dx = (double *)calloc((size_t)nx, sizeof(double));                                 \
    double *tx = (double *)calloc((size_t)nx, sizeof(double));                                 \
    char what[160];                                                                            \
    for (unsigned c = 0; c < COUNT_OF(omp_check_threads); c++) {                               \
      int t = omp_check_threads[c];                                                            \
      omp_set_num_threads(t);                                                                  \
      unsigned s = seed;                                                                       \
      for (int i = 0; i < nx; i++) {                                                           \
        x[i] = prand(&s);                                                                      \
        tx[i] = prand(&s);                                                                     \
        dx[i] = 0.0;                                                                           \
      }                                                                                        \
      __enzyme_autodiff((void *)S, enzyme_dup, x, dx, enzyme_const, (T)n);                     \
      snprintf(what, sizeof what, "reverse %s n=%d threads=%d", #S, n, t);                     \
      CHECK_GRAD_FD(what, S##_objective, NULL, x, nx, dx, RTOL_FD, ATOL_FD);                   \
      double jt = __enzyme_fwddiff((void *)S, enzyme_dup, x, tx, enzyme_const, (T)n);          \
      snprintf(what, sizeof what, "forward vs reverse %s n=%d threads=%d", #S, n, t);          \
      CHECK_CLOSE(what, jt, dotv(dx, tx, nx), 1e-9, 1e-11);                                    \
    }                                                                                          \
    free(x);                                                                                   \
    free(dx);                                                                                  \
    free(tx);                                                                                  \
  }

#define DEFINE_SCALAR_CHECK(S, NX) DEFINE_SCALAR_CHECK_T(S, int, NX, 0)
