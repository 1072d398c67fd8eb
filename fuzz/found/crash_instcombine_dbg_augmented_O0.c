// NOT FIXED (compiler crash), the smallest reproducer: clang-22 -O0 -g -c with the plugin
// segfaults in InstCombine (DbgRecord::getParent) while ferment simplifies ferment.augmented.f.
// Found by ferment-fuzz (seed 104864), reduced by hand. Removing the loop, or the overwritten
// store 't0 = atan(...)', makes it compile.
#include <math.h>
void *__enzyme_augmentfwd(void *, ...);
static const double tbl[8] = {0.5, -0.25, 1.5, 0.75, -1.0, 0.125, 2.0, -0.5};
double f(double s1, double s2, int n, double s0) {
  double t0 = s2;
  if (tbl[1] < sin(exp2(s1))) {
    t0 = atan(sinh((0.841 / hypot(1.0, s2))));
    t0 = tbl[2];
  } else {
    t0 = tbl[0];
  }
  for (int i1 = 0; i1 < n; i1++) {
  }
  double r = t0 + t0;
  return r;
}
static const double X0[3] = {-0.616, -1.036, 1.332};
static const int n_c = 3;
int main(void) {
  void *tape = __enzyme_augmentfwd((void *)f, X0[0], X0[1], n_c, X0[2]);
  return tape != 0;
}
