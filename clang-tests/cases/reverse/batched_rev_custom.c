// Batched reverse mode and custom gradients (the user's rules are scalar): a callee with a custom
// gradient inside the width-N derivative (its augmented and reverse functions run once per lane,
// each lane with its own tape), and a function with a custom gradient itself (the lanes are
// computed one after the other), with enzyme_out scalar arguments (N adjoints per argument) and
// memory shadows per lane. Oracles: analytic derivatives of the rules (they are exact) and the
// scalar reverse mode run once per seed.
#include "check.h"
#include <stdlib.h>
extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_dupnoneed, enzyme_out;
void __enzyme_autodiff(void *, ...);
typedef struct { double a[3], b[3]; } G3;
G3 __enzyme_autodiff_g3(void *, ...);
typedef struct { double a, b; } G1;
G1 __enzyme_autodiff_g1(void *, ...);

static int rule_runs;
__attribute__((noinline)) static double soft(double x) { return log1p(exp(x)); }
// The tape holds the logistic function at x (a heap cell per run, freed by the reverse rule).
static double *aug_soft(double x) {
  double *t = malloc(sizeof *t);
  *t = 1.0 / (1.0 + exp(-x));
  return t;
}
static double rev_soft(double x, double d, double *tape) {
  (void)x;
  rule_runs++;
  double r = d * *tape; // the exact derivative
  free(tape);
  return r;
}
void *__enzyme_register_gradient_soft[3] = {(void *)soft, (void *)aug_soft, (void *)rev_soft};

// A whole function with a custom gradient: y = (x0^2, x0 x1).
static void sq_into(const double *x, double *y) {
  y[0] = x[0] * x[0];
  y[1] = x[0] * x[1];
}
static void *aug_sq(const double *x, double *dx, double *y, double *dy) {
  (void)dx;
  (void)dy;
  sq_into(x, y);
  return 0;
}
static void rev_sq(const double *x, double *dx, double *y, double *dy, void *tape) {
  (void)y;
  (void)tape;
  rule_runs++;
  dx[0] += 2 * x[0] * dy[0] + x[1] * dy[1];
  dx[1] += x[0] * dy[1];
  dy[0] = dy[1] = 0;
}
void *__enzyme_register_gradient_sq[3] = {(void *)sq_into, (void *)aug_sq, (void *)rev_sq};

// y = (soft(a x0) + b, soft(b x1) * a): a custom-gradient callee inside.
static void F(double a, double b, const double *x, double *y) {
  y[0] = soft(a * x[0]) + b;
  y[1] = soft(b * x[1]) * a;
}

static double sig(double t) { return 1.0 / (1.0 + exp(-t)); }

int main(void) {
  double a = 0.7, b = -0.4, x[2] = {1.3, 0.6}, y[2];
  double s[3][2] = {{1, 0}, {0, 1}, {0.5, -2}}, dx[3][2] = {{0}};
  rule_runs = 0;
  G3 g = __enzyme_autodiff_g3((void *)F, enzyme_width, 3, enzyme_out, a, enzyme_out, b, enzyme_dupv,
                              sizeof dx[0], x, dx[0], enzyme_dupnoneed, y, s[0], s[1], s[2]);
  CHECK_TRUE("the scalar rule runs once per lane and call", rule_runs == 6);
  double s2[3][2] = {{1, 0}, {0, 1}, {0.5, -2}};
  for (int k = 0; k < 3; k++) {
    double s0 = s2[k][0], s1 = s2[k][1];
    double p0 = sig(a * x[0]), p1 = sig(b * x[1]);
    CHECK_CLOSE("d/da", g.a[k], s0 * p0 * x[0] + s1 * soft(b * x[1]), RTOL_D, ATOL_D);
    CHECK_CLOSE("d/db", g.b[k], s0 + s1 * a * p1 * x[1], RTOL_D, ATOL_D);
    CHECK_CLOSE("d/dx0", dx[k][0], s0 * p0 * a, RTOL_D, ATOL_D);
    CHECK_CLOSE("d/dx1", dx[k][1], s1 * a * p1 * b, RTOL_D, ATOL_D);
    double o[2], ds[2] = {s0, s1}, sx[2] = {0};
    G1 r = __enzyme_autodiff_g1((void *)F, enzyme_out, a, enzyme_out, b, enzyme_dup, x, sx,
                                enzyme_dupnoneed, o, ds);
    CHECK_CLOSE("d/da vs scalar reverse", g.a[k], r.a, RTOL_D, ATOL_D);
    CHECK_CLOSE("d/db vs scalar reverse", g.b[k], r.b, RTOL_D, ATOL_D);
  }
  // A function with a custom gradient itself: its rule runs once per lane.
  double u[2] = {0.4, -1.1}, yu[2], du[2][2] = {{0}}, su[2][2] = {{1, 0}, {0.5, 2}};
  rule_runs = 0;
  __enzyme_autodiff((void *)sq_into, enzyme_width, 2, enzyme_dupv, sizeof du[0], u, du[0], enzyme_dupv,
                    sizeof su[0], yu, su[0]);
  CHECK_TRUE("the top-level rule runs once per lane", rule_runs == 2);
  CHECK_CLOSE("custom top level: primal", yu[1], u[0] * u[1], RTOL_D, ATOL_D);
  double w[2][2] = {{1, 0}, {0.5, 2}};
  for (int k = 0; k < 2; k++) {
    CHECK_CLOSE("custom top level d/du0", du[k][0], 2 * u[0] * w[k][0] + u[1] * w[k][1], RTOL_D, ATOL_D);
    CHECK_CLOSE("custom top level d/du1", du[k][1], u[0] * w[k][1], RTOL_D, ATOL_D);
  }
  return check_report();
}
