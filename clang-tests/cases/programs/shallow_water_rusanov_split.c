// A 1D shallow-water (Saint-Venant) solver as a hydraulics engineer writes it in C: state
// arrays of depth h and discharge q with one ghost cell per side, reflective walls filled in a
// boundary routine, a Rusanov (local Lax-Friedrichs) flux with the wave speed |u| + sqrt(g h)
// taken with fmax, a bed slope source term from a bathymetry array, Manning friction with
// pow(h, -7/3) and fabs(q), a CFL-limited time step computed each step (fmax over cells, so the
// step itself depends on the state), and a fixed end time reached with a shortened last step.
// The user calibrates the Manning coefficient and the initial dam-break depths against gauge
// readings: reverse-mode gradient, split mode (__enzyme_augmentfwd + __enzyme_reverse of the
// whole simulation with a seeded return), and a forward tangent.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse, split vs joint.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

enum { N = 40, NG = N + 2 };
static const double G = 9.81;

typedef struct {
  double dx, tend, cfl;
  double bed[NG];
  int gauges[3];
  double obs[3];
} Channel;

static void walls(double *h, double *q) {
  h[0] = h[1];
  q[0] = -q[1];
  h[N + 1] = h[N];
  q[N + 1] = -q[N];
}

static void rusanov(double hl, double ql, double hr, double qr, double *fh, double *fq) {
  double ul = ql / hl, ur = qr / hr;
  double a = fmax(fabs(ul) + sqrt(G * hl), fabs(ur) + sqrt(G * hr));
  double fl_h = ql, fr_h = qr;
  double fl_q = ql * ul + 0.5 * G * hl * hl, fr_q = qr * ur + 0.5 * G * hr * hr;
  *fh = 0.5 * (fl_h + fr_h) - 0.5 * a * (hr - hl);
  *fq = 0.5 * (fl_q + fr_q) - 0.5 * a * (qr - ql);
}

/* p = [manning n, left depth, right depth] */
static double gauge_misfit(const double *p, const Channel *ch) {
  double *h = malloc(sizeof(double) * NG), *q = malloc(sizeof(double) * NG);
  double fh[N + 1], fq[N + 1];
  for (int i = 1; i <= N; i++) {
    double x = (i - 0.5) / N;
    /* a smoothed dam break */
    h[i] = p[2] + (p[1] - p[2]) * 0.5 * (1.0 - tanh((x - 0.5) / 0.05)) - ch->bed[i];
    q[i] = 0.0;
  }
  double t = 0.0;
  int steps = 0;
  while (t < ch->tend && steps < 1000) {
    walls(h, q);
    double smax = 0.0;
    for (int i = 1; i <= N; i++) smax = fmax(smax, fabs(q[i] / h[i]) + sqrt(G * h[i]));
    double dt = ch->cfl * ch->dx / smax;
    if (t + dt > ch->tend) dt = ch->tend - t;
    for (int i = 0; i <= N; i++) rusanov(h[i], q[i], h[i + 1], q[i + 1], &fh[i], &fq[i]);
    for (int i = 1; i <= N; i++) {
      double slope = -G * h[i] * (ch->bed[i + 1] - ch->bed[i - 1]) / (2.0 * ch->dx);
      double fric = -G * p[0] * p[0] * q[i] * fabs(q[i]) * pow(h[i], -7.0 / 3.0);
      h[i] -= dt / ch->dx * (fh[i] - fh[i - 1]);
      q[i] -= dt / ch->dx * (fq[i] - fq[i - 1]);
      q[i] += dt * (slope + fric);
    }
    t += dt;
    steps++;
  }
  double m = 0.0;
  for (int k = 0; k < 3; k++) {
    double d = h[ch->gauges[k]] - ch->obs[k];
    m += d * d;
  }
  free(h);
  free(q);
  return m;
}

static double misfit_fd(const double *p, const void *c) { return gauge_misfit(p, c); }

int main(void) {
  Channel ch;
  ch.dx = 1.0 / N;
  ch.tend = 0.05;
  ch.cfl = 0.45;
  for (int i = 0; i < NG; i++) ch.bed[i] = 0.05 * exp(-50.0 * ((i - 0.5) / N - 0.7) * ((i - 0.5) / N - 0.7));
  ch.gauges[0] = 10;
  ch.gauges[1] = 22;
  ch.gauges[2] = 31;
  ch.obs[0] = 0.8;
  ch.obs[1] = 0.6;
  ch.obs[2] = 0.45;
  double p[3] = {0.03, 1.0, 0.4}, dp[3] = {0};
  __enzyme_autodiff((void *)gauge_misfit, enzyme_dup, p, dp, enzyme_const, &ch);
  CHECK_GRAD_FD("dmisfit/dp", misfit_fd, &ch, p, 3, dp, 1e-5, 1e-9);

  double sp[3] = {0};
  void *tape = __enzyme_augmentfwd((void *)gauge_misfit, enzyme_dup, p, sp, enzyme_const, &ch);
  __enzyme_reverse((void *)gauge_misfit, enzyme_dup, p, sp, enzyme_const, &ch, 3.0, tape);
  for (int i = 0; i < 3; i++) CHECK_CLOSE("split = 3 x joint", sp[i], 3.0 * dp[i], 1e-12, 1e-15);

  double tp[3] = {0.5, -0.2, 0.7};
  double jt = __enzyme_fwddiff((void *)gauge_misfit, enzyme_dup, p, tp, enzyme_const, &ch);
  CHECK_CLOSE("tangent vs reverse", jt, dotv(dp, tp, 3), 1e-10, 1e-13);
  return check_report();
}
