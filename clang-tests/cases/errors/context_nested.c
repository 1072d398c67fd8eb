// Reverse mode over code that uses a global-shadow context (a function that calls a reverse
// derivative with an inner context, differentiated with __enzyme_autodiff) is not supported
// yet: a compile error at the inner context's use, naming the construct, never a wrong
// derivative. (Forward mode over such code is supported: context/forward_over_reverse.c.)
// RUN: clang
// EXPECT-ERROR: context_nested.c:20
// EXPECT-ERROR: a global-shadow context (__enzyme_context, __enzyme_shadow, __enzyme_zero_shadows, or a derivative called with enzyme_context) inside a function being differentiated in reverse mode is not supported
// EXPECT-ERROR: create and use contexts outside the differentiated code
extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_context;

double g = 2.0;

static double f(double x) { return g * x * x * x; }

static double df(double x) {
  void *inner = __enzyme_context(1);
  return __enzyme_autodiff((void *)f, enzyme_context, inner, x);
}

int main(void) {
  void *outer = __enzyme_context(1);
  *(double *)__enzyme_shadow(outer, &g, 0) = 0.0;
  return (int)__enzyme_autodiff((void *)df, enzyme_context, outer, 2.0);
}
