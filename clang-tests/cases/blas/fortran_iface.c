// The Fortran BLAS interface called from C (every argument by reference):
// dgemm_ (transposes as "N"/"T" strings), dgemv_, dger_, ddot_, daxpy_,
// dscal_, dcopy_, dnrm2_, dasum_, with alpha held in a local variable that
// depends on an active input (its derivative flows through the pointer).
// Reverse against central finite differences, forward against finite
// differences and the reverse gradient.
// LIBS: -lopenblas
#include "check.h"
#include "fortran_iface.h"

int main(void) {
  double A[LEN], B[LEN], dA[LEN] = {0}, dB[LEN] = {0}, tA[LEN], tB[LEN], s = 1.3, ts = 0.7;
  for (int i = 0; i < LEN; i++) {
    A[i] = (i % 2 ? -1 : 1) * (0.5 + 0.3 * sin(0.7 * i));
    B[i] = (i % 3 ? 1 : -1) * (0.6 + 0.2 * cos(0.4 * i));
    tA[i] = sin(1.3 * i);
    tB[i] = cos(0.8 * i + 0.1);
  }
  double ds = __enzyme_autodiff((void *)f, enzyme_dup, A, dA, enzyme_dup, B, dB, s);
  double h = 1e-5;
  CHECK_ARRAY_FD("dA", A, LEN, dA, h, f(A, B, s), 1e-6, 1e-6);
  CHECK_ARRAY_FD("dB", B, LEN, dB, h, f(A, B, s), 1e-6, 1e-6);
  CHECK_CLOSE("ds", ds, FD_AT(s, h, f(A, B, s)), 1e-6, 1e-6);
  double t = __enzyme_fwddiff((void *)f, enzyme_dup, A, tA, enzyme_dup, B, tB, s, ts);
  double Ap[LEN], Am[LEN], Bp[LEN], Bm[LEN];
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  shift_along(Bp, B, tB, h, LEN), shift_along(Bm, B, tB, -h, LEN);
  double dot = ds * ts + dotv(dA, tA, LEN) + dotv(dB, tB, LEN);
  CHECK_CLOSE("forward", t, (f(Ap, Bp, s + h * ts) - f(Am, Bm, s - h * ts)) / (2 * h), 1e-6, 1e-6);
  CHECK_CLOSE("forward vs reverse", t, dot, 1e-10, 1e-10);
  return check_report();
}
