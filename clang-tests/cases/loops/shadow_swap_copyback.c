// Copy-backs whose reverse swaps shadow buffers (`x = xn` after each sweep, both scratch blocks
// of the function, xn rewritten whole before its next read: the reverse of the copy exchanges
// which shadow block plays x and which plays xn instead of moving every adjoint; at -O1 and up,
// where the copy is a memcpy), and copies that must keep the element-wise reverse. Each variant
// is checked against central finite differences over v and b (and the user's buffers' initial
// values), with 0 to 4 sweeps (an odd and an even number of swaps):
//   memcpy_back   the Jacobi copy-back memcpy(x, xn): swapped,
//   loop_back     the same as an element loop (a memcpy after loop-idiom at -O1 and up),
//   nested        sweeps inside a repeated outer step that rescales x: swapped,
//   once          a single copy outside loops: swapped,
//   cyclic        cyclic neighbours x[(i+1) % n], x[(i-1) % n] (LLVM peels the row loop's last
//                 iteration: no single loop is seen to rewrite all of xn, not swapped),
//   partial_copy  only n - 1 elements copied back: not swapped,
//   read_again    xn read again after the copy: not swapped (its adjoint is not zero there),
//   partial_fill  the row loop skips xn[0] (set once before the sweeps): not swapped,
//   user_dest     x is the caller's buffer (its shadow the caller's): not swapped,
//   user_pair     x and xn both the caller's buffers: not swapped.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);

#define N 7

static long ITERS;
static double V[N], B[N], X0[N], XN0[N], XU[N], XNU[N];

static double objective(const double *x, long n) {
  double f = 0;
  for (long i = 0; i < n; i++)
    f += x[i] * x[i] * (1.0 + 0.1 * (double)i);
  return f;
}

/* one sweep: xn[i] = (b[i] + 0.3 x[n-1-i] - 0.2 x[i]^2) / v[i] */
#define SWEEP(lo)                                                                                         \
  for (long i = (lo); i < n; i++)                                                                         \
    xn[i] = (b[i] + 0.3 * x[n - 1 - i] - 0.2 * x[i] * x[i]) / v[i];

__attribute__((noinline)) double memcpy_back(long n, long iters, const double *restrict v,
                                             const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (long k = 0; k < iters; k++) {
    SWEEP(0)
    memcpy(x, xn, sizeof(double) * n);
  }
  double f = objective(x, n);
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double loop_back(long n, long iters, const double *restrict v,
                                           const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = calloc(n, sizeof(double));
  for (long i = 0; i < n; i++)
    x[i] = 0.1 * b[i];
  for (long k = 0; k < iters; k++) {
    SWEEP(0)
    for (long i = 0; i < n; i++)
      x[i] = xn[i];
  }
  double f = objective(x, n);
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double nested(long n, long iters, const double *restrict v, const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (int o = 0; o < 2; o++) {
    for (long k = 0; k < iters; k++) {
      SWEEP(0)
      memcpy(x, xn, sizeof(double) * n);
    }
    for (long i = 0; i < n; i++)
      x[i] = 0.5 * x[i] * x[i] + 0.2 * b[i];
  }
  double f = objective(x, n);
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double once(long n, long iters, const double *restrict v, const double *restrict b) {
  double *x = malloc(sizeof(double) * n);
  double *xn = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    x[i] = b[i] * (double)(iters + 1);
  SWEEP(0)
  memcpy(x, xn, sizeof(double) * n);
  for (long i = 0; i < n; i++)
    x[i] = sin(x[i]) * v[i];
  double f = objective(x, n);
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double cyclic(long n, long iters, const double *restrict v, const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (long k = 0; k < iters; k++) {
    for (long i = 0; i < n; i++)
      xn[i] = (b[i] + 0.3 * x[(i + 1) % n] - 0.2 * x[(i + n - 1) % n]) / v[i];
    memcpy(x, xn, sizeof(double) * n);
  }
  double f = objective(x, n);
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double partial_copy(long n, long iters, const double *restrict v,
                                              const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    x[i] = 0.2 * b[i];
  for (long k = 0; k < iters; k++) {
    SWEEP(0)
    memcpy(x, xn, sizeof(double) * (n - 1));
  }
  double f = objective(x, n);
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double read_again(long n, long iters, const double *restrict v,
                                            const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  double g = 0;
  for (long k = 0; k < iters; k++) {
    SWEEP(0)
    memcpy(x, xn, sizeof(double) * n);
    g += xn[k % n] * xn[(k + 2) % n];
  }
  double f = objective(x, n) + g;
  free(x);
  free(xn);
  return f;
}

__attribute__((noinline)) double partial_fill(long n, long iters, const double *restrict v,
                                              const double *restrict b) {
  double *x = calloc(n, sizeof(double));
  double *xn = malloc(sizeof(double) * n);
  xn[0] = b[0] * b[1];
  for (long k = 0; k < iters; k++) {
    SWEEP(1)
    memcpy(x, xn, sizeof(double) * n);
  }
  double f = objective(x, n);
  free(x);
  free(xn);
  return f;
}

/* the caller's x (its initial value an input, its final value the result) */
__attribute__((noinline)) double user_dest(long n, long iters, const double *restrict v, const double *restrict b,
                                           double *restrict x) {
  double *xn = malloc(sizeof(double) * n);
  for (long k = 0; k < iters; k++) {
    SWEEP(0)
    memcpy(x, xn, sizeof(double) * n);
  }
  double f = objective(x, n);
  free(xn);
  return f;
}

__attribute__((noinline)) double user_pair(long n, long iters, const double *restrict v, const double *restrict b,
                                           double *restrict x, double *restrict xn) {
  for (long k = 0; k < iters; k++) {
    SWEEP(0)
    memcpy(x, xn, sizeof(double) * n);
  }
  return objective(x, n) + 0.5 * xn[1];
}

typedef double (*scratch_fn)(long, long, const double *, const double *);

static void fd_scratch(const char *what, scratch_fn f, const double *dv, const double *db) {
  const double h = 1e-6;
  for (long k = 0; k < N; k++) {
    double s = V[k];
    V[k] = s + h;
    double fp = f(N, ITERS, V, B);
    V[k] = s - h;
    double fm = f(N, ITERS, V, B);
    V[k] = s;
    CHECK_CLOSE(what, dv[k], (fp - fm) / (2 * h), RTOL_FD, ATOL_FD);
    s = B[k];
    B[k] = s + h;
    fp = f(N, ITERS, V, B);
    B[k] = s - h;
    fm = f(N, ITERS, V, B);
    B[k] = s;
    CHECK_CLOSE(what, db[k], (fp - fm) / (2 * h), RTOL_FD, ATOL_FD);
  }
}

#define CHECK_SCRATCH(f)                                                                                  \
  do {                                                                                                    \
    double dv_[N] = {0}, db_[N] = {0};                                                                    \
    __enzyme_autodiff((void *)f, enzyme_const, (long)N, enzyme_const, ITERS, enzyme_dup, V, dv_,          \
                      enzyme_dup, B, db_);                                                                \
    fd_scratch(#f " vs central differences", f, dv_, db_);                                                \
  } while (0)

/* user_dest and user_pair at the point (V, B, X0, XN0), their buffers reset before each call */
static double run_user_dest(void) {
  memcpy(XU, X0, sizeof XU);
  return user_dest(N, ITERS, V, B, XU);
}

static double run_user_pair(void) {
  memcpy(XU, X0, sizeof XU);
  memcpy(XNU, XN0, sizeof XNU);
  return user_pair(N, ITERS, V, B, XU, XNU);
}

static double fd_at(double *p, double (*run)(void)) {
  const double h = 1e-6, s = *p;
  *p = s + h;
  double fp = run();
  *p = s - h;
  double fm = run();
  *p = s;
  return (fp - fm) / (2 * h);
}

static void check_user(void) {
  double dv[N] = {0}, db[N] = {0}, dx[N] = {0}, dxn[N] = {0};
  memcpy(XU, X0, sizeof XU);
  __enzyme_autodiff((void *)user_dest, enzyme_const, (long)N, enzyme_const, ITERS, enzyme_dup, V, dv, enzyme_dup,
                    B, db, enzyme_dup, XU, dx);
  for (long k = 0; k < N; k++) {
    CHECK_CLOSE("user_dest d/dv vs central differences", dv[k], fd_at(&V[k], run_user_dest), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("user_dest d/db vs central differences", db[k], fd_at(&B[k], run_user_dest), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("user_dest d/dx0 vs central differences", dx[k], fd_at(&X0[k], run_user_dest), RTOL_FD,
                ATOL_FD);
  }
  memset(dv, 0, sizeof dv);
  memset(db, 0, sizeof db);
  memset(dx, 0, sizeof dx);
  memcpy(XU, X0, sizeof XU);
  memcpy(XNU, XN0, sizeof XNU);
  __enzyme_autodiff((void *)user_pair, enzyme_const, (long)N, enzyme_const, ITERS, enzyme_dup, V, dv, enzyme_dup,
                    B, db, enzyme_dup, XU, dx, enzyme_dup, XNU, dxn);
  for (long k = 0; k < N; k++) {
    CHECK_CLOSE("user_pair d/dv vs central differences", dv[k], fd_at(&V[k], run_user_pair), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("user_pair d/db vs central differences", db[k], fd_at(&B[k], run_user_pair), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("user_pair d/dx0 vs central differences", dx[k], fd_at(&X0[k], run_user_pair), RTOL_FD,
                ATOL_FD);
    CHECK_CLOSE("user_pair d/dxn0 vs central differences", dxn[k], fd_at(&XN0[k], run_user_pair), RTOL_FD,
                ATOL_FD);
  }
}

int main(void) {
  for (long i = 0; i < N; i++) {
    V[i] = 2.5 + 0.3 * (double)((i * 5) % 7);
    B[i] = 0.4 - 0.13 * (double)((i * 3) % 5);
    X0[i] = 0.2 + 0.07 * (double)i;
    XN0[i] = -0.3 + 0.11 * (double)((i * 2) % 5);
  }
  for (ITERS = 0; ITERS <= 4; ITERS++) {
    CHECK_SCRATCH(memcpy_back);
    CHECK_SCRATCH(loop_back);
    CHECK_SCRATCH(nested);
    CHECK_SCRATCH(once);
    CHECK_SCRATCH(cyclic);
    CHECK_SCRATCH(partial_copy);
    CHECK_SCRATCH(read_again);
    CHECK_SCRATCH(partial_fill);
    check_user();
  }
  return check_report();
}
