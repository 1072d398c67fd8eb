// fread is a known-inactive library function, but here it reads into a duplicated (enzyme_dup)
// buffer, memory that carries derivatives: treating the call as inactive would leave the stale
// derivative of the overwritten values in the shadow. ferment stops with an error naming fread
// and the line instead of giving a silently wrong derivative.
// EXPECT-ERROR: fread
// EXPECT-ERROR: err_libc_writes_shadow.c:15:
#include "check.h"

void __enzyme_autodiff(void *, ...);
static FILE *in;

static void f(double *x) {
  x[1] = x[0] * x[0];
  /* overwrites x[0] with constant data from the file */
  if (fread(x, sizeof(double), 1, in) != 1)
    x[1] += 1.0;
}

int main(void) {
  in = tmpfile();
  double x[2] = {0.5, 0.0}, dx[2] = {0.0, 1.0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  printf("%f\n", dx[0]);
  return 0;
}
