// `__enzyme_shadow` needs the address of a global variable (or of a part of one) known at
// compile time, of a mutable global of this file holding floats or pointers: an address computed
// at run time, and a constant table, are compile errors at the call, saying what to pass.
// RUN: clang
// EXPECT-ERROR: context_shadow_not_global.c:24
// EXPECT-ERROR: __enzyme_shadow: the address is not a global variable (or a constant offset into one) known at compile time
// EXPECT-ERROR: e.g. `__enzyme_shadow(ctx, &g.field, 0)`
// EXPECT-ERROR: context_shadow_not_global.c:25
// EXPECT-ERROR: @table is not a mutable global variable of this translation unit
extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
double __enzyme_autodiff(void *, ...);
extern int enzyme_context;

double w[4] = {1, 2, 3, 4};
const double table[2] = {0.5, 0.25};

double f(double x) { return w[0] * x + table[1]; }

int main(int argc, char **argv) {
  (void)argv;
  void *ctx = __enzyme_context(1);
  double *pick = &w[argc % 4];
  double *a = (double *)__enzyme_shadow(ctx, pick, 0);
  double *b = (double *)__enzyme_shadow(ctx, (void *)&table, 0);
  double d = __enzyme_autodiff((void *)f, enzyme_context, ctx, 2.0);
  return (int)(d + *a + *b);
}
