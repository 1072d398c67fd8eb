// A checkpointed time loop whose step reads coefficients through a plain pointer argument that is
// neither a checkpoint region nor `restrict` (Enzyme's checkpoint tests pass parameters this way).
// The differentiated function writes nothing after the loop but its own locals (a stack array
// and a malloc'd buffer it frees), so nothing can change the coefficients between the loop and
// the reverse sweep, which recomputes the steps from the regions' snapshots and reads the
// coefficients again; whether they overlap the region that the steps write is only known at run
// time, and the reverse sweep checks it. Apart: the gradient (state and coefficients, both
// duplicated) must be the plain loop's, checked against central finite differences of the
// program, at several segment lengths. Overlapping (the coefficients passed inside the state,
// which the steps change, so the recomputation would read other values): the gradient must stop
// with a message instead (abort in a child process). Forward over reverse (a Hessian-vector
// product through the checkpointed gradient, as Enzyme's checkpoint_hvp.c does) must equal
// central differences of the gradient.
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define M 3
#define STEPS 7

__attribute__((noinline)) static void step(int64_t i, double *u, const double *c) {
  double t[M];
  for (int k = 0; k < M; k++)
    t[k] = u[k] + 0.1 * c[k] * sin(u[(k + 1) % M]) + 0.05 * c[(k + 2) % M] * (double)(i + 1);
  for (int k = 0; k < M; k++)
    u[k] = t[k];
}

__attribute__((noinline)) double f(double *u, double *c, int64_t snaps) {
  EnzymeCkptConfig config = {snaps, 0, NULL, 0, NULL};
  __enzyme_checkpoint_for((void *)step, 0, STEPS, enzyme_scheme, &EnzymeCkptPeriodic, &config,
                          enzyme_checkpoint_region, u, (int64_t)(M * sizeof(double)), u, c);
  double w[M];
  double *h = malloc(M * sizeof(double));
  for (int k = 0; k < M; k++) {
    w[k] = u[k] * u[k];
    h[k] = c[k] * u[k];
  }
  double s = 0;
  for (int k = 0; k < M; k++)
    s += w[k] + h[k] * c[(k + 1) % M];
  free(h);
  return s;
}

// The primal of the apart case, packed for finite differences: x = (u, c).
static double packed(const double *x, const void *p) {
  (void)p;
  double u[M], c[M];
  memcpy(u, x, sizeof u);
  memcpy(c, x + M, sizeof c);
  return f(u, c, 2);
}

void __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) static void grad(double *u, double *du, double *c, double *dc,
                                           int64_t snaps) {
  __enzyme_autodiff((void *)f, enzyme_dup, u, du, enzyme_dup, c, dc, enzyme_const, snaps);
}

// The gradient at x, into g (2 M values).
static void grad_at(const double *x, double *g) {
  double u[M], c[M];
  memcpy(u, x, sizeof u);
  memcpy(c, x + M, sizeof c);
  memset(g, 0, 2 * M * sizeof(double));
  grad(u, g, c, g + M, 2);
}

int main(void) {
  const double x[2 * M] = {0.4, 0.9, -0.3, 1.2, 0.7, -0.5};
  int64_t snaps[] = {1, 2, 3, STEPS};
  for (unsigned s = 0; s < sizeof snaps / sizeof snaps[0]; s++) {
    double u[M], c[M], g[2 * M] = {0};
    memcpy(u, x, sizeof u);
    memcpy(c, x + M, sizeof c);
    __enzyme_autodiff((void *)f, enzyme_dup, u, g, enzyme_dup, c, g + M, enzyme_const, snaps[s]);
    CHECK_GRAD_FD("coefficients apart from the region: gradient vs finite differences", packed,
                  NULL, x, 2 * M, g, RTOL_FD, ATOL_FD);
  }
  {
    const double v[2 * M] = {1, -0.5, 0.25, 0.3, -1, 0.7};
    double u[M], c[M], du[M], dc[M], g[2 * M] = {0}, hv[2 * M] = {0};
    memcpy(u, x, sizeof u);
    memcpy(c, x + M, sizeof c);
    memcpy(du, v, sizeof du);
    memcpy(dc, v + M, sizeof dc);
    __enzyme_fwddiff((void *)grad, enzyme_dup, u, du, enzyme_dup, g, hv, enzyme_dup, c, dc,
                     enzyme_dup, g + M, hv + M, enzyme_const, (int64_t)2);
    const double h = 1e-6;
    double xp[2 * M], xm[2 * M], gp[2 * M], gm[2 * M];
    for (int k = 0; k < 2 * M; k++) {
      xp[k] = x[k] + h * v[k];
      xm[k] = x[k] - h * v[k];
    }
    grad_at(xp, gp);
    grad_at(xm, gm);
    for (int k = 0; k < 2 * M; k++)
      CHECK_CLOSE("Hessian-vector product vs differences of the gradient", hv[k],
                  (gp[k] - gm[k]) / (2 * h), 1e-5, 1e-7);
  }
  fflush(stdout);
  fflush(stderr);
  pid_t child = fork();
  if (child == 0) {
    double u[M], g[M] = {0};
    memcpy(u, x, sizeof u);
    __enzyme_autodiff((void *)f, enzyme_dup, u, g, enzyme_dup, u, g, enzyme_const, (int64_t)2);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  CHECK_TRUE("coefficients inside the region: the gradient stops (abort)",
             WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  return check_report();
}
