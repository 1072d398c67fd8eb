// -enzyme-runtime-activity (every request, no marker): a pointer passed as its own shadow is
// inactive; in split mode, which ferment does not dispatch, such a call stops the program with a
// message (checked in a child process). Oracle: analytic derivatives.
// RUN: clang
// CFLAGS: -mllvm -enzyme-runtime-activity
#include "check.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

// w . (x * x), with the weights w possibly inactive
static double wsq(const double *w, const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += w[i] * x[i] * x[i];
  return s;
}

int main(void) {
  double w[3] = {1.0, -2.0, 0.5}, x[3] = {0.3, 0.7, -1.1}, dw[3] = {0}, dx[3] = {0};
  __enzyme_autodiff((void *)wsq, enzyme_dup, w, w, enzyme_dup, x, dx, enzyme_const, 3);
  for (int i = 0; i < 3; i++) {
    CHECK_CLOSE("dx with w inactive", dx[i], 2 * w[i] * x[i], RTOL_D, ATOL_D);
    CHECK_CLOSE("w unchanged", w[i], i == 0 ? 1.0 : i == 1 ? -2.0 : 0.5, 0, 0);
  }
  for (int i = 0; i < 3; i++) dx[i] = 0;
  __enzyme_autodiff((void *)wsq, enzyme_dup, w, dw, enzyme_dup, x, dx, enzyme_const, 3);
  for (int i = 0; i < 3; i++) {
    CHECK_CLOSE("dw", dw[i], x[i] * x[i], RTOL_D, ATOL_D);
    CHECK_CLOSE("dx", dx[i], 2 * w[i] * x[i], RTOL_D, ATOL_D);
  }
  // Split mode with distinct shadows works as usual ...
  for (int i = 0; i < 3; i++) dw[i] = dx[i] = 0;
  void *tape = __enzyme_augmentfwd((void *)wsq, enzyme_dup, w, dw, enzyme_dup, x, dx, enzyme_const, 3);
  __enzyme_reverse((void *)wsq, enzyme_dup, w, dw, enzyme_dup, x, dx, enzyme_const, 3, 1.0, tape);
  for (int i = 0; i < 3; i++) CHECK_CLOSE("split dx", dx[i], 2 * w[i] * x[i], RTOL_D, ATOL_D);
  // ... and stops when a shadow is its primal.
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    void *t = __enzyme_augmentfwd((void *)wsq, enzyme_dup, w, w, enzyme_dup, x, dx, enzyme_const, 3);
    (void)t;
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK_TRUE("split mode with an inactive pointer stops",
             WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  return check_report();
}
