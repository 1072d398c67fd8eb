/*
 * Reproducer: the reverse-mode tape holds more than the reverse sweep needs
 * (issue 6: cache vs recompute). Not a wrong answer: a cost, the main reason
 * the gradient/primal ratios in benches/report/REPORT.md miss their targets.
 *
 *   clang-22 -O2 -fno-math-errno -fpass-plugin=target/release/libferment.so -I runtime/include \
 *       -Wl,--wrap=malloc -Wl,--wrap=realloc -Wl,--wrap=free \
 *       benches/repro/tape_overhead.c -o /tmp/tape -lm && /tmp/tape
 *   (add -mllvm -ferment-print-tape to list what is cached and recomputed)
 *
 * 1. taylor: s += pow(x, i) / i. Nothing needs taping (x is loop-invariant,
 *    i the induction variable, the trip count known at entry). The build of
 *    d034fea/a01a50c taped ~36-47 bytes per iteration in five realloc-grown
 *    buffers; FIXED in the 2026-11-21 06:30 build (0 bytes). Kept as a check.
 * 2. stencil: u[i] = u[i] + r (u[i-1]_old - 2 u[i] + u[i+1]) - c u[i]^3 in
 *    place over T steps. The minimum is the overwritten value u[i]_old per
 *    (t, i): 8 n T bytes. The 06:30 build tapes 5.3x that (a01a50c: 15x):
 *    per (t, i) the old value (needed; after -O2 it is a phi carrying the
 *    previous iteration's load of u[i+1]) and two fmul and one fneg computed
 *    from it (recomputable from it), plus an i32 flag and a trip count per
 *    outer iteration and the slack of realloc-doubled buffers.
 * Expected: tape bytes close to the minimum printed below.
 */
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

void *__real_malloc(size_t);
void *__real_realloc(void *, size_t);
void __real_free(void *);
static long long cur, peak;
void *__wrap_malloc(size_t n) {
    void *p = __real_malloc(n);
    if (p) cur += malloc_usable_size(p);
    if (cur > peak) peak = cur;
    return p;
}
void *__wrap_realloc(void *q, size_t n) {
    if (q) cur -= malloc_usable_size(q);
    void *p = __real_realloc(q, n);
    if (p) cur += malloc_usable_size(p);
    if (cur > peak) peak = cur;
    return p;
}
void __wrap_free(void *p) {
    if (p) cur -= malloc_usable_size(p);
    __real_free(p);
}

__attribute__((noinline)) double taylor(double x, long n) {
    double s = 0;
    for (long i = 1; i <= n; i++) s += pow(x, (double)i) / (double)i;
    return s;
}

__attribute__((noinline)) double heat(double *restrict u, long n, long steps, double r, double c) {
    for (long t = 0; t < steps; t++) {
        double prev = u[0];
        for (long i = 1; i < n - 1; i++) {
            double old = u[i];
            u[i] = old + r * (prev - 2 * old + u[i + 1]) - c * old * old * old;
            prev = old;
        }
    }
    double f = 0;
    for (long i = 0; i < n; i++) f += u[i] * u[i];
    return 0.5 * f;
}

int main(void) {
    long n = 100000;
    peak = cur = 0;
    double d = __enzyme_autodiff((void *)taylor, 0.5, enzyme_const, n);
    printf("taylor n=%ld: d=%.6f (want %.6f); tape peak %lld bytes = %.1f bytes/iteration (minimum 0)\n", n, d,
           1 / (1 - 0.5), peak, (double)peak / n);

    long m = 1000, T = 100;
    double *u = calloc(m, sizeof(double)), *du = calloc(m, sizeof(double));
    for (long i = 0; i < m; i++) u[i] = sin(0.01 * i);
    long long base = cur;
    peak = cur;
    __enzyme_autodiff((void *)heat, enzyme_dup, u, du, enzyme_const, m, enzyme_const, T, enzyme_const, 0.25,
                      enzyme_const, 0.01);
    printf("heat n=%ld T=%ld: tape peak %lld bytes = %.1fx the minimum 8*n*T = %ld bytes\n", m, T, peak - base,
           (double)(peak - base) / (8.0 * m * T), 8 * m * T);
    free(u);
    free(du);
    return 0;
}
