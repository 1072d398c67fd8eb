// CFLAGS: -fopenmp
// More OpenMP locking: omp_test_lock in busy-wait loops around order-dependent updates (a
// product and a running maximum, whose reverses must run in the opposite order of the
// forward's), a test loop that counts its failed attempts meanwhile, nestable locks set twice
// by the same thread (the inner set and unset take no turn) with omp_test_nest_lock, and
// omp flush beside a lock-protected update. The updates commute, so the primal does not depend
// on the order the threads get the locks (finite differences stay valid). A thread that tests
// a second lock while it holds one stops with a message (checked in a child process).
#include "omp_check.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static omp_lock_t lk;
static omp_nest_lock_t nlk;

// y[0] = prod (1 + 0.1 sin x_i), y[1] = max_i x_i^2 cos(x_i), y[2] = sum x_i^3
void test_lock_updates(const double *x, double *y, int n) {
  y[0] = 1.0;
  y[1] = -1e300;
  y[2] = 0.0;
  int spins = 0;
#pragma omp parallel for reduction(+ : spins)
  for (int i = 0; i < n; i++) {
    double v = 1.0 + 0.1 * sin(x[i]);
    double w = x[i] * x[i] * cos(x[i]);
    while (!omp_test_lock(&lk))
      ;
    y[0] = y[0] * v;
    y[1] = w > y[1] ? w : y[1];
    omp_unset_lock(&lk);
    while (!omp_test_lock(&lk))
      spins++;
#pragma omp flush
    y[2] += x[i] * x[i] * x[i];
    omp_unset_lock(&lk);
  }
  (void)spins;
}

// a helper that takes the nest lock again while its caller holds it
static inline void add_scaled(double *y, double v) {
  omp_set_nest_lock(&nlk);
  *y = *y * (1.0 + 0.05 * v) + v;
  omp_unset_nest_lock(&nlk);
}

// y[0], y[1]: order-dependent accumulations under a nestable lock set twice
void nest_lock_updates(const double *x, double *y, int n) {
  y[0] = 0.5;
  y[1] = 1.0;
#pragma omp parallel for schedule(dynamic, 2)
  for (int i = 0; i < n; i++) {
    double v = exp(0.3 * x[i]);
    if (i % 2) {
      omp_set_nest_lock(&nlk);
      add_scaled(&y[0], v);
      y[1] *= 1.0 + 0.1 * x[i];
      omp_unset_nest_lock(&nlk);
    } else {
      while (!omp_test_nest_lock(&nlk))
        ;
      int depth = omp_test_nest_lock(&nlk); // 2: held twice now
      y[0] = y[0] * (1.0 + 0.05 * v) + v * (depth - 1);
      omp_unset_nest_lock(&nlk);
      y[1] *= 1.0 + 0.1 * x[i];
      omp_unset_nest_lock(&nlk);
    }
  }
}

static omp_lock_t other;
double holds_two(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
    omp_set_lock(&lk);
    while (!omp_test_lock(&other))
      ;
    s += x[i] * x[i];
    omp_unset_lock(&other);
    omp_unset_lock(&lk);
  }
  return s;
}

DEFINE_KERNEL_CHECK(test_lock_updates, n, 3)
DEFINE_KERNEL_CHECK(nest_lock_updates, n, 2)

int main(void) {
  fflush(stdout);
  pid_t child = fork(); // before the OpenMP runtime starts
  if (child == 0) {
    omp_init_lock(&lk);
    omp_init_lock(&other);
    double x[4] = {1, 2, 3, 4}, dx[4] = {0};
    omp_set_num_threads(1);
    __enzyme_autodiff((void *)holds_two, enzyme_dup, x, dx, enzyme_const, 4);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  CHECK_TRUE("a lock tested while holding another stops the program",
             WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  omp_init_lock(&lk);
  omp_init_nest_lock(&nlk);
  static const int ns[] = {1, 4, 13, 40};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    test_lock_updates_check(ns[c], 3u + c);
    nest_lock_updates_check(ns[c], 7u + c);
  }
  omp_destroy_lock(&lk);
  omp_destroy_nest_lock(&nlk);
  return check_report();
}
