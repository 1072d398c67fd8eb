// An OpenMP parallel region (a call that stays a call: the outlined region, run by every
// thread) reading a global its caller stored active data into. The global's
// derivative would be carried into the region's derivative like any call's, but every thread
// would accumulate its adjoint into the one shadow of the global without synchronization:
// refused, naming the call and the global.
// CFLAGS: -fopenmp
// RUN: clang
// EXPECT-ERROR: openmp_global.c:17
// EXPECT-ERROR: the global @g holds data with a derivative here
// EXPECT-ERROR: the threads of the parallel region
double __enzyme_autodiff(void *, ...);
double g;
double out[64];

static double f(double x) {
  g = x;
#pragma omp parallel for
  for (int i = 0; i < 64; i++) {
    out[i] = g * i;
  }
  double s = 0;
  for (int i = 0; i < 64; i++)
    s += out[i];
  return s;
}

int main(void) { return __enzyme_autodiff((void *)f, 2.0) > 0 ? 0 : 1; }
