// A robust regression loss as statisticians write it in C: residuals of a linear model computed
// into a malloc'd buffer, their absolute values sorted with the C library's qsort (a comparator
// on doubles) to find the median absolute deviation (MAD) as a robust scale estimate, then a
// Tukey-biweight-like loss of the residuals scaled by 1.4826 * MAD, with a branch cutting
// residuals beyond c * scale. The user differentiates the loss with respect to the model
// coefficients (reverse and forward). The sort's permutation is piecewise constant, so
// derivatives flow through the selected order statistic.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_of(double *v, int n) {
  qsort(v, n, sizeof(double), cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double robust_loss(const double *beta, const double *X, const double *y, int n, int d) {
  double *r = malloc(n * sizeof(double)), *a = malloc(n * sizeof(double));
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < d; j++) s += X[i * d + j] * beta[j];
    r[i] = y[i] - s;
    a[i] = fabs(r[i]);
  }
  double scale = 1.4826 * median_of(a, n) + 1e-3;
  double c = 4.685, L = 0.0;
  for (int i = 0; i < n; i++) {
    double u = r[i] / (c * scale);
    if (fabs(u) < 1.0) {
      double w = 1 - u * u;
      L += c * c / 6 * (1 - w * w * w);
    } else {
      L += c * c / 6;
    }
  }
  free(r), free(a);
  return L;
}

enum { NS = 31, ND = 3 };

int main(void) {
  double X[NS * ND], y[NS];
  unsigned st = 21;
  for (int i = 0; i < NS; i++) {
    X[i * ND] = 1.0, X[i * ND + 1] = prand(&st), X[i * ND + 2] = prand(&st);
    y[i] = 0.5 + 2.0 * X[i * ND + 1] - X[i * ND + 2] + 0.1 * prand(&st) + (i % 7 == 3 ? 3.0 : 0.0);
  }
  double beta[ND] = {0.4, 1.8, -0.8}, db[ND] = {0};
  __enzyme_autodiff((void *)robust_loss, enzyme_dup, beta, db, enzyme_const, X, enzyme_const, y, enzyme_const, NS,
                    enzyme_const, ND);
  CHECK_ARRAY_FD("dL/dbeta", beta, ND, db, 1e-7, robust_loss(beta, X, y, NS, ND), 1e-5, 1e-8);
  double dy[NS] = {0}, db2[ND] = {0};
  __enzyme_autodiff((void *)robust_loss, enzyme_dup, beta, db2, enzyme_const, X, enzyme_dup, y, dy, enzyme_const, NS,
                    enzyme_const, ND);
  CHECK_ARRAY_FD("dL/dy", y, NS, dy, 1e-7, robust_loss(beta, X, y, NS, ND), 1e-5, 1e-8);
  double tb[ND] = {1.0, -0.3, 0.2};
  double t = __enzyme_fwddiff((void *)robust_loss, enzyme_dup, beta, tb, enzyme_const, X, enzyme_const, y,
                              enzyme_const, NS, enzyme_const, ND);
  CHECK_CLOSE("forward vs reverse", t, dotv(tb, db, ND), 1e-10, 1e-12);
  return check_report();
}
