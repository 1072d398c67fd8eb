// RUN: clang
// Waiting on copies of the request variables (MPI_Waitall on an array the
// requests were copied into, in another order): the wait is matched to its
// MPI_Isend/MPI_Irecv by the request's value when no call wrote that variable.
// Reverse mode against central finite differences of the whole distributed
// program, forward mode against reverse.
#include "mpi_check.h"
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
enum { N = 3 };
static int rank_, size_;
__attribute__((noinline)) static double f(double *x) {
  double out[N], in[N];
  for (int i = 0; i < N; i++) out[i] = x[i] * x[i];
  int next = (rank_ + 1) % size_, prev = (rank_ + size_ - 1) % size_;
  MPI_Request a, b, copy[2];
  MPI_Irecv(in, N, MPI_DOUBLE, prev, 5, MPI_COMM_WORLD, &a);
  MPI_Isend(out, N, MPI_DOUBLE, next, 5, MPI_COMM_WORLD, &b);
  copy[0] = b; copy[1] = a;
  MPI_Waitall(2, copy, MPI_STATUSES_IGNORE);
  double s = 0;
  for (int i = 0; i < N; i++) s += sin(in[i]) * (1 + 0.1 * i + 0.3 * rank_);
  return s;
}
int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  rank_ = mc_rank(); size_ = mc_size();
  double x[N], g[N] = {0}, v[N], dv[N];
  for (int i = 0; i < N; i++) { x[i] = 0.3 + 0.2 * i + 0.1 * rank_; v[i] = dv[i] = cos(i + rank_); }
  __enzyme_autodiff((void *)f, x, g);
  mc_check_fd("wait on copies", f, x, g, N);
  double t = __enzyme_fwddiff((void *)f, x, dv);
  mc_check_dot("wait on copies", t, g, v, N);
  return mc_report();
}
