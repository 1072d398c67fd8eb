/*
 * Reproducer: a pair loop with a cutoff branch tapes every pair (issue 19; benches/src/particles.c).
 * Not a wrong answer: a cost. The gradient is checked against the analytic one below.
 *
 *   clang-22 -O2 -march=native -fno-math-errno -fpass-plugin=target/release/libferment.so \
 *       -I runtime/include -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
 *       benches/repro/pair_cutoff_tape.c -o /tmp/pairs -lm && /tmp/pairs
 *   (add -mllvm -ferment-print-tape to list what is cached and recomputed)
 *
 * e = sum over pairs i<j with r2 < rc2 of s6^2 - s6, s6 = (1/r2)^3, positions on a cubic lattice
 * of spacing 1.2 (about 30 of the n - 1 partners of a particle lie inside rc).
 * Nothing the reverse sweep needs is overwritten: x is read-only, so r2, 1/r2, s6 and the
 * branch condition can all be recomputed from the positions, and Enzyme tapes 0 bytes on
 * particles.c. The plugin at b04f9ea caches, per executed inner iteration (every pair, inside
 * the cutoff or not), the branch's i32 flag and r2, 1/r2 and products of it: this program
 * prints 82566392 bytes = 41.3 per pair for n = 2000 (particles.c: the same 83 MB at N = 2000,
 * gradient ~10x Enzyme's there).
 * Expected: tape bytes ~0 (or O(n)), printed below.
 */
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>

void *__real_malloc(size_t);
void __real_free(void *);
static long long cur, peak;
void *__wrap_malloc(size_t n) {
    void *p = __real_malloc(n);
    if (p) cur += malloc_usable_size(p);
    if (cur > peak) peak = cur;
    return p;
}
void *__real_realloc(void *, size_t);
void *__real_calloc(size_t, size_t);
void *__wrap_realloc(void *q, size_t n) {
    if (q) cur -= malloc_usable_size(q);
    void *p = __real_realloc(q, n);
    if (p) cur += malloc_usable_size(p);
    if (cur > peak) peak = cur;
    return p;
}
void *__wrap_calloc(size_t a, size_t b) {
    void *p = __real_calloc(a, b);
    if (p) cur += malloc_usable_size(p);
    if (cur > peak) peak = cur;
    return p;
}
void __wrap_free(void *p) {
    if (p) cur -= malloc_usable_size(p);
    __real_free(p);
}

#define RC2 6.25

static double dist2(const double *x, long i, long j, double *d) {
    for (int k = 0; k < 3; k++) d[k] = x[3 * i + k] - x[3 * j + k];
    return d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
}

__attribute__((noinline)) double pairs(const double *restrict x, long n) {
    double e = 0;
    for (long i = 0; i < n; i++) {
        double xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2];
        for (long j = i + 1; j < n; j++) {
            double dx = xi - x[3 * j], dy = yi - x[3 * j + 1], dz = zi - x[3 * j + 2];
            double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 < RC2) {
                double s2 = 1.0 / r2, s6 = s2 * s2 * s2;
                e += s6 * s6 - s6;
            }
        }
    }
    return e;
}

int main(void) {
    long n = 2000;
    double *x = malloc(sizeof(double) * 3 * n), *g = calloc(3 * n, sizeof(double)), *h = calloc(3 * n, sizeof(double));
    for (long i = 0; i < n; i++) { /* 13 x 13 x 12 lattice, slightly jittered */
        long c[3] = {i % 13, (i / 13) % 13, i / 169};
        for (int k = 0; k < 3; k++) x[3 * i + k] = 1.2 * (double)c[k] + 0.05 * sin((double)(3 * i + k));
    }
    for (long i = 0; i < n; i++)
        for (long j = i + 1; j < n; j++) {
            double d[3], r2 = dist2(x, i, j, d);
            if (r2 < RC2) {
                double s2 = 1.0 / r2, s6 = s2 * s2 * s2;
                double c = 2.0 * (-3.0 * s6 * s2) * (2.0 * s6 - 1.0); /* d e / d r2 times 2 */
                for (int k = 0; k < 3; k++) {
                    h[3 * i + k] += c * d[k];
                    h[3 * j + k] -= c * d[k];
                }
            }
        }
    long long base = cur;
    peak = cur;
    __enzyme_autodiff((void *)pairs, enzyme_dup, x, g, enzyme_const, n);
    double err = 0, scale = 0;
    for (long i = 0; i < 3 * n; i++) {
        err = fmax(err, fabs(g[i] - h[i]));
        scale = fmax(scale, fabs(h[i]));
    }
    printf("pairs n=%ld: gradient max error %.2g (relative %.2g); tape (peak heap growth) %lld bytes = %.1f per pair\n",
           n, err, err / scale, peak - base, (double)(peak - base) / (0.5 * (double)n * (double)(n - 1)));
    return err <= 1e-9 * scale ? 0 : 1;
}
