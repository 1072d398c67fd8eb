/*
 * omp_stencil — explicit time stepping of the 1-D nonlinear heat equation of stencil.c with
 * each step an OpenMP parallel loop (issue 17). A parallel step cannot update in place, so it
 * is a Jacobi step from u into v, then the buffers swap:
 *
 *   v_i = u_i + r (u_{i-1} - 2 u_i + u_{i+1}) - dt kappa u_i^3,  i = 1..n-2;  v_0, v_{n-1} fixed
 *
 * Objective: f = 0.5 sum_i u_i(T)^2 (a parallel reduction). Parameters: u(0) (n) and kappa.
 * Sizes: n T. Neighbouring iterations read the same u_i, so the derivative's reverse sweep
 * accumulates their adjoints with atomic adds; the hand-written adjoint is the transposed
 * stencil as a gather (each thread writes only its own elements, no atomics), parallel too,
 * with the states of all steps kept (8 n T bytes, as the derivative's tape).
 * Build: -fopenmp; threads from OMP_NUM_THREADS (benches/openmp.sh runs 1 and 2).
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "omp_stencil";

static long N, T;
static double *X;      /* u0[n], kappa */
static double *U, *V;  /* work buffers */
static const double R = 0.25, DT = 0.01;

__attribute__((noinline)) double heat_omp(double *restrict u, double *restrict v, long n, long steps,
                                          const double *restrict kappa) {
    double k = kappa[0];
    v[0] = u[0];
    v[n - 1] = u[n - 1];
    for (long t = 0; t < steps; t++) {
#pragma omp parallel for schedule(static)
        for (long i = 1; i < n - 1; i++) {
            double c = u[i];
            v[i] = c + R * (u[i - 1] - 2 * c + u[i + 1]) - DT * k * c * c * c;
        }
        double *w = u;
        u = v;
        v = w;
    }
    double f = 0;
#pragma omp parallel for reduction(+ : f) schedule(static)
    for (long i = 0; i < n; i++)
        f += u[i] * u[i];
    return 0.5 * f;
}

__attribute__((noinline)) void heat_grad_hand_omp(const double *restrict u0, long n, long steps,
                                                  const double *restrict kappa, double *restrict du,
                                                  double *restrict dkappa, double *restrict states) {
    double k = kappa[0];
    memcpy(states, u0, sizeof(double) * n);
    for (long t = 0; t < steps; t++) {
        const double *u = states + t * n;
        double *v = states + (t + 1) * n;
        v[0] = u[0];
        v[n - 1] = u[n - 1];
#pragma omp parallel for schedule(static)
        for (long i = 1; i < n - 1; i++) {
            double c = u[i];
            v[i] = c + R * (u[i - 1] - 2 * c + u[i + 1]) - DT * k * c * c * c;
        }
    }
    double *a = malloc(sizeof(double) * n), *b = malloc(sizeof(double) * n);
    memcpy(a, states + steps * n, sizeof(double) * n); /* df/du(T) = u(T) */
    double dk = 0;
    for (long t = steps - 1; t >= 0; t--) {
        const double *u = states + t * n;
        /* b_i = sum over outputs j of a_j dv_j/du_i: v_0 = u_0, v_{n-1} = u_{n-1} */
#pragma omp parallel for schedule(static) reduction(+ : dk)
        for (long i = 0; i < n; i++) {
            double s = 0;
            if (i == 0 || i == n - 1) s += a[i];
            else {
                double c = u[i];
                s += a[i] * (1 - 2 * R - 3 * DT * k * c * c);
                dk -= a[i] * DT * c * c * c;
            }
            if (i - 1 >= 1 && i - 1 <= n - 2) s += R * a[i - 1];
            if (i + 1 >= 1 && i + 1 <= n - 2) s += R * a[i + 1];
            b[i] = s;
        }
        double *w = a;
        a = b;
        b = w;
    }
    for (long i = 0; i < n; i++) du[i] += a[i];
    dkappa[0] += dk;
    free(a);
    free(b);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 1000;
    T = nsizes > 1 ? sizes[1] : 100;
    if (N < 3 || T < 1) return 1;
    X = bench_xmalloc(sizeof(double) * (N + 1));
    U = bench_xmalloc(sizeof(double) * N);
    V = bench_xmalloc(sizeof(double) * N);
    bench_fill(X, N, 71, -1, 1);
    X[N] = 1.0; /* kappa */
    info->nparams = N + 1;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld T=%ld", N, T);
    info->size_metric = (double)N * (double)T;
    info->min_tape_bytes = 8.0 * N * T;
    info->fd_coords = 40;
    return 0;
}

double bench_primal(void) {
    memcpy(U, X, sizeof(double) * N);
    return heat_omp(U, V, N, T, X + N);
}

void bench_grad_ferment(double *g) {
    memcpy(U, X, sizeof(double) * N);
    memset(g, 0, sizeof(double) * (N + 1));
    double *dv = calloc(N, sizeof(double));
    /* the shadow of u receives d f / d u(0); v is scratch (its shadow too) */
    __enzyme_autodiff((void *)heat_omp, enzyme_dup, U, g, enzyme_dup, V, dv, enzyme_const, N, enzyme_const, T,
                      enzyme_dup, X + N, g + N);
    free(dv);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (N + 1));
    double *states = malloc(sizeof(double) * N * (T + 1));
    heat_grad_hand_omp(X, N, T, X + N, g, g + N, states);
    free(states);
}
