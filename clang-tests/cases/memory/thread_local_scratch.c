// _Thread_local variables inside the differentiated function: a scratch array that carries
// derivatives (at -O0 each access is an llvm.threadlocal.address call) and an inactive counter.
// Its shadow is thread-local too: two threads differentiate at once, many times, each checking
// its own gradient. Oracles: finite differences and analytic derivatives.
// (clang only: lli's JIT crashes on this program's thread-local accesses; the opt output, linked
// natively, passes.)
// RUN: clang
// LIBS: -lpthread
#include "check.h"
#include <pthread.h>
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

_Thread_local double scratch[4];
_Thread_local int uses;

static double f(const double *x) {
  uses++;
  for (int i = 0; i < 4; i++) scratch[i] = x[i] * x[(i + 1) % 4];
  double s = 0;
  for (int i = 0; i < 4; i++) s += scratch[i] * scratch[i] + sin(scratch[(i + 2) % 4]);
  return s;
}

// d/dx_k of sum_i (x_i x_{i+1})^2 + sin(x_i x_{i+1})
static double analytic(const double *x, int k) {
  int prev = (k + 3) % 4, next = (k + 1) % 4;
  double a = x[prev] * x[k], b = x[k] * x[next];
  return (2 * a + cos(a)) * x[prev] + (2 * b + cos(b)) * x[next];
}

typedef struct { double x[4]; int failures; } Job;

static void *worker(void *p) {
  Job *job = p;
  for (int rep = 0; rep < 2000; rep++) {
    double dx[4] = {0};
    __enzyme_autodiff((void *)f, enzyme_dup, job->x, dx);
    for (int k = 0; k < 4; k++)
      if (fabs(dx[k] - analytic(job->x, k)) > 1e-10 * (1 + fabs(dx[k]))) job->failures++;
  }
  return NULL;
}

int main(void) {
  double x[4] = {0.5, 1.5, -1.0, 2.0}, dx[4] = {0}, tx[4] = {1, 0.5, -1, 0.25};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  for (int i = 0; i < 4; i++) {
    CHECK_CLOSE("reverse vs FD", dx[i], fdv(f, x, 4, i), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("reverse vs analytic", dx[i], analytic(x, i), RTOL_D, ATOL_D);
  }
  double t = __enzyme_fwddiff((void *)f, enzyme_dup, x, tx);
  CHECK_CLOSE("forward vs reverse", t, dotv(tx, dx, 4), RTOL_D, 1e-10);
  Job jobs[2] = {{{0.5, 1.5, -1.0, 2.0}, 0}, {{-0.3, 0.8, 1.2, 0.4}, 0}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, worker, &jobs[i]);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 2; i++) CHECK_TRUE("every gradient of a thread right", jobs[i].failures == 0);
  // this thread: one reverse and one forward derivative, 8 primal calls of the differences;
  // the workers' 4000 calls counted in their own instances
  CHECK_TRUE("the counter counted in this thread only", uses == 10);
  return check_report();
}
