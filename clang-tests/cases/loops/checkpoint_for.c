// Enzyme's checkpointed time loops (enzyme/checkpoint.h): __enzyme_checkpoint_for(step, start,
// n, enzyme_scheme, &scheme, &config, enzyme_checkpoint_region, u, bytes, args...) runs
// `for (i = start; i < start + n; i++) step(i, args...)`; __enzyme_checkpoint_while runs
// `i = 0; while (step(i++, args...))`. The state lives in an argument and in a global that
// every step writes, both listed as checkpoint regions: the gradient stores snapshots of them
// (segments of ceil(n / snapshots) steps, one step for EnzymeCkptStoreAll) and recomputes each
// segment in the reverse sweep; the statistics say so.
// Oracles: central finite differences of the whole program, the plain loop's gradient
// (identical), forward vs reverse (dot product); the primal state after the gradient.
#include "check.h"
#include <enzyme/checkpoint.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define N 6
static double glob[N];

__attribute__((noinline)) static void step(int64_t i, double *u, double kappa) {
  double t[N];
  for (int k = 0; k < N; k++)
    t[k] = u[k] + kappa * (u[(k + 1) % N] - 2 * u[k] + u[(k + N - 1) % N]) +
           0.01 * sin(glob[k] + 0.1 * (double)i);
  for (int k = 0; k < N; k++) {
    glob[k] = 0.9 * glob[k] + 0.1 * t[k] * t[k];
    u[k] = t[k];
  }
}

static int step_while(int64_t i, double *u, int64_t *n) {
  step(i, u, 0.1);
  return i + 1 < *n;
}

static void init(void) {
  for (int k = 0; k < N; k++)
    glob[k] = 0.25 * k;
}

static double loss(const double *u) {
  double s = 0;
  for (int k = 0; k < N; k++)
    s += u[k] * u[k] + glob[k];
  return s;
}

double plain(double *u, int64_t n) {
  init();
  for (int64_t i = 0; i < n; i++)
    step(i, u, 0.1);
  return loss(u);
}

double checkpointed(double *u, int64_t n, const EnzymeCheckpointScheme *scheme,
                    EnzymeCkptConfig *config) {
  init();
  __enzyme_ptr_size_hint(u, N * sizeof(double), 0);
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, scheme, config,
                          enzyme_checkpoint_region, u, (int64_t)(N * sizeof(double)),
                          enzyme_checkpoint_region, glob, sizeof glob, u, 0.1);
  return loss(u);
}

double looped(double *u, int64_t n) {
  init();
  if (n > 0)
    __enzyme_checkpoint_while((void *)step_while, u, &n);
  return loss(u);
}

struct ctx {
  int64_t n;
  int which;
};
static double packed(const double *x, const void *c) {
  const struct ctx *k = (const struct ctx *)c;
  double u[N];
  for (int i = 0; i < N; i++)
    u[i] = x[i];
  return k->which ? looped(u, k->n) : plain(u, k->n);
}

int main(void) {
  const EnzymeCheckpointScheme *schemes[] = {&EnzymeCkptRevolve, &EnzymeCkptPeriodic,
                                             &EnzymeCkptStoreAll};
  const int64_t steps[] = {0, 1, 7, 30};
  char what[160];
  for (unsigned s = 0; s < COUNT_OF(steps); s++) {
    int64_t n = steps[s];
    double u0[N];
    for (int k = 0; k < N; k++)
      u0[k] = 1.0 + 0.5 * sin((double)k);
    double u[N], du_ref[N] = {0}, u_ref[N], glob_ref[N];
    memcpy(u, u0, sizeof u);
    __enzyme_autodiff((void *)plain, enzyme_dup, u, du_ref, enzyme_const, n);
    memcpy(u_ref, u, sizeof u);
    memcpy(glob_ref, glob, sizeof glob);
    struct ctx c = {n, 0};
    snprintf(what, sizeof what, "plain loop, %lld steps, vs finite differences", (long long)n);
    CHECK_GRAD_FD(what, packed, &c, u0, N, du_ref, RTOL_FD, ATOL_FD);
    for (unsigned k = 0; k < COUNT_OF(schemes); k++) {
      EnzymeCkptStats stats;
      memset(&stats, 0xff, sizeof stats);
      EnzymeCkptConfig config = {2, 0, NULL, 0, &stats};
      double du[N] = {0};
      memcpy(u, u0, sizeof u);
      __enzyme_autodiff((void *)checkpointed, enzyme_dup, u, du, enzyme_const, n, enzyme_const,
                        schemes[k], enzyme_const, &config);
      snprintf(what, sizeof what, "scheme %u, %lld steps: gradient = the plain loop's", k,
               (long long)n);
      CHECK_ARRAY_CLOSE(what, du, du_ref, N, 1e-13, 1e-15);
      CHECK_TRUE("state after the gradient", memcmp(u, u_ref, sizeof u) == 0);
      CHECK_TRUE("global state after the gradient", memcmp(glob, glob_ref, sizeof glob) == 0);
      // Snapshots: config.snapshots = 2 (segments of ceil(n / 2) steps), every step for
      // EnzymeCkptStoreAll.
      int64_t len = k == 2 ? 1 : (n + 1) / 2;
      int64_t segments = len > 0 ? (n + len - 1) / len : 0;
      CHECK_TRUE("every step run once forward, once taped",
                 stats.forward_steps == n && stats.taped_steps == n);
      CHECK_TRUE("one snapshot per segment", stats.stores == segments &&
                                                 stats.restores == segments &&
                                                 stats.max_slots == segments);
      CHECK_TRUE("snapshot bytes",
                 stats.max_bytes == (uint64_t)segments * (N * sizeof(double) + sizeof glob));
    }
    if (n > 0) {
      double du[N] = {0}, v[N];
      memcpy(u, u0, sizeof u);
      __enzyme_autodiff((void *)looped, enzyme_dup, u, du, enzyme_const, n);
      CHECK_ARRAY_CLOSE("checkpoint_while = the plain loop", du, du_ref, N, 1e-13, 1e-15);
      for (int k = 0; k < N; k++)
        v[k] = 0.5 - 0.2 * k;
      memcpy(u, u0, sizeof u);
      double dv[N];
      memcpy(dv, v, sizeof v);
      double t = __enzyme_fwddiff((void *)looped, enzyme_dup, u, dv, enzyme_const, n);
      CHECK_CLOSE("forward vs reverse", t, dotv(du_ref, v, N), RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
