/* skyline: sparse (envelope / skyline storage) Cholesky of a symmetric positive definite matrix and two
 * triangular solves, f = 0.5 |x|^2 with A x = b. Row i stores its lower-triangle entries from column
 * first[i] to the diagonal contiguously at val[ptr[i] .. ptr[i+1]-1] (variable bandwidth 2..40: the fill
 * stays inside the envelope). L is factored into a scratch copy, z = L^-1 b (rows), x = L^-T z (columns,
 * updates through the envelope). Params: the envelope values of A, then b. Sizes: n.
 * Hand adjoint: the reverse of each of the three loop nests, written out (the solves' adjoints in the
 * opposite order, then the factorization's, row by row and column by column backwards). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "skyline";
static long N, NNZ;
static long *FIRST, *PTR;
static double *X;

__attribute__((noinline)) double skyline(long n, const long *restrict first, const long *restrict ptr,
                                         const double *restrict a, const double *restrict b) {
    double *l = malloc(sizeof(double) * ptr[n]);
    double *z = malloc(sizeof(double) * n);
    for (long i = 0; i < n; i++) {
        long fi = first[i];
        double *li = l + ptr[i] - fi; /* li[j] = L_ij, fi <= j <= i */
        for (long j = fi; j <= i; j++) {
            long fj = first[j];
            const double *lj = l + ptr[j] - fj;
            double s = a[ptr[i] - fi + j];
            for (long k = fi > fj ? fi : fj; k < j; k++) s -= li[k] * lj[k];
            li[j] = j < i ? s / lj[j] : sqrt(s);
        }
    }
    for (long i = 0; i < n; i++) {
        const double *li = l + ptr[i] - first[i];
        double s = b[i];
        for (long k = first[i]; k < i; k++) s -= li[k] * z[k];
        z[i] = s / li[i];
    }
    double f = 0;
    for (long i = n - 1; i >= 0; i--) {
        const double *li = l + ptr[i] - first[i];
        double xi = z[i] / li[i];
        f += 0.5 * xi * xi;
        for (long k = first[i]; k < i; k++) z[k] -= li[k] * xi;
    }
    free(l);
    free(z);
    return f;
}

__attribute__((noinline)) void skyline_hand(long n, const long *restrict first, const long *restrict ptr,
                                            const double *restrict a, const double *restrict b, double *restrict ga,
                                            double *restrict gb) {
    long nnz = ptr[n];
    double *l = malloc(sizeof(double) * nnz);
    double *gl = calloc(nnz, sizeof(double));
    double *z = malloc(sizeof(double) * n);
    double *x = malloc(sizeof(double) * n);
    double *w = malloc(sizeof(double) * n);
    double *gz = calloc(n, sizeof(double));
    for (long i = 0; i < n; i++) {
        long fi = first[i];
        double *li = l + ptr[i] - fi;
        for (long j = fi; j <= i; j++) {
            long fj = first[j];
            const double *lj = l + ptr[j] - fj;
            double s = a[ptr[i] - fi + j];
            for (long k = fi > fj ? fi : fj; k < j; k++) s -= li[k] * lj[k];
            li[j] = j < i ? s / lj[j] : sqrt(s);
        }
    }
    for (long i = 0; i < n; i++) {
        const double *li = l + ptr[i] - first[i];
        double s = b[i];
        for (long k = first[i]; k < i; k++) s -= li[k] * z[k];
        z[i] = s / li[i];
    }
    memcpy(w, z, sizeof(double) * n);
    for (long i = n - 1; i >= 0; i--) {
        const double *li = l + ptr[i] - first[i];
        x[i] = w[i] / li[i];
        for (long k = first[i]; k < i; k++) w[k] -= li[k] * x[i];
    }
    /* back solve reversed (i ascending): gw = adjoint of w, starts at 0; gx_i = x_i */
    for (long i = 0; i < n; i++) {
        long fi = first[i];
        const double *li = l + ptr[i] - fi;
        double *gli = gl + ptr[i] - fi;
        double gx = x[i];
        for (long k = fi; k < i; k++) {
            gx -= li[k] * gz[k];
            gli[k] -= x[i] * gz[k];
        }
        gz[i] += gx / li[i];
        gli[i] -= gx * x[i] / li[i];
    }
    /* forward solve reversed (i descending); gz now holds the adjoint of z */
    for (long i = n - 1; i >= 0; i--) {
        long fi = first[i];
        const double *li = l + ptr[i] - fi;
        double *gli = gl + ptr[i] - fi;
        double gs = gz[i] / li[i];
        gli[i] -= gz[i] * z[i] / li[i];
        gb[i] += gs;
        for (long k = fi; k < i; k++) {
            gli[k] -= gs * z[k];
            gz[k] -= gs * li[k];
        }
    }
    /* factorization reversed: rows descending, columns descending */
    for (long i = n - 1; i >= 0; i--) {
        long fi = first[i];
        const double *li = l + ptr[i] - fi;
        double *gli = gl + ptr[i] - fi;
        for (long j = i; j >= fi; j--) {
            long fj = first[j];
            const double *lj = l + ptr[j] - fj;
            double *glj = gl + ptr[j] - fj;
            double gs;
            if (j == i) gs = gli[i] / (2 * li[i]);
            else {
                gs = gli[j] / lj[j];
                glj[j] -= gli[j] * li[j] / lj[j];
            }
            ga[ptr[i] - fi + j] += gs;
            for (long k = fi > fj ? fi : fj; k < j; k++) {
                gli[k] -= gs * lj[k];
                glj[k] -= gs * li[k];
            }
        }
    }
    free(l);
    free(gl);
    free(z);
    free(x);
    free(w);
    free(gz);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 20000;
    FIRST = bench_xmalloc(sizeof(long) * N);
    PTR = bench_xmalloc(sizeof(long) * (N + 1));
    PTR[0] = 0;
    for (long i = 0; i < N; i++) {
        long bw = 2 + (long)(39 * bench_urand(501, i));
        FIRST[i] = i > bw ? i - bw : 0;
        PTR[i + 1] = PTR[i] + i - FIRST[i] + 1;
    }
    NNZ = PTR[N];
    X = bench_xmalloc(sizeof(double) * (NNZ + N));
    for (long i = 0; i < N; i++) {
        for (long j = FIRST[i]; j < i; j++) X[PTR[i] - FIRST[i] + j] = 0.1 * (bench_urand(502, PTR[i] - FIRST[i] + j) - 0.5);
        X[PTR[i + 1] - 1] = 3 + bench_urand(503, i); /* dominant: each row and column of |off-diagonals| sums to < 4 */
        X[NNZ + i] = bench_urand(504, i) - 0.5;
    }
    info->nparams = NNZ + N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld nnz=%ld", N, NNZ);
    info->size_metric = (double)NNZ;
    info->fd_rtol = 1e-4; /* f sums 2e4 squares: rounding (at n = 300 hand vs FD agree to 1e-6) */
    return 0;
}
double bench_primal(void) { return skyline(N, FIRST, PTR, X, X + NNZ); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (NNZ + N));
    __enzyme_autodiff((void *)skyline, enzyme_const, N, enzyme_const, FIRST, enzyme_const, PTR, enzyme_dup, X, g,
                      enzyme_dup, X + NNZ, g + NNZ);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (NNZ + N));
    skyline_hand(N, FIRST, PTR, X, X + NNZ, g, g + NNZ);
}
