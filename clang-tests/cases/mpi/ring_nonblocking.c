// RUN: clang
// A ring shift with MPI_Irecv/MPI_Isend completed by two MPI_Wait calls (in
// the opposite order of the posts), on MPI_DOUBLE and on MPI_FLOAT buffers,
// with an integer message (MPI_INT, no derivative) alongside. Rank r's output
// depends on what rank r-1 sent. The double program is checked against
// central finite differences of the whole distributed program and forward
// against reverse; the float twin against the double program's gradient.
#include "mpi_check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 4 };
static int rank_, size_;

#define RING(NAME, T, MPIT)                                                                    \
  __attribute__((noinline)) static double NAME(double *x) {                                    \
    T out[N], in[N];                                                                           \
    int count = N, got = 0;                                                                    \
    for (int i = 0; i < N; i++) out[i] = (T)(x[i] * x[i] + 0.5 * x[i]);                         \
    int next = (rank_ + 1) % size_, prev = (rank_ + size_ - 1) % size_;                        \
    MPI_Request r[3];                                                                          \
    MPI_Irecv(in, N, MPIT, prev, 7, MPI_COMM_WORLD, &r[0]);                                    \
    MPI_Irecv(&got, 1, MPI_INT, prev, 8, MPI_COMM_WORLD, &r[2]);                               \
    MPI_Isend(out, N, MPIT, next, 7, MPI_COMM_WORLD, &r[1]);                                   \
    MPI_Send(&count, 1, MPI_INT, next, 8, MPI_COMM_WORLD);                                     \
    MPI_Wait(&r[1], MPI_STATUS_IGNORE);                                                        \
    MPI_Wait(&r[2], MPI_STATUS_IGNORE);                                                        \
    MPI_Wait(&r[0], MPI_STATUS_IGNORE);                                                        \
    double s = 0;                                                                              \
    for (int i = 0; i < got; i++)                                                              \
      s += (1.0 + 0.1 * i + 0.2 * rank_) * (double)in[i] * (double)in[i] + 0.01 * x[i];        \
    return s;                                                                                  \
  }

RING(ring_double, double, MPI_DOUBLE)
RING(ring_float, float, MPI_FLOAT)

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  rank_ = mc_rank();
  size_ = mc_size();
  double x[N], dx[N] = {0}, dxf[N] = {0}, v[N], dv[N];
  for (int i = 0; i < N; i++) {
    x[i] = 0.4 + 0.2 * i - 0.15 * rank_;
    v[i] = dv[i] = sin(1.0 + i + 2 * rank_);
  }
  __enzyme_autodiff((void *)ring_double, x, dx);
  mc_check_fd("ring (double)", ring_double, x, dx, N);
  double t = __enzyme_fwddiff((void *)ring_double, x, dv);
  mc_check_dot("ring (double)", t, dx, v, N);

  __enzyme_autodiff((void *)ring_float, x, dxf);
  for (int i = 0; i < N; i++) CHECK_CLOSE("ring (float) vs ring (double)", dxf[i], dx[i], RTOL_F, ATOL_F);
  for (int i = 0; i < N; i++) dv[i] = v[i];
  double tf = __enzyme_fwddiff((void *)ring_float, x, dv);
  CHECK_CLOSE("ring (float) forward vs ring (double) forward", mc_total(tf), mc_total(t), RTOL_F, ATOL_F);
  return mc_report();
}
