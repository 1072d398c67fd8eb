/* Oracles for distributed derivatives (clang-tests/cases/mpi): every rank runs
 * these collectively. The derivative of a distributed function is that of the
 * SUM of its outputs over the ranks, with respect to every rank's own inputs.
 *  - mc_check_fd: central finite differences of the whole distributed program
 *    (one input of one rank perturbed at a time, every rank evaluating);
 *  - mc_check_dot: forward mode against reverse mode (sum over ranks of the
 *    tangents == sum over ranks of <gradient, direction>);
 *  - mc_gather: every rank's vector, concatenated in rank order at rank 0,
 *    for comparisons with the same computation run on one rank. */
#ifndef FERMENT_MPI_CHECK_H
#define FERMENT_MPI_CHECK_H
#include <mpi.h>
#include <stdlib.h>
#include "check.h"

typedef double (*mc_fn)(double *x);

static inline int mc_rank(void) {
  int r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
static inline int mc_size(void) {
  int s;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}
static inline double mc_total(double v) {
  double t;
  MPI_Allreduce(&v, &t, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return t;
}
static inline void mc_check_fd(const char *what, mc_fn f, double *x, const double *grad, int n) {
  int rank = mc_rank(), size = mc_size();
  for (int q = 0; q < size; q++)
    for (int i = 0; i < n; i++) {
      double save = x[i], h = fd_step(save);
      if (rank == q) x[i] = save + h;
      double tp = mc_total(f(x));
      if (rank == q) x[i] = save - h;
      double tm = mc_total(f(x));
      if (rank == q) {
        x[i] = save;
        char buf[256];
        snprintf(buf, sizeof buf, "%s: d/dx[%d] on rank %d vs finite differences", what, i, q);
        CHECK_CLOSE(buf, grad[i], (tp - tm) / (2 * h), RTOL_FD, ATOL_FD);
      }
    }
}
static inline void mc_check_dot(const char *what, double tangent, const double *grad,
                                const double *v, int n) {
  double d = 0;
  for (int i = 0; i < n; i++) d += grad[i] * v[i];
  double fwd = mc_total(tangent), rev = mc_total(d);
  char buf[256];
  snprintf(buf, sizeof buf, "%s: forward tangent vs reverse gradient", what);
  CHECK_CLOSE(buf, fwd, rev, RTOL_D * 100, ATOL_D * 100);
}
/* x (n per rank) gathered at rank 0 into out (n * size); returns out. */
static inline double *mc_gather(const double *x, int n, double *out) {
  MPI_Gather((void *)x, n, MPI_DOUBLE, out, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return out;
}
/* Exit status agreed by all ranks: nonzero when any rank failed a check. */
static inline int mc_report(void) {
  int mine = check_report(), any;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}
#endif
