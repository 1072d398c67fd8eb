/* multi.c — several active scalars: a gradient returned as a struct, a
 * forward directional derivative, and markers.
 *
 *   f(x, y, z) = x*y*sin(z) + exp(x)/y
 *   df/dx = y sin z + exp(x)/y
 *   df/dy = x sin z - exp(x)/y^2
 *   df/dz = x y cos z
 *
 * Build (from the repository root, after `cargo build --release -p ferment`):
 *   clang-22 -O2 -fpass-plugin=target/release/libferment.so -I runtime/include \
 *       runtime/examples/multi.c -o multi -lm && ./multi
 * Exits with status 1 if a derivative disagrees with the analytic value.
 */
#include <ferment.h>
#include <math.h>
#include <stdio.h>

static double f(double x, double y, double z) {
  return x * y * sin(z) + exp(x) / y;
}

/* Three active doubles: reverse mode returns their derivatives as a struct.
 * The variadic __enzyme_autodiff returns double, so declare a prototype with
 * the struct return type; any name containing "__enzyme_autodiff" works. */
typedef struct {
  double dx, dy, dz;
} grad3;
grad3 __enzyme_autodiff_grad3(void *fn, double x, double y, double z);

static int check(const char *what, double got, double want) {
  int ok = fabs(got - want) <= 1e-12 * (1 + fabs(want));
  printf("  %-26s %16.10f   analytic %16.10f  %s\n", what, got, want,
         ok ? "" : "<-- MISMATCH");
  return !ok;
}

int main(void) {
  const double pts[][3] = {{1.0, 2.0, 0.5}, {-0.5, 3.0, 2.0}, {2.0, -1.5, -1.0}};
  const double v[3] = {0.3, -1.0, 2.0}; /* direction for forward mode */
  int bad = 0;
  for (unsigned i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    double x = pts[i][0], y = pts[i][1], z = pts[i][2];
    double ax = y * sin(z) + exp(x) / y;
    double ay = x * sin(z) - exp(x) / (y * y);
    double az = x * y * cos(z);
    printf("f(%g, %g, %g) = %.10f\n", x, y, z, f(x, y, z));

    /* reverse mode, all three active (unmarked doubles) */
    grad3 g = __enzyme_autodiff_grad3((void *)f, x, y, z);
    bad |= check("reverse df/dx", g.dx, ax);
    bad |= check("reverse df/dy", g.dy, ay);
    bad |= check("reverse df/dz", g.dz, az);

    /* reverse mode with markers: x and y constant, z active -> df/dz */
    double dz = __enzyme_autodiff((void *)f, enzyme_const, x, enzyme_const, y,
                                  enzyme_out, z);
    bad |= check("reverse df/dz (x,y const)", dz, az);

    /* forward mode: each double followed by its tangent -> grad . v */
    double dir = __enzyme_fwddiff((void *)f, x, v[0], y, v[1], z, v[2]);
    bad |= check("forward grad . v", dir, ax * v[0] + ay * v[1] + az * v[2]);

    /* forward mode with markers: only x varies -> df/dx */
    double fx = __enzyme_fwddiff((void *)f, x, 1.0, enzyme_const, y,
                                 enzyme_const, z);
    bad |= check("forward df/dx (y,z const)", fx, ax);
  }
  puts(bad ? "multi: MISMATCH" : "multi: ok");
  return bad;
}
