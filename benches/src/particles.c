/*
 * particles — Lennard-Jones energy of N particles over all pairs inside a cutoff
 * (issue 19: a pair potential with a data-dependent branch).
 *   E(x) = sum_{i<j, r_ij^2 < rc^2} 4 (s6^2 - s6),  s6 = (1/r_ij^2)^3   (epsilon = sigma = 1)
 * Parameters: the positions x (3N: x0 y0 z0 x1 ...). Size argument: N.
 * Positions: a cubic lattice of spacing 1.2 with a uniform jitter of +-0.1 per coordinate
 * (no two particles closer than ~1.0), cutoff rc = 2.5 (about 37 neighbours inside the
 * lattice), so the energy and forces stay moderate; finite differences with h = 1e-6 never
 * move a pair across the cutoff.
 * Hand-written adjoint: with u = r^2, e(u) = 4 (u^-6 - u^-3), de/du = -12 s6 s2 (2 s6 - 1)
 * (s2 = 1/u), and du/dx_i = 2 (x_i - x_j) = -du/dx_j: the same pair loop, accumulating
 * forces instead of the energy.
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *bench_name = "particles";

static long N;
static double *X;
#define RC2 (2.5 * 2.5)

__attribute__((noinline)) double lj_energy(const double *restrict x, long n) {
    double e = 0;
    for (long i = 0; i < n; i++) {
        double xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2];
        for (long j = i + 1; j < n; j++) {
            double dx = xi - x[3 * j], dy = yi - x[3 * j + 1], dz = zi - x[3 * j + 2];
            double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 < RC2) {
                double s2 = 1.0 / r2;
                double s6 = s2 * s2 * s2;
                e += 4.0 * (s6 * s6 - s6);
            }
        }
    }
    return e;
}

__attribute__((noinline)) void lj_grad_hand(const double *restrict x, long n, double *restrict g) {
    for (long i = 0; i < n; i++) {
        double xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2];
        double gx = 0, gy = 0, gz = 0;
        for (long j = i + 1; j < n; j++) {
            double dx = xi - x[3 * j], dy = yi - x[3 * j + 1], dz = zi - x[3 * j + 2];
            double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 < RC2) {
                double s2 = 1.0 / r2;
                double s6 = s2 * s2 * s2;
                double c = 2.0 * (-12.0 * s6 * s2 * (2.0 * s6 - 1.0)); /* 2 de/du */
                gx += c * dx;
                gy += c * dy;
                gz += c * dz;
                g[3 * j] -= c * dx;
                g[3 * j + 1] -= c * dy;
                g[3 * j + 2] -= c * dz;
            }
        }
        g[3 * i] += gx;
        g[3 * i + 1] += gy;
        g[3 * i + 2] += gz;
    }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1000;
    if (N < 2) return 1;
    X = bench_xmalloc(sizeof(double) * 3 * N);
    long side = (long)ceil(cbrt((double)N));
    for (long p = 0; p < N; p++) {
        long c[3] = {p % side, (p / side) % side, p / (side * side)};
        for (int d = 0; d < 3; d++)
            X[3 * p + d] = 1.2 * (double)c[d] + 0.2 * (bench_urand(31, 3 * p + d) - 0.5);
    }
    info->nparams = 3 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "N=%ld", N);
    info->size_metric = (double)N;
    return 0;
}

double bench_primal(void) { return lj_energy(X, N); }

void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 3 * N);
    __enzyme_autodiff((void *)lj_energy, enzyme_dup, X, g, enzyme_const, N);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 3 * N);
    lj_grad_hand(X, N, g);
}
