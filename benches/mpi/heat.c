/* MPI benchmark (issue 17): the halo-exchange 1D heat equation with a cubic
 * reaction term, split across the ranks (strong scaling: a fixed global size
 * G cells, G/P per rank), T explicit steps, each exchanging one halo cell with
 * each neighbour (MPI_Sendrecv, or MPI_Isend/MPI_Irecv/MPI_Waitall); objective
 * the global weighted energy of the final state (each rank returns its part).
 * Gradient = ferment's __enzyme_autodiff of the same function, w.r.t. every
 * rank's initial state.
 *
 * Before timing it checks the gradient: against central finite differences
 * of the whole distributed program on a few coordinates of every rank, and
 * forward mode against reverse mode. Timing: wall time (messages wait), each
 * call between barriers, the slowest rank's time, median of REPS.
 * Usage: mpirun -np P heat G T  -> one line "ranks=... primal_ms=... grad_ms=..." */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static int rank_, size_, n_, steps_;
static const double K = 0.2, REACT = 0.1;

static double energy(const double *u, int n, long offset) {
  double e = 0;
  for (int i = 1; i <= n; i++) e += (1.0 + 1e-5 * (double)(offset + i)) * u[i] * u[i];
  return e;
}

static void update(double *restrict u, double *restrict w, int n) {
  for (int i = 1; i <= n; i++)
    w[i] = u[i] + K * (u[i - 1] - 2 * u[i] + u[i + 1]) - REACT * u[i] * u[i] * u[i];
  memcpy(u + 1, w + 1, n * sizeof(double));
}

static double heat(const double *x, int nonblocking) {
  int n = n_;
  double *u = malloc((n + 2) * sizeof(double)), *w = malloc((n + 2) * sizeof(double));
  int left = rank_ > 0 ? rank_ - 1 : MPI_PROC_NULL;
  int right = rank_ < size_ - 1 ? rank_ + 1 : MPI_PROC_NULL;
  u[0] = u[n + 1] = 0;
  for (int i = 0; i < n; i++) u[i + 1] = x[i];
  for (int t = 0; t < steps_; t++) {
    if (nonblocking) {
      MPI_Request req[4];
      MPI_Irecv(&u[0], 1, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, &req[0]);
      MPI_Irecv(&u[n + 1], 1, MPI_DOUBLE, right, 0, MPI_COMM_WORLD, &req[1]);
      MPI_Isend(&u[1], 1, MPI_DOUBLE, left, 0, MPI_COMM_WORLD, &req[2]);
      MPI_Isend(&u[n], 1, MPI_DOUBLE, right, 1, MPI_COMM_WORLD, &req[3]);
      MPI_Waitall(4, req, MPI_STATUSES_IGNORE);
    } else {
      MPI_Sendrecv(&u[1], 1, MPI_DOUBLE, left, 0, &u[n + 1], 1, MPI_DOUBLE, right, 0,
                   MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Sendrecv(&u[n], 1, MPI_DOUBLE, right, 1, &u[0], 1, MPI_DOUBLE, left, 1,
                   MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    update(u, w, n);
  }
  double e = energy(u, n, (long)rank_ * n);
  free(u);
  free(w);
  return e;
}

__attribute__((noinline)) static double heat_sendrecv(const double *x) { return heat(x, 0); }
__attribute__((noinline)) static double heat_isend(const double *x) { return heat(x, 1); }

__attribute__((noinline)) static void grad_sendrecv(const double *x, double *dx) {
  __enzyme_autodiff((void *)heat_sendrecv, x, dx);
}
__attribute__((noinline)) static void grad_isend(const double *x, double *dx) {
  __enzyme_autodiff((void *)heat_isend, x, dx);
}
__attribute__((noinline)) static double tangent_sendrecv(const double *x, double *dv) {
  return __enzyme_fwddiff((void *)heat_sendrecv, x, dv);
}
__attribute__((noinline)) static double tangent_isend(const double *x, double *dv) {
  return __enzyme_fwddiff((void *)heat_isend, x, dv);
}

static double total(double v) {
  double t;
  MPI_Allreduce(&v, &t, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return t;
}

static double slowest(double v) {
  double t;
  MPI_Allreduce(&v, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return t;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

enum { REPS = 7 };
typedef double (*fn)(const double *);

#define TIME(EXPR, OUT)                                                                        \
  do {                                                                                         \
    double s_[REPS];                                                                           \
    for (int r_ = 0; r_ < REPS; r_++) {                                                        \
      MPI_Barrier(MPI_COMM_WORLD);                                                             \
      double t0_ = MPI_Wtime();                                                                \
      EXPR;                                                                                    \
      s_[r_] = slowest(MPI_Wtime() - t0_);                                                     \
    }                                                                                          \
    qsort(s_, REPS, sizeof(double), cmp);                                                      \
    OUT = s_[REPS / 2] * 1e3;                                                                  \
  } while (0)

static int failures;

static void check(const char *name, fn f, double *x, const double *dx) {
  /* finite differences of the whole program on 3 coordinates of each rank */
  int idx[3] = {0, n_ / 2, n_ - 1};
  for (int q = 0; q < size_; q++)
    for (int k = 0; k < 3; k++) {
      int i = idx[k];
      double save = x[i], h = 1e-4;
      if (rank_ == q) x[i] = save + h;
      double tp = total(f(x));
      if (rank_ == q) x[i] = save - h;
      double tm = total(f(x));
      if (rank_ == q) {
        x[i] = save;
        double fd = (tp - tm) / (2 * h);
        /* truncation O(h^2), rounding of the global sum O(eps |J| / h) */
        double tol = 1e-6 * fabs(fd) + 1e-9 + 4e-16 * fabs(tp) / h;
        if (!(fabs(fd - dx[i]) <= tol)) {
          fprintf(stderr, "CHECK FAILED %s: rank %d d/dx[%d] = %.12g, finite differences %.12g\n",
                  name, q, i, dx[i], fd);
          failures++;
        }
      }
    }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  long g = argc > 1 ? atol(argv[1]) : 20000;
  steps_ = argc > 2 ? atoi(argv[2]) : 200;
  n_ = (int)(g / size_);
  double *x = malloc(n_ * sizeof(double)), *dx = malloc(n_ * sizeof(double));
  double *v = malloc(n_ * sizeof(double)), *dv = malloc(n_ * sizeof(double));
  for (int i = 0; i < n_; i++) {
    long k = (long)rank_ * n_ + i;
    x[i] = 0.5 + 0.3 * sin(0.001 * (double)k);
    v[i] = cos(0.37 * (double)k);
  }
  const char *names[2] = {"sendrecv", "isend"};
  fn fns[2] = {heat_sendrecv, heat_isend};
  void (*grads[2])(const double *, double *) = {grad_sendrecv, grad_isend};
  double (*tangents[2])(const double *, double *) = {tangent_sendrecv, tangent_isend};
  for (int which = 0; which < 2; which++) {
    fn f = fns[which];
    memset(dx, 0, n_ * sizeof(double));
    grads[which](x, dx);
    check(names[which], f, x, dx);
    memcpy(dv, v, n_ * sizeof(double));
    double t = tangents[which](x, dv);
    double d = 0;
    for (int i = 0; i < n_; i++) d += dx[i] * v[i];
    double fwd = total(t), rev = total(d);
    if (!(fabs(fwd - rev) <= 1e-9 * fabs(rev) + 1e-12)) {
      if (rank_ == 0) fprintf(stderr, "CHECK FAILED %s: forward %.15g vs reverse %.15g\n", names[which], fwd, rev);
      failures++;
    }
    int any = slowest(failures);
    if (any) {
      MPI_Finalize();
      return 1;
    }
    double primal_ms, grad_ms;
    volatile double sink = 0;
    TIME(sink += f(x), primal_ms);
    TIME(grads[which](x, dx), grad_ms);
    (void)sink;
    if (rank_ == 0)
      printf("variant=%s ranks=%d G=%ld T=%d primal_ms=%.3f grad_ms=%.3f ratio=%.2f\n", names[which],
             size_, g, steps_, primal_ms, grad_ms, grad_ms / primal_ms);
  }
  free(x);
  free(dx);
  free(v);
  free(dv);
  MPI_Finalize();
  return 0;
}
