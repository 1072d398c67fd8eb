// Regression code written with the C++ standard library's numeric algorithms instead of loops:
// std::valarray<double> features with slices (std::slice for columns of a row-major design
// matrix), apply() with a function, element-wise expressions (v * w + c), sum(); a
// std::vector pipeline with std::transform (a lambda capturing active weights by reference),
// std::inner_product, std::accumulate with a custom binary op, std::partial_sum for a cumulative
// hazard, and std::max_element to locate the worst residual (an index: piecewise constant). The
// user differentiates a Poisson-regression deviance with a cumulative-hazard penalty with respect
// to the coefficients (reverse) and checks forward mode.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <valarray>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

static double softplus(double z) { return z > 20.0 ? z : std::log1p(std::exp(z)); }

struct Dataset {
  int n, p;
  const double *X; // n x p row-major
  const double *y; // counts
};

extern "C" double deviance(const double *beta, const Dataset *d) {
  std::valarray<double> X(d->X, d->n * d->p);
  std::valarray<double> eta(0.0, d->n);
  for (int j = 0; j < d->p; j++) {
    std::valarray<double> col = X[std::slice(j, d->n, d->p)];
    eta += beta[j] * col;
  }
  std::valarray<double> mu = eta.apply(softplus); // a softplus link keeps mu > 0
  std::vector<double> y(d->y, d->y + d->n), dev(d->n);
  std::transform(y.begin(), y.end(), std::begin(mu), dev.begin(), [](double yi, double mi) {
    return yi > 0.0 ? 2.0 * (yi * std::log(yi / mi) - (yi - mi)) : 2.0 * mi;
  });
  double total = std::accumulate(dev.begin(), dev.end(), 0.0, [](double acc, double v) { return acc + v; });
  std::vector<double> hazard(std::begin(mu), std::end(mu)), cum(d->n);
  std::partial_sum(hazard.begin(), hazard.end(), cum.begin());
  double pen = std::inner_product(cum.begin(), cum.end(), hazard.begin(), 0.0) / (d->n * d->n);
  auto worst = std::max_element(dev.begin(), dev.end());
  double l2 = std::inner_product(beta, beta + d->p, beta, 0.0);
  return total + 0.01 * pen + 0.1 * (*worst) + 1e-2 * l2 + 0.001 * (mu * mu).sum();
}

int main() {
  const int n = 30, p = 4;
  std::vector<double> X(n * p), y(n);
  unsigned s = 21;
  for (int i = 0; i < n; i++) {
    X[i * p] = 1.0;
    for (int j = 1; j < p; j++) X[i * p + j] = prand(&s);
    y[i] = (double)((i * 7) % 5);
  }
  Dataset d = {n, p, X.data(), y.data()};
  double beta[p] = {0.8, 0.3, -0.2, 0.5}, dbeta[p] = {0};
  __enzyme_autodiff((void *)deviance, enzyme_dup, beta, dbeta, enzyme_const, &d);
  CHECK_ARRAY_FD("ddev/dbeta", beta, p, dbeta, 1e-6, deviance(beta, &d), 1e-5, 1e-8);
  double tb[p] = {0.1, -0.2, 0.3, 0.05};
  double t = __enzyme_fwddiff((void *)deviance, enzyme_dup, beta, tb, enzyme_const, &d);
  CHECK_CLOSE("forward vs reverse", t, dotv(dbeta, tb, p), 1e-9, 1e-12);
  return check_report();
}
