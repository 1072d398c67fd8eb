// Loading the plugin into a compile with no __enzyme_* call changes nothing: the IR with and
// without -fpass-plugin must be identical (-O0 and -O2). The program uses math, loops, pointers,
// a global named like a marker and a function whose name mentions enzyme.
// EXPECT-IR-UNCHANGED
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int enzyme_const_like = 3; // not a marker (different name)

static double norm(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += v[i] * v[i];
  return sqrt(s);
}

double not_enzyme_autodiff_but_close(double x) { return sin(x) * exp(-x) + pow(x, 2.5); }

int main(int argc, char **argv) {
  double *v = malloc(sizeof(double) * 16);
  for (int i = 0; i < 16; i++)
    v[i] = cos(i * 0.1) + argc;
  double r = norm(v, 16) + not_enzyme_autodiff_but_close(argc * 0.5) + enzyme_const_like;
  printf("%f %s\n", r, argv[0]);
  free(v);
  return 0;
}
