// Batched reverse mode (enzyme_width 3, combined and split) through the Fortran BLAS interface
// (every argument by reference, alpha in a local variable depending on an active input: its N
// adjoints flow through the pointer's per-lane shadows): dgemm_, dgemv_, dger_, ddot_, daxpy_,
// dscal_, dcopy_, dnrm2_, dasum_ (the function of blas/fortran_iface.c, two outputs in memory,
// each lane seeded differently). Oracles per lane: the scalar reverse mode with the lane's seed
// (itself checked against finite differences in blas/fortran_iface.c) and the dot-product test
// against central finite differences.
// LIBS: -lopenblas
#include "check.h"
#include "fortran_iface.h"

static void g(double *A, double *B, double s, double *out) {
  out[0] = f(A, B, s);
  out[1] = A[3] * B[5] * s + f(B, A, 0.5 * s) * 0.125;
}

extern int enzyme_width, enzyme_dupv, enzyme_out, enzyme_dupnoneed;
typedef struct { double a[3]; } G3;
G3 __enzyme_autodiff_3(void *, ...) __asm__("__enzyme_autodiff");
G3 __enzyme_reverse_3(void *, ...) __asm__("__enzyme_reverse");
void *__enzyme_augmentfwd(void *, ...);

static double A0[LEN], B0[LEN], s0 = 1.3;

static void check_lane(const char *mode, int k, const double *seed, const double *gA, const double *gB, double gs) {
  char what[96];
  double A[LEN], B[LEN], sA[LEN] = {0}, sB[LEN] = {0}, out[2], sd[2] = {seed[0], seed[1]};
  for (int i = 0; i < LEN; i++) A[i] = A0[i], B[i] = B0[i];
  double ss = __enzyme_autodiff((void *)g, enzyme_dup, A, sA, enzyme_dup, B, sB, enzyme_out, s0,
                                enzyme_dupnoneed, out, sd);
  snprintf(what, sizeof what, "%s lane %d d/ds vs scalar reverse", mode, k);
  CHECK_CLOSE(what, gs, ss, RTOL_D, ATOL_D);
  for (int i = 0; i < LEN; i++) {
    snprintf(what, sizeof what, "%s lane %d dA[%d] vs scalar reverse", mode, k, i);
    CHECK_CLOSE(what, gA[i], sA[i], RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "%s lane %d dB[%d] vs scalar reverse", mode, k, i);
    CHECK_CLOSE(what, gB[i], sB[i], RTOL_D, ATOL_D);
  }
  double e = 1e-6, Ap[LEN], Am[LEN], Bp[LEN], Bm[LEN], op[2], om[2], lhs = gs * 0.3, rhs = 0;
  for (int i = 0; i < LEN; i++) {
    double va = sin(0.9 * i + k), vb = cos(0.5 * i - k);
    Ap[i] = A0[i] + e * va, Am[i] = A0[i] - e * va, Bp[i] = B0[i] + e * vb, Bm[i] = B0[i] - e * vb;
    lhs += gA[i] * va + gB[i] * vb;
  }
  g(Ap, Bp, s0 + e * 0.3, op);
  g(Am, Bm, s0 - e * 0.3, om);
  for (int j = 0; j < 2; j++) rhs += seed[j] * (op[j] - om[j]) / (2 * e);
  snprintf(what, sizeof what, "%s lane %d dot-product test vs FD", mode, k);
  CHECK_CLOSE(what, lhs, rhs, RTOL_FD, ATOL_FD);
}

int main(void) {
  for (int i = 0; i < LEN; i++) {
    A0[i] = (i % 2 ? -1 : 1) * (0.5 + 0.3 * sin(0.7 * i));
    B0[i] = (i % 3 ? 1 : -1) * (0.6 + 0.2 * cos(0.4 * i));
  }
  double seeds[3][2] = {{1, 0}, {0, 1}, {0.5, -2}};
  for (int split = 0; split < 2; split++) {
    double A[LEN], B[LEN], dA[3][LEN] = {{0}}, dB[3][LEN] = {{0}}, out[2], sd[3][2];
    for (int i = 0; i < LEN; i++) A[i] = A0[i], B[i] = B0[i];
    for (int k = 0; k < 3; k++) sd[k][0] = seeds[k][0], sd[k][1] = seeds[k][1];
    G3 gs;
    if (!split) {
      gs = __enzyme_autodiff_3((void *)g, enzyme_width, 3, enzyme_dupv, sizeof dA[0], A, dA[0],
                               enzyme_dupv, sizeof dB[0], B, dB[0], enzyme_out, s0, enzyme_dupv,
                               sizeof sd[0], out, sd[0]);
    } else {
      void *tape = __enzyme_augmentfwd((void *)g, enzyme_width, 3, enzyme_dupv, sizeof dA[0], A, dA[0],
                                       enzyme_dupv, sizeof dB[0], B, dB[0], enzyme_out, s0,
                                       enzyme_dupv, sizeof sd[0], out, sd[0]);
      for (int i = 0; i < LEN; i++) A[i] = B[i] = -7.0; // overwritten before the reverse sweep
      gs = __enzyme_reverse_3((void *)g, enzyme_width, 3, enzyme_dupv, sizeof dA[0], A, dA[0],
                              enzyme_dupv, sizeof dB[0], B, dB[0], enzyme_out, s0, enzyme_dupv,
                              sizeof sd[0], out, sd[0], tape);
    }
    for (int k = 0; k < 3; k++) check_lane(split ? "split" : "combined", k, seeds[k], dA[k], dB[k], gs.a[k]);
  }
  return check_report();
}
