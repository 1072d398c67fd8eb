// CFLAGS: -std=c++17
// An Eigen-free small fixed-size matrix template with expression templates, the way users write
// their own: Mat<R, C, T> over std::array<T, R * C>, lazy Sum/Diff/Scaled/Hadamard expression
// nodes (CRTP base `Expr<D>` with operator() and operator+, -, *) evaluated on assignment, an
// eager matrix product, transpose, trace, determinant and inverse of a 3x3 by cofactors, and a
// Frobenius norm. The objective is a Neo-Hookean-like energy of F = I + G(x):
// mu/2 (tr(F^T F) - 3) - mu log det F + lambda/2 log^2 det F, plus a term with F^{-1}.
// Reverse mode with respect to the nine entries of G and two material parameters; forward mode
// along each entry. Oracles: central finite differences of the primal; forward against reverse.
#include "check.h"
#include <array>
#include <cmath>
#include <cstddef>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

template <class D> struct Expr {
  const D &self() const { return static_cast<const D &>(*this); }
  double operator()(size_t i, size_t j) const { return self().at(i, j); }
};

template <size_t R, size_t C> struct Mat : Expr<Mat<R, C>> {
  std::array<double, R * C> v{};
  Mat() = default;
  template <class D> Mat(const Expr<D> &e) { assign(e); }
  template <class D> Mat &operator=(const Expr<D> &e) {
    Mat t;
    t.assign(e);
    v = t.v;
    return *this;
  }
  template <class D> void assign(const Expr<D> &e) {
    for (size_t i = 0; i < R; i++)
      for (size_t j = 0; j < C; j++)
        v[i * C + j] = e(i, j);
  }
  double at(size_t i, size_t j) const { return v[i * C + j]; }
  double &ref(size_t i, size_t j) { return v[i * C + j]; }
  static Mat identity() {
    Mat m;
    for (size_t i = 0; i < R && i < C; i++)
      m.ref(i, i) = 1.0;
    return m;
  }
};

template <class L, class Rt, class Op> struct Bin : Expr<Bin<L, Rt, Op>> {
  const L &l;
  const Rt &r;
  Bin(const L &l, const Rt &r) : l(l), r(r) {}
  double at(size_t i, size_t j) const { return Op::apply(l(i, j), r(i, j)); }
};
struct AddOp { static double apply(double a, double b) { return a + b; } };
struct SubOp { static double apply(double a, double b) { return a - b; } };
struct MulOp { static double apply(double a, double b) { return a * b; } };

template <class E> struct Scaled : Expr<Scaled<E>> {
  double s;
  const E &e;
  Scaled(double s, const E &e) : s(s), e(e) {}
  double at(size_t i, size_t j) const { return s * e(i, j); }
};
template <class E> struct Trans : Expr<Trans<E>> {
  const E &e;
  explicit Trans(const E &e) : e(e) {}
  double at(size_t i, size_t j) const { return e(j, i); }
};

template <class L, class Rt> Bin<L, Rt, AddOp> operator+(const Expr<L> &l, const Expr<Rt> &r) {
  return {l.self(), r.self()};
}
template <class L, class Rt> Bin<L, Rt, SubOp> operator-(const Expr<L> &l, const Expr<Rt> &r) {
  return {l.self(), r.self()};
}
template <class L, class Rt> Bin<L, Rt, MulOp> hadamard(const Expr<L> &l, const Expr<Rt> &r) {
  return {l.self(), r.self()};
}
template <class E> Scaled<E> operator*(double s, const Expr<E> &e) { return {s, e.self()}; }
template <class E> Trans<E> transpose(const Expr<E> &e) { return Trans<E>(e.self()); }

template <size_t R, size_t K, size_t C>
Mat<R, C> operator*(const Mat<R, K> &a, const Mat<K, C> &b) {
  Mat<R, C> m;
  for (size_t i = 0; i < R; i++)
    for (size_t j = 0; j < C; j++) {
      double s = 0;
      for (size_t k = 0; k < K; k++)
        s += a.at(i, k) * b.at(k, j);
      m.ref(i, j) = s;
    }
  return m;
}

template <size_t N> double trace(const Mat<N, N> &m) {
  double t = 0;
  for (size_t i = 0; i < N; i++)
    t += m.at(i, i);
  return t;
}
template <class E, size_t R, size_t C> double frob2(const Expr<E> &e) {
  double s = 0;
  for (size_t i = 0; i < R; i++)
    for (size_t j = 0; j < C; j++)
      s += e(i, j) * e(i, j);
  return s;
}
static double det3(const Mat<3, 3> &F) {
  return F.at(0, 0) * (F.at(1, 1) * F.at(2, 2) - F.at(1, 2) * F.at(2, 1)) -
         F.at(0, 1) * (F.at(1, 0) * F.at(2, 2) - F.at(1, 2) * F.at(2, 0)) +
         F.at(0, 2) * (F.at(1, 0) * F.at(2, 1) - F.at(1, 1) * F.at(2, 0));
}
static Mat<3, 3> inv3(const Mat<3, 3> &F) {
  Mat<3, 3> r;
  double id = 1.0 / det3(F);
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 3; j++) {
      size_t a = (j + 1) % 3, b = (j + 2) % 3, c = (i + 1) % 3, d = (i + 2) % 3;
      r.ref(i, j) = (F.at(a, c) * F.at(b, d) - F.at(a, d) * F.at(b, c)) * id;
    }
  return r;
}

static double energy(const double *g, const double *mat) {
  Mat<3, 3> G;
  for (size_t i = 0; i < 9; i++)
    G.v[i] = g[i];
  Mat<3, 3> F = Mat<3, 3>::identity() + G;
  Mat<3, 3> Ft = transpose(F);
  Mat<3, 3> C = Ft * F;
  double mu = mat[0], lambda = mat[1];
  double J = det3(F), lj = std::log(J);
  Mat<3, 3> Fi = inv3(F);
  Mat<3, 3> S = 0.5 * (G + transpose(G)) - 0.25 * hadamard(G, Fi);
  double e = 0.5 * mu * (trace(C) - 3.0) - mu * lj + 0.5 * lambda * lj * lj;
  return e + 0.1 * frob2<Mat<3, 3>, 3, 3>(S) + 0.05 * trace(Fi * Fi);
}

static double energy_g(const double *g, const void *c) { return energy(g, (const double *)c); }

int main() {
  double g[9], mat[2] = {1.3, 2.1};
  for (int i = 0; i < 9; i++)
    g[i] = 0.12 * std::sin(1.7 * i + 0.3);
  double dg[9] = {0}, dmat[2] = {0};
  __enzyme_autodiff((void *)energy, enzyme_dup, g, dg, enzyme_dup, mat, dmat);
  CHECK_GRAD_FD("reverse d/dG", energy_g, mat, g, 9, dg, RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("reverse d/dmat", mat, 2, dmat, 1e-6, energy(g, mat), RTOL_FD, ATOL_FD);
  for (int k = 0; k < 9; k++) {
    double t[9] = {0}, tm[2] = {0, 0};
    t[k] = 1;
    tm[k % 2] = 0.3;
    double fw = __enzyme_fwddiff((void *)energy, enzyme_dup, g, t, enzyme_dup, mat, tm);
    CHECK_CLOSE("forward vs reverse", fw, dg[k] + 0.3 * dmat[k % 2], RTOL_D, ATOL_D);
  }
  return check_report();
}
