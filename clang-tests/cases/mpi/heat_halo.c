// RUN: clang
// A 1D heat equation (with a cubic reaction term) on a domain split across
// the ranks: every time step exchanges one halo cell with each neighbour, by
// MPI_Sendrecv, by MPI_Isend/MPI_Irecv/MPI_Waitall, and by blocking
// MPI_Send/MPI_Recv ordered by rank parity (three versions of one program).
// The ends of the domain have neighbour MPI_PROC_NULL (fixed zero boundary).
// The objective is each rank's weighted energy of the final state (the sum
// over ranks is the global one). Reverse gradients against central finite
// differences of the whole distributed program, forward mode against
// reverse mode, and the gathered gradient against the same simulation
// differentiated on one rank.
#include "mpi_check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 6, STEPS = 5, MAXR = 8 };
static const double K = 0.2, REACT = 0.1;
static int rank_, size_;

static double step_energy(double *u, int n, int offset) {
  double e = 0;
  for (int i = 1; i <= n; i++) e += (1.0 + 0.01 * (offset + i)) * u[i] * u[i];
  return e;
}

static void update(double *u, double *w, int n) {
  for (int i = 1; i <= n; i++)
    w[i] = u[i] + K * (u[i - 1] - 2 * u[i] + u[i + 1]) - REACT * u[i] * u[i] * u[i];
  for (int i = 1; i <= n; i++) u[i] = w[i];
}

enum { SENDRECV, NONBLOCKING, BLOCKING };

static double heat(double *x, int how) {
  double u[N + 2], w[N + 2];
  int left = rank_ > 0 ? rank_ - 1 : MPI_PROC_NULL;
  int right = rank_ < size_ - 1 ? rank_ + 1 : MPI_PROC_NULL;
  u[0] = u[N + 1] = 0;
  for (int i = 0; i < N; i++) u[i + 1] = x[i];
  for (int t = 0; t < STEPS; t++) {
    if (how == SENDRECV) {
      MPI_Sendrecv(&u[1], 1, MPI_DOUBLE, left, 0, &u[N + 1], 1, MPI_DOUBLE, right, 0,
                   MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Sendrecv(&u[N], 1, MPI_DOUBLE, right, 1, &u[0], 1, MPI_DOUBLE, left, 1,
                   MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (how == NONBLOCKING) {
      MPI_Request req[4];
      MPI_Irecv(&u[0], 1, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, &req[0]);
      MPI_Irecv(&u[N + 1], 1, MPI_DOUBLE, right, 0, MPI_COMM_WORLD, &req[1]);
      MPI_Isend(&u[1], 1, MPI_DOUBLE, left, 0, MPI_COMM_WORLD, &req[2]);
      MPI_Isend(&u[N], 1, MPI_DOUBLE, right, 1, MPI_COMM_WORLD, &req[3]);
      MPI_Waitall(4, req, MPI_STATUSES_IGNORE);
    } else {
      if (rank_ % 2 == 0) {
        MPI_Send(&u[N], 1, MPI_DOUBLE, right, 1, MPI_COMM_WORLD);
        MPI_Recv(&u[N + 1], 1, MPI_DOUBLE, right, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(&u[1], 1, MPI_DOUBLE, left, 0, MPI_COMM_WORLD);
        MPI_Recv(&u[0], 1, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else {
        MPI_Recv(&u[0], 1, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(&u[1], 1, MPI_DOUBLE, left, 0, MPI_COMM_WORLD);
        MPI_Recv(&u[N + 1], 1, MPI_DOUBLE, right, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(&u[N], 1, MPI_DOUBLE, right, 1, MPI_COMM_WORLD);
      }
    }
    update(u, w, N);
  }
  return step_energy(u, N, rank_ * N);
}

__attribute__((noinline)) static double heat_sendrecv(double *x) { return heat(x, SENDRECV); }
__attribute__((noinline)) static double heat_nonblocking(double *x) { return heat(x, NONBLOCKING); }
__attribute__((noinline)) static double heat_blocking(double *x) { return heat(x, BLOCKING); }

/* The same simulation on one process over m cells. */
__attribute__((noinline)) static double serial(double *x, int m) {
  double u[MAXR * N + 2], w[MAXR * N + 2];
  u[0] = u[m + 1] = 0;
  for (int i = 0; i < m; i++) u[i + 1] = x[i];
  for (int t = 0; t < STEPS; t++) update(u, w, m);
  return step_energy(u, m, 0);
}

/* A macro: the function to differentiate must reach __enzyme_autodiff by name. */
#define CHECK(what, f)                                                                         \
  do {                                                                                         \
    double x[N], dx[N] = {0}, v[N], dv[N];                                                     \
    for (int i = 0; i < N; i++) {                                                              \
      x[i] = 0.5 + 0.3 * sin(1.0 + i + N * rank_);                                             \
      v[i] = dv[i] = cos(2.0 * i + rank_);                                                     \
    }                                                                                          \
    __enzyme_autodiff((void *)f, x, dx);                                                       \
    mc_check_fd(what, f, x, dx, N);                                                            \
    double t = __enzyme_fwddiff((void *)f, x, dv);                                             \
    mc_check_dot(what, t, dx, v, N);                                                           \
    compare_serial(what, x, dx);                                                               \
  } while (0)

static void compare_serial(const char *what, double *x, double *dx) {
  double X[MAXR * N], G[MAXR * N];
  mc_gather(x, N, X);
  mc_gather(dx, N, G);
  if (rank_ == 0) {
    double dX[MAXR * N] = {0};
    __enzyme_autodiff((void *)serial, X, dX, enzyme_const, size_ * N);
    for (int k = 0; k < size_ * N; k++) {
      char buf[128];
      snprintf(buf, sizeof buf, "%s: gathered gradient [%d] vs the one-rank program", what, k);
      CHECK_CLOSE(buf, G[k], dX[k], RTOL_D, ATOL_D);
    }
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  rank_ = mc_rank();
  size_ = mc_size();
  if (size_ > MAXR) return 1;
  CHECK("MPI_Sendrecv halo", heat_sendrecv);
  CHECK("MPI_Isend/MPI_Irecv/MPI_Waitall halo", heat_nonblocking);
  CHECK("MPI_Send/MPI_Recv halo", heat_blocking);
  return mc_report();
}
