// A bootstrap particle filter as a robotics/statistics user writes it, differentiated for
// parameter learning with the resampling indices held fixed (the "stop-gradient through
// resampling" estimator users build by hand): particles in a realloc-grown dynamic array of
// structs, a fixed-seed LCG (inactive integer state), Gaussian likelihood weights normalised
// with a log-sum-exp (the max taken in a loop with a branch), systematic resampling producing
// integer ancestor indices, particles copied by ancestor (memcpy of structs), and the log
// marginal likelihood estimate as the objective. The user wants d loglik / d(process noise
// scale, observation noise, drift); reverse and forward.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences of
// the fixed-seed estimator (the ancestor choices do not flip for small steps), forward vs reverse.
#include "check.h"
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  double x, v, logw;
} Part;

typedef struct {
  Part *p;
  int n, cap;
} Cloud;

static void cloud_push(Cloud *c, Part q) {
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 4;
    c->p = realloc(c->p, c->cap * sizeof(Part));
  }
  c->p[c->n++] = q;
}

static double lcg_u(unsigned long long *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((*s >> 11) + 0.5) / 9007199254740992.0;
}
static double lcg_n(unsigned long long *s) {
  double u1 = lcg_u(s), u2 = lcg_u(s);
  return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

double pf_loglik(const double *theta, const double *obs, int T, int np, unsigned long long seed) {
  double q = theta[0], r = theta[1], drift = theta[2];
  unsigned long long s = seed;
  Cloud c = {NULL, 0, 0}, next = {NULL, 0, 0};
  for (int i = 0; i < np; i++) cloud_push(&c, (Part){0.5 * lcg_n(&s), 0.0, 0.0});
  int *anc = malloc(np * sizeof(int));
  double ll = 0.0;
  for (int t = 0; t < T; t++) {
    double mx = -1e300;
    for (int i = 0; i < np; i++) {
      Part *p = &c.p[i];
      p->v = 0.9 * p->v + drift + q * lcg_n(&s);
      p->x += 0.1 * p->v;
      double e = (obs[t] - p->x) / r;
      p->logw = -0.5 * e * e - log(r);
      if (p->logw > mx) mx = p->logw;
    }
    double sw = 0.0;
    for (int i = 0; i < np; i++) sw += exp(c.p[i].logw - mx);
    ll += mx + log(sw / np);
    /* systematic resampling: the ancestor choice is piecewise constant in theta */
    double u = lcg_u(&s) / np, cum = exp(c.p[0].logw - mx) / sw;
    int j = 0;
    for (int i = 0; i < np; i++) {
      while (u > cum && j < np - 1) {
        j++;
        cum += exp(c.p[j].logw - mx) / sw;
      }
      anc[i] = j;
      u += 1.0 / np;
    }
    next.n = 0;
    for (int i = 0; i < np; i++) cloud_push(&next, c.p[anc[i]]);
    Cloud tmp = c;
    c = next;
    next = tmp;
  }
  free(anc);
  free(c.p);
  free(next.p);
  return ll;
}

enum { T = 12, NPART = 64 };

int main(void) {
  double obs[T];
  unsigned long long s = 99;
  double x = 0, v = 0;
  for (int t = 0; t < T; t++) {
    v = 0.9 * v + 0.2 + 0.3 * lcg_n(&s);
    x += 0.1 * v;
    obs[t] = x + 0.2 * lcg_n(&s);
  }
  double theta[3] = {0.3, 0.25, 0.15}, dtheta[3] = {0};
  unsigned long long seed = 12345;
  __enzyme_autodiff((void *)pf_loglik, enzyme_dup, theta, dtheta, enzyme_const, obs, enzyme_const, T, enzyme_const,
                    NPART, enzyme_const, seed);
  CHECK_ARRAY_FD("dll/dtheta", theta, 3, dtheta, 1e-8, pf_loglik(theta, obs, T, NPART, seed), 1e-5, 1e-7);
  double tv[3] = {1.0, -0.5, 0.25};
  double t = __enzyme_fwddiff((void *)pf_loglik, enzyme_dup, theta, tv, enzyme_const, obs, enzyme_const, T,
                              enzyme_const, NPART, enzyme_const, seed);
  CHECK_CLOSE("forward vs reverse", t, dotv(tv, dtheta, 3), 1e-10, 1e-12);
  return check_report();
}
