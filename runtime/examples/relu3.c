/* relu3.c — reverse and forward derivatives of a branchy scalar function.
 *
 *   f(x) = x > 0 ? x^3 : 0        f'(x) = x > 0 ? 3x^2 : 0
 *
 * Build (from the repository root, after `cargo build --release -p ferment`):
 *   clang-22 -O2 -fpass-plugin=target/release/libferment.so -I runtime/include \
 *       runtime/examples/relu3.c -o relu3 -lm && ./relu3
 * Exits with status 1 if a derivative disagrees with the analytic value.
 */
#include <ferment.h>
#include <math.h>
#include <stdio.h>

static double relu3(double x) { return x > 0 ? pow(x, 3) : 0.0; }

static double relu3_analytic(double x) { return x > 0 ? 3 * x * x : 0.0; }

int main(void) {
  const double xs[] = {-2.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0};
  int bad = 0;
  printf("%6s %12s %14s %14s %12s\n", "x", "f(x)", "reverse f'", "forward f'",
         "3x^2 (x>0)");
  for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    double x = xs[i];
    /* reverse mode: an unmarked double is active, its derivative returned */
    double rev = __enzyme_autodiff((void *)relu3, x);
    /* forward mode: an unmarked double is followed by its tangent */
    double fwd = __enzyme_fwddiff((void *)relu3, x, 1.0);
    double want = relu3_analytic(x);
    printf("%6.2f %12.6f %14.6f %14.6f %12.6f\n", x, relu3(x), rev, fwd, want);
    double tol = 1e-12 * (1 + fabs(want));
    if (!(fabs(rev - want) <= tol) || !(fabs(fwd - want) <= tol))
      bad = 1;
  }
  puts(bad ? "relu3: MISMATCH" : "relu3: ok");
  return bad;
}
