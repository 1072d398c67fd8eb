/*
 * normalize — out[i] = in[i] / mag(in), mag(in) = sqrt(sum in[j]^2) an O(n)
 * loop in its own (noinline) function: the example from the Enzyme talks.
 * With `restrict` pointers LICM hoists mag(in) out of the loop, so the
 * optimized primal is O(n); differentiating the optimized code gives an O(n)
 * derivative, differentiating before optimization an O(n^2) one (issue 6).
 *
 * The derivative is a vector-Jacobian product: the objective used for checks
 * and finite differences is s(in) = sum_i w[i] * out[i] with a fixed seed w,
 * and the gradient is ds/din = J^T w. The ferment call seeds the shadow of out
 * with w (Enzyme semantics: the shadow of an output is consumed), so each
 * gradient call re-seeds it; the hand-written adjoint does the same O(n) copy.
 * Parameters: in (n). Size argument: n.
 * Hand-written adjoint: m = |in|, t = sum_i w_i in_i,
 *   din_j = w_j / m - in_j * t / m^3.
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *bench_name = "normalize";

static long n;
static double *in, *out, *w, *dout;

__attribute__((noinline)) static double mag(const double *restrict x, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}

__attribute__((noinline)) void normalize(double *restrict out, const double *restrict in, long n) {
    for (long i = 0; i < n; i++) out[i] = in[i] / mag(in, n);
}

__attribute__((noinline)) void normalize_vjp_hand(const double *restrict in, const double *restrict w,
                                                  double *restrict din, long n) {
    double s = 0, t = 0;
    for (long i = 0; i < n; i++) {
        s += in[i] * in[i];
        t += w[i] * in[i];
    }
    double m = sqrt(s), m3 = m * m * m;
    for (long i = 0; i < n; i++) din[i] += w[i] / m - in[i] * t / m3;
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    n = nsizes > 0 ? sizes[0] : 1000;
    in = bench_xmalloc(sizeof(double) * n);
    out = bench_xmalloc(sizeof(double) * n);
    w = bench_xmalloc(sizeof(double) * n);
    dout = bench_xmalloc(sizeof(double) * n);
    bench_fill(in, n, 1, -1, 1);
    bench_fill(w, n, 2, -1, 1);
    info->nparams = n;
    info->x = in;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", n);
    info->size_metric = (double)n;
    return n > 0 ? 0 : 1;
}

double bench_primal(void) {
    normalize(out, in, n);
    double s = 0;
    for (long i = 0; i < n; i++) s += w[i] * out[i];
    return s;
}

void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * n);
    memcpy(dout, w, sizeof(double) * n);
    __enzyme_autodiff((void *)normalize, enzyme_dup, out, dout, enzyme_dup, in, g, enzyme_const, n);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * n);
    memcpy(dout, w, sizeof(double) * n); /* same O(n) seeding cost as the ferment call */
    normalize_vjp_hand(in, dout, g, n);
}
