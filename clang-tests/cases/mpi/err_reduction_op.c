// RUN: clang
// A reduction other than sum, min and max (here MPI_PROD) is a located compile
// error naming the call and the reduction.
// EXPECT-ERROR: err_reduction_op.c:13:
// EXPECT-ERROR: cannot differentiate 'MPI_Allreduce' with the reduction
// EXPECT-ERROR: MPI_SUM, MPI_MIN or MPI_MAX
#include <mpi.h>

double __enzyme_autodiff(void *, ...);

static double f(double *x) {
  double p;
  MPI_Allreduce(x, &p, 1, MPI_DOUBLE, MPI_PROD, MPI_COMM_WORLD);
  return p * x[1];
}

double g(double *x, double *dx) {
  return __enzyme_autodiff((void *)f, x, dx);
}
