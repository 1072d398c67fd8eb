// Loops whose boundary test holds in every iteration but the last (`k < m - 1 ? y[k + 1] : y[k]`,
// a no-flux right neighbour; `if (k + 1 < m)`): the derivative peels their last iteration and
// folds the test in the loop left (shim::peel_last_iterations), in the forward sweep of a plain
// gradient and in a checkpointed segment's recomputation. Variants where the peel must not
// change anything: a test that differs in the last two iterations (`k < m - 2`), a test on data,
// a loop that updates its array in place (reads u[k + 1] before the next iteration writes it),
// a 32-bit index, a loop counting down (`k > 0 ? y[k - 1] : y[k]`, its last iteration k = 0).
// Lengths 1..5 and 12 run the peeled loops 0, 1 and 2 times. Oracle: central finite differences
// of the primal for every parameter (the initial state and the coefficient), the checkpointed
// gradient against the plain one, at -O0..-O3 and under valgrind.
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>
#include <math.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

#define MAXM 12

// right neighbour by a select, left neighbour by a select (host peels the first iteration)
static inline double F(const double *y, double c, int64_t k, int64_t m) {
  double l = k > 0 ? y[k - 1] : y[k];
  double r = k < m - 1 ? y[k + 1] : y[k];
  return 0.3 * (l - 2 * y[k] + r) + c * y[k] * (1 - y[k]);
}

// which variant one step runs
enum { SELECT, BRANCH, TWO_LAST, DATA, INPLACE, INT32, DOWN, NVAR };
static const char *const names[NVAR] = {"select", "branch", "two_last", "data",
                                        "in_place", "int32", "down"};

__attribute__((noinline)) static void step(int64_t i, double *u, double *k1, double *y,
                                           const double *cp, int64_t m, int64_t var) {
  double c = cp[0], h = 0.05;
  switch (var) {
  case SELECT:
    for (int64_t k = 0; k < m; k++)
      k1[k] = F(u, c, k, m);
    for (int64_t k = 0; k < m; k++)
      y[k] = u[k] + h * k1[k];
    for (int64_t k = 0; k < m; k++)
      u[k] += 0.5 * h * (k1[k] + F(y, c, k, m));
    break;
  case BRANCH:
    for (int64_t k = 0; k < m; k++) {
      double s = -u[k] + c * u[k] * u[k];
      if (k + 1 < m)
        s += 0.4 * u[k + 1] * u[k];
      k1[k] = s;
    }
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
    break;
  case TWO_LAST: // differs in the last two iterations: nothing to peel
    for (int64_t k = 0; k < m; k++)
      k1[k] = c * u[k] * (k < m - 2 ? u[k + 2] : u[k]);
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
    break;
  case DATA: // a test on data, not on the index
    for (int64_t k = 0; k < m; k++)
      k1[k] = u[k] > 0.5 && k < m - 1 ? c * u[k + 1] * u[k] : c * u[k];
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
    break;
  case INPLACE: // u[k + 1] read before the next iteration writes it
    for (int64_t k = 0; k < m; k++)
      u[k] = u[k] + h * c * u[k] * (k < m - 1 ? u[k + 1] : 1.0);
    break;
  case INT32:
    for (int k = 0; k < (int)m; k++)
      k1[k] = c * u[k] * (k < (int)m - 1 ? u[k + 1] : u[k]);
    for (int k = 0; k < (int)m; k++)
      u[k] += h * k1[k] * u[k];
    break;
  case DOWN: // counting down: the last iteration is k = 0
    for (int64_t k = m - 1; k >= 0; k--)
      k1[k] = c * u[k] * (k > 0 ? u[k - 1] : u[k]);
    for (int64_t k = 0; k < m; k++)
      u[k] += h * k1[k];
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
  double *u = malloc(m * sizeof(double)), *k1 = malloc(m * sizeof(double)),
         *y = malloc(m * sizeof(double));
  memcpy(u, x, m * sizeof(double));
  for (int64_t i = 0; i < n; i++)
    step(i, u, k1, y, c, m, var);
  double r = loss(u, m);
  free(y);
  free(k1);
  free(u);
  return r;
}

double run_ckpt(const double *x, const double *c, int64_t m, int64_t n, int64_t var) {
  double *u = malloc(m * sizeof(double)), *k1 = malloc(m * sizeof(double)),
         *y = malloc(m * sizeof(double));
  memcpy(u, x, m * sizeof(double));
  EnzymeCkptConfig config = {2, 0, NULL, 0, NULL};
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, &config,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, k1, m * sizeof(double),
                          enzyme_checkpoint_region, y, m * sizeof(double), u, k1, y, c, m, var);
  double r = loss(u, m);
  free(y);
  free(k1);
  free(u);
  return r;
}

int main(void) {
  const int64_t lengths[] = {1, 2, 3, 4, 5, MAXM};
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
