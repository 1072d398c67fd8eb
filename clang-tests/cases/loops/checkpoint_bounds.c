// Checkpointed time loops whose steps read past the bytes listed for a region: a halo (u[-1] and
// u[m] of a region of m doubles at u), a second loop reading one element further than the first
// wrote (t[m]), a pointer reading both halves of one allocation listed as two regions (high half
// first), an offset known only at run time (u[k + off]), and a clamped neighbour read whose last
// iteration reads u[m] (tested at the loop's exits, so the loop still vectorizes). The forward
// sweep reads the caller's memory there; the reverse sweep recomputes the steps from copies of
// the regions alone, where those bytes are another region's copy or no memory of the workspace
// at all: each such gradient must stop with a message naming the step and the argument (it was
// silently wrong, or corrupted the heap). The same steps with the memory inside a region (the
// halo's whole buffer listed, the offset 0, the clamp reading u[k] at the last k) give the plain
// loop's gradient: checked against it and against central finite differences of the plain loop's
// program.
// RUN: clang
#include "check.h"
#include <enzyme/checkpoint.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define M 6
#define STEPS 5

static double loss(const double *u, int64_t m) {
  double s = 0;
  for (int64_t k = 0; k < m; k++)
    s += u[k] * u[k] * (1 + 0.1 * k);
  return s;
}

// reads u[-1] and u[m]
__attribute__((noinline)) static void step_halo(int64_t i, double *u, double *t, int64_t m) {
  (void)i;
  for (int64_t k = 0; k < m; k++)
    t[k] = u[k] + 0.2 * (u[k - 1] - 2 * u[k] + u[k + 1]) - 0.05 * u[k] * u[k];
  for (int64_t k = 0; k < m; k++)
    u[k] = t[k];
}

// x = the buffer ub[m + 2], u = ub + 1; `wide`: the region is all of ub
static double halo(const double *x, int64_t m, int64_t n, int wide) {
  double *ub = malloc((m + 2) * sizeof(double)), *t = malloc(m * sizeof(double));
  memcpy(ub, x, (m + 2) * sizeof(double));
  if (wide)
    __enzyme_checkpoint_for((void *)step_halo, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                            enzyme_checkpoint_region, ub, (m + 2) * sizeof(double),
                            enzyme_checkpoint_region, t, m * sizeof(double), ub + 1, t, m);
  else
    __enzyme_checkpoint_for((void *)step_halo, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                            enzyme_checkpoint_region, ub + 1, m * sizeof(double),
                            enzyme_checkpoint_region, t, m * sizeof(double), ub + 1, t, m);
  double s = loss(ub + 1, m);
  free(ub);
  free(t);
  return s;
}
double halo_narrow(const double *x, int64_t m, int64_t n) { return halo(x, m, n, 0); }
double halo_wide(const double *x, int64_t m, int64_t n) { return halo(x, m, n, 1); }
static double halo_plain(const double *x, const void *p) {
  (void)p;
  double ub[M + 2], t[M];
  memcpy(ub, x, sizeof ub);
  for (int64_t i = 0; i < STEPS; i++)
    step_halo(i, ub + 1, t, M);
  return loss(ub + 1, M);
}

// the first loop writes t[0..m), the second reads t[m] too
__attribute__((noinline)) static void step_further(int64_t i, double *u, double *t, int64_t m) {
  (void)i;
  for (int64_t k = 0; k < m; k++)
    t[k] = u[k] - 0.05 * u[k] * u[k];
  for (int64_t k = 0; k < m; k++)
    u[k] = t[k] + 0.3 * t[k + 1];
}
double further(const double *x, int64_t m, int64_t n) {
  double *u = malloc(m * sizeof(double)), *t = malloc((m + 1) * sizeof(double));
  memcpy(u, x, m * sizeof(double));
  t[m] = x[m];
  __enzyme_checkpoint_for((void *)step_further, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, t, m * sizeof(double), u, t, m);
  double s = loss(u, m);
  free(u);
  free(t);
  return s;
}

// both halves of b, listed as two regions, high half first
__attribute__((noinline)) static void step_halves(int64_t i, double *b, int64_t m) {
  (void)i;
  for (int64_t k = 0; k < m; k++)
    b[k] = b[k] * 0.9 + 0.1 * b[m + k] * b[m + k];
  for (int64_t k = 0; k < m; k++)
    b[m + k] = 0.8 * b[m + k] + 0.1 * b[k];
}
double halves(const double *x, int64_t m, int64_t n) {
  double *b = malloc(2 * m * sizeof(double));
  memcpy(b, x, 2 * m * sizeof(double));
  __enzyme_checkpoint_for((void *)step_halves, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, b + m, m * sizeof(double),
                          enzyme_checkpoint_region, b, m * sizeof(double), b, m);
  double s = loss(b, 2 * m);
  free(b);
  return s;
}

// u[k + off], off known at run time
__attribute__((noinline)) static void step_offset(int64_t i, double *u, double *t, int64_t m,
                                                  int64_t off) {
  (void)i;
  for (int64_t k = 0; k < m; k++)
    t[k] = u[k] * 0.9 + 0.1 * u[k + off] * u[k + off];
  for (int64_t k = 0; k < m; k++)
    u[k] = t[k];
}
static double offset(const double *x, int64_t m, int64_t n, int64_t off) {
  double *u = malloc((m + 2) * sizeof(double)), *t = malloc(m * sizeof(double));
  memcpy(u, x, (m + 2) * sizeof(double));
  __enzyme_checkpoint_for((void *)step_offset, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, t, m * sizeof(double), u, t, m, off);
  double s = loss(u, m);
  free(u);
  free(t);
  return s;
}
double offset0(const double *x, int64_t m, int64_t n) { return offset(x, m, n, 0); }
double offset2(const double *x, int64_t m, int64_t n) { return offset(x, m, n, 2); }
static double offset_plain(const double *x, const void *p) {
  (void)p;
  double u[M + 2], t[M];
  memcpy(u, x, sizeof u);
  for (int64_t i = 0; i < STEPS; i++)
    step_offset(i, u, t, M, 0);
  return loss(u, M);
}

// a clamped right neighbour: u[k + 1], at the last k u[k] (`right`) or u[m] (past the region)
__attribute__((noinline)) static void step_clamp(int64_t i, double *u, double *t, int64_t m,
                                                 int64_t right) {
  (void)i;
  for (int64_t k = 0; k < m; k++) {
    double r = k < m - 1 ? u[k + 1] : right ? u[k] : u[m];
    t[k] = u[k] + 0.2 * (r - u[k]) - 0.05 * u[k] * u[k];
  }
  for (int64_t k = 0; k < m; k++)
    u[k] = t[k];
}
static double clamp(const double *x, int64_t m, int64_t n, int64_t right) {
  double *u = malloc((m + 1) * sizeof(double)), *t = malloc(m * sizeof(double));
  memcpy(u, x, (m + 1) * sizeof(double));
  __enzyme_checkpoint_for((void *)step_clamp, 0, n, enzyme_scheme, &EnzymeCkptPeriodic, NULL,
                          enzyme_checkpoint_region, u, m * sizeof(double),
                          enzyme_checkpoint_region, t, m * sizeof(double), u, t, m, right);
  double s = loss(u, m);
  free(u);
  free(t);
  return s;
}
double clamp_right(const double *x, int64_t m, int64_t n) { return clamp(x, m, n, 1); }
double clamp_past(const double *x, int64_t m, int64_t n) { return clamp(x, m, n, 0); }
static double clamp_plain(const double *x, const void *p) {
  (void)p;
  double u[M + 1], t[M];
  memcpy(u, x, sizeof u);
  for (int64_t i = 0; i < STEPS; i++)
    step_clamp(i, u, t, M, 1);
  return loss(u, M);
}

typedef double (*objective)(const double *, int64_t, int64_t);

static void gradient(objective f, const double *x, double *dx) {
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, (int64_t)M, enzyme_const,
                    (int64_t)STEPS);
}

// The gradient of `f` in a child process: it must end with abort() after a message naming the
// step and the argument.
static void stops(const char *what, objective f, const char *step, int arg) {
  double x[2 * M + 2], dx[2 * M + 2] = {0};
  for (int k = 0; k < 2 * M + 2; k++)
    x[k] = 0.5 + 0.3 * sin(1.0 + k);
  int fds[2];
  if (pipe(fds) != 0) {
    CHECK_TRUE("pipe", 0);
    return;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    gradient(f, x, dx);
    _exit(0);
  }
  close(fds[1]);
  char msg[4096] = {0};
  size_t got = 0;
  ssize_t r;
  while (got < sizeof msg - 1 && (r = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
    got += (size_t)r;
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  char want[200];
  snprintf(want, sizeof want, "through its argument %d outside the checkpoint region", arg);
  char label[300];
  snprintf(label, sizeof label, "%s: the gradient stops (abort) naming '%s' and argument %d", what,
           step, arg);
  CHECK_TRUE(label, WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && strstr(msg, step) &&
                        strstr(msg, want));
}

int main(void) {
  double x[M + 2], dx[M + 2], ref[M + 2];
  for (int k = 0; k < M + 2; k++)
    x[k] = 0.5 + 0.3 * sin(1.0 + k);
  // inside the regions: the plain loop's gradient
  memset(ref, 0, sizeof ref);
  __enzyme_autodiff((void *)halo_plain, enzyme_dup, x, ref, enzyme_const, NULL);
  CHECK_GRAD_FD("halo, plain loop: finite differences", halo_plain, NULL, x, M + 2, ref, RTOL_FD,
                ATOL_FD);
  memset(dx, 0, sizeof dx);
  gradient(halo_wide, x, dx);
  CHECK_ARRAY_CLOSE("halo inside a wider region: = plain loop", dx, ref, M + 2, 1e-12, 1e-14);
  memset(ref, 0, sizeof ref);
  __enzyme_autodiff((void *)offset_plain, enzyme_dup, x, ref, enzyme_const, NULL);
  CHECK_GRAD_FD("offset 0, plain loop: finite differences", offset_plain, NULL, x, M + 2, ref,
                RTOL_FD, ATOL_FD);
  memset(dx, 0, sizeof dx);
  gradient(offset0, x, dx);
  CHECK_ARRAY_CLOSE("offset 0: = plain loop", dx, ref, M + 2, 1e-12, 1e-14);
  memset(ref, 0, sizeof ref);
  __enzyme_autodiff((void *)clamp_plain, enzyme_dup, x, ref, enzyme_const, NULL);
  CHECK_GRAD_FD("clamped neighbour, plain loop: finite differences", clamp_plain, NULL, x, M + 1,
                ref, RTOL_FD, ATOL_FD);
  memset(dx, 0, sizeof dx);
  gradient(clamp_right, x, dx);
  CHECK_ARRAY_CLOSE("clamped neighbour: = plain loop", dx, ref, M + 1, 1e-12, 1e-14);
  // past the regions: the gradient stops
  stops("halo u[-1], u[m]", halo_narrow, "step_halo", 1);
  stops("t[m] after t[0..m) is written", further, "step_further", 2);
  stops("two regions in one allocation read through one pointer", halves, "step_halves", 1);
  stops("u[k + 2], offset at run time", offset2, "step_offset", 1);
  stops("u[m] at the last k of a clamped neighbour", clamp_past, "step_clamp", 1);
  return check_report();
}
