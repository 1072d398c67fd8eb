// Split reverse mode on functions with a malloc'd scratch buffer that the forward run frees
// before returning: the reverse needs the scratch values (and the shadow of the buffer), so they
// must live on the tape. Between the augmented forward and the reverse calls the heap is churned
// (buffers of the same size allocated, filled with garbage and freed) so that reading the freed
// scratch would give wrong numbers. Two reverse calls per tape (enzyme_nofree, then the last one
// frees it); split_malloc_asan.c runs the same under ASan/LSan.
// - scratch(x, n): t[i] = sin(x[i]) x[(i+1) % n], returns sum t[i] t[(i+n-1) % n];
// - scratch_out(x, y, n): t = malloc'd prefix products of x, y[i] = t[i] * x[n-1-i] (duplicated
//   output written from the scratch buffer).
// RUN: clang opt
#include "check.h"

extern int enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

double scratch(const double *x, int n) {
  double *t = (double *)malloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < n; i++)
    t[i] = sin(x[i]) * x[(i + 1) % n];
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += t[i] * t[(i + n - 1) % n];
  free(t);
  return s;
}
static double scratch_packed(const double *x, const void *c) { return scratch(x, *(const int *)c); }

void scratch_out(const double *x, double *y, int n) {
  double *t = (double *)malloc(sizeof(double) * (size_t)n);
  double p = 1.0;
  for (int i = 0; i < n; i++) {
    p *= x[i];
    t[i] = p;
  }
  for (int i = 0; i < n; i++)
    y[i] = t[i] * x[n - 1 - i];
  free(t);
}
typedef struct {
  int n;
  const double *w;
} OutCtx;
static double scratch_out_w(const double *x, const void *c) { /* w . y */
  const OutCtx *oc = (const OutCtx *)c;
  double y[16];
  scratch_out(x, y, oc->n);
  return dotv(oc->w, y, oc->n);
}

static double *volatile churn_escape; /* keeps clang from removing the churn buffers */
static void churn(int n) {
  for (int k = 0; k < 8; k++) {
    double *b = (double *)malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++)
      b[i] = 1e30 * (k + 1);
    churn_escape = b;
    free(b);
  }
}

int main(void) {
  unsigned s = 41;
  for (int t = 0; t < 3; t++) {
    int n = 5 + 3 * t;
    double x[16], dx[16] = {0}, g[16], g2[16];
    for (int i = 0; i < n; i++)
      x[i] = 0.3 + prand(&s);
    for (int i = 0; i < n; i++)
      g[i] = fdvc(scratch_packed, &n, x, n, i);
    void *tape = __enzyme_augmentfwd((void *)scratch, x, dx, n);
    churn(n);
    __enzyme_reverse((void *)scratch, x, dx, n, 1.0, enzyme_nofree, tape);
    CHECK_ARRAY_CLOSE("scratch: seed 1 vs finite differences", dx, g, n, RTOL_FD, ATOL_FD);
    memset(dx, 0, sizeof dx);
    churn(n);
    __enzyme_reverse((void *)scratch, x, dx, n, 0.5, tape);
    for (int i = 0; i < n; i++)
      g2[i] = 0.5 * g[i];
    CHECK_ARRAY_CLOSE("scratch: seed 0.5 on the same tape", dx, g2, n, RTOL_FD, ATOL_FD);

    /* scratch_out: vector-Jacobian products w^T J for two seeds w1, w2 from one forward */
    double y[16] = {0}, dy[16] = {0}, w1[16], w2[16], v1[16], v2[16];
    for (int i = 0; i < n; i++) {
      w1[i] = prand(&s);
      w2[i] = prand(&s);
    }
    OutCtx c1 = {n, w1}, c2 = {n, w2};
    for (int i = 0; i < n; i++) {
      v1[i] = fdvc(scratch_out_w, &c1, x, n, i);
      v2[i] = fdvc(scratch_out_w, &c2, x, n, i);
    }
    memset(dx, 0, sizeof dx);
    void *ot = __enzyme_augmentfwd((void *)scratch_out, x, dx, y, dy, n);
    double prod = 1.0;
    for (int i = 0; i < n; i++)
      prod *= x[i];
    CHECK_CLOSE("scratch_out: primal y[n-1] from the augmented forward", y[n - 1], prod * x[0], RTOL_D, ATOL_D);
    churn(n);
    memcpy(dy, w1, sizeof(double) * (size_t)n);
    __enzyme_reverse((void *)scratch_out, x, dx, y, dy, n, enzyme_nofree, ot);
    CHECK_ARRAY_CLOSE("scratch_out: w1^T J vs finite differences", dx, v1, n, RTOL_FD, ATOL_FD);
    memset(dx, 0, sizeof dx);
    memcpy(dy, w2, sizeof(double) * (size_t)n);
    churn(n);
    __enzyme_reverse((void *)scratch_out, x, dx, y, dy, n, ot);
    CHECK_ARRAY_CLOSE("scratch_out: w2^T J on the same tape", dx, v2, n, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
