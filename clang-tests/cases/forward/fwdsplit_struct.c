// __enzyme_fwdsplit of a function reading through a struct (a length, a data pointer, a scale),
// copying the data into heap scratch with memcpy, and overwriting the scratch in place. Between
// __enzyme_augmentfwd and __enzyme_fwdsplit the caller changes everything: the length, the data
// pointer (to another buffer with other values) and the scale. The tangents must be those at the
// taped point. Oracles at the original inputs: __enzyme_fwddiff on copies and central finite
// differences (along the data and along the scale).
// RUN: clang opt
#include "check.h"
#include <stdlib.h>
#include <string.h>

extern int enzyme_dup, enzyme_const, enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
double __enzyme_fwdsplit(void *, ...);
double __enzyme_fwddiff(void *, ...);
void __enzyme_reverse(void *, ...);

typedef struct {
  int n;
  double *data;
  double scale;
} Vec;

static double f(const Vec *v, double *out) {
  int n = v->n;
  double *tmp = malloc(n * sizeof *tmp);
  memcpy(tmp, v->data, n * sizeof *tmp);
  double s = 0;
  for (int i = 0; i < n; i++) {
    tmp[i] = tmp[i] * v->scale + sin(tmp[i]);
    s += tmp[i] * tmp[(i + 1) % n];
  }
  for (int i = 0; i < n; i++) out[i] = tmp[i] * s;
  free(tmp);
  return s;
}

enum { MAXN = 16 };
static int n0, which;
static double scale0;
static double f_data(const double *d) {
  double data[MAXN], out[MAXN];
  memcpy(data, d, n0 * sizeof *data);
  Vec v = {n0, data, scale0};
  return which < 0 ? f(&v, out) : (f(&v, out), out[which]);
}

int main(int argc, char **argv) {
  (void)argv;
  n0 = 7 + (argc > 3);
  scale0 = 0.8;
  int n = n0;
  char what[128];
  double data[MAXN], data0[MAXN], other[MAXN], out[MAXN], dout[MAXN] = {0};
  double sdata[MAXN] = {0}, sout[MAXN] = {0};
  for (int i = 0; i < n; i++) data[i] = data0[i] = 0.5 * cos(0.9 * i) + 0.2;
  Vec v = {n, data, scale0}, sv = {n, sdata, 0};
  void *tape = __enzyme_augmentfwd((void *)f, enzyme_dup, &v, &sv, enzyme_dup, out, sout);

  // The caller changes the length, the data pointer, the values and the scale.
  for (int i = 0; i < MAXN; i++) other[i] = 10.0 + i;
  v.n = 3;
  v.data = other;
  v.scale = -4.0;
  for (int i = 0; i < n; i++) data[i] = -2.0;

  // Tangent: direction dd on the original data, ds on the scale.
  double dd[MAXN];
  for (int i = 0; i < n; i++) dd[i] = sin(1.7 * i) + 0.1;
  double ds = 0.6;
  Vec tv = {n, dd, ds};
  double t = __enzyme_fwdsplit((void *)f, enzyme_nofree, enzyme_dup, &v, &tv, enzyme_dup, out, dout, tape);

  double fdata[MAXN], fdd[MAXN], fo[MAXN], fdo[MAXN] = {0};
  memcpy(fdata, data0, sizeof fdata);
  memcpy(fdd, dd, sizeof fdd);
  Vec fv = {n, fdata, scale0}, ftv = {n, fdd, ds};
  double tf = __enzyme_fwddiff((void *)f, enzyme_dup, &fv, &ftv, enzyme_dup, fo, fdo);
  CHECK_CLOSE("fwdsplit vs fwddiff at the taped point (result)", t, tf, RTOL_D, ATOL_D);
  for (int k = -1; k < n; k++) {
    which = k;
    double fd = 0;
    for (int i = 0; i < n; i++) fd += dd[i] * fdv(f_data, data0, n, i);
    double h = 1e-6, sp, sm;
    scale0 = 0.8 + h;
    sp = f_data(data0);
    scale0 = 0.8 - h;
    sm = f_data(data0);
    scale0 = 0.8;
    fd += ds * (sp - sm) / (2 * h);
    double got = k < 0 ? t : dout[k];
    snprintf(what, sizeof what, "fwdsplit tangent %s%d vs FD", k < 0 ? "result" : "out", k);
    CHECK_CLOSE(what, got, fd, RTOL_FD, ATOL_FD);
    if (k >= 0) {
      snprintf(what, sizeof what, "fwdsplit vs fwddiff out[%d]", k);
      CHECK_CLOSE(what, dout[k], fdo[k], RTOL_D, ATOL_D);
    }
  }
  CHECK_CLOSE("fwdsplit leaves the changed data alone", data[0], -2.0, 0, 0);
  // Release the tape (and its log) with the reverse sweep, at the struct as the caller left it:
  // the sweep itself reads what it needs from the tape.
  v.n = n;
  v.data = data;
  __enzyme_reverse((void *)f, enzyme_dup, &v, &sv, enzyme_dup, out, sout, 1.0, tape);
  return check_report();
}
