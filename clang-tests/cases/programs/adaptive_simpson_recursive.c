// Recursive adaptive Simpson quadrature, the textbook routine users differentiate to get
// sensitivities of an integral: `asr(f, ctx, a, b, eps, whole, fa, fm, fb, depth)` recursing on
// halves until |left + right - whole| <= 15 eps (or a depth limit), with the integrand called
// through a function pointer and a context struct. Two integrands: a damped oscillator energy
// with parameters in the context, and a log-barrier with a branch. The user wants the derivative
// of the integral with respect to the integrand's parameters and the limits; reverse and
// forward mode, checked against the analytic integral's derivative where there is one
// (Leibniz rule for the limits) and central differences.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: analytic derivatives of
// a closed-form integral, Leibniz rule, central differences, forward vs reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef double (*integrand)(const double *ctx, double x);

static double damped(const double *c, double x) { return c[0] * exp(-c[1] * x) * sin(c[2] * x) + c[3] * x * x; }
static double barrier(const double *c, double x) {
  double g = c[0] - x * x;
  /* a C1 continuation of -log below g = 0.05 (a jump here would make the computed integral's
     derivative differ from the true one's: the samples around a jump move with the limits) */
  if (g > 0.05) return -log(g) + c[1] * x;
  return -log(0.05) + (0.05 - g) / 0.05 + c[1] * x;
}

static double simpson(double a, double b, double fa, double fm, double fb) { return (b - a) / 6.0 * (fa + 4 * fm + fb); }

static double asr(integrand f, const double *ctx, double a, double b, double eps, double whole, double fa, double fm,
                  double fb, int depth) {
  double m = 0.5 * (a + b), lm = 0.5 * (a + m), rm = 0.5 * (m + b);
  double flm = f(ctx, lm), frm = f(ctx, rm);
  double left = simpson(a, m, fa, flm, fm), right = simpson(m, b, fm, frm, fb);
  double delta = left + right - whole;
  if (depth <= 0 || fabs(delta) <= 15 * eps) return left + right + delta / 15.0;
  return asr(f, ctx, a, m, 0.5 * eps, left, fa, flm, fm, depth - 1) +
         asr(f, ctx, m, b, 0.5 * eps, right, fm, frm, fb, depth - 1);
}

double integrate(integrand f, const double *ctx, double a, double b) {
  double fa = f(ctx, a), fb = f(ctx, b), fm = f(ctx, 0.5 * (a + b));
  return asr(f, ctx, a, b, 1e-10, simpson(a, b, fa, fm, fb), fa, fm, fb, 30);
}

static double I_damped(const double *c, double a, double b) { return integrate(damped, c, a, b); }
static double I_barrier(const double *c, double a, double b) { return integrate(barrier, c, a, b); }

/* the closed form of int_a^b c3 x^2 + c0 e^{-c1 x} sin(c2 x) dx for the analytic checks */
static double closed(const double *c, double a, double b) {
  double k = c[1], w = c[2];
  double F_b = c[0] * exp(-k * b) * (-k * sin(w * b) - w * cos(w * b)) / (k * k + w * w);
  double F_a = c[0] * exp(-k * a) * (-k * sin(w * a) - w * cos(w * a)) / (k * k + w * w);
  return F_b - F_a + c[3] * (b * b * b - a * a * a) / 3.0;
}

typedef struct { double da, db; } Lims;

int main(void) {
  double c[4] = {1.3, 0.7, 4.0, 0.2}, a = 0.1, b = 2.5;
  CHECK_CLOSE("the quadrature is accurate", I_damped(c, a, b), closed(c, a, b), 1e-9, 1e-11);
  double dc[4] = {0};
  Lims dl = {0, 0};
  /* two active scalars: the derivatives come back as a struct */
  Lims (*ad2)(void *, ...) = (Lims(*)(void *, ...))__enzyme_autodiff;
  dl = ad2((void *)I_damped, enzyme_dup, c, dc, a, b);
  CHECK_CLOSE("d/da = -f(a) (Leibniz)", dl.da, -damped(c, a), 1e-6, 1e-9);
  CHECK_CLOSE("d/db = f(b) (Leibniz)", dl.db, damped(c, b), 1e-6, 1e-9);
  for (int i = 0; i < 4; i++) {
    double want = FD_AT(c[i], 1e-6, closed(c, a, b));
    CHECK_CLOSE("dI/dc vs the closed form", dc[i], want, 1e-6, 1e-9);
  }
  double tc[4] = {0.5, -0.2, 0.1, 1.0};
  double t = __enzyme_fwddiff((void *)I_damped, enzyme_dup, c, tc, a, 1.0, b, -0.5);
  CHECK_CLOSE("forward vs reverse", t, dotv(tc, dc, 4) + dl.da - 0.5 * dl.db, 1e-10, 1e-12);

  double cb[2] = {1.0, 0.3}, dcb[2] = {0};
  double ab = -0.8, bb = 1.2;
  Lims dlb = ad2((void *)I_barrier, enzyme_dup, cb, dcb, ab, bb);
  CHECK_CLOSE("barrier d/da", dlb.da, -barrier(cb, ab), 1e-6, 1e-9);
  CHECK_CLOSE("barrier d/db", dlb.db, barrier(cb, bb), 1e-6, 1e-9);
  CHECK_ARRAY_FD("barrier dI/dc", cb, 2, dcb, 1e-6, I_barrier(cb, ab, bb), 1e-5, 1e-8);
  return check_report();
}
