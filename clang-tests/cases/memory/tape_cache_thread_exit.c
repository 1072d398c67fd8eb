// Tape buffers of 4 KiB or more outlive the gradient in per-thread slots (the tape cache,
// reverse/tape/buffers.rs). A thread that computed gradients and then exits must not lose the
// blocks its slots hold: they are freed when it exits (before, each ended thread leaked up to
// 32 blocks, which valgrind's memcheck, run on this group, reports as definitely lost; an
// OpenMP program's worker threads leaked theirs at exit). Eight threads one after another,
// each computing three gradients of a time loop whose tape (n * T values) takes 64 KB to
// 320 KB, then exiting; the main thread joins each and checks its gradients: central finite
// differences on sampled coordinates and forward mode along a random direction.
// RUN: clang
// LIBS: -lpthread
#include "check.h"
#include <pthread.h>
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

// T steps of a nonlinear in-place stencil: sin(u[i]) is taped for every step.
double heat(const double *x, long n, long T) {
  double *u = malloc(n * sizeof(double));
  for (long i = 0; i < n; i++)
    u[i] = x[i];
  for (long t = 0; t < T; t++)
    for (long i = 1; i < n - 1; i++)
      u[i] = sin(u[i]) + 0.1 * (u[i - 1] - 2 * u[i] + u[i + 1]);
  double s = 0;
  for (long i = 0; i < n; i++)
    s += u[i] * u[i];
  free(u);
  return s;
}

enum { N = 400, THREADS = 8, CALLS = 3 };

typedef struct {
  long n, T;
  double x[N], dx[CALLS][N];
} Job;

static void *worker(void *p) {
  Job *job = p;
  for (int c = 0; c < CALLS; c++) {
    for (long i = 0; i < job->n; i++)
      job->dx[c][i] = 0;
    __enzyme_autodiff((void *)heat, enzyme_dup, job->x, job->dx[c], enzyme_const, job->n,
                      enzyme_const, job->T);
  }
  return NULL;
}

static double heat_at(const double *x, const double *t, double s, long n, long T) {
  double y[N];
  for (long i = 0; i < n; i++)
    y[i] = x[i] + s * t[i];
  return heat(y, n, T);
}

int main(void) {
  static Job jobs[THREADS];
  for (int k = 0; k < THREADS; k++) {
    Job *job = &jobs[k];
    job->n = 200 + 25 * k;
    job->T = 40 + 5 * (k % 3);
    for (long i = 0; i < job->n; i++)
      job->x[i] = 0.4 * sin(0.37 * i + k) + 0.1;
    pthread_t th;
    if (pthread_create(&th, NULL, worker, job) != 0 || pthread_join(th, NULL) != 0) {
      fprintf(stderr, "thread %d failed\n", k);
      return 1;
    }
  }
  for (int k = 0; k < THREADS; k++) {
    Job *job = &jobs[k];
    long n = job->n, T = job->T;
    double e[N] = {0}, t[N];
    for (long i = 0; i < n; i++)
      t[i] = cos(1.3 * i + k);
    double h = 1e-6;
    for (long i = 0; i < n; i += 37) {
      e[i] = 1;
      double fd = (heat_at(job->x, e, h, n, T) - heat_at(job->x, e, -h, n, T)) / (2 * h);
      e[i] = 0;
      for (int c = 0; c < CALLS; c++)
        CHECK_CLOSE("reverse vs FD", job->dx[c][i], fd, 1e-5, 1e-6);
    }
    double fwd = __enzyme_fwddiff((void *)heat, enzyme_dup, job->x, t, enzyme_const, n,
                                  enzyme_const, T);
    double dot = 0;
    for (long i = 0; i < n; i++)
      dot += job->dx[CALLS - 1][i] * t[i];
    CHECK_CLOSE("forward vs reverse", dot, fwd, 1e-10, 1e-10);
  }
  return check_report();
}
