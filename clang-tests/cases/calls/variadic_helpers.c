// Variadic helpers whose `...` carry active values, called from the differentiated function:
// va_arg of doubles in a loop over a count (constant and run-time), a format string that picks
// the type of each argument (double, int, a double* read through), a va_list handed to a
// v-helper, va_copy for a second pass, a struct of two doubles and one of three doubles (byval)
// through va_arg, and a vsnprintf log line beside the math. Reverse mode (every input) and
// forward mode (each direction) against central finite differences.
// variadic_helpers_noinline.c runs the same program with -ferment-no-inline.
// RUN: clang opt
#include <stdarg.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_const, enzyme_dup;

typedef struct {
  double re, im;
} Pair;
typedef struct {
  double v[3];
} Vec3;

/* weighted sum of n doubles */
static double wsum(int n, ...) {
  va_list ap;
  va_start(ap, n);
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += (0.5 + i) * va_arg(ap, double);
  va_end(ap);
  return s;
}

/* 'd' double, 'i' int, 'p' double* (two elements read) */
static double eval(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  double acc = 1.0;
  for (const char *c = fmt; *c; c++) {
    if (*c == 'd') {
      double x = va_arg(ap, double);
      acc = acc * x + sin(x);
    } else if (*c == 'i') {
      int k = va_arg(ap, int);
      acc += k * acc;
    } else if (*c == 'p') {
      const double *p = va_arg(ap, const double *);
      acc += p[0] * p[1];
    }
  }
  va_end(ap);
  return acc;
}

/* the v-helper and its variadic front, as printf/vprintf */
static double vnorm2(int n, va_list ap) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double x = va_arg(ap, double);
    s += x * x;
  }
  return s;
}
static double norm2(int n, ...) {
  va_list ap;
  va_start(ap, n);
  double s = vnorm2(n, ap);
  va_end(ap);
  return s;
}

/* mean, then the variance around it: two passes with va_copy */
static double variance(int n, ...) {
  va_list ap, again;
  va_start(ap, n);
  va_copy(again, ap);
  double mean = 0.0;
  for (int i = 0; i < n; i++)
    mean += va_arg(ap, double);
  mean /= n;
  double v = 0.0;
  for (int i = 0; i < n; i++) {
    double d = va_arg(again, double) - mean;
    v += d * d;
  }
  va_end(again);
  va_end(ap);
  return v / n;
}

/* structs by value through `...` */
static double structs(int n, ...) {
  va_list ap;
  va_start(ap, n);
  Pair p = va_arg(ap, Pair);
  Vec3 w = va_arg(ap, Vec3);
  double s = p.re * p.im;
  for (int i = 0; i < n; i++)
    s += w.v[i] * (p.re - w.v[i]);
  va_end(ap);
  return s;
}

static char line[128];
static void logf_(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
}

static int count = 4; /* a run-time count */

double model(double x, double y, double z) {
  double q[2] = {x * z, y};
  double a = wsum(3, x * y, sin(x), y * y);
  double b = wsum(count, x, y, z, x * z);
  double c = eval("dipd", x, 2, q, z * y);
  double d = norm2(3, x - y, y * z, 0.5 * x);
  double e = variance(4, x, y, z, x * y);
  Pair p = {x, z};
  Vec3 w = {{y, x * x, z}};
  double f = structs(3, p, w);
  logf_("a=%g b=%g n=%d", a, b, count);
  return a + 0.5 * b + 0.1 * c + d + e + f;
}

static double model_fd(double x, double y, double z) { return model(x, y, z); }

int main(void) {
  double pts[2][3] = {{0.7, -1.3, 0.4}, {1.2, 0.5, -0.8}};
  for (int k = 0; k < 2; k++) {
    double x = pts[k][0], y = pts[k][1], z = pts[k][2];
    double g[3];
    g[0] = __enzyme_autodiff((void *)model, x, enzyme_const, y, enzyme_const, z);
    g[1] = __enzyme_autodiff((void *)model, enzyme_const, x, y, enzyme_const, z);
    g[2] = __enzyme_autodiff((void *)model, enzyme_const, x, enzyme_const, y, z);
    for (int i = 0; i < 3; i++) {
      double want = fd3(model_fd, x, y, z, i);
      CHECK_CLOSE("reverse", g[i], want, RTOL_FD, ATOL_FD);
      double t[3] = {0, 0, 0};
      t[i] = 1.0;
      double fw = __enzyme_fwddiff((void *)model, x, t[0], y, t[1], z, t[2]);
      CHECK_CLOSE("forward", fw, want, RTOL_FD, ATOL_FD);
    }
  }
  CHECK_TRUE("log line", strncmp(line, "a=", 2) == 0);
  return check_report();
}
