// CFLAGS: -std=c++17
// The model object itself is the duplicated argument, as Enzyme users pass a class: a
// struct holding std::vector<double> members (weights, biases), a std::string name and a
// std::optional<double>, with a shadow object of the same shape whose doubles are zeroed
// (Enzyme's convention). The loss
// uses std::optional<double> for a regularizer, a std::tuple returned from a helper with
// structured bindings, std::for_each with a reference-capturing lambda, and std::max_element.
// Oracles: central finite differences (reverse), directional difference (forward), forward vs
// reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <tuple>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Model {
  std::string name;
  std::vector<double> w, b;
  std::optional<double> l2;
};

static std::tuple<double, double> moments(const std::vector<double> &v) {
  double m = 0, q = 0;
  for (double x : v) {
    m += x;
    q += x * x;
  }
  return {m / v.size(), q / v.size()};
}

__attribute__((noinline)) static double loss(const Model *m, const double *x, int n) {
  std::vector<double> h(m->b.size());
  for (size_t o = 0; o < h.size(); o++) {
    double s = m->b[o];
    for (int i = 0; i < n; i++)
      s += m->w[o * n + i] * x[i];
    h[o] = std::tanh(s);
  }
  auto [mean, sq] = moments(h);
  double peak = *std::max_element(h.begin(), h.end());
  double reg = 0;
  if (m->l2)
    std::for_each(m->w.begin(), m->w.end(), [&](double v) { reg += *m->l2 * v * v; });
  return (sq - mean * mean) + peak + reg;
}

static Model zero_like(const Model &m) {
  Model z = m;
  std::fill(z.w.begin(), z.w.end(), 0.0);
  std::fill(z.b.begin(), z.b.end(), 0.0);
  z.l2 = 0.0; // engaged like the primal's, its double a zero derivative
  return z;
}

int main() {
  const int n = 3, k = 4;
  Model m{"tiny", std::vector<double>(n * k), std::vector<double>(k), 0.01};
  for (int i = 0; i < n * k; i++)
    m.w[i] = 0.5 * std::sin(1.1 * i + 0.4);
  for (int o = 0; o < k; o++)
    m.b[o] = 0.1 * o - 0.2;
  double x[n] = {0.7, -0.4, 1.3};
  Model dm = zero_like(m);
  __enzyme_autodiff((void *)loss, enzyme_dup, &m, &dm, enzyme_const, x, enzyme_const, n);
  CHECK_ARRAY_FD("reverse dw", m.w.data(), n * k, dm.w.data(), 1e-6, loss(&m, x, n), RTOL_FD,
                 ATOL_FD);
  CHECK_ARRAY_FD("reverse db", m.b.data(), k, dm.b.data(), 1e-6, loss(&m, x, n), RTOL_FD,
                 ATOL_FD);
  Model tm = zero_like(m);
  for (int i = 0; i < n * k; i++)
    tm.w[i] = std::cos(0.3 * i);
  for (int o = 0; o < k; o++)
    tm.b[o] = 0.5 - 0.2 * o;
  double fw = __enzyme_fwddiff((void *)loss, enzyme_dup, &m, &tm, enzyme_const, x, enzyme_const, n);
  double h = 1e-6;
  Model mp = m, mm = m;
  for (int i = 0; i < n * k; i++) {
    mp.w[i] += h * tm.w[i];
    mm.w[i] -= h * tm.w[i];
  }
  for (int o = 0; o < k; o++) {
    mp.b[o] += h * tm.b[o];
    mm.b[o] -= h * tm.b[o];
  }
  CHECK_CLOSE("forward", fw, (loss(&mp, x, n) - loss(&mm, x, n)) / (2 * h), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward vs reverse", fw,
              dotv(tm.w.data(), dm.w.data(), n * k) + dotv(tm.b.data(), dm.b.data(), k), 1e-10,
              1e-12);
  // The regularization weight inside the std::optional is active too.
  CHECK_ARRAY_FD("reverse dl2", &*m.l2, 1, &*dm.l2, 1e-6, loss(&m, x, n), RTOL_FD, ATOL_FD);
  return check_report();
}
