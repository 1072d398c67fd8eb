// Checkpointed time loop whose two regions are adjacent halves of one heap buffer, listed in
// the opposite order of their addresses (region 1, the scratch t, ends where region 0, the state
// u, starts): a step argument pointing at u's start is also one past t's end, and must be moved
// to u's place in the workspace, not to one past t's copy. Oracles: central finite differences
// of the whole program (u0 and kappa) and the plain loop's gradient.
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>
#include <math.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

#define M 7

__attribute__((noinline)) static void step(int64_t i, double *u, double *t, const double *c,
                                           double kappa, int64_t m) {
  for (int64_t k = 0; k < m; k++) {
    double left = k > 0 ? u[k - 1] : u[k];
    double right = k < m - 1 ? u[k + 1] : u[k];
    t[k] = u[k] + kappa * (left - 2 * u[k] + right) - 0.05 * c[k] * u[k] * u[k] * u[k] +
           0.01 * sin(0.3 * (double)i);
  }
  for (int64_t k = 0; k < m; k++)
    u[k] = t[k];
}

static double loss(const double *u, const double *c, int64_t m) {
  double s = 0;
  for (int64_t k = 0; k < m; k++)
    s += c[k] * u[k] * u[k];
  return s;
}

double checkpointed(const double *u0, const double *restrict c, double kappa, int64_t m, int64_t n,
                    const EnzymeCheckpointScheme *scheme, EnzymeCkptConfig *config) {
  double *t = malloc(2 * m * sizeof(double)), *u = t + m;
  for (int64_t k = 0; k < m; k++)
    u[k] = u0[k];
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, scheme, config,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, t, m * sizeof(double), u, t, c, kappa, m);
  double r = loss(u, c, m);
  free(t);
  return r;
}

double plain(const double *u0, const double *c, double kappa, int64_t m, int64_t n) {
  double *u = malloc(m * sizeof(double)), *t = malloc(m * sizeof(double));
  for (int64_t k = 0; k < m; k++)
    u[k] = u0[k];
  for (int64_t i = 0; i < n; i++)
    step(i, u, t, c, kappa, m);
  double r = loss(u, c, m);
  free(t);
  free(u);
  return r;
}

struct ctx {
  const double *c;
  int64_t n;
};
// x = (u0, kappa)
static double packed(const double *x, const void *p) {
  const struct ctx *k = (const struct ctx *)p;
  return plain(x, k->c, x[M], M, k->n);
}

int main(void) {
  const EnzymeCheckpointScheme *schemes[] = {&EnzymeCkptPeriodic, &EnzymeCkptRevolve,
                                             &EnzymeCkptStoreAll};
  const int64_t steps[] = {0, 1, 5, 13, 22};
  const int64_t snapshots[] = {0, 1, 3, 4, 100};
  double c[M], x[M + 1];
  for (int k = 0; k < M; k++) {
    c[k] = 0.5 + 0.07 * k;
    x[k] = 1.0 + 0.3 * sin(1.0 + k);
  }
  x[M] = 0.2;
  char what[200];
  for (unsigned s = 0; s < COUNT_OF(steps); s++) {
    int64_t n = steps[s];
    double du_ref[M + 1] = {0};
    du_ref[M] = __enzyme_autodiff((void *)plain, enzyme_dup, x, du_ref, enzyme_const, c,
                                  enzyme_out, x[M], enzyme_const, (int64_t)M, enzyme_const, n);
    struct ctx k = {c, n};
    snprintf(what, sizeof what, "plain loop, %lld steps, vs finite differences", (long long)n);
    CHECK_GRAD_FD(what, packed, &k, x, M + 1, du_ref, RTOL_FD, ATOL_FD);
    for (unsigned h = 0; h < COUNT_OF(schemes); h++) {
      for (unsigned q = 0; q < COUNT_OF(snapshots); q++) {
        EnzymeCkptStats stats;
        memset(&stats, 0xff, sizeof stats);
        EnzymeCkptConfig config = {snapshots[q], 0, NULL, 0, &stats};
        double du[M + 1] = {0}, x_before[M + 1];
        memcpy(x_before, x, sizeof x);
        du[M] = __enzyme_autodiff((void *)checkpointed, enzyme_dup, x, du, enzyme_const, c,
                                  enzyme_out, x[M], enzyme_const, (int64_t)M, enzyme_const, n,
                                  enzyme_const, schemes[h], enzyme_const, &config);
        snprintf(what, sizeof what, "scheme %u, %lld snapshots, %lld steps: = plain loop", h,
                 (long long)snapshots[q], (long long)n);
        CHECK_ARRAY_CLOSE(what, du, du_ref, M + 1, 1e-12, 1e-14);
        CHECK_TRUE("input unchanged", memcmp(x, x_before, sizeof x) == 0);
        int64_t len = snapshots[q] > 0 ? (n + snapshots[q] - 1) / snapshots[q]
                                       : (int64_t)ceil(sqrt((double)n));
        if (h == 2)
          len = 1;
        if (len < 1)
          len = 1;
        int64_t segments = (n + len - 1) / len;
        snprintf(what, sizeof what, "scheme %u, %lld snapshots, %lld steps: %lld segments", h,
                 (long long)snapshots[q], (long long)n, (long long)segments);
        CHECK_TRUE(what, stats.stores == segments && stats.restores == segments &&
                             stats.forward_steps == n && stats.taped_steps == n &&
                             // t is written whole by every step before it reads it: the
                             // snapshots hold u alone
                             stats.max_bytes == (uint64_t)segments * M * sizeof(double));
      }
    }
  }
  return check_report();
}
