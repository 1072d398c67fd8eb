// The vector-normalisation example: out_i = in_i / mag(in), mag an O(n) loop called inside the
// O(n) loop (hoisted by LICM at -O1+). Reverse with a seed w: din = w/m - in (w.in)/m^3, seed
// consumed; forward: tout = tin/m - in (in.tin)/m^3. n = 1000.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

static double mag(const double *x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += x[i] * x[i];
  return sqrt(s);
}
void normalize(double *out, const double *in, int n) {
  for (int i = 0; i < n; i++)
    out[i] = in[i] / mag(in, n);
}

#define N 1000

int main(void) {
  static double in[N], din[N], out[N], dout[N], w[N], tin[N], tout[N];
  unsigned s = 12345;
  for (int i = 0; i < N; i++) {
    in[i] = prand(&s);
    w[i] = dout[i] = prand(&s);
    din[i] = 0.0;
    tin[i] = prand(&s);
  }
  double m = mag(in, N), wi = dotv(w, in, N), ti = dotv(tin, in, N);
  __enzyme_autodiff((void *)normalize, out, dout, in, din, N);
  int bad_rev = 0, bad_seed = 0, bad_fwd = 0;
  for (int i = 0; i < N; i++) {
    double want = w[i] / m - in[i] * wi / (m * m * m);
    bad_rev += !(fabs(din[i] - want) <= 1e-10 * fabs(want) + 1e-13);
    bad_seed += dout[i] != 0.0;
  }
  CHECK_TRUE("reverse din matches w/m - in (w.in)/m^3 for all 1000 entries", bad_rev == 0);
  CHECK_TRUE("seed consumed", bad_seed == 0);
  CHECK_CLOSE("reverse din[17]", din[17], w[17] / m - in[17] * wi / (m * m * m), 1e-10, 1e-13);
  __enzyme_fwddiff((void *)normalize, out, tout, in, tin, N);
  for (int i = 0; i < N; i++) {
    double want = tin[i] / m - in[i] * ti / (m * m * m);
    bad_fwd += !(fabs(tout[i] - want) <= 1e-10 * fabs(want) + 1e-13);
  }
  CHECK_TRUE("forward tout matches for all 1000 entries", bad_fwd == 0);
  CHECK_CLOSE("forward tout[999]", tout[999], tin[999] / m - in[999] * ti / (m * m * m), 1e-10, 1e-13);
  CHECK_CLOSE("forward vs reverse: <tout, w> == <tin, din>", dotv(tout, w, N), dotv(tin, din, N), 1e-10, 1e-13);
  return check_report();
}
