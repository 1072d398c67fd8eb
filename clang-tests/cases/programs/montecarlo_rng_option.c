// A Monte-Carlo pricer with pathwise sensitivities, as quantitative-finance users try Enzyme on:
// a fixed-seed xorshift64* generator whose state lives in a struct passed by pointer (integer
// state: inactive), Box-Muller normals (log, sqrt, cos of uniforms built from the bits), a
// Heston-like Euler scheme with full truncation (fmax(v, 0)), an Asian call payoff with a
// branch on the average (max(avg - K, 0) written as an if), a barrier knock-out flag, and the
// discounted mean over paths. Pathwise "Greeks": reverse-mode gradient with respect to S0, the
// vol-of-vol, the drift, the strike; the same seed makes the estimator a deterministic
// function, so central differences of it are the oracle.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences
// of the fixed-seed estimator, forward vs reverse.
#include "check.h"
#include <stdint.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  uint64_t s;
  int have_spare;
  double spare;
} Rng;

static uint64_t xorshift(Rng *r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 2685821657736338717ULL;
}
static double uniform(Rng *r) { return ((xorshift(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
static double normal(Rng *r) {
  if (r->have_spare) {
    r->have_spare = 0;
    return r->spare;
  }
  double u1 = uniform(r), u2 = uniform(r);
  double rad = sqrt(-2.0 * log(u1));
  r->spare = rad * sin(2 * M_PI * u2);
  r->have_spare = 1;
  return rad * cos(2 * M_PI * u2);
}

typedef struct {
  double s0, v0, kappa, theta, xi, rho, mu, strike, barrier, T;
  int steps, paths;
} Model;

double price(const Model *m, uint64_t seed) {
  Rng rng = {seed, 0, 0.0};
  double dt = m->T / m->steps, sq = sqrt(dt), acc = 0.0;
  for (int p = 0; p < m->paths; p++) {
    double s = m->s0, v = m->v0, avg = 0.0;
    int alive = 1;
    for (int k = 0; k < m->steps; k++) {
      double z1 = normal(&rng), z2 = normal(&rng);
      double w2 = m->rho * z1 + sqrt(1 - m->rho * m->rho) * z2;
      double vp = fmax(v, 0.0);
      s *= exp((m->mu - 0.5 * vp) * dt + sqrt(vp) * sq * z1);
      v += m->kappa * (m->theta - vp) * dt + m->xi * sqrt(vp) * sq * w2;
      avg += s;
      if (s > m->barrier) alive = 0;
    }
    avg /= m->steps;
    double pay = 0.0;
    if (alive && avg > m->strike) pay = avg - m->strike;
    acc += pay;
  }
  return exp(-m->mu * m->T) * acc / m->paths;
}

int main(void) {
  Model m = {100.0, 0.04, 1.5, 0.05, 0.4, -0.6, 0.02, 98.0, 135.0, 0.5, 16, 400};
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  Model dm = {0};
  __enzyme_autodiff((void *)price, enzyme_dup, &m, &dm, enzyme_const, seed);
  /* pathwise derivatives of a fixed-seed estimator: knock-outs and the kink are measure-zero
     events, so small central differences agree unless a path sits on one (none does here) */
#define PRICE price(&m, seed)
  CHECK_CLOSE("delta", dm.s0, FD_AT(m.s0, 1e-5, PRICE), 1e-5, 1e-8);
  CHECK_CLOSE("dv0", dm.v0, FD_AT(m.v0, 1e-7, PRICE), 1e-5, 1e-8);
  CHECK_CLOSE("dkappa", dm.kappa, FD_AT(m.kappa, 1e-7, PRICE), 1e-5, 1e-8);
  CHECK_CLOSE("dtheta", dm.theta, FD_AT(m.theta, 1e-7, PRICE), 1e-5, 1e-8);
  CHECK_CLOSE("dxi", dm.xi, FD_AT(m.xi, 1e-7, PRICE), 1e-5, 1e-8);
  CHECK_CLOSE("drho", dm.rho, FD_AT(m.rho, 1e-7, PRICE), 1e-5, 1e-8);
  CHECK_CLOSE("dmu", dm.mu, FD_AT(m.mu, 1e-7, PRICE), 1e-5, 1e-8);
  CHECK_CLOSE("dstrike", dm.strike, FD_AT(m.strike, 1e-5, PRICE), 1e-5, 1e-8);
  CHECK_CLOSE("dT", dm.T, FD_AT(m.T, 1e-7, PRICE), 1e-5, 1e-8);
  CHECK_CLOSE("dbarrier is zero", dm.barrier, 0.0, 0, 0);
  CHECK_TRUE("strike derivative is minus the discounted in-the-money fraction", dm.strike < 0 && dm.strike > -1);
  Model tm = {0};
  tm.s0 = 1.0, tm.xi = 0.5, tm.strike = -2.0;
  double t = __enzyme_fwddiff((void *)price, enzyme_dup, &m, &tm, enzyme_const, seed);
  CHECK_CLOSE("forward vs reverse", t, dm.s0 + 0.5 * dm.xi - 2.0 * dm.strike, 1e-10, 1e-12);
  return check_report();
}
