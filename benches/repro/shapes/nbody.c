/* nbody: softened gravitational potential energy over all pairs,
 *   U = -sum_{i<j} m_i m_j / sqrt(|x_i - x_j|^2 + eps^2),
 * plus the kinetic energy 0.5 sum m_i |v_i|^2. Params: positions (3N), velocities (3N), masses (N).
 * Size: N. Hand adjoint: per pair s = (r^2 + eps^2)^{-1/2}: dU/dm_i = -m_j s, dU/dx_i = m_i m_j s^3 (x_i - x_j). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
const char *bench_name = "nbody";
static long N;
static double *X;
#define EPS2 0.01

__attribute__((noinline)) double nbody(long n, const double *restrict x, const double *restrict v,
                                       const double *restrict m) {
    double u = 0, k = 0;
    for (long i = 0; i < n; i++) {
        k += 0.5 * m[i] * (v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] + v[3 * i + 2] * v[3 * i + 2]);
        for (long j = i + 1; j < n; j++) {
            double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
            u -= m[i] * m[j] / sqrt(dx * dx + dy * dy + dz * dz + EPS2);
        }
    }
    return k + u;
}

__attribute__((noinline)) void nbody_hand(long n, const double *restrict x, const double *restrict v,
                                          const double *restrict m, double *restrict xb, double *restrict vb,
                                          double *restrict mb) {
    for (long i = 0; i < n; i++) {
        double v2 = v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] + v[3 * i + 2] * v[3 * i + 2];
        mb[i] += 0.5 * v2;
        for (int c = 0; c < 3; c++) vb[3 * i + c] += m[i] * v[3 * i + c];
        double gx = 0, gy = 0, gz = 0, gm = 0;
        for (long j = i + 1; j < n; j++) {
            double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
            double s = 1 / sqrt(dx * dx + dy * dy + dz * dz + EPS2);
            double w = m[i] * m[j] * s * s * s;
            gm -= m[j] * s;
            mb[j] -= m[i] * s;
            gx += w * dx; gy += w * dy; gz += w * dz;
            xb[3 * j] -= w * dx; xb[3 * j + 1] -= w * dy; xb[3 * j + 2] -= w * dz;
        }
        mb[i] += gm;
        xb[3 * i] += gx; xb[3 * i + 1] += gy; xb[3 * i + 2] += gz;
    }
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1000;
    X = bench_xmalloc(sizeof(double) * 7 * N);
    bench_fill(X, 3 * N, 81, -1, 1);
    bench_fill(X + 3 * N, 3 * N, 82, -0.1, 0.1);
    bench_fill(X + 6 * N, N, 83, 0.5, 1.5);
    info->nparams = 7 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    info->fd_step = 1e-5;
    return 0;
}
double bench_primal(void) { return nbody(N, X, X + 3 * N, X + 6 * N); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 7 * N);
    __enzyme_autodiff((void *)nbody, enzyme_const, N, enzyme_dup, X, g, enzyme_dup, X + 3 * N, g + 3 * N, enzyme_dup,
                      X + 6 * N, g + 6 * N);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 7 * N);
    nbody_hand(N, X, X + 3 * N, X + 6 * N, g, g + 3 * N, g + 6 * N);
}
