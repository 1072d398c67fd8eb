/*
 * Reproducer: a phi (or select) that merges a pointer into duplicated
 * (active) memory with a pointer into enzyme_const memory.
 *
 *   clang-22 -O2 -fno-math-errno -fpass-plugin=target/release/libferment.so \
 *       -I runtime/include benches/repro/phi_const_active_ptr.c -o /tmp/r && /tmp/r
 *
 * Expected: d/dx[i] of f = sum_i (k_i < 0 ? c_i : x_i)^2  ->  2 x_i where k_i >= 0, else 0.
 * Fixed: reads through such a pointer are differentiated (prints OK).
 * Observed before (ferment at d034fea): compile error
 *   "cannot find derivative memory for ... used by '... = phi ptr [...], [...]':
 *    it is not duplicated"
 * Enzyme treats such a pointer as having a zero/dummy shadow (or needs runtime
 * activity); the pointer into constant memory could get a shadow that
 * discards its adjoint. Found in benches/src/hand.c (the root bone reads
 * `trans + offs[j]`, the others `t[parent] + A offs[j]`; -O2 merges the two
 * address computations into one phi of pointers).
 */
#include <ferment.h>
#include <stdio.h>

__attribute__((noinline)) double f(const double *restrict x, const double *restrict c, const int *restrict k,
                                   long n) {
    double s = 0;
    for (long i = 0; i < n; i++) {
        const double *p;
        if (k[i] < 0) p = c + i;
        else p = x + i;
        s += p[0] * p[0];
    }
    return s;
}

int main(void) {
    double x[4] = {1, 2, 3, 4}, dx[4] = {0}, c[4] = {5, 6, 7, 8};
    int k[4] = {1, -1, 1, -1};
    __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, c, enzyme_const, k, enzyme_const, 4L);
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        double want = k[i] < 0 ? 0 : 2 * x[i];
        printf("dx[%d] = %g (want %g)\n", i, dx[i], want);
        ok &= dx[i] == want;
    }
    puts(ok ? "OK" : "WRONG");
    return !ok;
}
