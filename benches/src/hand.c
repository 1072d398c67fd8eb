/*
 * hand — a SIMPLIFIED hand-tracking objective (ADBench's "Hand" fits a
 * skinned hand mesh to observed points). Written here from the math.
 *
 * Simplification, stated plainly: a kinematic tree of nb bones (parent[j] < j)
 * whose pose is 3 Euler angles per bone, R_j = Rz(c) Ry(b) Rx(a), plus a
 * global translation; the rest pose has identity rotations (no base
 * rotations, no angle-axis global rotation, no per-finger parameter
 * sharing), linear-blend skinning with a dense weight matrix, and all mesh
 * vertices as correspondences (no correspondence search). ADBench computes
 * the Jacobian of the residuals; here the scalar objective
 *   f = 0.5 sum_i | v'_i - target_i |^2
 * is differentiated (its gradient is J^T r).
 *
 * Forward kinematics: A_root = R_0,  t_root = T + o_0;
 *   A_j = A_p R_j,  t_j = A_p o_j + t_p   (o_j: the bone's rest offset)
 * Skinning: v'_i = sum_j W_ij (A_j (v_i - b_j) + t_j), b_j the rest joint.
 * Parameters (flat): angles[nb][3], then T[3]. Sizes: nbones nverts.
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "hand";

static long NB, NV;
static double *X;                 /* angles (3 NB) then T (3) */
static int *parent;               /* NB */
static double *offs, *restj;      /* NB x 3: rest offsets, rest joint positions */
static double *verts, *weights, *targets; /* NV x 3, NV x NB, NV x 3 */

/* ---------------- primal ---------------- */
static void euler_to_matrix(const double *th, double *R) {
    double ca = cos(th[0]), sa = sin(th[0]), cb = cos(th[1]), sb = sin(th[1]), cc = cos(th[2]),
           sc = sin(th[2]);
    /* R = Rz(c) Ry(b) Rx(a) */
    R[0] = cc * cb;
    R[1] = cc * sb * sa - sc * ca;
    R[2] = cc * sb * ca + sc * sa;
    R[3] = sc * cb;
    R[4] = sc * sb * sa + cc * ca;
    R[5] = sc * sb * ca - cc * sa;
    R[6] = -sb;
    R[7] = cb * sa;
    R[8] = cb * ca;
}

static void matmul3(const double *A, const double *B, double *C) {
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) C[3 * r + c] = A[3 * r] * B[c] + A[3 * r + 1] * B[3 + c] + A[3 * r + 2] * B[6 + c];
}

__attribute__((noinline)) double hand_objective(long nb, long nv, const double *restrict theta,
                                                const double *restrict trans, const int *restrict parent,
                                                const double *restrict offs, const double *restrict restj,
                                                const double *restrict verts, const double *restrict weights,
                                                const double *restrict targets) {
    /* Slot 0 of A and t is the world frame (identity, translation T); bone j
     * lives in slot j + 1 and its parent in slot parent[j] + 1, so the root is
     * not a special case. (Written this way to avoid a ferment limitation:
     * benches/repro/phi_const_active_ptr.c. The math is unchanged.) */
    double *R = malloc(sizeof(double) * 9 * nb);
    double *A = malloc(sizeof(double) * 9 * (nb + 1));
    double *t = malloc(sizeof(double) * 3 * (nb + 1));
    for (int k = 0; k < 9; k++) A[k] = (k % 4 == 0);
    for (int k = 0; k < 3; k++) t[k] = trans[k];
    for (long j = 0; j < nb; j++) {
        euler_to_matrix(theta + 3 * j, R + 9 * j);
        long p = parent[j] + 1;
        const double *o = offs + 3 * j;
        matmul3(A + 9 * p, R + 9 * j, A + 9 * (j + 1));
        for (int r = 0; r < 3; r++)
            t[3 * (j + 1) + r] = A[9 * p + 3 * r] * o[0] + A[9 * p + 3 * r + 1] * o[1] +
                                 A[9 * p + 3 * r + 2] * o[2] + t[3 * p + r];
    }
    double err = 0;
    for (long i = 0; i < nv; i++) {
        double v[3] = {0, 0, 0};
        for (long j = 0; j < nb; j++) {
            double wij = weights[i * nb + j];
            double d0 = verts[3 * i] - restj[3 * j], d1 = verts[3 * i + 1] - restj[3 * j + 1],
                   d2 = verts[3 * i + 2] - restj[3 * j + 2];
            const double *a = A + 9 * (j + 1), *tj = t + 3 * (j + 1);
            for (int r = 0; r < 3; r++) v[r] += wij * (a[3 * r] * d0 + a[3 * r + 1] * d1 + a[3 * r + 2] * d2 + tj[r]);
        }
        for (int r = 0; r < 3; r++) {
            double e = v[r] - targets[3 * i + r];
            err += e * e;
        }
    }
    free(R);
    free(A);
    free(t);
    return 0.5 * err;
}

/* ---------------- hand-written adjoint ---------------- */
__attribute__((noinline)) void hand_grad_hand(long nb, long nv, const double *restrict theta,
                                              const double *restrict trans, const int *restrict parent,
                                              const double *restrict offs, const double *restrict restj,
                                              const double *restrict verts, const double *restrict weights,
                                              const double *restrict targets, double *restrict dtheta,
                                              double *restrict dtrans) {
    double *R = malloc(sizeof(double) * 9 * nb);
    double *A = malloc(sizeof(double) * 9 * nb);
    double *t = malloc(sizeof(double) * 3 * nb);
    double *dA = calloc(9 * nb, sizeof(double));
    double *dt = calloc(3 * nb, sizeof(double));
    for (long j = 0; j < nb; j++) {
        euler_to_matrix(theta + 3 * j, R + 9 * j);
        int p = parent[j];
        const double *o = offs + 3 * j;
        if (p < 0) {
            for (int k = 0; k < 9; k++) A[9 * j + k] = R[9 * j + k];
            for (int k = 0; k < 3; k++) t[3 * j + k] = trans[k] + o[k];
        } else {
            matmul3(A + 9 * p, R + 9 * j, A + 9 * j);
            for (int r = 0; r < 3; r++)
                t[3 * j + r] = A[9 * p + 3 * r] * o[0] + A[9 * p + 3 * r + 1] * o[1] + A[9 * p + 3 * r + 2] * o[2] +
                               t[3 * p + r];
        }
    }
    /* skinning: forward then adjoint, vertex by vertex */
    for (long i = 0; i < nv; i++) {
        double v[3] = {0, 0, 0};
        for (long j = 0; j < nb; j++) {
            double wij = weights[i * nb + j];
            double d0 = verts[3 * i] - restj[3 * j], d1 = verts[3 * i + 1] - restj[3 * j + 1],
                   d2 = verts[3 * i + 2] - restj[3 * j + 2];
            const double *a = A + 9 * j;
            for (int r = 0; r < 3; r++) v[r] += wij * (a[3 * r] * d0 + a[3 * r + 1] * d1 + a[3 * r + 2] * d2 + t[3 * j + r]);
        }
        double e[3] = {v[0] - targets[3 * i], v[1] - targets[3 * i + 1], v[2] - targets[3 * i + 2]};
        for (long j = 0; j < nb; j++) {
            double wij = weights[i * nb + j];
            double d[3] = {verts[3 * i] - restj[3 * j], verts[3 * i + 1] - restj[3 * j + 1],
                           verts[3 * i + 2] - restj[3 * j + 2]};
            for (int r = 0; r < 3; r++) {
                double we = wij * e[r];
                dt[3 * j + r] += we;
                for (int c = 0; c < 3; c++) dA[9 * j + 3 * r + c] += we * d[c];
            }
        }
    }
    /* forward kinematics, bones in reverse order */
    for (long j = nb - 1; j >= 0; j--) {
        int p = parent[j];
        const double *o = offs + 3 * j;
        double dR[9];
        if (p < 0) {
            for (int k = 0; k < 9; k++) dR[k] = dA[9 * j + k];
            for (int k = 0; k < 3; k++) dtrans[k] += dt[3 * j + k];
        } else {
            const double *Ap = A + 9 * p, *Rj = R + 9 * j, *dAj = dA + 9 * j;
            double *dAp = dA + 9 * p;
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++) {
                    /* A_j = A_p R_j:  dA_p += dA_j R_j^T,  dR_j = A_p^T dA_j */
                    dAp[3 * r + c] += dAj[3 * r] * Rj[3 * c] + dAj[3 * r + 1] * Rj[3 * c + 1] +
                                      dAj[3 * r + 2] * Rj[3 * c + 2];
                    dR[3 * r + c] = Ap[r] * dAj[c] + Ap[3 + r] * dAj[3 + c] + Ap[6 + r] * dAj[6 + c];
                    /* t_j = A_p o_j + t_p */
                    dAp[3 * r + c] += dt[3 * j + r] * o[c];
                }
            for (int r = 0; r < 3; r++) dt[3 * p + r] += dt[3 * j + r];
        }
        /* R = Z Y X (angles a, b, c) */
        const double *th = theta + 3 * j;
        double ca = cos(th[0]), sa = sin(th[0]), cb = cos(th[1]), sb = sin(th[1]), cc = cos(th[2]),
               sc = sin(th[2]);
        double Xm[9] = {1, 0, 0, 0, ca, -sa, 0, sa, ca}, Ym[9] = {cb, 0, sb, 0, 1, 0, -sb, 0, cb},
               Zm[9] = {cc, -sc, 0, sc, cc, 0, 0, 0, 1};
        double dX[9] = {0, 0, 0, 0, -sa, -ca, 0, ca, -sa}, dY[9] = {-sb, 0, cb, 0, 0, 0, -cb, 0, -sb},
               dZ[9] = {-sc, -cc, 0, cc, -sc, 0, 0, 0, 0};
        double ZY[9], YX[9], M[9];
        matmul3(Zm, Ym, ZY);
        matmul3(Ym, Xm, YX);
        double ga = 0, gb = 0, gc = 0;
        /* da = <dR, ZY X'>, dc = <dR, Z' YX>, db = <dR, Z Y' X> */
        matmul3(ZY, dX, M);
        for (int k = 0; k < 9; k++) ga += dR[k] * M[k];
        matmul3(dZ, YX, M);
        for (int k = 0; k < 9; k++) gc += dR[k] * M[k];
        double T1[9];
        matmul3(Zm, dY, T1);
        matmul3(T1, Xm, M);
        for (int k = 0; k < 9; k++) gb += dR[k] * M[k];
        dtheta[3 * j] += ga;
        dtheta[3 * j + 1] += gb;
        dtheta[3 * j + 2] += gc;
    }
    free(R);
    free(A);
    free(t);
    free(dA);
    free(dt);
}

/* ---------------- bench interface ---------------- */
int bench_init(int nsizes, const long *sizes, bench_info *info) {
    NB = nsizes > 0 ? sizes[0] : 22;
    NV = nsizes > 1 ? sizes[1] : 544;
    if (NB < 1 || NV < 1) return 1;
    long n = 3 * NB + 3;
    X = bench_xmalloc(sizeof(double) * n);
    parent = bench_xmalloc(sizeof(int) * NB);
    offs = bench_xmalloc(sizeof(double) * 3 * NB);
    restj = bench_xmalloc(sizeof(double) * 3 * NB);
    verts = bench_xmalloc(sizeof(double) * 3 * NV);
    weights = bench_xmalloc(sizeof(double) * NV * NB);
    targets = bench_xmalloc(sizeof(double) * 3 * NV);
    /* a wrist (bone 0) and chains of 4 bones ("fingers") hanging off it */
    for (long j = 0; j < NB; j++) parent[j] = j == 0 ? -1 : ((j - 1) % 4 == 0 ? 0 : (int)(j - 1));
    bench_fill(offs, 3 * NB, 41, -0.3, 0.3);
    for (long j = 0; j < NB; j++) offs[3 * j + 1] += 1.0; /* bones point along +y */
    for (long j = 0; j < NB; j++)
        for (int k = 0; k < 3; k++) restj[3 * j + k] = offs[3 * j + k] + (parent[j] < 0 ? 0 : restj[3 * parent[j] + k]);
    bench_fill(X, 3 * NB, 42, -0.4, 0.4);
    bench_fill(X + 3 * NB, 3, 43, -0.5, 0.5);
    bench_fill(verts, 3 * NV, 44, -2, 5);
    bench_fill(weights, NV * NB, 45, 0, 1);
    for (long i = 0; i < NV; i++) { /* each vertex mostly follows one bone */
        long main_bone = i % NB;
        weights[i * NB + main_bone] += 4;
        double s = 0;
        for (long j = 0; j < NB; j++) s += weights[i * NB + j];
        for (long j = 0; j < NB; j++) weights[i * NB + j] /= s;
    }
    bench_fill(targets, 3 * NV, 46, -2, 5);
    info->nparams = n;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "bones=%ld verts=%ld", NB, NV);
    info->size_metric = (double)NV;
    info->fd_coords = n;
    return 0;
}

double bench_primal(void) {
    return hand_objective(NB, NV, X, X + 3 * NB, parent, offs, restj, verts, weights, targets);
}

void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (3 * NB + 3));
    __enzyme_autodiff((void *)hand_objective, enzyme_const, NB, enzyme_const, NV, enzyme_dup, X, g, enzyme_dup,
                      X + 3 * NB, g + 3 * NB, enzyme_const, parent, enzyme_const, offs, enzyme_const, restj,
                      enzyme_const, verts, enzyme_const, weights, enzyme_const, targets);
}

void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (3 * NB + 3));
    hand_grad_hand(NB, NV, X, X + 3 * NB, parent, offs, restj, verts, weights, targets, g, g + 3 * NB);
}
