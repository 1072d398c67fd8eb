// A reverse loop unswitched on a zero adjoint (the max over candidates: every candidate but the
// chosen one has a zero adjoint) inside loops full of other loop-invariant conditions: inner
// loops guarded by their sizes, a switch on a mode, a select and an `&&` on a flag. The
// derivative's optimizer unswitches large loops on the zero test only; the other conditions are
// hidden from that unswitching and restored after it (copied per combination, they multiplied
// whole loop nests; at -O1 here: 701 -> 599 instructions). Every mode and flag value runs, with
// sizes that make the inner loops empty too.
// Oracles: central finite differences of the primal, the exact zero gradient of a candidate row
// that is never chosen, and forward mode against the reverse dot product.
#include "check.h"
#include <math.h>

extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { N = 30, D = 5, K = 4, P = K * D + D + 1 };
static double X[N][D];

__attribute__((noinline)) double model(const double *w, int n, int d, int k, int mode, int flag) {
  double f = 0;
  for (int i = 0; i < n; i++) {
    double best = -1e30;
    for (int c = 0; c < k; c++) {
      double s = 0;
      for (int j = 0; j < d; j++) s += w[c * D + j] * X[i][j];
      if (s > best) best = s;
    }
    double extra = 0;
    if (d > 2)
      for (int j = 0; j < d; j++) extra += w[K * D + j] * X[i][j] * X[i][j];
    switch (mode) {
    case 0:
      f += best;
      break;
    case 1:
      f += best + 0.5 * extra;
      break;
    default:
      f += sin(best) + extra * extra;
      break;
    }
    double g = flag > 0 ? w[K * D + D] : 2.0 * w[K * D + D];
    if (flag > 0 && (i & 1))
      f += g * best;
    else
      f += 0.1 * g * g;
  }
  return f;
}

static int cur_n, cur_d, cur_k, cur_mode, cur_flag;

static double at(const double *w) { return model(w, cur_n, cur_d, cur_k, cur_mode, cur_flag); }

static void check_case(double *w, int n, int d, int k, int mode, int flag) {
  cur_n = n, cur_d = d, cur_k = k, cur_mode = mode, cur_flag = flag;
  char what[128];
  double g[P] = {0}, v[P];
  __enzyme_autodiff((void *)model, enzyme_dup, w, g, enzyme_const, n, enzyme_const, d, enzyme_const, k,
                    enzyme_const, mode, enzyme_const, flag);
  snprintf(what, sizeof what, "n=%d d=%d k=%d mode=%d flag=%d", n, d, k, mode, flag);
  CHECK_ARRAY_FD(what, w, P, g, 1e-6, at(w), RTOL_FD, 1e-6);
  // candidate row 3 is never the maximum: its gradient is exactly zero
  for (int j = 0; j < D; j++) {
    snprintf(what, sizeof what, "%s: never-chosen row g[%d]", "n d k mode flag", 3 * D + j);
    CHECK_CLOSE(what, g[3 * D + j], 0.0, 0.0, 0.0);
  }
  double dot = 0;
  for (int t = 0; t < P; t++) {
    v[t] = cos(0.7 * t + 0.2);
    dot += g[t] * v[t];
  }
  double fwd = __enzyme_fwddiff((void *)model, enzyme_dup, w, v, enzyme_const, n, enzyme_const, d,
                                enzyme_const, k, enzyme_const, mode, enzyme_const, flag);
  snprintf(what, sizeof what, "n=%d d=%d k=%d mode=%d flag=%d: forward vs reverse", n, d, k, mode, flag);
  CHECK_CLOSE(what, fwd, dot, 1e-10, 1e-10);
}

int main(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < D; j++) X[i][j] = 0.6 + 0.35 * sin(0.31 * (i * D + j) + 0.4);
  double w[P];
  for (int t = 0; t < P; t++) w[t] = 0.5 * cos(0.9 * t + 0.1);
  for (int j = 0; j < D; j++) w[3 * D + j] = -100.0; // row 3: always far below the others
  for (int mode = 0; mode < 3; mode++)
    for (int flag = 0; flag < 2; flag++) {
      check_case(w, N, D, K, mode, flag);
      check_case(w, N, 2, K, mode, flag); // no `extra` loop
      check_case(w, 7, D, 1, mode, flag); // one candidate
    }
  check_case(w, 0, D, K, 1, 1); // no sample at all
  return check_report();
}
