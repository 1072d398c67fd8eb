/*
 * Reproducer (issue 19, a cost, not a wrong answer): Gauss-Jordan elimination with partial
 * pivoting on a small local matrix, a[i][j] -= m * a[k][j] for every row i != k. With i and j
 * unrolled and k not, the pivot row a[k][j] is loaded again for every target row: LLVM cannot
 * merge those loads, since the stores to row i may alias row k as far as alias analysis sees
 * (i != k is a branch condition, not an alias fact), and the tape keeps each re-read as its own
 * value. Built with -DPIVOT_COPY the source copies the normalized pivot row into a local array
 * first; the derivative is the same function, only the loads differ.
 * benches/repro/shapes/kalman.c: ferment 4.1x its primal with -march=native (README there).
 *
 *   clang-22 -O2 -march=native -fno-math-errno -fpass-plugin=target/release/libferment.so \
 *       -mllvm -ferment-print-tape -I runtime/include benches/repro/pivot_row_reloads.c \
 *       -o /tmp/prr -lm && /tmp/prr 20000      (again with -DPIVOT_COPY)
 *
 * Measured 2026-12-05 (AMD EPYC, shared 2-core machine at load 10, main 2f9f7dc, best of 50 per
 * run, 5 runs each), T = 20000: as written 37 taped doubles per pivot step, gradient 3.97-5.12 ms;
 * -DPIVOT_COPY 13, gradient 2.67-3.50 ms (primal 0.95-1.9 ms in both: bimodal on this machine).
 * The gradient agrees with central differences (5e-8) in both.
 */
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* f = sum_t w . inv(S_t) 1 + log|det S_t|, S_t a 4x4 block of s */
__attribute__((noinline)) double invsum(long nt, const double *restrict s) {
    double f = 0;
    for (long t = 0; t < nt; t++) {
        double a[4][8];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                a[i][j] = s[16 * t + 4 * i + j];
                a[i][4 + j] = i == j;
            }
        for (int k = 0; k < 4; k++) {
            int p = k;
            for (int i = k + 1; i < 4; i++)
                if (fabs(a[i][k]) > fabs(a[p][k])) p = i;
            if (p != k)
                for (int j = 0; j < 8; j++) {
                    double x = a[k][j];
                    a[k][j] = a[p][j];
                    a[p][j] = x;
                }
            double piv = a[k][k];
            f += log(fabs(piv));
#ifdef PIVOT_COPY
            double pr[8];
            for (int j = 0; j < 8; j++) pr[j] = a[k][j] /= piv;
#define PIVOT(j) pr[j]
#else
            for (int j = 0; j < 8; j++) a[k][j] /= piv;
#define PIVOT(j) a[k][j]
#endif
            for (int i = 0; i < 4; i++)
                if (i != k) {
                    double m = a[i][k];
                    for (int j = 0; j < 8; j++) a[i][j] -= m * PIVOT(j);
                }
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) f += (1 + 0.1 * i - 0.05 * j) * a[i][4 + j];
    }
    return f;
}

int main(int argc, char **argv) {
    long nt = argc > 1 ? atol(argv[1]) : 20000;
    double *s = malloc(sizeof(double) * 16 * nt), *g = calloc(16 * nt, sizeof(double));
    for (long t = 0; t < nt; t++)
        for (int i = 0; i < 16; i++) s[16 * t + i] = (i % 5 == 0 ? 2.0 : 0.0) + sin(0.37 * (16 * t + i) + 0.1);
    /* check a few coordinates of a 50-block prefix against central differences */
    long nc = nt < 50 ? nt : 50;
    __enzyme_autodiff((void *)invsum, enzyme_const, nc, enzyme_dup, s, g);
    double worst = 0;
    for (long c = 0; c < 16 * nc; c += 13) {
        double h = 1e-6, x = s[c];
        s[c] = x + h;
        double fp = invsum(nc, s);
        s[c] = x - h;
        double fm = invsum(nc, s);
        s[c] = x;
        double fd = (fp - fm) / (2 * h), e = fabs(fd - g[c]) / fmax(1, fabs(fd));
        worst = fmax(worst, e);
    }
    printf("gradient vs central differences: worst rel err %.1e%s\n", worst, worst < 1e-5 ? "" : "  (FAILED)");
    double bp = 1e9, bg = 1e9, sink = 0;
    for (int r = 0; r < 50; r++) {
        double t0 = now();
        sink += invsum(nt, s);
        double t1 = now();
        for (long i = 0; i < 16 * nt; i++) g[i] = 0;
        double t2 = now();
        __enzyme_autodiff((void *)invsum, enzyme_const, nt, enzyme_dup, s, g);
        double t3 = now();
        bp = fmin(bp, t1 - t0);
        bg = fmin(bg, t3 - t2);
    }
    printf("T = %ld: primal %.3f ms, gradient %.3f ms (%.2fx)  [%g]\n", nt, 1e3 * bp, 1e3 * bg, bg / bp, sink);
    return worst < 1e-5 ? 0 : 1;
}
