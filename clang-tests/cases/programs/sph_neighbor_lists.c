// A smoothed-particle hydrodynamics (SPH) step as astrophysics/fluids codes write it in C: a
// cell-list neighbour search (particles binned into a uniform grid with int head/next linked
// lists, neighbour pairs collected into a CSR-style int index array with offsets), a cubic
// spline kernel and its gradient with a piecewise branch on q = r/h, density summation,
// a Tait equation of state, symmetric pressure forces with Monaghan artificial viscosity (a
// branch on approaching pairs), and a leapfrog kick-drift over several steps. The neighbour
// lists are built once (integer data, inactive) and reused. The user differentiates the final
// kinetic plus potential energy with respect to the initial positions and velocities (reverse)
// and checks a forward tangent.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse.
// VALGRIND
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { NP = 24, DIM = 2, NC = 4, STEPS = 4 };

typedef struct {
  int *offset; /* NP + 1 */
  int *nbr;    /* neighbour indices, grouped per particle */
  int npairs;
} Neighbours;

typedef struct {
  double h, mass, rho0, c0, alpha, dt, gz;
} Sph;

static double kernel(double r, double h) {
  double q = r / h, s = 10.0 / (7.0 * M_PI * h * h);
  if (q < 1.0) return s * (1.0 - 1.5 * q * q + 0.75 * q * q * q);
  if (q < 2.0) {
    double t = 2.0 - q;
    return s * 0.25 * t * t * t;
  }
  return 0.0;
}

/* dW/dr */
static double kernel_dr(double r, double h) {
  double q = r / h, s = 10.0 / (7.0 * M_PI * h * h * h);
  if (q < 1.0) return s * (-3.0 * q + 2.25 * q * q);
  if (q < 2.0) {
    double t = 2.0 - q;
    return -s * 0.75 * t * t;
  }
  return 0.0;
}

/* cell lists, then every pair within 2h (plus a margin for motion during the steps) */
static void build_neighbours(const double *x, double h, Neighbours *nb) {
  int head[NC * NC], next[NP];
  for (int c = 0; c < NC * NC; c++) head[c] = -1;
  double cell = 1.0 / NC;
  for (int i = 0; i < NP; i++) {
    int cx = (int)(x[DIM * i] / cell), cy = (int)(x[DIM * i + 1] / cell);
    cx = cx < 0 ? 0 : cx >= NC ? NC - 1 : cx;
    cy = cy < 0 ? 0 : cy >= NC ? NC - 1 : cy;
    next[i] = head[cy * NC + cx];
    head[cy * NC + cx] = i;
  }
  int cap = 16, n = 0;
  nb->nbr = malloc(sizeof(int) * cap);
  nb->offset = malloc(sizeof(int) * (NP + 1));
  for (int i = 0; i < NP; i++) {
    nb->offset[i] = n;
    int cx = (int)(x[DIM * i] / cell), cy = (int)(x[DIM * i + 1] / cell);
    for (int dy = -1; dy <= 1; dy++)
      for (int dx = -1; dx <= 1; dx++) {
        int ux = cx + dx, uy = cy + dy;
        if (ux < 0 || uy < 0 || ux >= NC || uy >= NC) continue;
        for (int j = head[uy * NC + ux]; j >= 0; j = next[j]) {
          if (j == i) continue;
          double rx = x[DIM * i] - x[DIM * j], ry = x[DIM * i + 1] - x[DIM * j + 1];
          if (rx * rx + ry * ry < 2.2 * 2.2 * h * h) {
            if (n == cap) nb->nbr = realloc(nb->nbr, sizeof(int) * (cap *= 2));
            nb->nbr[n++] = j;
          }
        }
      }
  }
  nb->offset[NP] = n;
  nb->npairs = n;
}

/* state = [x (NP*DIM), v (NP*DIM)] */
static double energy_after(const double *state, const Sph *p, const Neighbours *nb) {
  double x[NP * DIM], v[NP * DIM], a[NP * DIM], rho[NP], pr[NP];
  memcpy(x, state, sizeof x);
  memcpy(v, state + NP * DIM, sizeof v);
  for (int s = 0; s < STEPS; s++) {
    for (int i = 0; i < NP; i++) {
      rho[i] = p->mass * kernel(0.0, p->h);
      for (int k = nb->offset[i]; k < nb->offset[i + 1]; k++) {
        int j = nb->nbr[k];
        double rx = x[DIM * i] - x[DIM * j], ry = x[DIM * i + 1] - x[DIM * j + 1];
        rho[i] += p->mass * kernel(sqrt(rx * rx + ry * ry), p->h);
      }
      double B = p->rho0 * p->c0 * p->c0 / 7.0;
      pr[i] = B * (pow(rho[i] / p->rho0, 7.0) - 1.0);
    }
    for (int i = 0; i < NP; i++) {
      double ax = 0.0, ay = -p->gz;
      for (int k = nb->offset[i]; k < nb->offset[i + 1]; k++) {
        int j = nb->nbr[k];
        double rx = x[DIM * i] - x[DIM * j], ry = x[DIM * i + 1] - x[DIM * j + 1];
        double r = sqrt(rx * rx + ry * ry);
        double dw = kernel_dr(r, p->h);
        if (dw == 0.0) continue;
        double term = pr[i] / (rho[i] * rho[i]) + pr[j] / (rho[j] * rho[j]);
        double vx = v[DIM * i] - v[DIM * j], vy = v[DIM * i + 1] - v[DIM * j + 1];
        double vr = vx * rx + vy * ry;
        if (vr < 0.0) { /* approaching: artificial viscosity */
          double mu = p->h * vr / (r * r + 0.01 * p->h * p->h);
          term += -p->alpha * p->c0 * mu / (0.5 * (rho[i] + rho[j]));
        }
        ax -= p->mass * term * dw * rx / r;
        ay -= p->mass * term * dw * ry / r;
      }
      a[DIM * i] = ax;
      a[DIM * i + 1] = ay;
    }
    for (int q = 0; q < NP * DIM; q++) {
      v[q] += p->dt * a[q];
      x[q] += p->dt * v[q];
    }
  }
  double e = 0.0;
  for (int i = 0; i < NP; i++)
    e += 0.5 * p->mass * (v[DIM * i] * v[DIM * i] + v[DIM * i + 1] * v[DIM * i + 1]) +
         p->mass * p->gz * x[DIM * i + 1];
  return e;
}

typedef struct {
  const Sph *p;
  const Neighbours *nb;
} Ctx;

static double energy_fd(const double *s, const void *c) {
  const Ctx *k = c;
  return energy_after(s, k->p, k->nb);
}

int main(void) {
  Sph p = {0.09, 0.01, 1.0, 4.0, 0.3, 2e-3, 1.0};
  double st[2 * NP * DIM];
  unsigned seed = 11;
  for (int i = 0; i < NP; i++) {
    st[DIM * i] = 0.2 + 0.12 * (i % 6) + 0.01 * prand(&seed);
    st[DIM * i + 1] = 0.2 + 0.12 * (i / 6) + 0.01 * prand(&seed);
    st[NP * DIM + DIM * i] = 0.3 * prand(&seed);
    st[NP * DIM + DIM * i + 1] = 0.3 * prand(&seed);
  }
  Neighbours nb;
  build_neighbours(st, p.h, &nb);
  CHECK_TRUE("some pairs", nb.npairs > NP);

  double dst[2 * NP * DIM] = {0};
  __enzyme_autodiff((void *)energy_after, enzyme_dup, st, dst, enzyme_const, &p, enzyme_const,
                    &nb);
  Ctx c = {&p, &nb};
  CHECK_GRAD_FD("dE/dstate", energy_fd, &c, st, 2 * NP * DIM, dst, 1e-5, 1e-9);

  double t[2 * NP * DIM];
  for (int i = 0; i < 2 * NP * DIM; i++) t[i] = prand(&seed);
  double jt = __enzyme_fwddiff((void *)energy_after, enzyme_dup, st, t, enzyme_const, &p,
                               enzyme_const, &nb);
  CHECK_CLOSE("tangent vs reverse", jt, dotv(dst, t, 2 * NP * DIM), 1e-10, 1e-13);
  free(nb.nbr);
  free(nb.offset);
  return check_report();
}
