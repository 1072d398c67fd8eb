// A template-heavy C++ physics kernel as a header-only library writes it: a CRTP base
// `VecExpr<E>` with operator[] forwarding to the derived expression, lazy binary/unary
// expression nodes (Add, Sub, Scale, Cross-free Map with a functor) built by overloaded
// operators, a fixed-size `Vec<N>` that evaluates an expression on assignment, a dot/norm on
// any expression, and a spring-mass energy over a chain of points written in that DSL (a
// lambda functor for a softened norm). The user differentiates the energy with respect to the
// point positions (reverse) and checks a forward direction.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: analytic gradient of
// the spring energy, central differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <cstddef>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

template <class E> struct VecExpr {
  const E &self() const { return static_cast<const E &>(*this); }
  double operator[](std::size_t i) const { return self().at(i); }
  static constexpr std::size_t size() { return E::N; }
};

template <std::size_t n> struct Vec : VecExpr<Vec<n>> {
  static constexpr std::size_t N = n;
  double d[n];
  Vec() : d{} {}
  template <class E> Vec(const VecExpr<E> &e) {
    for (std::size_t i = 0; i < n; i++) d[i] = e[i];
  }
  template <class E> Vec &operator=(const VecExpr<E> &e) {
    for (std::size_t i = 0; i < n; i++) d[i] = e[i];
    return *this;
  }
  template <class E> Vec &operator+=(const VecExpr<E> &e) {
    for (std::size_t i = 0; i < n; i++) d[i] += e[i];
    return *this;
  }
  double at(std::size_t i) const { return d[i]; }
  double &operator[](std::size_t i) { return d[i]; }
  double operator[](std::size_t i) const { return d[i]; }
};

template <class A, class B, class Op> struct Bin : VecExpr<Bin<A, B, Op>> {
  static constexpr std::size_t N = A::N;
  const A &a;
  const B &b;
  Bin(const A &a_, const B &b_) : a(a_), b(b_) {}
  double at(std::size_t i) const { return Op::apply(a[i], b[i]); }
};
template <class A> struct Scale : VecExpr<Scale<A>> {
  static constexpr std::size_t N = A::N;
  const A &a;
  double s;
  Scale(const A &a_, double s_) : a(a_), s(s_) {}
  double at(std::size_t i) const { return s * a[i]; }
};
template <class A, class F> struct Map : VecExpr<Map<A, F>> {
  static constexpr std::size_t N = A::N;
  const A &a;
  F f;
  Map(const A &a_, F f_) : a(a_), f(f_) {}
  double at(std::size_t i) const { return f(a[i]); }
};
struct AddOp { static double apply(double x, double y) { return x + y; } };
struct SubOp { static double apply(double x, double y) { return x - y; } };
struct MulOp { static double apply(double x, double y) { return x * y; } };

template <class A, class B> Bin<A, B, AddOp> operator+(const VecExpr<A> &a, const VecExpr<B> &b) {
  return {a.self(), b.self()};
}
template <class A, class B> Bin<A, B, SubOp> operator-(const VecExpr<A> &a, const VecExpr<B> &b) {
  return {a.self(), b.self()};
}
template <class A, class B> Bin<A, B, MulOp> operator*(const VecExpr<A> &a, const VecExpr<B> &b) {
  return {a.self(), b.self()};
}
template <class A> Scale<A> operator*(double s, const VecExpr<A> &a) { return {a.self(), s}; }
template <class A, class F> Map<A, F> map(const VecExpr<A> &a, F f) { return {a.self(), f}; }

template <class A> double sum(const VecExpr<A> &a) {
  double s = 0.0;
  for (std::size_t i = 0; i < A::N; i++) s += a[i];
  return s;
}
template <class A, class B> double dot(const VecExpr<A> &a, const VecExpr<B> &b) { return sum(a * b); }
template <class A> double norm(const VecExpr<A> &a) { return std::sqrt(dot(a, a)); }

using V3 = Vec<3>;

template <int NP> struct Chain {
  V3 p[NP];
  double rest, k, soft;
  double energy() const {
    double e = 0.0;
    for (int i = 0; i + 1 < NP; i++) {
      V3 d = p[i + 1] - p[i];
      double l = std::sqrt(dot(d, d) + soft * soft);
      e += 0.5 * k * (l - rest) * (l - rest);
    }
    // gravity and a soft floor via a functor map
    V3 g;
    g[2] = 9.81;
    for (int i = 0; i < NP; i++) {
      auto floor_pen = [](double z) { return z < 0.0 ? z * z : 0.0; };
      e += 0.1 * dot(g, p[i]) + 50.0 * sum(map(p[i], floor_pen));
    }
    return e;
  }
};

enum { NP = 6 };
static double chain_energy(const Chain<NP> *c) { return c->energy(); }

int main() {
  Chain<NP> c;
  c.rest = 0.5, c.k = 20.0, c.soft = 0.01;
  for (int i = 0; i < NP; i++) {
    c.p[i][0] = 0.05 + 0.45 * i;
    c.p[i][1] = 0.1 * std::sin(1.0 * i + 0.5);
    c.p[i][2] = 0.21 - 0.08 * i; /* the last points are below the floor (every component is penalised) */
  }
  Chain<NP> dc{};
  __enzyme_autodiff((void *)chain_energy, enzyme_dup, &c, &dc);
  for (int i = 0; i < NP; i++)
    for (int k = 0; k < 3; k++) {
      // analytic gradient
      double g = 0.0;
      for (int s = 0; s + 1 < NP; s++) {
        if (s != i && s + 1 != i) continue;
        double dd[3], l2 = c.soft * c.soft;
        for (int q = 0; q < 3; q++) dd[q] = c.p[s + 1][q] - c.p[s][q], l2 += dd[q] * dd[q];
        double l = std::sqrt(l2);
        double f = c.k * (l - c.rest) * dd[k] / l;
        g += (s + 1 == i) ? f : -f;
      }
      if (k == 2) g += 0.1 * 9.81;
      if (c.p[i][k] < 0) g += 100.0 * c.p[i][k];
      CHECK_CLOSE("dE/dp analytic", dc.p[i][k], g, 1e-10, 1e-12);
      CHECK_CLOSE("dE/dp fd", dc.p[i][k], FD_AT(c.p[i][k], 1e-6, chain_energy(&c)), RTOL_FD, ATOL_FD);
    }
  CHECK_CLOSE("dE/drest", dc.rest, FD_AT(c.rest, 1e-6, chain_energy(&c)), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dE/dk", dc.k, FD_AT(c.k, 1e-6, chain_energy(&c)), RTOL_FD, ATOL_FD);
  Chain<NP> tc{};
  double want = 0.0;
  for (int i = 0; i < NP; i++)
    for (int k = 0; k < 3; k++) tc.p[i][k] = std::cos(0.3 * i + k), want += tc.p[i][k] * dc.p[i][k];
  tc.k = 0.5;
  want += 0.5 * dc.k;
  double t = __enzyme_fwddiff((void *)chain_energy, enzyme_dup, &c, &tc);
  CHECK_CLOSE("forward vs reverse", t, want, 1e-10, 1e-12);
  return check_report();
}
