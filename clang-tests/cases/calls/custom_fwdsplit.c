// RUN: clang opt
// A split forward rule, `void* __enzyme_register_splitderivative_NAME[3] = { f,
// augmented_forward, split_forward }`: __enzyme_augmentfwd of f calls the user's augmented forward
// function (its tape, and the primal), and __enzyme_fwdsplit of f calls the user's split forward
// function with the arguments interleaved with their tangents (a duplicated pointer with its
// shadow) and that tape last; it returns {primal, tangent} or the tangent alone. The rules here
// read the point from their tape, so the tangent is the one at the point the augmented pass saw
// even where the caller changed the inputs in between. Also calls of such functions inside a
// function differentiated with __enzyme_fwdsplit (the user's tapes travel in its tape's log; the
// rule returns {primal, tangent} there). Oracles: analytic derivatives and central finite
// differences at that point; counters show the user's functions ran (not f's body).
#include "check.h"
#include <stdlib.h>

typedef struct { void *tape; double primal; } TapeAndDouble;
typedef struct { double primal, tangent; } PT;
TapeAndDouble __enzyme_augmentfwd(void *, ...);
void *__enzyme_augmentfwd_t(void *, ...) __asm__("__enzyme_augmentfwd");
double __enzyme_fwdsplit(void *, ...);
PT __enzyme_fwdsplit_pt(void *, ...) __asm__("__enzyme_fwdsplit");
extern int enzyme_primal_return;

static int aug_runs, fwd_runs;

// f(x, y) = x * sin(y)
__attribute__((noinline)) double prod_sin(double x, double y) { return x * sin(y); }
TapeAndDouble prod_sin_aug(double x, double y) {
  double *t = (double *)malloc(2 * sizeof(double));
  t[0] = x;
  t[1] = y;
  aug_runs++;
  TapeAndDouble r = {t, x * sin(y)};
  return r;
}
PT prod_sin_fwd(double x, double dx, double y, double dy, void *tape) {
  double *t = (double *)tape;
  double x0 = t[0], y0 = t[1];
  free(tape);
  fwd_runs++;
  (void)x;
  (void)y;
  PT r = {x0 * sin(y0), dx * sin(y0) + x0 * cos(y0) * dy};
  return r;
}
void *__enzyme_register_splitderivative_prod_sin[3] = {(void *)prod_sin, (void *)prod_sin_aug,
                                                      (void *)prod_sin_fwd};

// g(p, n) = sum p[i]^3
__attribute__((noinline)) double cubes(const double *p, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += p[i] * p[i] * p[i];
  return s;
}
void *cubes_aug(const double *p, const double *dp, int n) {
  (void)dp;
  double *t = (double *)malloc(n * sizeof(double));
  for (int i = 0; i < n; i++) t[i] = p[i];
  aug_runs++;
  return t;
}
PT cubes_fwd(const double *p, const double *dp, int n, void *tape) {
  double *t = (double *)tape, s = 0, v = 0;
  (void)p;
  for (int i = 0; i < n; i++) {
    s += 3 * t[i] * t[i] * dp[i];
    v += t[i] * t[i] * t[i];
  }
  free(tape);
  fwd_runs++;
  PT r = {v, s};
  return r;
}
// h(x) = 3x, the rule returns the tangent only
__attribute__((noinline)) double triple(double x) { return 3 * x; }
void *triple_aug(double x) { (void)x; return 0; }
double triple_fwd(double x, double dx, void *tape) { (void)x; (void)tape; fwd_runs++; return 3 * dx; }
void *__enzyme_register_splitderivative_triple[3] = {(void *)triple, (void *)triple_aug,
                                                    (void *)triple_fwd};
void *__enzyme_register_splitderivative_cubes[3] = {(void *)cubes, (void *)cubes_aug,
                                                   (void *)cubes_fwd};

// functions calling them, differentiated with __enzyme_fwdsplit
static double outer(double x, double y) { return prod_sin(2 * x, y) * x + y; }
static double outer_p(double *p, int n) {
  double c = cubes(p, n);
  p[0] = c; /* overwrites what it read */
  return c * c;
}

static double Y0;
static double ps_of_x(double x) { return prod_sin(x, Y0); }
static double ps_of_y(double y) { return prod_sin(1.0, y); }

int main(void) {
  for (double x = -1.0; x <= 1.5; x += 0.5) {
    double y = 0.3 + 0.6 * x;
    Y0 = y;
    TapeAndDouble a = __enzyme_augmentfwd((void *)prod_sin, x, y);
    CHECK_CLOSE_AT("augmented primal", x, a.primal, x * sin(y), RTOL_D, ATOL_D);
    double xs = x, ys = y;
    x += 10.0; /* changed after the augmented pass: the rule reads its tape */
    y -= 3.0;
    double t = __enzyme_fwdsplit((void *)prod_sin, x, 1.0, y, 0.0, a.tape);
    x = xs;
    y = ys;
    CHECK_CLOSE_AT("fwdsplit d/dx (at the augmented point)", x, t, sin(y), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("fwdsplit d/dx vs fd", x, t, fd1(ps_of_x, x), RTOL_FD, ATOL_FD);
    void *tape = __enzyme_augmentfwd_t((void *)prod_sin, 1.0, y);
    PT pt = __enzyme_fwdsplit_pt((void *)prod_sin, enzyme_primal_return, 1.0, 0.0, y, 1.0, tape);
    CHECK_CLOSE_AT("fwdsplit primal", x, pt.primal, sin(y), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("fwdsplit d/dy vs fd", x, pt.tangent, fd1(ps_of_y, y), RTOL_FD, ATOL_FD);
  }
  CHECK_TRUE("the user's functions ran", aug_runs == 12 && fwd_runs == 12);

  enum { N = 5 };
  double p[N] = {0.5, -1.25, 2.0, 0.75, -0.3}, dp[N] = {1.0, 0.5, -2.0, 0.25, 3.0}, sh[N] = {0};
  double p0[N];
  for (int i = 0; i < N; i++) p0[i] = p[i];
  void *tape = __enzyme_augmentfwd_t((void *)cubes, p, sh, N);
  for (int i = 0; i < N; i++) p[i] = 0; /* overwritten between the passes */
  double tc = __enzyme_fwdsplit((void *)cubes, p, dp, N, tape);
  double want = 0;
  for (int i = 0; i < N; i++) want += 3 * p0[i] * p0[i] * dp[i];
  CHECK_CLOSE("pointer argument: tangent at the augmented point", tc, want, RTOL_D, ATOL_D);
  double h = 1e-6, pp[N], pm[N];
  for (int i = 0; i < N; i++) {
    pp[i] = p0[i] + h * dp[i];
    pm[i] = p0[i] - h * dp[i];
  }
  CHECK_CLOSE("pointer argument vs fd", tc, (cubes(pp, N) - cubes(pm, N)) / (2 * h), RTOL_FD, ATOL_FD);
  CHECK_TRUE("the user's functions ran (pointer rule)", aug_runs == 13 && fwd_runs == 13);
  void *tt = __enzyme_augmentfwd_t((void *)triple, 2.0);
  CHECK_CLOSE("a rule returning the tangent only", __enzyme_fwdsplit((void *)triple, 2.0, 0.5, tt), 1.5, 0, 0);

  for (double x = -1.0; x <= 1.0; x += 0.5) {
    double y = 0.4 - 0.2 * x;
    void *tape = __enzyme_augmentfwd_t((void *)outer, x, y);
    double t = __enzyme_fwdsplit((void *)outer, x, 1.0, y, 0.5, tape);
    double want = 4 * x * sin(y) + 0.5 * (2 * x * x * cos(y) + 1);
    CHECK_CLOSE_AT("inside a fwdsplit: tangent", x, t, want, RTOL_D, ATOL_D);
  }
  {
    double q[3] = {0.5, -1.0, 1.5}, dq[3] = {1.0, 0.0, 2.0}, sq[3] = {0}, q0[3], dq0[3];
    for (int i = 0; i < 3; i++) q0[i] = q[i], dq0[i] = dq[i];
    void *tape = __enzyme_augmentfwd_t((void *)outer_p, q, sq, 3);
    q[1] = 42.0; /* changed between the passes: the rule reads its tape */
    double t = __enzyme_fwdsplit((void *)outer_p, q, dq, 3, tape);
    double c = cubes(q0, 3), dc = 0;
    for (int i = 0; i < 3; i++) dc += 3 * q0[i] * q0[i] * dq0[i];
    CHECK_CLOSE("inside a fwdsplit, a pointer rule", t, 2 * c * dc, RTOL_D, ATOL_D);
    CHECK_CLOSE("the tangent of the store p[0] = c", dq[0], dc, RTOL_D, ATOL_D);
    double h = 1e-6, qp[3], qm[3];
    for (int i = 0; i < 3; i++) {
      qp[i] = q0[i] + h * dq0[i];
      qm[i] = q0[i] - h * dq0[i];
    }
    CHECK_CLOSE("inside a fwdsplit, vs fd", t, (outer_p(qp, 3) - outer_p(qm, 3)) / (2 * h), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
