// CFLAGS: -std=c++17
// Doubles copied element by element through a char buffer at byte offsets computed at run
// time (`memcpy(tmp + i * 8, (char *)t + perm[i] * 8, 8)`, as generic sort and container
// code does), then copied back. The canonicalization turns each 8-byte memcpy into an i64
// load and store; a byte offset with no constant part told type analysis nothing, so the
// copies counted as integers, the buffer got no shadow and the derivative came out silently
// zero (at -O0, and at -O2 for a permuted copy). A byte offset that is a multiple of a
// constant (`i << 3`, `i * 16`) now reads any element, as a typed index does. Doubles, and
// a struct {double, int, int} moved 16 bytes at a time. Oracles: central finite differences,
// forward vs reverse, analytic.
#include "check.h"
#include <stdlib.h>
#include <string.h>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double permuted(const double *x, int n) {
  double *t = (double *)malloc(n * sizeof(double));
  for (int i = 0; i < n; i++) t[i] = x[i] * x[i];
  char *tmp = (char *)malloc(n * 8);
  for (int i = 0; i < n; i++) memcpy(tmp + i * 8, (char *)t + ((i * 3) % n) * 8, 8);
  memcpy(t, tmp, n * 8);
  free(tmp);
  double s = 0;
  for (int i = 0; i < n; i++) s += t[i] * (i + 1);
  free(t);
  return s;
}

static double in_order(const double *x, int n) {
  double *t = (double *)malloc(n * sizeof(double));
  for (int i = 0; i < n; i++) t[i] = sin(x[i]);
  char *tmp = (char *)malloc(n * 8);
  for (int i = 0; i < n; i++) memcpy(tmp + i * 8, (char *)t + i * 8, 8);
  memcpy(t, tmp, n * 8);
  free(tmp);
  double s = 0;
  for (int i = 0; i < n; i++) s += t[i] * (i + 1);
  free(t);
  return s;
}

struct Rec {
  double v;
  int a, b;
};
static double records(const double *x, int n) {
  Rec *r = (Rec *)malloc(n * sizeof(Rec));
  for (int i = 0; i < n; i++) r[i] = Rec{x[i] * 3.0, i, -i};
  char *tmp = (char *)malloc(n * sizeof(Rec));
  for (int i = 0; i < n; i++)
    memcpy(tmp + (size_t)i * sizeof(Rec), (char *)r + (size_t)(n - 1 - i) * sizeof(Rec), sizeof(Rec));
  memcpy(r, tmp, n * sizeof(Rec));
  free(tmp);
  double s = 0;
  for (int i = 0; i < n; i++) s += r[i].v * r[i].v * (i + 1) + r[i].a;
  free(r);
  return s;
}

static double permuted_fd(const double *x, const void *n) { return permuted(x, *(const int *)n); }
static double in_order_fd(const double *x, const void *n) { return in_order(x, *(const int *)n); }
static double records_fd(const double *x, const void *n) { return records(x, *(const int *)n); }

// The function must be a constant at each AD call: one call per function.
#define CHECK_ONE(f, name)                                                                     \
  do {                                                                                         \
    double g[n] = {0};                                                                         \
    __enzyme_autodiff((void *)f, enzyme_dup, x, g, enzyme_const, n);                           \
    CHECK_GRAD_FD(name ": reverse vs finite differences", f##_fd, &n, x, n, g, RTOL_FD, ATOL_FD); \
    CHECK_CLOSE(name ": forward vs reverse",                                                   \
                __enzyme_fwddiff((void *)f, enzyme_dup, x, dx, enzyme_const, n), dotv(g, dx, n), \
                RTOL_D, ATOL_D);                                                               \
    if (f == permuted) /* t[(i*3)%n] lands at i */                                             \
      for (int i = 0; i < n; i++)                                                              \
        CHECK_CLOSE(name ": analytic", g[(i * 3) % n], 2 * x[(i * 3) % n] * (i + 1), RTOL_D,   \
                    ATOL_D);                                                                   \
  } while (0)

int main() {
  const int n = 7; // coprime with 3: (i * 3) % n is a permutation
  double x[n] = {0.3, -1.2, 2.0, 0.7, -0.1, 1.4, -2.2}, dx[n] = {1, 0.5, -0.3, 0.2, 0.9, -1, 0.4};
  CHECK_ONE(permuted, "permuted copy");
  CHECK_ONE(in_order, "copy in order");
  CHECK_ONE(records, "struct records reversed");
  return check_report();
}
