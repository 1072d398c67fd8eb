// A callee that only reads memory but calls sqrt, under C's default -fmath-errno: the primal's
// optimizer cannot hoist `mag(in, n)` out of `out[i] = in[i] / mag(in, n)` (sqrt may write errno,
// so the call is not read-only), and the primal stays O(n^2). errno is no observable of a
// derivative: ferment hoists the call in its private copy, so at -O1 and up the gradient is
// O(n) (its cost is measured by the normalize benchmark with plain flags, benches/). Checked:
// (1) the gradient against the analytic din = w/m - in (w.in)/m^3; (2) in-place normalization, where the loop
// writes the array the callee reads, so each iteration must see the norm of the partially
// normalized vector (hoisting would be wrong): against central finite differences and forward
// mode; (3) a callee reading through a pointer loaded from a struct (any memory) in a loop that
// writes nothing but the output: against the analytic gradient.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) static double mag(const double *restrict x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += x[i] * x[i];
  return sqrt(s);
}

__attribute__((noinline)) void normalize(double *restrict out, const double *restrict in, int n) {
  for (int i = 0; i < n; i++)
    out[i] = in[i] / mag(in, n);
}

// In place: iteration i divides by the norm of (x[0..i) already divided, x[i..n) not yet).
__attribute__((noinline)) void normalize_inplace(double *x, int n) {
  for (int i = 0; i < n; i++)
    x[i] = x[i] / mag(x, n);
}

typedef struct {
  const double *data;
  int n;
} vec;

__attribute__((noinline)) static double vmag(const vec *v) {
  double s = 0.0;
  for (int i = 0; i < v->n; i++)
    s += v->data[i] * v->data[i];
  return exp(0.5 * log(s));
}

__attribute__((noinline)) double weighted_over_norm(const vec *v, const double *restrict w, int n) {
  double r = 0.0;
  for (int i = 0; i < n; i++)
    r += w[i] * v->data[i] / vmag(v);
  return r;
}

#ifdef __OPTIMIZE__
#define N 20000
#else
#define N 2000 // nothing is hoisted at -O0: the gradient is O(n^2)
#endif
#define M 12

static double w_m[M];
static double inplace_objective(const double *x0) {
  double x[M];
  memcpy(x, x0, sizeof x);
  normalize_inplace(x, M);
  return dotv(w_m, x, M);
}

static void hand_vjp(const double *in, const double *w, double *din, int n) {
  double s = 0, t = 0;
  for (int i = 0; i < n; i++) {
    s += in[i] * in[i];
    t += w[i] * in[i];
  }
  double m = sqrt(s), m3 = m * m * m;
  for (int i = 0; i < n; i++)
    din[i] += w[i] / m - in[i] * t / m3;
}

int main(void) {
  static double in[N], din[N], out[N], dout[N], w[N], hd[N];
  unsigned s = 777;
  for (int i = 0; i < N; i++) {
    in[i] = prand(&s);
    w[i] = prand(&s);
  }
  double m = sqrt(dotv(in, in, N)), wi = dotv(w, in, N);

  // (1) out = in / |in|, large n.
  memset(din, 0, sizeof din);
  memcpy(dout, w, sizeof dout);
  __enzyme_autodiff((void *)normalize, enzyme_dup, out, dout, enzyme_dup, in, din, enzyme_const, N);
  int bad = 0;
  for (int i = 0; i < N; i++) {
    double want = w[i] / m - in[i] * wi / (m * m * m);
    bad += !(fabs(din[i] - want) <= 1e-10 * fabs(want) + 1e-13);
  }
  CHECK_TRUE("normalize: din matches w/m - in (w.in)/m^3 for all N entries", bad == 0);
  CHECK_CLOSE("normalize: din[N / 3]", din[N / 3], w[N / 3] / m - in[N / 3] * wi / (m * m * m), 1e-10, 1e-13);
  memset(hd, 0, sizeof hd);
  hand_vjp(in, w, hd, N);
  CHECK_ARRAY_CLOSE("normalize: din against the hand-written adjoint", din, hd, N, 1e-10, 1e-13);

  // (2) In place: the callee reads what the loop writes; nothing may be hoisted.
  double x0[M], x[M], dx[M], tx[M], tdx[M];
  for (int i = 0; i < M; i++) {
    x0[i] = prand(&s);
    w_m[i] = prand(&s);
    tdx[i] = prand(&s);
  }
  memcpy(x, x0, sizeof x);
  memcpy(dx, w_m, sizeof dx);
  __enzyme_autodiff((void *)normalize_inplace, x, dx, M);
  for (int i = 0; i < M; i++)
    CHECK_CLOSE_AT("in place: gradient vs central differences", i, dx[i], fdv(inplace_objective, x0, M, i),
                   RTOL_FD, 1e-7);
  memcpy(x, x0, sizeof x);
  memcpy(tx, tdx, sizeof tx);
  __enzyme_fwddiff((void *)normalize_inplace, x, tx, M);
  CHECK_CLOSE("in place: forward vs reverse <tx, w> == <tdx, dx>", dotv(tx, w_m, M), dotv(tdx, dx, M), 1e-10,
              1e-13);

  // (3) The callee reads through a pointer loaded from a struct.
  static double dv[N];
  vec v = {in, N}, sv = {dv, N};
  memset(dv, 0, sizeof dv);
  double r = __enzyme_autodiff((void *)weighted_over_norm, enzyme_dup, &v, &sv, enzyme_const, w, enzyme_const, N);
  (void)r;
  bad = 0;
  for (int i = 0; i < N; i++) {
    double want = w[i] / m - in[i] * wi / (m * m * m);
    bad += !(fabs(dv[i] - want) <= 1e-9 * fabs(want) + 1e-12);
  }
  CHECK_TRUE("through a struct: dv matches w/m - in (w.in)/m^3 for all N entries", bad == 0);
  return check_report();
}
