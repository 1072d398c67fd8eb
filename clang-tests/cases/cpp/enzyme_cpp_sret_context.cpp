// CFLAGS: -std=c++17
// Enzyme's C++ interface beyond scalars: forward mode of functions returning a class by value
// (std::vector<double>, a struct of five doubles; both come back through a hidden sret
// pointer) with the return activities Duplicated ({primal, tangent}), DuplicatedNoNeed
// ({tangent}) and Const ({primal}); a captureless lambda passed as +lambda; and the shadows
// of globals through enzyme::context / enzyme::shadow / enzyme::zero_shadows. Oracles:
// central finite differences of the primal, the primal itself, and analytic derivatives.
#include "check.h"
#include <enzyme/enzyme>
#include <vector>

using Vec = std::vector<double>;

static Vec wave(const Vec &x) {
  Vec r(x.size());
  for (size_t i = 0; i < x.size(); i++) r[i] = std::sin(x[i]) * x[(i + 1) % x.size()];
  return r;
}
static Vec copy_of(const Vec &x) { return x; }

struct Five {
  double a, b, c, d, e;
};
static Five spread(double x, double y) {
  return Five{x * y, std::exp(x), y * y * y, x / y, std::cos(x * y)};
}

double g_scale = 2.0;
struct Model {
  static double bias;
};
double Model::bias = 1.0;
static double with_globals(double x) { return g_scale * x * x + Model::bias * std::sin(x); }
// Contexts live until the program ends (there is no call to free one).
static void *contexts[2];

int main() {
  const Vec x{0.3, -1.2, 0.8, 2.1};
  const Vec dx{1.0, 0.5, -2.0, 0.25};
  const size_t n = x.size();

  // Duplicated<Vec> return: {primal, tangent}.
  auto both = enzyme::autodiff<enzyme::Forward, enzyme::Duplicated<Vec>>(
      wave, enzyme::Duplicated<const Vec &>(x, dx));
  const Vec &p = enzyme::get<0>(both), &t = enzyme::get<1>(both);
  const Vec want = wave(x);
  CHECK_TRUE("Duplicated<vector> return: sizes", p.size() == n && t.size() == n);
  for (size_t i = 0; i < n; i++) {
    double h = 1e-6;
    Vec xp = x, xm = x;
    for (size_t k = 0; k < n; k++) {
      xp[k] += h * dx[k];
      xm[k] -= h * dx[k];
    }
    double fd = (wave(xp)[i] - wave(xm)[i]) / (2 * h);
    CHECK_CLOSE("Duplicated<vector> return: primal", p[i], want[i], RTOL_D, ATOL_D);
    CHECK_CLOSE("Duplicated<vector> return: tangent vs FD", t[i], fd, RTOL_FD, ATOL_FD);
  }

  // DuplicatedNoNeed<Vec> return: the tangent alone.
  Vec t2 = enzyme::get<0>(enzyme::autodiff<enzyme::Forward, enzyme::DuplicatedNoNeed<Vec>>(
      wave, enzyme::Duplicated<const Vec &>(x, dx)));
  CHECK_TRUE("DuplicatedNoNeed<vector> return: size", t2.size() == n);
  for (size_t i = 0; i < n; i++)
    CHECK_CLOSE("DuplicatedNoNeed<vector> return = Duplicated's tangent", t2[i], t[i], RTOL_D,
                ATOL_D);

  // A copy (the copy constructor's memmove carries the tangent).
  Vec t3 = enzyme::get<0>(enzyme::autodiff<enzyme::Forward, enzyme::DuplicatedNoNeed<Vec>>(
      copy_of, enzyme::Duplicated<const Vec &>(x, dx)));
  for (size_t i = 0; i < n; i++)
    CHECK_CLOSE("copied vector: tangent is the seed", t3[i], dx[i], RTOL_D, ATOL_D);

  // A struct returned by value: analytic tangents in direction (1, 0) and (0, 1).
  double a = 0.7, b = 1.9;
  auto sx = enzyme::autodiff<enzyme::Forward, enzyme::Duplicated<Five>>(
      spread, enzyme::Duplicated<double>(a, 1.0), enzyme::Duplicated<double>(b, 0.0));
  Five fp = enzyme::get<0>(sx), fx = enzyme::get<1>(sx);
  CHECK_CLOSE("struct return: primal", fp.e, std::cos(a * b), RTOL_D, ATOL_D);
  CHECK_CLOSE("struct return: d a/dx", fx.a, b, RTOL_D, ATOL_D);
  CHECK_CLOSE("struct return: d b/dx", fx.b, std::exp(a), RTOL_D, ATOL_D);
  CHECK_CLOSE("struct return: d c/dx", fx.c, 0.0, RTOL_D, ATOL_D);
  CHECK_CLOSE("struct return: d d/dx", fx.d, 1 / b, RTOL_D, ATOL_D);
  CHECK_CLOSE("struct return: d e/dx", fx.e, -std::sin(a * b) * b, RTOL_D, ATOL_D);
  Five fy = enzyme::get<0>(enzyme::autodiff<enzyme::Forward, enzyme::DuplicatedNoNeed<Five>>(
      spread, enzyme::Duplicated<double>(a, 0.0), enzyme::Duplicated<double>(b, 1.0)));
  CHECK_CLOSE("struct return: d c/dy", fy.c, 3 * b * b, RTOL_D, ATOL_D);
  CHECK_CLOSE("struct return: d d/dy", fy.d, -a / (b * b), RTOL_D, ATOL_D);
  Five fc = enzyme::get<0>(enzyme::autodiff<enzyme::Forward, enzyme::Const<Five>>(
      spread, enzyme::Duplicated<double>(a, 1.0), enzyme::Duplicated<double>(b, 0.0)));
  CHECK_CLOSE("struct return, Const: the primal", fc.d, a / b, RTOL_D, ATOL_D);

  // A captureless lambda, converted to a function pointer.
  auto sq = [](double v) { return v * v * v; };
  double dl = enzyme::get<0>(enzyme::get<0>(enzyme::autodiff<enzyme::Reverse>(
      +sq, enzyme::Active<double>(1.5))));
  CHECK_CLOSE("+lambda, reverse", dl, 3 * 1.5 * 1.5, RTOL_D, ATOL_D);
  double tl = enzyme::get<0>(
      enzyme::autodiff<enzyme::Forward>(+sq, enzyme::Duplicated<double>(1.5, 2.0)));
  CHECK_CLOSE("+lambda, forward", tl, 2 * 3 * 1.5 * 1.5, RTOL_D, ATOL_D);

  // Shadows of globals in a context.
  enzyme::context ctx;
  contexts[0] = ctx.handle;
  double *dscale = enzyme::shadow(ctx, g_scale);
  double *doffset = enzyme::shadow(ctx, Model::bias);
  double v = 0.9;
  enzyme::zero_shadows(ctx);
  double dv = enzyme::get<0>(enzyme::get<0>(
      enzyme::autodiff<enzyme::Reverse>(ctx, with_globals, enzyme::Active<double>(v))));
  CHECK_CLOSE("context, reverse: d/dx", dv, 2 * g_scale * v + Model::bias * std::cos(v),
              RTOL_D, ATOL_D);
  CHECK_CLOSE("context, reverse: adjoint of a global", *dscale, v * v, RTOL_D, ATOL_D);
  CHECK_CLOSE("context, reverse: adjoint of a static member", *doffset, std::sin(v), RTOL_D,
              ATOL_D);
  enzyme::zero_shadows(ctx);
  *doffset = 1.0;
  double tv = enzyme::get<0>(enzyme::autodiff<enzyme::Forward>(
      ctx, with_globals, enzyme::Duplicated<double>(v, 0.0)));
  CHECK_CLOSE("context, forward: tangent seeded in a global's shadow", tv, std::sin(v), RTOL_D,
              ATOL_D);
  enzyme::context other(1);
  contexts[1] = other.handle;
  enzyme::autodiff<enzyme::Reverse>(other, with_globals, enzyme::Active<double>(v));
  CHECK_CLOSE("a second context has its own shadows", *enzyme::shadow(other, g_scale), v * v,
              RTOL_D, ATOL_D);
  CHECK_CLOSE("... and leaves the first one alone", *dscale, 0.0, RTOL_D, ATOL_D);
  return check_report();
}
