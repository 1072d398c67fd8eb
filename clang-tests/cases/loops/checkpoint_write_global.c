// A checkpointed time loop whose step writes globals that are not checkpoint regions: an active
// running total and an integer phase that changes what each step does. They are part of the
// loop's state, so ferment saves them with the snapshots like the regions (it used to refuse
// the loop); the reverse sweep restores them before recomputing a segment, and after the
// gradient they hold what the plain loop left. Every scheme, several step counts. Oracles:
// central finite differences of the whole program and the gradient of the same loop written
// without checkpointing.
#include "check.h"
#include <enzyme/checkpoint.h>
#include <math.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

double total;
long phase;

__attribute__((noinline)) static void step(int64_t i, double *u) {
  phase = (3 * phase + 1) % 7;
  double a = u[0], b = u[1];
  u[0] = 0.9 * a + 0.1 * sin(b + 0.1 * (double)phase);
  u[1] = b + 0.05 * a * total;
  total += 0.5 * u[0] * u[0];
}

static const EnzymeCheckpointScheme *scheme;

double f(double *u, int64_t n) {
  total = 0.25;
  phase = 2;
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, scheme, NULL,
                          enzyme_checkpoint_region, u, 2 * sizeof(double), u);
  return u[0] * u[1] + total;
}

double plain(double *u, int64_t n) {
  total = 0.25;
  phase = 2;
  for (int64_t i = 0; i < n; i++)
    step(i, u);
  return u[0] * u[1] + total;
}

static double packed(const double *x, const void *p) {
  double u[2] = {x[0], x[1]};
  return plain(u, *(const int64_t *)p);
}

int main(void) {
  const EnzymeCheckpointScheme *schemes[] = {&EnzymeCkptPeriodic, &EnzymeCkptRevolve,
                                             &EnzymeCkptStoreAll};
  const int64_t steps[] = {1, 6, 13};
  char what[120];
  for (unsigned s = 0; s < COUNT_OF(steps); s++) {
    double x[2] = {0.5, 0.3}, v[2] = {0.5, 0.3}, dv[2] = {0};
    __enzyme_autodiff((void *)plain, enzyme_dup, v, dv, enzyme_const, steps[s]);
    double total_after = total;
    long phase_after = phase;
    for (unsigned k = 0; k < COUNT_OF(schemes); k++) {
      scheme = schemes[k];
      double u[2] = {0.5, 0.3}, du[2] = {0};
      __enzyme_autodiff((void *)f, enzyme_dup, u, du, enzyme_const, steps[s]);
      CHECK_TRUE("globals as the plain loop left them", total == total_after && phase == phase_after);
      snprintf(what, sizeof what, "scheme %u, %lld steps vs finite differences", k,
               (long long)steps[s]);
      CHECK_GRAD_FD(what, packed, &steps[s], x, 2, du, RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "scheme %u, %lld steps vs the plain loop", k,
               (long long)steps[s]);
      CHECK_CLOSE(what, du[0], dv[0], RTOL_D, ATOL_D);
      CHECK_CLOSE(what, du[1], dv[1], RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
