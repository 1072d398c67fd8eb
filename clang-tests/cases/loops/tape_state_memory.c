// CFLAGS: -mllvm -ferment-tape-state-memory=1
// The loop tape state (row counters, reverse positions, capacities, buffer pointers) kept in
// memory instead of SSA values, as a derivative with many loop row buffers does (Eigen's
// blocked LLT at -O3: 152 buffers, whose state as phis cost the host's SLP vectorizer most of
// its 8.5 s); the option applies it from one buffer on. The loads and stores of the state get
// their own alias scope and every other access is marked outside it, so the claim must hold
// across in-place updates of the inputs' copies, buffers grown inside loops (a count read back
// after a call), nests entered again and again from a loop whose count is not known, and loops
// that sometimes run no iteration.
// Oracle: central finite differences of the primal.
#include "check.h"
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);

/* in-place triangular updates: the reverse needs each overwritten a[j] from the tape */
double triangular_inplace(const double *x, int n) {
  double a[16];
  for (int i = 0; i < n; i++)
    a[i] = x[i];
  for (int i = 0; i < n; i++) {
    for (int j = i + 1; j < n; j++)
      a[j] = a[j] * cos(a[i]) + 0.25 * a[i];
    for (int j = 0; j < i; j++)
      a[j] = sin(a[j] + a[i]);
  }
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += a[i] * a[i];
  return s;
}

__attribute__((noinline)) void bump(int *m, double *s) {
  *s += 0.001 * *m;
  *m = *m + 1;
}

/* the inner count is read back after a call that received its address: no bound at entry,
   the buffer grows inside the loop (a call in the loop) */
double grown_inside(const double *x, int n, int reps) {
  double s = 0.5;
  int m = 2;
  for (int r = 0; r < reps; r++) {
    bump(&m, &s);
    for (int i = 0; i < m && i < n; i++)
      s = s * 0.75 + sin(x[i] * s);
  }
  return s;
}

/* a nest inside a while loop that stops on a value, and an inner loop that may run zero times */
double nest_in_while(const double *x, int n) {
  double s = 0.25;
  int rounds = 0;
  while (rounds < 5 && s < 30.0) {
    for (int t = 0; t < rounds; t++)
      for (int i = 0; i + 1 < n; i++)
        s = s * 0.5 + exp(-x[i] * x[i + 1] * 0.1 * t) + x[i];
    for (int i = n > 3 ? n - 3 : 0; i < n; i++)
      s = s + tanh(s * x[i]);
    s += 2.0;
    rounds++;
  }
  return s;
}

static void fd_check(const char *what, double (*f)(const double *, int, int), const double *x,
                     int n, int extra, const double *dx) {
  double xp[16], xm[16];
  for (int k = 0; k < n; k++) {
    memcpy(xp, x, sizeof(double) * n);
    memcpy(xm, x, sizeof(double) * n);
    double h = 1e-6 * (1.0 + fabs(x[k]));
    xp[k] += h;
    xm[k] -= h;
    double want = (f(xp, n, extra) - f(xm, n, extra)) / (2 * h);
    CHECK_CLOSE_AT(what, (double)k, dx[k], want, RTOL_FD, ATOL_FD);
  }
}

static double tri2(const double *x, int n, int e) {
  (void)e;
  return triangular_inplace(x, n);
}
static double grown2(const double *x, int n, int e) { return grown_inside(x, n, e); }
static double while2(const double *x, int n, int e) {
  (void)e;
  return nest_in_while(x, n);
}

int main(void) {
  double x[16];
  for (int k = 0; k < 16; k++)
    x[k] = 0.3 + 0.07 * k - 0.02 * (k % 3);
  int sizes[3] = {1, 5, 12};
  for (int c = 0; c < 3; c++) {
    int n = sizes[c];
    double dx[16] = {0};
    __enzyme_autodiff((void *)triangular_inplace, enzyme_dup, x, dx, enzyme_const, n);
    fd_check("d triangular_inplace / dx_k", tri2, x, n, 0, dx);

    double dg[16] = {0};
    __enzyme_autodiff((void *)grown_inside, enzyme_dup, x, dg, enzyme_const, n, enzyme_const,
                      4 + c);
    fd_check("d grown_inside / dx_k", grown2, x, n, 4 + c, dg);

    double dw[16] = {0};
    __enzyme_autodiff((void *)nest_in_while, enzyme_dup, x, dw, enzyme_const, n);
    fd_check("d nest_in_while / dx_k", while2, x, n, 0, dw);
  }
  return check_report();
}
