// Bilinear image warp: each pixel samples the image at (i + u, j + v), clamped by fmax/fmin, the
// cell found by floor and converted to an index (`(long)floor(p)`), the four corners gathered.
// On a target that rounds in one instruction (SSE4.1 here) the reverse sweep rebuilds the index
// from u, v and reads the corners again (the image is never written) instead of taping the
// residual, the interpolated rows, the four corners and two shadow addresses per pixel (96 bytes
// at -O2 before): checked through the heap the first gradient call leaves to the tape cache. The
// same warp from a scratch copy that the loop overwrites in place must tape its gathers.
// Oracles: central finite differences of the primal, a hand-written gradient, and forward mode
// against reverse (dot product).
// RUN: clang
// CFLAGS: -msse4.1
#include "check.h"
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define H 24
#define W 20
#define NP (H * W)

#define SAMPLE(a, b, fy, fx)                                                                        \
  ((1 - (fy)) * ((1 - (fx)) * (a)[b] + (fx) * (a)[(b) + 1]) +                                     \
   (fy) * ((1 - (fx)) * (a)[(b) + W] + (fx) * (a)[(b) + W + 1]))

__attribute__((noinline)) double warp(const double *restrict img, const double *restrict u,
                                      const double *restrict v, const double *restrict tg) {
  double ymax = H - 1.001, xmax = W - 1.001, f = 0;
  for (long i = 0; i < H; i++)
    for (long j = 0; j < W; j++) {
      long k = i * W + j;
      double py = fmin(fmax(i + u[k], 0.0), ymax), px = fmin(fmax(j + v[k], 0.0), xmax);
      double y0 = floor(py), x0 = floor(px), fy = py - y0, fx = px - x0;
      long b = (long)y0 * W + (long)x0;
      double r = SAMPLE(img, b, fy, fx) - tg[k];
      f += r * r;
    }
  return f;
}

/* the image copied to scratch and blended in place: later pixels gather overwritten values */
__attribute__((noinline)) double warp_inplace(const double *restrict img, const double *restrict u,
                                              const double *restrict v, const double *restrict tg) {
  double *a = malloc(sizeof(double) * NP);
  memcpy(a, img, sizeof(double) * NP);
  double ymax = H - 1.001, xmax = W - 1.001, f = 0;
  for (long i = 0; i < H; i++)
    for (long j = 0; j < W; j++) {
      long k = i * W + j;
      double py = fmin(fmax(i + u[k], 0.0), ymax), px = fmin(fmax(j + v[k], 0.0), xmax);
      double y0 = floor(py), x0 = floor(px), fy = py - y0, fx = px - x0;
      long b = (long)y0 * W + (long)x0;
      double s = SAMPLE(a, b, fy, fx);
      a[k] = 0.5 * (a[k] + s);
      double r = s - tg[k];
      f += r * r;
    }
  free(a);
  return f;
}

static void hand(const double *img, const double *u, const double *v, const double *tg, double *gi,
                 double *gu, double *gv) {
  double ymax = H - 1.001, xmax = W - 1.001;
  for (long i = 0; i < H; i++)
    for (long j = 0; j < W; j++) {
      long k = i * W + j;
      double ry = i + u[k], rx = j + v[k];
      double py = fmin(fmax(ry, 0.0), ymax), px = fmin(fmax(rx, 0.0), xmax);
      double y0 = floor(py), x0 = floor(px), fy = py - y0, fx = px - x0;
      long b = (long)y0 * W + (long)x0;
      double top = (1 - fx) * img[b] + fx * img[b + 1], bot = (1 - fx) * img[b + W] + fx * img[b + W + 1];
      double r = 2 * ((1 - fy) * top + fy * bot - tg[k]);
      gi[b] += r * (1 - fy) * (1 - fx);
      gi[b + 1] += r * (1 - fy) * fx;
      gi[b + W] += r * fy * (1 - fx);
      gi[b + W + 1] += r * fy * fx;
      if (ry > 0 && ry < ymax) gu[k] += r * (bot - top);
      if (rx > 0 && rx < xmax) gv[k] += r * ((1 - fy) * (img[b + 1] - img[b]) + fy * (img[b + W + 1] - img[b + W]));
    }
}

static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

static double X[3 * NP], T[NP];

#define CASE(F, REBUILT)                                                                            \
  do {                                                                                              \
    static double g[3 * NP], dx[3 * NP];                                                            \
    size_t before = heap_in_use();                                                                  \
    __enzyme_autodiff((void *)F, X, g, X + NP, g + NP, X + 2 * NP, g + 2 * NP, enzyme_const, T);   \
    size_t held = heap_in_use() - before;                                                           \
    if (REBUILT) {                                                                                  \
      /* 97 bytes per pixel held before at -O2 and -O3, 107 at -O0; now 0 (2 at -O0) */             \
      CHECK_TRUE(#F ": the tape rebuilds the gather", held < 16 * (size_t)NP);                       \
      for (int i = 0; i < 3 * NP; i++)                                                              \
        CHECK_CLOSE(#F, g[i], want[i], RTOL_D, 1e-12);                                              \
    }                                                                                               \
    CHECK_ARRAY_FD(#F, X, 3 * NP, g, 1e-6, F(X, X + NP, X + 2 * NP, T), RTOL_FD, 1e-7);             \
    for (int i = 0; i < 3 * NP; i++)                                                                \
      dx[i] = cos(1.3 * i + 0.2);                                                                   \
    double df = __enzyme_fwddiff((void *)F, X, dx, X + NP, dx + NP, X + 2 * NP, dx + 2 * NP, enzyme_const, T); \
    CHECK_CLOSE(#F " forward", df, dotv(g, dx, 3 * NP), RTOL_D, 1e-12);                             \
  } while (0)

int main(void) {
  for (int i = 0; i < H; i++)
    for (int j = 0; j < W; j++) {
      int k = i * W + j;
      X[k] = sin(0.31 * i) * cos(0.23 * j) + 0.1 * sin(12.9898 * k);
      T[k] = sin(0.31 * i + 0.2) * cos(0.23 * j - 0.1);
      /* displacements up to +-2.3 (some positions clamped at the borders); never within 1e-4 of
         a cell boundary, so a finite-difference step does not cross one */
      double du = 2.3 * sin(7.1 * k + 0.4), dv = 2.3 * cos(5.3 * k + 1.1);
      double fu = (i + du) - floor(i + du), fv = (j + dv) - floor(j + dv);
      X[NP + k] = du + (fu < 1e-4 ? 2e-4 : fu > 1 - 1e-4 ? -2e-4 : 0);
      X[2 * NP + k] = dv + (fv < 1e-4 ? 2e-4 : fv > 1 - 1e-4 ? -2e-4 : 0);
    }
  static double want[3 * NP];
  hand(X, X + NP, X + 2 * NP, T, want, want + NP, want + 2 * NP);
  CASE(warp, 1);
  CASE(warp_inplace, 0);
  return check_report();
}
