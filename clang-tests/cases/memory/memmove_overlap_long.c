// Long overlapping memmoves of active data (the adjoint's element loops are long enough for
// the vectorizer, whose run-time overlap check must send them to the scalar loop in the
// right order): a buffer of 67 doubles shifted down by 1 and by 5, up by 1 and by 3, and a
// non-overlapping memcpy between two halves of one buffer, each inside a loop of sweeps.
// Gradients against central finite differences, forward against reverse.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 67

static double objective(const double *x, const int *shift) {
  double b[2 * N + 8];
  for (int i = 0; i < 2 * N + 8; i++)
    b[i] = x[i % N] * (1.0 + 0.01 * i);
  for (int sweep = 0; sweep < 3; sweep++) {
    int k = shift[sweep];
    if (k > 0)
      memmove(b + k, b, (size_t)(2 * N + 8 - k) * sizeof(double)); /* up */
    else
      memmove(b, b - k, (size_t)(2 * N + 8 + k) * sizeof(double)); /* down */
    for (int i = 0; i < 2 * N + 8; i++)
      b[i] = b[i] * (1.0 + 0.001 * sweep) + 0.05 * b[i] * b[i];
  }
  memcpy(b + N + 4, b, (size_t)N * sizeof(double)); /* no overlap */
  double s = 0.0;
  for (int i = 0; i < 2 * N + 8; i++)
    s += b[i] * b[i] * (1 + i % 7);
  return s;
}

static int shift_down[3] = {-1, -5, -1};
static int shift_up[3] = {1, 3, 1};
static int shift_mixed[3] = {3, -5, 1};

static double packed(const double *x, const void *c) { return objective(x, (const int *)c); }

static void check(const char *what, const int *shift) {
  double x[N], g[N] = {0}, dx[N];
  unsigned s = 11;
  for (int i = 0; i < N; i++)
    x[i] = 0.3 * sin(0.7 * i) + 0.1;
  __enzyme_autodiff((void *)objective, enzyme_dup, x, g, enzyme_const, shift);
  CHECK_GRAD_FD(what, packed, shift, x, N, g, RTOL_FD, ATOL_FD);
  for (int i = 0; i < N; i++)
    dx[i] = prand(&s);
  double t = __enzyme_fwddiff((void *)objective, enzyme_dup, x, dx, enzyme_const, shift);
  CHECK_CLOSE(what, t, dotv(g, dx, N), RTOL_D, ATOL_D);
}

int main(void) {
  check("memmove down by 1, 5, 1", shift_down);
  check("memmove up by 1, 3, 1", shift_up);
  check("memmove up 3, down 5, up 1", shift_mixed);
  return check_report();
}
