// Found by ferment-fuzz (user variant, seeds 760047, 760097, 770061, 770070, reduced by hand): false
// compile errors, no wrong result.
// - `gptr = a; gptr[0] = x;` through a global pointer variable, active data stored through the
//   pointer loaded back (at -O0): "an active value is stored into memory whose address is read
//   from the global variable @gptr, which has no derivative memory". The global now gets a shadow
//   holding the pointer's shadow, like a local pointer variable, where the function sets it on
//   every path before reading it (also across an inlined helper's loop).
// - the same global holding the active array in one statement and the constant table in another:
//   the pointer loaded right after `gptr = a` was taken as "mixed" (maybe constant data) and the
//   store through it refused ("merges pointers to duplicated data with pointers to constant
//   data"); a load of what the store just before it wrote is that pointer.
// - at -O2, a copy of one double of a global kept in a register across a loop
//   (`phi i64 [bitcast double], [phi i64 ...]`, a web of integer phis) stored into a heap array:
//   "reinterprets an active floating-point value as bits". The web becomes float phis.
// Forward and reverse against central finite differences.
#include "check.h"
#include <stdlib.h>

#define N 5
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double garr[N], garr2[N], garr3[N];
static double *gptr, *gptr2, *gptr3;
static const double tbl[8] = {0.5, -0.25, 1.5, 0.75, -1.0, 0.125, 2.0, -0.5};

/* Active values stored through a global pointer to a stack array and to a global array. */
double through_global_pointer(double s) {
  double a[N];
  for (int q = 0; q < N; q++)
    a[q] = s * (0.5 + 0.1 * q);
  gptr = a;
  gptr[1] = 0.3 * gptr[1] + 0.7 * sin(gptr[2]);
  for (int q = 0; q < N; q++)
    garr[q] = s * s * (0.3 - 0.1 * q);
  gptr = garr;
  gptr[2] = 0.5 * gptr[2] + 0.25 * cos(s);
  double r = 0.0;
  for (int q = 0; q < N; q++)
    r += tanh(a[q]) + garr[q] * a[q];
  return r;
}

/* A global array written with active values through a global pointer alone. */
double only_through_pointer(double s) {
  for (int q = 0; q < N; q++)
    garr2[q] = 0.1 * q;
  for (int q = 0; q < N; q++) {
    gptr2 = garr2;
    gptr2[q] = 0.297 * gptr2[q] + 0.68 * erf(sinh(s * (0.5 + 0.1 * q)));
  }
  gptr2 = garr2;
  gptr2[1] = gptr2[1] * gptr2[3];
  double r = 0.0;
  for (int q = 0; q < N; q++)
    r += garr2[q] * garr2[q];
  return r;
}

/* A helper with a loop between setting the pointer and reading it back (seed 760097: at -O0
   the inlined helper's blocks lie between the store and the load). */
static double series(double x, int n) {
  double acc = 0.0, p = 1.0;
  for (int i = 0; i < n; i++) {
    p *= 0.5 * x;
    acc += sin(p);
  }
  return acc;
}

double through_pointer_after_call(double s) {
  for (int q = 0; q < N; q++)
    garr3[q] = 0.2 + 0.1 * q;
  gptr3 = garr3;
  gptr3[2] = 0.647 * gptr3[2] + 0.372 * tanh(series(s, 4));
  gptr3 = garr3;
  for (int q = 0; q < N; q++)
    gptr3[q] = gptr3[q] * cos(series(gptr3[q], 3));
  double r = 0.0;
  for (int q = 0; q < N; q++)
    r += garr3[q];
  return r;
}

/* The global holds the active array in one statement and the constant table in another. */
double duplicated_then_constant(double s) {
  double a[N];
  for (int q = 0; q < N; q++)
    a[q] = s * (0.5 + 0.1 * q);
  double t = s;
  gptr = a;
  gptr[0] = -0.896 * gptr[0] + 0.663 * sin(t);
  for (int i = 0; i < 3; i++) {
    gptr = a;
    t = -0.426 * t + 0.416 * gptr[1] * sin(s);
    gptr = (double *)tbl;
    t = 0.301 * t + 0.273 * gptr[2] * sin(t);
  }
  return t + a[0] * a[4];
}

/* One element of a global copied into a heap array on some iterations, the global rewritten on
   others: at -O2 the element lives in a web of integer phis (the generated program, reduced). */
double copied_element(int n, double s2, double s1) {
  double t0 = s2;
  double t1 = s1;
  double *m0 = (double *)malloc(N * sizeof(double));
  for (int q = 0; q < N; q++)
    m0[q] = 0.5 * tbl[q];
  m0 = (double *)realloc(m0, 2 * N * sizeof(double));
  for (int q = 0; q < N; q++)
    m0[N + q] = 0.25 * m0[q] + 0.125;
  for (int q = 0; q < N; q++)
    garr[q] = s2 * (0.3 - 0.1 * q) + 0.05 * q;
  if (tan(1.2 * tanh(tan(1.2 * tanh(t0)))) > tbl[0]) {
    double b6 = HUGE_VAL;
    int bi6 = 0;
    for (int i6 = 0; i6 < n; i6++) {
      double c6 = m0[1];
      if (c6 > 1.9)
        break;
      bi6 = (c6 < b6) ? i6 : bi6;
      b6 = (c6 < b6) ? c6 : b6;
    }
    t0 = 0.531 * t0 + 0.236 * tanh(b6) + 0.125 * m0[bi6] + 0.03125 * bi6;
  }
  for (int i7 = 0; i7 < n; i7 += 2) {
    if (n > 1) {
      memcpy(&m0[1], &garr[N - 2], sizeof(double));
      for (int i9 = 0; i9 < n; i9++)
        t1 = 0.593 * t1 + 0.652 * tanh(cbrt(hypot(1.0, m0[N - 1 - i9])));
      t0 = -0.694 * t0 + 0.594 * tanh(0.25 * i7 + 0.125);
    } else {
      for (int i10 = 1; i10 < N; i10++)
        garr[i10] = -0.375 * garr[i10 - 1] + 0.51 * sin(t1);
    }
    double b11 = HUGE_VAL;
    int bi11 = 0;
    for (int i11 = 0; i11 < n; i11++) {
      double c11 = s2;
      bi11 = (c11 < b11) ? i11 : bi11;
      b11 = (c11 < b11) ? c11 : b11;
    }
    t0 = 0.43 * t0 + 0.114 * tanh(b11) + 0.125 * garr[bi11] + 0.03125 * bi11;
  }
  for (int i13 = 1; i13 < N; i13++)
    garr[i13] = 0.789 * garr[i13 - 1] + 0.531 * sin(s2);
  double r = t0 + t1 + m0[2] + m0[N - 1] + m0[2 * N - 1] + garr[N - 1] - 0.5 * garr[0];
  free(m0);
  return r;
}

extern int enzyme_const;
static int n_c = 4;
static double u_c = 1.207, s_c = 0.336;
static double copied_s(double s) { return copied_element(n_c, s, u_c); }
static double copied_u(double u) { return copied_element(n_c, s_c, u); }

/* copied_element itself differentiated (compiled on its own, n unknown). */
static void check_copied(void) {
  char what[96];
  double ws = fd1(copied_s, s_c), wu = fd1(copied_u, u_c);
  snprintf(what, sizeof what, "copied_element n=%d: forward d/ds", n_c);
  CHECK_CLOSE(what, __enzyme_fwddiff((void *)copied_element, enzyme_const, n_c, s_c, 1.0, u_c, 0.0),
              ws, RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "copied_element n=%d: forward d/du", n_c);
  CHECK_CLOSE(what, __enzyme_fwddiff((void *)copied_element, enzyme_const, n_c, s_c, 0.0, u_c, 1.0),
              wu, RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "copied_element n=%d: reverse d/ds", n_c);
  CHECK_CLOSE(what, __enzyme_autodiff((void *)copied_element, enzyme_const, n_c, s_c, enzyme_const, u_c),
              ws, RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "copied_element n=%d: reverse d/du", n_c);
  CHECK_CLOSE(what, __enzyme_autodiff((void *)copied_element, enzyme_const, n_c, enzyme_const, s_c, u_c),
              wu, RTOL_FD, ATOL_FD);
}

static void check(const char *name, double (*f)(double)) {
  char what[96];
  const double xs[] = {0.7, -1.3};
  for (int k = 0; k < 2; k++) {
    double s = xs[k], want = fd1(f, s);
    snprintf(what, sizeof what, "%s: forward vs finite differences", name);
    CHECK_CLOSE_AT(what, s, __enzyme_fwddiff((void *)f, s, 1.0), want, RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "%s: reverse vs finite differences", name);
    CHECK_CLOSE_AT(what, s, __enzyme_autodiff((void *)f, s), want, RTOL_FD, ATOL_FD);
  }
}

int main(void) {
  check("through_global_pointer", through_global_pointer);
  check("only_through_pointer", only_through_pointer);
  check("through_pointer_after_call", through_pointer_after_call);
  check("duplicated_then_constant", duplicated_then_constant);
  for (int n = 1; n <= 4; n += 3) {
    n_c = n;
    check_copied();
  }
  return check_report();
}
