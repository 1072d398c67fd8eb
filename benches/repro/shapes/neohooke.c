/* neohooke: hyperelastic energy of a 2-D triangle mesh (compressible neo-Hookean), a regular grid of
 * nx x ny vertices cut into 2 (nx-1)(ny-1) triangles listed by int connectivity. Per triangle: the
 * deformed edge matrix Ds (gathered vertices), F = Ds Dm^-1 (Dm^-1 and the rest area precomputed,
 * fixed), J = det F, psi = mu/2 (tr F^T F - 2) - mu log J + lam/2 (log J)^2, E = sum area psi, plus a
 * gravity term sum rho y_v. Params: vertex positions (2 per vertex). Sizes: nx ny.
 * Hand adjoint: P = mu (F - F^-T) + lam log J F^-T, H = area P Dm^-T, scattered to the three vertices. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "neohooke";
static long NX, NY, NV, NT;
static double *X, *DMI, *AREA;
static int *TRI;
#define MU 1.0
#define LAM 4.0
#define RHO 0.01

__attribute__((noinline)) double neohooke(long nt, long nv, const int *restrict tri, const double *restrict dmi,
                                          const double *restrict area, const double *restrict x) {
    double e = 0;
    for (long t = 0; t < nt; t++) {
        int a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
        double d00 = x[2 * b] - x[2 * a], d10 = x[2 * b + 1] - x[2 * a + 1];
        double d01 = x[2 * c] - x[2 * a], d11 = x[2 * c + 1] - x[2 * a + 1];
        const double *m = dmi + 4 * t;
        double f00 = d00 * m[0] + d01 * m[2], f01 = d00 * m[1] + d01 * m[3];
        double f10 = d10 * m[0] + d11 * m[2], f11 = d10 * m[1] + d11 * m[3];
        double J = f00 * f11 - f01 * f10;
        double lj = log(J);
        double i1 = f00 * f00 + f01 * f01 + f10 * f10 + f11 * f11;
        e += area[t] * (0.5 * MU * (i1 - 2) - MU * lj + 0.5 * LAM * lj * lj);
    }
    for (long v = 0; v < nv; v++) e += RHO * x[2 * v + 1];
    return e;
}

__attribute__((noinline)) void neohooke_hand(long nt, long nv, const int *restrict tri, const double *restrict dmi,
                                             const double *restrict area, const double *restrict x, double *restrict g) {
    for (long t = 0; t < nt; t++) {
        int a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
        double d00 = x[2 * b] - x[2 * a], d10 = x[2 * b + 1] - x[2 * a + 1];
        double d01 = x[2 * c] - x[2 * a], d11 = x[2 * c + 1] - x[2 * a + 1];
        const double *m = dmi + 4 * t;
        double f00 = d00 * m[0] + d01 * m[2], f01 = d00 * m[1] + d01 * m[3];
        double f10 = d10 * m[0] + d11 * m[2], f11 = d10 * m[1] + d11 * m[3];
        double J = f00 * f11 - f01 * f10;
        double lj = log(J);
        /* F^-T = [f11 -f10; -f01 f00] / J */
        double s = (LAM * lj - MU) / J;
        double p00 = MU * f00 + s * f11, p01 = MU * f01 - s * f10;
        double p10 = MU * f10 - s * f01, p11 = MU * f11 + s * f00;
        double ar = area[t];
        /* H = area P Dm^-T: dD_kl = sum_q P_kq m_lq */
        double h00 = ar * (p00 * m[0] + p01 * m[1]), h01 = ar * (p00 * m[2] + p01 * m[3]);
        double h10 = ar * (p10 * m[0] + p11 * m[1]), h11 = ar * (p10 * m[2] + p11 * m[3]);
        g[2 * b] += h00;
        g[2 * b + 1] += h10;
        g[2 * c] += h01;
        g[2 * c + 1] += h11;
        g[2 * a] -= h00 + h01;
        g[2 * a + 1] -= h10 + h11;
    }
    for (long v = 0; v < nv; v++) g[2 * v + 1] += RHO;
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    NX = nsizes > 0 ? sizes[0] : 400;
    NY = nsizes > 1 ? sizes[1] : 400;
    NV = NX * NY;
    NT = 2 * (NX - 1) * (NY - 1);
    X = bench_xmalloc(sizeof(double) * 2 * NV);
    TRI = bench_xmalloc(sizeof(int) * 3 * NT);
    DMI = bench_xmalloc(sizeof(double) * 4 * NT);
    AREA = bench_xmalloc(sizeof(double) * NT);
    double h = 1.0 / (NX - 1);
    double *rest = bench_xmalloc(sizeof(double) * 2 * NV);
    for (long j = 0; j < NY; j++)
        for (long i = 0; i < NX; i++) {
            long v = j * NX + i;
            /* rest: slightly irregular grid; deformed: a shear and a stretch plus noise, J stays > 0 */
            rest[2 * v] = h * (i + 0.2 * (bench_urand(401, 2 * v) - 0.5));
            rest[2 * v + 1] = h * (j + 0.2 * (bench_urand(401, 2 * v + 1) - 0.5));
            X[2 * v] = 1.1 * rest[2 * v] + 0.2 * rest[2 * v + 1] + 0.05 * h * (bench_urand(402, 2 * v) - 0.5);
            X[2 * v + 1] = 0.95 * rest[2 * v + 1] + 0.05 * h * (bench_urand(402, 2 * v + 1) - 0.5);
        }
    long t = 0;
    for (long j = 0; j + 1 < NY; j++)
        for (long i = 0; i + 1 < NX; i++) {
            int v00 = (int)(j * NX + i), v10 = v00 + 1, v01 = v00 + (int)NX, v11 = v01 + 1;
            int tris[2][3] = {{v00, v10, v11}, {v00, v11, v01}};
            for (int q = 0; q < 2; q++, t++) {
                for (int k = 0; k < 3; k++) TRI[3 * t + k] = tris[q][k];
                int a = tris[q][0], b = tris[q][1], c = tris[q][2];
                double e00 = rest[2 * b] - rest[2 * a], e10 = rest[2 * b + 1] - rest[2 * a + 1];
                double e01 = rest[2 * c] - rest[2 * a], e11 = rest[2 * c + 1] - rest[2 * a + 1];
                double det = e00 * e11 - e01 * e10;
                DMI[4 * t] = e11 / det;
                DMI[4 * t + 1] = -e01 / det;
                DMI[4 * t + 2] = -e10 / det;
                DMI[4 * t + 3] = e00 / det;
                AREA[t] = 0.5 * fabs(det);
            }
        }
    free(rest);
    info->nparams = 2 * NV;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "nx=%ld ny=%ld", NX, NY);
    info->size_metric = (double)NT;
    /* E sums 3e5 elements, each coordinate moves 6: rounding of the sum limits central differences
     * to about 1e-4 here (at nx = ny = 20 hand vs FD agree to 1e-6) */
    info->fd_step = 1e-6;
    info->fd_rtol = 1e-3;
    return 0;
}
double bench_primal(void) { return neohooke(NT, NV, TRI, DMI, AREA, X); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * NV);
    __enzyme_autodiff((void *)neohooke, enzyme_const, NT, enzyme_const, NV, enzyme_const, TRI, enzyme_const, DMI,
                      enzyme_const, AREA, enzyme_dup, X, g);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * NV);
    neohooke_hand(NT, NV, TRI, DMI, AREA, X, g);
}
