// Two-layer perceptron with softmax cross-entropy: malloc'd weights, relu via fmax,
// max-subtracted softmax (a guarded max), reverse gradient vs forward tangents and FD.
#include "check.h"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_dupnoneed;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef struct { int nin, nh, nout; double *W1, *b1, *W2, *b2; } Net;

static void dense(const double *W, const double *b, const double *x, double *y, int n, int m, int relu) {
  for (int i = 0; i < m; i++) {
    double s = b[i];
    for (int j = 0; j < n; j++) s += W[i * n + j] * x[j];
    y[i] = relu ? fmax(s, 0.0) : s;
  }
}
double loss(const Net *net, const double *x, int label) {
  double *h = malloc(sizeof(double) * net->nh);
  double *z = malloc(sizeof(double) * net->nout);
  dense(net->W1, net->b1, x, h, net->nin, net->nh, 1);
  dense(net->W2, net->b2, h, z, net->nh, net->nout, 0);
  double mx = z[0];
  for (int i = 1; i < net->nout; i++) if (z[i] > mx) mx = z[i];
  double se = 0;
  for (int i = 0; i < net->nout; i++) se += exp(z[i] - mx);
  double l = -(z[label] - mx - log(se));
  free(h); free(z);
  return l;
}
int main(void) {
  enum { NI = 4, NH = 6, NO = 3 };
  int np = NH * NI + NH + NO * NH + NO;
  double *p = malloc(sizeof(double) * np), *dp = calloc(np, sizeof(double));
  srand(3);
  for (int i = 0; i < np; i++) p[i] = ((rand() % 2000) - 1000) / 1500.0;
  Net net = {NI, NH, NO, p, p + NH * NI, p + NH * NI + NH, p + NH * NI + NH + NO * NH};
  Net dnet = {NI, NH, NO, dp, dp + NH * NI, dp + NH * NI + NH, dp + NH * NI + NH + NO * NH};
  double x[NI] = {0.5, -1.2, 0.3, 2.0}, dx[NI] = {0};
  __enzyme_autodiff((void *)loss, enzyme_dup, &net, &dnet, enzyme_dup, x, dx, enzyme_const, 1);
  CHECK_ARRAY_FD("dparams", p, np, dp, 1e-6, loss(&net, x, 1), RTOL_FD, 1e-7);
  CHECK_ARRAY_FD("dx", x, NI, dx, 1e-6, loss(&net, x, 1), RTOL_FD, 1e-7);
  /* forward: direction v in the params */
  double *v = malloc(sizeof(double) * np), zero[NI] = {0};
  for (int i = 0; i < np; i++) v[i] = sin(i * 0.7);
  Net tnet = {NI, NH, NO, v, v + NH * NI, v + NH * NI + NH, v + NH * NI + NH + NO * NH};
  double t = __enzyme_fwddiff((void *)loss, enzyme_dup, &net, &tnet, enzyme_dup, x, zero, enzyme_const, 1);
  double want = 0;
  for (int i = 0; i < np; i++) want += v[i] * dp[i];
  CHECK_CLOSE("fwd vs rev", t, want, 1e-10, 1e-12);
  free(p); free(dp); free(v);
  return check_report();
}
