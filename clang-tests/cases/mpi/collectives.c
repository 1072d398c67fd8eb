// RUN: clang
// Each collective inside a differentiated function, one function per call:
// MPI_Bcast, MPI_Gather, MPI_Scatter, MPI_Allgather, MPI_Reduce (sum, max, and
// both with MPI_IN_PLACE at the root only: `rank == root ? MPI_IN_PLACE : buf`),
// MPI_Allreduce (min, and max and sum in place), MPI_Barrier. Every rank's output
// depends nonlinearly on what it received; the derivative of the sum of the
// outputs over the ranks is checked against central finite differences of the
// whole distributed program (reverse mode) and against the reverse gradient
// (forward mode). Roots other than rank 0 where the rank count allows.
#include "mpi_check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 3, MAXR = 8 };
static int rank_, size_;

static double weight(int k) { return 1.0 + 0.1 * k + 0.05 * rank_; }

__attribute__((noinline)) static double f_bcast(double *x) {
  double buf[N];
  for (int i = 0; i < N; i++) buf[i] = x[i] * x[i];
  int root = size_ - 1;
  MPI_Bcast(buf, N, MPI_DOUBLE, root, MPI_COMM_WORLD);
  double s = 0;
  for (int i = 0; i < N; i++) s += weight(i) * sin(buf[i]) + 0.5 * x[i];
  return s;
}

__attribute__((noinline)) static double f_gather(double *x) {
  double mine[N], all[MAXR * N];
  for (int i = 0; i < N; i++) mine[i] = exp(0.3 * x[i]);
  int root = 1 % size_;
  MPI_Gather(mine, N, MPI_DOUBLE, all, N, MPI_DOUBLE, root, MPI_COMM_WORLD);
  double s = 0;
  if (rank_ == root)
    for (int k = 0; k < size_ * N; k++) s += weight(k) * all[k] * all[k];
  return s;
}

__attribute__((noinline)) static double f_scatter(double *x) {
  double all[MAXR * N], mine[N];
  MPI_Allgather(x, N, MPI_DOUBLE, all, N, MPI_DOUBLE, MPI_COMM_WORLD);
  for (int k = 0; k < size_ * N; k++) all[k] = all[k] * (1.0 + 0.1 * k);
  // reversed order at the root, so each rank receives another's values
  double src[MAXR * N];
  for (int k = 0; k < size_ * N; k++) src[k] = all[size_ * N - 1 - k];
  MPI_Scatter(src, N, MPI_DOUBLE, mine, N, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  double s = 0;
  for (int i = 0; i < N; i++) s += weight(i) * mine[i] * mine[i] * mine[i];
  return s;
}

__attribute__((noinline)) static double f_allgather(double *x) {
  double mine[N], all[MAXR * N];
  for (int i = 0; i < N; i++) mine[i] = x[i] * (2.0 + x[i]);
  MPI_Allgather(mine, N, MPI_DOUBLE, all, N, MPI_DOUBLE, MPI_COMM_WORLD);
  double s = 0;
  for (int k = 0; k < size_ * N; k++) s += weight(k) * cos(all[k]);
  return s;
}

__attribute__((noinline)) static double f_reduce_sum(double *x) {
  double mine[N], sum[N];
  for (int i = 0; i < N; i++) mine[i] = x[i] * x[i] + x[(i + 1) % N];
  int root = size_ / 2;
  MPI_Reduce(mine, sum, N, MPI_DOUBLE, MPI_SUM, root, MPI_COMM_WORLD);
  double s = 0;
  if (rank_ == root)
    for (int i = 0; i < N; i++) s += weight(i) * sum[i] * sum[i];
  return s;
}

__attribute__((noinline)) static double f_reduce_max(double *x) {
  double mine[N], m[N];
  for (int i = 0; i < N; i++) mine[i] = x[i] * (1.0 + 0.5 * x[i]);
  MPI_Reduce(mine, m, N, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  double s = 0;
  if (rank_ == 0)
    for (int i = 0; i < N; i++) s += weight(i) * m[i] * m[i];
  return s;
}

__attribute__((noinline)) static double f_reduce_root_in_place(double *x) {
  double m[N];
  for (int i = 0; i < N; i++) m[i] = x[i] * x[i] + 0.2 * x[i];
  int root = size_ - 1;
  MPI_Reduce(rank_ == root ? MPI_IN_PLACE : m, m, N, MPI_DOUBLE, MPI_SUM, root, MPI_COMM_WORLD);
  double s = 0.05 * x[0];
  if (rank_ == root)
    for (int i = 0; i < N; i++) s += weight(i) * sin(m[i]);
  return s;
}

__attribute__((noinline)) static double f_reduce_root_in_place_max(double *x) {
  double m[N];
  for (int i = 0; i < N; i++) m[i] = x[i] * (2.0 - x[i]);
  MPI_Reduce(rank_ == 0 ? MPI_IN_PLACE : m, m, N, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  double s = 0;
  if (rank_ == 0)
    for (int i = 0; i < N; i++) s += weight(i) * m[i] * m[i];
  return s;
}

__attribute__((noinline)) static double f_allreduce_min(double *x) {
  double mine[N], m[N];
  for (int i = 0; i < N; i++) mine[i] = sin(x[i]) + x[i];
  MPI_Allreduce(mine, m, N, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  double s = 0;
  for (int i = 0; i < N; i++) s += weight(i) * m[i] * m[i] + 0.1 * x[i] * x[i];
  return s;
}

__attribute__((noinline)) static double f_allreduce_inplace_max(double *x) {
  double m[N];
  for (int i = 0; i < N; i++) m[i] = x[i] * x[i] * x[i];
  MPI_Allreduce(MPI_IN_PLACE, m, N, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  double s = 0;
  for (int i = 0; i < N; i++) s += weight(i) * exp(0.2 * m[i]);
  return s;
}

__attribute__((noinline)) static double f_allreduce_inplace_sum(double *x) {
  double m[N];
  for (int i = 0; i < N; i++) m[i] = x[i] * x[i];
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, m, N, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  double s = 0;
  for (int i = 0; i < N; i++) s += weight(i) * sqrt(1.0 + m[i]);
  return s;
}

#define CHECK(f)                                                                               \
  do {                                                                                         \
    double x[N], dx[N] = {0}, v[N], dv[N];                                                     \
    for (int i = 0; i < N; i++) {                                                              \
      /* distinct values on every rank: extrema have one owner */                              \
      x[i] = 0.3 + 0.37 * i + 0.11 * rank_ + 0.013 * rank_ * rank_ * (i + 1);                  \
      if ((i + rank_) % 2) x[i] = 1.2 - 0.9 * x[i];                                            \
      v[i] = dv[i] = cos(1.0 + 2.0 * i + rank_);                                               \
    }                                                                                          \
    __enzyme_autodiff((void *)f, x, dx);                                                       \
    mc_check_fd(#f, f, x, dx, N);                                                              \
    double t = __enzyme_fwddiff((void *)f, x, dv);                                             \
    mc_check_dot(#f, t, dx, v, N);                                                             \
  } while (0)

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  rank_ = mc_rank();
  size_ = mc_size();
  if (size_ > MAXR) return 1;
  CHECK(f_bcast);
  CHECK(f_gather);
  CHECK(f_scatter);
  CHECK(f_allgather);
  CHECK(f_reduce_sum);
  CHECK(f_reduce_max);
  CHECK(f_reduce_root_in_place);
  CHECK(f_reduce_root_in_place_max);
  CHECK(f_allreduce_min);
  CHECK(f_allreduce_inplace_max);
  CHECK(f_allreduce_inplace_sum);
  return mc_report();
}
