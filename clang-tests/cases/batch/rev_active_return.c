// Batched reverse mode of a function returning a double (an active float return):
// __enzyme_autodiff with enzyme_width N seeds the return with 1.0 in every lane (Enzyme's
// convention), so the lanes differ by the seeds in the shadows of memory outputs; enzyme_out
// scalars return their N adjoints; with enzyme_primal_return the primal comes first; a function
// with a custom gradient of its own is computed lane by lane, each lane seeded 1.0. Split mode
// (__enzyme_augmentfwd / __enzyme_reverse) takes the return's N adjoints: as N scalars, or as one
// struct of N doubles (the C ABI passes two in registers, three or more in memory), with the tape
// returned or in caller memory (enzyme_tape, enzyme_allocated, __enzyme_augmentsize);
// enzyme_const_return takes no seed. Widths 2, 3, 5 and 7; a loop with a runtime trip count, heap
// scratch memory and a call that stays a call (noinline).
// Oracles, each lane on its own: the analytic gradient, central finite differences of the
// seeded objective, and the scalar reverse mode run once per lane.
#include "check.h"
#include <stdlib.h>

extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_out, enzyme_dupnoneed, enzyme_primal_return,
    enzyme_tape, enzyme_allocated, enzyme_const_return;
long __enzyme_augmentsize(void *, ...);
void __enzyme_augmentfwd_v(void *, ...) __asm__("__enzyme_augmentfwd");
typedef struct { double primal, da[3]; } PR3;
PR3 __enzyme_autodiff_pr3(void *, ...) __asm__("__enzyme_autodiff");
void __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
typedef struct { double d[2]; } L2;
typedef struct { double d[3]; } L3;
typedef struct { double d[5]; } L5;
L3 __enzyme_autodiff_l3(void *, ...) __asm__("__enzyme_autodiff");
L5 __enzyme_reverse_l5(void *, ...) __asm__("__enzyme_reverse");
typedef struct { double da[3], db[3]; } G33;
G33 __enzyme_autodiff_g33(void *, ...) __asm__("__enzyme_autodiff");

enum { N = 6 };

__attribute__((noinline)) static double inner(const double *x, int i) { return sin(x[i]) * x[(i + 1) % N]; }

// r = sum_i inner(x, i) * exp(-x_i^2 / 4) over a heap copy; y[i] = x[i]^2 * r (a memory output).
static double h(const double *x, double *y, int n) {
  double *w = malloc(n * sizeof *w);
  double r = 0;
  for (int i = 0; i < n; i++) w[i] = exp(-0.25 * x[i] * x[i]);
  for (int i = 0; i < n; i++) r += inner(x, i) * w[i];
  for (int i = 0; i < n; i++) y[i] = x[i] * x[i] * r;
  free(w);
  return r;
}

// The objective of lane k: phi(x) = h(x) + <s_k, y(x)>.
static double phi(const double *x, const double *s) {
  double y[N];
  double r = h(x, y, N), t = r;
  for (int i = 0; i < N; i++) t += s[i] * y[i];
  return t;
}

static double x0[N] = {0.3, -0.8, 1.1, 0.5, -1.4, 0.9};

static void seed(int k, double *s) {
  for (int i = 0; i < N; i++) s[i] = (i == k % N) ? 1.0 : 0.125 * ((k + 2 * i) % 5 - 2);
}

static void check_lane(const char *what, int k, const double *s, const double *g, double ret_seed) {
  char msg[160];
  // Finite differences of ret_seed * h + <s, y>.
  for (int i = 0; i < N; i++) {
    double xp[N], xm[N], e = 1e-6, yp[N], ym[N];
    for (int j = 0; j < N; j++) xp[j] = xm[j] = x0[j];
    xp[i] += e;
    xm[i] -= e;
    double rp = h(xp, yp, N), rm = h(xm, ym, N), fd = ret_seed * (rp - rm) / (2 * e);
    for (int j = 0; j < N; j++) fd += s[j] * (yp[j] - ym[j]) / (2 * e);
    snprintf(msg, sizeof msg, "%s lane %d grad[%d] vs finite differences", what, k, i);
    CHECK_CLOSE(msg, g[i], fd, RTOL_FD, ATOL_FD);
  }
  // The scalar reverse mode with the same seeds.
  double sg[N] = {0}, y[N], ds[N];
  for (int i = 0; i < N; i++) ds[i] = s[i];
  if (ret_seed == 1.0) {
    __enzyme_autodiff((void *)h, enzyme_dup, x0, sg, enzyme_dupnoneed, y, ds, enzyme_const, N);
    for (int i = 0; i < N; i++) {
      snprintf(msg, sizeof msg, "%s lane %d grad[%d] vs scalar reverse", what, k, i);
      CHECK_CLOSE(msg, g[i], sg[i], RTOL_D, ATOL_D);
    }
  }
}

#define COMBINED(W)                                                                                \
  do {                                                                                             \
    double g[W][N] = {{0}}, s[W][N], y[N];                                                         \
    for (int k = 0; k < W; k++) seed(k, s[k]);                                                     \
    __enzyme_autodiff((void *)h, enzyme_width, W, enzyme_dupv, sizeof g[0], x0, g[0],              \
                      enzyme_dupv, sizeof s[0], y, s[0], enzyme_const, N);                         \
    for (int k = 0; k < W; k++) seed(k, s[k]); /* the sweep consumed the output seeds */          \
    for (int k = 0; k < W; k++) check_lane("combined width " #W, k, s[k], g[k], 1.0);              \
  } while (0)

// f(a, b) = a^2 sin(b) + exp(a b): enzyme_out scalars, three lanes, every lane seeded 1.0.
static double f2(double a, double b) { return a * a * sin(b) + exp(a * b); }
// q(a, x, b) = a * sum x_i^2 + b * x_0: one active scalar, memory, another active scalar.
static double q(double a, const double *x, double b) {
  double s = 0;
  for (int i = 0; i < N; i++) s += x[i] * x[i];
  return a * s + b * x[0];
}

// A function returning a double with a custom gradient of its own: the lanes are computed one
// after the other by the scalar derivative, each seeded 1.0. The rule is exact.
static double soft(double x) { return log1p(exp(x)); }
static double *aug_soft(double x) {
  double *t = malloc(sizeof *t);
  *t = 1.0 / (1.0 + exp(-x));
  return t;
}
static double rev_soft(double x, double d, double *tape) {
  (void)x;
  double r = d * *tape;
  free(tape);
  return r;
}
void *__enzyme_register_gradient_soft[3] = {(void *)soft, (void *)aug_soft, (void *)rev_soft};

// With enzyme_primal_return: the primal result first, then the N adjoints of the enzyme_out a.
static double pf(double a, const double *x, double *y) {
  y[0] = a * x[0];
  return a * a * sin(x[1]);
}

int main(void) {
  {
    double x[2] = {0.5, 1.2}, gx[3][2] = {{0}}, y[1], s[3][1] = {{1}, {0}, {2}}, w[3] = {1, 0, 2}, a = 0.7;
    PR3 r = __enzyme_autodiff_pr3((void *)pf, enzyme_width, 3, enzyme_primal_return, enzyme_out, a, enzyme_dupv,
                                  sizeof gx[0], x, gx[0], enzyme_dupv, sizeof s[0], y, s[0]);
    CHECK_CLOSE("primal return", r.primal, a * a * sin(x[1]), RTOL_D, ATOL_D);
    CHECK_CLOSE("primal output", y[0], a * x[0], RTOL_D, ATOL_D);
    for (int k = 0; k < 3; k++) {
      CHECK_CLOSE("primal_return lanes d/da", r.da[k], 2 * a * sin(x[1]) + w[k] * x[0], RTOL_D, ATOL_D);
      CHECK_CLOSE("primal_return lanes d/dx0", gx[k][0], w[k] * a, RTOL_D, ATOL_D);
      CHECK_CLOSE("primal_return lanes d/dx1", gx[k][1], a * a * cos(x[1]), RTOL_D, ATOL_D);
    }
  }
  {
    L3 r = __enzyme_autodiff_l3((void *)soft, enzyme_width, 3, enzyme_out, 0.4);
    for (int k = 0; k < 3; k++) CHECK_CLOSE("custom gradient lanes", r.d[k], 1.0 / (1.0 + exp(-0.4)), RTOL_D, ATOL_D);
  }
  COMBINED(2);
  COMBINED(3);
  COMBINED(5);
  COMBINED(7);
  {
    double a = 0.7, b = -0.4;
    L3 r = __enzyme_autodiff_l3((void *)f2, enzyme_width, 3, enzyme_out, a, enzyme_const, b);
    for (int k = 0; k < 3; k++)
      CHECK_CLOSE("enzyme_out lanes d/da", r.d[k], 2 * a * sin(b) + b * exp(a * b), RTOL_D, ATOL_D);
    double da = __enzyme_autodiff_d((void *)f2, enzyme_out, a, enzyme_const, b);
    CHECK_CLOSE("enzyme_out lane vs scalar", r.d[2], da, RTOL_D, ATOL_D);
  }
  {
    double a = 1.3, b = 0.6, x[N], dx[3][N] = {{0}};
    for (int i = 0; i < N; i++) x[i] = x0[i];
    G33 r = __enzyme_autodiff_g33((void *)q, enzyme_width, 3, enzyme_out, a, enzyme_dupv, sizeof dx[0], x,
                                  dx[0], enzyme_out, b);
    double s = 0;
    for (int i = 0; i < N; i++) s += x0[i] * x0[i];
    for (int k = 0; k < 3; k++) {
      CHECK_CLOSE("mixed lanes d/da", r.da[k], s, RTOL_D, ATOL_D);
      CHECK_CLOSE("mixed lanes d/db", r.db[k], x0[0], RTOL_D, ATOL_D);
      for (int i = 0; i < N; i++)
        CHECK_CLOSE("mixed lanes d/dx", dx[k][i], 2 * a * x0[i] + (i == 0 ? b : 0), RTOL_D, ATOL_D);
    }
  }
  // Split mode, width 2: the return's adjoints as two scalars, then as a struct of two.
  for (int form = 0; form < 2; form++) {
    double x[N], y[N], g[2][N] = {{0}}, s[2][N], rs[2] = {0.5, -2.0};
    for (int i = 0; i < N; i++) x[i] = x0[i];
    for (int k = 0; k < 2; k++) seed(k + 1, s[k]);
    void *tape = __enzyme_augmentfwd((void *)h, enzyme_width, 2, enzyme_dupv, sizeof g[0], x, g[0], enzyme_dupv,
                                     sizeof s[0], y, s[0], enzyme_const, N);
    for (int i = 0; i < N; i++) x[i] = 50.0; // overwritten between the sweeps
    if (form == 0) {
      __enzyme_reverse((void *)h, enzyme_width, 2, enzyme_dupv, sizeof g[0], x, g[0], enzyme_dupv, sizeof s[0], y,
                       s[0], enzyme_const, N, rs[0], rs[1], tape);
    } else {
      L2 seeds = {{rs[0], rs[1]}};
      __enzyme_reverse((void *)h, enzyme_width, 2, enzyme_dupv, sizeof g[0], x, g[0], enzyme_dupv, sizeof s[0], y,
                       s[0], enzyme_const, N, seeds, tape);
    }
    for (int k = 0; k < 2; k++) seed(k + 1, s[k]);
    for (int k = 0; k < 2; k++) check_lane(form ? "split width 2 struct" : "split width 2 scalars", k, s[k], g[k], rs[k]);
  }
  // Split mode, width 3: a struct of three (passed in memory).
  {
    double x[N], y[N], g[3][N] = {{0}}, s[3][N];
    L3 seeds = {{1.0, 0.25, -1.5}};
    for (int i = 0; i < N; i++) x[i] = x0[i];
    for (int k = 0; k < 3; k++) seed(k + 3, s[k]);
    void *tape = __enzyme_augmentfwd((void *)h, enzyme_width, 3, enzyme_dupv, sizeof g[0], x, g[0], enzyme_dupv,
                                     sizeof s[0], y, s[0], enzyme_const, N);
    __enzyme_reverse((void *)h, enzyme_width, 3, enzyme_dupv, sizeof g[0], x, g[0], enzyme_dupv, sizeof s[0], y,
                     s[0], enzyme_const, N, seeds, tape);
    for (int k = 0; k < 3; k++) seed(k + 3, s[k]);
    for (int k = 0; k < 3; k++) check_lane("split width 3 struct", k, s[k], g[k], seeds.d[k]);
  }
  // Split mode with enzyme_out: width 5, the adjoints of a returned in lanes (seeds 1, 2, ..., 5).
  {
    double a = 0.7, b = -0.4;
    void *tape = __enzyme_augmentfwd((void *)f2, enzyme_width, 5, enzyme_out, a, enzyme_const, b);
    L5 r = __enzyme_reverse_l5((void *)f2, enzyme_width, 5, enzyme_out, a, enzyme_const, b, 1.0, 2.0, 3.0, 4.0, 5.0,
                               tape);
    for (int k = 0; k < 5; k++)
      CHECK_CLOSE("split enzyme_out lanes", r.d[k], (k + 1) * (2 * a * sin(b) + b * exp(a * b)), RTOL_D, ATOL_D);
  }
  // Split mode with the tape in caller memory (enzyme_tape, enzyme_allocated, sized by
  // __enzyme_augmentsize) and three scalar adjoints of the return; then enzyme_const_return
  // (no seed: the lanes come from the memory output's seeds alone).
  {
    double x[2] = {0.5, 2.0}, dx[3][2] = {{0}}, y[1], dy[3][1] = {{1}, {2}, {3}}, rs[3] = {1.0, -0.5, 0.25};
    long sz = __enzyme_augmentsize((void *)pf, enzyme_width, 3, enzyme_const, enzyme_dupv, sizeof dx[0], enzyme_dupv,
                                   sizeof dy[0]);
    void *mem = malloc(sz);
    __enzyme_augmentfwd_v((void *)pf, enzyme_width, 3, enzyme_allocated, sz, enzyme_tape, mem, enzyme_const, 0.7,
                          enzyme_dupv, sizeof dx[0], x, dx[0], enzyme_dupv, sizeof dy[0], y, dy[0]);
    __enzyme_reverse((void *)pf, enzyme_width, 3, enzyme_allocated, sz, enzyme_tape, mem, enzyme_const, 0.7,
                     enzyme_dupv, sizeof dx[0], x, dx[0], enzyme_dupv, sizeof dy[0], y, dy[0], rs[0], rs[1], rs[2]);
    free(mem);
    for (int k = 0; k < 3; k++) {
      CHECK_CLOSE("enzyme_tape lanes d/dx0", dx[k][0], (k + 1) * 0.7, RTOL_D, ATOL_D);
      CHECK_CLOSE("enzyme_tape lanes d/dx1", dx[k][1], rs[k] * 0.49 * cos(x[1]), RTOL_D, ATOL_D);
    }
    double gx[3][2] = {{0}}, sy[3][1] = {{1}, {2}, {3}};
    __enzyme_autodiff((void *)pf, enzyme_width, 3, enzyme_const_return, enzyme_const, 0.7, enzyme_dupv, sizeof gx[0], x,
                      gx[0], enzyme_dupv, sizeof sy[0], y, sy[0]);
    for (int k = 0; k < 3; k++) {
      CHECK_CLOSE("const_return lanes d/dx0", gx[k][0], (k + 1) * 0.7, RTOL_D, ATOL_D);
      CHECK_CLOSE("const_return lanes d/dx1", gx[k][1], 0.0, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
