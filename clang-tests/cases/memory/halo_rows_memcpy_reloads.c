// Reduced from programs/heat3d_halo_blocks.c (session 38, issue 14): refused at -O0 before
// session 39 with "cannot tell which floating-point type 'call void @llvm.memcpy...' copies":
// a memcpy of a row of doubles between two blocks' heap arrays reached through `blk[b].t` (an
// array of structs on the stack holding calloc'd pointers). In the canonical copy each access
// loads `t` again (`blk[b].t`, `blk[b + 1].t`), so the memcpy's own pointers have no float
// access; the guess (`memory::guess_float_type`) now also looks at the other loads of the
// same field of the same stack object (`reloads`), which store and load doubles.
// VALGRIND
// Oracle: central differences of f.
#include "check.h"
#include <stdlib.h>
double __enzyme_autodiff(void *, ...);
enum { NB = 2, LX = 4, LY = 3, LZ = 2 };
#define SX (LX + 2)
#define SY (LY + 2)
#define SZ (LZ + 2)
#define AT(b, i, j, k) ((b)->t[((k) * SY + (j)) * SX + (i)])
typedef struct {
  double *t;
  int by;
} Block;
static void exchange(Block *blk, double h) {
  for (int b = 0; b < NB; b++) {
    Block *B = &blk[b];
    for (int k = 1; k <= LZ; k++) {
      if (B->by < NB - 1)
        memcpy(&AT(B, 1, LY + 1, k), &AT(&blk[b + 1], 1, 1, k), sizeof(double) * LX);
      else
        for (int i = 1; i <= LX; i++)
          AT(B, i, LY + 1, k) = AT(B, i, LY, k);
    }
    for (int j = 1; j <= LY; j++)
      for (int i = 1; i <= LX; i++)
        AT(B, i, j, LZ + 1) = h * AT(B, i, j, LZ);
  }
}
static double f(const double *p) {
  Block blk[NB];
  for (int b = 0; b < NB; b++) {
    blk[b].t = calloc(SX * SY * SZ, sizeof(double));
    blk[b].by = b;
    for (int k = 1; k <= LZ; k++)
      for (int j = 1; j <= LY; j++)
        for (int i = 1; i <= LX; i++)
          AT(&blk[b], i, j, k) = 1.0 + i + j + k;
  }
  exchange(blk, p[0]);
  exchange(blk, p[0]);
  double s = 0;
  for (int b = 0; b < NB; b++)
    for (int q = 0; q < SX * SY * SZ; q++)
      s += blk[b].t[q] * blk[b].t[q];
  for (int b = 0; b < NB; b++)
    free(blk[b].t);
  return s;
}
int main(void) {
  double p[1] = {0.7}, dp[1] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, p, dp);
  CHECK_ARRAY_FD("dp", p, 1, dp, 1e-6, f(p), 1e-6, 1e-9);
  return check_report();
}
