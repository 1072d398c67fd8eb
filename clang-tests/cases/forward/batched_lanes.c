// Batched forward mode (enzyme_width N) as one derivative: widths 1, 2, 3, 5, 8 and 16 (not only
// powers of two) on a vector function with a loop of runtime trip count, heap scratch memory and
// libm calls; N tangents of scalar arguments and of a float result; enzyme_dupv (byte stride),
// enzyme_dupnoneed and enzyme_dupnoneedv; data through a mutable global (a shadow global per
// lane); an in-place update and a call counter, which show that the primal runs once
// (computing the lanes one after the other could not give these results).
// Oracles, each lane on its own: central finite differences of the primal along the lane's
// direction, the scalar forward mode run once per direction, analytic derivatives.
#include "check.h"
#include <stdlib.h>

extern int enzyme_width, enzyme_dup, enzyme_const, enzyme_dupv, enzyme_dupnoneed, enzyme_dupnoneedv;
void __enzyme_fwddiff(void *, ...);
double __enzyme_fwddiff_d(void *, ...);

enum { M = 7, MAXW = 16 };

// y = F(x), x, y in R^n: a loop with a runtime bound, a heap scratch buffer, libm calls.
static void kin(const double *x, double *y, int n) {
  double *w = malloc(n * sizeof *w);
  for (int i = 0; i < n; i++) w[i] = exp(-0.5 * x[i]) * x[(i + 1) % n];
  for (int i = 0; i < n; i++)
    y[i] = w[i] - w[(i + n - 1) % n] * sin(x[i]) + sqrt(x[i] * x[i] + 1.0) + pow(fabs(x[i]) + 1.0, 1.5);
  free(w);
}

static void kin_fd(const double *x, const double *v, double *dy, int n) {
  double e = 1e-6, xp[M], xm[M], yp[M], ym[M];
  for (int i = 0; i < n; i++) { xp[i] = x[i] + e * v[i]; xm[i] = x[i] - e * v[i]; }
  kin(xp, yp, n);
  kin(xm, ym, n);
  for (int i = 0; i < n; i++) dy[i] = (yp[i] - ym[i]) / (2 * e);
}

// Checks lane k of a batched result against finite differences and the scalar forward mode.
static void check_lane(const char *what, int width, int k, const double *x, const double *v,
                       const double *dy, const double *y) {
  char msg[160];
  double fd[M], sdy[M], sy[M];
  kin_fd(x, v, fd, M);
  __enzyme_fwddiff((void *)kin, enzyme_dup, x, v, enzyme_dup, sy, sdy, enzyme_const, M);
  for (int i = 0; i < M; i++) {
    snprintf(msg, sizeof msg, "%s width %d lane %d y'[%d] vs finite differences", what, width, k, i);
    CHECK_CLOSE(msg, dy[i], fd[i], RTOL_FD, ATOL_FD);
    snprintf(msg, sizeof msg, "%s width %d lane %d y'[%d] vs scalar forward", what, width, k, i);
    CHECK_CLOSE(msg, dy[i], sdy[i], RTOL_D, ATOL_D);
    if (y) CHECK_CLOSE("primal result", y[i], sy[i], RTOL_D, ATOL_D);
  }
}

static double x0[M] = {0.3, -0.8, 1.1, 0.5, -1.4, 0.9, 0.2};
static double dirs[MAXW][M], douts[MAXW][M];

static void set_dirs(int width) {
  for (int k = 0; k < width; k++)
    for (int i = 0; i < M; i++) {
      dirs[k][i] = (i == k % M) ? 1.0 : 0.125 * ((k + 2 * i) % 5 - 2);
      douts[k][i] = 12345.0; // overwritten by the derivative
    }
}

// The same request at each width; dupv strides over the rows of dirs / douts.
#define BATCH(W)                                                                                     \
  do {                                                                                               \
    double y[M];                                                                                     \
    set_dirs(W);                                                                                     \
    __enzyme_fwddiff((void *)kin, enzyme_width, W, enzyme_dupv, sizeof dirs[0], x0, dirs[0],        \
                     enzyme_dupv, sizeof douts[0], y, douts[0], enzyme_const, M);                    \
    for (int k = 0; k < W; k++) check_lane("dupv", W, k, x0, dirs[k], douts[k], y);                 \
    set_dirs(W);                                                                                     \
    __enzyme_fwddiff((void *)kin, enzyme_width, W, enzyme_dupv, sizeof dirs[0], x0, dirs[0],        \
                     enzyme_dupnoneedv, sizeof douts[0], y, douts[0], enzyme_const, M);              \
    for (int k = 0; k < W; k++) check_lane("dupnoneedv", W, k, x0, dirs[k], douts[k], 0);           \
  } while (0)

// Scalars: N tangents per argument and N tangents of the result (a struct of N doubles).
static double f3(double a, double b, double c) { return exp(a * b) * log(c * c + 1.0) - a * cos(c); }
typedef struct { double d[5]; } R5;
typedef struct { double d[16]; } R16;
R5 __enzyme_fwddiff_r5(void *, ...);
R16 __enzyme_fwddiff_r16(void *, ...);

// In place: lanes computed one after the other would see squared values.
static void square_all(double *x, int n) {
  for (int i = 0; i < n; i++) x[i] = x[i] * x[i];
}

// A side effect the primal has once: the counter counts runs of the function.
static int runs;
static double counted(const double *x, int n) {
  runs++;
  double s = 0;
  for (int i = 0; i < n; i++) s += x[i] * x[i] * x[i];
  return s;
}

// Active data through a mutable global: each lane has a shadow global of its own.
static double buf[4];
static double through_global(const double *x) {
  for (int i = 0; i < 4; i++) buf[i] = sin(x[i]) * x[(i + 1) % 4];
  double s = 0;
  for (int i = 0; i < 4; i++) s += buf[i] * buf[(i + 2) % 4];
  return s;
}
typedef struct { double d[3]; } R3;
R3 __enzyme_fwddiff_r3(void *, ...);

int main(void) {
  {
    double x[4] = {0.3, 0.7, -0.2, 1.1}, d[3][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0.5, 0.5, 0, 1}};
    R3 r = __enzyme_fwddiff_r3((void *)through_global, enzyme_width, 3, enzyme_dupv, sizeof d[0], x, d[0]);
    for (int k = 0; k < 3; k++) {
      double e = 1e-6, xp[4], xm[4];
      for (int i = 0; i < 4; i++) { xp[i] = x[i] + e * d[k][i]; xm[i] = x[i] - e * d[k][i]; }
      double fd = (through_global(xp) - through_global(xm)) / (2 * e);
      CHECK_CLOSE("global buffer lane vs finite differences", r.d[k], fd, RTOL_FD, ATOL_FD);
    }
  }
  BATCH(1);
  BATCH(2);
  BATCH(3);
  BATCH(5);
  BATCH(8);
  BATCH(16);

  // Lanes given one by one, with enzyme_dupnoneed for the output.
  {
    double y[M], d[3][M], dy[3][M];
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < M; i++) d[k][i] = (i == 2 * k) ? 1.0 : 0.1 * (i - k);
    __enzyme_fwddiff((void *)kin, enzyme_width, 3, enzyme_dup, x0, d[0], d[1], d[2], enzyme_dupnoneed, y,
                     dy[0], dy[1], dy[2], enzyme_const, M);
    for (int k = 0; k < 3; k++) check_lane("dup/dupnoneed", 3, k, x0, d[k], dy[k], 0);
  }

  // f3's gradient in 3 of 5 lanes, two more directions in the others.
  {
    double a = 0.4, b = -0.7, c = 1.2;
    double da[5] = {1, 0, 0, 0.5, -1}, db[5] = {0, 1, 0, 0.25, 2}, dc[5] = {0, 0, 1, -1, 0.5};
    R5 r = __enzyme_fwddiff_r5((void *)f3, enzyme_width, 5, a, da[0], da[1], da[2], da[3], da[4], b, db[0],
                               db[1], db[2], db[3], db[4], c, dc[0], dc[1], dc[2], dc[3], dc[4]);
    double ga = b * exp(a * b) * log(c * c + 1.0) - cos(c);
    double gb = a * exp(a * b) * log(c * c + 1.0);
    double gc = exp(a * b) * 2 * c / (c * c + 1.0) + a * sin(c);
    for (int k = 0; k < 5; k++) {
      char msg[64];
      snprintf(msg, sizeof msg, "f3 lane %d (analytic)", k);
      CHECK_CLOSE(msg, r.d[k], ga * da[k] + gb * db[k] + gc * dc[k], RTOL_D, ATOL_D);
    }
  }

  // A float result with 16 tangents (returned through sret), lane k along dirs[k].
  {
    set_dirs(16);
    R16 r = __enzyme_fwddiff_r16((void *)counted, enzyme_width, 16, enzyme_dupv, sizeof dirs[0], x0,
                                 dirs[0], enzyme_const, M);
    for (int k = 0; k < 16; k++) {
      double want = 0;
      for (int i = 0; i < M; i++) want += 3 * x0[i] * x0[i] * dirs[k][i];
      char msg[64];
      snprintf(msg, sizeof msg, "counted lane %d (analytic)", k);
      CHECK_CLOSE(msg, r.d[k], want, RTOL_D, ATOL_D);
    }
    CHECK_TRUE("the primal ran once for 16 lanes", runs == 1);
  }

  // In-place update, width 3: each lane d_i' = 2 x_i d_i, and x squared once.
  {
    double x[4] = {1.5, -2.0, 0.5, 3.0}, d[3][4];
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < 4; i++) d[k][i] = 1.0 + k - 0.5 * i;
    __enzyme_fwddiff((void *)square_all, enzyme_width, 3, enzyme_dup, x, d[0], d[1], d[2], enzyme_const, 4);
    double x0s[4] = {1.5, -2.0, 0.5, 3.0};
    for (int i = 0; i < 4; i++) {
      CHECK_CLOSE("squared once", x[i], x0s[i] * x0s[i], RTOL_D, ATOL_D);
      for (int k = 0; k < 3; k++) CHECK_CLOSE("in-place lane", d[k][i], 2 * x0s[i] * (1.0 + k - 0.5 * i), RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
