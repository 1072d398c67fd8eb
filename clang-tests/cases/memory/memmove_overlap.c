// Overlapping memmove of active data: a sliding window shifted down one element
// (memmove(w, w + 1, ...)), a history shifted up (memmove(h + 1, h, ...)), a run-time length,
// an array of mixed structs shifted down by one struct (constant size), and a memmove onto
// itself; and constant-size copies of a few doubles, whose adjoints move in place (up to 8
// elements; 9 call the adjoint helper): memmoves up by one, down by two, onto itself, memcpys of 8
// and 9 elements. Each adjoint must move exactly once: the reverse of a move down must not carry an
// adjoint on into the next element. Gradients against central finite differences, forward
// against reverse.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 9

double window(const double *x, int n) {
  double w[4] = {0, 0, 0, 0};
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    memmove(w, w + 1, 3 * sizeof(double));
    w[3] = x[i];
    s += w[0] * w[3] + w[2] * (i + 1);
  }
  return s;
}

double history(const double *x, int n) {
  double h[16];
  for (int i = 0; i < n; i++)
    h[i] = x[i];
  memmove(h + 1, h, (size_t)(n - 2) * sizeof(double));
  memmove(h, h, 4 * sizeof(double));
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += h[i] * h[i] * (i + 1);
  return s;
}

typedef struct {
  double a;
  int tag;
  double b;
} Rec;

double records(const double *x, int n) {
  Rec r[4];
  for (int i = 0; i < 4; i++) {
    r[i].a = x[2 * i];
    r[i].tag = i;
    r[i].b = x[2 * i + 1];
  }
  memmove(&r[0], &r[1], 3 * sizeof(Rec));
  double s = 0.0;
  for (int i = 0; i < 4; i++)
    s += r[i].a * r[i].b * (r[i].tag + 1) + r[i].a;
  (void)n;
  return s;
}

double shifts(const double *x, int n) {
  double a[N], b[N], c[N];
  for (int i = 0; i < n; i++)
    a[i] = x[i] * (1.0 + 0.1 * i);
  memmove(a + 1, a, 5 * sizeof(double));     /* up by one, overlapping */
  memmove(a + 4, a + 6, 3 * sizeof(double)); /* down by two, overlapping */
  memmove(a + 2, a + 2, 4 * sizeof(double)); /* onto itself */
  memcpy(b, a, 8 * sizeof(double));
  b[8] = x[3];
  memcpy(c, a, 9 * sizeof(double));
  double s = 0;
  for (int i = 0; i < n; i++)
    s += b[i] * b[i] * (i + 1) + sin(a[i]) + c[i] * x[i];
  return s;
}

typedef double (*fn)(const double *, int);
static fn cur;
static double packed(const double *x, const void *c) { return cur(x, *(const int *)c); }

/* the function must reach __enzyme_* as itself: a macro, not a function-pointer parameter */
#define CHECK_FN(what, f, x, n)                                                                \
  do {                                                                                         \
    double g[N] = {0}, dx[N], xc[N];                                                           \
    unsigned s = 5;                                                                            \
    int n_ = (n);                                                                              \
    memcpy(xc, x, sizeof xc);                                                                  \
    __enzyme_autodiff((void *)f, enzyme_dup, xc, g, enzyme_const, n_);                         \
    cur = f;                                                                                   \
    CHECK_GRAD_FD(what, packed, &n_, x, n_, g, RTOL_FD, ATOL_FD);                              \
    for (int i = 0; i < n_; i++)                                                               \
      dx[i] = prand(&s);                                                                       \
    double t = __enzyme_fwddiff((void *)f, enzyme_dup, xc, dx, enzyme_const, n_);              \
    CHECK_CLOSE(what, t, dotv(g, dx, n_), RTOL_D, ATOL_D);                                     \
  } while (0)

int main(void) {
  double x[N];
  for (int i = 0; i < N; i++)
    x[i] = cos(1.3 * i) + 0.2;
  CHECK_FN("window (memmove down)", window, x, N);
  CHECK_FN("history (memmove up, onto itself)", history, x, N);
  CHECK_FN("records (struct memmove down)", records, x, 8);
  CHECK_FN("shifts (constant-size copies)", shifts, x, N);
  return check_report();
}
