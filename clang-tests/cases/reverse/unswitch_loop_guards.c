// A two-layer network (mlp's shape): the maximum over the output layer makes the derivative's
// reverse loops unswitched on that maximum's zero adjoint, while the loop over the batch holds
// inner loops guarded by their sizes (`nh > 0`, `ni > 0`, `nc > 0`). Those guards are hidden from
// the unswitching whatever the loop's size (copied, the nest existed once per combination of
// empty inner loops); every combination of empty and non-empty inner loops runs here, so each
// restored guard is taken both ways.
// Oracles: central finite differences of the primal and forward mode against the reverse dot
// product.
#include "check.h"
#include <math.h>

extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { NI = 5, NH = 4, NC = 3, NB = 6, P1 = NH * NI, P2 = NC * NH };
static double X[NB * NI];

__attribute__((noinline)) double layers(const double *w1, const double *w2, long ni, long nh, long nc,
                                        long nb) {
  double h[NH], z[NC], loss = 0;
  for (long n = 0; n < nb; n++) {
    for (long j = 0; j < nh; j++) {
      double a = 0.1 * j;
      for (long i = 0; i < ni; i++) a += w1[j * ni + i] * X[n * ni + i];
      h[j] = tanh(a);
    }
    double mx = 0; // a zero class beside the nc outputs
    for (long c = 0; c < nc; c++) {
      double a = 0.2 - 0.1 * c;
      for (long j = 0; j < nh; j++) a += w2[c * nh + j] * h[j];
      z[c] = a;
      if (a > mx) mx = a;
    }
    double se = exp(-mx);
    for (long c = 0; c < nc; c++) se += exp(z[c] - mx);
    loss += log(se) + mx;
  }
  return loss;
}

static long cur_ni, cur_nh, cur_nc, cur_nb;
static double W1[P1], W2[P2];

static double at(void) { return layers(W1, W2, cur_ni, cur_nh, cur_nc, cur_nb); }

static void check_case(long ni, long nh, long nc, long nb) {
  cur_ni = ni, cur_nh = nh, cur_nc = nc, cur_nb = nb;
  char what[128];
  double g1[P1] = {0}, g2[P2] = {0}, v1[P1], v2[P2];
  __enzyme_autodiff((void *)layers, enzyme_dup, W1, g1, enzyme_dup, W2, g2, enzyme_const, ni, enzyme_const,
                    nh, enzyme_const, nc, enzyme_const, nb);
  snprintf(what, sizeof what, "ni=%ld nh=%ld nc=%ld nb=%ld: w1", ni, nh, nc, nb);
  CHECK_ARRAY_FD(what, W1, P1, g1, 1e-6, at(), RTOL_FD, 1e-6);
  snprintf(what, sizeof what, "ni=%ld nh=%ld nc=%ld nb=%ld: w2", ni, nh, nc, nb);
  CHECK_ARRAY_FD(what, W2, P2, g2, 1e-6, at(), RTOL_FD, 1e-6);
  double dot = 0;
  for (int t = 0; t < P1; t++) {
    v1[t] = cos(0.7 * t + 0.2);
    dot += g1[t] * v1[t];
  }
  for (int t = 0; t < P2; t++) {
    v2[t] = sin(0.5 * t + 0.3);
    dot += g2[t] * v2[t];
  }
  double fwd = __enzyme_fwddiff((void *)layers, enzyme_dup, W1, v1, enzyme_dup, W2, v2, enzyme_const, ni,
                                enzyme_const, nh, enzyme_const, nc, enzyme_const, nb);
  snprintf(what, sizeof what, "ni=%ld nh=%ld nc=%ld nb=%ld: forward vs reverse", ni, nh, nc, nb);
  CHECK_CLOSE(what, fwd, dot, 1e-10, 1e-10);
}

int main(void) {
  for (int t = 0; t < NB * NI; t++) X[t] = 0.6 + 0.35 * sin(0.31 * t + 0.4);
  for (int t = 0; t < P1; t++) W1[t] = 0.5 * cos(0.9 * t + 0.1);
  for (int t = 0; t < P2; t++) W2[t] = 0.7 * sin(1.3 * t + 0.2);
  long sizes[][4] = {{NI, NH, NC, NB}, {0, NH, NC, NB}, {NI, 0, NC, NB}, {NI, NH, 0, NB},
                     {0, 0, NC, NB},   {NI, NH, 1, 2},  {2, 1, NC, NB},  {NI, NH, NC, 0}};
  for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
    check_case(sizes[k][0], sizes[k][1], sizes[k][2], sizes[k][3]);
  return check_report();
}
