// CFLAGS: -std=c++17
// Three programs as people write them for Enzyme: (1) CRTP expression templates for a small
// vector type (lazy sums, scaled differences, element-wise products assigned in one loop, a
// dot product), (2) std::complex<double> arithmetic (a polynomial evaluated by Horner's rule on
// the unit circle, |p(z)|^2 summed, complex exp and division), (3) an ODE class hierarchy with a
// virtual right-hand side integrated by a midpoint (RK2) stepper held through a base reference.
// Oracles: central finite differences of every input, forward vs reverse.
#include "check.h"
#include <cmath>
#include <complex>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

// (1) CRTP expression templates
template <class E> struct Expr {
  const E &self() const { return static_cast<const E &>(*this); }
  double operator[](int i) const { return self()[i]; }
  int size() const { return self().size(); }
};
struct Vec : Expr<Vec> {
  std::vector<double> d;
  explicit Vec(int n) : d(n) {}
  template <class E> Vec &operator=(const Expr<E> &e) {
    for (int i = 0; i < size(); i++) d[i] = e.self()[i];
    return *this;
  }
  double operator[](int i) const { return d[i]; }
  double &operator[](int i) { return d[i]; }
  int size() const { return (int)d.size(); }
};
template <class A, class B> struct Sum : Expr<Sum<A, B>> {
  const A &a;
  const B &b;
  Sum(const A &a, const B &b) : a(a), b(b) {}
  double operator[](int i) const { return a[i] + b[i]; }
  int size() const { return a.size(); }
};
template <class A, class B> struct Prod : Expr<Prod<A, B>> {
  const A &a;
  const B &b;
  Prod(const A &a, const B &b) : a(a), b(b) {}
  double operator[](int i) const { return a[i] * b[i]; }
  int size() const { return a.size(); }
};
template <class A> struct Scaled : Expr<Scaled<A>> {
  double s;
  const A &a;
  Scaled(double s, const A &a) : s(s), a(a) {}
  double operator[](int i) const { return s * a[i]; }
  int size() const { return a.size(); }
};
template <class A, class B> Sum<A, B> operator+(const Expr<A> &a, const Expr<B> &b) {
  return Sum<A, B>(a.self(), b.self());
}
template <class A, class B> Prod<A, B> operator*(const Expr<A> &a, const Expr<B> &b) {
  return Prod<A, B>(a.self(), b.self());
}
template <class A> Scaled<A> operator*(double s, const Expr<A> &a) { return Scaled<A>(s, a.self()); }
template <class A, class B> double dot(const Expr<A> &a, const Expr<B> &b) {
  double s = 0;
  for (int i = 0; i < a.size(); i++) s += a.self()[i] * b.self()[i];
  return s;
}

double crtp(const double *x, int n) {
  Vec u(n), v(n), w(n);
  for (int i = 0; i < n; i++) {
    u[i] = x[i];
    v[i] = std::cos(x[(i + 1) % n]);
  }
  w = u + (-0.5) * v + u * v * u;
  Vec z(n);
  z = w * w + 2.0 * u;
  return dot(z, v) + 0.1 * dot(w, w);
}

// (2) std::complex arithmetic: coefficients a_k = x_{2k} + i x_{2k+1}
double complex_poly(const double *x, int n) {
  int m = n / 2;
  std::vector<std::complex<double>> a(m);
  for (int k = 0; k < m; k++) a[k] = {x[2 * k], x[2 * k + 1]};
  double s = 0;
  for (int j = 0; j < 5; j++) {
    std::complex<double> z = std::polar(1.0, 0.7 * j + 0.2);
    std::complex<double> p = 0;
    for (int k = m - 1; k >= 0; k--) p = p * z + a[k];
    std::complex<double> q = std::exp(0.3 * p) / (p + std::complex<double>(3.0, 0.5));
    s += std::norm(p) + q.real() - 0.5 * q.imag();
  }
  return s;
}

// (3) ODE hierarchy with a virtual right-hand side
struct System {
  virtual ~System() = default;
  virtual void rhs(const double *y, double *dy, int n) const = 0;
};
struct Decay : System {
  const double *rates;
  explicit Decay(const double *r) : rates(r) {}
  void rhs(const double *y, double *dy, int n) const override {
    for (int i = 0; i < n; i++) dy[i] = -rates[i] * y[i];
  }
};
struct Coupled : System {
  double c;
  explicit Coupled(double c) : c(c) {}
  void rhs(const double *y, double *dy, int n) const override {
    for (int i = 0; i < n; i++) dy[i] = c * (y[(i + 1) % n] - y[i]) - 0.1 * y[i] * y[i] * y[i];
  }
};
static void midpoint(const System &sys, std::vector<double> &y, double h, int steps) {
  int n = (int)y.size();
  std::vector<double> k1(n), mid(n), k2(n);
  for (int s = 0; s < steps; s++) {
    sys.rhs(y.data(), k1.data(), n);
    for (int i = 0; i < n; i++) mid[i] = y[i] + 0.5 * h * k1[i];
    sys.rhs(mid.data(), k2.data(), n);
    for (int i = 0; i < n; i++) y[i] += h * k2[i];
  }
}
double ode(const double *x, int n) {
  int m = n / 2;
  std::vector<double> y(x, x + m);
  Decay d(x + m);
  midpoint(d, y, 0.05, 10);
  Coupled c(0.8);
  const System &sys = c;
  midpoint(sys, y, 0.05, 10);
  double s = 0;
  for (double v : y) s += v * v;
  return s;
}

typedef double (*fn)(const double *, int);
static void check_one(const char *name, fn f, const double *x0, int n) {
  std::vector<double> x(x0, x0 + n), dx(n, 0.0), t(n);
  __enzyme_autodiff((void *)f, x.data(), dx.data(), n);
  CHECK_ARRAY_FD(name, x, n, dx, 1e-6, f(x.data(), n), RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) t[i] = 0.3 + 0.1 * i - 0.05 * i * i;
  double tan = __enzyme_fwddiff((void *)f, x.data(), t.data(), n);
  CHECK_CLOSE(name, tan, dotv(dx.data(), t.data(), n), RTOL_D, ATOL_D);
}

int main() {
  double x[8] = {0.3, -1.2, 0.7, 1.9, -0.4, 0.8, 0.25, -0.6};
  check_one("crtp expression templates", crtp, x, 7);
  check_one("std::complex polynomial", complex_poly, x, 8);
  double r[8] = {0.4, 0.9, -0.3, 1.2, 0.5, 1.1, 0.2, 0.7};
  check_one("ode virtual rhs", ode, r, 8);
  return check_report();
}
