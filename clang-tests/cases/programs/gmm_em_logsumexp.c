// One expectation-maximization step of a 1-D Gaussian mixture, then the log-likelihood of the
// data under the updated mixture, as a statistics code writes it: mixture weights from a softmax
// of logits, responsibilities by a numerically stable log-sum-exp (max subtracted first, the max
// found by a branchy loop), M-step sums in heap arrays of sufficient statistics, variances floored
// with fmax, and a struct holding the mixture by pointers. The user differentiates the post-EM
// log-likelihood with respect to the initial means, log-variances and logits (reverse), and the
// data points (forward, batched over two directions with enzyme_width).
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef struct { double d[2]; } Tan2;
Tan2 __enzyme_fwddiff2(void *, ...) __asm__("__enzyme_fwddiff_w2");
extern int enzyme_width, enzyme_dupv;

#define K 3
#define N 40

typedef struct {
  double *mu, *logvar, *logit;
  int k;
} Mixture;

static double logsumexp(const double *v, int n) {
  double m = v[0];
  for (int i = 1; i < n; i++)
    if (v[i] > m) m = v[i];
  double s = 0.0;
  for (int i = 0; i < n; i++) s += exp(v[i] - m);
  return m + log(s);
}

static void log_weights(const Mixture *g, double *lw) {
  double z = logsumexp(g->logit, g->k);
  for (int j = 0; j < g->k; j++) lw[j] = g->logit[j] - z;
}

static double log_normal(double x, double mu, double logvar) {
  double d = x - mu;
  return -0.5 * (log(2 * M_PI) + logvar + d * d * exp(-logvar));
}

/* log-likelihood; fills resp[i*k+j] with responsibilities when resp != NULL */
static double e_step(const Mixture *g, const double *x, int n, double *resp) {
  double lw[K], lp[K], ll = 0.0;
  log_weights(g, lw);
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < g->k; j++) lp[j] = lw[j] + log_normal(x[i], g->mu[j], g->logvar[j]);
    double l = logsumexp(lp, g->k);
    ll += l;
    if (resp)
      for (int j = 0; j < g->k; j++) resp[i * g->k + j] = exp(lp[j] - l);
  }
  return ll;
}

static void m_step(Mixture *g, const double *x, int n, const double *resp) {
  double *nk = calloc(g->k, sizeof(double)), *sx = calloc(g->k, sizeof(double));
  double *sxx = calloc(g->k, sizeof(double));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < g->k; j++) {
      double r = resp[i * g->k + j];
      nk[j] += r, sx[j] += r * x[i], sxx[j] += r * x[i] * x[i];
    }
  for (int j = 0; j < g->k; j++) {
    double m = sx[j] / nk[j];
    double v = fmax(sxx[j] / nk[j] - m * m, 1e-4);
    g->mu[j] = m;
    g->logvar[j] = log(v);
    g->logit[j] = log(nk[j] / n);
  }
  free(nk), free(sx), free(sxx);
}

/* theta = [mu(K), logvar(K), logit(K)] */
double em_then_loglik(const double *theta, const double *x) {
  double mu[K], lv[K], lg[K];
  for (int j = 0; j < K; j++) mu[j] = theta[j], lv[j] = theta[K + j], lg[j] = theta[2 * K + j];
  Mixture g = {mu, lv, lg, K};
  double *resp = malloc(sizeof(double) * N * K);
  e_step(&g, x, N, resp);
  m_step(&g, x, N, resp);
  double ll = e_step(&g, x, N, NULL);
  free(resp);
  return ll;
}

static double f_theta(const double *th, const void *x) { return em_then_loglik(th, x); }

int main(void) {
  double x[N];
  unsigned s = 11;
  for (int i = 0; i < N; i++) {
    double c = i % 3 == 0 ? -2.0 : (i % 3 == 1 ? 0.5 : 3.0);
    x[i] = c + 0.6 * prand(&s);
  }
  double theta[3 * K] = {-1.5, 0.0, 2.5, log(0.8), log(0.5), log(1.2), 0.1, -0.2, 0.0};
  double dth[3 * K] = {0}, dx[N] = {0};
  __enzyme_autodiff((void *)em_then_loglik, enzyme_dup, theta, dth, enzyme_dup, x, dx);
  CHECK_GRAD_FD("dll/dtheta", f_theta, x, theta, 3 * K, dth, 1e-5, 1e-7);
  CHECK_ARRAY_FD("dll/dx", x, N, dx, 1e-6, em_then_loglik(theta, x), 1e-5, 1e-7);

  double tx[2][N], zt[2][3 * K];
  memset(zt, 0, sizeof zt);
  for (int i = 0; i < N; i++) tx[0][i] = sin(0.3 * i), tx[1][i] = (i % 5) * 0.1 - 0.2;
  Tan2 t = __enzyme_fwddiff2((void *)em_then_loglik, enzyme_width, 2, enzyme_dupv, sizeof zt[0], theta, zt[0],
                             enzyme_dupv, sizeof tx[0], x, tx[0]);
  CHECK_CLOSE("batched forward lane 0 vs reverse", t.d[0], dotv(dx, tx[0], N), 1e-9, 1e-11);
  CHECK_CLOSE("batched forward lane 1 vs reverse", t.d[1], dotv(dx, tx[1], N), 1e-9, 1e-11);
  double tth[3 * K] = {0.1, 0.2, -0.1, 0.3, 0, 0.1, -0.2, 0.1, 0.05};
  double t1 = __enzyme_fwddiff((void *)em_then_loglik, enzyme_dup, theta, tth, enzyme_const, x);
  CHECK_CLOSE("forward theta vs reverse", t1, dotv(dth, tth, 3 * K), 1e-9, 1e-11);
  return check_report();
}
