// CFLAGS: -std=c++17
// More C++ as people write it for Enzyme (issue 14), each function differentiated in reverse
// and forward mode: CRTP templates; exceptions thrown outside the differentiated path (a
// noinline checked sqrt that may throw, try/catch in the loop, std::vector::at, a logic_error
// on a path not taken); std::unordered_map<std::string, double>; std::set<double> with active
// keys and std::priority_queue<double>; std::clamp, std::min of a list, 3-argument
// std::hypot, std::variant with std::visit, std::shared_ptr to classes with virtual methods,
// std::deque, std::valarray, std::list::sort.
// At -O0 this was a compile error: the virtual destructor call through a Base pointer had
// std::exception's destructor (external, in libstdc++) among its candidates, and ferment had
// no rule for it; the standard exception classes' members are now known inactive.
// Oracles: central finite differences of every input, forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <deque>
#include <list>
#include <memory>
#include <numeric>
#include <queue>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <valarray>
#include <variant>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// CRTP
template <class D> struct Shape {
  double area(const double *p) const { return static_cast<const D *>(this)->area_impl(p); }
  double scaled(const double *p, double s) const { return s * area(p) + static_cast<const D *>(this)->perim(p); }
};
struct Circle : Shape<Circle> {
  double area_impl(const double *p) const { return M_PI * p[0] * p[0]; }
  double perim(const double *p) const { return 2 * M_PI * p[0]; }
};
struct Rect : Shape<Rect> {
  double area_impl(const double *p) const { return p[1] * p[2]; }
  double perim(const double *p) const { return 2 * (p[1] + p[2]); }
};
template <class S> double total(const S &s, const double *x) { return s.scaled(x, x[3]); }
double crtp(const double *x, int n) {
  (void)n;
  Circle c; Rect r;
  return total(c, x) + total(r, x) * std::sin(x[4]);
}

// exceptions outside the differentiated path
__attribute__((noinline)) double checked_sqrt(double v) {
  if (v < 0) throw std::domain_error("negative");
  return std::sqrt(v);
}
double exceptions(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    try {
      s += checked_sqrt(x[i] * x[i] + 1.0) * x[(i + 1) % n];
    } catch (const std::exception &) {
      s -= 1.0;
    }
  }
  std::vector<double> v(x, x + n);
  if (v.size() != (size_t)n) throw std::logic_error("size");
  return s + v.at(2) * v.at(1);
}

// unordered_map<string,double>
double umap(const double *x, int n) {
  std::unordered_map<std::string, double> m;
  for (int i = 0; i < n; i++) m["param_" + std::to_string(i % 4)] += x[i] * (1 + i);
  m["a-long-name-that-lives-on-the-heap"] = std::exp(0.3 * x[0]);
  double s = 0;
  for (auto &kv : m) s += kv.second * kv.second;
  return s + m.at("param_1") * m["a-long-name-that-lives-on-the-heap"];
}

// std::set<double> with active keys, priority_queue
double ordered(const double *x, int n) {
  std::set<double> st;
  for (int i = 0; i < n; i++) st.insert(x[i] * x[i]);
  std::priority_queue<double> pq;
  for (int i = 0; i < n; i++) pq.push(std::sin(x[i]));
  double s = 0; int k = 1;
  for (double v : st) s += k++ * v;
  double top = pq.top(); pq.pop();
  return s + top * pq.top();
}

// clamp, min of init list, hypot3, variant, shared_ptr, deque, valarray, list
struct Base { virtual double f(double v) const = 0; virtual ~Base() {} };
struct Sq : Base { double k; Sq(double k) : k(k) {} double f(double v) const override { return k * v * v; } };
struct Ex : Base { double f(double v) const override { return std::exp(-v); } };
double misc(const double *x, int n) {
  double a = std::clamp(x[0], -1.0, 1.0) + std::min({x[1], x[2] * 0.5, 3.0});
  double h = std::hypot(x[0], x[1], x[2]);
  std::variant<double, int> var = x[3] * 2;
  double vv = std::visit([](auto v) { return (double)v * 1.5; }, var);
  std::vector<std::shared_ptr<Base>> objs{std::make_shared<Sq>(x[4]), std::make_shared<Ex>()};
  double o = 0;
  for (auto &p : objs) o += p->f(x[1]);
  std::deque<double> dq(x, x + n);
  dq.push_front(x[2] * x[3]);
  dq.pop_back();
  double d = std::accumulate(dq.begin(), dq.end(), 0.0, [](double s, double v) { return s + v * v; });
  std::valarray<double> va(x, n);
  va = va * va + 1.0;
  double vs = std::sqrt(va).sum();
  std::list<double> l(x, x + n);
  l.sort();
  double ls = 0; int i = 1;
  for (double v : l) ls += v * i++;
  return a + h + vv + o + d + vs + ls;
}

typedef double (*fn)(const double *, int);
static int check_one(const char *name, fn f, const double *x0, int n) {
  std::vector<double> x(x0, x0 + n), dx(n, 0.0), t(n);
  __enzyme_autodiff((void *)f, x.data(), dx.data(), n);
  CHECK_ARRAY_FD(name, x, n, dx, 1e-6, f(x.data(), n), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) t[i] = 0.3 + 0.1 * i - 0.05 * i * i;
  double tan = __enzyme_fwddiff((void *)f, x.data(), t.data(), n);
  CHECK_CLOSE(name, tan, dotv(dx.data(), t.data(), n), RTOL_D, ATOL_D);
  return 0;
}
int main() {
  double x[6] = {0.3, -1.2, 0.7, 1.9, -0.4, 0.8};
  check_one("crtp", crtp, x, 6);
  check_one("exceptions", exceptions, x, 6);
  check_one("umap", umap, x, 6);
  check_one("ordered", ordered, x, 6);
  check_one("misc", misc, x, 6);
  return check_report();
}
