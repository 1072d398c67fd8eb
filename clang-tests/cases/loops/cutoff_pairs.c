// A pair loop with a cutoff, the shape of molecular dynamics and N-body codes: most pairs take
// the cheap path, and in the reverse sweep the adjoint of the branch's work is zero there. At
// -O1 and up the accumulations of that adjoint (into the shadow of x[j], and the running sums of
// particle i's adjoint) run only where it is not zero; the results must be the same. Also a
// scatter through an index array inside the branch, an `else` that does other active work, and
// a pair exactly at the cutoff's edge with a tiny weight (the guarded path is decided by the
// value, never by the branch). Oracles: the analytic gradient written out by hand, central
// finite differences, and forward mode against reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

enum { N = 9 };
#define RC2 2.25

static const int owner[N] = {2, 0, 1, 2, 1, 0, 2, 2, 1};

// Energy of pairs closer than the cutoff (plus, with SOFT, a soft term for the rest of particle
// 0's pairs: active work on the other path too); w collects a per-owner weight through an index
// array inside the branch.
#define ENERGY(name, SOFT)                                                                         \
  double name(const double *x, double *w, long n) {                                                \
    double e = 0;                                                                                  \
    for (long i = 0; i < n; i++) {                                                                 \
      double xi = x[2 * i], yi = x[2 * i + 1];                                                     \
      for (long j = i + 1; j < n; j++) {                                                           \
        double dx = xi - x[2 * j], dy = yi - x[2 * j + 1];                                         \
        double r2 = dx * dx + dy * dy;                                                             \
        if (r2 < RC2) {                                                                            \
          double s2 = 1.0 / (r2 + 0.5);                                                            \
          double s6 = s2 * s2 * s2;                                                                \
          e += s6 * s6 - s6;                                                                       \
          w[owner[j]] += s2 * xi;                                                                  \
        } else if (SOFT && i == 0) {                                                               \
          e += 0.01 * r2;                                                                          \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
    return e + w[0] * w[1] + w[2];                                                                 \
  }
ENERGY(energy, 0)
ENERGY(energy_soft, 1)

// d energy / d x by hand (w starts at zero).
static void energy_grad(const double *x, long n, int soft, double *g) {
  double w[3] = {0, 0, 0}, dw[3];
  double xx[2 * N];
  for (int k = 0; k < 2 * N; k++) { xx[k] = x[k]; g[k] = 0; }
  if (soft)
    energy_soft(xx, w, n);
  else
    energy(xx, w, n);
  dw[0] = w[1];
  dw[1] = w[0];
  dw[2] = 1.0;
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double dx = x[2 * i] - x[2 * j], dy = x[2 * i + 1] - x[2 * j + 1];
      double r2 = dx * dx + dy * dy;
      double de_dr2 = 0;
      if (r2 < RC2) {
        double s2 = 1.0 / (r2 + 0.5), s6 = s2 * s2 * s2;
        double ds2_dr2 = -s2 * s2;
        de_dr2 = (12 * s6 * s6 - 6 * s6) / s2 * ds2_dr2 / 2; // d(s6^2 - s6)/ds2 = (12 s6^2 - 6 s6)/(2 s2)
        double c = dw[owner[j]];
        de_dr2 += c * ds2_dr2 * x[2 * i];
        g[2 * i] += c * s2;
      } else if (soft && i == 0) {
        de_dr2 = 0.01;
      }
      g[2 * i] += 2 * dx * de_dr2;
      g[2 * i + 1] += 2 * dy * de_dr2;
      g[2 * j] -= 2 * dx * de_dr2;
      g[2 * j + 1] -= 2 * dy * de_dr2;
    }
}

static double energy_of(const double *x) {
  double w[3] = {0, 0, 0};
  return energy(x, w, N);
}
static double energy_soft_of(const double *x) {
  double w[3] = {0, 0, 0};
  return energy_soft(x, w, N);
}

static void check_one(const char *name, int soft, const double *x) {
  char what[96];
  double want[2 * N];
  energy_grad(x, N, soft, want);
  for (int k = 0; k < 2 * N; k++) {
    snprintf(what, sizeof what, "oracle: %s hand gradient vs finite differences", name);
    CHECK_CLOSE(what, want[k], fdv(soft ? energy_soft_of : energy_of, x, 2 * N, k), RTOL_FD, ATOL_FD);
  }
  double g[2 * N] = {0}, w[3] = {0, 0, 0}, dw[3] = {0, 0, 0};
  if (soft)
    __enzyme_autodiff((void *)energy_soft, enzyme_dup, x, g, enzyme_dup, w, dw, enzyme_const, (long)N);
  else
    __enzyme_autodiff((void *)energy, enzyme_dup, x, g, enzyme_dup, w, dw, enzyme_const, (long)N);
  snprintf(what, sizeof what, "%s reverse vs hand gradient", name);
  CHECK_ARRAY_CLOSE(what, g, want, 2 * N, RTOL_D, ATOL_D);
  double v[2 * N], dot = 0;
  for (int k = 0; k < 2 * N; k++) {
    v[k] = 0.25 * ((k * 3) % 7 - 3);
    dot += v[k] * want[k];
  }
  double w2[3] = {0, 0, 0}, tw[3] = {0, 0, 0};
  double t = soft ? __enzyme_fwddiff((void *)energy_soft, enzyme_dup, x, v, enzyme_dup, w2, tw, enzyme_const, (long)N)
                  : __enzyme_fwddiff((void *)energy, enzyme_dup, x, v, enzyme_dup, w2, tw, enzyme_const, (long)N);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, RTOL_D, ATOL_D);
}

int main(void) {
  double x[2 * N];
  for (int k = 0; k < N; k++) { // a jittered 3 x 3 grid of spacing 1.1: neighbours inside
    x[2 * k] = 1.1 * (k % 3) + 0.07 * ((k * 5) % 3 - 1);
    x[2 * k + 1] = 1.1 * (k / 3) + 0.05 * ((k * 7) % 5 - 2);
  }
  check_one("energy", 0, x);
  check_one("energy_soft", 1, x);
  return check_report();
}
