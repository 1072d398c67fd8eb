// enzyme_runtime_activity: a duplicated pointer passed with its primal as its own shadow is
// inactive at run time (Enzyme's runtime activity): no adjoint is added to the primal memory
// and no tangent is read from it. Reverse and forward mode, each subset of two pointers, an
// output buffer; oracles: analytic derivatives and finite differences. An output the function
// stores active values into, passed with itself as shadow, stops the program with a message
// (checked in a child process) instead of computing a derivative.
// RUN: clang opt
#include "check.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
extern int enzyme_dup, enzyme_dupnoneed, enzyme_const, enzyme_runtime_activity;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

// s = sum a[i] * b[i]^2; y[i] = sin(a[i]) * b[i]
static double f(const double *a, const double *b, double *y, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    s += a[i] * b[i] * b[i];
    y[i] = sin(a[i]) * b[i];
  }
  return s;
}
static double fa(const double *a) {
  double b[3] = {0.5, -1.0, 2.0}, y[3];
  return f(a, b, y, 3);
}

int main(void) {
  enum { N = 3 };
  double a[N] = {1.0, 2.0, 3.0}, b[N] = {0.5, -1.0, 2.0}, y[N], dy[N];
  double a0[N], b0[N];
  memcpy(a0, a, sizeof a);
  memcpy(b0, b, sizeof b);
  for (int mask = 0; mask < 4; mask++) {
    double da[N] = {0}, db[N] = {0};
    for (int i = 0; i < N; i++) dy[i] = 0.5 * (i + 1);
    double *sa = (mask & 1) ? a : da, *sb = (mask & 2) ? b : db;
    __enzyme_autodiff((void *)f, enzyme_runtime_activity, enzyme_dup, a, sa, enzyme_dup, b, sb,
                      enzyme_dup, y, dy, enzyme_const, N);
    for (int i = 0; i < N; i++) {
      CHECK_CLOSE("a keeps its values", a[i], a0[i], 0, 0);
      CHECK_CLOSE("b keeps its values", b[i], b0[i], 0, 0);
      double w = 0.5 * (i + 1);
      if (!(mask & 1))
        CHECK_CLOSE("da", da[i], b[i] * b[i] + w * cos(a[i]) * b[i], RTOL_D, ATOL_D);
      if (!(mask & 2))
        CHECK_CLOSE("db", db[i], 2 * a[i] * b[i] + w * sin(a[i]), RTOL_D, ATOL_D);
    }
  }
  {
    double da[N] = {0};
    for (int i = 0; i < N; i++) dy[i] = 0;
    __enzyme_autodiff((void *)f, enzyme_runtime_activity, enzyme_dup, a, da, enzyme_dup, b, b,
                      enzyme_dupnoneed, y, dy, enzyme_const, N);
    for (int i = 0; i < N; i++) CHECK_CLOSE("da vs FD", da[i], fdv(fa, a, N, i), RTOL_FD, ATOL_FD);
  }
  {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
      double da[N] = {0};
      __enzyme_autodiff((void *)f, enzyme_runtime_activity, enzyme_dup, a, da, enzyme_dup, b, b,
                        enzyme_dupnoneed, y, y, enzyme_const, N);
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_TRUE("an inactive output receiving active stores stops the program",
               WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  }
  // Forward mode: a's tangent, or a inactive through its own pointer.
  for (int mask = 0; mask < 2; mask++) {
    double tb[N] = {1.0, 0.0, -1.0}, ty[N];
    double ta[N] = {0.5, 0.5, 0.5};
    double *sa = mask ? a : ta;
    double t = __enzyme_fwddiff((void *)f, enzyme_runtime_activity, enzyme_dup, a, sa, enzyme_dup,
                                b, tb, enzyme_dup, y, ty, enzyme_const, N);
    double want = 0;
    for (int i = 0; i < N; i++)
      want += 2 * a[i] * b[i] * tb[i] + (mask ? 0.0 : b[i] * b[i] * ta[i]);
    CHECK_CLOSE("tangent", t, want, RTOL_D, ATOL_D);
    for (int i = 0; i < N; i++) {
      CHECK_CLOSE("a keeps its values (forward)", a[i], a0[i], 0, 0);
      CHECK_CLOSE("y primal", y[i], sin(a[i]) * b[i], RTOL_D, ATOL_D);
      double dyi = sin(a[i]) * tb[i] + (mask ? 0.0 : cos(a[i]) * ta[i] * b[i]);
      CHECK_CLOSE("y tangent", ty[i], dyi, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
