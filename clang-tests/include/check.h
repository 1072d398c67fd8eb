/* check.h: shared helpers for ferment's end-to-end test programs (C and C++).
 *
 * Every gradient a test computes with __enzyme_* is compared with an INDEPENDENT oracle:
 * an analytic formula written by hand, central finite differences of the primal, or the other
 * AD mode (forward vs reverse). A mismatch prints
 *     file:line: mismatch: WHAT got=G want=W (...)
 * and is counted; main ends with `return check_report();`, which is non-zero on any failure.
 */
#ifndef FERMENT_CHECK_H
#define FERMENT_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Enzyme's argument markers: users only declare them; the plugin must remove every use. */
extern int enzyme_dup, enzyme_dupnoneed, enzyme_out, enzyme_const;
#ifdef __cplusplus
}
#endif

static int check_failures_ = 0;
static int check_total_ = 0;

/* |got - want| <= atol + rtol * |want|; NaN never passes. */
static inline int check_close_loc(const char *file, int line, const char *what, double got,
                                  double want, double rtol, double atol) {
  double err = fabs(got - want);
  double tol = atol + rtol * fabs(want);
  check_total_++;
  if (!(err <= tol)) {
    check_failures_++;
    fprintf(stderr, "%s:%d: mismatch: %s got=%.17g want=%.17g (|err|=%.3g tol=%.3g)\n", file,
            line, what, got, want, err, tol);
    return 0;
  }
  return 1;
}

static inline int check_close_at_loc(const char *file, int line, const char *what, double x,
                                     double got, double want, double rtol, double atol) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s at x=%.17g", what, x);
  return check_close_loc(file, line, buf, got, want, rtol, atol);
}

static inline int check_true_loc(const char *file, int line, const char *what, int cond) {
  check_total_++;
  if (!cond) {
    check_failures_++;
    fprintf(stderr, "%s:%d: mismatch: %s got=false want=true\n", file, line, what);
  }
  return cond;
}

#define CHECK_CLOSE(what, got, want, rtol, atol)                                               \
  check_close_loc(__FILE__, __LINE__, (what), (double)(got), (double)(want), (rtol), (atol))
/* Same, with the evaluation point appended to the message. */
#define CHECK_CLOSE_AT(what, x, got, want, rtol, atol)                                         \
  check_close_at_loc(__FILE__, __LINE__, (what), (double)(x), (double)(got), (double)(want),   \
                     (rtol), (atol))
#define CHECK_TRUE(what, cond) check_true_loc(__FILE__, __LINE__, (what), !!(cond))

/* Tolerances. Double results vs an analytic oracle, double vs finite differences, float results
 * vs a double analytic oracle, float vs finite differences of the float function. */
#define RTOL_D 1e-10
#define ATOL_D 1e-12
#define RTOL_FD 1e-6
#define ATOL_FD 1e-8
#define RTOL_F 2e-5
#define ATOL_F 1e-6
#define RTOL_FDF 2e-3
#define ATOL_FDF 2e-4

static inline int check_report(void) {
  if (check_failures_)
    fprintf(stderr, "check.h: %d of %d checks FAILED\n", check_failures_, check_total_);
  else
    printf("check.h: all %d checks passed\n", check_total_);
  if (check_total_ == 0) {
    fprintf(stderr, "check.h: no checks ran\n");
    return 1;
  }
  return check_failures_ != 0;
}

/* ---- central finite differences (double): h = 1e-6 relative to max(1, |x|) ---- */
static inline double fd_step(double x) { return 1e-6 * (fabs(x) > 1.0 ? fabs(x) : 1.0); }

typedef double (*fd_fn1)(double);
typedef double (*fd_fn2)(double, double);
typedef double (*fd_fn3)(double, double, double);
typedef double (*fd_fnv)(const double *);

static inline double fd1(fd_fn1 f, double x) {
  double h = fd_step(x);
  double xp = x + h, xm = x - h;
  return (f(xp) - f(xm)) / (xp - xm);
}

/* partial derivative of f(x, y) with respect to argument `which` (0 or 1) */
static inline double fd2(fd_fn2 f, double x, double y, int which) {
  double v[2] = {x, y};
  double h = fd_step(v[which]);
  double p[2] = {x, y}, m[2] = {x, y};
  p[which] += h;
  m[which] -= h;
  return (f(p[0], p[1]) - f(m[0], m[1])) / (p[which] - m[which]);
}

static inline double fd3(fd_fn3 f, double x, double y, double z, int which) {
  double v[3] = {x, y, z};
  double h = fd_step(v[which]);
  double p[3] = {x, y, z}, m[3] = {x, y, z};
  p[which] += h;
  m[which] -= h;
  return (f(p[0], p[1], p[2]) - f(m[0], m[1], m[2])) / (p[which] - m[which]);
}

/* partial derivative of f(x[0..n)) with respect to x[i] (n <= 64) */
static inline double fdv(fd_fnv f, const double *x, int n, int i) {
  double p[64], m[64];
  memcpy(p, x, sizeof(double) * (size_t)n);
  memcpy(m, x, sizeof(double) * (size_t)n);
  double h = fd_step(x[i]);
  p[i] += h;
  m[i] -= h;
  return (f(p) - f(m)) / (p[i] - m[i]);
}

/* ---- finite differences of float functions: larger step, quotient in double.
 * Use with RTOL_FDF/ATOL_FDF; prefer a double analytic oracle for tight checks. ---- */
static inline float fd_stepf(float x) { return 1e-3f * (fabsf(x) > 1.0f ? fabsf(x) : 1.0f); }

typedef float (*fd_fn1f)(float);
typedef float (*fd_fn2f)(float, float);

static inline double fd1f(fd_fn1f f, float x) {
  float h = fd_stepf(x);
  float xp = x + h, xm = x - h;
  return ((double)f(xp) - (double)f(xm)) / ((double)xp - (double)xm);
}

static inline double fd2f(fd_fn2f f, float x, float y, int which) {
  float v[2] = {x, y};
  float h = fd_stepf(v[which]);
  float p[2] = {x, y}, m[2] = {x, y};
  p[which] += h;
  m[which] -= h;
  return ((double)f(p[0], p[1]) - (double)f(m[0], m[1])) / ((double)p[which] - (double)m[which]);
}

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

#endif /* FERMENT_CHECK_H */

#ifndef FERMENT_CHECK_VEC_H
#define FERMENT_CHECK_VEC_H
/* ---- vector helpers (memory and loop cases) ---------------------------------------------
 * fdvc: central finite difference of f(x[0..n), ctx) with respect to x[i], any n (heap copies).
 * CHECK_GRAD_FD: every component of an AD gradient against fdvc.
 * CHECK_ARRAY_CLOSE: every element of an array against an oracle array.
 * prand: a deterministic pseudo-random number in [-1, 1). */
#include <stdlib.h>

typedef double (*fd_fnvc)(const double *x, const void *ctx);
typedef float (*fd_fnvcf)(const float *x, const void *ctx);

static inline double fdvc(fd_fnvc f, const void *ctx, const double *x, int n, int i) {
  double *p = (double *)malloc(sizeof(double) * (size_t)n);
  double *m = (double *)malloc(sizeof(double) * (size_t)n);
  memcpy(p, x, sizeof(double) * (size_t)n);
  memcpy(m, x, sizeof(double) * (size_t)n);
  double h = fd_step(x[i]);
  p[i] += h;
  m[i] -= h;
  double d = (f(p, ctx) - f(m, ctx)) / (p[i] - m[i]);
  free(p);
  free(m);
  return d;
}

/* float version: step 1e-3 relative, quotient in double; use RTOL_FDF/ATOL_FDF */
static inline double fdvcf(fd_fnvcf f, const void *ctx, const float *x, int n, int i) {
  float *p = (float *)malloc(sizeof(float) * (size_t)n);
  float *m = (float *)malloc(sizeof(float) * (size_t)n);
  memcpy(p, x, sizeof(float) * (size_t)n);
  memcpy(m, x, sizeof(float) * (size_t)n);
  float h = fd_stepf(x[i]);
  p[i] += h;
  m[i] -= h;
  double d = ((double)f(p, ctx) - (double)f(m, ctx)) / ((double)p[i] - (double)m[i]);
  free(p);
  free(m);
  return d;
}

static inline double dotv(const double *a, const double *b, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static inline double prand(unsigned *state) {
  *state = *state * 1664525u + 1013904223u;
  return (double)(*state >> 8) / (double)(1u << 23) - 1.0;
}

static inline int check_grad_fd_loc(const char *file, int line, const char *what, fd_fnvc f,
                                    const void *ctx, const double *x, int n, const double *grad,
                                    double rtol, double atol) {
  int ok = 1;
  char buf[512];
  for (int i = 0; i < n; i++) {
    snprintf(buf, sizeof buf, "%s: component %d vs finite differences", what, i);
    ok &= check_close_loc(file, line, buf, grad[i], fdvc(f, ctx, x, n, i), rtol, atol);
  }
  return ok;
}

static inline int check_array_close_loc(const char *file, int line, const char *what,
                                        const double *got, const double *want, int n,
                                        double rtol, double atol) {
  int ok = 1;
  char buf[512];
  for (int i = 0; i < n; i++) {
    snprintf(buf, sizeof buf, "%s[%d]", what, i);
    ok &= check_close_loc(file, line, buf, got[i], want[i], rtol, atol);
  }
  return ok;
}

#define CHECK_GRAD_FD(what, f, ctx, x, n, grad, rtol, atol)                                    \
  check_grad_fd_loc(__FILE__, __LINE__, (what), (f), (ctx), (x), (n), (grad), (rtol), (atol))
#define CHECK_ARRAY_CLOSE(what, got, want, n, rtol, atol)                                      \
  check_array_close_loc(__FILE__, __LINE__, (what), (got), (want), (n), (rtol), (atol))

/* ---- in-place central differences (the BLAS and LAPACK cases) -----------------------------
 * FD_AT(slot, h, expr): (expr with slot = s + h  -  expr with slot = s - h) / (2 h), in double,
 *   for an lvalue `slot` (a double or float element of an array `expr` reads, or a variable)
 *   whose value is s; slot holds s again afterwards.
 * CHECK_ARRAY_FD(what, x, n, dx, h, expr, rtol, atol): every dx[i] (i < n) against
 *   FD_AT(x[i], h, expr); the message names WHAT[i].
 * shift_along(out, x, t, s, n): out = x + s t, for differences along a direction t. */
/* out[i] = x[i] + s t[i]: a point moved along a direction (directional differences). */
static inline void shift_along(double *out, const double *x, const double *t, double s, int n) {
  for (int i = 0; i < n; i++)
    out[i] = x[i] + s * t[i];
}

#define FD_AT(slot, h, expr)                                                                   \
  __extension__({                                                                              \
    __typeof__(slot) fd_keep_ = (slot);                                                        \
    double fd_h_ = (h);                                                                        \
    (slot) = fd_keep_ + fd_h_;                                                                 \
    double fd_p_ = (expr);                                                                     \
    (slot) = fd_keep_ - fd_h_;                                                                 \
    double fd_m_ = (expr);                                                                     \
    (slot) = fd_keep_;                                                                         \
    (fd_p_ - fd_m_) / (2 * fd_h_);                                                             \
  })

#define CHECK_ARRAY_FD(what, x, n, dx, h, expr, rtol, atol)                                    \
  do {                                                                                         \
    for (int fd_i_ = 0; fd_i_ < (int)(n); fd_i_++) {                                           \
      char fd_what_[256];                                                                      \
      snprintf(fd_what_, sizeof fd_what_, "%s[%d]", (what), fd_i_);                            \
      double fd_want_ = FD_AT((x)[fd_i_], (h), (expr));                                        \
      check_close_loc(__FILE__, __LINE__, fd_what_, (double)(dx)[fd_i_], fd_want_, (rtol),     \
                      (atol));                                                                 \
    }                                                                                          \
  } while (0)

#endif /* FERMENT_CHECK_VEC_H */
