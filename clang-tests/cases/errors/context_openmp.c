// A derivative called with a global-shadow context whose function has an OpenMP parallel
// region: the region's threads would not see the context (it is current in the calling thread
// only), so this is a compile error at the region, not an abort at run time.
// CFLAGS: -fopenmp
// RUN: clang
// EXPECT-ERROR: context_openmp.c:14
// EXPECT-ERROR: an OpenMP parallel region in a derivative called with enzyme_context is not supported
extern void *__enzyme_context(int);
void __enzyme_autodiff(void *, ...);
extern int enzyme_context;
double w[64];

void f(const double *x, double *y) {
#pragma omp parallel for
  for (int i = 0; i < 64; i++)
    y[i] = w[i] * x[i];
}

int main(void) {
  double x[64], dx[64] = {0}, y[64], dy[64];
  for (int i = 0; i < 64; i++)
    x[i] = i, w[i] = 1, dy[i] = 1;
  void *ctx = __enzyme_context(1);
  __enzyme_autodiff((void *)f, enzyme_context, ctx, x, dx, y, dy);
  return (int)dx[3];
}
