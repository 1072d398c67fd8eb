// Pair energy in a periodic box with the minimum image taken by rounding (`dx - box * round(dx /
// box)`, and the same with `floor(dx / box + 0.5)`), a cutoff test and a smooth potential: on a
// target that rounds in one instruction (SSE4.1 here), the reverse sweep rebuilds the image
// distances from the coordinates, which it reads again, instead of taping them and every value
// computed from them (78 bytes per candidate pair before, 20 at -O0, less optimized): checked
// through the heap the first gradient call leaves to the tape cache.
// Oracles: central finite differences of the primal, the hand-written gradient, and forward mode
// against reverse (dot product).
// RUN: clang
// CFLAGS: -msse4.1
#include "check.h"
#include <malloc.h>
#include <math.h>
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 120
#define BOX 6.0
#define RC 1.5
#define A2 0.25

static double image_round(double d) { return d - BOX * round(d / BOX); }
static double image_floor(double d) { return d - BOX * floor(d / BOX + 0.5); }

#define PAIRS(NAME, IMAGE)                                                                          \
  __attribute__((noinline)) double NAME(long n, const double *restrict x) {                       \
    double e = 0;                                                                                  \
    for (long i = 0; i < n; i++)                                                                   \
      for (long j = i + 1; j < n; j++) {                                                           \
        double rx = IMAGE(x[2 * i] - x[2 * j]), ry = IMAGE(x[2 * i + 1] - x[2 * j + 1]);           \
        double r2 = rx * rx + ry * ry;                                                             \
        if (r2 < RC * RC) {                                                                        \
          double s = 1 - r2 / (RC * RC);                                                           \
          e += s * s * s / (r2 + A2);                                                              \
        }                                                                                          \
      }                                                                                            \
    return e;                                                                                      \
  }
PAIRS(pairs_round, image_round)
PAIRS(pairs_floor, image_floor)

static void hand(long n, const double *x, double *g) {
  for (long i = 0; i < n; i++)
    for (long j = i + 1; j < n; j++) {
      double rx = image_round(x[2 * i] - x[2 * j]), ry = image_round(x[2 * i + 1] - x[2 * j + 1]);
      double r2 = rx * rx + ry * ry;
      if (r2 < RC * RC) {
        double s = 1 - r2 / (RC * RC), q = 1 / (r2 + A2);
        double d = -3 * s * s / (RC * RC) * q - s * s * s * q * q; /* de/dr2 */
        g[2 * i] += 2 * d * rx;
        g[2 * i + 1] += 2 * d * ry;
        g[2 * j] -= 2 * d * rx;
        g[2 * j + 1] -= 2 * d * ry;
      }
    }
}

static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

static double X[2 * N];

/* one function per __enzyme_* call (the first argument must name the function) */
#define CASE(F, HEAP)                                                                               \
  do {                                                                                              \
    static double g[2 * N], dx[2 * N];                                                              \
    size_t before = heap_in_use();                                                                  \
    __enzyme_autodiff((void *)F, N, X, g);                                                          \
    size_t held = heap_in_use() - before;                                                           \
    /* N (N - 1) / 2 = 7140 candidate pairs: the taped image distances and the values computed     \
       from them held 78 bytes per pair (O0..O3); rebuilt, 20 at -O0 and less optimized */          \
    if (HEAP)                                                                                       \
      CHECK_TRUE(#F ": the tape rebuilds the minimum image", held < 24 * (size_t)N * (N - 1) / 2); \
    for (int i = 0; i < 2 * N; i++)                                                                 \
      CHECK_CLOSE(#F, g[i], want[i], RTOL_D, 1e-12);                                                \
    CHECK_ARRAY_FD(#F, X, 2 * N, g, 1e-5, F(N, X), RTOL_FD, 1e-7);                                   \
    for (int i = 0; i < 2 * N; i++)                                                                 \
      dx[i] = cos(1.3 * i + 0.2);                                                                   \
    double df = __enzyme_fwddiff((void *)F, N, X, dx);                                              \
    CHECK_CLOSE(#F " forward", df, dotv(g, dx, 2 * N), RTOL_D, 1e-12);                              \
  } while (0)

int main(void) {
  /* inside (0.05, BOX - 0.05): a finite-difference step never crosses a wrap */
  for (int i = 0; i < 2 * N; i++)
    X[i] = 0.05 + (BOX - 0.1) * (0.5 + 0.5 * sin(12.9898 * i + 78.233 * (i % 7)));
  static double want[2 * N];
  hand(N, X, want);
  CASE(pairs_round, 1);
  CASE(pairs_floor, 0);
  return check_report();
}
