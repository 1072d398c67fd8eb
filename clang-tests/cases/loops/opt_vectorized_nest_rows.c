// RUN: clang opt
// LEVELS: 0 1 2 3
// VALGRIND
// Tape rows of a loop nest whose inner loop the host already vectorized (session 37, reduced from
// programs/fem1d_materials_virtual.cpp through the opt host): `clang -O2 -S -emit-llvm` vectorizes
// the elimination's `k` loop (4 lanes, entered only when `n - c >= 4`), whose exact count
// `((n - c) & -4) - 4) /u 4` is valid only behind that guard. Reserving the rows of the whole
// `r`-`k` nest before the `r` loop multiplied that count where the guard fails (`n - c = 3`:
// 2^62) by the `r` count: the product wrapped, the buffer was regrown to fewer bytes than its rows
// and the forward sweep wrote past the end of its 512-byte block (valgrind: invalid write; glibc
// aborted in realloc). A count that may wrap where its loop is skipped no longer joins a nest.
// Oracle: central differences.
#include "check.h"
#include <stdlib.h>

struct Bar {
  int ne;
};

double objective(const struct Bar *bar, const double *area, double load) {
  int n = bar->ne;
  double *K = calloc((size_t)n * n, sizeof(double));
  double s = 0.0;
  for (int step = 1; step <= 2; step++) {
    for (int i = 0; i < n * n; i++) K[i] = 0.0;
    for (int e = 0; e < n; e++) {
      K[e * n + e] += area[e] + 2.0;
      if (e > 0) K[e * n + e - 1] -= area[e];
    }
    for (int c = 0; c < n; c++)
      for (int r = c + 1; r < n; r++) {
        double l = K[r * n + c] / K[c * n + c];
        for (int k = c; k < n; k++) K[r * n + k] -= l * K[c * n + k];
      }
    for (int i = 0; i < n; i++) s += load * step / K[i * n + i];
  }
  free(K);
  return s;
}

double __enzyme_autodiff(void *, ...);

enum { NE = 6 };

int main(void) {
  struct Bar bar = {NE};
  double area[NE], darea[NE] = {0};
  for (int e = 0; e < NE; e++) area[e] = 1.0 - 0.08 * e;
  double load = 0.9;
  double dload = __enzyme_autodiff((void *)objective, enzyme_const, &bar, enzyme_dup, area, darea, load);
#define OBJ objective(&bar, area, load)
  CHECK_ARRAY_FD("d/darea", area, NE, darea, 1e-6, OBJ, 1e-6, 1e-9);
  CHECK_CLOSE("d/dload", dload, FD_AT(load, 1e-6, OBJ), 1e-6, 1e-9);
  return check_report();
}
