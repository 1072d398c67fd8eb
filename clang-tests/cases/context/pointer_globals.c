// Enzyme's global-shadow contexts with pointers in globals (issue 14): a descriptor global
// pointing into another global array, and a global pointing to heap memory allocated outside
// the differentiated code. Their shadows point into the array's shadow (the same lane) and to a
// zeroed heap block the context owns, which `__enzyme_zero_shadows` clears too. Reverse mode
// (width 1, and width 2 on a function whose output is a global: one seed per lane) and forward
// mode, checked against analytic derivatives and central finite differences with respect to
// the array elements.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>

extern void *__enzyme_context(int);
extern void *__enzyme_shadow(void *, void *, int);
extern void __enzyme_zero_shadows(void *);
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void __enzyme_autodiff_void(void *, ...);
extern int enzyme_context;

double data[4] = {0.5, -1.5, 2.0, 0.25};
struct {
  double *base;
  long n;
} desc = {data, 4};
double *heap;
double out;

void *volatile keep[3]; /* the contexts stay reachable (valgrind) */

/* sum_i data[i] * heap[i] * x + data[i]^2 */
static double f(double x) {
  double s = 0;
  for (long i = 0; i < desc.n; i++)
    s += desc.base[i] * heap[i] * x + desc.base[i] * desc.base[i];
  return s;
}

/* out = sum_i data[i] * heap[i]^2 */
static void g(void) {
  double s = 0;
  for (long i = 0; i < desc.n; i++)
    s += desc.base[i] * heap[i] * heap[i];
  out = s;
}

static double x0;
static int which;
static double f_of_data(double v) { double o = data[which]; data[which] = v; double r = f(x0); data[which] = o; return r; }
static double f_of_heap(double v) { double o = heap[which]; heap[which] = v; double r = f(x0); heap[which] = o; return r; }

int main(void) {
  heap = (double *)malloc(4 * sizeof(double));
  for (int i = 0; i < 4; i++)
    heap[i] = 0.3 * (i + 1);
  void *ctx = __enzyme_context(1);
  keep[0] = ctx;
  double **dbase = (double **)__enzyme_shadow(ctx, &desc.base, 0);
  long *dn = (long *)__enzyme_shadow(ctx, &desc.n, 0);
  double *ddata = (double *)__enzyme_shadow(ctx, &data, 0);
  double **dheap = (double **)__enzyme_shadow(ctx, &heap, 0);
  CHECK_TRUE("descriptor shadow points into the array's shadow", *dbase == ddata);
  CHECK_TRUE("integer copied", *dn == 4);
  CHECK_TRUE("heap shadow is a new block", *dheap != NULL && *dheap != heap);
  CHECK_TRUE("heap shadow zeroed", (*dheap)[0] == 0 && (*dheap)[3] == 0);

  const double xs[] = {-0.6, 1.4};
  for (int t = 0; t < 2; t++) {
    double x = xs[t];
    x0 = x;
    __enzyme_zero_shadows(ctx);
    CHECK_TRUE("pointers survive zeroing", *dbase == ddata && *dn == 4);
    double dx = __enzyme_autodiff((void *)f, enzyme_context, ctx, x);
    double want_dx = 0;
    for (int i = 0; i < 4; i++)
      want_dx += data[i] * heap[i];
    CHECK_CLOSE("df/dx", dx, want_dx, RTOL_D, ATOL_D);
    for (which = 0; which < 4; which++) {
      CHECK_CLOSE("df/ddata[i]", ddata[which], heap[which] * x + 2 * data[which], RTOL_D, ATOL_D);
      CHECK_CLOSE("df/ddata[i] vs FD", ddata[which], fd1(f_of_data, data[which]), RTOL_FD, ATOL_FD);
      CHECK_CLOSE("df/dheap[i]", (*dheap)[which], data[which] * x, RTOL_D, ATOL_D);
      CHECK_CLOSE("df/dheap[i] vs FD", (*dheap)[which], fd1(f_of_heap, heap[which]), RTOL_FD, ATOL_FD);
    }
    /* forward: tangent along heap[2] and data[1] */
    __enzyme_zero_shadows(ctx);
    CHECK_TRUE("heap shadow cleared", (*dheap)[2] == 0);
    (*dheap)[2] = 1.0;
    ddata[1] = 2.0;
    double tf = __enzyme_fwddiff((void *)f, enzyme_context, ctx, x, 0.0);
    which = 2;
    double fd = fd1(f_of_heap, heap[2]);
    which = 1;
    fd += 2.0 * fd1(f_of_data, data[1]);
    CHECK_CLOSE("forward along heap[2], data[1]", tf,
                data[2] * x + 2.0 * (heap[1] * x + 2 * data[1]), RTOL_D, ATOL_D);
    CHECK_CLOSE("forward vs FD", tf, fd, RTOL_FD, ATOL_FD);
  }

  /* Reverse, two lanes: lane 0 seeds out with 1, lane 1 with 3. */
  void *ctx2 = __enzyme_context(2);
  keep[1] = ctx2;
  double *dout0 = (double *)__enzyme_shadow(ctx2, &out, 0);
  double *dout1 = (double *)__enzyme_shadow(ctx2, &out, 1);
  double *dd0 = (double *)__enzyme_shadow(ctx2, &data, 0);
  double *dd1 = (double *)__enzyme_shadow(ctx2, &data, 1);
  double **dh0 = (double **)__enzyme_shadow(ctx2, &heap, 0);
  double **dh1 = (double **)__enzyme_shadow(ctx2, &heap, 1);
  CHECK_TRUE("one heap block per lane", *dh0 != *dh1);
  CHECK_TRUE("lane 1's descriptor points into lane 1", *(double **)__enzyme_shadow(ctx2, &desc.base, 1) == dd1);
  __enzyme_zero_shadows(ctx2);
  *dout0 = 1.0;
  *dout1 = 3.0;
  __enzyme_autodiff_void((void *)g, enzyme_context, ctx2);
  for (int i = 0; i < 4; i++) {
    CHECK_CLOSE("lane 0 d out/d data[i]", dd0[i], heap[i] * heap[i], RTOL_D, ATOL_D);
    CHECK_CLOSE("lane 1 d out/d data[i]", dd1[i], 3.0 * heap[i] * heap[i], RTOL_D, ATOL_D);
    CHECK_CLOSE("lane 0 d out/d heap[i]", (*dh0)[i], 2 * data[i] * heap[i], RTOL_D, ATOL_D);
    CHECK_CLOSE("lane 1 d out/d heap[i]", (*dh1)[i], 6 * data[i] * heap[i], RTOL_D, ATOL_D);
  }
  CHECK_TRUE("output adjoints consumed", *dout0 == 0 && *dout1 == 0);
  free(heap);
  return check_report();
}
