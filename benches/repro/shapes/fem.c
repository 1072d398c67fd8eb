/* fem: P1 finite elements on a perturbed structured triangle mesh ((n+1)^2 vertices, 2 n^2
 * triangles, int connectivity). A nonlinear diffusivity per element, kappa_e = exp(theta_e)
 * (1 + 0.1 ubar_e^2) with ubar_e the element's mean of u, scales the precomputed geometric local
 * stiffness (9 doubles per element); the 9 products are scattered with += into the values of a
 * CSR matrix (scratch, calloc) through a precomputed map element-entry -> CSR slot; then
 * J = 0.5 u^T K u - f.u + 0.25 h^2 sum u^4 by a CSR product.
 * Params: theta (2 n^2) then u ((n+1)^2). Sizes: n.
 * Hand adjoint: per element (no assembly): q_e = u_e^T k_e u_e, theta_b = 0.5 kappa_e q_e,
 * u_b += kappa_e k_e u_e + 0.5 q_e dkappa/du_a; plus -f + h^2 u^3. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "fem";
static long N, NE, NV, NNZ;
static double *X, *KE, *F;
static int *TRI, *MAP, *RP, *CI;

__attribute__((noinline)) double fem(long ne, long nv, long nnz, const int *restrict tri, const double *restrict ke,
                                     const int *restrict map, const int *restrict rp, const int *restrict ci,
                                     const double *restrict f, double h2, const double *restrict theta,
                                     const double *restrict u) {
    double *kv = calloc(nnz, sizeof(double));
    for (long e = 0; e < ne; e++) {
        int a = tri[3 * e], b = tri[3 * e + 1], c = tri[3 * e + 2];
        double ub = (u[a] + u[b] + u[c]) * (1.0 / 3.0);
        double kap = exp(theta[e]) * (1 + 0.1 * ub * ub);
        for (int q = 0; q < 9; q++) kv[map[9 * e + q]] += kap * ke[9 * e + q];
    }
    double J = 0;
    for (long r = 0; r < nv; r++) {
        double s = 0;
        for (int p = rp[r]; p < rp[r + 1]; p++) s += kv[p] * u[ci[p]];
        double ur = u[r];
        J += 0.5 * ur * s - f[r] * ur + 0.25 * h2 * ur * ur * ur * ur;
    }
    free(kv);
    return J;
}

__attribute__((noinline)) void fem_hand(long ne, long nv, const int *restrict tri, const double *restrict ke,
                                        const double *restrict f, double h2, const double *restrict theta,
                                        const double *restrict u, double *restrict tb, double *restrict ubar) {
    for (long e = 0; e < ne; e++) {
        int v[3] = {tri[3 * e], tri[3 * e + 1], tri[3 * e + 2]};
        double uu[3] = {u[v[0]], u[v[1]], u[v[2]]};
        const double *k = ke + 9 * e;
        double ub = (uu[0] + uu[1] + uu[2]) * (1.0 / 3.0);
        double ex = exp(theta[e]);
        double kap = ex * (1 + 0.1 * ub * ub);
        double ku[3], q = 0;
        for (int a = 0; a < 3; a++) {
            ku[a] = k[3 * a] * uu[0] + k[3 * a + 1] * uu[1] + k[3 * a + 2] * uu[2];
            q += uu[a] * ku[a];
        }
        tb[e] += 0.5 * kap * q;
        /* d kappa / d u_a = ex * 0.2 ub / 3; J_e = 0.5 kappa q with k symmetric */
        double dk = 0.5 * q * ex * 0.2 * ub * (1.0 / 3.0);
        for (int a = 0; a < 3; a++) ubar[v[a]] += kap * ku[a] + dk;
    }
    for (long r = 0; r < nv; r++) ubar[r] += -f[r] + h2 * u[r] * u[r] * u[r];
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 300;
    long n = N, m = n + 1;
    NE = 2 * n * n;
    NV = m * m;
    double h = 1.0 / n;
    double *px = bench_xmalloc(sizeof(double) * NV), *py = bench_xmalloc(sizeof(double) * NV);
    for (long i = 0; i < m; i++)
        for (long j = 0; j < m; j++) {
            long v = i * m + j;
            double ox = (i > 0 && i < n) ? 0.2 * h * (bench_urand(71, v) - 0.5) : 0;
            double oy = (j > 0 && j < n) ? 0.2 * h * (bench_urand(72, v) - 0.5) : 0;
            px[v] = i * h + ox;
            py[v] = j * h + oy;
        }
    TRI = bench_xmalloc(sizeof(int) * 3 * NE);
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            long e = 2 * (i * n + j);
            int v00 = i * m + j, v10 = (i + 1) * m + j, v01 = i * m + j + 1, v11 = (i + 1) * m + j + 1;
            TRI[3 * e] = v00, TRI[3 * e + 1] = v10, TRI[3 * e + 2] = v11;
            TRI[3 * e + 3] = v00, TRI[3 * e + 4] = v11, TRI[3 * e + 5] = v01;
        }
    /* CSR pattern: vertex (i, j) couples with itself, (i +- 1, j), (i, j +- 1), (i + 1, j + 1), (i - 1, j - 1) */
    RP = bench_xmalloc(sizeof(int) * (NV + 1));
    CI = bench_xmalloc(sizeof(int) * 7 * NV);
    static const int DI[7] = {-1, -1, 0, 0, 0, 1, 1}, DJ[7] = {-1, 0, -1, 0, 1, 0, 1};
    long p = 0;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < m; j++) {
            RP[i * m + j] = (int)p;
            for (int q = 0; q < 7; q++) {
                long ii = i + DI[q], jj = j + DJ[q];
                if (ii >= 0 && ii < m && jj >= 0 && jj < m) CI[p++] = (int)(ii * m + jj);
            }
        }
    RP[NV] = (int)p;
    NNZ = p;
    KE = bench_xmalloc(sizeof(double) * 9 * NE);
    MAP = bench_xmalloc(sizeof(int) * 9 * NE);
    for (long e = 0; e < NE; e++) {
        int *v = TRI + 3 * e;
        double x0 = px[v[0]], y0 = py[v[0]], x1 = px[v[1]], y1 = py[v[1]], x2 = px[v[2]], y2 = py[v[2]];
        double det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
        double area = 0.5 * fabs(det);
        /* gradients of the barycentric functions */
        double gx[3] = {(y1 - y2) / det, (y2 - y0) / det, (y0 - y1) / det};
        double gy[3] = {(x2 - x1) / det, (x0 - x2) / det, (x1 - x0) / det};
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                KE[9 * e + 3 * a + b] = area * (gx[a] * gx[b] + gy[a] * gy[b]);
                int slot = -1;
                for (int q = RP[v[a]]; q < RP[v[a] + 1]; q++)
                    if (CI[q] == v[b]) slot = q;
                if (slot < 0) {
                    fprintf(stderr, "fem: pattern misses (%d, %d)\n", v[a], v[b]);
                    return 1;
                }
                MAP[9 * e + 3 * a + b] = slot;
            }
    }
    free(px);
    free(py);
    F = bench_xmalloc(sizeof(double) * NV);
    for (long v = 0; v < NV; v++) F[v] = h * h * (1 + bench_urand(73, v));
    X = bench_xmalloc(sizeof(double) * (NE + NV));
    bench_fill(X, NE, 74, -0.5, 0.5);
    bench_fill(X + NE, NV, 75, -1, 1);
    info->nparams = NE + NV;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld ne=%ld nnz=%ld", N, NE, NNZ);
    info->size_metric = (double)NE;
    info->fd_step = 1e-5;
    return 0;
}
double bench_primal(void) { return fem(NE, NV, NNZ, TRI, KE, MAP, RP, CI, F, 1.0 / (N * N), X, X + NE); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (NE + NV));
    __enzyme_autodiff((void *)fem, enzyme_const, NE, enzyme_const, NV, enzyme_const, NNZ, enzyme_const, TRI,
                      enzyme_const, KE, enzyme_const, MAP, enzyme_const, RP, enzyme_const, CI, enzyme_const, F,
                      enzyme_const, 1.0 / (N * N), enzyme_dup, X, g, enzyme_dup, X + NE, g + NE);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (NE + NV));
    fem_hand(NE, NV, TRI, KE, F, 1.0 / (N * N), X, X + NE, g, g + NE);
}
