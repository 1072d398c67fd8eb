// Batched reverse mode of a function returning a struct through a hidden sret pointer is not
// supported yet (Enzyme's convention gives one adjoint buffer): an error naming the construct.
// EXPECT-ERROR: reverse mode of 'vf', which returns a struct through a hidden result pointer (sret), with enzyme_width is not supported yet
#include "check.h"
extern int enzyme_out, enzyme_width;
typedef struct { double da[2], db[2]; } G;
G __enzyme_autodiff(void *, ...);
typedef struct { double x, y, z; } V;
static V vf(double a, double b) {
  V v = {a * b, sin(a), b * b};
  return v;
}
int main(void) {
  V w = {1, 1, 1};
  G g = __enzyme_autodiff((void *)vf, &w, enzyme_width, 2, enzyme_out, 0.7, enzyme_out, 1.5);
  printf("%g\n", g.da[0]);
  return 0;
}
