// RUN: clang
// MPI_IN_PLACE in a differentiated MPI_Gather (here chosen at run time, at the
// root only) is a located compile error naming the call.
// EXPECT-ERROR: err_gather_in_place.c:15:
// EXPECT-ERROR: cannot differentiate 'MPI_Gather' with MPI_IN_PLACE
// EXPECT-ERROR: separate send and receive buffers
#include <mpi.h>

double __enzyme_autodiff(void *, ...);

static double f(double *x) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  double all[8];
  MPI_Gather(rank == 0 ? MPI_IN_PLACE : x, 2, MPI_DOUBLE, all, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return rank == 0 ? all[0] * all[3] : 0.0;
}

double g(double *x, double *dx) {
  return __enzyme_autodiff((void *)f, x, dx);
}
