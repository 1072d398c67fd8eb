// Generic checker and timer for one Enzyme benchmark program (scripts/enzyme-bench).
// The program's wrapper (wrap/<mode>-<prog>.cpp) defines, with C linkage:
//   double *bench_init(long *n)        inputs (n active values) for the objective
//   double bench_primal(const double *x)   the scalar objective
//   void bench_grad_ferment(const double *x, double *out)
//        reverse: out[0..n) = gradient, computed by the program's __enzyme_autodiff entry
//        forward: out[0] = derivative along bench_grad_hand's direction, by __enzyme_fwddiff
//   void bench_grad_hand(double *v)    forward only: the direction (n values)
// usage: driver rev|fwd [min_seconds [fd_step [tolerance]]]
// Prints: n, max relative error against central finite differences over up to 40
// coordinates (reverse) or along the direction (forward), and CPU time per call of the
// primal and of the derivative. Exit 0 when the error is below the tolerance (default 1e-4:
// FD on smooth double code agrees to ~1e-7; the margin covers the programs' cancellation;
// float programs pass a larger step and tolerance).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double *bench_init(long *n);
double bench_primal(const double *x);
void bench_grad_ferment(const double *x, double *out);
void bench_grad_hand(double *v);

static double cpu(void) { return (double)clock() / CLOCKS_PER_SEC; }
static volatile double sink;

static double step = 1e-6, tol = 1e-4;

static double fd(double *x, const double *v, long n, long i) {
  // central difference along e_i (v == NULL) or along v, step scaled to the inputs
  double h = step, s = 0;
  for (long j = 0; j < n; j++) s = fmax(s, fabs(x[j]));
  h *= fmax(1.0, s > 10 ? 10 : s);
  double *y = malloc(n * sizeof *y);
  memcpy(y, x, n * sizeof *y);
  if (v) for (long j = 0; j < n; j++) y[j] = x[j] + h * v[j];
  else y[i] = x[i] + h;
  double fp = bench_primal(y);
  if (v) for (long j = 0; j < n; j++) y[j] = x[j] - h * v[j];
  else y[i] = x[i] - h;
  double fm = bench_primal(y);
  free(y);
  return (fp - fm) / (2 * h);
}

int main(int argc, char **argv) {
  int fwd = argc > 1 && !strcmp(argv[1], "fwd");
  double mins = argc > 2 ? atof(argv[2]) : 0.3;
  if (argc > 3) step = atof(argv[3]);
  if (argc > 4) tol = atof(argv[4]);
  long n = 0;
  double *x = bench_init(&n);
  double *g = calloc(n > 0 ? n : 1, sizeof *g);
  double err = 0, scale = 0;
  if (fwd) {
    double *v = malloc(n * sizeof *v);
    bench_grad_hand(v);
    bench_grad_ferment(x, g);
    double f = fd(x, v, n, 0);
    err = fabs(g[0] - f) / fmax(fabs(f), 1e-6);
    if (!isfinite(g[0])) err = INFINITY;
    printf("derivative %.12g fd %.12g\n", g[0], f);
    free(v);
  } else {
    bench_grad_ferment(x, g);
    for (long j = 0; j < n; j++) scale = fmax(scale, fabs(g[j]));
    long step = n > 40 ? n / 40 : 1;
    for (long i = 0; i < n; i += step) {
      double f = fd(x, NULL, n, i);
      double e = fabs(g[i] - f) / fmax(fabs(f), 1e-3 * fmax(scale, 1e-6));
      if (!isfinite(g[i])) e = INFINITY;
      if (e > err) { err = e; }
      if (e > tol) printf("  x[%ld]: derivative %.12g fd %.12g\n", i, g[i], f);
    }
  }
  // timing: CPU time per call, repeated for at least `mins` seconds
  long reps = 0;
  double t0 = cpu(), t;
  do { sink = bench_primal(x); reps++; } while ((t = cpu() - t0) < mins / 3);
  double tp = t / reps;
  reps = 0;
  t0 = cpu();
  do { bench_grad_ferment(x, g); reps++; } while ((t = cpu() - t0) < mins);
  double tg = t / reps;
  printf("n %ld maxrelerr %.3g primal_s %.6g deriv_s %.6g ratio %.2f %s\n", n, err, tp, tg, tg / tp,
         err < tol ? "MATCH" : "MISMATCH");
  return err < tol ? 0 : 1;
}
