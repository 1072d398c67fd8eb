// CFLAGS: -std=c++17
// C++ numerical code as people write it, each function differentiated in reverse and forward
// mode: std::vector<std::array<double,3>> with a small Vec3 class (operators, cross and dot
// products, range-for), std::valarray arithmetic and reductions, std::complex<double>
// arithmetic (exp, division, norm, abs), std::transform/accumulate/inner_product with
// lambdas, std::sort of structs by a key inside the function, exceptions thrown and caught on
// a non-float path (an index check), and CRTP dispatch.
// Oracles: central finite differences of every input, forward vs reverse.
#include "check.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <numeric>
#include <valarray>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Vec3 {
  double x, y, z;
  Vec3 operator+(const Vec3 &o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3 &o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  double dot(const Vec3 &o) const { return x * o.x + y * o.y + z * o.z; }
};
static Vec3 cross(const Vec3 &a, const Vec3 &b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

// std::vector<std::array<double,3>> points, Vec3 operators, range-for
double geometry(const double *x, int m) {
  int n = m / 3;
  std::vector<std::array<double, 3>> pts(n);
  for (int i = 0; i < n; i++) pts[i] = {x[3 * i], x[3 * i + 1], x[3 * i + 2]};
  Vec3 c{0, 0, 0};
  for (const auto &p : pts) c = c + Vec3{p[0], p[1], p[2]} * (1.0 / n);
  double s = 0;
  for (int i = 0; i + 1 < n; i++) {
    Vec3 a = Vec3{pts[i][0], pts[i][1], pts[i][2]} - c;
    Vec3 b = Vec3{pts[i + 1][0], pts[i + 1][1], pts[i + 1][2]} - c;
    Vec3 k = cross(a, b);
    s += std::sqrt(k.dot(k) + 1e-3) + a.dot(b);
  }
  return s;
}
// std::valarray arithmetic
double valar(const double *x, int n) {
  std::valarray<double> v(x, n);
  std::valarray<double> w = v * v + std::sin(v) * 2.0;
  return (w * v).sum() + std::exp(v).max();
}
// std::complex arithmetic
double cplx(const double *x, int n) {
  std::complex<double> z(0, 0);
  for (int i = 0; i + 1 < n; i += 2) {
    std::complex<double> a(x[i], x[i + 1]);
    z = z * a + std::exp(a) / (a + 2.0);
  }
  return std::norm(z) + std::abs(z);
}
// accumulate / transform / inner_product with lambdas
double algos(const double *x, int n) {
  std::vector<double> v(x, x + n), w(n);
  std::transform(v.begin(), v.end(), w.begin(), [](double a) { return std::tanh(a) * a; });
  double s = std::accumulate(w.begin(), w.end(), 0.0, [](double acc, double a) { return acc + a * a; });
  return s + std::inner_product(v.begin(), v.end(), w.begin(), 0.0);
}
// sort by a key inside the function
struct Item { double key, val; };
double sorted(const double *x, int n) {
  std::vector<Item> items;
  for (int i = 0; i < n; i++) items.push_back({std::cos(3.0 * i), x[i]});
  std::sort(items.begin(), items.end(), [](const Item &a, const Item &b) { return a.key < b.key; });
  double s = 0;
  for (int i = 0; i < n; i++) s += items[i].val * items[i].val * (i + 1);
  return s;
}
// exceptions on a non-float path
static int checked_index(int i, int n) {
  if (i < 0 || i >= n) throw std::out_of_range("index");
  return i;
}
double excepts(const double *x, int n) {
  double s = 0;
  for (int i = -1; i <= n; i++) {
    try {
      s += x[checked_index(i, n)] * x[checked_index(n - 1 - i, n)];
    } catch (const std::out_of_range &) {
      s += 0.5;
    }
  }
  return s;
}
// CRTP
template <class D> struct Shape {
  double area(const double *p) const { return static_cast<const D *>(this)->area_impl(p); }
};
struct Circle : Shape<Circle> { double area_impl(const double *p) const { return M_PI * p[0] * p[0]; } };
struct Rect : Shape<Rect> { double area_impl(const double *p) const { return p[1] * p[2]; } };
template <class S> static double total(const S &s, const double *p) { return s.area(p); }
double crtp(const double *x, int n) {
  (void)n;
  Circle c; Rect r;
  return total(c, x) + total(r, x) * total(c, x + 3);
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
  check_one("geometry", geometry, x, 9);
  check_one("valarray", valar, x, 6);
  check_one("complex", cplx, x, 6);
  check_one("algos", algos, x, 7);
  check_one("sorted", sorted, x, 8);
  check_one("excepts", excepts, x, 5);
  check_one("crtp", crtp, x, 4);
  return check_report();
}
