// A global pointer to heap memory from aligned_alloc (as newer flang allocates ALLOCATE arrays),
// set outside the differentiated code, read inside it under an Enzyme context: its shadow is a
// zeroed block of the same size that the context owns, __enzyme_shadow returns the address of
// the pointer's shadow, and __enzyme_zero_shadows clears the block between two gradients.
// Oracle: the analytic derivatives of sum_i w_i^2 x^2 + w_i.
#include "check.h"
#include <stdlib.h>
extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_autodiff(void *, ...);
extern int enzyme_context;
double *w;
enum { N = 6 };
void *volatile keep; /* the context stays reachable (valgrind) */
__attribute__((noinline)) void setup(void) {
  w = (double *)aligned_alloc(64, 64 * ((N * sizeof(double) + 63) / 64));
  for (int i = 0; i < N; i++) w[i] = 0.5 + i;
}
static double f(double x) {
  double s = 0;
  for (int i = 0; i < N; i++) s += w[i] * w[i] * x * x + w[i];
  return s;
}
int main(void) {
  setup();
  void *ctx = __enzyme_context(1);
  keep = ctx;
  double **dw = (double **)__enzyme_shadow(ctx, &w, 0);
  for (int rep = 0; rep < 2; rep++) {
    __enzyme_zero_shadows(ctx);
    double x = 1.0 + rep;
    double dx = __enzyme_autodiff((void *)f, enzyme_context, ctx, x);
    double want = 0;
    for (int i = 0; i < N; i++) want += 2 * w[i] * w[i] * x;
    CHECK_CLOSE("dx", dx, want, RTOL_D, 0);
    for (int i = 0; i < N; i++) CHECK_CLOSE("dw", (*dw)[i], 2 * w[i] * x * x + 1, RTOL_D, 0);
  }
  free(w);
  return check_report();
}
