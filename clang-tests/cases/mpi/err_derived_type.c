// RUN: clang
// A derived datatype (built outside the differentiated function) in a
// differentiated message is a located compile error naming the call.
// EXPECT-ERROR: err_derived_type.c:13:
// EXPECT-ERROR: cannot differentiate call to 'MPI_Send': its datatype
// EXPECT-ERROR: derived datatypes are not supported
#include <mpi.h>

double __enzyme_autodiff(void *, ...);
extern int enzyme_const;

static double f(double *x, MPI_Datatype pair) {
  MPI_Send(x, 1, pair, 1, 0, MPI_COMM_WORLD);
  return x[0] * x[1];
}

double g(double *x, double *dx, MPI_Datatype pair) {
  return __enzyme_autodiff((void *)f, x, dx, enzyme_const, pair);
}
