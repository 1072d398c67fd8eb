// Refused at -O0 and -O1 before session 39 ("cannot tell which floating-point type
// 'call void @llvm.memcpy...' copies", the y-face memcpy of the halo exchange); reduced:
// memory/halo_rows_memcpy_reloads.c.
// A 3-D heat equation solver as an HPC code structures it, on one process: the domain split
// into 2 x 2 x 1 blocks, each block a struct with a malloc'd array that includes a one-cell halo
// (ghost layer) on every face, a halo exchange that copies boundary planes between neighbouring
// blocks (memcpy of contiguous rows, strided loops otherwise) and applies a Robin condition
// (h (T - T_ext)) at the outer faces, a 7-point explicit update with a spatially varying
// conductivity read from a per-block array, and a heat-flux output over the top face. The user
// inverts for the conductivity field and the exchange coefficient: reverse-mode gradient of a
// misfit at sensor cells with respect to every block's conductivity and h, forward mode along a
// direction. Valgrind watches the halo indexing.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse.
// VALGRIND
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { BX = 2, BY = 2, NB = BX * BY, LX = 4, LY = 3, LZ = 4, STEPS = 10 };
#define SX (LX + 2)
#define SY (LY + 2)
#define SZ (LZ + 2)
#define AT(b, i, j, k) ((b)->t[((k) * SY + (j)) * SX + (i)])

typedef struct {
  double *t;     /* SX*SY*SZ with halo */
  double *tn;
  const double *kappa; /* LX*LY*LZ, interior only */
  int bx, by;
} Block;

static void exchange(Block *blk, double h, double text) {
  for (int b = 0; b < NB; b++) {
    Block *B = &blk[b];
    /* x faces */
    for (int k = 1; k <= LZ; k++)
      for (int j = 1; j <= LY; j++) {
        if (B->bx > 0) AT(B, 0, j, k) = AT(&blk[b - 1], LX, j, k);
        else AT(B, 0, j, k) = (AT(B, 1, j, k) + h * text) / (1.0 + h);
        if (B->bx < BX - 1) AT(B, LX + 1, j, k) = AT(&blk[b + 1], 1, j, k);
        else AT(B, LX + 1, j, k) = (AT(B, LX, j, k) + h * text) / (1.0 + h);
      }
    /* y faces: whole rows are contiguous */
    for (int k = 1; k <= LZ; k++) {
      if (B->by > 0)
        memcpy(&AT(B, 1, 0, k), &AT(&blk[b - BX], 1, LY, k), sizeof(double) * LX);
      else
        for (int i = 1; i <= LX; i++) AT(B, i, 0, k) = AT(B, i, 1, k);
      if (B->by < BY - 1)
        memcpy(&AT(B, 1, LY + 1, k), &AT(&blk[b + BX], 1, 1, k), sizeof(double) * LX);
      else
        for (int i = 1; i <= LX; i++) AT(B, i, LY + 1, k) = AT(B, i, LY, k);
    }
    /* z: insulated bottom, Robin top */
    for (int j = 1; j <= LY; j++)
      for (int i = 1; i <= LX; i++) {
        AT(B, i, j, 0) = AT(B, i, j, 1);
        AT(B, i, j, LZ + 1) = (AT(B, i, j, LZ) + h * text) / (1.0 + h);
      }
  }
}

static void update(Block *B, double dt) {
  for (int k = 1; k <= LZ; k++)
    for (int j = 1; j <= LY; j++)
      for (int i = 1; i <= LX; i++) {
        double kap = B->kappa[((k - 1) * LY + (j - 1)) * LX + (i - 1)];
        double lap = AT(B, i - 1, j, k) + AT(B, i + 1, j, k) + AT(B, i, j - 1, k) +
                     AT(B, i, j + 1, k) + AT(B, i, j, k - 1) + AT(B, i, j, k + 1) -
                     6.0 * AT(B, i, j, k);
        B->tn[((k) * SY + (j)) * SX + (i)] = AT(B, i, j, k) + dt * kap * lap;
      }
  double *s = B->t;
  B->t = B->tn;
  B->tn = s;
}

#define NK (NB * LX * LY * LZ)

/* p = [kappa (NK), h] */
static double misfit(const double *p, const double *obs) {
  Block blk[NB];
  for (int b = 0; b < NB; b++) {
    blk[b].t = calloc(SX * SY * SZ, sizeof(double));
    blk[b].tn = calloc(SX * SY * SZ, sizeof(double));
    blk[b].kappa = p + b * LX * LY * LZ;
    blk[b].bx = b % BX;
    blk[b].by = b / BX;
    for (int k = 1; k <= LZ; k++)
      for (int j = 1; j <= LY; j++)
        for (int i = 1; i <= LX; i++) /* a hot spot near the block corner 0 */
          AT(&blk[b], i, j, k) = 1.0 + (b == 0 && i + j + k < 6 ? 2.0 : 0.0);
  }
  double h = p[NK];
  for (int s = 0; s < STEPS; s++) {
    exchange(blk, h, 0.5);
    for (int b = 0; b < NB; b++) update(&blk[b], 0.05);
  }
  double m = 0.0;
  int q = 0;
  for (int b = 0; b < NB; b++)
    for (int k = 1; k <= LZ; k += 3)
      for (int i = 1; i <= LX; i += 2) {
        double d = AT(&blk[b], i, 2, k) - obs[q++];
        m += d * d;
      }
  for (int b = 0; b < NB; b++) {
    free(blk[b].t);
    free(blk[b].tn);
  }
  return m;
}

int main(void) {
  double *p = malloc(sizeof(double) * (NK + 1)), *dp = calloc(NK + 1, sizeof(double));
  double obs[32];
  unsigned s = 8;
  for (int i = 0; i < NK; i++) p[i] = 0.6 + 0.2 * prand(&s);
  p[NK] = 0.3;
  for (int i = 0; i < 32; i++) obs[i] = 1.0 + 0.2 * prand(&s);
  __enzyme_autodiff((void *)misfit, enzyme_dup, p, dp, enzyme_const, obs);
  /* (a step of 1e-4: the misfit sums many rounded terms, and the differences at 1e-6 carry
     noise of 1e-10 on partials of 1e-6) */
  for (int i = 0; i <= NK; i += (i < NK - 7 ? 7 : 1))
    CHECK_CLOSE_AT("dmisfit/dp", i, dp[i], FD_AT(p[i], 1e-4, misfit(p, obs)), 1e-6, 1e-10);
  double *t = malloc(sizeof(double) * (NK + 1));
  for (int i = 0; i <= NK; i++) t[i] = prand(&s);
  double jt = __enzyme_fwddiff((void *)misfit, enzyme_dup, p, t, enzyme_const, obs);
  CHECK_CLOSE("tangent vs reverse", jt, dotv(dp, t, NK + 1), 1e-10, 1e-13);
  free(p);
  free(dp);
  free(t);
  return check_report();
}
