// Large tape buffers get transparent huge pages: a loop tape of 4 MiB or more is advised with
// madvise(MADV_HUGEPAGE) right after it is (re)allocated, covering every 4 KiB page the buffer
// touches, and errno is left as it was (the advice is no observable of the derivative). This
// program defines madvise itself: it records the calls and fails like a kernel without THP
// (returns -1, errno = EINVAL), so the test sees every call and that errno is restored.
// A recurrence s = 0.3 s^2 + 0.5 x[i mod 1024] + 0.1 x[(7 i) mod 1024] over n steps tapes s per
// step (8 bytes, or one value per unrolled group of steps): n = 1000 stays small (no advice),
// n = 2^21 is 16 MiB (at least 4 MiB even when the loop was unrolled by 4 before AD: advised).
// Oracles: a hand-written adjoint of the recurrence (forward pass storing s, reverse pass),
// central finite differences on a few coordinates, and a forward-vs-reverse dot product.
// huge_tape_off.c builds this file with -ferment-no-huge-pages (no call at all).
// RUN: clang opt
#include "check.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define M 1024

static int n_advise, bad_advise;
static size_t advised_bytes;

int madvise(void *addr, size_t len, int advice) {
  n_advise++;
  if (advice != 14 || ((size_t)addr & 4095) != 0 || (len & 4095) != 0)
    bad_advise++;
  if (len > advised_bytes)
    advised_bytes = len;
  errno = EINVAL;
  return -1;
}

__attribute__((noinline)) double recur(const double *x, long n) {
  double s = 0.25;
  for (long i = 0; i < n; i++)
    s = 0.3 * s * s + 0.5 * x[i & (M - 1)] + 0.1 * x[(7 * i) & (M - 1)];
  return s;
}

/* hand-written adjoint: forward pass keeps s_i, reverse pass pulls sbar back */
static void recur_adjoint(const double *x, long n, double *g) {
  double *s = malloc(sizeof(double) * (size_t)(n + 1));
  s[0] = 0.25;
  for (long i = 0; i < n; i++)
    s[i + 1] = 0.3 * s[i] * s[i] + 0.5 * x[i & (M - 1)] + 0.1 * x[(7 * i) & (M - 1)];
  double sb = 1.0;
  for (long i = n - 1; i >= 0; i--) {
    g[i & (M - 1)] += 0.5 * sb;
    g[(7 * i) & (M - 1)] += 0.1 * sb;
    sb *= 0.6 * s[i];
  }
  free(s);
}

static double X[M], V[M], G[M], H[M];

static void run(long n, int want_advice) {
  for (int i = 0; i < M; i++) {
    X[i] = 0.2 + 0.6 * (double)((i * 37) % 101) / 101.0;
    V[i] = (double)((i * 53) % 17) / 17.0 - 0.5;
    G[i] = 0.0;
    H[i] = 0.0;
  }
  n_advise = bad_advise = 0;
  advised_bytes = 0;
  errno = 4242;
  __enzyme_autodiff((void *)recur, enzyme_dup, X, G, enzyme_const, n);
  CHECK_TRUE("errno unchanged by the gradient", errno == 4242);
  int calls = n_advise;
  CHECK_TRUE("madvise arguments (MADV_HUGEPAGE, whole pages)", bad_advise == 0);
#ifdef NO_HUGE_PAGES
  (void)want_advice;
  CHECK_TRUE("no madvise under -ferment-no-huge-pages", calls == 0);
#else
  if (want_advice) {
    CHECK_TRUE("the large tape is advised", calls >= 1);
    CHECK_TRUE("the advice covers a tape of at least 4 MiB", advised_bytes >= ((size_t)4 << 20));
  } else {
    CHECK_TRUE("a small tape is not advised", calls == 0);
  }
#endif
  recur_adjoint(X, n, H);
  for (int i = 0; i < M; i++)
    CHECK_CLOSE("gradient vs hand-written adjoint", G[i], H[i], 1e-10, 1e-12);
  /* central differences on a few coordinates */
  for (int k = 0; k < 4; k++) {
    int i = (k * 311 + 5) % M;
    double h = 1e-6, xi = X[i];
    X[i] = xi + h;
    double fp = recur(X, n);
    X[i] = xi - h;
    double fm = recur(X, n);
    X[i] = xi;
    CHECK_CLOSE("gradient vs central differences", G[i], (fp - fm) / (2 * h), 1e-5, 1e-7);
  }
  /* forward mode along V against the reverse gradient's dot product with V */
  double dot = 0.0;
  for (int i = 0; i < M; i++)
    dot += G[i] * V[i];
  double fwd = __enzyme_fwddiff((void *)recur, enzyme_dup, X, V, enzyme_const, n);
  CHECK_CLOSE("forward dot V vs reverse dot V", fwd, dot, 1e-10, 1e-12);
}

int main(void) {
  run(1000, 0);
  run(1L << 21, 1);
  return check_report();
}
