// ForwardMode/matdescent (reverse mode: `__enzyme_autodiff<double>(matvec_real, Min, Mout,
// enzyme_const, Vin)`, the matrix duplicated without a marker): gradient of |M v|^2 with
// respect to the 2000 x 2000 matrix M. The program's inputs (M[i] = 3 i, v[j] = j) make the
// objective ~1e27, so scaled random inputs are used instead.
#include "matdescent.cpp"
#include "bench_common.h"
static double *vin;
extern "C" double *bench_init(long *n) {
  *n = (long)N * M;
  vin = bench_rvec(M, -1, 1);
  return bench_rvec((long)N * M, -0.05, 0.05);
}
extern "C" double bench_primal(const double *x) { return matvec_real((double *)x, vin); }
extern "C" void bench_grad_ferment(const double *x, double *g) {
  memset(g, 0, sizeof(double) * N * M);
  __enzyme_autodiff<double>(matvec_real, (double *)x, g, enzyme_const, vin);
}
extern "C" void bench_grad_hand(double *) {}
