// Regression (fuzzer, omp variant, seed 17; rejected at -O2 only): an array element written by a
// memcpy on one branch and by a double store on the other. At -O2 LLVM merges the two into one
// `store i64` of `phi i64 [load i64 <source>], [bitcast double <value> to i64]`, which ferment
// refused as a reinterpretation of an active double's bits. The phi only carries the double, so
// it is now a phi of doubles. The copied array is enzyme_const in one request and duplicated in
// the other (its derivative then flows through the copy). Oracles: central finite differences
// of J = f + sum w_i y_i in s and every y_i (and c_i), forward against reverse.
#include "check.h"

#define N 4
extern int enzyme_const, enzyme_dup, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static const double tbl[N] = {0.5, -0.25, 1.5, 0.75};

double f(const double *c, double *y, double s) {
  if (s > 0.0)
    memcpy(y, c, N * sizeof(double));
  else
    y[0] = 0.5 * y[0] + 0.7 * cos(s * y[1]);
  memcpy(y + 1, tbl, (N - 1) * sizeof(double));
  return y[N - 1] * s + sin(s);
}

static double weight(int i) { return 0.5 + 0.25 * i; }

static double J(const double *c, const double *y0, double s) {
  double y[N];
  memcpy(y, y0, sizeof y);
  double r = f(c, y, s);
  for (int i = 0; i < N; i++)
    r += weight(i) * y[i];
  return r;
}

static void check(double s) {
  char what[160];
  const double c0[N] = {0.3, -0.7, 0.9, 0.1};
  double c[N], dc[N], y0[N], y[N], dy[N], ty[N], tc[N], v[N], u[N];
  for (int i = 0; i < N; i++) {
    y0[i] = 0.2 + 0.13 * i;
    v[i] = 0.3 - 0.11 * i;
    u[i] = -0.2 + 0.17 * i;
  }
  const double h = 1e-6;
  for (int dup = 0; dup < 2; dup++) {
    memcpy(c, c0, sizeof c);
    memcpy(y, y0, sizeof y);
    for (int i = 0; i < N; i++) {
      dy[i] = weight(i);
      dc[i] = 0.0;
    }
    double gs = dup ? __enzyme_autodiff((void *)f, enzyme_dup, c, dc, enzyme_dup, y, dy, enzyme_out, s)
                    : __enzyme_autodiff((void *)f, enzyme_const, c, enzyme_dup, y, dy, enzyme_out, s);
    double fds = (J(c0, y0, s + h) - J(c0, y0, s - h)) / (2 * h);
    snprintf(what, sizeof what, "reverse dJ/ds, s = %g, dup %d", s, dup);
    CHECK_CLOSE(what, gs, fds, 1e-6, 1e-8);
    double dot = gs;
    for (int i = 0; i < N; i++) {
      double p[N], m[N];
      memcpy(p, y0, sizeof p);
      memcpy(m, y0, sizeof m);
      p[i] += h;
      m[i] -= h;
      snprintf(what, sizeof what, "reverse dJ/dy[%d], s = %g, dup %d", i, s, dup);
      CHECK_CLOSE(what, dy[i], (J(c0, p, s) - J(c0, m, s)) / (2 * h), 1e-6, 1e-8);
      dot += v[i] * dy[i];
      if (dup) {
        memcpy(p, c0, sizeof p);
        memcpy(m, c0, sizeof m);
        p[i] += h;
        m[i] -= h;
        snprintf(what, sizeof what, "reverse dJ/dc[%d], s = %g", i, s);
        CHECK_CLOSE(what, dc[i], (J(p, y0, s) - J(m, y0, s)) / (2 * h), 1e-6, 1e-8);
        dot += u[i] * dc[i];
      }
      snprintf(what, sizeof what, "constant array unchanged [%d], s = %g, dup %d", i, s, dup);
      CHECK_CLOSE(what, c[i], c0[i], 0.0, 0.0);
    }
    // forward along (u on c when duplicated, v on y, 1 on s) against the reverse gradient
    memcpy(y, y0, sizeof y);
    memcpy(ty, v, sizeof ty);
    memcpy(tc, u, sizeof tc);
    double tr = dup ? __enzyme_fwddiff((void *)f, enzyme_dup, c, tc, enzyme_dup, y, ty, enzyme_dup, s, 1.0)
                    : __enzyme_fwddiff((void *)f, enzyme_const, c, enzyme_dup, y, ty, enzyme_dup, s, 1.0);
    for (int i = 0; i < N; i++)
      tr += weight(i) * ty[i];
    snprintf(what, sizeof what, "forward vs reverse, s = %g, dup %d", s, dup);
    CHECK_CLOSE(what, tr, dot, 1e-9, 1e-12);
  }
}

int main(void) {
  check(0.8);
  check(-0.6);
  return check_report();
}
