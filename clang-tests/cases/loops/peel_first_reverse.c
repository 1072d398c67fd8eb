// Boundary tests whose value differs in the first iteration of a loop only: the reverse loop
// of `k < m - 1 ? y[k + 1] : y[k]` runs the primal's last iteration first (its `k + 1` is
// rebuilt from the reverse counter with the primal increment's no-wrap flag), a forward loop
// counting down tests `k < m - 1` (shim::peel_last_iterations peels the first iteration where
// the bound is the induction variable's value there). Variants where the fold must keep the
// values near the type's limit or must not apply: indices just below INT64_MAX (the rebuilt
// `start + k` close to the largest value, no wrap), an unsigned index that wraps through zero
// (no no-wrap flag: nothing may be assumed), an unsigned index through 2^63 compared signed
// (the rebuilt index must not be marked `nsw`), a test that differs in the first two iterations
// (`k < m - 2`), the reverse of a 32-bit index. Lengths 1..4 and 12 leave the loops 0, 1, 2
// and more iterations after the peel. Oracle: central finite differences of the primal for
// every parameter, the checkpointed gradient against the plain one, at -O0..-O3 and under
// valgrind.
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

#define MAXM 12

// which variant one step runs
enum { RIGHT, DOWN, NEAR_MAX, WRAP, SIGN_WRAP, TWO_FIRST, INT32, NVAR };
static const char *const names[NVAR] = {"right",     "down",      "near_max", "wrap",
                                        "sign_wrap", "two_first", "int32"};

__attribute__((noinline)) static void step(int64_t i, double *u, double *k1, const double *cp,
                                           int64_t m, int64_t var) {
  double c = cp[0], h = 0.05;
  switch (var) {
  case RIGHT: // right neighbour only: the reverse loop's first iteration is the boundary
    for (int64_t k = 0; k < m; k++)
      k1[k] = c * u[k] * (k < m - 1 ? u[k + 1] : 0.5 * u[k]);
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
    break;
  case DOWN: // counting down: the forward loop's first iteration k = m - 1 is the boundary
    for (int64_t k = m - 1; k >= 0; k--)
      k1[k] = c * u[k] * (k < m - 1 ? u[k + 1] : u[k] * u[k]);
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
    break;
  case NEAR_MAX: { // the index runs up to INT64_MAX - 1
    const int64_t base = INT64_MAX - m;
    for (int64_t k = base; k < INT64_MAX; k++) {
      int64_t j = k - base;
      k1[j] = c * u[j] * (k < INT64_MAX - 1 ? u[j + 1] : 0.25);
    }
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
    break;
  }
  case WRAP: { // unsigned index through zero: no flag to lean on
    const uint64_t base = UINT64_MAX - 1, end = base + (uint64_t)m;
    for (uint64_t k = base; k != end; k++) {
      uint64_t j = k - base;
      // `k < UINT64_MAX` fails in the second iteration only
      k1[j] = c * u[j] * (k < UINT64_MAX && j + 1 < (uint64_t)m ? u[j + 1] : 0.5 * u[j]) +
              (k + 1 != end ? 0.3 * u[j] : 0.0);
    }
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
    break;
  }
  case SIGN_WRAP: { // unsigned index through 2^63, compared signed: its signed value wraps, and
                   // the reverse loop's rebuilt index may not be marked `nsw`
    const uint64_t base = ((uint64_t)1 << 63) - 2, end = base + (uint64_t)m;
    for (uint64_t k = base; k != end; k++) {
      uint64_t j = k - base;
      k1[j] = c * u[j] * ((int64_t)k < (int64_t)(end - 1) ? u[j + 1] : 0.5 * u[j]);
    }
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
    break;
  }
  case TWO_FIRST: // the reverse loop's first two iterations differ: nothing to peel
    for (int64_t k = 0; k < m; k++)
      k1[k] = c * u[k] * (k < m - 2 ? u[k + 2] : u[k]);
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
    break;
  case INT32:
    for (int k = 0; k < (int)m; k++)
      k1[k] = c * u[k] * (k < (int)m - 1 ? u[k + 1] : u[k]);
    for (int k = 0; k < (int)m; k++)
      u[k] += h * k1[k] * u[k];
    break;
  }
  u[0] += 0.001 * (double)i;
}

static double loss(const double *u, int64_t m) {
  double s = 0;
  for (int64_t k = 0; k < m; k++)
    s += (0.3 + 0.1 * k) * u[k] * u[k];
  return s;
}

// x = (u0[m], c)
double run_plain(const double *x, const double *c, int64_t m, int64_t n, int64_t var) {
  double *u = malloc(m * sizeof(double)), *k1 = malloc(m * sizeof(double));
  memcpy(u, x, m * sizeof(double));
  for (int64_t i = 0; i < n; i++)
    step(i, u, k1, c, m, var);
  double r = loss(u, m);
  free(k1);
  free(u);
  return r;
}

double run_ckpt(const double *x, const double *c, int64_t m, int64_t n, int64_t var) {
  double *u = malloc(m * sizeof(double)), *k1 = malloc(m * sizeof(double));
  memcpy(u, x, m * sizeof(double));
  EnzymeCkptConfig config = {2, 0, NULL, 0, NULL};
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, &config,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, k1, m * sizeof(double), u, k1, c, m, var);
  double r = loss(u, m);
  free(k1);
  free(u);
  return r;
}

int main(void) {
  const int64_t lengths[] = {1, 2, 3, 4, MAXM};
  const int64_t steps = 5;
  char what[200];
  for (int64_t var = 0; var < NVAR; var++) {
    for (unsigned l = 0; l < COUNT_OF(lengths); l++) {
      int64_t m = lengths[l];
      double x[MAXM], c[1] = {0.7};
      for (int k = 0; k < m; k++)
        x[k] = 0.5 + 0.3 * sin(1.0 + 1.3 * k);
      double dx[MAXM] = {0}, dc[1] = {0};
      __enzyme_autodiff((void *)run_plain, enzyme_dup, x, dx, enzyme_dup, c, dc, enzyme_const,
                        m, enzyme_const, steps, enzyme_const, var);
      snprintf(what, sizeof what, "%s, m = %lld: du0 vs finite differences", names[var],
               (long long)m);
      CHECK_ARRAY_FD(what, x, m, dx, 1e-6, run_plain(x, c, m, steps, var), RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "%s, m = %lld: dc vs finite differences", names[var],
               (long long)m);
      CHECK_ARRAY_FD(what, c, 1, dc, 1e-6, run_plain(x, c, m, steps, var), RTOL_FD, ATOL_FD);
      double ex[MAXM] = {0}, ec[1] = {0};
      __enzyme_autodiff((void *)run_ckpt, enzyme_dup, x, ex, enzyme_dup, c, ec, enzyme_const, m,
                        enzyme_const, steps, enzyme_const, var);
      snprintf(what, sizeof what, "%s, m = %lld: checkpointed du0 = plain", names[var],
               (long long)m);
      CHECK_ARRAY_CLOSE(what, ex, dx, m, 1e-12, 1e-14);
      snprintf(what, sizeof what, "%s, m = %lld: checkpointed dc = plain", names[var],
               (long long)m);
      CHECK_ARRAY_CLOSE(what, ec, dc, 1, 1e-12, 1e-14);
    }
  }
  return check_report();
}
