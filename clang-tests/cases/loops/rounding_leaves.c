// Trilinear sampling of a volume at (i + u, j + v, k + w), clamped by fmax/fmin, the cell found by
// floor and converted to an index, the eight corners gathered. Built for baseline x86-64 (no
// SSE4.1), where `floor` is a libm call the reverse sweep does not repeat: it tapes the three
// floor results per sample and rebuilds the fractions, the index, the corners (the volume is never
// written) and the residual from them and the displacements, instead of taping those (checked
// through the heap the first gradient call leaves to the tape cache). The same sampling of a
// scratch copy that the loop overwrites in place must tape its gathers.
// Oracles: central finite differences of the primal, forward mode against reverse (dot product).
// RUN: clang
// CFLAGS: -march=x86-64 -mno-sse4.1
#include "check.h"
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define NZ 6
#define NY 7
#define NX 8
#define NP (NZ * NY * NX)

#define LERP(a, b, t) ((1 - (t)) * (a) + (t) * (b))
#define SAMPLE(a, c, fz, fy, fx)                                                                    \
  LERP(LERP(LERP((a)[c], (a)[(c) + 1], fx), LERP((a)[(c) + NX], (a)[(c) + NX + 1], fx), fy),        \
       LERP(LERP((a)[(c) + NX * NY], (a)[(c) + NX * NY + 1], fx),                                   \
            LERP((a)[(c) + NX * NY + NX], (a)[(c) + NX * NY + NX + 1], fx), fy),                    \
       fz)

/* index of the cell of sample k = (z NY + y) NX + x and its fractions */
#define CELL(k)                                                                                     \
  double pz = fmin(fmax(z + u[k], 0.0), NZ - 1.001), py = fmin(fmax(y + v[k], 0.0), NY - 1.001),   \
         px = fmin(fmax(x + w[k], 0.0), NX - 1.001);                                                \
  double z0 = floor(pz), y0 = floor(py), x0 = floor(px);                                           \
  double fz = pz - z0, fy = py - y0, fx = px - x0;                                                  \
  long c = ((long)z0 * NY + (long)y0) * NX + (long)x0

__attribute__((noinline)) double sample(const double *restrict vol, const double *restrict u,
                                        const double *restrict v, const double *restrict w,
                                        const double *restrict tg) {
  double f = 0;
  for (long z = 0; z < NZ; z++)
    for (long y = 0; y < NY; y++)
      for (long x = 0; x < NX; x++) {
        long k = (z * NY + y) * NX + x;
        CELL(k);
        double r = SAMPLE(vol, c, fz, fy, fx) - tg[k];
        f += r * r;
      }
  return f;
}

/* the volume copied to scratch and blended in place: later samples gather overwritten values */
__attribute__((noinline)) double sample_inplace(const double *restrict vol, const double *restrict u,
                                                const double *restrict v, const double *restrict w,
                                                const double *restrict tg) {
  double *a = malloc(sizeof(double) * NP), f = 0;
  memcpy(a, vol, sizeof(double) * NP);
  for (long z = 0; z < NZ; z++)
    for (long y = 0; y < NY; y++)
      for (long x = 0; x < NX; x++) {
        long k = (z * NY + y) * NX + x;
        CELL(k);
        double s = SAMPLE(a, c, fz, fy, fx);
        a[k] = 0.5 * (a[k] + s);
        f += (s - tg[k]) * (s - tg[k]);
      }
  free(a);
  return f;
}

static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

static double X[4 * NP], T[NP];

#define CASE(F, REBUILT)                                                                            \
  do {                                                                                              \
    static double g[4 * NP], dx[4 * NP];                                                            \
    size_t before = heap_in_use();                                                                  \
    __enzyme_autodiff((void *)F, X, g, X + NP, g + NP, X + 2 * NP, g + 2 * NP, X + 3 * NP,         \
                      g + 3 * NP, enzyme_const, T);                                                 \
    size_t held = heap_in_use() - before;                                                           \
    /* three floors per sample (rows of 32 bytes; at -O0 reserved for a bound of 504 rows);       \
       before, the residual, the corners, the fractions and the index: 29 fields of a row */        \
    if (REBUILT)                                                                                    \
      CHECK_TRUE(#F ": the tape holds the floors alone", held <= 64 * (size_t)NP);                  \
    CHECK_ARRAY_FD(#F, X, 4 * NP, g, 1e-6, F(X, X + NP, X + 2 * NP, X + 3 * NP, T), RTOL_FD, 1e-7); \
    for (int i = 0; i < 4 * NP; i++)                                                                \
      dx[i] = cos(1.3 * i + 0.2);                                                                   \
    double df = __enzyme_fwddiff((void *)F, X, dx, X + NP, dx + NP, X + 2 * NP, dx + 2 * NP,       \
                                 X + 3 * NP, dx + 3 * NP, enzyme_const, T);                         \
    CHECK_CLOSE(#F " forward", df, dotv(g, dx, 4 * NP), RTOL_D, 1e-12);                             \
  } while (0)

/* a displacement d at coordinate q, moved off cell boundaries so that no finite-difference step
   crosses one */
static double off_boundary(double q, double d) {
  double f = (q + d) - floor(q + d);
  return d + (f < 1e-4 ? 2e-4 : f > 1 - 1e-4 ? -2e-4 : 0);
}

int main(void) {
  for (int k = 0; k < NP; k++) {
    int z = k / (NX * NY), y = k / NX % NY, x = k % NX;
    X[k] = sin(0.31 * z + 0.2 * y) * cos(0.23 * x) + 0.1 * sin(12.9898 * k);
    T[k] = sin(0.31 * z + 0.2) * cos(0.23 * x - 0.1 * y);
    /* displacements up to +-1.8 (some positions clamped at the borders) */
    X[NP + k] = off_boundary(z, 1.8 * sin(7.1 * k + 0.4));
    X[2 * NP + k] = off_boundary(y, 1.8 * cos(5.3 * k + 1.1));
    X[3 * NP + k] = off_boundary(x, 1.8 * sin(3.7 * k + 2.3));
  }
  CASE(sample, 1);
  CASE(sample_inplace, 0);
  return check_report();
}
