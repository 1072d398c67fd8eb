// CFLAGS: -std=c++17
// enzyme::autodiff with a struct passed by value that the C ABI splits into several values
// (`{double, double}` -> two doubles, `{float, float, float}` -> `<2 x float>, float`,
// std::complex<double>). Forward mode pairs the struct with its shadow struct member by
// member (Duplicated, DuplicatedNoNeed, ForwardWithPrimal, a Const struct next to a duplicated
// scalar), reverse mode returns an Active struct's adjoint in the struct's layout. ferment's
// header passes such a class after the marker `enzyme_struct_value` (the C interface can
// too); it used to be a compile error ("takes 'V2' by value ... paired member by member out
// of order"): Enzyme's CppSugar/structmulitarg.cpp. Oracles: central finite differences of
// the primal along the shadow, analytic derivatives, forward-vs-reverse dot products.
#include "check.h"
#include <complex>
#include <enzyme/enzyme>

struct V2 {
  double x, y;
};
struct V3f {
  float x, y, z;
};

static double f(V2 p, double s) { return p.x * p.x * s + std::sin(p.y) * p.x; }
static double g(V3f v) { return v.x * v.y + v.z * v.z * v.z; }
static double h(std::complex<double> z) { return std::norm(z) * z.real() + std::exp(z.imag()); }
static double k(double a, V2 p, double b) { return a * p.y + p.x * b * b + p.x * p.y; }

static double f_along(double t, V2 p, V2 d, double s) {
  return f(V2{p.x + t * d.x, p.y + t * d.y}, s);
}

int main() {
  const double h_fd = 1e-6;
  V2 p{2.0, 0.5}, dp{0.3, -1.7};
  double s = 3.0;
  double fd = (f_along(h_fd, p, dp, s) - f_along(-h_fd, p, dp, s)) / (2 * h_fd);

  // Forward: Duplicated struct, Const scalar.
  double t = enzyme::get<0>(
      enzyme::autodiff<enzyme::Forward>(f, enzyme::Duplicated<V2>{p, dp}, enzyme::Const<double>{s}));
  CHECK_CLOSE("f tangent (FD)", t, fd, RTOL_FD, ATOL_FD);
  double ta = 2 * p.x * dp.x * s + std::cos(p.y) * dp.y * p.x + std::sin(p.y) * dp.x;
  CHECK_CLOSE("f tangent (analytic)", t, ta, RTOL_D, ATOL_D);

  // ForwardWithPrimal: {primal, tangent}.
  auto tp = enzyme::autodiff<enzyme::ForwardWithPrimal>(f, enzyme::Duplicated<V2>{p, dp},
                                                       enzyme::Const<double>{s});
  CHECK_CLOSE("f primal", enzyme::get<0>(tp), f(p, s), RTOL_D, ATOL_D);
  CHECK_CLOSE("f tangent with primal", enzyme::get<1>(tp), ta, RTOL_D, ATOL_D);

  // The C interface, with the marker spelled out.
  double tc = __enzyme_fwddiff<double>((void *)f, enzyme_struct_value, enzyme_dup, p, dp,
                                       enzyme_const, s);
  CHECK_CLOSE("f tangent (C call)", tc, ta, RTOL_D, ATOL_D);

  // Three floats: <2 x float> and float.
  V3f v{1.5f, -2.0f, 0.5f}, dv{0.25f, 1.0f, -3.0f};
  double tg = enzyme::get<0>(enzyme::autodiff<enzyme::Forward>(g, enzyme::Duplicated<V3f>{v, dv}));
  double eg = dv.x * v.y + v.x * dv.y + 3 * v.z * v.z * dv.z;
  CHECK_CLOSE("g tangent (analytic)", tg, eg, RTOL_F, ATOL_F);

  // std::complex<double>, DuplicatedNoNeed.
  std::complex<double> z(1.5, -0.5), dz(0.2, 0.7);
  double th = enzyme::get<0>(enzyme::autodiff<enzyme::Forward>(
      h, enzyme::DuplicatedNoNeed<std::complex<double>>{z, dz}));
  double fdh = (h(z + h_fd * dz) - h(z - h_fd * dz)) / (2 * h_fd);
  CHECK_CLOSE("h tangent (FD)", th, fdh, RTOL_FD, ATOL_FD);

  // A struct between scalars: Const struct, duplicated scalars; then the struct duplicated.
  double a = 0.7, b = -1.3;
  double tk1 = enzyme::get<0>(enzyme::autodiff<enzyme::Forward>(
      k, enzyme::Duplicated<double>{a, 1.0}, enzyme::Const<V2>{p}, enzyme::Duplicated<double>{b, 0.5}));
  CHECK_CLOSE("k tangent, const struct", tk1, p.y * 1.0 + p.x * 2 * b * 0.5, RTOL_D, ATOL_D);
  double tk2 = enzyme::get<0>(enzyme::autodiff<enzyme::Forward>(
      k, enzyme::Const<double>{a}, enzyme::Duplicated<V2>{p, dp}, enzyme::Const<double>{b}));
  CHECK_CLOSE("k tangent, dup struct", tk2, a * dp.y + dp.x * b * b + dp.x * p.y + p.x * dp.y,
              RTOL_D, ATOL_D);

  // Reverse: the Active struct's adjoint, against forward mode along two directions.
  auto r = enzyme::autodiff<enzyme::Reverse>(f, enzyme::Active<V2>{p}, enzyme::Const<double>{s});
  V2 gp = enzyme::get<0>(enzyme::get<0>(r));
  CHECK_CLOSE("f gradient . dp vs tangent", gp.x * dp.x + gp.y * dp.y, t, RTOL_D, ATOL_D);
  V2 e1{1.0, 0.0};
  double t1 = enzyme::get<0>(
      enzyme::autodiff<enzyme::Forward>(f, enzyme::Duplicated<V2>{p, e1}, enzyme::Const<double>{s}));
  CHECK_CLOSE("f gradient x vs tangent", gp.x, t1, RTOL_D, ATOL_D);
  return check_report();
}
