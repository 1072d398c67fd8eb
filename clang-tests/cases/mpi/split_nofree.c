// RUN: clang
// Split reverse mode (__enzyme_augmentfwd, then __enzyme_reverse twice on one
// tape, the first with enzyme_nofree) through non-blocking messages (the
// records of MPI_Isend/MPI_Irecv live on the tape) and an MPI_Allreduce with
// MPI_MAX (its input and result copies too). Each reverse sweep must give the
// combined-mode gradient times its seed; the combined gradient is checked
// against central finite differences of the whole distributed program.
#include "mpi_check.h"

extern int enzyme_nofree;
double __enzyme_autodiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

enum { N = 3 };
static int rank_, size_;

__attribute__((noinline)) static double f(double *x) {
  double out[N], in[N], m[N];
  for (int i = 0; i < N; i++) out[i] = x[i] * x[i] + 0.3 * x[i];
  int next = (rank_ + 1) % size_, prev = (rank_ + size_ - 1) % size_;
  MPI_Request r[2];
  MPI_Irecv(in, N, MPI_DOUBLE, prev, 3, MPI_COMM_WORLD, &r[0]);
  MPI_Isend(out, N, MPI_DOUBLE, next, 3, MPI_COMM_WORLD, &r[1]);
  MPI_Waitall(2, r, MPI_STATUSES_IGNORE);
  for (int i = 0; i < N; i++) m[i] = in[i] * (1.0 + 0.1 * i) + 0.01 * rank_ * (i + 1);
  MPI_Allreduce(MPI_IN_PLACE, m, N, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  double s = 0;
  for (int i = 0; i < N; i++) s += sin(m[i]) * x[i];
  return s;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  rank_ = mc_rank();
  size_ = mc_size();
  double x[N], g[N] = {0}, d[N] = {0};
  for (int i = 0; i < N; i++) x[i] = 0.2 + 0.3 * i + 0.17 * rank_;
  __enzyme_autodiff((void *)f, x, g);
  mc_check_fd("combined", f, x, g, N);

  void *tape = __enzyme_augmentfwd((void *)f, x, d);
  __enzyme_reverse((void *)f, x, d, 1.0, enzyme_nofree, tape);
  for (int i = 0; i < N; i++) CHECK_CLOSE("first reverse sweep (nofree)", d[i], g[i], RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++) d[i] = 0;
  __enzyme_reverse((void *)f, x, d, -2.0, tape);
  for (int i = 0; i < N; i++) CHECK_CLOSE("second reverse sweep on the same tape", d[i], -2.0 * g[i], RTOL_D, ATOL_D);
  return mc_report();
}
