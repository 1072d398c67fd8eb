// CFLAGS: -std=c++17
// qsort and qsort_r over data being differentiated. The library's sort moves the elements,
// and with them their derivatives, where ferment cannot see (it used to be an error suggesting
// to mark qsort inactive, which would have lost them). In a differentiated function ferment
// puts its own sort in qsort's place: the order is found on element indices (the comparator's
// results carry no derivative: the permutation is constant), then the elements move with
// memcpy, whose derivatives follow. Doubles, a struct {double, int} (payload and key move
// together), qsort_r with the comparator's argument, floats, one element, and 300 elements.
// Oracles: central finite differences (reverse mode), forward vs reverse.
#include "check.h"
#include <algorithm>
#include <stdlib.h>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" float __enzyme_fwddiff_f(void *, ...) __asm__("__enzyme_fwddiff");

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double sorted_weighted(const double *x, int n) {
  double *t = (double *)malloc(n * sizeof(double));
  for (int i = 0; i < n; i++) t[i] = sin(x[i]) + x[i];
  qsort(t, n, sizeof(double), by_value);
  double s = 0;
  for (int i = 0; i < n; i++) s += t[i] * (i + 1) + 0.01 * t[i] * t[i] * i;
  free(t);
  return s;
}

struct Item {
  double v;
  int i;
};
static int by_item(const void *a, const void *b) {
  double x = ((const Item *)a)->v, y = ((const Item *)b)->v;
  return (x > y) - (x < y);
}
static double ranked(const double *x, int n) {
  Item *t = (Item *)malloc(n * sizeof(Item));
  for (int i = 0; i < n; i++) t[i] = Item{x[i] * x[i] + 0.3 * x[i], i};
  qsort(t, n, sizeof(Item), by_item);
  double s = 0;
  for (int i = 0; i < n; i++) s += t[i].v * (i + 1) + x[t[i].i] * 0.1 * i;
  free(t);
  return s;
}

// qsort_r: the third argument of the comparator says which way to sort.
static int directed(const void *a, const void *b, void *dir) {
  double x = *(const double *)a, y = *(const double *)b;
  return *(const int *)dir * ((x > y) - (x < y));
}
static double descending(double *x, int n) {
  int dir = -1;
  qsort_r(x, n, sizeof(double), directed, &dir); // sorts the caller's array in place
  double s = 0;
  for (int i = 0; i < n; i++) s += x[i] * x[i] * (i + 1);
  return s;
}

static int by_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}
static float floats(const float *x, int n) {
  std::vector<float> t(x, x + n);
  for (float &f : t) f = f * f * f;
  qsort(t.data(), n, sizeof(float), by_float);
  float s = 0;
  for (int i = 0; i < n; i++) s += t[i] * (float)(i + 1);
  return s;
}

static double sorted_fd(const double *x, const void *n) { return sorted_weighted(x, *(const int *)n); }
static double ranked_fd(const double *x, const void *n) { return ranked(x, *(const int *)n); }
static double descending_fd(const double *x, const void *n) {
  int k = *(const int *)n;
  std::vector<double> c(x, x + k);
  return descending(c.data(), k);
}

int main() {
  unsigned seed = 11;
  for (int n : {1, 7, 40, 300}) {
    std::vector<double> x(n), g(n, 0.0), dx(n);
    for (int i = 0; i < n; i++) {
      x[i] = 4.0 * prand(&seed) - 2.0;
      dx[i] = prand(&seed);
    }
    // Finite differences of long sums lose too many digits: analytic oracles for all sizes.
    bool fd = n <= 7;
    double tol_scale = fd ? 1.0 : 10.0;
    // rank of each input by a key
    auto ranks = [n](auto key) {
      std::vector<int> o(n), r(n);
      for (int i = 0; i < n; i++) o[i] = i;
      std::sort(o.begin(), o.end(), [&](int a, int b) { return key(a) < key(b); });
      for (int k = 0; k < n; k++) r[o[k]] = k;
      return r;
    };
    __enzyme_autodiff((void *)sorted_weighted, enzyme_dup, x.data(), g.data(), enzyme_const, n);
    if (fd)
      CHECK_GRAD_FD("qsort of doubles: reverse vs finite differences", sorted_fd, &n, x.data(), n,
                    g.data(), RTOL_FD, ATOL_FD);
    std::vector<int> r1 = ranks([&](int i) { return sin(x[i]) + x[i]; });
    for (int i = 0; i < n; i++) {
      double ti = sin(x[i]) + x[i];
      CHECK_CLOSE("qsort of doubles: analytic", g[i], (cos(x[i]) + 1) * ((r1[i] + 1) + 0.02 * ti * r1[i]), RTOL_D, ATOL_D);
    }
    double t = __enzyme_fwddiff((void *)sorted_weighted, enzyme_dup, x.data(), dx.data(), enzyme_const, n);
    CHECK_CLOSE("qsort of doubles: forward vs reverse", t, dotv(g.data(), dx.data(), n), RTOL_D, ATOL_D);

    std::vector<double> g2(n, 0.0);
    __enzyme_autodiff((void *)ranked, enzyme_dup, x.data(), g2.data(), enzyme_const, n);
    if (fd)
      CHECK_GRAD_FD("qsort of {double, int}: reverse vs finite differences", ranked_fd, &n, x.data(),
                    n, g2.data(), RTOL_FD, ATOL_FD);
    std::vector<int> r2 = ranks([&](int i) { return x[i] * x[i] + 0.3 * x[i]; });
    for (int i = 0; i < n; i++)
      CHECK_CLOSE("qsort of {double, int}: analytic", g2[i], (2 * x[i] + 0.3) * (r2[i] + 1) + 0.1 * r2[i], RTOL_D, ATOL_D);
    t = __enzyme_fwddiff((void *)ranked, enzyme_dup, x.data(), dx.data(), enzyme_const, n);
    CHECK_CLOSE("qsort of {double, int}: forward vs reverse", t, dotv(g2.data(), dx.data(), n), RTOL_D, ATOL_D);

    // In place: the primal array ends sorted; the shadow ends holding the adjoint of each
    // input where that input was (the moves' adjoints went back along the permutation).
    std::vector<double> xc = x, g3(n, 0.0);
    __enzyme_autodiff((void *)descending, enzyme_dup, xc.data(), g3.data(), enzyme_const, n);
    std::vector<int> order(n);
    for (int i = 0; i < n; i++) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return x[a] > x[b]; });
    for (int r = 0; r < n; r++) { // the input of rank r sits at r after the sort
      char what[96];
      snprintf(what, sizeof what, "qsort_r in place: adjoint of the input of rank %d", r);
      CHECK_CLOSE(what, g3[order[r]], 2 * x[order[r]] * (r + 1), RTOL_D, ATOL_D);
      CHECK_CLOSE("qsort_r in place: the primal is sorted", xc[r], x[order[r]], 0, 0);
    }
    if (fd)
      CHECK_GRAD_FD("qsort_r in place: reverse vs finite differences", descending_fd, &n, x.data(),
                    n, g3.data(), RTOL_FD, ATOL_FD);

    std::vector<float> xf(n), gf(n, 0.0f), dxf(n);
    for (int i = 0; i < n; i++) {
      xf[i] = (float)x[i];
      dxf[i] = (float)dx[i];
    }
    __enzyme_autodiff((void *)floats, enzyme_dup, xf.data(), gf.data(), enzyme_const, n);
    float tf = __enzyme_fwddiff_f((void *)floats, enzyme_dup, xf.data(), dxf.data(), enzyme_const, n);
    double want = 0;
    for (int i = 0; i < n; i++) want += (double)gf[i] * dxf[i];
    CHECK_CLOSE("qsort of floats: forward vs reverse", tf, want, RTOL_F * tol_scale, ATOL_F * tol_scale);
    // analytic: d/dx_i of sum_r rank(x_i^3) * x_i^3 is 3 x_i^2 (rank + 1)
    std::vector<int> of(n);
    for (int i = 0; i < n; i++) of[i] = i;
    std::sort(of.begin(), of.end(), [&](int a, int b) { return xf[a] * xf[a] * xf[a] < xf[b] * xf[b] * xf[b]; });
    for (int r = 0; r < n; r++)
      CHECK_CLOSE("qsort of floats: analytic", gf[of[r]], 3.0 * xf[of[r]] * xf[of[r]] * (r + 1), RTOL_F * tol_scale, ATOL_F * tol_scale);
  }
  return check_report();
}
