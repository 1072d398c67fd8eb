// Checkpointed time loops whose scratch region t the steps use in different ways: the
// snapshots may leave out a region only when every step writes it whole before reading it.
//   full:    t[k] = f(u) for every k, then u from t              -> snapshots hold u alone
//   peeled:  t[0] first, then t[k] for k = 1 .. m-1, then u      -> u alone
//   fill:    memcpy(t, u, m * 8), then t updated and read        -> u alone
//   partial: t[k] for k = 1 .. m-1 only (t[0] keeps its value
//            from the caller: a state), then u from all of t     -> u and t
//   readfirst: u from t (last step's values), then t rewritten   -> u and t
//   sometimes: t rewritten on even steps only, u from t          -> u and t
// Oracles per variant: central finite differences of the plain loop's program (u0, the initial
// t and kappa), the checkpointed gradient against the plain loop's (identical), and the
// snapshot bytes from the statistics (which regions are copied). Run under valgrind too: a
// region left out of the snapshots but read before written would read uninitialized memory.
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>
#include <math.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

#define M 6

static inline double rhs(const double *u, const double *c, double kappa, int64_t k, int64_t m) {
  double left = k > 0 ? u[k - 1] : u[k];
  double right = k < m - 1 ? u[k + 1] : u[k];
  return u[k] + kappa * (left - 2 * u[k] + right) - 0.05 * c[k] * u[k] * u[k] * u[k];
}

__attribute__((noinline)) static void step_full(int64_t i, double *u, double *t, const double *c,
                                                double kappa, int64_t m) {
  for (int64_t k = 0; k < m; k++)
    t[k] = rhs(u, c, kappa, k, m) + 0.01 * sin(0.3 * (double)i);
  for (int64_t k = 0; k < m; k++)
    u[k] = 0.5 * (u[k] + t[k] * t[k]);
}

__attribute__((noinline)) static void step_peeled(int64_t i, double *u, double *t,
                                                  const double *c, double kappa, int64_t m) {
  if (m <= 0)
    return;
  t[0] = u[0] * u[0];
  for (int64_t k = 1; k < m; k++)
    t[k] = rhs(u, c, kappa, k, m);
  for (int64_t k = 0; k < m; k++)
    u[k] = 0.5 * u[k] + 0.5 * t[k] * c[k] + 0.001 * (double)i;
}

__attribute__((noinline)) static void step_fill(int64_t i, double *u, double *t, const double *c,
                                                double kappa, int64_t m) {
  memcpy(t, u, m * sizeof(double));
  for (int64_t k = 0; k < m; k++)
    t[k] = t[k] * t[k] * kappa + c[k] * 0.01 * (double)i;
  for (int64_t k = 0; k < m; k++)
    u[k] = 0.9 * u[k] + 0.1 * sin(t[k]);
}

__attribute__((noinline)) static void step_partial(int64_t i, double *u, double *t,
                                                   const double *c, double kappa, int64_t m) {
  for (int64_t k = 1; k < m; k++)
    t[k] = rhs(u, c, kappa, k, m);
  for (int64_t k = 0; k < m; k++)
    u[k] = 0.8 * u[k] + 0.2 * t[k] * t[k] + 0.001 * (double)i;
}

__attribute__((noinline)) static void step_readfirst(int64_t i, double *u, double *t,
                                                     const double *c, double kappa, int64_t m) {
  for (int64_t k = 0; k < m; k++)
    u[k] = 0.7 * u[k] + 0.3 * sin(t[k]);
  for (int64_t k = 0; k < m; k++)
    t[k] = rhs(u, c, kappa, k, m) * (1 + 0.01 * (double)i);
}

__attribute__((noinline)) static void step_sometimes(int64_t i, double *u, double *t,
                                                     const double *c, double kappa, int64_t m) {
  if (i % 2 == 0)
    for (int64_t k = 0; k < m; k++)
      t[k] = rhs(u, c, kappa, k, m);
  for (int64_t k = 0; k < m; k++)
    u[k] = 0.6 * u[k] + 0.4 * t[k] * u[k];
}

// x = (u0[M], t0[M], kappa); per variant: the checkpointed program, the plain loop's program,
// and their gradients (each __enzyme_autodiff names its function).
struct ctx {
  const double *c;
  int64_t n;
};
#define VARIANT(name)                                                                          \
  double ckpt_##name(const double *x, const double *restrict c, double kappa, int64_t m,        \
                     int64_t n, EnzymeCkptConfig *config) {                                    \
    double *u = malloc(m * sizeof(double)), *t = malloc(m * sizeof(double));                   \
    for (int64_t k = 0; k < m; k++) {                                                          \
      u[k] = x[k];                                                                             \
      t[k] = x[M + k];                                                                         \
    }                                                                                          \
    __enzyme_checkpoint_for((void *)step_##name, 0, n, enzyme_scheme, &EnzymeCkptPeriodic,     \
                            config, enzyme_checkpoint_region, u, m * sizeof(double),           \
                            enzyme_checkpoint_region, t, m * sizeof(double), u, t, c, kappa,   \
                            m);                                                                \
    double r = 0;                                                                              \
    for (int64_t k = 0; k < m; k++)                                                            \
      r += c[k] * u[k] * u[k] + 0.1 * t[k];                                                    \
    free(t);                                                                                   \
    free(u);                                                                                   \
    return r;                                                                                  \
  }                                                                                            \
  static double plain_##name(const double *x, const void *p) {                                 \
    const struct ctx *q = (const struct ctx *)p;                                               \
    double *u = malloc(M * sizeof(double)), *t = malloc(M * sizeof(double));                   \
    for (int64_t k = 0; k < M; k++) {                                                          \
      u[k] = x[k];                                                                             \
      t[k] = x[M + k];                                                                         \
    }                                                                                          \
    for (int64_t i = 0; i < q->n; i++)                                                         \
      step_##name(i, u, t, q->c, x[2 * M], M);                                                 \
    double r = 0;                                                                              \
    for (int64_t k = 0; k < M; k++)                                                            \
      r += q->c[k] * u[k] * u[k] + 0.1 * t[k];                                                 \
    free(t);                                                                                   \
    free(u);                                                                                   \
    return r;                                                                                  \
  }                                                                                            \
  static void grad_plain_##name(const double *x, double *dx, const struct ctx *q) {            \
    __enzyme_autodiff((void *)plain_##name, enzyme_dup, x, dx, enzyme_const, q);               \
  }                                                                                            \
  static void grad_ckpt_##name(const double *x, double *dx, const double *c, int64_t n,        \
                               EnzymeCkptConfig *config) {                                     \
    dx[2 * M] = __enzyme_autodiff((void *)ckpt_##name, enzyme_dup, x, dx, enzyme_const, c,      \
                                  enzyme_out, x[2 * M], enzyme_const, (int64_t)M,              \
                                  enzyme_const, n, enzyme_const, config);                      \
  }
VARIANT(full)
VARIANT(peeled)
VARIANT(fill)
VARIANT(partial)
VARIANT(readfirst)
VARIANT(sometimes)

int main(void) {
  struct {
    const char *name;
    double (*plain)(const double *, const void *);
    void (*grad_plain)(const double *, double *, const struct ctx *);
    void (*grad_ckpt)(const double *, double *, const double *, int64_t, EnzymeCkptConfig *);
    int regions_copied; /* of 2 (u, t), each M doubles */
  } variants[] = {
#define ROW(name, copied) {#name, plain_##name, grad_plain_##name, grad_ckpt_##name, copied}
      ROW(full, 1),    ROW(peeled, 1),    ROW(fill, 1),
      ROW(partial, 2), ROW(readfirst, 2), ROW(sometimes, 2),
  };
  const int64_t steps[] = {0, 1, 5, 13};
  const int64_t snapshots[] = {0, 3};
  double c[M], x[2 * M + 1];
  for (int k = 0; k < M; k++) {
    c[k] = 0.5 + 0.07 * k;
    x[k] = 0.6 + 0.3 * sin(1.0 + k);
    x[M + k] = 0.4 + 0.2 * cos(2.0 + k);
  }
  x[2 * M] = 0.2;
  char what[200];
  for (unsigned v = 0; v < COUNT_OF(variants); v++) {
    for (unsigned s = 0; s < COUNT_OF(steps); s++) {
      int64_t n = steps[s];
      double ref[2 * M + 1] = {0};
      struct ctx k = {c, n};
      variants[v].grad_plain(x, ref, &k);
      snprintf(what, sizeof what, "%s: plain loop, %lld steps, vs finite differences",
               variants[v].name, (long long)n);
      CHECK_GRAD_FD(what, variants[v].plain, &k, x, 2 * M + 1, ref, RTOL_FD, ATOL_FD);
      for (unsigned q = 0; q < COUNT_OF(snapshots); q++) {
        EnzymeCkptStats stats;
        memset(&stats, 0xff, sizeof stats);
        EnzymeCkptConfig config = {snapshots[q], 0, NULL, 0, &stats};
        double du[2 * M + 1] = {0};
        variants[v].grad_ckpt(x, du, c, n, &config);
        snprintf(what, sizeof what, "%s: %lld snapshots, %lld steps: = plain loop",
                 variants[v].name, (long long)snapshots[q], (long long)n);
        CHECK_ARRAY_CLOSE(what, du, ref, 2 * M + 1, 1e-12, 1e-14);
        int64_t len = snapshots[q] > 0 ? (n + snapshots[q] - 1) / snapshots[q]
                                       : (int64_t)ceil(sqrt((double)n));
        if (len < 1)
          len = 1;
        int64_t segments = (n + len - 1) / len;
        snprintf(what, sizeof what, "%s: %lld snapshots, %lld steps: bytes per snapshot",
                 variants[v].name, (long long)snapshots[q], (long long)n);
        CHECK_TRUE(what, stats.max_bytes == (uint64_t)segments * variants[v].regions_copied * M *
                                                sizeof(double));
      }
    }
  }
  return check_report();
}
