/*
 * Reproducer (issue 19, a cost, not a wrong answer): the reverse sweep of a loop over rows whose
 * body reads a short parameter vector, r_i = y_i - x_i . w, accumulates into the SAME shadow
 * elements on every row: gw[j] -= d_i x[i][j]. Each reverse iteration reloads the gw[j] the
 * previous one just stored, a store -> load -> fma -> store chain through memory across the
 * whole reverse loop. The primal has no such chain (it only reads w), and a hand-written adjoint
 * does the same update inside its forward loop, where the row's ordered dot product (a longer
 * chain) hides it; ferment (and Enzyme) run it in a separate sweep, where nothing does.
 * benches/repro/shapes/huber.c: ferment 1.9x its hand-written adjoint with -march=native.
 *
 *   clang-22 -O2 -march=native -fno-math-errno -fpass-plugin=target/release/libferment.so \
 *       -I runtime/include benches/repro/row_accumulation_chain.c -o /tmp/rac -lm && /tmp/rac 4000 8
 *
 * Times the ferment gradient, then three stand-alone reverse loops over a taped d_i: as
 * generated (one row per iteration), the outer loop unrolled by two and jammed with the same
 * order of additions (exact: gw[j] = (gw[j] - d_i x_ij) - d_{i-1} x_{i-1,j}), and jammed and
 * reassociated. Measured 2026-12-05 (AMD EPYC znver4, shared 2-core machine, best of 200):
 * n = 4000, p = 8: ferment gradient 40 us, primal 10 us, the three loops 17.9 / 11.4 / 8.8 us
 * (another run: 29.4 / 17.3 / 14.3); n = 10^5, p = 16: gradient 1307 us, primal 493 us, loops
 * 448 / 313 / 242 us. LLVM's loop-unroll-and-jam (opt-22 -passes='loop(loop-unroll-and-jam)'
 * with -unroll-and-jam-count=2, or an llvm.loop.unroll_and_jam.count pragma on the reverse
 * loop) leaves ferment's reverse loop (taken before the vectorizer) unchanged, also with the
 * invariant `p > 0` guard around its inner loop removed by hand; huber's has a zero-adjoint
 * test around it as well.
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

__attribute__((noinline)) double lsq(long n, long p, const double *restrict x, const double *restrict y,
                                     const double *restrict w) {
    double f = 0;
    for (long i = 0; i < n; i++) {
        double r = y[i];
        for (long j = 0; j < p; j++) r -= x[i * p + j] * w[j];
        f += 0.5 * r * r;
    }
    return f;
}

__attribute__((noinline)) void rev1(long n, long p, const double *restrict x, const double *restrict d,
                                    double *restrict g) {
    for (long i = n - 1; i >= 0; i--)
        for (long j = p - 1; j >= 0; j--) g[j] -= d[i] * x[i * p + j];
}
__attribute__((noinline)) void rev2(long n, long p, const double *restrict x, const double *restrict d,
                                    double *restrict g) {
    long i = n - 1;
    for (; i >= 1; i -= 2)
        for (long j = p - 1; j >= 0; j--) g[j] = (g[j] - d[i] * x[i * p + j]) - d[i - 1] * x[(i - 1) * p + j];
    for (; i >= 0; i--)
        for (long j = p - 1; j >= 0; j--) g[j] -= d[i] * x[i * p + j];
}
__attribute__((noinline)) void rev2r(long n, long p, const double *restrict x, const double *restrict d,
                                     double *restrict g) {
    long i = n - 1;
    for (; i >= 1; i -= 2)
        for (long j = p - 1; j >= 0; j--) g[j] -= d[i] * x[i * p + j] + d[i - 1] * x[(i - 1) * p + j];
    for (; i >= 0; i--)
        for (long j = p - 1; j >= 0; j--) g[j] -= d[i] * x[i * p + j];
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 4000, p = argc > 2 ? atol(argv[2]) : 8;
    double *x = malloc(sizeof(double) * n * p), *y = malloc(sizeof(double) * n), *d = malloc(sizeof(double) * n);
    double *w = malloc(sizeof(double) * p), *g = calloc(p, sizeof(double)), *h = calloc(p, sizeof(double));
    for (long i = 0; i < n * p; i++) x[i] = sin(0.37 * i);
    for (long j = 0; j < p; j++) w[j] = 0.1 * cos(j);
    for (long i = 0; i < n; i++) {
        double r = y[i] = cos(0.11 * i);
        for (long j = 0; j < p; j++) r -= x[i * p + j] * w[j];
        d[i] = r;
    }
    /* check: the ferment gradient against the analytic one (-sum_i r_i x_i) */
    __enzyme_autodiff((void *)lsq, enzyme_const, n, enzyme_const, p, enzyme_const, x, enzyme_const, y, enzyme_dup,
                      w, g);
    rev1(n, p, x, d, h);
    double err = 0, gm = 0;
    for (long j = 0; j < p; j++) {
        err = fmax(err, fabs(g[j] - h[j]));
        gm = fmax(gm, fabs(h[j]));
    }
    printf("ferment vs analytic: max abs err %.2g (max |g| %.3g)\n", err, gm);
    if (!(err <= 1e-9 * gm)) return 1;
    void (*fs[3])(long, long, const double *, const double *, double *) = {rev1, rev2, rev2r};
    const char *names[3] = {"reverse loop, one row", "unrolled by 2 and jammed", "jammed, reassociated"};
    double best = 1e9;
    for (int r = 0; r < 200; r++) {
        double t = now();
        __enzyme_autodiff((void *)lsq, enzyme_const, n, enzyme_const, p, enzyme_const, x, enzyme_const, y,
                          enzyme_dup, w, g);
        best = fmin(best, now() - t);
    }
    printf("%-28s %8.2f us\n", "ferment gradient", best * 1e6);
    best = 1e9;
    for (int r = 0; r < 200; r++) {
        double t = now();
        lsq(n, p, x, y, w);
        best = fmin(best, now() - t);
    }
    printf("%-28s %8.2f us\n", "primal", best * 1e6);
    for (int k = 0; k < 3; k++) {
        best = 1e9;
        for (int r = 0; r < 200; r++) {
            double t = now();
            fs[k](n, p, x, d, h);
            best = fmin(best, now() - t);
        }
        printf("%-28s %8.2f us\n", names[k], best * 1e6);
    }
    return 0;
}
