// A result stored through an output pointer at the end of the function (`*err = f`, the ADBench
// style): without `restrict` the output may alias the inputs, so a reread in the reverse sweep
// of an input load would see the stored result. ferment performs such trailing stores at the
// end of the reverse sweep instead (so inputs are read again rather than taped); these cases
// check that the result and the gradient stay right when the output DOES alias an input:
//   sum_sin   f = sum_i x_i sin(x_i) stored into out: out apart, and out = &x[2] (the store
//             overwrites an input the reverse sweep needs),
//   two_outs  two trailing stores to the same place (the last one must win) and to an input,
//   reread    a load between the stores reads what the first one wrote (only the second may move),
//   scratch   a malloc'd scratch buffer freed after the store (the free moves to the reverse sweep),
//   scale     *out = *out * f: the reverse sweep needs the old *out, read before the store.
// Oracles: the analytic gradient with the ORIGINAL inputs, central finite differences of a
// wrapper that runs the function on a copy, and the memory the function leaves.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
extern int enzyme_dup, enzyme_const;

#define N 7

void sum_sin(int n, const double *x, double *out) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += x[i] * sin(x[i]);
  *out = s;
}

void two_outs(int n, const double *x, double *a, double *b) {
  double s = 0.0, p = 1.0;
  for (int i = 0; i < n; i++) {
    s += x[i] * x[i] * x[i];
    p *= 1.0 + 0.1 * x[i];
  }
  *a = s;
  *b = p;
}

void reread(int n, double *x, double *out) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += cos(x[i]) * x[i];
  *out = s;
  double t = x[0]; // out may be &x[0]: reads s then
  out[1] = t * s;
}

void scratch(int n, const double *x, double *out) {
  double *y = malloc(sizeof(double) * n);
  for (int i = 0; i < n; i++)
    y[i] = exp(0.3 * x[i]);
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += y[i] * x[i];
  *out = s;
  free(y);
}

void scale(int n, const double *x, double *out) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += x[i] * sin(x[i]);
  *out = *out * s;
}

static double d_sum_sin(double v) { return sin(v) + v * cos(v); }

// finite-difference wrappers: the result the function leaves in *out, run on a copy
static double fd_sum_sin_alias(const double *x) {
  double c[N];
  memcpy(c, x, sizeof c);
  sum_sin(N, c, &c[2]);
  return c[2];
}
static double fd_reread_alias(const double *x) {
  double c[N];
  memcpy(c, x, sizeof c);
  reread(N, c, &c[0]);
  return c[1]; // = x_0' * s with x_0' = s: s^2
}

int main(void) {
  double x[N], x0[N], dx[N];
  unsigned seed = 11;
  for (int i = 0; i < N; i++)
    x0[i] = 0.2 + prand(&seed);

  // sum_sin, out apart
  {
    double out = 0.0, dout = 1.0;
    memcpy(x, x0, sizeof x);
    memset(dx, 0, sizeof dx);
    __enzyme_autodiff((void *)sum_sin, enzyme_const, N, enzyme_dup, x, dx, enzyme_dup, &out, &dout);
    double s = 0.0;
    for (int i = 0; i < N; i++) {
      s += x0[i] * sin(x0[i]);
      CHECK_CLOSE("sum_sin dx", dx[i], d_sum_sin(x0[i]), RTOL_D, 1e-14);
    }
    CHECK_CLOSE("sum_sin result", out, s, RTOL_D, 0.0);
    CHECK_CLOSE("sum_sin dout consumed", dout, 0.0, 0.0, 0.0);
  }
  // sum_sin, out = &x[2]: the gradient uses the original x[2]
  {
    memcpy(x, x0, sizeof x);
    memset(dx, 0, sizeof dx);
    dx[2] = 1.0; // the seed of the result, which lives in x[2]
    __enzyme_autodiff((void *)sum_sin, enzyme_const, N, enzyme_dup, x, dx, enzyme_dup, &x[2], &dx[2]);
    double s = 0.0;
    for (int i = 0; i < N; i++)
      s += x0[i] * sin(x0[i]);
    CHECK_CLOSE("sum_sin aliased result", x[2], s, RTOL_D, 0.0);
    for (int i = 0; i < N; i++) {
      CHECK_CLOSE("sum_sin aliased dx", dx[i], d_sum_sin(x0[i]), RTOL_D, 1e-14);
      CHECK_CLOSE("sum_sin aliased dx vs FD", dx[i], fdv(fd_sum_sin_alias, x0, N, i), RTOL_FD, 1e-8);
    }
  }
  // two_outs: a = b = &x[4] (b's store wins), gradient of the value left there, p
  {
    memcpy(x, x0, sizeof x);
    memset(dx, 0, sizeof dx);
    dx[4] = 1.0;
    __enzyme_autodiff((void *)two_outs, enzyme_const, N, enzyme_dup, x, dx, enzyme_dup, &x[4], &dx[4],
                      enzyme_dup, &x[4], &dx[4]);
    double p = 1.0;
    for (int i = 0; i < N; i++)
      p *= 1.0 + 0.1 * x0[i];
    CHECK_CLOSE("two_outs result", x[4], p, RTOL_D, 0.0);
    for (int i = 0; i < N; i++)
      CHECK_CLOSE("two_outs dx", dx[i], p * 0.1 / (1.0 + 0.1 * x0[i]), RTOL_D, 1e-14);
  }
  // two_outs apart: a = &x[1] only, b separate: d(b) / dx with a's store into x[1]
  {
    double b = 0.0, db = 1.0;
    memcpy(x, x0, sizeof x);
    memset(dx, 0, sizeof dx);
    __enzyme_autodiff((void *)two_outs, enzyme_const, N, enzyme_dup, x, dx, enzyme_dup, &x[1], &dx[1],
                      enzyme_dup, &b, &db);
    double p = 1.0, s = 0.0;
    for (int i = 0; i < N; i++) {
      p *= 1.0 + 0.1 * x0[i];
      s += x0[i] * x0[i] * x0[i];
    }
    CHECK_CLOSE("two_outs a", x[1], s, RTOL_D, 0.0);
    CHECK_CLOSE("two_outs b", b, p, RTOL_D, 0.0);
    for (int i = 0; i < N; i++)
      CHECK_CLOSE("two_outs b dx", dx[i], p * 0.1 / (1.0 + 0.1 * x0[i]), RTOL_D, 1e-14);
  }
  // reread: out = &x[0]; out[1] = x[0] after the store = s^2
  {
    memcpy(x, x0, sizeof x);
    memset(dx, 0, sizeof dx);
    dx[1] = 1.0; // seed of out[1]
    __enzyme_autodiff((void *)reread, enzyme_const, N, enzyme_dup, x, dx, enzyme_dup, &x[0], &dx[0]);
    double s = 0.0;
    for (int i = 0; i < N; i++)
      s += cos(x0[i]) * x0[i];
    CHECK_CLOSE("reread out[0]", x[0], s, RTOL_D, 0.0);
    CHECK_CLOSE("reread out[1]", x[1], s * s, RTOL_D, 0.0);
    for (int i = 0; i < N; i++) {
      double want = 2.0 * s * (cos(x0[i]) - x0[i] * sin(x0[i]));
      CHECK_CLOSE("reread dx", dx[i], want, 1e-9, 1e-12);
      CHECK_CLOSE("reread dx vs FD", dx[i], fdv(fd_reread_alias, x0, N, i), RTOL_FD, 1e-8);
    }
  }
  // scratch: out = &x[3]
  {
    memcpy(x, x0, sizeof x);
    memset(dx, 0, sizeof dx);
    dx[3] = 1.0;
    __enzyme_autodiff((void *)scratch, enzyme_const, N, enzyme_dup, x, dx, enzyme_dup, &x[3], &dx[3]);
    double s = 0.0;
    for (int i = 0; i < N; i++)
      s += exp(0.3 * x0[i]) * x0[i];
    CHECK_CLOSE("scratch result", x[3], s, RTOL_D, 0.0);
    for (int i = 0; i < N; i++)
      CHECK_CLOSE("scratch dx", dx[i], exp(0.3 * x0[i]) * (1.0 + 0.3 * x0[i]), RTOL_D, 1e-14);
  }
  // scale: out = &x[1], result x1 * s(x) with the original x1
  {
    memcpy(x, x0, sizeof x);
    memset(dx, 0, sizeof dx);
    dx[1] = 1.0;
    __enzyme_autodiff((void *)scale, enzyme_const, N, enzyme_dup, x, dx, enzyme_dup, &x[1], &dx[1]);
    double s = 0.0;
    for (int i = 0; i < N; i++)
      s += x0[i] * sin(x0[i]);
    CHECK_CLOSE("scale result", x[1], x0[1] * s, RTOL_D, 0.0);
    for (int i = 0; i < N; i++)
      CHECK_CLOSE("scale dx", dx[i], x0[1] * d_sum_sin(x0[i]) + (i == 1 ? s : 0.0), RTOL_D, 1e-14);
  }
  return check_report();
}
