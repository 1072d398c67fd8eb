// RUN: clang
// An MPI call without a derivative rule (here one-sided communication) inside a
// differentiated function is a located compile error naming it.
// EXPECT-ERROR: err_unknown_call.c:13:
// EXPECT-ERROR: cannot differentiate through the MPI call 'MPI_Put'
// EXPECT-ERROR: MPI_Sendrecv
#include <mpi.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_const;

static double f(double *x, MPI_Win win) {
  MPI_Put(x, 2, MPI_DOUBLE, 1, 0, 2, MPI_DOUBLE, win);
  return x[0] * x[1];
}

double g(double *x, double *dx, MPI_Win win) {
  return __enzyme_autodiff((void *)f, x, dx, enzyme_const, win);
}
