/*
 * Reproducer (issue 19, a cost, not a wrong answer): Gauss-Seidel sweeps x_i = (b_i + w (x_{i-1} +
 * x_{i+1})) / d with w = 1/h^2, d = 4/h^2 + 1 computed from the run-time grid spacing h. The
 * stored quotient's partial 1/d (and the factor w) may be infinite as far as the reverse sweep
 * knows (h = 0), so each product with a zero-possible adjoint is guarded, `adj == 0 ? 0 : adj * p`,
 * inside the scalar reverse chain; at -march=native each guard is vucomisd/setnp/sete/kmovd and a
 * masked move. With -DCONSTH (h a constant) there is no guard. Session 28, tuned flags: 44 ms
 * against 34.7 (plain -O2: 35 both); testing `p - p == 0` once per loop and unswitching on it
 * (as shim::unswitch_zero_adjoints does for loaded factors) gave 36 ms (see
 * benches/repro/shapes/README.md, twenty-eighth session, multigrid).
 *
 *   clang-22 -O2 -march=native -fno-math-errno -fpass-plugin=target/release/libferment.so \
 *       benches/repro/invariant_guard.c -o /tmp/ig && /tmp/ig
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
extern int enzyme_const, enzyme_dup;
void __enzyme_autodiff(void *, ...);
#ifdef CONSTH
#define HH 0.01
#else
#define HH h
#endif
__attribute__((noinline)) double sweeps(long n, double h, const double *restrict b, double *restrict x) {
    double w = 1 / (HH * HH), d = 4 / (HH * HH) + 1.0;
    for (int s = 0; s < 20; s++)
        for (long i = 0; i < n; i++) {
            double t = b[i];
            if (i > 0) t += w * x[i - 1];
            if (i < n - 1) t += w * x[i + 1];
            x[i] = t / d;
        }
    double f = 0;
    for (long i = 0; i < n; i++) f += x[i] * x[i];
    return f;
}
int main(void) {
    long n = 200000;
    double *b = malloc(8 * n), *db = calloc(n, 8), *x = calloc(n, 8), *dx = calloc(n, 8);
    for (long i = 0; i < n; i++) b[i] = (i % 7) * 0.1;
    double best = 1e9;
    for (int r = 0; r < 7; r++) {
        memset(x, 0, 8 * n); memset(dx, 0, 8 * n); memset(db, 0, 8 * n);
        clock_t c = clock();
        __enzyme_autodiff((void *)sweeps, enzyme_const, n, enzyme_const, 0.01, enzyme_dup, b, db, enzyme_dup, x, dx);
        double t = (double)(clock() - c) / CLOCKS_PER_SEC;
        if (t < best) best = t;
    }
    printf("%.3f ms db[5]=%.6g\n", best * 1e3, db[5]);
}
