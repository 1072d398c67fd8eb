// CFLAGS: -std=c++17
// A CSR sparse matrix class (std::vector<double> values, std::vector<int> column indices and
// row pointers) built from (row, col, value) triplets that std::sort orders by a computed key,
// duplicates summed; a quadratic form x^T A x plus a residual norm of A x - b, with
// std::inner_product, std::transform with a capturing lambda, std::accumulate, and
// std::tuple/structured bindings for (row, col, value) entries. The values are computed from the
// active parameters; the sparsity pattern is fixed data. Reverse mode; forward mode along each
// input. Oracles: central differences; forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Csr {
  int n;
  std::vector<double> val;
  std::vector<int> col, rowptr;
  static Csr from_triplets(int n, std::vector<std::tuple<int, int, double>> t) {
    std::sort(t.begin(), t.end(), [n](const auto &a, const auto &b) {
      return std::get<0>(a) * n + std::get<1>(a) < std::get<0>(b) * n + std::get<1>(b);
    });
    Csr m;
    m.n = n;
    m.rowptr.assign(n + 1, 0);
    int last_r = -1, last_c = -1;
    for (const auto &[r, c, v] : t) {
      if (r == last_r && c == last_c) {
        m.val.back() += v;
        continue;
      }
      m.val.push_back(v);
      m.col.push_back(c);
      m.rowptr[r + 1]++;
      last_r = r, last_c = c;
    }
    std::partial_sum(m.rowptr.begin(), m.rowptr.end(), m.rowptr.begin());
    return m;
  }
  std::vector<double> apply(const std::vector<double> &x) const {
    std::vector<double> y(n, 0.0);
    for (int r = 0; r < n; r++)
      for (int k = rowptr[r]; k < rowptr[r + 1]; k++) y[r] += val[k] * x[col[k]];
    return y;
  }
};

struct Pattern {
  std::vector<std::pair<int, int>> rc;
  std::vector<double> b;
};

static double objective(const double *p, const Pattern *pat) {
  const int n = (int)pat->b.size();
  std::vector<std::tuple<int, int, double>> trip;
  for (size_t k = 0; k < pat->rc.size(); k++) {
    auto [r, c] = pat->rc[k];
    trip.emplace_back(r, c, p[k % 4] * std::cos(0.3 * k) + (r == c ? 2.0 + p[4] * p[4] : 0.0));
  }
  Csr A = Csr::from_triplets(n, std::move(trip));
  std::vector<double> x(n);
  std::transform(pat->b.begin(), pat->b.end(), x.begin(), [&](double bi) { return bi * p[5] + p[0]; });
  std::vector<double> Ax = A.apply(x);
  double quad = std::inner_product(x.begin(), x.end(), Ax.begin(), 0.0);
  std::vector<double> res(n);
  std::transform(Ax.begin(), Ax.end(), pat->b.begin(), res.begin(), [](double a, double b) { return a - b; });
  double rn = std::accumulate(res.begin(), res.end(), 0.0, [](double s, double r) { return s + r * r; });
  double vmax = *std::max_element(A.val.begin(), A.val.end());
  return 0.5 * quad + std::sqrt(rn + 1e-3) + 0.1 * vmax;
}
static double obj_at(const double *x, const void *c) { return objective(x, (const Pattern *)c); }

int main() {
  Pattern pat;
  const int n = 6;
  for (int r = 0; r < n; r++) {
    pat.rc.push_back({r, r});
    pat.rc.push_back({r, (r + 2) % n});
    pat.rc.push_back({(r + 1) % n, r});
    if (r % 2) pat.rc.push_back({r, r}); // a duplicate entry, summed
    pat.b.push_back(std::sin(0.9 * r) + 0.2);
  }
  std::reverse(pat.rc.begin(), pat.rc.end());
  double p[6] = {0.4, -0.3, 0.25, 0.6, 0.5, 1.1}, dp[6] = {0};
  __enzyme_autodiff((void *)objective, enzyme_dup, p, dp, enzyme_const, &pat);
  CHECK_GRAD_FD("reverse", obj_at, &pat, p, 6, dp, RTOL_FD, ATOL_FD);
  for (int k = 0; k < 6; k++) {
    double t[6] = {0};
    t[k] = 1;
    CHECK_CLOSE_AT("fwd vs rev", k, __enzyme_fwddiff((void *)objective, enzyme_dup, p, t, enzyme_const, &pat), dp[k], RTOL_D, ATOL_D);
  }
  return check_report();
}
