// A function differentiated in reverse or forward mode that uses a global-shadow context it
// receives as an argument (created by its caller): ferment keeps the derivatives of a context's
// shadows in a second context it creates beside the context, which it cannot do for one made
// outside the differentiated code. A compile error at the use, naming the construct and the
// fix, never a wrong derivative. (A context created inside is supported:
// context/reverse_over_reverse.c, context/forward_over_reverse.c.)
// RUN: clang
// EXPECT-ERROR: context_from_outside.c:22
// EXPECT-ERROR: __enzyme_zero_shadows uses a global-shadow context that the function being differentiated receives from outside
// EXPECT-ERROR: create the context with __enzyme_context inside the function being differentiated
extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_autodiff(void *, ...);
extern int enzyme_context, enzyme_const;

double g = 2.0;

static double f(double x) { return g * x * x; }

static double h(double x, void *ctx) {
  __enzyme_zero_shadows(ctx);
  double *dg = (double *)__enzyme_shadow(ctx, &g, 0);
  double dx = __enzyme_autodiff((void *)f, enzyme_context, ctx, x);
  return dx + *dg;
}

int main(void) {
  void *ctx = __enzyme_context(1);
  return (int)__enzyme_autodiff((void *)h, 1.5, enzyme_const, ctx);
}
