// CFLAGS: -fopenmp
// EXPECT-ERROR: error_atomic_update.c:20:
// EXPECT-ERROR: cannot differentiate an atomic update of an active floating-point variable other than x += v
// A C11 atomic update of a shared double (a global: other threads may reach it) outside OpenMP
// regions other than += / -= (a compare-and-swap loop ferment does not turn into a critical
// section there: no OpenMP runtime is involved); `_Atomic double` += and -= are supported
// (openmp/c11_atomic_double.c), so are *= and /= on a local variable whose address stays in the
// function (reverse/c11_atomic_local_mul.c), and omp atomic updates inside parallel regions
// (openmp/atomic_updates.c).
#include "check.h"

void __enzyme_autodiff(void *, ...);

static _Atomic double p;

double product(const double *x, int n) {
  p = 1.0;
  double s = 0.0;
  for (int i = 0; i < n; i++)
    p *= x[i];
  s = p;
  return s;
}

int main(void) {
  double x[4] = {1, 2, 3, 4}, dx[4] = {0};
  __enzyme_autodiff((void *)product, enzyme_dup, x, dx, enzyme_const, 4);
  return 0;
}
