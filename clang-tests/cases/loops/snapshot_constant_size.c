// Snapshots of scratch buffers of constant size: a batch loop fills `feat` (malloc'ed once with a
// size that is a constant, `sizeof(double) * NF`) by a loop nest, then a dense layer reads it in
// a nest whose inner loop runs to the constant NF, and the next batch item overwrites it. The
// forward sweep copies `feat` once per item and the reverse sweep reads the dense layer's loads
// from the copy (`-ferment-print-tape` says "snapshot") instead of taping one value per (k, j).
// Variants, each checked against central finite differences and forward mode (dot product with
// the reverse gradient):
//   dense      the shape above: snapshot,
//   longer     the block has more elements than the inner bound (64 against 48): taped,
//   rewrite    the dense nest rescales `feat[j]` after reading it: written inside, taped.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define NB 3
#define NO 4
#define NQ 12
#define NF (NO * NQ)
#define NK 3
#define NP (NO + NK * NF)

__attribute__((noinline)) double dense(long nb, const double *restrict img, const double *restrict w) {
  double *feat = malloc(sizeof(double) * NF);
  double loss = 0;
  for (long b = 0; b < nb; b++) {
    for (int o = 0; o < NO; o++)
      for (int q = 0; q < NQ; q++) {
        double a = w[o] * img[b * NQ + q] + 0.1 * o;
        feat[o * NQ + q] = a > 0 ? a : 0.2 * a;
      }
    for (int k = 0; k < NK; k++) {
      double s = 0;
      for (int j = 0; j < NF; j++)
        s += w[NO + k * NF + j] * feat[j];
      loss += log(1 + s * s) + 0.1 * sin(s);
    }
  }
  free(feat);
  return loss;
}

__attribute__((noinline)) double longer(long nb, const double *restrict img, const double *restrict w) {
  double *feat = malloc(sizeof(double) * 64);
  double loss = 0;
  for (long b = 0; b < nb; b++) {
    for (int o = 0; o < NO; o++)
      for (int q = 0; q < NQ; q++)
        feat[o * NQ + q] = tanh(w[o] * img[b * NQ + q]);
    for (int k = 0; k < NK; k++) {
      double s = 0;
      for (int j = 0; j < NF; j++)
        s += w[NO + k * NF + j] * feat[j];
      loss += s * s * (1 + 0.1 * k);
    }
  }
  free(feat);
  return loss;
}

__attribute__((noinline)) double rewrite(long nb, const double *restrict img, const double *restrict w) {
  double *feat = malloc(sizeof(double) * NF);
  double loss = 0;
  for (long b = 0; b < nb; b++) {
    for (int o = 0; o < NO; o++)
      for (int q = 0; q < NQ; q++)
        feat[o * NQ + q] = sin(w[o] * img[b * NQ + q]);
    for (int k = 0; k < NK; k++) {
      double s = 0;
      for (int j = 0; j < NF; j++) {
        s += w[NO + k * NF + j] * feat[j];
        feat[j] *= 0.5 + 0.1 * s;
      }
      loss += s * s;
    }
  }
  free(feat);
  return loss;
}

typedef double (*model)(long, const double *, const double *);

static void check_model(const char *what, model f, const double *img, const double *w0) {
  double w[NP], dw[NP], t[NP];
  memcpy(w, w0, sizeof w);
  memset(dw, 0, sizeof dw);
  __enzyme_autodiff((void *)f, enzyme_const, (long)NB, enzyme_const, img, w, dw);
  for (int i = 0; i < NP; i += 7) {
    double s = w[i];
    w[i] = s + 1e-6;
    double fp = f(NB, img, w);
    w[i] = s - 1e-6;
    double fm = f(NB, img, w);
    w[i] = s;
    CHECK_CLOSE(what, dw[i], (fp - fm) / 2e-6, 1e-5, 1e-7);
  }
  for (int i = 0; i < NP; i++)
    t[i] = 0.3 + 0.1 * (double)(i % 5) - 0.004 * (double)i;
  double dir = __enzyme_fwddiff((void *)f, enzyme_const, (long)NB, enzyme_const, img, w, t);
  double dot = 0;
  for (int i = 0; i < NP; i++)
    dot += dw[i] * t[i];
  CHECK_CLOSE(what, dir, dot, 1e-10, 1e-12);
}

int main(void) {
  double img[NB * NQ], w[NP];
  for (int i = 0; i < NB * NQ; i++)
    img[i] = sin(0.7 * i + 0.3);
  for (int i = 0; i < NP; i++)
    w[i] = 0.3 * cos(1.1 * i) + (i < NO ? 0.5 : 0.0);
  check_model("dense", dense, img, w);
  check_model("longer", longer, img, w);
  check_model("rewrite", rewrite, img, w);
  return check_report();
}
