// A geometric multigrid solver for the 2D Poisson equation -div(k grad u) = f as a numerics
// course writes it in C: a hierarchy of levels, each a struct holding malloc'd grids (u, f,
// residual) with ghost layers, built by a recursive constructor and freed recursively;
// weighted-Jacobi smoothing with a heap scratch buffer, full-weighting restriction, bilinear
// prolongation, a V-cycle that recurses over the levels down to a coarse grid solved by many
// sweeps, and a fixed number of V-cycles. The coefficient k is constant per level (a scalar
// diffusivity, differentiated). The user differentiates the solution's mean-square misfit to
// observations with respect to the source field f and the diffusivity (reverse), and checks
// forward mode along a direction. Valgrind watches the allocations.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse. Main refused it at -O0 (the recursive `make_levels`, kept a call, returned
// a level taken for constant data; reduced: memory/kept_recursive_factory.c).
// VALGRIND
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct Level {
  int n;          /* interior points per side */
  double h;       /* spacing */
  double *u, *f, *r;
  struct Level *coarse;
} Level;

#define IX(n, i, j) ((i) * ((n) + 2) + (j))

static Level *make_levels(int n, double h, int depth) {
  Level *L = malloc(sizeof(Level));
  L->n = n;
  L->h = h;
  size_t sz = (size_t)(n + 2) * (n + 2);
  L->u = calloc(sz, sizeof(double));
  L->f = calloc(sz, sizeof(double));
  L->r = calloc(sz, sizeof(double));
  L->coarse = (depth > 1 && n > 3) ? make_levels((n - 1) / 2, 2.0 * h, depth - 1) : NULL;
  return L;
}

static void free_levels(Level *L) {
  if (!L) return;
  free_levels(L->coarse);
  free(L->u);
  free(L->f);
  free(L->r);
  free(L);
}

static void smooth(Level *L, double k, int sweeps) {
  int n = L->n;
  double h2 = L->h * L->h, wj = 0.8;
  double *tmp = malloc(sizeof(double) * (size_t)(n + 2) * (n + 2));
  for (int s = 0; s < sweeps; s++) {
    for (int i = 1; i <= n; i++)
      for (int j = 1; j <= n; j++) {
        double nb = L->u[IX(n, i - 1, j)] + L->u[IX(n, i + 1, j)] + L->u[IX(n, i, j - 1)] +
                    L->u[IX(n, i, j + 1)];
        double gs = (h2 * L->f[IX(n, i, j)] / k + nb) / 4.0;
        tmp[IX(n, i, j)] = (1.0 - wj) * L->u[IX(n, i, j)] + wj * gs;
      }
    for (int i = 1; i <= n; i++)
      for (int j = 1; j <= n; j++) L->u[IX(n, i, j)] = tmp[IX(n, i, j)];
  }
  free(tmp);
}

static void residual(Level *L, double k) {
  int n = L->n;
  double ih2 = 1.0 / (L->h * L->h);
  for (int i = 1; i <= n; i++)
    for (int j = 1; j <= n; j++) {
      double lap = (4.0 * L->u[IX(n, i, j)] - L->u[IX(n, i - 1, j)] - L->u[IX(n, i + 1, j)] -
                    L->u[IX(n, i, j - 1)] - L->u[IX(n, i, j + 1)]) * ih2;
      L->r[IX(n, i, j)] = L->f[IX(n, i, j)] - k * lap;
    }
}

static void restrict_fw(const Level *F, Level *C) {
  int nc = C->n, nf = F->n;
  for (int I = 1; I <= nc; I++)
    for (int J = 1; J <= nc; J++) {
      int i = 2 * I, j = 2 * J;
      double s = 4.0 * F->r[IX(nf, i, j)] +
                 2.0 * (F->r[IX(nf, i - 1, j)] + F->r[IX(nf, i + 1, j)] + F->r[IX(nf, i, j - 1)] +
                        F->r[IX(nf, i, j + 1)]) +
                 F->r[IX(nf, i - 1, j - 1)] + F->r[IX(nf, i - 1, j + 1)] +
                 F->r[IX(nf, i + 1, j - 1)] + F->r[IX(nf, i + 1, j + 1)];
      C->f[IX(nc, I, J)] = s / 16.0;
      C->u[IX(nc, I, J)] = 0.0;
    }
}

static void prolong_add(const Level *C, Level *F) {
  int nc = C->n, nf = F->n;
  for (int i = 1; i <= nf; i++)
    for (int j = 1; j <= nf; j++) {
      int I = i / 2, J = j / 2;
      double v;
      if (i % 2 == 0 && j % 2 == 0) v = C->u[IX(nc, I, J)];
      else if (i % 2 == 0) v = 0.5 * (C->u[IX(nc, I, J)] + C->u[IX(nc, I, J + 1)]);
      else if (j % 2 == 0) v = 0.5 * (C->u[IX(nc, I, J)] + C->u[IX(nc, I + 1, J)]);
      else
        v = 0.25 * (C->u[IX(nc, I, J)] + C->u[IX(nc, I + 1, J)] + C->u[IX(nc, I, J + 1)] +
                    C->u[IX(nc, I + 1, J + 1)]);
      F->u[IX(nf, i, j)] += v;
    }
}

static void vcycle(Level *L, double k) {
  if (!L->coarse) {
    smooth(L, k, 30);
    return;
  }
  smooth(L, k, 2);
  residual(L, k);
  restrict_fw(L, L->coarse);
  vcycle(L->coarse, k);
  prolong_add(L->coarse, L);
  smooth(L, k, 2);
}

enum { NF = 15 };

/* p = [k, f_1 .. f_{NF*NF}] */
static double misfit(const double *p, const double *obs) {
  Level *top = make_levels(NF, 1.0 / (NF + 1), 4);
  double k = p[0];
  for (int i = 1; i <= NF; i++)
    for (int j = 1; j <= NF; j++) top->f[IX(NF, i, j)] = p[1 + (i - 1) * NF + (j - 1)];
  for (int c = 0; c < 4; c++) vcycle(top, k);
  double s = 0.0;
  for (int i = 1; i <= NF; i += 2)
    for (int j = 1; j <= NF; j += 2) {
      double d = top->u[IX(NF, i, j)] - obs[(i / 2) * 8 + j / 2];
      s += d * d;
    }
  free_levels(top);
  return s;
}

static double misfit_fd(const double *p, const void *obs) { return misfit(p, obs); }

int main(void) {
  enum { NP = 1 + NF * NF };
  double *p = malloc(sizeof(double) * NP), *dp = calloc(NP, sizeof(double));
  double obs[64];
  p[0] = 1.3;
  for (int i = 0; i < NF; i++)
    for (int j = 0; j < NF; j++) p[1 + i * NF + j] = 10.0 * sin(0.4 * i) * cos(0.3 * j) + 2.0;
  for (int q = 0; q < 64; q++) obs[q] = 0.05 * sin(0.2 * q);
  __enzyme_autodiff((void *)misfit, enzyme_dup, p, dp, enzyme_const, obs);
  /* k and a sample of the source values against finite differences */
  for (int idx = 0; idx < NP; idx += 17) {
    double want = fdvc(misfit_fd, obs, p, NP, idx);
    CHECK_CLOSE_AT("dmisfit/dp", idx, dp[idx], want, 1e-5, 1e-10);
  }
  double *tp = malloc(sizeof(double) * NP);
  unsigned s = 3;
  for (int i = 0; i < NP; i++) tp[i] = prand(&s);
  double jt = __enzyme_fwddiff((void *)misfit, enzyme_dup, p, tp, enzyme_const, obs);
  CHECK_CLOSE("tangent vs reverse", jt, dotv(dp, tp, NP), 1e-9, 1e-13);
  /* the solution is linear in f: misfit is quadratic, so the tangent along f alone equals
     the directional difference with a large step */
  tp[0] = 0.0;
  double jt2 = __enzyme_fwddiff((void *)misfit, enzyme_dup, p, tp, enzyme_const, obs);
  double *pp = malloc(sizeof(double) * NP), *pm = malloc(sizeof(double) * NP);
  shift_along(pp, p, tp, 0.5, NP);
  shift_along(pm, p, tp, -0.5, NP);
  CHECK_CLOSE("quadratic in f: exact difference", jt2, misfit(pp, obs) - misfit(pm, obs), 1e-9,
              1e-12);
  free(p);
  free(dp);
  free(tp);
  free(pp);
  free(pm);
  return check_report();
}
