// CFLAGS: -std=c++17
// Enzyme's C++ interface (#include <enzyme/enzyme>): enzyme::autodiff with the modes Reverse,
// ReverseWithPrimal, Forward and ForwardWithPrimal, return activities, and argument
// activities Active, Const, Duplicated (values, pointers, references) and DuplicatedNoNeed;
// results read with enzyme::get and structured bindings. The helpers must reach ferment at
// -O0 as well (they are always_inline). Oracles: analytic derivatives, central finite
// differences, and forward vs reverse.
#include "check.h"
#include <enzyme/enzyme>

static double mul(double x, double y) { return x * y + std::sin(x); }
static double norm2(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += v[i] * v[i] * (i + 1);
  return s;
}
static void scale(double &out, const double &in, double k) { out = in * in * k; }
static double weighted(double a, const double *v, int n) { return a * norm2(v, n); }
static float halve(float x) { return 0.5f * x * x; }

static const double *base_g;
static double norm2_at(const double *v, const void *n) { return norm2(v, *(const int *)n); }

int main() {
  double x = 0.7, y = -1.3;
  // Reverse: derivatives of the Active arguments, in order.
  auto r = enzyme::autodiff<enzyme::Reverse>(mul, enzyme::Active<double>(x), enzyme::Active(y));
  CHECK_CLOSE("reverse d/dx", enzyme::get<0>(enzyme::get<0>(r)), y + std::cos(x), RTOL_D, ATOL_D);
  CHECK_CLOSE("reverse d/dy", enzyme::get<1>(enzyme::get<0>(r)), x, RTOL_D, ATOL_D);
  auto [dx, dy] = enzyme::get<0>(r);
  CHECK_CLOSE("structured binding", dx + dy, y + std::cos(x) + x, RTOL_D, ATOL_D);

  // ReverseWithPrimal: {derivatives, primal}; an explicit return activity.
  auto rp = enzyme::autodiff<enzyme::ReverseWithPrimal, enzyme::Active<double>>(
      mul, enzyme::Active<double>(x), enzyme::Const<double>(y));
  CHECK_CLOSE("reverse with primal: d/dx", enzyme::get<0>(enzyme::get<0>(rp)), y + std::cos(x),
              RTOL_D, ATOL_D);
  CHECK_CLOSE("reverse with primal: primal", enzyme::get<1>(rp), mul(x, y), RTOL_D, ATOL_D);

  // Duplicated pointer and Const int: the gradient goes to the shadow array.
  const int n = 5;
  double v[n] = {0.3, -0.2, 1.1, 0.5, -0.9}, dv[n] = {0};
  enzyme::autodiff<enzyme::Reverse>(norm2, enzyme::Duplicated<const double *>(v, dv),
                                    enzyme::Const<int>(n));
  CHECK_GRAD_FD("reverse into a Duplicated pointer", norm2_at, &n, v, n, dv, RTOL_FD, ATOL_FD);
  double dv2[n] = {0};
  auto wa = enzyme::autodiff<enzyme::ReverseWithPrimal>(
      weighted, enzyme::Active<double>(2.5), enzyme::Duplicated<const double *>(v, dv2),
      enzyme::Const<int>(n));
  CHECK_CLOSE("mixed Active and Duplicated: d/da", enzyme::get<0>(enzyme::get<0>(wa)),
              norm2(v, n), RTOL_D, ATOL_D);
  CHECK_CLOSE("mixed Active and Duplicated: primal", enzyme::get<1>(wa), 2.5 * norm2(v, n),
              RTOL_D, ATOL_D);
  for (int i = 0; i < n; i++)
    CHECK_CLOSE("mixed Active and Duplicated: shadow", dv2[i], 2.5 * dv[i], RTOL_D, ATOL_D);

  // References: Duplicated<T&> passes the addresses of a value and its shadow.
  double out = 0, dout = 1.0, in = 1.7, din = 0;
  enzyme::autodiff<enzyme::Reverse>(scale, enzyme::Duplicated<double &>(out, dout),
                                    enzyme::Duplicated<const double &>(in, din),
                                    enzyme::Const<double>(3.0));
  CHECK_CLOSE("reverse through references", din, 2 * in * 3.0, RTOL_D, ATOL_D);
  CHECK_CLOSE("reverse through references: primal written", out, in * in * 3.0, RTOL_D, ATOL_D);

  // Forward: the tangent (default), {primal, tangent}, or the primal only.
  auto t = enzyme::autodiff<enzyme::Forward>(mul, enzyme::Duplicated<double>(x, 1.0),
                                             enzyme::Duplicated<double>(y, 0.5));
  double want_t = (y + std::cos(x)) * 1.0 + x * 0.5;
  CHECK_CLOSE("forward tangent", enzyme::get<0>(t), want_t, RTOL_D, ATOL_D);
  auto pt = enzyme::autodiff<enzyme::Forward, enzyme::Duplicated<double>>(
      mul, enzyme::Duplicated<double>(x, 1.0), enzyme::Const<double>(y));
  CHECK_CLOSE("forward {primal, tangent}: primal", enzyme::get<0>(pt), mul(x, y), RTOL_D, ATOL_D);
  CHECK_CLOSE("forward {primal, tangent}: tangent", enzyme::get<1>(pt), y + std::cos(x), RTOL_D,
              ATOL_D);
  auto pw = enzyme::autodiff<enzyme::ForwardWithPrimal>(mul, enzyme::Duplicated<double>(x, 1.0),
                                                        enzyme::Const<double>(y));
  CHECK_CLOSE("forward with primal", enzyme::get<1>(pw), enzyme::get<1>(pt), RTOL_D, ATOL_D);
  auto c = enzyme::autodiff<enzyme::Forward, enzyme::Const<double>>(
      mul, enzyme::Duplicated<double>(x, 1.0), enzyme::Const<double>(y));
  CHECK_CLOSE("forward, constant return: the primal", enzyme::get<0>(c), mul(x, y), RTOL_D,
              ATOL_D);
  auto nn = enzyme::autodiff<enzyme::Forward, enzyme::DuplicatedNoNeed<double>>(
      mul, enzyme::Duplicated<double>(x, 1.0), enzyme::Const<double>(y));
  CHECK_CLOSE("forward, DuplicatedNoNeed return", enzyme::get<0>(nn), y + std::cos(x), RTOL_D,
              ATOL_D);

  // Forward over an array vs the reverse gradient (dot-product consistency).
  double tv[n] = {1, -2, 0.5, 0.25, 3};
  auto tn = enzyme::autodiff<enzyme::Forward>(norm2, enzyme::Duplicated<const double *>(v, tv),
                                              enzyme::Const<int>(n));
  CHECK_CLOSE("forward vs reverse", enzyme::get<0>(tn), dotv(dv, tv, n), RTOL_D, ATOL_D);

  // float.
  auto hf = enzyme::autodiff<enzyme::Reverse>(halve, enzyme::Active<float>(3.0f));
  CHECK_CLOSE("float reverse", enzyme::get<0>(enzyme::get<0>(hf)), 3.0, RTOL_F, ATOL_F);
  return check_report();
}
