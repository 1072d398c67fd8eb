/*
 * omp_particles — the Lennard-Jones energy of particles.c (N particles, all pairs inside a
 * cutoff) with the pair loop shared among OpenMP threads (issue 17):
 *   #pragma omp parallel for reduction(+:e) schedule(dynamic, 16)   over i, j > i inside.
 * Every iteration reads the positions of all later particles, so the derivative's reverse
 * sweep accumulates position adjoints from all threads into shared memory (atomic adds).
 * Hand-written adjoint, parallel too: each thread owns the gradient of its own particles and
 * visits every pair twice (once from each end), so it needs no atomics.
 * Build: -fopenmp; the thread count comes from OMP_NUM_THREADS (benches/openmp.sh runs 1 and
 * 2). Parameters: the positions x (3N). Size argument: N.
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *bench_name = "omp_particles";

static long N;
static double *X;
#define RC2 (2.5 * 2.5)

__attribute__((noinline)) double lj_energy_omp(const double *restrict x, long n) {
    double e = 0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 16)
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

__attribute__((noinline)) void lj_grad_hand_omp(const double *restrict x, long n, double *restrict g) {
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < n; i++) {
        double xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2];
        double gx = 0, gy = 0, gz = 0;
        for (long j = 0; j < n; j++) {
            if (j == i) continue;
            double dx = xi - x[3 * j], dy = yi - x[3 * j + 1], dz = zi - x[3 * j + 2];
            double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 < RC2) {
                double s2 = 1.0 / r2;
                double s6 = s2 * s2 * s2;
                double c = 2.0 * (-12.0 * s6 * s2 * (2.0 * s6 - 1.0)); /* 2 de/du, u = r^2 */
                gx += c * dx;
                gy += c * dy;
                gz += c * dz;
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
    /* the reduction's summation order follows the dynamic schedule, which changes from run to
       run: the finite differences of the primal carry that rounding noise (about 1e-5 relative
       at N = 2000 with two threads) */
    info->fd_rtol = 1e-4;
    return 0;
}

double bench_primal(void) { return lj_energy_omp(X, N); }

void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 3 * N);
    __enzyme_autodiff((void *)lj_energy_omp, enzyme_dup, X, g, enzyme_const, N);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 3 * N);
    lj_grad_hand_omp(X, N, g);
}
