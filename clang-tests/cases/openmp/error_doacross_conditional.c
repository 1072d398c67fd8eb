// CFLAGS: -fopenmp
// EXPECT-ERROR: error_doacross_conditional.c:
// EXPECT-ERROR: cannot differentiate this doacross loop
// A doacross iteration that waits only on some paths: an iteration that skips the wait would
// post without a ticket of its own, so its reverse would not be ordered. A compile error naming
// the loop (the reverse sweep orders one section per iteration, from the wait to the post).
#include <math.h>

extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);

void conditional_wait(double *x, int n) {
#pragma omp parallel for ordered(1)
  for (int i = 1; i < n; i++) {
    if (x[i] > 0.0) {
#pragma omp ordered depend(sink : i - 1)
      x[i] += 0.5 * sin(x[i - 1]);
    }
#pragma omp ordered depend(source)
  }
}

int main(void) {
  double x[8] = {1, -2, 3, 4, -5, 6, 7, 8}, dx[8] = {0};
  __enzyme_autodiff((void *)conditional_wait, enzyme_dup, x, dx, enzyme_const, 8);
  return dx[0] != dx[0];
}
