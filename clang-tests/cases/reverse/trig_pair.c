// sin and cos of the same argument in the same block (a rotation): the reverse sweep takes each
// one's partial from the other's primal value (taped) instead of calling the other function
// again. Variants, each checked against the analytic gradient and central finite differences:
//   rotate   x_i rotated by angle t_i (both values used, both partials through the pair),
//   only_sin cos(t) computed but used only through a product with sin(t) (both active),
//   split    sin and cos of the same argument in different blocks (no pairing: each partial
//            calls the other function),
//   polar    a loop the vectorizer widens (vector sin/cos of the same vector argument),
//   float    sinf/cosf of a float argument next to a double pair of another argument.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define N 13

__attribute__((noinline)) double rotate(const double *t, const double *x, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    double c = cos(t[i]), sn = sin(t[i]);
    double u = c * x[i] - sn * x[(i + 1) % n];
    double v = sn * x[i] + c * x[(i + 1) % n];
    s += u * u * (1.0 + 0.1 * i) + 0.5 * v;
  }
  return s;
}

__attribute__((noinline)) double only_sin(const double *t, long n) {
  double s = 0;
  for (long i = 0; i < n; i++)
    s += sin(t[i]) * cos(t[i]); // sin(2t)/2
  return s;
}

__attribute__((noinline)) double split(const double *t, long n, int k) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    double a = sin(t[i]);
    if (i % k == 0)
      a += 2.0 * cos(t[i]);
    s += a * t[i];
  }
  return s;
}

__attribute__((noinline)) double polar(const double *restrict r, const double *restrict t, double *restrict xy,
                                       long n) {
  for (long i = 0; i < n; i++) {
    xy[2 * i] = r[i] * cos(t[i]);
    xy[2 * i + 1] = r[i] * sin(t[i]);
  }
  double s = 0;
  for (long i = 0; i < n; i++)
    s += xy[2 * i] * xy[2 * i] * (1.0 + i) + xy[2 * i + 1];
  return s;
}

__attribute__((noinline)) double mixed(const double *t, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    float f = (float)t[i];
    double g = 0.5 * t[i];
    s += (double)(sinf(f) * cosf(f)) + sin(g) * 3.0 - cos(g);
  }
  return s;
}

static double f_rotate(const double *v, const void *c) {
  (void)c;
  return rotate(v, v + N, N);
}
static double f_only_sin(const double *v, const void *c) {
  (void)c;
  return only_sin(v, N);
}
static double f_split(const double *v, const void *c) {
  (void)c;
  return split(v, N, 3);
}
static double f_polar(const double *v, const void *c) {
  (void)c;
  double xy[2 * N];
  return polar(v, v + N, xy, N);
}

int main(void) {
  double v[2 * N], g[2 * N], want[2 * N];
  unsigned seed = 11;
  for (int i = 0; i < 2 * N; i++)
    v[i] = 2.0 * prand(&seed);

  // rotate: analytic
  memset(g, 0, sizeof g);
  __enzyme_autodiff((void *)rotate, enzyme_dup, v, g, enzyme_dup, v + N, g + N, enzyme_const, (long)N);
  memset(want, 0, sizeof want);
  for (int i = 0; i < N; i++) {
    int j = (i + 1) % N;
    double t = v[i], x0 = v[N + i], x1 = v[N + j], c = cos(t), sn = sin(t);
    double u = c * x0 - sn * x1, w = 1.0 + 0.1 * i;
    double du = 2.0 * u * w, dv = 0.5;
    want[i] += du * (-sn * x0 - c * x1) + dv * (c * x0 - sn * x1);
    want[N + i] += du * c + dv * sn;
    want[N + j] += du * (-sn) + dv * c;
  }
  CHECK_ARRAY_CLOSE("rotate vs analytic", g, want, 2 * N, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("rotate", f_rotate, 0, v, 2 * N, g, RTOL_FD, ATOL_FD);

  // only_sin: d/dt sin t cos t = cos 2t
  memset(g, 0, sizeof g);
  __enzyme_autodiff((void *)only_sin, enzyme_dup, v, g, enzyme_const, (long)N);
  for (int i = 0; i < N; i++)
    want[i] = cos(2.0 * v[i]);
  CHECK_ARRAY_CLOSE("only_sin vs analytic", g, want, N, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("only_sin", f_only_sin, 0, v, N, g, RTOL_FD, ATOL_FD);

  // split
  memset(g, 0, sizeof g);
  __enzyme_autodiff((void *)split, enzyme_dup, v, g, enzyme_const, (long)N, enzyme_const, 3);
  for (int i = 0; i < N; i++) {
    double t = v[i], a = sin(t), da = cos(t);
    if (i % 3 == 0) {
      a += 2.0 * cos(t);
      da -= 2.0 * sin(t);
    }
    want[i] = da * t + a;
  }
  CHECK_ARRAY_CLOSE("split vs analytic", g, want, N, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("split", f_split, 0, v, N, g, RTOL_FD, ATOL_FD);

  // polar: r = v[0..N), t = v[N..2N)
  {
    double xy[2 * N], dxy[2 * N];
    memset(g, 0, sizeof g);
    memset(dxy, 0, sizeof dxy);
    __enzyme_autodiff((void *)polar, enzyme_dup, v, g, enzyme_dup, v + N, g + N, enzyme_dup, xy, dxy,
                      enzyme_const, (long)N);
    for (int i = 0; i < N; i++) {
      double r = v[i], t = v[N + i], x = r * cos(t);
      double dx = 2.0 * x * (1.0 + i), dy = 1.0;
      want[i] = dx * cos(t) + dy * sin(t);
      want[N + i] = dx * (-r * sin(t)) + dy * r * cos(t);
    }
    CHECK_ARRAY_CLOSE("polar vs analytic", g, want, 2 * N, RTOL_D, ATOL_D);
    CHECK_GRAD_FD("polar", f_polar, 0, v, 2 * N, g, RTOL_FD, ATOL_FD);
  }

  // mixed float/double pairs
  memset(g, 0, sizeof g);
  __enzyme_autodiff((void *)mixed, enzyme_dup, v, g, enzyme_const, (long)N);
  for (int i = 0; i < N; i++) {
    float f = (float)v[i];
    double gg = 0.5 * v[i];
    want[i] = (double)(cosf(f) * cosf(f) - sinf(f) * sinf(f)) + 0.5 * (3.0 * cos(gg) + sin(gg));
  }
  CHECK_ARRAY_CLOSE("mixed vs analytic", g, want, N, RTOL_F, ATOL_F);
  return check_report();
}
