// RUN: clang
// MPI_FLOAT buffers through every differentiated routine: MPI_Sendrecv,
// MPI_Isend/MPI_Irecv/MPI_Waitall, MPI_Bcast, MPI_Gather, MPI_Scatter,
// MPI_Allgather, MPI_Reduce (sum), MPI_Allreduce (min, max, and sum in place).
// Each program is written once for an element type and instantiated twice:
// with double / MPI_DOUBLE (checked against central finite differences of the
// whole distributed program, and forward against reverse) and with float /
// MPI_FLOAT (its reverse gradient and its forward tangent checked against the
// double program's, to float precision). The inputs and outputs stay double:
// only the messages and the arithmetic around them are float.
#include "mpi_check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 3, MAXR = 8 };
static int rank_, size_;

static double weight(int k) { return 1.0 + 0.1 * k + 0.05 * rank_; }

#define PROGRAMS(S, T, MPIT)                                                                   \
  /* halo exchange with both neighbours (ends: MPI_PROC_NULL) */                               \
  __attribute__((noinline)) static double sendrecv_##S(double *x) {                            \
    T u[N + 2];                                                                                \
    u[0] = u[N + 1] = 0;                                                                       \
    for (int i = 0; i < N; i++) u[i + 1] = (T)(x[i] * x[i] + 0.3 * x[i]);                      \
    int left = rank_ > 0 ? rank_ - 1 : MPI_PROC_NULL;                                          \
    int right = rank_ < size_ - 1 ? rank_ + 1 : MPI_PROC_NULL;                                 \
    MPI_Sendrecv(&u[1], 1, MPIT, left, 0, &u[N + 1], 1, MPIT, right, 0, MPI_COMM_WORLD,        \
                 MPI_STATUS_IGNORE);                                                           \
    MPI_Sendrecv(&u[N], 1, MPIT, right, 1, &u[0], 1, MPIT, left, 1, MPI_COMM_WORLD,            \
                 MPI_STATUS_IGNORE);                                                           \
    double s = 0;                                                                              \
    for (int i = 1; i <= N; i++) {                                                             \
      T v = u[i] + (T)0.25 * (u[i - 1] - 2 * u[i] + u[i + 1]);                                 \
      s += weight(i) * (double)(v * v);                                                        \
    }                                                                                          \
    return s;                                                                                  \
  }                                                                                            \
  /* the same exchange, non-blocking */                                                        \
  __attribute__((noinline)) static double isend_##S(double *x) {                               \
    T u[N + 2];                                                                                \
    u[0] = u[N + 1] = 0;                                                                       \
    for (int i = 0; i < N; i++) u[i + 1] = (T)(sin(x[i]) + x[i]);                              \
    int left = rank_ > 0 ? rank_ - 1 : MPI_PROC_NULL;                                          \
    int right = rank_ < size_ - 1 ? rank_ + 1 : MPI_PROC_NULL;                                 \
    MPI_Request r[4];                                                                          \
    MPI_Irecv(&u[0], 1, MPIT, left, 1, MPI_COMM_WORLD, &r[0]);                                 \
    MPI_Irecv(&u[N + 1], 1, MPIT, right, 0, MPI_COMM_WORLD, &r[1]);                            \
    MPI_Isend(&u[1], 1, MPIT, left, 0, MPI_COMM_WORLD, &r[2]);                                 \
    MPI_Isend(&u[N], 1, MPIT, right, 1, MPI_COMM_WORLD, &r[3]);                                \
    MPI_Waitall(4, r, MPI_STATUSES_IGNORE);                                                    \
    double s = 0;                                                                              \
    for (int i = 1; i <= N; i++) s += weight(i) * (double)(u[i] * (u[i - 1] + u[i + 1] + 1));  \
    return s;                                                                                  \
  }                                                                                            \
  __attribute__((noinline)) static double bcast_##S(double *x) {                               \
    T buf[N];                                                                                  \
    for (int i = 0; i < N; i++) buf[i] = (T)(x[i] * x[i]);                                     \
    MPI_Bcast(buf, N, MPIT, size_ - 1, MPI_COMM_WORLD);                                        \
    double s = 0;                                                                              \
    for (int i = 0; i < N; i++) s += weight(i) * sin((double)buf[i]) + 0.5 * x[i];             \
    return s;                                                                                  \
  }                                                                                            \
  __attribute__((noinline)) static double gather_##S(double *x) {                              \
    T mine[N], all[MAXR * N];                                                                  \
    for (int i = 0; i < N; i++) mine[i] = (T)exp(0.3 * x[i]);                                  \
    int root = 1 % size_;                                                                      \
    MPI_Gather(mine, N, MPIT, all, N, MPIT, root, MPI_COMM_WORLD);                             \
    double s = 0;                                                                              \
    if (rank_ == root)                                                                         \
      for (int k = 0; k < size_ * N; k++) s += weight(k) * (double)(all[k] * all[k]);          \
    return s;                                                                                  \
  }                                                                                            \
  __attribute__((noinline)) static double scatter_##S(double *x) {                             \
    T all[MAXR * N], mine[N], src[MAXR * N];                                                   \
    T y[N];                                                                                    \
    for (int i = 0; i < N; i++) y[i] = (T)x[i];                                                \
    MPI_Allgather(y, N, MPIT, all, N, MPIT, MPI_COMM_WORLD);                                   \
    for (int k = 0; k < size_ * N; k++) src[k] = all[size_ * N - 1 - k] * (T)(1.0 + 0.1 * k);  \
    MPI_Scatter(src, N, MPIT, mine, N, MPIT, 0, MPI_COMM_WORLD);                               \
    double s = 0;                                                                              \
    for (int i = 0; i < N; i++) s += weight(i) * (double)(mine[i] * mine[i] * mine[i]);        \
    return s;                                                                                  \
  }                                                                                            \
  __attribute__((noinline)) static double reduce_##S(double *x) {                              \
    T mine[N], sum[N];                                                                         \
    for (int i = 0; i < N; i++) mine[i] = (T)(x[i] * x[i] + x[(i + 1) % N]);                   \
    int root = size_ / 2;                                                                      \
    MPI_Reduce(mine, sum, N, MPIT, MPI_SUM, root, MPI_COMM_WORLD);                             \
    double s = 0;                                                                              \
    if (rank_ == root)                                                                         \
      for (int i = 0; i < N; i++) s += weight(i) * (double)(sum[i] * sum[i]);                  \
    return s;                                                                                  \
  }                                                                                            \
  __attribute__((noinline)) static double allreduce_##S(double *x) {                           \
    T mine[N], lo[N], hi[N], sum[N];                                                           \
    for (int i = 0; i < N; i++) {                                                              \
      mine[i] = (T)(sin(x[i]) + x[i]);                                                         \
      sum[i] = (T)(x[i] * x[i]);                                                               \
    }                                                                                          \
    MPI_Allreduce(mine, lo, N, MPIT, MPI_MIN, MPI_COMM_WORLD);                                 \
    MPI_Allreduce(mine, hi, N, MPIT, MPI_MAX, MPI_COMM_WORLD);                                 \
    MPI_Allreduce(MPI_IN_PLACE, sum, N, MPIT, MPI_SUM, MPI_COMM_WORLD);                        \
    double s = 0;                                                                              \
    for (int i = 0; i < N; i++)                                                                \
      s += weight(i) * (double)(lo[i] * lo[i] + hi[i] * (T)0.5 + (T)sqrt((double)(1 + sum[i]))); \
    return s;                                                                                  \
  }

PROGRAMS(d, double, MPI_DOUBLE)
PROGRAMS(f, float, MPI_FLOAT)

static void check(const char *name, mc_fn fd, mc_fn ff) {
  double x[N], dx[N] = {0}, dxf[N] = {0}, v[N], dv[N];
  for (int i = 0; i < N; i++) {
    /* distinct values on every rank: extrema have one owner */
    x[i] = 0.3 + 0.37 * i + 0.11 * rank_ + 0.013 * rank_ * rank_ * (i + 1);
    if ((i + rank_) % 2) x[i] = 1.2 - 0.9 * x[i];
    v[i] = dv[i] = cos(1.0 + 2.0 * i + rank_);
  }
  __enzyme_autodiff((void *)fd, x, dx);
  mc_check_fd(name, fd, x, dx, N);
  double t = __enzyme_fwddiff((void *)fd, x, dv);
  mc_check_dot(name, t, dx, v, N);
  __enzyme_autodiff((void *)ff, x, dxf);
  for (int i = 0; i < N; i++) CHECK_CLOSE(name, dxf[i], dx[i], RTOL_F, ATOL_F);
  for (int i = 0; i < N; i++) dv[i] = v[i];
  double tf = __enzyme_fwddiff((void *)ff, x, dv);
  CHECK_CLOSE(name, mc_total(tf), mc_total(t), RTOL_F, ATOL_F);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  rank_ = mc_rank();
  size_ = mc_size();
  if (size_ > MAXR) return 1;
  check("MPI_Sendrecv", sendrecv_d, sendrecv_f);
  check("MPI_Isend/MPI_Irecv/MPI_Waitall", isend_d, isend_f);
  check("MPI_Bcast", bcast_d, bcast_f);
  check("MPI_Gather", gather_d, gather_f);
  check("MPI_Scatter", scatter_d, scatter_f);
  check("MPI_Reduce", reduce_d, reduce_f);
  check("MPI_Allreduce", allreduce_d, allreduce_f);
  return mc_report();
}
