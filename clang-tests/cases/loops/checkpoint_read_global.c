// A checkpointed time loop whose step reads a global coefficient (gain) and a global table that
// the differentiated function changes after the loop: the reverse sweep recomputes the steps, so
// it must see the values the loop saw (ferment saves the globals the steps read with the
// snapshots). Oracles: central finite differences of the whole program, the plain loop.
#include "check.h"
#include <enzyme/checkpoint.h>
#include <math.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

double gain = 0.7;
double table[3] = {0.1, 0.2, 0.3};

__attribute__((noinline)) static void step(int64_t i, double *u) {
  double a = u[0], b = u[1];
  u[0] = gain * a + table[i % 3] * sin(b);
  u[1] = b + 0.1 * a * a;
}

double f(double *u, int64_t n) {
  gain = 0.7;
  table[1] = 0.2;
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, u, 2 * sizeof(double), u);
  double r = u[0] * u[1];
  gain = 5.0;      // changed before the reverse sweep recomputes the steps
  table[1] = -3.0;
  return r;
}

static double packed(const double *x, const void *p) {
  double u[2] = {x[0], x[1]};
  return f(u, *(const int64_t *)p);
}

int main(void) {
  const int64_t steps[] = {1, 5, 11};
  char what[100];
  for (unsigned s = 0; s < COUNT_OF(steps); s++) {
    double x[2] = {0.5, 0.3}, u[2] = {0.5, 0.3}, du[2] = {0};
    __enzyme_autodiff((void *)f, enzyme_dup, u, du, enzyme_const, steps[s]);
    snprintf(what, sizeof what, "%lld steps vs finite differences", (long long)steps[s]);
    CHECK_GRAD_FD(what, packed, &steps[s], x, 2, du, RTOL_FD, ATOL_FD);
    CHECK_TRUE("globals as the primal left them", gain == 5.0 && table[1] == -3.0);
  }
  return check_report();
}
