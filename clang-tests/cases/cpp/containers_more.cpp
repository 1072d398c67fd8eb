// CFLAGS: -std=c++17
// More standard containers holding active doubles: std::deque (push_front and push_back
// across its chunk map), std::priority_queue of pairs (ordered by active keys), std::valarray
// expressions with sum/max, a recursive std::function (Horner through a lambda calling
// itself), std::multiset (a red-black tree ordered by active values). Oracles: central finite
// differences (reverse), directional difference (forward).
#include "check.h"
#include <cmath>
#include <deque>
#include <functional>
#include <queue>
#include <set>
#include <valarray>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double f_deque(const double *x, int n) {
  std::deque<double> d;
  for (int i = 0; i < n; i++) {
    if (i % 2) d.push_front(x[i] * x[i]); else d.push_back(std::sin(x[i]));
  }
  double s = 0, w = 1;
  for (double v : d) { s += w * v; w += 0.5; }
  return s;
}
static double f_pq(const double *x, int n) {
  std::priority_queue<std::pair<double, int>> q;
  for (int i = 0; i < n; i++) q.push({x[i] * (1 + i), i});
  double s = 0, w = 1;
  while (!q.empty()) { s += w * q.top().first; w *= 0.5; q.pop(); }
  return s;
}
static double f_valarray(const double *x, int n) {
  std::valarray<double> v(x, n);
  std::valarray<double> u = v * v + std::sin(v);
  return (u * v).sum() + u.max();
}
static double f_recfun(const double *x, int n) {
  std::function<double(int)> horner = [&](int i) -> double {
    return i == n ? 0.0 : x[i] + 0.5 * horner(i + 1) * x[0];
  };
  return horner(0);
}
static double f_multiset(const double *x, int n) {
  std::multiset<double> s;
  for (int i = 0; i < n; i++) s.insert(x[i] * x[i] - i);
  double r = 0, w = 1;
  for (double v : s) { r += w * v; w += 1; }
  return r;
}
typedef double (*fn)(const double *, int);
static void check(const char *name, fn f) {
  const int n = 6;
  double x[n], dx[n] = {0}, t[n], xp[n], xm[n];
  for (int i = 0; i < n; i++) { x[i] = 0.3 + 0.4 * std::sin(1.9 * i); t[i] = std::cos(0.7 * i); }
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_ARRAY_FD(name, x, n, dx, 1e-6, f(x, n), RTOL_FD, ATOL_FD);
  double fw = __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, n);
  double h = 1e-6;
  shift_along(xp, x, t, h, n);
  shift_along(xm, x, t, -h, n);
  CHECK_CLOSE(name, fw, (f(xp, n) - f(xm, n)) / (2 * h), RTOL_FD, ATOL_FD);
}
int main() {
  check("deque", f_deque);
  check("priority_queue", f_pq);
  check("valarray", f_valarray);
  check("recursive std::function", f_recfun);
  check("multiset", f_multiset);
  return check_report();
}
