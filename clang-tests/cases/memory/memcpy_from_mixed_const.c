// memcpy whose source may be constant data standing for its own shadow: a pointer that selects
// between an enzyme_const array and duplicated data (and a constant pointer stored into a
// duplicated struct and loaded back). At run time the source's "shadow" is then the constant
// array itself, so a plain shadow copy would give the destination the constant VALUES as tangents
// (forward) or add the destination's adjoints INTO the constant data (reverse). Now the copy's
// derivative compares the source with its shadow at run time: where equal, the destination's
// tangents are zero and its adjoints are cleared without being added anywhere. Was a compile
// error ("merges pointers to duplicated data with pointers to constant data"). Checked against
// the analytic gradient, central finite differences, forward vs reverse, and the constant data
// must come out unchanged. (Loads straight through such a pointer, without the copy, still take
// the caller's shadow as given, as Enzyme does without runtime activity.)
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 6

struct holder {
  const double *src;
  double w;
};

__attribute__((noinline)) double f(const double *x, const double *c, int flag) {
  const double *src = flag ? x : c;
  double buf[N];
  memcpy(buf, src, sizeof buf);
  double s = 0;
  for (int i = 0; i < N; i++)
    s += buf[i] * buf[i] * (i + 1) + sin(x[i]) * buf[i];
  return s;
}

/* the caller passes the struct's shadow with the constant pointer itself in it (shadow ==
   primal at run time); a heap copy of a run-time length stays a memcpy at -O2 */
__attribute__((noinline)) double g(struct holder *h, const double *x, int n) {
  double *buf = (double *)malloc(n * sizeof(double));
  memcpy(buf, h->src, n * sizeof(double));
  double s = 0;
  for (int i = 0; i < n; i++)
    s += buf[i] * x[i] * h->w + x[i] * x[i];
  free(buf);
  return s;
}

static double C[N] = {0.5, -1.25, 2.0, 0.75, -0.5, 1.5};
static int FLAG;
static double f_pure(const double *x, const void *ctx) {
  (void)ctx;
  return f(x, C, FLAG);
}
static double g_pure(const double *x, const void *ctx) {
  (void)ctx;
  struct holder h = {C, 1.75};
  return g(&h, x, N);
}

int main(void) {
  double x[N], dx[N], t[N], c_before[N];
  unsigned s = 11;
  for (int i = 0; i < N; i++) {
    x[i] = 1.2 * prand(&s);
    t[i] = prand(&s);
    c_before[i] = C[i];
  }
  for (FLAG = 0; FLAG < 2; FLAG++) {
    for (int i = 0; i < N; i++)
      dx[i] = 0;
    __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, C, enzyme_const, FLAG);
    double dot = 0;
    for (int i = 0; i < N; i++) {
      double b = FLAG ? x[i] : C[i];
      double want = FLAG ? 2 * x[i] * (i + 1) + cos(x[i]) * x[i] + sin(x[i]) : cos(x[i]) * b;
      CHECK_CLOSE_AT("f reverse vs analytic", (double)i, dx[i], want, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT("f reverse vs FD", (double)i, dx[i], fdvc(f_pure, NULL, x, N, i), RTOL_FD, ATOL_FD);
      CHECK_CLOSE_AT("constant data unchanged", (double)i, C[i], c_before[i], 0, 0);
      dot += dx[i] * t[i];
    }
    double fwd = __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, C, enzyme_const, FLAG);
    CHECK_CLOSE("f forward = <reverse, t>", fwd, dot, 1e-10, 1e-12);
  }

  /* g: the holder is duplicated; its shadow holds the constant pointer itself (its own shadow) */
  struct holder h = {C, 1.75}, dh = {C, 0};
  for (int i = 0; i < N; i++)
    dx[i] = 0;
  __enzyme_autodiff((void *)g, enzyme_dup, &h, &dh, enzyme_dup, x, dx, enzyme_const, N);
  double dot = 0;
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE_AT("g reverse vs analytic", (double)i, dx[i], C[i] * 1.75 + 2 * x[i], RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("g reverse vs FD", (double)i, dx[i], fdvc(g_pure, NULL, x, N, i), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("constant data unchanged", (double)i, C[i], c_before[i], 0, 0);
    dot += dx[i] * t[i];
  }
  double dw = 0;
  for (int i = 0; i < N; i++)
    dw += C[i] * x[i];
  CHECK_CLOSE("g reverse d/dw", dh.w, dw, RTOL_D, ATOL_D);
  struct holder th = {C, 0};
  double fwd = __enzyme_fwddiff((void *)g, enzyme_dup, &h, &th, enzyme_dup, x, t, enzyme_const, N);
  CHECK_CLOSE("g forward = <reverse, t>", fwd, dot, 1e-10, 1e-12);
  return check_report();
}
