// Custom rules as a library author writes them: a "black box" solver (fixed-point iteration)
// with a registered reverse rule (implicit function theorem) and forward rule, a
// function_like wrapper, an inactive logging function, called inside a loop.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <stdio.h>
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_dupnoneed;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

/* solve y = cos(a*y) + b for y by fixed point; implicit derivative:
   F(y,a,b) = y - cos(a y) - b = 0; Fy = 1 + a sin(a y); Fa = y sin(a y); Fb = -1
   dy/da = -Fa/Fy, dy/db = 1/Fy */
__attribute__((noinline)) void solve(const double *ab, double *y) {
  double v = 0.5;
  for (int it = 0; it < 200; it++) v = cos(ab[0] * v) + ab[1];
  *y = v;
}
/* augmented forward: compute the primal, return nothing on the tape */
void *solve_aug(const double *ab, const double *dab, double *y, double *dy) {
  solve(ab, y);
  double *t = malloc(sizeof(double)); /* y may be overwritten before the reverse: keep it */
  *t = *y;
  return t;
}
void solve_rev(const double *ab, double *dab, double *y, double *dy, void *tape) {
  double v = *(double *)tape, a = ab[0];
  free(tape);
  double Fy = 1 + a * sin(a * v);
  double yb = *dy;
  dab[0] += yb * (-(v * sin(a * v)) / Fy);
  dab[1] += yb * (1.0 / Fy);
  *dy = 0;
}
void solve_fwd(const double *ab, const double *dab, double *y, double *dy) {
  solve(ab, y);
  double v = *y, a = ab[0];
  double Fy = 1 + a * sin(a * v);
  *dy = dab[0] * (-(v * sin(a * v)) / Fy) + dab[1] / Fy;
}
void *__enzyme_register_gradient_solve[3] = {(void *)solve, (void *)solve_aug, (void *)solve_rev};
void *__enzyme_register_derivative_solve[2] = {(void *)solve, (void *)solve_fwd};

/* my_exp behaves like exp (its body, a 30-term series, is not differentiated: exp's rule is used) */
__attribute__((noinline)) double my_exp(double x) {
  double s = 1, t = 1;
  for (int i = 1; i < 30; i++) { t *= x / i; s += t; }
  return s;
}
void *__enzyme_function_like[2] = {(void *)my_exp, (void *)"exp"};

static int nlog;
__attribute__((noinline)) void log_value(const char *what, double v) {
  nlog++;
  if (getenv("P09_VERBOSE")) printf("%s = %g\n", what, v);
}
void *__enzyme_inactivefn[1] = {(void *)log_value};

double objective(const double *p, int n) {
  double s = 0;
  for (int i = 0; i + 1 < n; i += 2) {
    double y;
    solve(p + i, &y);
    log_value("y", y);
    s += my_exp(y) * p[i];
  }
  return s;
}
static double objective_ref(const double *p, int n) {
  double s = 0;
  for (int i = 0; i + 1 < n; i += 2) {
    double y; solve(p + i, &y);
    s += exp(y) * p[i];
  }
  return s;
}
int main(void) {
  enum { N = 6 };
  double p[N] = {0.3, 0.1, 0.7, -0.2, 0.5, 0.4}, dp[N] = {0};
  __enzyme_autodiff((void *)objective, enzyme_dup, p, dp, enzyme_const, N);
  CHECK_ARRAY_FD("reverse", p, N, dp, 1e-6, objective_ref(p, N), 1e-6, 1e-7);
  double v[N] = {1, 0.5, -0.3, 0.2, 0.7, -1.0};
  double t = __enzyme_fwddiff((void *)objective, enzyme_dup, p, v, enzyme_const, N);
  double want = 0;
  for (int i = 0; i < N; i++) want += v[i] * dp[i];
  CHECK_CLOSE("fwd vs rev", t, want, 1e-10, 1e-12);
  CHECK_TRUE("logged", nlog > 0);
  return check_report();
}
