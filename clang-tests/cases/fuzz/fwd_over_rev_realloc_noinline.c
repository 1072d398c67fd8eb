// Forward mode over reverse mode (__enzyme_fwddiff of a function calling __enzyme_autodiff, or
// __enzyme_augmentfwd + __enzyme_reverse) of a kernel that grows a heap block with realloc,
// with calls kept as calls (-ferment-no-inline). The reverse sweep moves the adjoints of the
// carried-over elements from the new block's shadow back to the old one through the helper
// `ferment.adjoint.memcpy.double(dd, ds, bytes)`. In f the old block holds constants only, so
// forward mode gives its shadow no tangent (nothing reads its adjoints), and the helper's own
// forward derivative refused the store into it: "an active value is stored into argument 2 ...
// which has no shadow (while differentiating 'ferment.adjoint.memcpy.double')" on main 6a8397e
// at -O0 (fuzz hvp variant seeds 24600067, 24600163, 24600262). Forward mode now drops that
// tangent and clears the new block's as the helper clears its adjoints. g's old block holds
// active values (both shadowed: the usual forward derivative of the helper), a check that it
// stays right.
// Oracles: the gradient and the Hessian-vector product by hand (analytic), forward over split
// vs forward over combined reverse.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>
#include <string.h>

extern int enzyme_const, enzyme_dup, enzyme_dupnoneed, enzyme_out;
typedef struct {
  double d[2];
} Grad;
Grad __enzyme_autodiff(void *, ...);
Grad __enzyme_reverse(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_fwddiff(void *, ...);

enum { N = 4 };
static double c(int q) { return 0.5 + 0.25 * q; }

// f = sum_q sin(c_q) + sum_q sin(u_q), u_q = s0 c_q^2 + s1^2 / 2
double f(double s0, double s1) {
  double *m = (double *)malloc(N * sizeof(double));
  for (int q = 0; q < N; q++)
    m[q] = c(q);
  m = (double *)realloc(m, 2 * N * sizeof(double));
  for (int q = 0; q < N; q++)
    m[N + q] = s0 * m[q] * m[q] + 0.5 * s1 * s1;
  double s = 0;
  for (int q = 0; q < 2 * N; q++)
    s += sin(m[q]);
  free(m);
  return s;
}

// g = sum_q sin(a_q) + sum_q sin(a_q^2 s1), a_q = s0 c_q
double g(double s0, double s1) {
  double *m = (double *)malloc(N * sizeof(double));
  for (int q = 0; q < N; q++)
    m[q] = s0 * c(q);
  m = (double *)realloc(m, 2 * N * sizeof(double));
  for (int q = 0; q < N; q++)
    m[N + q] = m[q] * m[q] * s1;
  double s = 0;
  for (int q = 0; q < 2 * N; q++)
    s += sin(m[q]);
  free(m);
  return s;
}

static void f_grad_hv(const double *x, const double *v, double *gr, double *hv) {
  gr[0] = gr[1] = hv[0] = hv[1] = 0;
  for (int q = 0; q < N; q++) {
    double cq = c(q), u = x[0] * cq * cq + 0.5 * x[1] * x[1];
    double du = cq * cq * v[0] + x[1] * v[1];
    gr[0] += cq * cq * cos(u);
    gr[1] += x[1] * cos(u);
    hv[0] += -cq * cq * sin(u) * du;
    hv[1] += v[1] * cos(u) - x[1] * sin(u) * du;
  }
}

static void g_grad_hv(const double *x, const double *v, double *gr, double *hv) {
  gr[0] = gr[1] = hv[0] = hv[1] = 0;
  for (int q = 0; q < N; q++) {
    double cq = c(q), a = x[0] * cq, b = a * a * x[1];
    double da = cq * v[0], db = 2 * a * da * x[1] + a * a * v[1];
    gr[0] += cq * cos(a) + 2 * a * cq * x[1] * cos(b);
    gr[1] += a * a * cos(b);
    hv[0] += -cq * sin(a) * da + 2 * cq * (da * x[1] + a * v[1]) * cos(b) -
             2 * a * cq * x[1] * sin(b) * db;
    hv[1] += 2 * a * da * cos(b) - a * a * sin(b) * db;
  }
}

__attribute__((noinline)) static void GRADF(const double *x, double *gr) {
  Grad r = __enzyme_autodiff((void *)f, enzyme_out, x[0], enzyme_out, x[1]);
  memcpy(gr, r.d, sizeof r.d);
}

__attribute__((noinline)) static void GRADF2(const double *x, double *gr) {
  void *tape = __enzyme_augmentfwd((void *)f, enzyme_out, x[0], enzyme_out, x[1]);
  Grad r = __enzyme_reverse((void *)f, enzyme_out, x[0], enzyme_out, x[1], 1.0, tape);
  memcpy(gr, r.d, sizeof r.d);
}

__attribute__((noinline)) static void GRADG(const double *x, double *gr) {
  Grad r = __enzyme_autodiff((void *)g, enzyme_out, x[0], enzyme_out, x[1]);
  memcpy(gr, r.d, sizeof r.d);
}

__attribute__((noinline)) static void GRADG2(const double *x, double *gr) {
  void *tape = __enzyme_augmentfwd((void *)g, enzyme_out, x[0], enzyme_out, x[1]);
  Grad r = __enzyme_reverse((void *)g, enzyme_out, x[0], enzyme_out, x[1], 1.0, tape);
  memcpy(gr, r.d, sizeof r.d);
}

static void check(const char *name, void *grad, void *grad2,
                  void (*by_hand)(const double *, const double *, double *, double *)) {
  double x[2] = {0.7, -0.4}, vs[2][2] = {{1, 0.5}, {-0.25, 1}};
  for (int d = 0; d < 2; d++) {
    double gh[2], hh[2], gr[2], hv[2], gr2[2], hv2[2];
    by_hand(x, vs[d], gh, hh);
    __enzyme_fwddiff(grad, enzyme_dup, x, vs[d], enzyme_dup, gr, hv);
    __enzyme_fwddiff(grad2, enzyme_dup, x, vs[d], enzyme_dup, gr2, hv2);
    for (int i = 0; i < 2; i++) {
      printf("%s d%d [%d]: H v %.15g (by hand %.15g), split %.15g\n", name, d, i, hv[i], hh[i],
             hv2[i]);
      CHECK_CLOSE("forward-over-reverse: gradient vs by hand", gr[i], gh[i], 1e-12, 1e-14);
      CHECK_CLOSE("forward-over-reverse: H v vs by hand", hv[i], hh[i], 1e-12, 1e-14);
      CHECK_CLOSE("forward-over-split: gradient vs by hand", gr2[i], gh[i], 1e-12, 1e-14);
      CHECK_CLOSE("forward-over-split: H v vs by hand", hv2[i], hh[i], 1e-12, 1e-14);
    }
  }
}

int main(void) {
  check("f", (void *)GRADF, (void *)GRADF2, f_grad_hv);
  check("g", (void *)GRADG, (void *)GRADG2, g_grad_hv);
  return check_report();
}
