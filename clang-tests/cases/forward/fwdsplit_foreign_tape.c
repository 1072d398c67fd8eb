// __enzyme_fwdsplit checks each value it reads from the tape's log: given the tape of another
// function (whose loads have the same count and types), or a null tape where the function reads
// memory, the program stops with a message (SIGABRT, checked from a forked child) instead of
// returning a tangent at some other point. With the right tape it matches finite differences.
#include "check.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern int enzyme_dup, enzyme_const, enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);
void __enzyme_reverse(void *, ...);

static double g(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += x[i] * x[i];
  return s;
}
static double h(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += sin(x[i]) * (i + 1);
  return s;
}
enum { N = 4 };
static double h_v(const double *x) { return h(x, N); }

static int aborts(void (*body)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static double x[N] = {0.3, -0.7, 1.1, 0.4}, sx[N], v[N] = {1, 0.5, -0.25, 2};
static void *tape_g, *tape_h;
static void foreign(void) {
  double t = __enzyme_fwdsplit((void *)h, enzyme_nofree, enzyme_dup, x, v, enzyme_const, N, tape_g);
  printf("not stopped: %g\n", t);
}
static void null_tape(void) {
  double t = __enzyme_fwdsplit((void *)h, enzyme_nofree, enzyme_dup, x, v, enzyme_const, N, (void *)0);
  printf("not stopped: %g\n", t);
}

int main(void) {
  tape_g = __enzyme_augmentfwd((void *)g, enzyme_dup, x, sx, enzyme_const, N);
  tape_h = __enzyme_augmentfwd((void *)h, enzyme_dup, x, sx, enzyme_const, N);
  CHECK_TRUE("a tape of another function stops fwdsplit", aborts(foreign));
  CHECK_TRUE("a null tape stops fwdsplit of a function reading memory", aborts(null_tape));
  double t = __enzyme_fwdsplit((void *)h, enzyme_nofree, enzyme_dup, x, v, enzyme_const, N, tape_h);
  double fd = 0;
  for (int k = 0; k < N; k++) fd += v[k] * fdv(h_v, x, N, k);
  CHECK_CLOSE("fwdsplit with its own tape vs FD", t, fd, RTOL_FD, ATOL_FD);
  double tg = __enzyme_fwdsplit((void *)g, enzyme_nofree, enzyme_dup, x, v, enzyme_const, N, tape_g);
  double want = 0;
  for (int k = 0; k < N; k++) want += 2 * x[k] * v[k];
  CHECK_CLOSE("fwdsplit of g vs the analytic tangent", tg, want, RTOL_D, ATOL_D);
  __enzyme_reverse((void *)g, enzyme_dup, x, sx, enzyme_const, N, 1.0, tape_g);
  __enzyme_reverse((void *)h, enzyme_dup, x, sx, enzyme_const, N, 1.0, tape_h);
  return check_report();
}
