// -ferment-checkpoint=K: a checkpointed time loop whose configuration asks for no snapshot
// count (and a null configuration) stores its state every K = 4 steps. Heap state, a runtime
// trip count that is not a multiple of K, a scalar coefficient passed through memory. Oracles:
// central finite differences of the whole program, the statistics, and forward mode (which
// differentiates the loop as written) against the checkpointed reverse (dot product).
// CFLAGS: -mllvm -ferment-checkpoint=4
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>
#include <math.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define M 5

__attribute__((noinline)) static void step(int64_t i, double *u, const double *restrict k) {
  double t[M];
  for (int j = 0; j < M; j++)
    t[j] = u[j] + k[0] * (u[(j + 1) % M] - u[j]) * u[j] + 0.02 * cos(u[j] + 0.1 * (double)i);
  for (int j = 0; j < M; j++)
    u[j] = t[j];
}

double run(const double *u0, const double *restrict k, int64_t n, EnzymeCkptConfig *config) {
  double *u = malloc(M * sizeof(double));
  memcpy(u, u0, M * sizeof(double));
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, config,
                          enzyme_checkpoint_region, u, M * sizeof(double), u, k);
  double s = 0;
  for (int j = 0; j < M; j++)
    s += sin(u[j]);
  free(u);
  return s;
}

double plain(const double *u0, const double *k, int64_t n) {
  double u[M];
  memcpy(u, u0, sizeof u);
  for (int64_t i = 0; i < n; i++)
    step(i, u, k);
  double s = 0;
  for (int j = 0; j < M; j++)
    s += sin(u[j]);
  return s;
}

struct ctx {
  int64_t n;
};
// x = (u0, k)
static double packed(const double *x, const void *p) {
  return plain(x, x + M, ((const struct ctx *)p)->n);
}

int main(void) {
  double x[M + 1];
  for (int j = 0; j < M; j++)
    x[j] = 0.4 + 0.1 * j;
  x[M] = 0.3;
  const int64_t steps[] = {0, 3, 4, 9, 17};
  char what[120];
  for (unsigned s = 0; s < COUNT_OF(steps); s++) {
    int64_t n = steps[s];
    struct ctx c = {n};
    for (int with_config = 0; with_config < 2; with_config++) {
      EnzymeCkptStats stats;
      memset(&stats, 0xff, sizeof stats);
      EnzymeCkptConfig config = {0, 0, NULL, 0, &stats};
      double dx[M + 1] = {0};
      __enzyme_autodiff((void *)run, enzyme_dup, x, dx, enzyme_dup, x + M, dx + M, enzyme_const,
                        n, enzyme_const, with_config ? &config : NULL);
      snprintf(what, sizeof what, "%lld steps, config %d, vs finite differences", (long long)n,
               with_config);
      CHECK_GRAD_FD(what, packed, &c, x, M + 1, dx, RTOL_FD, ATOL_FD);
      double v[M + 1], dv[M + 1];
      for (int j = 0; j <= M; j++)
        v[j] = dv[j] = 0.3 - 0.1 * j;
      double dot = 0;
      for (int j = 0; j <= M; j++)
        dot += dx[j] * v[j];
      double t = __enzyme_fwddiff((void *)run, enzyme_dup, x, dv, enzyme_dup, x + M, dv + M,
                                  enzyme_const, n, enzyme_const, (EnzymeCkptConfig *)NULL);
      CHECK_CLOSE("forward vs checkpointed reverse", t, dot, RTOL_D, ATOL_D);
      if (with_config) {
        int64_t segments = (n + 3) / 4;
        snprintf(what, sizeof what, "%lld steps: %lld segments of 4", (long long)n,
                 (long long)segments);
        CHECK_TRUE(what, stats.stores == segments && stats.restores == segments &&
                             stats.taped_steps == n);
      }
    }
  }
  return check_report();
}
