// Particle energy: structs by value, static locals, goto loop, enzyme_dup/const/out mix,
// three active scalars returned (sret struct of 3 doubles).
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <stdlib.h>
typedef struct { double x, y, z; } vec3;
typedef struct { double dx, dk, dr; } grads3;
extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_dupnoneed;
grads3 __enzyme_autodiff(void *, ...);

static vec3 sub(vec3 a, vec3 b) { vec3 r = {a.x - b.x, a.y - b.y, a.z - b.z}; return r; }
static double dot(vec3 a, vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

static double pair_energy(vec3 a, vec3 b, double k, double r0) {
  vec3 d = sub(a, b);
  double r = sqrt(dot(d, d));
  double e = r - r0;
  return 0.5 * k * e * e;
}

static int calls;
double energy(double scale, const vec3 *pos, int n, double k, double r0) {
  static int counter = 0; /* static local: inactive bookkeeping */
  counter++;
  calls = counter;
  double total = 0;
  int i = 0;
loop:
  if (i >= n - 1) goto done;
  {
    vec3 a = pos[i], b = pos[i + 1];
    a.x *= scale; b.x *= scale;
    total += pair_energy(a, b, k, r0);
  }
  i++;
  goto loop;
done:
  return total;
}

static vec3 P[5] = {{0, 0, 0}, {1.1, 0.2, -0.3}, {2.0, 0.5, 0.1}, {3.2, -0.4, 0.6}, {4.0, 0.3, 0.2}};
static double g_s = 1.3, g_k = 2.5, g_r = 0.9;
static double e_s(double s) { return energy(s, P, 5, g_k, g_r); }
static double e_k(double k) { return energy(g_s, P, 5, k, g_r); }
static double e_r(double r) { return energy(g_s, P, 5, g_k, r); }

/* positions as shadowed array */
double energy_flat(double *pos, int n, double k) {
  return energy(1.0, (const vec3 *)pos, n, k, 1.0);
}
static double flat[15];

int main(void) {
  vec3 dP[5] = {{0}};
  grads3 g = __enzyme_autodiff((void *)energy, enzyme_out, g_s, enzyme_dup, P, dP, enzyme_const, 5,
                               enzyme_out, g_k, enzyme_out, g_r);
  CHECK_CLOSE("d/ds", g.dx, fd1(e_s, g_s), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d/dk", g.dk, fd1(e_k, g_k), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d/dr0", g.dr, fd1(e_r, g_r), RTOL_FD, ATOL_FD);
  double *pp = (double *)P, *dpp = (double *)dP;
  CHECK_ARRAY_FD("d/dpos", pp, 15, dpp, 1e-6, energy(g_s, P, 5, g_k, g_r), RTOL_FD, ATOL_FD);
  CHECK_TRUE("static counter", calls >= 1);
  /* dupnoneed on positions */
  memcpy(flat, P, sizeof flat);
  double dflat[15] = {0};
  double dk = ((double (*)(void *, ...))__enzyme_autodiff)((void *)energy_flat, enzyme_dupnoneed, flat, dflat, 5, g_k);
  double Pc[15];
  memcpy(Pc, P, sizeof Pc);
  CHECK_CLOSE("flat dk", dk, FD_AT(g_k, 1e-6, energy_flat(Pc, 5, g_k)), RTOL_FD, ATOL_FD);
  CHECK_ARRAY_FD("flat dpos", Pc, 15, dflat, 1e-6, energy_flat(Pc, 5, g_k), RTOL_FD, ATOL_FD);
  return check_report();
}
