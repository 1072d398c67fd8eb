// C++: calls to member functions (const methods on a constant object, a method of an active
// object passed by pointer with a shadow object), a compile-time recursive template powi<N>, a
// lambda capturing an active value passed to a function template, and a templated struct's
// method looping over an array of structs. Reverse and forward against analytic gradients
// (checked against finite differences). cpp_methods_noinline.cpp: same with -ferment-no-inline.
// RUN: clang opt
#include "check.h"
#include <cmath>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");
extern "C" double __enzyme_fwddiff(void *, ...);

struct Spring {
  double k, rest;
  double energy(double d) const {
    double e = d - rest;
    return 0.5 * k * e * e;
  }
};
template <int N> struct Chain {
  Spring s[N - 1];
  double energy(const double *x) const {
    double e = 0.0;
    for (int i = 0; i + 1 < N; i++)
      e += s[i].energy(x[i + 1] - x[i]);
    return e;
  }
};
template <int N> double powi(double x) { return x * powi<N - 1>(x); }
template <> double powi<0>(double) { return 1.0; }

struct Particle {
  double m, v[3];
  double speed2() const { return v[0] * v[0] + v[1] * v[1] + v[2] * v[2]; }
  double kinetic() const { return 0.5 * m * speed2(); }
};

template <class F> double integrate(F f, double a, double b, int n) {
  double h = (b - a) / n, s = 0.0;
  for (int i = 0; i < n; i++)
    s += f(a + (i + 0.5) * h) * h;
  return s;
}

static const Chain<4> CHAIN = {{{1.0, 0.5}, {2.0, 0.25}, {0.5, 1.0}}};
double total(const double *x) { return CHAIN.energy(x) + powi<3>(x[0]); }
double kin(const Particle *p) { return p->kinetic() * powi<2>(p->v[0]); }
double area(double t) {
  return integrate([t](double u) { return std::sin(t * u) * u; }, 0.0, 1.0, 16);
}

static double total_packed(const double *x, const void *) { return total(x); }
static double kin_packed(const double *q, const void *) {
  Particle p = {q[0], {q[1], q[2], q[3]}};
  return kin(&p);
}

int main() {
  unsigned s = 31;
  for (int t = 0; t < 3; t++) {
    double x[4], dx[4] = {0, 0, 0, 0}, g[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
      x[i] = i + prand(&s);
    for (int i = 0; i < 3; i++) {
      double e = x[i + 1] - x[i] - CHAIN.s[i].rest;
      g[i] -= CHAIN.s[i].k * e;
      g[i + 1] += CHAIN.s[i].k * e;
    }
    g[0] += 3.0 * x[0] * x[0];
    CHECK_GRAD_FD("oracle: total vs finite differences", total_packed, nullptr, x, 4, g, RTOL_FD, ATOL_FD);
    __enzyme_autodiff_v((void *)total, x, dx);
    CHECK_ARRAY_CLOSE("reverse total (methods of a const object, powi<3>)", dx, g, 4, RTOL_D, ATOL_D);
    double tx[4] = {1.0, 0.5, -0.5, 2.0};
    CHECK_CLOSE("forward total", __enzyme_fwddiff((void *)total, x, tx), dotv(tx, g, 4), RTOL_D, ATOL_D);

    Particle p = {1.0 + 0.5 * t, {prand(&s), prand(&s), prand(&s)}}, dp = {0.0, {0.0, 0.0, 0.0}};
    double v2 = p.speed2(), v0 = p.v[0];
    double wk[4] = {0.5 * v2 * v0 * v0, p.m * v0 * v0 * v0 + p.m * v2 * v0, p.m * p.v[1] * v0 * v0,
                    p.m * p.v[2] * v0 * v0};
    double q[4] = {p.m, p.v[0], p.v[1], p.v[2]};
    CHECK_GRAD_FD("oracle: kin vs finite differences", kin_packed, nullptr, q, 4, wk, RTOL_FD, ATOL_FD);
    __enzyme_autodiff_v((void *)kin, &p, &dp);
    double got[4] = {dp.m, dp.v[0], dp.v[1], dp.v[2]};
    CHECK_ARRAY_CLOSE("reverse kin (method of an active object, shadow object)", got, wk, 4, RTOL_D, ATOL_D);
    Particle tp = {0.5, {1.0, 0.0, -1.0}};
    double tq[4] = {0.5, 1.0, 0.0, -1.0};
    CHECK_CLOSE("forward kin", __enzyme_fwddiff((void *)kin, &p, &tp), dotv(tq, wk, 4), RTOL_D, ATOL_D);

    double tt = 0.5 + t;
    double wa = 0.0;
    for (int i = 0; i < 16; i++) {
      double u = (i + 0.5) / 16.0;
      wa += std::cos(tt * u) * u * u / 16.0;
    }
    CHECK_CLOSE_AT("oracle: area' vs finite differences", tt, wa, fd1(area, tt), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse area (lambda capturing the active value)", tt, __enzyme_autodiff((void *)area, tt), wa, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward area", tt, __enzyme_fwddiff((void *)area, tt, 1.0), wa, RTOL_D, ATOL_D);
  }
  return check_report();
}
