// Molecular dynamics of a small Lennard-Jones fluid in a periodic box, as an MD code writes it:
// positions wrapped into the box with floor, the minimum-image convention via nearbyint (a
// rounding function with zero derivative), a shifted-force cutoff (r^2 < rc^2 branch), forces
// from an O(N^2) pair loop accumulated with Newton's third law, velocity Verlet with a
// Berendsen-like thermostat scaling velocities by sqrt(T0/T), and the virial pressure averaged
// over the run. The user wants the sensitivity of the mean pressure to the LJ parameters epsilon
// and sigma (enzyme_out scalars) and to the initial positions (reverse), and a tangent (forward).
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences
// (no pair crosses the cutoff and no image switches near the point), forward vs reverse.
#include "check.h"
#include <stdlib.h>

typedef struct {
  double de, ds;
} Grad2;
Grad2 __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define NP 8
#define L 2.6

typedef struct {
  double eps, sig, rc;
} LJ;

static double min_image(double d) { return d - L * nearbyint(d / L); }

/* forces into f; returns the virial sum r.f over pairs */
static double forces(const LJ *lj, const double *x, double *f) {
  double rc2 = lj->rc * lj->rc, s2 = lj->sig * lj->sig;
  double src6 = s2 * s2 * s2 / (rc2 * rc2 * rc2);
  double fc = 24.0 * lj->eps * (2.0 * src6 * src6 - src6) / lj->rc; /* force at the cutoff */
  double vir = 0.0;
  memset(f, 0, sizeof(double) * 3 * NP);
  for (int i = 0; i < NP; i++)
    for (int j = i + 1; j < NP; j++) {
      double d[3], r2 = 0.0;
      for (int k = 0; k < 3; k++) {
        d[k] = min_image(x[3 * i + k] - x[3 * j + k]);
        r2 += d[k] * d[k];
      }
      if (r2 >= rc2) continue;
      double r = sqrt(r2), ir2 = s2 / r2, ir6 = ir2 * ir2 * ir2;
      double fr = 24.0 * lj->eps * (2.0 * ir6 * ir6 - ir6) / r - fc; /* shifted force */
      for (int k = 0; k < 3; k++) {
        double fk = fr * d[k] / r;
        f[3 * i + k] += fk;
        f[3 * j + k] -= fk;
      }
      vir += fr * r;
    }
  return vir;
}

double mean_pressure(const double *x0, double eps, double sig, int nsteps) {
  LJ lj = {eps, sig, 1.25};
  double *x = malloc(sizeof(double) * 3 * NP), *v = calloc(3 * NP, sizeof(double));
  double *f = malloc(sizeof(double) * 3 * NP);
  for (int i = 0; i < 3 * NP; i++) x[i] = x0[i], v[i] = 0.3 * sin(1.7 * i);
  double dt = 0.004, T0 = 0.8, psum = 0.0, vol = L * L * L;
  double vir = forces(&lj, x, f);
  for (int s = 0; s < nsteps; s++) {
    for (int i = 0; i < 3 * NP; i++) {
      v[i] += 0.5 * dt * f[i];
      x[i] += dt * v[i];
      x[i] -= L * floor(x[i] / L);
    }
    vir = forces(&lj, x, f);
    double ke = 0.0;
    for (int i = 0; i < 3 * NP; i++) {
      v[i] += 0.5 * dt * f[i];
      ke += 0.5 * v[i] * v[i];
    }
    double T = 2.0 * ke / (3.0 * NP);
    double lam = sqrt(1.0 + 0.1 * (T0 / T - 1.0));
    for (int i = 0; i < 3 * NP; i++) v[i] *= lam;
    psum += (NP * T + vir / 3.0) / vol;
  }
  free(x), free(v), free(f);
  return psum / nsteps;
}

int main(void) {
  double x0[3 * NP], dx0[3 * NP] = {0};
  for (int i = 0; i < NP; i++) { /* a perturbed 2x2x2 lattice */
    x0[3 * i] = 0.65 * (1 + 2 * (i & 1)) + 0.05 * sin(3.0 * i);
    x0[3 * i + 1] = 0.65 * (1 + 2 * ((i >> 1) & 1)) + 0.05 * cos(2.0 * i);
    x0[3 * i + 2] = 0.65 * (1 + 2 * ((i >> 2) & 1)) - 0.04 * sin(1.3 * i);
  }
  double eps = 1.0, sig = 1.0;
  Grad2 g = __enzyme_autodiff((void *)mean_pressure, enzyme_dup, x0, dx0, enzyme_out, eps, enzyme_out, sig,
                              enzyme_const, 30);
  CHECK_CLOSE("dP/deps", g.de, FD_AT(eps, 1e-6, mean_pressure(x0, eps, sig, 30)), 1e-5, 1e-8);
  CHECK_CLOSE("dP/dsigma", g.ds, FD_AT(sig, 1e-6, mean_pressure(x0, eps, sig, 30)), 1e-5, 1e-8);
  CHECK_ARRAY_FD("dP/dx0", x0, 3 * NP, dx0, 1e-6, mean_pressure(x0, eps, sig, 30), 1e-5, 1e-8);
  double tx[3 * NP];
  for (int i = 0; i < 3 * NP; i++) tx[i] = 0.1 * cos(0.8 * i);
  double t = __enzyme_fwddiff((void *)mean_pressure, enzyme_dup, x0, tx, eps, 0.2, sig, -0.1, enzyme_const, 30);
  CHECK_CLOSE("forward vs reverse", t, dotv(dx0, tx, 3 * NP) + 0.2 * g.de - 0.1 * g.ds, 1e-9, 1e-12);
  return check_report();
}
