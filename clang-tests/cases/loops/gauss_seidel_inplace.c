// K lexicographic Gauss-Seidel sweeps IN PLACE over an M x M grid (screened Poisson,
// (1 + 4c) x_ij - c (sum of the 4 neighbours) = b_ij, zero outside): the new x_ij reads x_i,j-1,
// which the previous iteration of the loop over j stored, behind the tests `i > 0` and
// `i < M - 1` (invariant in that loop). The derivative's forward sweep has that load moved into
// the loop header, where loop-load elimination forwards the stored value
// (`shim::hoist_carried_loads`). Loss = sum x^2 after K sweeps; gradient with respect to the
// initial grid, b and c, checked by finite differences; forward vs reverse.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double gs(double *x, const double *b, double c, long m, long k) {
  for (long it = 0; it < k; it++)
    for (long i = 0; i < m; i++)
      for (long j = 0; j < m; j++) {
        double s = 0;
        if (i > 0) s += x[(i - 1) * m + j];
        if (i < m - 1) s += x[(i + 1) * m + j];
        if (j > 0) s += x[i * m + j - 1];
        if (j < m - 1) s += x[i * m + j + 1];
        x[i * m + j] = (b[i * m + j] + c * s) / (1 + 4 * c);
      }
  double f = 0;
  for (long i = 0; i < m * m; i++)
    f += x[i] * x[i];
  return f;
}

#define M 6
#define K 3
static double g_x0[M * M], g_b[M * M], g_c = 1.5;
static volatile long g_m = M, g_k = K; // sizes the derivative does not see as constants
static double gs_x(const double *x0, const void *p) {
  (void)p;
  double x[M * M];
  memcpy(x, x0, sizeof x);
  return gs(x, g_b, g_c, M, K);
}
static double gs_b(const double *b, const void *p) {
  (void)p;
  double x[M * M];
  memcpy(x, g_x0, sizeof x);
  return gs(x, b, g_c, M, K);
}
static double gs_c(double c) {
  double x[M * M];
  memcpy(x, g_x0, sizeof x);
  return gs(x, g_b, c, M, K);
}

int main(void) {
  unsigned s = 3;
  for (int i = 0; i < M * M; i++) {
    g_x0[i] = prand(&s);
    g_b[i] = prand(&s);
  }
  double x[M * M], dx[M * M] = {0}, db[M * M] = {0};
  memcpy(x, g_x0, sizeof x);
  long m = g_m, k = g_k;
  double dc = __enzyme_autodiff((void *)gs, x, dx, g_b, db, g_c, enzyme_const, m, enzyme_const, k);
  CHECK_GRAD_FD("reverse d loss / d x0", gs_x, NULL, g_x0, M * M, dx, RTOL_FD, ATOL_FD);
  CHECK_GRAD_FD("reverse d loss / d b", gs_b, NULL, g_b, M * M, db, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("reverse d loss / d c vs finite differences", dc, fd1(gs_c, g_c), RTOL_FD, ATOL_FD);
  double x1[M * M];
  memcpy(x1, g_x0, sizeof x1);
  gs(x1, g_b, g_c, M, K);
  CHECK_ARRAY_CLOSE("primal grid after the reverse call", x, x1, M * M, 1e-14, 1e-14);

  double tx[M * M], tb[M * M], dirx[M * M], dirb[M * M];
  for (int i = 0; i < M * M; i++) {
    tx[i] = dirx[i] = prand(&s);
    tb[i] = dirb[i] = prand(&s);
  }
  memcpy(x, g_x0, sizeof x);
  double t = __enzyme_fwddiff((void *)gs, x, tx, g_b, tb, g_c, 0.5, enzyme_const, m, enzyme_const, k);
  CHECK_CLOSE("forward (dx0, db, dc = 0.5) vs reverse gradient", t,
              dotv(dx, dirx, M * M) + dotv(db, dirb, M * M) + 0.5 * dc, 1e-9, 1e-12);
  return check_report();
}
