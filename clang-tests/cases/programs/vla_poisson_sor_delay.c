// C99 idioms from numerical codes: variably modified parameters (`double u[ny][nx]` with the
// sizes passed first), a heap grid allocated as a pointer to a VLA row type
// (`double (*u)[nx] = malloc(sizeof(double[ny][nx]))`), a VLA scratch row on the stack, and a
// delay line kept in a ring buffer shifted with memmove. The program solves a Poisson problem
// with red-black SOR (a fixed sweep count, the colour chosen by (i + j) % 2), then feeds the
// solution along the midline through an FIR filter whose taps slide through the memmove'd
// buffer. The user differentiates the filtered output energy with respect to the source term
// (reverse) and to the relaxation factor omega (forward and reverse).
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static void sor_sweep(int ny, int nx, double u[ny][nx], const double f[ny][nx], double h2, double omega, int colour) {
  for (int j = 1; j < ny - 1; j++)
    for (int i = 1; i < nx - 1; i++) {
      if ((i + j) % 2 != colour) continue;
      double gs = 0.25 * (u[j][i - 1] + u[j][i + 1] + u[j - 1][i] + u[j + 1][i] + h2 * f[j][i]);
      u[j][i] += omega * (gs - u[j][i]);
    }
}

static double fir_energy(int n, const double *sig, const double *taps, int ntap) {
  double *line = calloc(ntap, sizeof(double));
  double e = 0.0;
  for (int k = 0; k < n; k++) {
    memmove(line + 1, line, sizeof(double) * (ntap - 1)); /* shift the delay line */
    line[0] = sig[k];
    double y = 0.0;
    for (int t = 0; t < ntap; t++) y += taps[t] * line[t];
    e += y * y;
  }
  free(line);
  return e / n;
}

double filtered_energy(int ny, int nx, const double src[ny][nx], double omega, int sweeps) {
  double (*u)[nx] = malloc(sizeof(double[ny][nx]));
  memset(u, 0, sizeof(double[ny][nx]));
  double h = 1.0 / (nx - 1);
  for (int s = 0; s < sweeps; s++) {
    sor_sweep(ny, nx, u, src, h * h, omega, 0);
    sor_sweep(ny, nx, u, src, h * h, omega, 1);
  }
  double row[nx]; /* a VLA copy of the midline */
  for (int i = 0; i < nx; i++) row[i] = u[ny / 2][i] + 0.5 * u[ny / 2 - 1][i];
  static const double taps[5] = {0.4, 0.3, -0.2, 0.1, 0.05};
  double e = fir_energy(nx, row, taps, 5);
  free(u);
  return 1e3 * e;
}

#define NY 9
#define NX 11
typedef struct {
  double omega;
} Ctx;
static double f_src(const double *s, const void *c) {
  return filtered_energy(NY, NX, (const double(*)[NX])s, ((const Ctx *)c)->omega, 15);
}

int main(void) {
  double src[NY][NX], dsrc[NY][NX];
  memset(dsrc, 0, sizeof dsrc);
  for (int j = 0; j < NY; j++)
    for (int i = 0; i < NX; i++) src[j][i] = 10.0 * sin(0.7 * i) * cos(0.4 * j) + 2.0;
  double omega = 1.4;
  double domega = __enzyme_autodiff((void *)filtered_energy, enzyme_const, NY, enzyme_const, NX, enzyme_dup, src,
                                    dsrc, enzyme_out, omega, enzyme_const, 15);
  Ctx c = {omega};
  CHECK_GRAD_FD("dE/dsrc", f_src, &c, &src[0][0], NY * NX, &dsrc[0][0], 1e-5, 1e-9);
  CHECK_CLOSE("dE/domega", domega, FD_AT(omega, 1e-6, filtered_energy(NY, NX, src, omega, 15)), 1e-5, 1e-9);
  double tsrc[NY][NX];
  for (int j = 0; j < NY; j++)
    for (int i = 0; i < NX; i++) tsrc[j][i] = 0.1 * ((i * 3 + j * 5) % 7) - 0.3;
  double t = __enzyme_fwddiff((void *)filtered_energy, enzyme_const, NY, enzyme_const, NX, enzyme_dup, src, tsrc,
                              omega, 0.5, enzyme_const, 15);
  CHECK_CLOSE("forward vs reverse", t, dotv(&dsrc[0][0], &tsrc[0][0], NY * NX) + 0.5 * domega, 1e-9, 1e-12);
  return check_report();
}
