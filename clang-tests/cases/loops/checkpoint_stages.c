// Checkpointed time loops whose steps have stages (Heun's method on a nonlinear diffusion with
// boundary selects: k1 = F(u), y = u + h k1, u += h/2 (k1 + F(y))), the state and the scratch
// arrays heap regions. Where each region is passed as its own argument, the segment's derivative
// treats the regions like fresh allocations of known size and keeps one copy of each stage's
// input (u, then y) per step instead of taping every value it loads; where two arguments reach
// one region (the same pointer twice, or a pointer into the middle of a region) it must not,
// and tapes as before. The regions are heap arrays (byte counts m * 8) or fixed-size stack
// arrays (sizeof). Oracles per variant: central finite differences of the plain loop's
// program (u0 and h), the checkpointed gradient against the plain loop's (identical), at
// -O0..-O3 and under valgrind.
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>
#include <math.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

#define M 7

static inline double F(const double *y, const double *c, int64_t k, int64_t m) {
  double l = k > 0 ? y[k - 1] : y[k];
  double r = k < m - 1 ? y[k + 1] : y[k];
  return 0.3 * (l - 2 * y[k] + r) + c[k] * y[k] * (1 - y[k]);
}

// each region its own argument
__attribute__((noinline)) static void step_own(int64_t i, double *u, double *k1, double *y,
                                               const double *c, double h, int64_t m) {
  for (int64_t k = 0; k < m; k++)
    k1[k] = F(u, c, k, m);
  for (int64_t k = 0; k < m; k++)
    y[k] = u[k] + h * k1[k];
  for (int64_t k = 0; k < m; k++)
    u[k] += 0.5 * h * (k1[k] + F(y, c, k, m)) + 0.001 * (double)i;
}

// the state twice: read through `w`, written through `u` (the same pointer)
__attribute__((noinline)) static void step_twice(int64_t i, double *u, double *k1, double *y,
                                                 const double *c, double h, int64_t m,
                                                 const double *w) {
  for (int64_t k = 0; k < m; k++)
    k1[k] = F(w, c, k, m);
  for (int64_t k = 0; k < m; k++)
    y[k] = w[k] + h * k1[k];
  for (int64_t k = 0; k < m; k++)
    u[k] += 0.5 * h * (k1[k] + F(y, c, k, m)) + 0.001 * (double)i;
}

// the scratch y is one region with k1 (k1 = s, y = s + m): a pointer into its middle
__attribute__((noinline)) static void step_inner(int64_t i, double *u, double *s, double *y,
                                                 const double *c, double h, int64_t m) {
  for (int64_t k = 0; k < m; k++)
    s[k] = F(u, c, k, m);
  for (int64_t k = 0; k < m; k++)
    y[k] = u[k] + h * s[k];
  for (int64_t k = 0; k < m; k++)
    u[k] += 0.5 * h * (s[k] + F(y, c, k, m)) + 0.001 * (double)i;
}

// fixed-size stack arrays as regions (byte counts `sizeof`), loops to the constant M
__attribute__((noinline)) static void step_fixed(int64_t i, double *u, double *k1, double *y,
                                                 const double *c, double h) {
  for (int64_t k = 0; k < M; k++)
    k1[k] = F(u, c, k, M);
  for (int64_t k = 0; k < M; k++)
    y[k] = u[k] + h * k1[k];
  for (int64_t k = 0; k < M; k++)
    u[k] += 0.5 * h * (k1[k] + F(y, c, k, M)) + 0.001 * (double)i;
}

static double loss(const double *u, const double *c, int64_t m) {
  double s = 0;
  for (int64_t k = 0; k < m; k++)
    s += c[k] * u[k] * u[k];
  return s;
}

double ckpt_own(const double *u0, const double *restrict c, double h, int64_t m, int64_t n,
                int64_t snaps) {
  double *u = malloc(m * sizeof(double)), *k1 = malloc(m * sizeof(double)),
         *y = malloc(m * sizeof(double));
  memcpy(u, u0, m * sizeof(double));
  EnzymeCkptConfig config = {snaps, 0, NULL, 0, NULL};
  __enzyme_checkpoint_for((void *)step_own, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, &config,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, k1, m * sizeof(double),
                          enzyme_checkpoint_region, y, m * sizeof(double), u, k1, y, c, h, m);
  double r = loss(u, c, m);
  free(y);
  free(k1);
  free(u);
  return r;
}

double ckpt_twice(const double *u0, const double *restrict c, double h, int64_t m, int64_t n,
                  int64_t snaps) {
  double *u = malloc(m * sizeof(double)), *k1 = malloc(m * sizeof(double)),
         *y = malloc(m * sizeof(double));
  memcpy(u, u0, m * sizeof(double));
  EnzymeCkptConfig config = {snaps, 0, NULL, 0, NULL};
  __enzyme_checkpoint_for((void *)step_twice, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, &config,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, k1, m * sizeof(double),
                          enzyme_checkpoint_region, y, m * sizeof(double), u, k1, y, c, h, m, u);
  double r = loss(u, c, m);
  free(y);
  free(k1);
  free(u);
  return r;
}

double ckpt_inner(const double *u0, const double *restrict c, double h, int64_t m, int64_t n,
                  int64_t snaps) {
  double *u = malloc(m * sizeof(double)), *s = malloc(2 * m * sizeof(double));
  memcpy(u, u0, m * sizeof(double));
  EnzymeCkptConfig config = {snaps, 0, NULL, 0, NULL};
  __enzyme_checkpoint_for((void *)step_inner, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, &config,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, s, 2 * m * sizeof(double), u, s, s + m, c, h,
                          m);
  double r = loss(u, c, m);
  free(s);
  free(u);
  return r;
}

double ckpt_fixed(const double *u0, const double *restrict c, double h, int64_t m, int64_t n,
                  int64_t snaps) {
  double u[M], k1[M], y[M];
  memcpy(u, u0, sizeof u);
  EnzymeCkptConfig config = {snaps, 0, NULL, 0, NULL};
  __enzyme_checkpoint_for((void *)step_fixed, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, &config,
                          enzyme_checkpoint_region, u, sizeof u, enzyme_checkpoint_region, k1,
                          sizeof k1, enzyme_checkpoint_region, y, sizeof y, u, k1, y, c, h);
  return loss(u, c, m);
}

struct ctx {
  const double *c;
  int64_t n;
};
// x = (u0[M], h)
static double plain(const double *x, const void *p) {
  const struct ctx *q = (const struct ctx *)p;
  double *u = malloc(M * sizeof(double)), *k1 = malloc(M * sizeof(double)),
         *y = malloc(M * sizeof(double));
  memcpy(u, x, M * sizeof(double));
  for (int64_t i = 0; i < q->n; i++)
    step_own(i, u, k1, y, q->c, x[M], M);
  double r = loss(u, q->c, M);
  free(y);
  free(k1);
  free(u);
  return r;
}

#define GRAD(name)                                                                             \
  static void grad_##name(const double *x, double *dx, const double *c, int64_t n,             \
                          int64_t snaps) {                                                     \
    dx[M] = __enzyme_autodiff((void *)ckpt_##name, enzyme_dup, x, dx, enzyme_const, c,          \
                              enzyme_out, x[M], enzyme_const, (int64_t)M, enzyme_const, n,     \
                              enzyme_const, snaps);                                            \
  }
GRAD(own)
GRAD(twice)
GRAD(inner)
GRAD(fixed)

int main(void) {
  struct {
    const char *name;
    void (*grad)(const double *, double *, const double *, int64_t, int64_t);
  } variants[] = {
      {"own", grad_own}, {"twice", grad_twice}, {"inner", grad_inner}, {"fixed", grad_fixed}};
  const int64_t steps[] = {0, 1, 4, 11};
  const int64_t snapshots[] = {0, 1, 3};
  double c[M], x[M + 1];
  for (int k = 0; k < M; k++) {
    c[k] = 0.4 + 0.05 * k;
    x[k] = 0.5 + 0.3 * sin(1.0 + k);
  }
  x[M] = 0.1;
  char what[200];
  for (unsigned s = 0; s < COUNT_OF(steps); s++) {
    int64_t n = steps[s];
    struct ctx k = {c, n};
    double ref[M + 1] = {0};
    __enzyme_autodiff((void *)plain, enzyme_dup, x, ref, enzyme_const, &k);
    snprintf(what, sizeof what, "plain loop, %lld steps, vs finite differences", (long long)n);
    CHECK_GRAD_FD(what, plain, &k, x, M + 1, ref, RTOL_FD, ATOL_FD);
    for (unsigned v = 0; v < COUNT_OF(variants); v++) {
      for (unsigned q = 0; q < COUNT_OF(snapshots); q++) {
        double du[M + 1] = {0};
        variants[v].grad(x, du, c, n, snapshots[q]);
        snprintf(what, sizeof what, "%s: %lld snapshots, %lld steps: = plain loop",
                 variants[v].name, (long long)snapshots[q], (long long)n);
        CHECK_ARRAY_CLOSE(what, du, ref, M + 1, 1e-12, 1e-14);
      }
    }
  }
  return check_report();
}
