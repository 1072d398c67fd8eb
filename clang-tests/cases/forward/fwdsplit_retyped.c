// __enzyme_fwdsplit of a function that copies structs with memcpy and reads a double through an
// integer (uint64_t) copy, then overwrites the structs it read; the caller changes them between
// __enzyme_augmentfwd and __enzyme_fwdsplit. ferment retypes such integer copies before
// differentiating; the retyped loads must still come from the tape. Oracles at the original
// inputs: __enzyme_fwddiff on a copy (result and the overwritten fields) and central finite
// differences of the result.
// RUN: clang opt
#include "check.h"
#include <string.h>
#include <stdint.h>
extern int enzyme_dup, enzyme_const, enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);
double __enzyme_fwddiff(void *, ...);
void __enzyme_reverse(void *, ...);
typedef struct { double a, b; } P;
static double f(P *p, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    P q;
    memcpy(&q, &p[i], sizeof q);       // struct copy
    uint64_t bits; memcpy(&bits, &p[i].a, 8); double a2; memcpy(&a2, &bits, 8);
    s += q.a * sin(q.b) + a2 * a2;
    p[i].a = q.b; p[i].b = q.a * 2;     // overwrites
  }
  return s;
}
static double f_flat(const double *x) {
  P q[5];
  memcpy(q, x, sizeof q);
  return f(q, 5);
}
int main(void) {
  P p[5], p0[5], dp[5], sp[5] = {{0}};
  for (int i = 0; i < 5; i++) { p[i].a = p0[i].a = 0.3 * i + 0.1; p[i].b = p0[i].b = 1 - 0.2 * i; }
  void *t = __enzyme_augmentfwd((void *)f, enzyme_dup, p, sp, enzyme_const, 5);
  for (int i = 0; i < 5; i++) { p[i].a = 9; p[i].b = -9; dp[i].a = 1; dp[i].b = 0.5; }
  double d = __enzyme_fwdsplit((void *)f, enzyme_nofree, enzyme_dup, p, dp, enzyme_const, 5, t);
  P q[5], dq[5];
  for (int i = 0; i < 5; i++) { q[i] = p0[i]; dq[i].a = 1; dq[i].b = 0.5; }
  double e = __enzyme_fwddiff((void *)f, enzyme_dup, q, dq, enzyme_const, 5);
  CHECK_CLOSE("fwdsplit vs fwddiff", d, e, RTOL_D, ATOL_D);
  double fd = 0;
  for (int k = 0; k < 10; k++) fd += (k % 2 ? 0.5 : 1.0) * fdv(f_flat, (const double *)p0, 10, k);
  CHECK_CLOSE("fwdsplit vs FD", d, fd, RTOL_FD, ATOL_FD);
  for (int i = 0; i < 5; i++) { CHECK_CLOSE("new a tangent", dp[i].a, dq[i].a, RTOL_D, ATOL_D); CHECK_CLOSE("new b tangent", dp[i].b, dq[i].b, RTOL_D, ATOL_D); }
  __enzyme_reverse((void *)f, enzyme_dup, p, sp, enzyme_const, 5, 1.0, t);
  return check_report();
}
