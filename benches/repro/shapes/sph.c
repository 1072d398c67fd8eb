/* sph: a smoothed-particle-hydrodynamics energy in 2-D, two passes over all pairs with a cutoff:
 * pass 1 scatters the poly6 kernel (hs^2 - r^2)^3 into the densities rho_i (plus the self term),
 * then per particle the pressure term q_i = P_i / rho_i^2 with P_i = c (rho_i - rho0); pass 2 sums
 * (q_i + q_j) (hs - r)^2 over the pairs within the cutoff (r = sqrt(r^2)).
 * E = pass 2 + 0.5 c sum (rho_i - rho0)^2. Params: positions (x, y interleaved, 2 N). Sizes: N.
 * Hand adjoint: rho, q kept; pass 2 reversed (qbar_i, the spiky kernel's partial along r), then
 * rhobar_i = c (rho_i - rho0) + qbar_i dq/drho, then pass 1 reversed. */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "sph";
static long N;
static double *X;
static const double HS = 0.05, C = 1e-3, RHO0 = 1.0, MASS = 4e5;

__attribute__((noinline)) double sph(long n, const double *restrict p) {
    double *rho = malloc(sizeof(double) * n), *q = malloc(sizeof(double) * n);
    const double h2 = HS * HS;
    for (long i = 0; i < n; i++) rho[i] = MASS * h2 * h2 * h2;
    for (long i = 0; i < n; i++)
        for (long j = i + 1; j < n; j++) {
            double dx = p[2 * i] - p[2 * j], dy = p[2 * i + 1] - p[2 * j + 1];
            double r2 = dx * dx + dy * dy;
            if (r2 < h2) {
                double w = h2 - r2;
                w = MASS * w * w * w;
                rho[i] += w;
                rho[j] += w;
            }
        }
    double E = 0;
    for (long i = 0; i < n; i++) {
        double P = C * (rho[i] - RHO0);
        q[i] = P / (rho[i] * rho[i]);
        E += 0.5 * C * (rho[i] - RHO0) * (rho[i] - RHO0);
    }
    for (long i = 0; i < n; i++)
        for (long j = i + 1; j < n; j++) {
            double dx = p[2 * i] - p[2 * j], dy = p[2 * i + 1] - p[2 * j + 1];
            double r2 = dx * dx + dy * dy;
            if (r2 < h2) {
                double s = HS - sqrt(r2);
                E += (q[i] + q[j]) * s * s;
            }
        }
    free(rho);
    free(q);
    return E;
}

__attribute__((noinline)) void sph_hand(long n, const double *restrict p, double *restrict pb) {
    double *rho = malloc(sizeof(double) * n), *q = malloc(sizeof(double) * n);
    double *qb = calloc(n, sizeof(double)), *rb = malloc(sizeof(double) * n);
    const double h2 = HS * HS;
    for (long i = 0; i < n; i++) rho[i] = MASS * h2 * h2 * h2;
    for (long i = 0; i < n; i++)
        for (long j = i + 1; j < n; j++) {
            double dx = p[2 * i] - p[2 * j], dy = p[2 * i + 1] - p[2 * j + 1];
            double r2 = dx * dx + dy * dy;
            if (r2 < h2) {
                double w = h2 - r2;
                w = MASS * w * w * w;
                rho[i] += w;
                rho[j] += w;
            }
        }
    for (long i = 0; i < n; i++) q[i] = C * (rho[i] - RHO0) / (rho[i] * rho[i]);
    /* pass 2 reversed: d/dr of (hs - r)^2 is -2 (hs - r); dr/ddx = dx / r */
    for (long i = 0; i < n; i++)
        for (long j = i + 1; j < n; j++) {
            double dx = p[2 * i] - p[2 * j], dy = p[2 * i + 1] - p[2 * j + 1];
            double r2 = dx * dx + dy * dy;
            if (r2 < h2) {
                double r = sqrt(r2), s = HS - r;
                qb[i] += s * s;
                qb[j] += s * s;
                double k = -2 * (q[i] + q[j]) * s / r;
                pb[2 * i] += k * dx, pb[2 * j] -= k * dx;
                pb[2 * i + 1] += k * dy, pb[2 * j + 1] -= k * dy;
            }
        }
    /* q = C (rho - rho0) / rho^2: dq/drho = C / rho^2 - 2 C (rho - rho0) / rho^3 */
    for (long i = 0; i < n; i++) {
        double r = rho[i];
        rb[i] = C * (r - RHO0) + qb[i] * (C / (r * r) - 2 * C * (r - RHO0) / (r * r * r));
    }
    /* pass 1 reversed: dw/dr2 = -3 MASS (h2 - r2)^2 */
    for (long i = 0; i < n; i++)
        for (long j = i + 1; j < n; j++) {
            double dx = p[2 * i] - p[2 * j], dy = p[2 * i + 1] - p[2 * j + 1];
            double r2 = dx * dx + dy * dy;
            if (r2 < h2) {
                double w = h2 - r2;
                double k = -3 * MASS * w * w * (rb[i] + rb[j]) * 2;
                pb[2 * i] += k * dx, pb[2 * j] -= k * dx;
                pb[2 * i + 1] += k * dy, pb[2 * j + 1] -= k * dy;
            }
        }
    free(rho), free(q), free(qb), free(rb);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 2000;
    X = bench_xmalloc(sizeof(double) * 2 * N);
    /* jittered grid in the unit square, spacing about 0.022 (about 13 neighbours within hs) */
    long side = (long)ceil(sqrt((double)N));
    for (long i = 0; i < N; i++) {
        double a = 1.0 / side;
        X[2 * i] = (i % side + 0.5) * a + 0.3 * a * (bench_urand(61, i) - 0.5);
        X[2 * i + 1] = (i / side + 0.5) * a + 0.3 * a * (bench_urand(62, i) - 0.5);
    }
    info->nparams = 2 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "N=%ld", N);
    info->size_metric = (double)N;
    info->fd_step = 1e-6;
    return 0;
}
double bench_primal(void) { return sph(N, X); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    __enzyme_autodiff((void *)sph, enzyme_const, N, enzyme_dup, X, g);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * N);
    sph_hand(N, X, g);
}
