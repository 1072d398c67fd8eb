/*
 * Experiment (issue 19, a cost, not a wrong answer): cholesky's forward sweep is the primal's
 * own factorization, and that is latency-bound: each (j, i) runs one serial chain
 * `t -= l[i][k] l[j][k]` (FMA after FMA, no reassociation allowed), while the chains of
 * different rows i are independent. Two rows per pass (unroll-and-jam of the i loop by 2, the
 * same operations in the same order per row, so the same bits) overlap two chains: the
 * factorization alone goes 3.1 -> 2.0 ms at n = 300 (LLVM 22's unroll-and-jam refuses this nest
 * even with `#pragma unroll_and_jam(2)` and `-mllvm -enable-unroll-and-jam`: the store into `l`
 * beside the loads of `l`). This file times the factorization-plus-solves written both ways
 * (`chol_solve`, src/cholesky.c's, and `chol_solve_jam`, rows paired with a one-row remainder),
 * their ferment gradients and the hand-written adjoint, and checks both gradients against the
 * hand-written one.
 *
 *   clang-22 -O2 -march=native -fno-math-errno -fpass-plugin=target/release/libferment.so \
 *       -I runtime/include benches/repro/cholesky_jammed_rows.c -o /tmp/cjr -lm && /tmp/cjr 300
 *
 * Measured 2026-12-07 (session 37, AMD EPYC znver4, shared 2-core machine under load; medians
 * of 15 samples of 5 calls, n = 300, tuned flags as above): primal 3.23-3.27 ms, jammed primal
 * 2.09-2.11 ms (the same bits); hand-written adjoint 3.37-3.46 ms; ferment's gradient of
 * chol_solve 5.0-5.2 ms. Of chol_solve_jam: with main 270b29f 10.1-20.1 ms, because the frontier
 * proof (`shim.cpp`, `frontierInNest`) failed for every load of `l` in the nest (the paired row's
 * offset `8 * ((i + 1) * n + j)` is one product over a sum that `SCEVDivision` cannot split
 * into row and column), so the forward sweep taped each load of the n^3/6 inner iterations
 * (tens of MB at n = 300; `-ferment-print-tape`: "cache `... = load ...` (depth 3)"); with
 * products distributed over sums first (`DistributeProducts`, session 37) nothing is taped and
 * it takes 3.7 ms, 1.07x the hand-written adjoint. ferment does not pair the rows itself: the
 * source must (see report_notes.md, session 37).
 */
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void chol(long n, const double *a, double *l) {
    for (long j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (long k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
        double d = sqrt(s);
        l[j * n + j] = d;
        for (long i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (long k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = t / d;
        }
    }
}

/* the same factor, two rows i per pass (each row's chain in the same order: the same bits) */
static void chol_jam(long n, const double *a, double *l) {
    for (long j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (long k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
        double d = sqrt(s);
        l[j * n + j] = d;
        long i = j + 1;
        for (; i + 1 < n; i += 2) {
            double t0 = a[i * n + j], t1 = a[(i + 1) * n + j];
            for (long k = 0; k < j; k++) {
                t0 -= l[i * n + k] * l[j * n + k];
                t1 -= l[(i + 1) * n + k] * l[j * n + k];
            }
            l[i * n + j] = t0 / d;
            l[(i + 1) * n + j] = t1 / d;
        }
        for (; i < n; i++) {
            double t = a[i * n + j];
            for (long k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = t / d;
        }
    }
}

static double solve_rest(long n, const double *restrict b, double *l, double *y, double *x) {
    for (long i = 0; i < n; i++) {
        double s = b[i];
        for (long k = 0; k < i; k++) s -= l[i * n + k] * y[k];
        y[i] = s / l[i * n + i];
    }
    for (long i = n - 1; i >= 0; i--) {
        double s = y[i];
        for (long k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
        x[i] = s / l[i * n + i];
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += x[i] * x[i];
    free(l);
    free(y);
    free(x);
    return 0.5 * f;
}

__attribute__((noinline)) double chol_solve(long n, const double *restrict a, const double *restrict b) {
    double *l = malloc(sizeof(double) * n * n), *y = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
    chol(n, a, l);
    return solve_rest(n, b, l, y, x);
}

__attribute__((noinline)) double chol_solve_jam(long n, const double *restrict a, const double *restrict b) {
    double *l = malloc(sizeof(double) * n * n), *y = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n);
    chol_jam(n, a, l);
    return solve_rest(n, b, l, y, x);
}

static void llt_solve(long n, const double *l, const double *r, double *t, double *z) {
    for (long i = 0; i < n; i++) {
        double s = r[i];
        for (long k = 0; k < i; k++) s -= l[i * n + k] * t[k];
        t[i] = s / l[i * n + i];
    }
    for (long i = n - 1; i >= 0; i--) {
        double s = t[i];
        for (long k = i + 1; k < n; k++) s -= l[k * n + i] * z[k];
        z[i] = s / l[i * n + i];
    }
}

__attribute__((noinline)) void chol_solve_hand(long n, const double *restrict a, const double *restrict b,
                                               double *restrict ab, double *restrict bb) {
    double *l = malloc(sizeof(double) * n * n), *t = malloc(sizeof(double) * n), *x = malloc(sizeof(double) * n),
           *lam = malloc(sizeof(double) * n);
    chol(n, a, l);
    llt_solve(n, l, b, t, x);
    llt_solve(n, l, x, t, lam);
    for (long i = 0; i < n; i++) {
        bb[i] += lam[i];
        for (long j = 0; j < i; j++) ab[i * n + j] -= lam[i] * x[j] + lam[j] * x[i];
        ab[i * n + i] -= lam[i] * x[i];
    }
    free(l);
    free(t);
    free(x);
    free(lam);
}

static long N;
static double *A, *B, *G, *GJ, *H;

static void run_primal(void) { chol_solve(N, A, B); }
static void run_primal_jam(void) { chol_solve_jam(N, A, B); }
static void run_hand(void) {
    memset(H, 0, sizeof(double) * (N * N + N));
    chol_solve_hand(N, A, B, H, H + N * N);
}
static void run_ferment(void) {
    memset(G, 0, sizeof(double) * (N * N + N));
    __enzyme_autodiff((void *)chol_solve, enzyme_const, N, enzyme_dup, A, G, enzyme_dup, B, G + N * N);
}
static void run_ferment_jam(void) {
    memset(GJ, 0, sizeof(double) * (N * N + N));
    __enzyme_autodiff((void *)chol_solve_jam, enzyme_const, N, enzyme_dup, A, GJ, enzyme_dup, B, GJ + N * N);
}

static double median_ms(void (*f)(void)) {
    double s[15];
    for (int r = 0; r < 15; r++) {
        double t = now();
        for (int q = 0; q < 5; q++) f();
        s[r] = (now() - t) / 5;
    }
    for (int r = 0; r < 15; r++)
        for (int q = r + 1; q < 15; q++)
            if (s[q] < s[r]) {
                double x = s[r];
                s[r] = s[q];
                s[q] = x;
            }
    return s[7] * 1e3;
}

int main(int argc, char **argv) {
    N = argc > 1 ? atol(argv[1]) : 300;
    A = malloc(sizeof(double) * N * N);
    B = malloc(sizeof(double) * N);
    G = malloc(sizeof(double) * (N * N + N));
    GJ = malloc(sizeof(double) * (N * N + N));
    H = malloc(sizeof(double) * (N * N + N));
    for (long i = 0; i < N * N; i++) A[i] = sin(0.37 * i);
    for (long i = 0; i < N; i++) {
        A[i * N + i] = N + 1 + 0.5 * cos(i);
        B[i] = cos(0.7 * i);
    }
    if (chol_solve(N, A, B) != chol_solve_jam(N, A, B)) {
        printf("the jammed factorization gives other bits\n");
        return 1;
    }
    run_ferment();
    run_ferment_jam();
    run_hand();
    double err = 0, errj = 0, gm = 0;
    for (long i = 0; i < N * N + N; i++) {
        err = fmax(err, fabs(G[i] - H[i]));
        errj = fmax(errj, fabs(GJ[i] - H[i]));
        gm = fmax(gm, fabs(H[i]));
    }
    printf("vs hand-written: ferment max abs err %.2g, jammed %.2g (max |g| %.3g)\n", err, errj, gm);
    if (!(err <= 1e-9 * gm) || !(errj <= 1e-9 * gm)) return 1;
    void (*fs[5])(void) = {run_primal, run_primal_jam, run_hand, run_ferment, run_ferment_jam};
    const char *names[5] = {"primal", "primal, rows jammed", "hand-written adjoint", "ferment gradient",
                            "ferment, rows jammed"};
    for (int k = 0; k < 5; k++) printf("%-24s %8.3f ms\n", names[k], median_ms(fs[k]));
    return 0;
}
