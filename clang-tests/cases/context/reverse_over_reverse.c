// Reverse mode over code that uses a global-shadow context (issue 14): functions that create an
// inner context, call a reverse derivative with it and return what it returns or accumulated
// into the inner shadows, differentiated with __enzyme_autodiff (with and without an outer
// context). The adjoints of the inner shadows live in a second context beside the inner one;
// __enzyme_zero_shadows clears them in the reverse sweep. Cases: one inner gradient; a loop
// that zeroes the inner shadows every iteration (what an iteration read must not receive the
// adjoints of a later one); a loop that lets them accumulate; an outer context that carries the
// adjoint of the global's value; the inner gradient in split mode (__enzyme_augmentfwd and
// __enzyme_reverse with the context). Oracles: analytic second derivatives and central finite
// differences of the (plain) functions.
// RUN: clang opt
#include "check.h"
#include <math.h>

extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_autodiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_reverse(void *, ...);
extern int enzyme_context;

double g = 1.5;
double c[2] = {0.5, 2.0};
/* The inner contexts (and, in their shadow, the derivative's second contexts) stay reachable
   (valgrind). */
void *inner_contexts[256];
int n_inner;

static void *new_inner(void) {
  void *inner = __enzyme_context(1);
  inner_contexts[n_inner++ & 255] = inner;
  return inner;
}

/* f = g x^3 + c0 sin(c1 x): df/dx = 3 g x^2 + c0 c1 cos(c1 x), df/dg = x^3,
   df/dc1 = c0 x cos(c1 x) */
static double f(double x) { return g * x * x * x + c[0] * sin(c[1] * x); }

/* df/dx + 2 df/dg + 3 df/dc1, read back from the inner shadows */
static double mix(double x) {
  void *inner = new_inner();
  __enzyme_zero_shadows(inner);
  double *dg = (double *)__enzyme_shadow(inner, &g, 0);
  double *dc = (double *)__enzyme_shadow(inner, &c, 0);
  double dx = __enzyme_autodiff((void *)f, enzyme_context, inner, x);
  return dx + 2 * *dg + 3 * dc[1];
}
static double d_mix_dx(double x) {
  return 6 * g * x - c[0] * c[1] * c[1] * sin(c[1] * x) + 6 * x * x +
         3 * c[0] * (cos(c[1] * x) - c[1] * x * sin(c[1] * x));
}

/* sum_k (k+1) * df/dg(x (k+1)) with the shadows zeroed every iteration: sum_k (k+1)^4 x^3 */
static double zeroed_loop(double x) {
  void *inner = new_inner();
  double *dg = (double *)__enzyme_shadow(inner, &g, 0);
  double s = 0;
  for (int k = 0; k < 3; k++) {
    __enzyme_zero_shadows(inner);
    __enzyme_autodiff((void *)f, enzyme_context, inner, x * (k + 1));
    s += (k + 1) * *dg;
  }
  return s;
}
static double d_zeroed_loop(double x) { return 3 * x * x * (1 + 16 + 81); }

/* The same without zeroing in the loop: after iteration k the shadow holds
   sum_{j<=k} ((j+1) x)^3, so s = sum_k (k+1) sum_{j<=k} (j+1)^3 x^3 */
static double accumulating_loop(double x) {
  void *inner = new_inner();
  double *dg = (double *)__enzyme_shadow(inner, &g, 0);
  __enzyme_zero_shadows(inner);
  double s = 0;
  for (int k = 0; k < 3; k++) {
    __enzyme_autodiff((void *)f, enzyme_context, inner, x * (k + 1));
    s += (k + 1) * *dg;
  }
  return s;
}
static double d_accumulating_loop(double x) {
  /* 1*1 + 2*(1+8) + 3*(1+8+27) = 127 */
  return 3 * x * x * 127;
}

/* mix in split mode: the augmented pass and the reverse pass of f with the inner context */
static double split_mix(double x) {
  void *inner = new_inner();
  __enzyme_zero_shadows(inner);
  double *dg = (double *)__enzyme_shadow(inner, &g, 0);
  double *dc = (double *)__enzyme_shadow(inner, &c, 0);
  void *tape = __enzyme_augmentfwd((void *)f, enzyme_context, inner, x);
  double dx = __enzyme_reverse((void *)f, enzyme_context, inner, x, 1.0, tape);
  return dx + 2 * *dg + 3 * dc[1];
}

/* x * g + mix(x): under an outer context the outer shadow of g receives d/dg of it */
static double with_g(double x) { return x * g + mix(x); }
static double x0;
static double with_g_of_g(double v) {
  double o = g;
  g = v;
  double r = with_g(x0);
  g = o;
  return r;
}
/* d/dg of mix = d/dg [3 g x^2 + ... + 2 x^3 + ...] = 3 x^2 */
static double d_with_g_dg(double x) { return x + 3 * x * x; }

int main(void) {
  void *outer = __enzyme_context(1);
  inner_contexts[255] = outer;
  double *og = (double *)__enzyme_shadow(outer, &g, 0);
  const double xs[] = {-0.7, 1.2};
  for (int t = 0; t < 2; t++) {
    double x = xs[t];
    x0 = x;
    double d = __enzyme_autodiff((void *)mix, x);
    CHECK_CLOSE("d mix/dx", d, d_mix_dx(x), RTOL_D, ATOL_D);
    CHECK_CLOSE("d mix/dx vs FD", d, fd1(mix, x), RTOL_FD, ATOL_FD);

    d = __enzyme_autodiff((void *)split_mix, x);
    CHECK_CLOSE("d split_mix/dx", d, d_mix_dx(x), RTOL_D, ATOL_D);
    CHECK_CLOSE("d split_mix/dx vs FD", d, fd1(split_mix, x), RTOL_FD, ATOL_FD);

    d = __enzyme_autodiff((void *)zeroed_loop, x);
    CHECK_CLOSE("d zeroed_loop/dx", d, d_zeroed_loop(x), RTOL_D, ATOL_D);
    CHECK_CLOSE("d zeroed_loop/dx vs FD", d, fd1(zeroed_loop, x), RTOL_FD, ATOL_FD);

    d = __enzyme_autodiff((void *)accumulating_loop, x);
    CHECK_CLOSE("d accumulating_loop/dx", d, d_accumulating_loop(x), RTOL_D, ATOL_D);
    CHECK_CLOSE("d accumulating_loop/dx vs FD", d, fd1(accumulating_loop, x), RTOL_FD, ATOL_FD);

    /* With an outer context: the gradient in x, and g's adjoint in the outer shadow. */
    __enzyme_zero_shadows(outer);
    d = __enzyme_autodiff((void *)with_g, enzyme_context, outer, x);
    CHECK_CLOSE("d with_g/dx (outer context)", d, g + d_mix_dx(x), RTOL_D, ATOL_D);
    CHECK_CLOSE("d with_g/dg (outer context)", *og, d_with_g_dg(x), RTOL_D, ATOL_D);
    CHECK_CLOSE("d with_g/dg vs FD", *og, fd1(with_g_of_g, g), RTOL_FD, ATOL_FD);
  }
  CHECK_TRUE("every inner context kept", n_inner <= 255);
  return check_report();
}
