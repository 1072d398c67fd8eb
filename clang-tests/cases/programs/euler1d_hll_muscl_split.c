// A 1-D compressible Euler solver (Sod-like shock tube with a smooth perturbation) as a CFD code
// writes it: conserved variables in an array of structs {rho, mom, E}, primitive recovery with a
// pressure floor (fmax), MUSCL reconstruction with a minmod limiter written with copysign and
// fmin of magnitudes, an HLL flux with wave-speed estimates from fmin/fmax of the two states'
// characteristic speeds and a three-way branch (left state, right state, HLL average), ghost
// cells by copying (transmissive boundaries), and an SSP-RK2 time stepper with a fixed step.
// The user differentiates an integrated pressure sensor signal with respect to the initial
// density profile: one-call reverse mode and split mode (augmented forward, then reverse with a
// seed of 3), and forward mode along a direction.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences
// (the limiter's and flux's branches do not switch near the point), forward vs reverse, split vs
// one-call reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

#define NC 24
#define NG 2
#define GAMMA 1.4

typedef struct {
  double rho, mom, E;
} Cons;

static double pressure(const Cons *u) {
  double v = u->mom / u->rho;
  return fmax((GAMMA - 1.0) * (u->E - 0.5 * u->rho * v * v), 1e-8);
}

static double minmod(double a, double b) {
  if (a * b <= 0.0) return 0.0;
  return copysign(fmin(fabs(a), fabs(b)), a);
}

static Cons phys_flux(const Cons *u, double p) {
  double v = u->mom / u->rho;
  Cons f = {u->mom, u->mom * v + p, (u->E + p) * v};
  return f;
}

static Cons hll(const Cons *L, const Cons *R) {
  double pL = pressure(L), pR = pressure(R);
  double vL = L->mom / L->rho, vR = R->mom / R->rho;
  double cL = sqrt(GAMMA * pL / L->rho), cR = sqrt(GAMMA * pR / R->rho);
  double sL = fmin(vL - cL, vR - cR), sR = fmax(vL + cL, vR + cR);
  Cons fL = phys_flux(L, pL), fR = phys_flux(R, pR);
  if (sL >= 0.0) return fL;
  if (sR <= 0.0) return fR;
  double w = 1.0 / (sR - sL);
  Cons f = {(sR * fL.rho - sL * fR.rho + sL * sR * (R->rho - L->rho)) * w,
            (sR * fL.mom - sL * fR.mom + sL * sR * (R->mom - L->mom)) * w,
            (sR * fL.E - sL * fR.E + sL * sR * (R->E - L->E)) * w};
  return f;
}

static void fill_ghosts(Cons *u) {
  for (int g = 0; g < NG; g++) {
    u[g] = u[NG];
    u[NC + NG + g] = u[NC + NG - 1];
  }
}

/* du = -(F_{i+1/2} - F_{i-1/2}) / dx on interior cells */
static void residual(Cons *u, Cons *du, double dx) {
  fill_ghosts(u);
  Cons *F = malloc(sizeof(Cons) * (NC + 1));
  for (int f = 0; f <= NC; f++) {
    int i = NG + f - 1; /* left cell of face f */
    const double *a = &u[i - 1].rho, *b = &u[i].rho, *c = &u[i + 1].rho, *d = &u[i + 2].rho;
    double l[3], r[3];
    for (int k = 0; k < 3; k++) {
      l[k] = b[k] + 0.5 * minmod(b[k] - a[k], c[k] - b[k]);
      r[k] = c[k] - 0.5 * minmod(c[k] - b[k], d[k] - c[k]);
    }
    Cons L = {l[0], l[1], l[2]}, R = {r[0], r[1], r[2]};
    F[f] = hll(&L, &R);
  }
  for (int i = 0; i < NC; i++) {
    du[NG + i].rho = -(F[i + 1].rho - F[i].rho) / dx;
    du[NG + i].mom = -(F[i + 1].mom - F[i].mom) / dx;
    du[NG + i].E = -(F[i + 1].E - F[i].E) / dx;
  }
  free(F);
}

double sensor_signal(const double *rho0, int nsteps) {
  int nt = NC + 2 * NG;
  Cons *u = calloc(nt, sizeof(Cons)), *u1 = calloc(nt, sizeof(Cons)), *k = calloc(nt, sizeof(Cons));
  double dx = 1.0 / NC, dt = 0.2 * dx, sig = 0.0;
  for (int i = 0; i < NC; i++) {
    double p = i < NC / 2 ? 1.0 : 0.3;
    u[NG + i].rho = rho0[i];
    u[NG + i].mom = 0.1 * rho0[i];
    u[NG + i].E = p / (GAMMA - 1.0) + 0.5 * 0.01 * rho0[i];
  }
  for (int s = 0; s < nsteps; s++) {
    residual(u, k, dx);
    for (int i = NG; i < NC + NG; i++) {
      u1[i].rho = u[i].rho + dt * k[i].rho;
      u1[i].mom = u[i].mom + dt * k[i].mom;
      u1[i].E = u[i].E + dt * k[i].E;
    }
    residual(u1, k, dx);
    for (int i = NG; i < NC + NG; i++) {
      u[i].rho = 0.5 * (u[i].rho + u1[i].rho + dt * k[i].rho);
      u[i].mom = 0.5 * (u[i].mom + u1[i].mom + dt * k[i].mom);
      u[i].E = 0.5 * (u[i].E + u1[i].E + dt * k[i].E);
    }
    sig += dt * pressure(&u[NG + 3 * NC / 4]) * pressure(&u[NG + 3 * NC / 4 + 1]);
  }
  free(u), free(u1), free(k);
  return sig;
}

int main(void) {
  double rho0[NC], drho[NC] = {0};
  for (int i = 0; i < NC; i++) rho0[i] = (i < NC / 2 ? 1.0 : 0.25) + 0.05 * sin(0.9 * i);
  __enzyme_autodiff((void *)sensor_signal, enzyme_dup, rho0, drho, enzyme_const, 20);
  CHECK_ARRAY_FD("dsignal/drho0", rho0, NC, drho, 1e-6, sensor_signal(rho0, 20), 1e-5, 1e-9);
  double trho[NC];
  for (int i = 0; i < NC; i++) trho[i] = cos(0.3 * i);
  double t = __enzyme_fwddiff((void *)sensor_signal, enzyme_dup, rho0, trho, enzyme_const, 20);
  CHECK_CLOSE("forward vs reverse", t, dotv(drho, trho, NC), 1e-9, 1e-12);
  double srho[NC] = {0};
  void *tape = __enzyme_augmentfwd((void *)sensor_signal, enzyme_dup, rho0, srho, enzyme_const, 20);
  __enzyme_reverse((void *)sensor_signal, enzyme_dup, rho0, srho, enzyme_const, 20, 3.0, tape);
  for (int i = 0; i < NC; i++) srho[i] /= 3.0;
  CHECK_ARRAY_CLOSE("split vs one call", srho, drho, NC, 1e-12, 1e-15);
  return check_report();
}
