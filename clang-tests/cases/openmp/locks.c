// CFLAGS: -fopenmp
// OpenMP locks around shared updates (omp_init_lock / omp_set_lock / omp_unset_lock /
// omp_destroy_lock): a histogram with one lock per bin and nonlinear updates whose reverses must
// run in the opposite order of the forward (a product, a maximum), one global lock shared by two
// update sites, a lock set outside any parallel region, and locks in a dynamic loop. The updates
// commute, so the primal does not depend on the order the threads take the locks (finite
// differences stay valid). Then a function that holds two locks at once stops with a message
// (checked in a child process).
#include "omp_check.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

enum { BINS = 4 };

// y[b] = prod over i in bin b of (1 + 0.1 sin x[i]), one lock per bin
void bin_products(const double *x, double *y, int n) {
  omp_lock_t locks[BINS];
  for (int b = 0; b < BINS; b++) {
    omp_init_lock(&locks[b]);
    y[b] = 1.0;
  }
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
    double v = 1.0 + 0.1 * sin(x[i]);
    int b = i % BINS;
    omp_set_lock(&locks[b]);
    y[b] = y[b] * v;
    omp_unset_lock(&locks[b]);
  }
  for (int b = 0; b < BINS; b++)
    omp_destroy_lock(&locks[b]);
}

static omp_lock_t global_lock;

// a maximum and a sum updated under one lock from two places of a dynamic loop
double max_and_sum(const double *x, int n) {
  double hi = -1e300, s = 0.0;
#pragma omp parallel for schedule(dynamic, 2)
  for (int i = 0; i < n; i++) {
    double v = x[i] * x[i] + 0.01 * i;
    if (i % 3 == 0) {
      omp_set_lock(&global_lock);
      hi = v > hi ? v : hi;
      omp_unset_lock(&global_lock);
    } else {
      double w = exp(0.2 * x[i]);
      omp_set_lock(&global_lock);
      s += w * hi * 0.0 + w;
      omp_unset_lock(&global_lock);
    }
  }
  omp_set_lock(&global_lock); // outside the region: a team of one
  double r = hi * s;
  omp_unset_lock(&global_lock);
  return r;
}

// a lock taken inside an explicit region with a worksharing loop and a barrier
double region_lock(const double *x, int n) {
  double acc = 1.0;
  omp_lock_t l;
  omp_init_lock(&l);
#pragma omp parallel
  {
    double mine = 0.0;
#pragma omp for
    for (int i = 0; i < n; i++)
      mine += x[i] * x[(i + 1) % n];
    omp_set_lock(&l);
    acc = acc * (1.0 + 0.1 * mine); // the reverse divides in the tickets' order
    omp_unset_lock(&l);
#pragma omp barrier
    omp_set_lock(&l);
    acc += 0.25 * mine * mine;
    omp_unset_lock(&l);
  }
  omp_destroy_lock(&l);
  return acc;
}

DEFINE_KERNEL_CHECK(bin_products, n, BINS)
DEFINE_SCALAR_CHECK(max_and_sum, n)
DEFINE_SCALAR_CHECK(region_lock, n)

static omp_lock_t first, second;

double nested(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
    omp_set_lock(&first);
    omp_set_lock(&second);
    s += x[i] * x[i];
    omp_unset_lock(&second);
    omp_unset_lock(&first);
  }
  return s;
}

int main(void) {
  fflush(stdout);
  pid_t child = fork(); // before the OpenMP runtime starts
  if (child == 0) {
    omp_init_lock(&first);
    omp_init_lock(&second);
    double x[3] = {1, 2, 3}, dx[3] = {0};
    omp_set_num_threads(1);
    __enzyme_autodiff((void *)nested, enzyme_dup, x, dx, enzyme_const, 3);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  CHECK_TRUE("holding two locks stops the program", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  omp_init_lock(&global_lock);
  static const int ns[] = {1, 6, 23};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    bin_products_check(ns[c], 3u + c);
    max_and_sum_check(ns[c], 5u + c);
    region_lock_check(ns[c], 7u + c);
  }
  omp_destroy_lock(&global_lock);
  return check_report();
}
