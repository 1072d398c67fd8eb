// Molecular dynamics as an MD code writes it: Lennard-Jones pair forces with a cutoff radius
// (pairs beyond it skipped with `continue`), a shifted potential, minimum-image periodic box
// (round() and a branch), velocity-Verlet steps over an array of structs, and a kinetic +
// potential energy after the run. Reverse mode gives the sensitivity of the final total energy
// and of a mean-square displacement to the initial positions, velocities and the LJ epsilon.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <stdlib.h>
#include <string.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  double x[3], v[3], f[3];
  double mass;
  int type;
} Particle;

typedef struct {
  double eps, sigma, rcut, box, dt;
  int nsteps;
} Params;

static double min_image(double d, double box) {
  double k = round(d / box);
  if (k != 0.0) d -= k * box;
  return d;
}

static double lj(double r2, double eps, double sigma, double *fscal) {
  double s2 = sigma * sigma / r2;
  double s6 = s2 * s2 * s2;
  *fscal = 24.0 * eps * (2.0 * s6 * s6 - s6) / r2;
  return 4.0 * eps * (s6 * s6 - s6);
}

static double forces(Particle *p, int n, const Params *P, const double *eps_type) {
  double rc2 = P->rcut * P->rcut;
  double fdummy;
  for (int i = 0; i < n; i++) p[i].f[0] = p[i].f[1] = p[i].f[2] = 0.0;
  double epot = 0.0;
  for (int i = 0; i < n; i++) {
    for (int j = i + 1; j < n; j++) {
      double d[3], r2 = 0.0;
      for (int k = 0; k < 3; k++) {
        d[k] = min_image(p[i].x[k] - p[j].x[k], P->box);
        r2 += d[k] * d[k];
      }
      if (r2 > rc2) continue;
      double eps = P->eps * eps_type[p[i].type] * eps_type[p[j].type];
      double fs;
      double e = lj(r2, eps, P->sigma, &fs);
      double ecut = lj(rc2, eps, P->sigma, &fdummy);
      epot += e - ecut;
      for (int k = 0; k < 3; k++) {
        p[i].f[k] += fs * d[k];
        p[j].f[k] -= fs * d[k];
      }
    }
  }
  return epot;
}

static double run(Particle *p, int n, const Params *P, const double *eps_type, double *msd) {
  double *x0 = malloc(3 * n * sizeof(double));
  for (int i = 0; i < n; i++) memcpy(x0 + 3 * i, p[i].x, 3 * sizeof(double));
  double epot = forces(p, n, P, eps_type);
  for (int s = 0; s < P->nsteps; s++) {
    for (int i = 0; i < n; i++)
      for (int k = 0; k < 3; k++) {
        p[i].v[k] += 0.5 * P->dt * p[i].f[k] / p[i].mass;
        p[i].x[k] += P->dt * p[i].v[k];
      }
    epot = forces(p, n, P, eps_type);
    for (int i = 0; i < n; i++)
      for (int k = 0; k < 3; k++) p[i].v[k] += 0.5 * P->dt * p[i].f[k] / p[i].mass;
  }
  double ekin = 0.0, m = 0.0;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 3; k++) {
      ekin += 0.5 * p[i].mass * p[i].v[k] * p[i].v[k];
      double d = p[i].x[k] - x0[3 * i + k];
      m += d * d;
    }
  *msd = m / n;
  free(x0);
  return ekin + epot;
}

/* the objective: energy plus a weighted MSD; works on a copy so the caller's state survives */
double objective(const Particle *init, int n, const Params *P, const double *eps_type) {
  Particle *p = malloc(n * sizeof(Particle));
  memcpy(p, init, n * sizeof(Particle));
  double msd;
  double e = run(p, n, P, eps_type, &msd);
  free(p);
  return e + 0.3 * msd;
}

enum { NP = 8 };

int main(void) {
  Params P = {1.0, 1.0, 2.5, 3.2, 0.002, 12};
  double eps_type[2] = {1.0, 1.3};
  Particle p[NP];
  unsigned st = 7;
  for (int i = 0; i < NP; i++) {
    p[i].x[0] = 0.2 + 1.5 * (i % 2) + 0.05 * prand(&st);
    p[i].x[1] = 0.3 + 1.4 * ((i / 2) % 2) + 0.05 * prand(&st);
    p[i].x[2] = 0.1 + 1.6 * (i / 4) + 0.05 * prand(&st);
    for (int k = 0; k < 3; k++) p[i].v[k] = 0.3 * prand(&st), p[i].f[k] = 0.0;
    p[i].mass = 1.0 + 0.5 * (i % 3);
    p[i].type = i % 2;
  }
  Particle dp[NP];
  memset(dp, 0, sizeof dp);
  double deps[2] = {0, 0};
  __enzyme_autodiff((void *)objective, enzyme_dup, p, dp, enzyme_const, NP, enzyme_const, &P, enzyme_dup, eps_type,
                    deps);
  for (int i = 0; i < NP; i++)
    for (int k = 0; k < 3; k++) {
      CHECK_CLOSE("dE/dx", dp[i].x[k], FD_AT(p[i].x[k], 1e-6, objective(p, NP, &P, eps_type)), 1e-5, 1e-7);
      CHECK_CLOSE("dE/dv", dp[i].v[k], FD_AT(p[i].v[k], 1e-6, objective(p, NP, &P, eps_type)), 1e-5, 1e-7);
    }
  for (int i = 0; i < NP; i++)
    CHECK_CLOSE("dE/dmass", dp[i].mass, FD_AT(p[i].mass, 1e-6, objective(p, NP, &P, eps_type)), 1e-5, 1e-7);
  CHECK_ARRAY_FD("dE/deps_type", eps_type, 2, deps, 1e-6, objective(p, NP, &P, eps_type), 1e-5, 1e-7);

  /* forward: move every particle's x along a direction */
  Particle tp[NP];
  memset(tp, 0, sizeof tp);
  double want = 0.0, teps[2] = {0, 0};
  for (int i = 0; i < NP; i++)
    for (int k = 0; k < 3; k++) {
      tp[i].x[k] = sin(1.0 + i + 0.3 * k);
      want += tp[i].x[k] * dp[i].x[k];
    }
  double t = __enzyme_fwddiff((void *)objective, enzyme_dup, p, tp, enzyme_const, NP, enzyme_const, &P, enzyme_dup,
                              eps_type, teps);
  CHECK_CLOSE("forward vs reverse", t, want, 1e-9, 1e-11);
  return check_report();
}
