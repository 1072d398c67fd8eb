// Loops whose math calls only feed the returned sum: ferment rebuilds such calls in the reverse
// sweep instead of taping them in a forward loop that has no other use (a triangle mesh's
// log(det F) per element, gathered through a connectivity table; the forward loop disappears),
// and keeps taping them where the forward loop must run anyway or the rebuild would repeat a
// division: the call also stored to an output array, the square of a log of a quotient (beside
// it a loop whose exp of a product is rebuilt), a call whose value an outer loop multiplies.
// Also the call's value choosing the term (a branch, a select at -O2). Oracles: analytic
// gradients written out by hand, central finite differences, and forward mode against reverse.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup, enzyme_out;

enum { NV = 9, NT = 8 };
static const int TRI[3 * NT] = {0, 1, 4, 0, 4, 3, 1, 2, 5, 1, 5, 4, 3, 4, 7, 3, 7, 6, 4, 5, 8, 4, 8, 7};
static double LOGS[NT];

// sum_t w_t (0.5 |e|^2 - log det[e1 e2] + 2 log^2 det), e1 = x_b - x_a, e2 = x_c - x_a; + 0.1 sum y
double mesh(const double *x, const double *w, int nt, int nv) {
  double e = 0;
  for (int t = 0; t < nt; t++) {
    int a = TRI[3 * t], b = TRI[3 * t + 1], c = TRI[3 * t + 2];
    double d00 = x[2 * b] - x[2 * a], d10 = x[2 * b + 1] - x[2 * a + 1];
    double d01 = x[2 * c] - x[2 * a], d11 = x[2 * c + 1] - x[2 * a + 1];
    double lj = log(d00 * d11 - d01 * d10);
    e += w[t] * (0.5 * (d00 * d00 + d01 * d01 + d10 * d10 + d11 * d11) - lj + 2 * lj * lj);
  }
  for (int v = 0; v < nv; v++) e += 0.1 * x[2 * v + 1];
  return e;
}

// the same energy, the logs also stored (the forward loop must run)
double mesh_stored(const double *x, const double *w, int nt, int nv) {
  double e = 0;
  for (int t = 0; t < nt; t++) {
    int a = TRI[3 * t], b = TRI[3 * t + 1], c = TRI[3 * t + 2];
    double d00 = x[2 * b] - x[2 * a], d10 = x[2 * b + 1] - x[2 * a + 1];
    double d01 = x[2 * c] - x[2 * a], d11 = x[2 * c + 1] - x[2 * a + 1];
    double lj = log(d00 * d11 - d01 * d10);
    LOGS[t] = lj;
    e += w[t] * (0.5 * (d00 * d00 + d01 * d01 + d10 * d10 + d11 * d11) - lj + 2 * lj * lj);
  }
  for (int v = 0; v < nv; v++) e += 0.1 * x[2 * v + 1];
  return e;
}

// the log's sign picks the term (a branch on the call)
double mesh_branch(const double *x, const double *w, int nt, int nv) {
  double e = 0;
  for (int t = 0; t < nt; t++) {
    int a = TRI[3 * t], b = TRI[3 * t + 1], c = TRI[3 * t + 2];
    double d00 = x[2 * b] - x[2 * a], d10 = x[2 * b + 1] - x[2 * a + 1];
    double d01 = x[2 * c] - x[2 * a], d11 = x[2 * c + 1] - x[2 * a + 1];
    double lj = log(d00 * d11 - d01 * d10);
    if (lj > 0)
      e += w[t] * lj * lj;
    else
      e -= w[t] * lj * lj * lj;
  }
  return e + 0 * nv;
}

// the square of a log of a quotient, and a loop with an exp of a product beside it
double quotients(const double *x, const double *w, int n) {
  double e = 0;
  for (int i = 0; i < n; i++) {
    double l = log(x[2 * i] / x[2 * i + 1]);
    e += w[i] * l * l;
  }
  for (int i = 0; i < n; i++) e += exp(0.3 * x[2 * i] * x[2 * i + 1]) + w[i] * sqrt(x[2 * i]);
  return e;
}

// sum_i w_i sum_j exp(x_j w_i) * x_i: the inner loop's sum is multiplied in the outer loop
double outer_product(const double *x, const double *w, int n) {
  double e = 0;
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < n; j++) s += exp(0.2 * x[j] * w[i]);
    e += s * x[i];
  }
  return e;
}

static const double *W;
static double fd_mesh(const double *x, const void *c) { (void)c; return mesh(x, W, NT, NV); }
static double fd_stored(const double *x, const void *c) { (void)c; return mesh_stored(x, W, NT, NV); }
static double fd_branch(const double *x, const void *c) { (void)c; return mesh_branch(x, W, NT, NV); }
static double fd_quot(const double *x, const void *c) { return quotients(x, W, *(const int *)c); }
static double fd_outer(const double *x, const void *c) { return outer_product(x, W, *(const int *)c); }

int main(void) {
  double x[2 * NV], dx[2 * NV], tx[2 * NV], w[NT], want[2 * NV];
  unsigned st = 5;
  // a 3 x 3 grid, sheared and jittered: every det stays positive
  for (int v = 0; v < NV; v++) {
    int i = v % 3, j = v / 3;
    x[2 * v] = 1.2 * i + 0.3 * j + 0.1 * (prand(&st) - 0.5);
    x[2 * v + 1] = 0.9 * j + 0.1 * (prand(&st) - 0.5);
    tx[2 * v] = prand(&st) - 0.5;
    tx[2 * v + 1] = prand(&st) - 0.5;
  }
  for (int t = 0; t < NT; t++) w[t] = 0.5 + prand(&st);
  W = w;
  int n = NT;

  // analytic gradient of mesh: dpsi/dD = w (D - (1 - 4 lj) D^-T)
  for (int k = 0; k < 2 * NV; k++) want[k] = 0;
  for (int v = 0; v < NV; v++) want[2 * v + 1] += 0.1;
  for (int t = 0; t < NT; t++) {
    int a = TRI[3 * t], b = TRI[3 * t + 1], c = TRI[3 * t + 2];
    double d00 = x[2 * b] - x[2 * a], d10 = x[2 * b + 1] - x[2 * a + 1];
    double d01 = x[2 * c] - x[2 * a], d11 = x[2 * c + 1] - x[2 * a + 1];
    double J = d00 * d11 - d01 * d10, s = (1 - 4 * log(J)) / J;
    double g00 = w[t] * (d00 - s * d11), g01 = w[t] * (d01 + s * d10);
    double g10 = w[t] * (d10 + s * d01), g11 = w[t] * (d11 - s * d00);
    want[2 * b] += g00;
    want[2 * b + 1] += g10;
    want[2 * c] += g01;
    want[2 * c + 1] += g11;
    want[2 * a] -= g00 + g01;
    want[2 * a + 1] -= g10 + g11;
  }
  for (int k = 0; k < 2 * NV; k++) dx[k] = 0;
  __enzyme_autodiff((void *)mesh, enzyme_dup, x, dx, enzyme_const, w, enzyme_const, NT, enzyme_const, NV);
  CHECK_ARRAY_CLOSE("mesh vs analytic", dx, want, 2 * NV, 1e-9, 1e-12);
  CHECK_GRAD_FD("mesh", fd_mesh, &n, x, 2 * NV, dx, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("mesh forward vs reverse",
              __enzyme_fwddiff((void *)mesh, enzyme_dup, x, tx, enzyme_const, w, enzyme_const, NT,
                               enzyme_const, NV),
              dotv(dx, tx, 2 * NV), 1e-9, 1e-12);

  for (int k = 0; k < 2 * NV; k++) dx[k] = 0;
  __enzyme_autodiff((void *)mesh_stored, enzyme_dup, x, dx, enzyme_const, w, enzyme_const, NT,
                    enzyme_const, NV);
  CHECK_ARRAY_CLOSE("mesh_stored vs analytic", dx, want, 2 * NV, 1e-9, 1e-12);
  for (int t = 0; t < NT; t++) {
    int a = TRI[3 * t], b = TRI[3 * t + 1], c = TRI[3 * t + 2];
    double J = (x[2 * b] - x[2 * a]) * (x[2 * c + 1] - x[2 * a + 1]) -
               (x[2 * c] - x[2 * a]) * (x[2 * b + 1] - x[2 * a + 1]);
    CHECK_CLOSE("mesh_stored keeps its logs", LOGS[t], log(J), 1e-12, 1e-14);
  }
  CHECK_GRAD_FD("mesh_stored", fd_stored, &n, x, 2 * NV, dx, RTOL_FD, ATOL_FD);

  for (int k = 0; k < 2 * NV; k++) dx[k] = 0;
  __enzyme_autodiff((void *)mesh_branch, enzyme_dup, x, dx, enzyme_const, w, enzyme_const, NT,
                    enzyme_const, NV);
  CHECK_GRAD_FD("mesh_branch", fd_branch, &n, x, 2 * NV, dx, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("mesh_branch forward vs reverse",
              __enzyme_fwddiff((void *)mesh_branch, enzyme_dup, x, tx, enzyme_const, w, enzyme_const, NT,
                               enzyme_const, NV),
              dotv(dx, tx, 2 * NV), 1e-9, 1e-12);

  // quotients (positive arguments): with l_i = log(x_{2i} / x_{2i+1}),
  //   d/dx_{2i} = 2 w_i l_i / x_{2i} + 0.3 x_{2i+1} exp(.) + w_i / (2 sqrt x_{2i}),
  //   d/dx_{2i+1} = -2 w_i l_i / x_{2i+1} + 0.3 x_{2i} exp(.)
  double xq[2 * NV];
  for (int k = 0; k < 2 * NV; k++) xq[k] = 1 + 0.5 * prand(&st);
  for (int k = 0; k < 2 * NV; k++) dx[k] = 0;
  __enzyme_autodiff((void *)quotients, enzyme_dup, xq, dx, enzyme_const, w, enzyme_const, n);
  for (int i = 0; i < n; i++) {
    double ex = exp(0.3 * xq[2 * i] * xq[2 * i + 1]), l = log(xq[2 * i] / xq[2 * i + 1]);
    want[2 * i] = 2 * w[i] * l / xq[2 * i] + 0.3 * xq[2 * i + 1] * ex + w[i] / (2 * sqrt(xq[2 * i]));
    want[2 * i + 1] = -2 * w[i] * l / xq[2 * i + 1] + 0.3 * xq[2 * i] * ex;
  }
  CHECK_ARRAY_CLOSE("quotients vs analytic", dx, want, 2 * n, 1e-9, 1e-12);
  CHECK_GRAD_FD("quotients", fd_quot, &n, xq, 2 * n, dx, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("quotients forward vs reverse",
              __enzyme_fwddiff((void *)quotients, enzyme_dup, xq, tx, enzyme_const, w, enzyme_const, n),
              dotv(dx, tx, 2 * n), 1e-9, 1e-12);

  // outer_product: d/dx_k = s_k + sum_i x_i 0.2 w_i exp(0.2 x_k w_i)
  int m = 6;
  for (int k = 0; k < 2 * NV; k++) dx[k] = 0;
  __enzyme_autodiff((void *)outer_product, enzyme_dup, x, dx, enzyme_const, w, enzyme_const, m);
  for (int k = 0; k < m; k++) {
    double s = 0, t = 0;
    for (int j = 0; j < m; j++) s += exp(0.2 * x[j] * w[k]);
    for (int i = 0; i < m; i++) t += x[i] * 0.2 * w[i] * exp(0.2 * x[k] * w[i]);
    want[k] = s + t;
  }
  CHECK_ARRAY_CLOSE("outer_product vs analytic", dx, want, m, 1e-9, 1e-12);
  CHECK_GRAD_FD("outer_product", fd_outer, &m, x, m, dx, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("outer_product forward vs reverse",
              __enzyme_fwddiff((void *)outer_product, enzyme_dup, x, tx, enzyme_const, w, enzyme_const, m),
              dotv(dx, tx, m), 1e-9, 1e-12);
  return check_report();
}
