// A checkpointed time loop whose step argument points into the region's object but outside the
// bytes listed for it (u + 4 with a 2-double region of u): the recomputation cannot move it into
// the snapshot's workspace, so the gradient stops with a message instead of recomputing from the
// caller's memory. The gradient runs in a child process, which must end with abort(); with the
// pointer inside the region, the same program gives the plain loop's gradient (finite differences).
#include "check.h"
#include <enzyme/checkpoint.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

__attribute__((noinline)) static void step(int64_t i, double *u, double *w) {
  (void)i;
  u[0] = u[0] * 0.9 + 0.1 * u[1] * u[1];
  u[1] = u[1] * 0.8 + 0.05 * w[0];
  w[0] = 0.5 * w[0] + 0.1 * u[0];
}

double f(double *u, int64_t off, int64_t n) {
  __enzyme_checkpoint_for((void *)step, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, u, 3 * sizeof(double), u, u + off);
  return u[0] + u[1] + u[2];
}

static double packed(const double *x, const void *p) {
  double u[6];
  memcpy(u, x, sizeof u);
  (void)p;
  return f(u, 2, 7);
}

int main(void) {
  double x[6] = {1, 2, 0.5, 0, 0, 0};
  double u[6], du[6] = {0};
  memcpy(u, x, sizeof u);
  __enzyme_autodiff((void *)f, enzyme_dup, u, du, enzyme_const, (int64_t)2, enzyme_const,
                    (int64_t)7);
  CHECK_GRAD_FD("w inside the region: gradient vs finite differences", packed, NULL, x, 6, du,
                RTOL_FD, ATOL_FD);
  fflush(stdout);
  fflush(stderr);
  pid_t child = fork();
  if (child == 0) {
    memcpy(u, x, sizeof u);
    memset(du, 0, sizeof du);
    __enzyme_autodiff((void *)f, enzyme_dup, u, du, enzyme_const, (int64_t)4, enzyme_const,
                      (int64_t)7);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  CHECK_TRUE("w outside the region: the gradient stops (abort)",
             WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  return check_report();
}
