// RUN: clang
// A distributed least-squares objective: each rank holds a block of the
// unknowns and of the data; J = 1/2 sum_k (a_k x_k - b_k)^2 + mu/2 (sum_k x_k)^2,
// where the sums run over every rank (MPI_Allreduce with MPI_SUM), returned on
// rank 0 only. Reverse and forward gradients against central finite
// differences of the whole distributed program, forward against reverse, and
// the gathered gradient against the same objective differentiated on one rank
// (no MPI), for a global vector of n * size entries.
#include "mpi_check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 5, MAXR = 8 };
static double A[MAXR * N], B[MAXR * N];
static int rank_, size_;
static const double MU = 0.3;

__attribute__((noinline)) static double objective(double *x) {
  double local[2] = {0, 0}, global[2];
  for (int i = 0; i < N; i++) {
    double r = A[rank_ * N + i] * x[i] - B[rank_ * N + i];
    local[0] += 0.5 * r * r;
    local[1] += x[i];
  }
  MPI_Allreduce(local, global, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  double j = global[0] + 0.5 * MU * global[1] * global[1];
  return rank_ == 0 ? j : 0.0;
}

/* The same objective on one process, over all n * size unknowns. */
__attribute__((noinline)) static double serial(double *x, int m) {
  double s = 0, t = 0;
  for (int k = 0; k < m; k++) {
    double r = A[k] * x[k] - B[k];
    s += 0.5 * r * r;
    t += x[k];
  }
  return s + 0.5 * MU * t * t;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  rank_ = mc_rank();
  size_ = mc_size();
  if (size_ > MAXR) return 1;
  for (int k = 0; k < MAXR * N; k++) {
    A[k] = 1.0 + 0.1 * (k % 7);
    B[k] = sin(0.3 * k);
  }
  double x[N], dx[N] = {0}, v[N];
  for (int i = 0; i < N; i++) {
    x[i] = 0.2 * i - 0.1 * rank_ + 0.05;
    v[i] = cos(1.0 + i + 3 * rank_);
  }
  __enzyme_autodiff((void *)objective, x, dx);
  mc_check_fd("least squares", objective, x, dx, N);
  double dv[N];
  for (int i = 0; i < N; i++) dv[i] = v[i];
  double t = __enzyme_fwddiff((void *)objective, x, dv);
  mc_check_dot("least squares", t, dx, v, N);

  double X[MAXR * N], G[MAXR * N];
  mc_gather(x, N, X);
  mc_gather(dx, N, G);
  if (rank_ == 0) {
    double dX[MAXR * N] = {0};
    __enzyme_autodiff((void *)serial, X, dX, enzyme_const, size_ * N);
    for (int k = 0; k < size_ * N; k++)
      CHECK_CLOSE("gathered gradient vs the one-rank program", G[k], dX[k], RTOL_D, ATOL_D);
  }
  return mc_report();
}
