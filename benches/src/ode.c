/*
 * ode — classical RK4 integration of a small nonlinear system over many steps.
 *
 *   y' = F(y; k),  F_i(y) = k_i (1 + sin(y_{i+1})) - y_i^3     (indices mod D)
 *
 * (cubic damping keeps the trajectory bounded; the sin coupling makes the
 * Jacobian non-trivial). S steps of size h = 10/S from y(0) = y0.
 * Objective: f = sum_i (y_i(T) - target_i)^2.
 * Parameters (flat): y0[D], then k[D]. Sizes: D S.
 *
 * Hand-written adjoint: the forward sweep stores the state at every step
 * (S x D doubles, the minimum for a non-checkpointed reverse sweep); the
 * reverse sweep recomputes the four stages of each step from the stored
 * state and pulls the adjoint back through them (vector-Jacobian products of
 * F with respect to y and k).
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "ode";

static long D, S;
static double *X;      /* y0 then k */
static double *target; /* D */

static void rhs(long d, const double *restrict y, const double *restrict k, double *restrict out) {
    for (long i = 0; i < d; i++) {
        long n = i + 1 == d ? 0 : i + 1;
        out[i] = k[i] * (1 + sin(y[n])) - y[i] * y[i] * y[i];
    }
}

__attribute__((noinline)) double ode_objective(long d, long steps, const double *restrict y0,
                                               const double *restrict k, const double *restrict target) {
    double h = 10.0 / (double)steps;
    double *y = malloc(sizeof(double) * d);
    double *tmp = malloc(sizeof(double) * d);
    double *k1 = malloc(sizeof(double) * d), *k2 = malloc(sizeof(double) * d);
    double *k3 = malloc(sizeof(double) * d), *k4 = malloc(sizeof(double) * d);
    for (long i = 0; i < d; i++) y[i] = y0[i];
    for (long s = 0; s < steps; s++) {
        rhs(d, y, k, k1);
        for (long i = 0; i < d; i++) tmp[i] = y[i] + 0.5 * h * k1[i];
        rhs(d, tmp, k, k2);
        for (long i = 0; i < d; i++) tmp[i] = y[i] + 0.5 * h * k2[i];
        rhs(d, tmp, k, k3);
        for (long i = 0; i < d; i++) tmp[i] = y[i] + h * k3[i];
        rhs(d, tmp, k, k4);
        for (long i = 0; i < d; i++) y[i] += h / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
    double f = 0;
    for (long i = 0; i < d; i++) f += (y[i] - target[i]) * (y[i] - target[i]);
    free(y);
    free(tmp);
    free(k1);
    free(k2);
    free(k3);
    free(k4);
    return f;
}

/* dy += J_y(y)^T a,  dk += J_k(y)^T a  for F at y */
static void rhs_vjp(long d, const double *restrict y, const double *restrict k, const double *restrict a,
                    double *restrict dy, double *restrict dk) {
    for (long i = 0; i < d; i++) {
        long n = i + 1 == d ? 0 : i + 1;
        dk[i] += a[i] * (1 + sin(y[n]));
        dy[n] += a[i] * k[i] * cos(y[n]);
        dy[i] -= 3 * a[i] * y[i] * y[i];
    }
}

__attribute__((noinline)) void ode_grad_hand(long d, long steps, const double *restrict y0,
                                             const double *restrict k, const double *restrict target,
                                             double *restrict dy0, double *restrict dk) {
    double h = 10.0 / (double)steps;
    double *traj = malloc(sizeof(double) * d * (steps + 1));
    double *k1 = malloc(sizeof(double) * d), *k2 = malloc(sizeof(double) * d);
    double *k3 = malloc(sizeof(double) * d), *k4 = malloc(sizeof(double) * d);
    double *y1 = malloc(sizeof(double) * d), *y2 = malloc(sizeof(double) * d), *y3 = malloc(sizeof(double) * d);
    double *a = malloc(sizeof(double) * d), *ak1 = malloc(sizeof(double) * d), *ak2 = malloc(sizeof(double) * d);
    double *ak3 = malloc(sizeof(double) * d), *ak4 = malloc(sizeof(double) * d), *g = malloc(sizeof(double) * d);
    for (long i = 0; i < d; i++) traj[i] = y0[i];
    for (long s = 0; s < steps; s++) {
        const double *y = traj + s * d;
        double *yn = traj + (s + 1) * d;
        rhs(d, y, k, k1);
        for (long i = 0; i < d; i++) y1[i] = y[i] + 0.5 * h * k1[i];
        rhs(d, y1, k, k2);
        for (long i = 0; i < d; i++) y2[i] = y[i] + 0.5 * h * k2[i];
        rhs(d, y2, k, k3);
        for (long i = 0; i < d; i++) y3[i] = y[i] + h * k3[i];
        rhs(d, y3, k, k4);
        for (long i = 0; i < d; i++) yn[i] = y[i] + h / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
    const double *yT = traj + steps * d;
    for (long i = 0; i < d; i++) a[i] = 2 * (yT[i] - target[i]);
    for (long s = steps - 1; s >= 0; s--) {
        const double *y = traj + s * d;
        /* recompute the stages */
        rhs(d, y, k, k1);
        for (long i = 0; i < d; i++) y1[i] = y[i] + 0.5 * h * k1[i];
        rhs(d, y1, k, k2);
        for (long i = 0; i < d; i++) y2[i] = y[i] + 0.5 * h * k2[i];
        rhs(d, y2, k, k3);
        for (long i = 0; i < d; i++) y3[i] = y[i] + h * k3[i];
        /* y' = y + h/6 (k1 + 2 k2 + 2 k3 + k4): a is the adjoint of y' */
        for (long i = 0; i < d; i++) {
            ak1[i] = h / 6.0 * a[i];
            ak2[i] = h / 3.0 * a[i];
            ak3[i] = h / 3.0 * a[i];
            ak4[i] = h / 6.0 * a[i];
            g[i] = 0;
        }
        /* k4 = F(y3), y3 = y + h k3 */
        rhs_vjp(d, y3, k, ak4, g, dk);
        for (long i = 0; i < d; i++) {
            a[i] += g[i];
            ak3[i] += h * g[i];
            g[i] = 0;
        }
        /* k3 = F(y2), y2 = y + h/2 k2 */
        rhs_vjp(d, y2, k, ak3, g, dk);
        for (long i = 0; i < d; i++) {
            a[i] += g[i];
            ak2[i] += 0.5 * h * g[i];
            g[i] = 0;
        }
        /* k2 = F(y1), y1 = y + h/2 k1 */
        rhs_vjp(d, y1, k, ak2, g, dk);
        for (long i = 0; i < d; i++) {
            a[i] += g[i];
            ak1[i] += 0.5 * h * g[i];
            g[i] = 0;
        }
        /* k1 = F(y) */
        rhs_vjp(d, y, k, ak1, a, dk);
    }
    for (long i = 0; i < d; i++) dy0[i] += a[i];
    free(traj);
    free(k1); free(k2); free(k3); free(k4);
    free(y1); free(y2); free(y3);
    free(a); free(ak1); free(ak2); free(ak3); free(ak4); free(g);
}

/* ---------------- bench interface ---------------- */
int bench_init(int nsizes, const long *sizes, bench_info *info) {
    D = nsizes > 0 ? sizes[0] : 16;
    S = nsizes > 1 ? sizes[1] : 10000;
    if (D < 2 || S < 1) return 1;
    X = bench_xmalloc(sizeof(double) * 2 * D);
    target = bench_xmalloc(sizeof(double) * D);
    bench_fill(X, D, 51, -1, 1);         /* y0 */
    bench_fill(X + D, D, 52, 0.5, 1.5);  /* k  */
    bench_fill(target, D, 53, 0.5, 1.2);
    info->nparams = 2 * D;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "D=%ld steps=%ld", D, S);
    info->size_metric = (double)S;
    info->min_tape_bytes = 8.0 * D * S; /* one copy of the state per step */
    info->fd_coords = 2 * D;
    return 0;
}

double bench_primal(void) { return ode_objective(D, S, X, X + D, target); }

void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 2 * D);
    __enzyme_autodiff((void *)ode_objective, enzyme_const, D, enzyme_const, S, enzyme_dup, X, g, enzyme_dup, X + D,
                      g + D, enzyme_const, target);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 2 * D);
    ode_grad_hand(D, S, X, X + D, target, g, g + D);
}
