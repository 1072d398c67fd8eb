// C99 math in f64 and f32, forward and reverse, against central differences.
#include "check.h"
extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodiff_f(void *, float) __asm__("__enzyme_autodiff");
float __enzyme_fwddiff_f(void *, float, float) __asm__("__enzyme_fwddiff");

static double f_frexp(double x) { int e; double m = frexp(x, &e); return m * m * e + m; }
static double f_modf(double x) { double ip; double fr = modf(x, &ip); return fr * fr * 3 + ip * x; }
static double f_ldexp(double x) { return ldexp(x * x, 3) + scalbn(x, -2) + scalbln(x, 1); }
static double f_remquo(double x) { int q; double r = remquo(x, 0.7, &q); return r * r + q * x; }
static double f_lgamma(double x) { return lgamma(x) * x; }
static double f_tgamma(double x) { return tgamma(x) + x; }
static double f_bessel(double x) { return j0(x) + 2 * j1(x) + jn(3, x) + y0(x) + y1(x) * 0.5 + yn(2, x); }
static double f_erf(double x) { return erf(x) * erfc(x * 0.5) + cbrt(x) ; }
static double f_next(double x) { return nextafter(x, 10.0) * x + fdim(x, 0.3) + logb(x) * x + ilogb(x); }
static double f_misc(double x) { return hypot(x, 2.0) + expm1(x) + log1p(x) + log2(x) + exp2(x) + atanh(x / 4) + asinh(x) + acosh(x + 1.5) + fma(x, x, x) + fmod(x, 0.4) + remainder(x, 0.3); }
static double f_trig(double x) { return atan2(x, 0.3) + sinh(x) * cosh(x) / tanh(x + 1) + pow(x, 2.5) + log10(x) + trunc(x) * x + round(x) + nearbyint(x) * x + rint(x) + lround(x); }

static float g_frexp(float x) { int e; float m = frexpf(x, &e); return m * m * e + m; }
static float g_modf(float x) { float ip; float fr = modff(x, &ip); return fr * fr * 3 + ip * x; }
static float g_ldexp(float x) { return ldexpf(x * x, 3) + scalbnf(x, -2); }
static float g_remquo(float x) { int q; float r = remquof(x, 0.7f, &q); return r * r + q * x; }
static float g_lgamma(float x) { return lgammaf(x) * x; }
static float g_tgamma(float x) { return tgammaf(x) + x; }
static float g_erf(float x) { return erff(x) * erfcf(x * 0.5f) + cbrtf(x); }
static float g_next(float x) { return nextafterf(x, 10.0f) * x + fdimf(x, 0.3f) + logbf(x) * x; }
static float g_misc(float x) { return hypotf(x, 2.0f) + expm1f(x) + log1pf(x) + log2f(x) + exp2f(x) + asinhf(x) + fmaf(x, x, x) + fmodf(x, 0.4f); }
static float g_bessel(float x) { return j0f(x) + j1f(x) + jnf(2, x) + y0f(x) + y1f(x) + ynf(2, x); }

typedef double (*F)(double);
typedef float (*G)(float);
struct { const char *n; F f; } fs[] = {{"frexp", f_frexp}, {"modf", f_modf}, {"ldexp", f_ldexp}, {"remquo", f_remquo},
  {"lgamma", f_lgamma}, {"tgamma", f_tgamma}, {"bessel", f_bessel}, {"erf", f_erf}, {"next", f_next}, {"misc", f_misc}, {"trig", f_trig}};
struct { const char *n; G f; } gs[] = {{"frexpf", g_frexp}, {"modff", g_modf}, {"ldexpf", g_ldexp}, {"remquof", g_remquo},
  {"lgammaf", g_lgamma}, {"tgammaf", g_tgamma}, {"erff", g_erf}, {"nextf", g_next}, {"miscf", g_misc}, {"besself", g_bessel}};

#define D(name, fn) \
  static double rd_##fn(double x) { return __enzyme_autodiff((void *)fn, x); } \
  static double fd_##fn(double x) { return __enzyme_fwddiff((void *)fn, x, 1.0); }
#define DF(name, fn) \
  static float rd_##fn(float x) { return __enzyme_autodiff_f((void *)fn, x); } \
  static float fd_##fn(float x) { return __enzyme_fwddiff_f((void *)fn, x, 1.0f); }
D(0, f_frexp) D(0, f_modf) D(0, f_ldexp) D(0, f_remquo) D(0, f_lgamma) D(0, f_tgamma) D(0, f_bessel) D(0, f_erf) D(0, f_next) D(0, f_misc) D(0, f_trig)
DF(0, g_frexp) DF(0, g_modf) DF(0, g_ldexp) DF(0, g_remquo) DF(0, g_lgamma) DF(0, g_tgamma) DF(0, g_erf) DF(0, g_next) DF(0, g_misc) DF(0, g_bessel)
F rds[] = {rd_f_frexp, rd_f_modf, rd_f_ldexp, rd_f_remquo, rd_f_lgamma, rd_f_tgamma, rd_f_bessel, rd_f_erf, rd_f_next, rd_f_misc, rd_f_trig};
F fds[] = {fd_f_frexp, fd_f_modf, fd_f_ldexp, fd_f_remquo, fd_f_lgamma, fd_f_tgamma, fd_f_bessel, fd_f_erf, fd_f_next, fd_f_misc, fd_f_trig};
G rgs[] = {rd_g_frexp, rd_g_modf, rd_g_ldexp, rd_g_remquo, rd_g_lgamma, rd_g_tgamma, rd_g_erf, rd_g_next, rd_g_misc, rd_g_bessel};
G fgs[] = {fd_g_frexp, fd_g_modf, fd_g_ldexp, fd_g_remquo, fd_g_lgamma, fd_g_tgamma, fd_g_erf, fd_g_next, fd_g_misc, fd_g_bessel};

int main(void) {
  const double xs[] = {0.37, 1.83, 2.61, 3.3};
  for (unsigned i = 0; i < sizeof fs / sizeof *fs; i++)
    for (unsigned k = 0; k < 4; k++) {
      double x = xs[k], want = fd1(fs[i].f, x);
      CHECK_CLOSE_AT(fs[i].n, x, rds[i](x), want, 1e-5, 1e-6);
      CHECK_CLOSE_AT(fs[i].n, x, fds[i](x), want, 1e-5, 1e-6);
    }
  for (unsigned i = 0; i < sizeof gs / sizeof *gs; i++)
    for (unsigned k = 0; k < 4; k++) {
      float x = (float)xs[k];
      double want = fd1f(gs[i].f, x);
      CHECK_CLOSE_AT(gs[i].n, x, rgs[i](x), want, 5e-3, 5e-3);
      CHECK_CLOSE_AT(gs[i].n, x, fgs[i](x), want, 5e-3, 5e-3);
    }
  return check_report();
}
