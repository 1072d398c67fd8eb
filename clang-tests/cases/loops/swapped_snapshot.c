// Snapshots of buffers swapped by pointers: a time loop whose states are double buffers
// (`tmp = u; u = un; un = tmp`) reads the current state in an inner loop that writes only other
// memory. The two header phis always point into different blocks, so the writes through the
// other one never touch what the inner loop reads: the forward sweep copies the current state
// once per step and the reverse sweep reads its loads from that copy instead of taping each
// value (`-ferment-print-tape` says "snapshot"). Variants, each checked against central finite
// differences and forward mode (dot product with the reverse gradient):
//   swe        shallow water (h, hu) with ghost cells written before the flux loop (`i <= n`,
//              allocations of n + 2): two swapped pairs, snapshots,
//   rotate3    three buffers rotated (leapfrog): u_{t+1} from u_t and u_{t-1}: snapshots,
//   maybe_same the second buffer starts as the first when n is small (in place): not a swapped
//              pair, taped (the run here is in place: n = 3),
//   write_cur  the inner loop also writes the current state after reading it (in place
//              smoothing of a neighbour): taped.
// RUN: clang opt
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

#define N 6
#define STEPS 5

__attribute__((noinline)) double swe(long n, long steps, const double *restrict x) {
  double *h = malloc(sizeof(double) * (n + 2)), *hu = malloc(sizeof(double) * (n + 2));
  double *hn = malloc(sizeof(double) * (n + 2)), *hun = malloc(sizeof(double) * (n + 2));
  double *f0 = malloc(sizeof(double) * (n + 1)), *f1 = malloc(sizeof(double) * (n + 1));
  for (long i = 0; i < n; i++) {
    h[i + 1] = x[i];
    hu[i + 1] = x[n + i];
  }
  for (long t = 0; t < steps; t++) {
    h[0] = h[1];
    hu[0] = -hu[1];
    h[n + 1] = h[n];
    hu[n + 1] = -hu[n];
    for (long i = 0; i <= n; i++) {
      double hl = h[i], hr = h[i + 1], ql = hu[i], qr = hu[i + 1];
      double ul = ql / hl, ur = qr / hr;
      double s = fmax(fabs(ul) + sqrt(9.81 * hl), fabs(ur) + sqrt(9.81 * hr));
      f0[i] = 0.5 * (ql + qr) - 0.5 * s * (hr - hl);
      f1[i] = 0.5 * (ql * ul + 4.905 * hl * hl + qr * ur + 4.905 * hr * hr) - 0.5 * s * (qr - ql);
    }
    for (long i = 1; i <= n; i++) {
      hn[i] = h[i] - 0.05 * (f0[i] - f0[i - 1]);
      hun[i] = hu[i] - 0.05 * (f1[i] - f1[i - 1]);
    }
    double *t0 = h, *t1 = hu;
    h = hn;
    hu = hun;
    hn = t0;
    hun = t1;
  }
  double e = 0;
  for (long i = 1; i <= n; i++)
    e += h[i] * h[i] * (1.0 + 0.1 * i) + 0.3 * hu[i] * hu[i];
  free(h);
  free(hu);
  free(hn);
  free(hun);
  free(f0);
  free(f1);
  return e;
}

__attribute__((noinline)) double rotate3(long n, long steps, const double *restrict x) {
  double *um = malloc(sizeof(double) * n), *u = malloc(sizeof(double) * n);
  double *up = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++) {
    um[i] = x[i];
    u[i] = x[i] + 0.1 * x[n + i];
  }
  for (long t = 0; t < steps; t++) {
    for (long i = 0; i < n; i++) {
      double l = u[i > 0 ? i - 1 : n - 1], r = u[i < n - 1 ? i + 1 : 0];
      up[i] = 2 * u[i] - um[i] + 0.04 * (l - 2 * u[i] + r) - 0.01 * sin(u[i]);
    }
    double *t0 = um;
    um = u;
    u = up;
    up = t0;
  }
  double e = 0;
  for (long i = 0; i < n; i++)
    e += u[i] * u[i] + 0.5 * (u[i] - um[i]) * (u[i] - um[i]);
  free(um);
  free(u);
  free(up);
  return e;
}

__attribute__((noinline)) double maybe_same(long n, long steps, const double *restrict x) {
  double *a0 = malloc(sizeof(double) * n), *b0 = malloc(sizeof(double) * n);
  double *a = a0, *b = n < 4 ? a0 : b0;
  for (long i = 0; i < n; i++)
    a[i] = x[i] + 0.2 * x[n + i];
  for (long t = 0; t < steps; t++) {
    for (long i = 0; i < n; i++) {
      double l = a[i > 0 ? i - 1 : i], r = a[i < n - 1 ? i + 1 : i];
      b[i] = a[i] + 0.1 * sin(l * r) - 0.05 * a[i] * a[i];
    }
    double *tmp = a;
    a = b;
    b = tmp;
  }
  double e = 0;
  for (long i = 0; i < n; i++)
    e += a[i] * a[i] * (1.0 + 0.2 * i);
  free(a0);
  free(b0);
  return e;
}

__attribute__((noinline)) double write_cur(long n, long steps, const double *restrict x) {
  double *a = malloc(sizeof(double) * n), *b = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    a[i] = x[i] - 0.3 * x[n + i];
  for (long t = 0; t < steps; t++) {
    for (long i = 0; i < n; i++) {
      double r = a[i < n - 1 ? i + 1 : i];
      b[i] = a[i] * cos(r) + 0.1 * r;
      if (i + 1 < n)
        a[i + 1] = 0.5 * (a[i + 1] + b[i]);
    }
    double *tmp = a;
    a = b;
    b = tmp;
  }
  double e = 0;
  for (long i = 0; i < n; i++)
    e += a[i] * a[i] * (1.0 + 0.2 * i);
  free(a);
  free(b);
  return e;
}

typedef double (*model)(long, long, const double *);

static void check_model(const char *what, model f, long n, const double *x0) {
  double x[2 * N], dx[2 * N], t[2 * N];
  memcpy(x, x0, sizeof(double) * 2 * n);
  memset(dx, 0, sizeof dx);
  __enzyme_autodiff((void *)f, enzyme_const, n, enzyme_const, (long)STEPS, x, dx);
  CHECK_ARRAY_FD(what, x, 2 * n, dx, 1e-6, f(n, STEPS, x), RTOL_FD, 1e-7);
  for (long i = 0; i < 2 * n; i++)
    t[i] = 0.3 + 0.1 * (double)(i % 5) - 0.05 * (double)i;
  double dir = __enzyme_fwddiff((void *)f, enzyme_const, n, enzyme_const, (long)STEPS, x, t);
  double dot = 0;
  for (long i = 0; i < 2 * n; i++)
    dot += dx[i] * t[i];
  CHECK_CLOSE(what, dir, dot, 1e-10, 1e-12);
}

int main(void) {
  double x[2 * N];
  for (int i = 0; i < N; i++) {
    x[i] = 1.0 + 0.1 * sin(1.3 * i);
    x[N + i] = 0.2 * cos(0.7 * i);
  }
  check_model("swe", swe, N, x);
  check_model("rotate3", rotate3, N, x);
  check_model("maybe_same", maybe_same, 3, x);
  check_model("maybe_same_swapped", maybe_same, N, x);
  check_model("write_cur", write_cur, N, x);
  return check_report();
}
