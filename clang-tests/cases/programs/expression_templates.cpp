// Expression templates (a tiny Eigen-like vector library): lazy sum/product/scalar nodes held
// by const reference, evaluated in an assignment loop; operator overloading, CRTP, std::array.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <array>
#include <cstddef>
extern "C" { extern int enzyme_dup, enzyme_const, enzyme_out; }
template <typename R, typename... A> R __enzyme_autodiff(void *, A...);
template <typename R, typename... A> R __enzyme_fwddiff(void *, A...);

template <typename E> struct Expr {
  const E &self() const { return static_cast<const E &>(*this); }
  double operator[](size_t i) const { return self()[i]; }
};
template <size_t N> struct Vec : Expr<Vec<N>> {
  std::array<double, N> d;
  Vec() : d{} {}
  double operator[](size_t i) const { return d[i]; }
  double &operator[](size_t i) { return d[i]; }
  template <typename E> Vec &operator=(const Expr<E> &e) {
    for (size_t i = 0; i < N; i++) d[i] = e.self()[i];
    return *this;
  }
};
template <typename A, typename B> struct Sum : Expr<Sum<A, B>> {
  const A &a; const B &b;
  Sum(const A &a, const B &b) : a(a), b(b) {}
  double operator[](size_t i) const { return a[i] + b[i]; }
};
template <typename A, typename B> struct Prod : Expr<Prod<A, B>> {
  const A &a; const B &b;
  Prod(const A &a, const B &b) : a(a), b(b) {}
  double operator[](size_t i) const { return a[i] * b[i]; }
};
template <typename A> struct Scale : Expr<Scale<A>> {
  double s; const A &a;
  Scale(double s, const A &a) : s(s), a(a) {}
  double operator[](size_t i) const { return s * a[i]; }
};
template <typename A> struct Sin : Expr<Sin<A>> {
  const A &a;
  explicit Sin(const A &a) : a(a) {}
  double operator[](size_t i) const { return std::sin(a[i]); }
};
template <typename A, typename B> Sum<A, B> operator+(const Expr<A> &a, const Expr<B> &b) { return {a.self(), b.self()}; }
template <typename A, typename B> Prod<A, B> operator*(const Expr<A> &a, const Expr<B> &b) { return {a.self(), b.self()}; }
template <typename A> Scale<A> operator*(double s, const Expr<A> &a) { return {s, a.self()}; }
template <typename A> Sin<A> sin(const Expr<A> &a) { return Sin<A>(a.self()); }

constexpr size_t N = 6;
double f(const Vec<N> *x, const Vec<N> *y, double k) {
  Vec<N> z;
  z = k * (*x * *y) + sin(*x + 2.0 * *y);
  Vec<N> w;
  w = z * z + *x;
  double s = 0;
  for (size_t i = 0; i < N; i++) s += w[i];
  return s;
}
int main() {
  Vec<N> x, y, dx, dy;
  for (size_t i = 0; i < N; i++) { x[i] = 0.3 * i - 0.5; y[i] = std::cos(i * 0.9); }
  double k = 1.3;
  double dk = __enzyme_autodiff<double>((void *)f, enzyme_dup, &x, &dx, enzyme_dup, &y, &dy, k);
  CHECK_ARRAY_FD("dx", x.d, N, dx.d, 1e-6, f(&x, &y, k), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("dy", y.d, N, dy.d, 1e-6, f(&x, &y, k), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("dk", dk, FD_AT(k, 1e-6, f(&x, &y, k)), RTOL_FD, ATOL_FD);
  Vec<N> tx, ty;
  for (size_t i = 0; i < N; i++) { tx[i] = 1.0 / (i + 1); ty[i] = -0.5; }
  double t = __enzyme_fwddiff<double>((void *)f, enzyme_dup, &x, &tx, enzyme_dup, &y, &ty, k, 0.25);
  CHECK_CLOSE("fwd vs rev", t, dotv(tx.d.data(), dx.d.data(), N) + dotv(ty.d.data(), dy.d.data(), N) + 0.25 * dk, 1e-10, 1e-12);
  return check_report();
}
