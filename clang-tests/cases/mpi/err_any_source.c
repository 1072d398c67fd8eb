// RUN: clang
// A differentiated receive from MPI_ANY_SOURCE is a located compile error: the
// adjoint must go back to one known rank.
// EXPECT-ERROR: err_any_source.c:13:
// EXPECT-ERROR: cannot differentiate 'MPI_Recv' with MPI_ANY_SOURCE or MPI_ANY_TAG
// EXPECT-ERROR: explicit source rank
#include <mpi.h>

double __enzyme_autodiff(void *, ...);

static double f(double *x) {
  double y[2];
  MPI_Recv(y, 2, MPI_DOUBLE, MPI_ANY_SOURCE, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return x[0] * y[0] + x[1] * y[1];
}

double g(double *x, double *dx) {
  return __enzyme_autodiff((void *)f, x, dx);
}
