// CFLAGS: -fopenmp
// LIBS: -fopenmp
// RUN: clang
// The tape rows of a parallel loop are taken by each thread of the team, and the tape cache
// keeps them (4 KiB or more) in that thread's slots for its next gradient
// (reverse/tape/buffers.rs). libomp ends its worker threads at program exit: their kept rows
// must be freed then, not lost with their thread-local slots (valgrind's memcheck, which this
// group runs, reported them as definitely lost: 35 MB in 41 blocks for openmp/tape_arena.c).
// Four threads, three gradients in a row; oracles: central finite differences on sampled
// coordinates (one thread) and forward mode along a random direction.
#include "check.h"
#include <omp.h>
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

// T forked steps u <- u + 0.1 (laplacian) - 0.01 u^3 between two buffers.
double heat(double *restrict u, double *restrict v, long n, long T) {
  v[0] = u[0];
  v[n - 1] = u[n - 1];
  for (long t = 0; t < T; t++) {
#pragma omp parallel for schedule(static)
    for (long i = 1; i < n - 1; i++) {
      double c = u[i];
      v[i] = c + 0.1 * (u[i - 1] - 2 * c + u[i + 1]) - 0.01 * c * c * c;
    }
    double *w = u;
    u = v;
    v = w;
  }
  double f = 0;
  for (long i = 0; i < n; i++)
    f += u[i] * u[i];
  return f;
}

enum { N = 8000, T = 4 };

static double heat_at(const double *x, const double *d, double s) {
  double *u = malloc(sizeof(double) * N), *v = malloc(sizeof(double) * N);
  for (long i = 0; i < N; i++)
    u[i] = x[i] + s * d[i];
  double f = heat(u, v, N, T);
  free(u);
  free(v);
  return f;
}

int main(void) {
  double *x = malloc(sizeof(double) * N), *t = malloc(sizeof(double) * N);
  double *u = malloc(sizeof(double) * N), *v = malloc(sizeof(double) * N);
  double *du = malloc(sizeof(double) * N), *dv = malloc(sizeof(double) * N);
  double *e = calloc(N, sizeof(double));
  for (long i = 0; i < N; i++) {
    x[i] = 0.5 * sin(0.01 * i) + 0.2;
    t[i] = cos(0.7 * i);
  }
  omp_set_num_threads(4);
  double dot[3];
  for (int c = 0; c < 3; c++) {
    for (long i = 0; i < N; i++) {
      u[i] = x[i];
      du[i] = dv[i] = 0;
    }
    __enzyme_autodiff((void *)heat, enzyme_dup, u, du, enzyme_dup, v, dv, enzyme_const,
                      (long)N, enzyme_const, (long)T);
    dot[c] = 0;
    for (long i = 0; i < N; i++)
      dot[c] += du[i] * t[i];
  }
  omp_set_num_threads(1);
  double h = 1e-6;
  for (long i = 1; i < N; i += 997) {
    e[i] = 1;
    double fd = (heat_at(x, e, h) - heat_at(x, e, -h)) / (2 * h);
    e[i] = 0;
    CHECK_CLOSE("reverse vs FD", du[i], fd, 1e-5, 1e-6);
  }
  for (long i = 0; i < N; i++) {
    u[i] = x[i];
    du[i] = t[i];
    dv[i] = 0;
  }
  double fwd = __enzyme_fwddiff((void *)heat, enzyme_dup, u, du, enzyme_dup, v, dv,
                                enzyme_const, (long)N, enzyme_const, (long)T);
  for (int c = 0; c < 3; c++)
    CHECK_CLOSE("forward vs reverse", dot[c], fwd, 1e-10, 1e-10);
  free(x);
  free(t);
  free(u);
  free(v);
  free(du);
  free(dv);
  free(e);
  return check_report();
}
