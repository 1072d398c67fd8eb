// CFLAGS: -std=c++17
// C++ as people write it (issue 14), each function differentiated in reverse and forward mode:
// std::map<std::string, double> as a parameter store (insert, +=, erase, ordered iteration,
// at), std::vector<std::vector<double>> through a helper that is not inlined, virtual calls that
// optimization cannot resolve (kinds read from a volatile table, objects from a noinline
// factory, overrides that update member state), std::complex<double> (pow, sqrt, log, exp,
// conj, division, arg, norm), operator overloading on a heap-backed vector class, std::array
// returned by value, structured bindings, std::tuple and std::optional, <numeric> and
// <algorithm> (partial_sum, adjacent_difference, accumulate with multiplies, inner_product
// with a lambda, max_element, nth_element, transform), a small template functor and range-for
// over structs by reference. All passed on the plugin of session 23's main at -O0 and -O2.
// Oracles: central finite differences of every input, forward vs reverse.
#include "check.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// 1. std::map<std::string, double> as a parameter store.
double map_params(const double *x, int n) {
  std::map<std::string, double> p;
  p["alpha"] = x[0];
  p["beta-a-long-key-name-on-the-heap"] = x[1] * x[2];
  p["alpha"] += x[3];
  for (int i = 4; i < n; i++) p["k" + std::to_string(i)] = std::sin(x[i]);
  p.erase("k5");
  double s = 0;
  int idx = 0;
  for (const auto &kv : p) s += kv.second * kv.second / (1.0 + idx++);
  return s + p.at("beta-a-long-key-name-on-the-heap") * p["alpha"];
}

// 2. std::vector<std::vector<double>> with a helper that is not inlined.
typedef std::vector<std::vector<double>> VV;
__attribute__((noinline)) static VV mat_abt(const VV &a, const VV &b) {
  size_t n = a.size();
  VV c(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      for (size_t k = 0; k < n; k++) c[i][j] += a[i][k] * b[j][k];
  return c;
}
double nested_vec(const double *x, int n) {
  (void)n;
  int m = 3;
  VV a(m, std::vector<double>(m));
  for (int i = 0; i < m; i++)
    for (int j = 0; j < m; j++) a[i][j] = std::sin(x[(i * m + j) % 9] + 0.1 * i);
  VV c = mat_abt(a, a);
  c.push_back(std::vector<double>{x[0], x[1]});
  double s = 0;
  for (auto &row : c)
    for (double v : row) s += v * v;
  return s + c[0][0] * c[2][1];
}

// 3. Virtual calls optimization cannot resolve (kinds from memory).
struct Base {
  double state = 0;
  virtual double eval(const double *p) const = 0;
  virtual void absorb(double v) { state += v; }
  virtual ~Base() {}
};
struct Quad : Base {
  double c;
  explicit Quad(double c) : c(c) {}
  double eval(const double *p) const override { return c * p[0] * p[0] + state; }
};
struct Trig : Base {
  double eval(const double *p) const override { return std::sin(p[1]) * std::exp(state); }
  void absorb(double v) override { state += 2.0 * v; }
};
struct Mix : Quad {
  Mix() : Quad(0.5) {}
  double eval(const double *p) const override { return Quad::eval(p) * p[2] + std::cos(state); }
};
volatile int g_kinds[5] = {0, 1, 2, 1, 0};
__attribute__((noinline)) static Base *make(int k, double c) {
  if (k == 0) return new Quad(c);
  if (k == 1) return new Trig();
  return new Mix();
}
double virtual_calls(const double *x, int n) {
  std::vector<std::unique_ptr<Base>> objs;
  for (int i = 0; i < 5; i++) objs.emplace_back(make(g_kinds[i], x[3] + i));
  double s = 0;
  for (int i = 0; i < 5; i++) {
    objs[i]->absorb(x[(i + 1) % n] * 0.3);
    s += objs[i]->eval(x + (i % 3));
  }
  return s;
}

// 5. std::complex<double>.
double complex_more(const double *x, int n) {
  (void)n;
  std::complex<double> z(x[0], x[1]), u(x[2], -x[3]);
  std::complex<double> w = std::pow(z, 3) + std::sqrt(z) * std::log(z + 2.0) - u / z;
  w += std::exp(u) * std::conj(z);
  return std::real(w) + std::imag(w) * std::abs(w) + std::arg(z) + std::norm(u);
}

// 6. Operator overloading on a heap-backed vector class.
class Vec {
  std::vector<double> d;

public:
  explicit Vec(size_t n, double v = 0) : d(n, v) {}
  Vec(const double *p, size_t n) : d(p, p + n) {}
  double &operator[](size_t i) { return d[i]; }
  double operator[](size_t i) const { return d[i]; }
  size_t size() const { return d.size(); }
  Vec operator+(const Vec &o) const {
    Vec r(size());
    for (size_t i = 0; i < size(); i++) r[i] = d[i] + o[i];
    return r;
  }
  Vec operator-(const Vec &o) const {
    Vec r(size());
    for (size_t i = 0; i < size(); i++) r[i] = d[i] - o[i];
    return r;
  }
  Vec operator*(double s) const {
    Vec r(*this);
    for (auto &v : r.d) v *= s;
    return r;
  }
  Vec &operator+=(const Vec &o) {
    for (size_t i = 0; i < size(); i++) d[i] += o[i];
    return *this;
  }
  double dot(const Vec &o) const { return std::inner_product(d.begin(), d.end(), o.d.begin(), 0.0); }
};
double vec_class(const double *x, int n) {
  int m = n / 3;
  Vec a(x, m), b(x + m, m), c(x + 2 * m, m);
  Vec e = a + b * 2.0 - c * x[0];
  e += a * e[1];
  return std::sqrt(e.dot(e)) + e.dot(c);
}

// 7. std::array by value, structured bindings, std::tuple, std::optional.
static std::array<double, 3> rotate(std::array<double, 3> v, double t) {
  double c = std::cos(t), s = std::sin(t);
  return {c * v[0] - s * v[1], s * v[0] + c * v[1], v[2] * t};
}
static std::tuple<double, double> minmax2(double a, double b) { return {std::min(a, b), std::max(a, b)}; }
static std::optional<double> safe_log(double v) {
  if (v <= 0) return std::nullopt;
  return std::log(v);
}
double arrays_tuples(const double *x, int n) {
  (void)n;
  std::array<double, 3> v{x[0], x[1], x[2]};
  auto r = rotate(rotate(v, x[3]), x[4]);
  auto [lo, hi] = minmax2(r[0], r[1]);
  double s = lo * 2.0 + hi * hi + r[2];
  for (double t : r) s += t * t;
  if (auto l = safe_log(x[5] * x[5] + 0.5)) s += *l;
  if (auto l = safe_log(-1.0)) s += *l;
  return s;
}

// 8. <numeric> and <algorithm>.
double numerics(const double *x, int n) {
  std::vector<double> v(x, x + n), ps(n), ad(n);
  std::partial_sum(v.begin(), v.end(), ps.begin());
  std::adjacent_difference(v.begin(), v.end(), ad.begin());
  double prod = std::accumulate(v.begin(), v.begin() + 4, 1.0, std::multiplies<double>());
  double ip = std::inner_product(ps.begin(), ps.end(), ad.begin(), 0.0, std::plus<double>(),
                                 [](double a, double b) { return a * std::tanh(b); });
  double mx = *std::max_element(v.begin(), v.end());
  std::vector<double> w(v);
  std::nth_element(w.begin(), w.begin() + n / 2, w.end());
  double med = w[n / 2];
  std::transform(v.begin(), v.end(), w.begin(), [](double a) { return a * a; });
  return prod + ip + mx * 3.0 + med * med + std::accumulate(w.begin(), w.end(), 0.0);
}

// 9. A small template and range-for over structs by reference.
template <typename T, int N> struct Poly {
  std::array<T, N> c;
  T operator()(T t) const {
    T r = 0;
    for (int i = N - 1; i >= 0; i--) r = r * t + c[i];
    return r;
  }
};
struct Particle {
  double pos, vel;
  int id;
};
double templates_particles(const double *x, int n) {
  Poly<double, 4> p{{x[0], x[1], x[2], x[3]}};
  std::vector<Particle> ps;
  for (int i = 0; i < n; i++) ps.push_back({x[i], 0.1 * x[(i + 1) % n], i});
  for (int step = 0; step < 3; step++)
    for (auto &q : ps) {
      q.vel -= 0.05 * p(q.pos);
      q.pos += 0.1 * q.vel;
    }
  double e = 0;
  for (const auto &q : ps) e += 0.5 * q.vel * q.vel + (q.id % 2 ? q.pos : -q.pos);
  return e;
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
  double x[9] = {0.3, -1.2, 0.7, 1.9, -0.4, 0.8, 0.25, -0.6, 1.1};
  check_one("map_params", map_params, x, 8);
  check_one("nested_vec", nested_vec, x, 9);
  check_one("virtual_calls", virtual_calls, x, 5);
  check_one("complex_more", complex_more, x, 4);
  check_one("vec_class", vec_class, x, 9);
  check_one("arrays_tuples", arrays_tuples, x, 6);
  check_one("numerics", numerics, x, 7);
  check_one("templates_particles", templates_particles, x, 6);
  return check_report();
}
