// CFLAGS: -fopenmp
// EXPECT-ERROR: error_doacross_split.c:
// EXPECT-ERROR: cannot differentiate this doacross loop
// EXPECT-ERROR: its depend(sink) waits must come together
// A doacross iteration with two separate depend(sink) constructs and active code between them:
// the reverse sweep orders one section per iteration (from the last wait to the post), so the
// code between the waits would be reversed unordered. A compile error naming the loop.
#include <math.h>

extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);

void split_waits(double *x, int n) {
#pragma omp parallel for ordered(1)
  for (int i = 2; i < n; i++) {
#pragma omp ordered depend(sink : i - 1)
    x[i] += 0.5 * sin(x[i - 1]);
#pragma omp ordered depend(sink : i - 2)
    x[i] += 0.25 * x[i - 2];
#pragma omp ordered depend(source)
  }
}

int main(void) {
  double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, dx[8] = {0};
  __enzyme_autodiff((void *)split_waits, enzyme_dup, x, dx, enzyme_const, 8);
  return dx[0] != dx[0];
}
