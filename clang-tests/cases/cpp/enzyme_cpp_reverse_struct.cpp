// CFLAGS: -std=c++17
// enzyme::autodiff in reverse mode of functions returning a class by value. A return named
// Active<T> is seeded with 1.0 in every floating-point member (integers carry no derivative),
// so the derivatives are those of the sum of T's float members; Const<T> (the default for a
// class) seeds nothing. Structs of two doubles come back in registers; larger ones through a
// hidden result pointer (sret), where the C++ interface has no adjoint buffer to pass and
// ferment provides the seeded one itself (it used to stop with "needs the result's adjoint
// buffer"); ReverseWithPrimal returns the struct too. Oracles: central finite differences of
// the sum of float members, analytic derivatives (the struct with a float member), the
// primal itself.
#include "check.h"
#include <enzyme/enzyme>

struct AB {
  double a, b;
};
static AB two(double x, double y) { return AB{x * y, std::sin(x) + y}; }

struct Five {
  double a, b, c, d, e;
};
static Five five(double x, double y) {
  return Five{x * y, std::exp(x), y * y * y, x / y, std::cos(x * y)};
}

struct Mixed {
  double a;
  int n;
  float f;
  double arr[3];
};
static Mixed mixed(double x, double y) {
  Mixed m;
  m.a = x * y;
  m.n = 3;
  m.f = (float)(x * x);
  for (int i = 0; i < 3; i++) m.arr[i] = std::sin(x * i) + y * y;
  return m;
}

// A class result alongside an output written through a Duplicated pointer.
static Five with_output(double x, const double *v, double *out) {
  *out = v[0] * v[1] * x;
  return Five{x * v[0], v[1], x, x * x, v[0] + v[1]};
}

static double sum_two(double x, double y) {
  AB r = two(x, y);
  return r.a + r.b;
}
static double sum_five(double x, double y) {
  Five r = five(x, y);
  return r.a + r.b + r.c + r.d + r.e;
}
static double dx_of(double (*f)(double, double), double x, double y) {
  double h = 1e-6;
  return (f(x + h, y) - f(x - h, y)) / (2 * h);
}
static double dy_of(double (*f)(double, double), double x, double y) {
  double h = 1e-6;
  return (f(x, y + h) - f(x, y - h)) / (2 * h);
}

int main() {
  static const double pts[][2] = {{0.7, -1.3}, {-0.4, 2.1}, {1.9, 0.6}};
  for (auto &pt : pts) {
    double x = pt[0], y = pt[1];
    auto r2 = enzyme::autodiff<enzyme::Reverse, enzyme::Active<AB>>(two, enzyme::Active<double>(x),
                                                                     enzyme::Active<double>(y));
    CHECK_CLOSE_AT("Active<{double,double}>: d/dx", x, enzyme::get<0>(enzyme::get<0>(r2)), dx_of(sum_two, x, y), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("Active<{double,double}>: d/dy", x, enzyme::get<1>(enzyme::get<0>(r2)), dy_of(sum_two, x, y), RTOL_FD, ATOL_FD);

    auto r5 = enzyme::autodiff<enzyme::Reverse, enzyme::Active<Five>>(five, enzyme::Active<double>(x),
                                                                      enzyme::Active<double>(y));
    CHECK_CLOSE_AT("Active<Five> (sret): d/dx", x, enzyme::get<0>(enzyme::get<0>(r5)), dx_of(sum_five, x, y), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("Active<Five> (sret): d/dy", x, enzyme::get<1>(enzyme::get<0>(r5)), dy_of(sum_five, x, y), RTOL_FD, ATOL_FD);

    auto rp = enzyme::autodiff<enzyme::ReverseWithPrimal, enzyme::Active<Five>>(
        five, enzyme::Active<double>(x), enzyme::Active<double>(y));
    Five p = enzyme::get<1>(rp), want = five(x, y);
    CHECK_CLOSE_AT("ReverseWithPrimal Active<Five>: d/dx", x, enzyme::get<0>(enzyme::get<0>(rp)), dx_of(sum_five, x, y), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("ReverseWithPrimal Active<Five>: d/dy", x, enzyme::get<1>(enzyme::get<0>(rp)), dy_of(sum_five, x, y), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("ReverseWithPrimal Active<Five>: primal a", x, p.a, want.a, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("ReverseWithPrimal Active<Five>: primal c", x, p.c, want.c, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("ReverseWithPrimal Active<Five>: primal e", x, p.e, want.e, RTOL_D, ATOL_D);

    auto rm = enzyme::autodiff<enzyme::Reverse, enzyme::Active<Mixed>>(mixed, enzyme::Active<double>(x),
                                                                       enzyme::Active<double>(y));
    CHECK_CLOSE_AT("Active<Mixed> (int and float members): d/dx", x, enzyme::get<0>(enzyme::get<0>(rm)), y + 2 * x + std::cos(x) + 2 * std::cos(2 * x), RTOL_F, ATOL_F);
    CHECK_CLOSE_AT("Active<Mixed> (int and float members): d/dy", x, enzyme::get<1>(enzyme::get<0>(rm)), x + 6 * y, RTOL_D, ATOL_D);

    // Const<T>, explicit and by default: the result carries no seed.
    auto rc = enzyme::autodiff<enzyme::Reverse, enzyme::Const<Five>>(five, enzyme::Active<double>(x),
                                                                     enzyme::Active<double>(y));
    CHECK_CLOSE_AT("Const<Five>: d/dx", x, enzyme::get<0>(enzyme::get<0>(rc)), 0.0, 0.0, 0.0);
    auto rd = enzyme::autodiff<enzyme::Reverse>(five, enzyme::Active<double>(x), enzyme::Active<double>(y));
    CHECK_CLOSE_AT("default return of a class (Const): d/dy", x, enzyme::get<1>(enzyme::get<0>(rd)), 0.0, 0.0, 0.0);

    // Const<Five> result, the derivative flowing through the Duplicated output instead.
    double v[2] = {x, y}, dv[2] = {0, 0}, out = 0, dout = 1.0;
    auto ro = enzyme::autodiff<enzyme::Reverse, enzyme::Const<Five>>(
        with_output, enzyme::Active<double>(1.5), enzyme::Duplicated<const double *>(v, dv),
        enzyme::Duplicated<double *>(&out, &dout));
    CHECK_CLOSE_AT("Const<Five> with a Duplicated output: d/dx", x, enzyme::get<0>(enzyme::get<0>(ro)), x * y, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("Const<Five> with a Duplicated output: dv0", x, dv[0], y * 1.5, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("Const<Five> with a Duplicated output: dv1", x, dv[1], x * 1.5, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("Const<Five> with a Duplicated output: primal output", x, out, x * y * 1.5, RTOL_D, ATOL_D);
  }
  return check_report();
}
