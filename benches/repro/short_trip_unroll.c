/*
 * Reproducer: the host runtime-unrolls a short inner loop of unknown trip count inside a
 * forward-mode derivative (issue 19; Enzyme's ForwardMode `hand` program, whose mat_mult has
 * this shape: `for j in 1..lhs->ncols` with ncols = 4, run for every output element).
 * Not a wrong answer: a cost. The derivative is checked against central differences below.
 *
 *   clang-22 -O2 -march=native -fpass-plugin=target/release/libferment.so -I runtime/include \
 *       benches/repro/short_trip_unroll.c -o /tmp/stu -lm && /tmp/stu
 *   add -DNO_UNROLL_J (a `#pragma clang loop unroll(disable)` on the j loop only) to compare
 *
 * Measured 2026-12-05 (shared 2-core machine, AVX-512, best of 15 samples). Plugin at 93cb39d:
 * derivative 219 us with the j loop runtime-unrolled by 4, the k loop around it rolled; 174 us
 * with -DNO_UNROLL_J, where the host unrolls the k loop instead (its iterations are independent
 * sums, the j loop's one chain of additions); the primal goes 111 -> 92 us the same way.
 * -mllvm -unroll-runtime-epilog=false and -mllvm -unroll-remainder are slower still (~250-275
 * us), -ferment-fast-math changes nothing. Since wip21-compile the plugin keeps such a j loop
 * rolled itself (an ordered floating-point sum, the only loop of a small parent;
 * `shim::no_runtime_unroll`): 178 us without the pragma (215-225 us with
 * -mllvm -ferment-unroll-ordered-sums), while kmeans and kmeans_hvp (16-term distance sums, the
 * same shape) stay within 1%.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef struct { int nrows, ncols; double *data; } Mat;
extern int enzyme_dup, enzyme_const;
void __enzyme_fwddiff(void *, ...);

static void mm(const Mat *restrict a, const Mat *restrict b, Mat *restrict c) {
  c->nrows = a->nrows; c->ncols = b->ncols;
  for (int i = 0; i < a->nrows; i++)
    for (int k = 0; k < b->ncols; k++) {
      c->data[i + k * c->nrows] = a->data[i] * b->data[k * b->nrows];
#ifdef NO_UNROLL_J
#pragma clang loop unroll(disable)
#endif
      for (int j = 1; j < a->ncols; j++)
        c->data[i + k * c->nrows] += a->data[i + j * a->nrows] * b->data[j + k * b->nrows];
    }
}

__attribute__((noinline)) void obj(int nb, const Mat *restrict T, const Mat *restrict P, Mat *restrict cur, double *restrict out) {
  int n = P->ncols;
  for (int v = 0; v < 3 * n; v++) out[v] = 0;
  for (int b = 0; b < nb; b++) {
    mm(&T[b], P, cur);
    for (int v = 0; v < n; v++)
      for (int i = 0; i < 3; i++) out[i + 3 * v] += cur->data[i + v * cur->nrows] * (0.5 + 0.01 * b);
  }
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

int main(void) {
  int nb = 22, n = 544;
  Mat *T = malloc(nb * sizeof(Mat)), *dT = malloc(nb * sizeof(Mat));
  for (int b = 0; b < nb; b++) {
    T[b] = (Mat){4, 4, malloc(16 * sizeof(double))}; dT[b] = (Mat){4, 4, malloc(16 * sizeof(double))};
    for (int q = 0; q < 16; q++) { T[b].data[q] = 0.1 * ((q * 7 + b) % 11) - 0.3; dT[b].data[q] = 0.01 * ((q + 3 * b) % 5); }
  }
  Mat P = {4, n, malloc(4 * n * sizeof(double))}, dP = {4, n, calloc(4 * n, sizeof(double))};
  for (int q = 0; q < 4 * n; q++) P.data[q] = 0.001 * (q % 97) + 0.2;
  Mat cur = {4, n, malloc(4 * n * sizeof(double))}, dcur = {4, n, malloc(4 * n * sizeof(double))};
  double *out = malloc(3 * n * sizeof(double)), *dout = malloc(3 * n * sizeof(double));
  /* check against central differences along dT */
  __enzyme_fwddiff((void *)obj, enzyme_const, nb, enzyme_dup, T, dT, enzyme_dup, &P, &dP, enzyme_dup, &cur, &dcur, enzyme_dup, out, dout);
  double h = 1e-6, err = 0;
  double *o1 = malloc(3 * n * sizeof(double)), *o2 = malloc(3 * n * sizeof(double));
  for (int b = 0; b < nb; b++) for (int q = 0; q < 16; q++) T[b].data[q] += h * dT[b].data[q];
  obj(nb, T, &P, &cur, o1);
  for (int b = 0; b < nb; b++) for (int q = 0; q < 16; q++) T[b].data[q] -= 2 * h * dT[b].data[q];
  obj(nb, T, &P, &cur, o2);
  for (int b = 0; b < nb; b++) for (int q = 0; q < 16; q++) T[b].data[q] += h * dT[b].data[q];
  for (int v = 0; v < 3 * n; v++) { double fd = (o1[v] - o2[v]) / (2 * h), e = fd - dout[v]; if (e < 0) e = -e; if (e > err) err = e; }
  double best = 1e9, bestp = 1e9;
  for (int r = 0; r < 15; r++) {
    double t0 = now(); int it = 0;
    do { __enzyme_fwddiff((void *)obj, enzyme_const, nb, enzyme_dup, T, dT, enzyme_dup, &P, &dP, enzyme_dup, &cur, &dcur, enzyme_dup, out, dout); it++; } while (now() - t0 < 0.02);
    double t = (now() - t0) / it; if (t < best) best = t;
    t0 = now(); it = 0;
    do { obj(nb, T, &P, &cur, out); it++; } while (now() - t0 < 0.02);
    t = (now() - t0) / it; if (t < bestp) bestp = t;
  }
  printf("maxerr %.2e  fwd %.2f us  primal %.2f us  ratio %.2f\n", err, best * 1e6, bestp * 1e6, best / bestp);
  return err > 1e-6; /* the derivative must match central differences */
}
