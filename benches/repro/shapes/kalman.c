/* kalman: negative log-likelihood of a linear-Gaussian state-space model by the Kalman filter,
 * 4 states, 4 measurements, T steps: predict (F x, F P F^T + Q), innovation v = z - H xp,
 * S = H Pp H^T + R inverted by Gauss-Jordan with partial pivoting (log det from the pivots),
 * update x = xp + K v, P = (I - K H) Pp with K = Pp H^T S^-1, then P symmetrized. f = sum_t 0.5 (v^T S^-1 v + log det S).
 * Params: diagonals of Q (4) and R (4), initial state x0 (4). Sizes: T.
 * Hand adjoint: forward pass storing xp, Pp, S^-1 per step; reverse by matrix calculus
 * (P = Pp - U Si U^T with U = Pp H^T; d(S^-1) = -Si dS Si; d log det S = tr(Si dS)). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "kalman";
static long T;
static double *X, *Z;
static const double F[4][4] = {{1, 0, 0.1, 0}, {0, 1, 0, 0.1}, {0, 0, 0.98, 0.02}, {0, 0, -0.02, 0.98}};
static const double H[4][4] = {{1, 0.1, 0, 0}, {0.05, 1, 0, 0.1}, {0, 0, 0.5, 0.05}, {0.1, 0, 0.02, 0.5}};

/* out = S^-1, returns log|det S| */
static double inv4(const double S[4][4], double out[4][4]) {
    double a[4][8];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            a[i][j] = S[i][j];
            a[i][4 + j] = i == j;
        }
    double ld = 0;
    for (int k = 0; k < 4; k++) {
        int p = k;
        for (int i = k + 1; i < 4; i++)
            if (fabs(a[i][k]) > fabs(a[p][k])) p = i;
        if (p != k)
            for (int j = 0; j < 8; j++) {
                double t = a[k][j];
                a[k][j] = a[p][j];
                a[p][j] = t;
            }
        double piv = a[k][k];
        ld += log(fabs(piv));
        for (int j = 0; j < 8; j++) a[k][j] /= piv;
        for (int i = 0; i < 4; i++)
            if (i != k) {
                double m = a[i][k];
                for (int j = 0; j < 8; j++) a[i][j] -= m * a[k][j];
            }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) out[i][j] = a[i][4 + j];
    return ld;
}

__attribute__((noinline)) double kalman(long nt, const double *restrict z, const double *restrict q,
                                        const double *restrict r, const double *restrict x0) {
    double x[4], P[4][4];
    for (int i = 0; i < 4; i++) {
        x[i] = x0[i];
        for (int j = 0; j < 4; j++) P[i][j] = 0.5 * (i == j);
    }
    double f = 0;
    for (long t = 0; t < nt; t++) {
        double xp[4], FP[4][4], Pp[4][4], S[4][4], Si[4][4], U[4][4], K[4][4], v[4];
        for (int i = 0; i < 4; i++) {
            xp[i] = 0;
            for (int j = 0; j < 4; j++) xp[i] += F[i][j] * x[j];
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                FP[i][j] = 0;
                for (int k = 0; k < 4; k++) FP[i][j] += F[i][k] * P[k][j];
            }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                Pp[i][j] = i == j ? q[i] : 0;
                for (int k = 0; k < 4; k++) Pp[i][j] += FP[i][k] * F[j][k];
            }
        for (int i = 0; i < 4; i++) {
            v[i] = z[t * 4 + i];
            for (int j = 0; j < 4; j++) v[i] -= H[i][j] * xp[j];
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                U[i][j] = 0; /* U = Pp H^T */
                for (int k = 0; k < 4; k++) U[i][j] += Pp[i][k] * H[j][k];
            }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                S[i][j] = i == j ? r[i] : 0;
                for (int k = 0; k < 4; k++) S[i][j] += H[i][k] * U[k][j];
            }
        double ld = inv4(S, Si);
        double siv[4];
        for (int i = 0; i < 4; i++) {
            siv[i] = 0;
            for (int j = 0; j < 4; j++) siv[i] += Si[i][j] * v[j];
        }
        double quad = 0;
        for (int i = 0; i < 4; i++) quad += v[i] * siv[i];
        f += 0.5 * (quad + ld);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                K[i][j] = 0;
                for (int k = 0; k < 4; k++) K[i][j] += U[i][k] * Si[k][j];
            }
        for (int i = 0; i < 4; i++) {
            x[i] = xp[i];
            for (int j = 0; j < 4; j++) x[i] += K[i][j] * v[j];
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                double kh = 0; /* (K H Pp)[i][j] */
                for (int k = 0; k < 4; k++) kh += K[i][k] * U[j][k];
                P[i][j] = Pp[i][j] - kh;
            }
        for (int i = 0; i < 4; i++) /* keep P symmetric (the plain update lets P - P^T grow) */
            for (int j = i + 1; j < 4; j++) P[i][j] = P[j][i] = 0.5 * (P[i][j] + P[j][i]);
    }
    return f;
}

typedef double M4[4][4];
static void mm(const M4 A, int ta, const M4 B, int tb, M4 C) { /* C = op(A) op(B) */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += (ta ? A[k][i] : A[i][k]) * (tb ? B[j][k] : B[k][j]);
            C[i][j] = s;
        }
}

__attribute__((noinline)) void kalman_hand(long nt, const double *z, const double *q, const double *r,
                                           const double *x0, double *qb, double *rb, double *x0b) {
    double (*XP)[4] = malloc(sizeof(double) * 4 * nt), (*VV)[4] = malloc(sizeof(double) * 4 * nt);
    M4 *PP = malloc(sizeof(M4) * nt), *SI = malloc(sizeof(M4) * nt);
    double x[4];
    M4 P;
    for (int i = 0; i < 4; i++) {
        x[i] = x0[i];
        for (int j = 0; j < 4; j++) P[i][j] = 0.5 * (i == j);
    }
    for (long t = 0; t < nt; t++) {
        M4 FP, U, S, K;
        double *xp = XP[t], *v = VV[t];
        for (int i = 0; i < 4; i++) {
            xp[i] = 0;
            for (int j = 0; j < 4; j++) xp[i] += F[i][j] * x[j];
        }
        mm(F, 0, P, 0, FP);
        mm(FP, 0, F, 1, PP[t]);
        for (int i = 0; i < 4; i++) PP[t][i][i] += q[i];
        for (int i = 0; i < 4; i++) {
            v[i] = z[t * 4 + i];
            for (int j = 0; j < 4; j++) v[i] -= H[i][j] * xp[j];
        }
        mm(PP[t], 0, H, 1, U);
        mm(H, 0, U, 0, S);
        for (int i = 0; i < 4; i++) S[i][i] += r[i];
        inv4(S, SI[t]);
        mm(U, 0, SI[t], 0, K);
        for (int i = 0; i < 4; i++) {
            x[i] = xp[i];
            for (int j = 0; j < 4; j++) x[i] += K[i][j] * v[j];
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                double kh = 0;
                for (int k = 0; k < 4; k++) kh += K[i][k] * U[j][k];
                P[i][j] = PP[t][i][j] - kh;
            }
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++) P[i][j] = P[j][i] = 0.5 * (P[i][j] + P[j][i]);
    }
    double xb[4] = {0, 0, 0, 0};
    M4 Pb = {{0}};
    for (long t = nt - 1; t >= 0; t--) {
        M4 U, Ub, Sib, Sb, Ppb, T1, T2;
        double *xp = XP[t], *v = VV[t], siv[4], xpb[4], vb[4], usi[4][4];
        mm(PP[t], 0, H, 1, U);
        const double(*Si)[4] = SI[t];
        for (int i = 0; i < 4; i++) {
            siv[i] = 0;
            for (int j = 0; j < 4; j++) siv[i] += Si[i][j] * v[j];
        }
        mm(U, 0, Si, 0, usi);
        for (int i = 0; i < 4; i++) /* symmetrization */
            for (int j = i + 1; j < 4; j++) Pb[i][j] = Pb[j][i] = 0.5 * (Pb[i][j] + Pb[j][i]);
        /* P = Pp - U Si U^T */
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                Ppb[i][j] = Pb[i][j];
                T1[i][j] = Pb[i][j] + Pb[j][i];
            }
        mm(T1, 0, usi, 0, Ub); /* Ub = -(Pb + Pb^T) U Si */
        mm(U, 1, Pb, 0, T2);
        mm(T2, 0, U, 0, Sib); /* Sib = -U^T Pb U */
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                Ub[i][j] = -Ub[i][j];
                Sib[i][j] = -Sib[i][j];
            }
        /* x = xp + U Si v */
        double utx[4];
        for (int i = 0; i < 4; i++) {
            xpb[i] = xb[i];
            utx[i] = 0;
            for (int k = 0; k < 4; k++) utx[i] += U[k][i] * xb[k];
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                Ub[i][j] += xb[i] * siv[j];
                Sib[i][j] += utx[i] * v[j] + 0.5 * v[i] * v[j];
            }
        for (int i = 0; i < 4; i++) {
            vb[i] = siv[i];
            for (int k = 0; k < 4; k++) vb[i] += Si[i][k] * utx[k];
        }
        /* Si = S^-1; log det: Sb = 0.5 Si - Si Sib Si */
        mm(Si, 0, Sib, 0, T1);
        mm(T1, 0, Si, 0, Sb);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) Sb[i][j] = 0.5 * Si[i][j] - Sb[i][j];
        for (int i = 0; i < 4; i++) rb[i] += Sb[i][i];
        /* U = Pp H^T, S = H U + R */
        mm(H, 1, Sb, 0, T1);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) Ub[i][j] += T1[i][j];
        mm(Ub, 0, H, 0, T2);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) Ppb[i][j] += T2[i][j];
        /* v = z - H xp */
        for (int j = 0; j < 4; j++)
            for (int i = 0; i < 4; i++) xpb[j] -= H[i][j] * vb[i];
        (void)xp;
        /* Pp = F P F^T + Q, xp = F x */
        for (int i = 0; i < 4; i++) qb[i] += Ppb[i][i];
        mm(F, 1, Ppb, 0, T1);
        mm(T1, 0, F, 0, Pb);
        for (int j = 0; j < 4; j++) {
            xb[j] = 0;
            for (int i = 0; i < 4; i++) xb[j] += F[i][j] * xpb[i];
        }
    }
    for (int i = 0; i < 4; i++) x0b[i] += xb[i];
    free(XP);
    free(VV);
    free(PP);
    free(SI);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    T = nsizes > 0 ? sizes[0] : 20000;
    X = bench_xmalloc(sizeof(double) * 12);
    Z = bench_xmalloc(sizeof(double) * 4 * T);
    bench_fill(X, 8, 161, 0.05, 0.3);
    bench_fill(X + 8, 4, 162, -1, 1);
    double s[4] = {0, 0, 1, 0.5};
    for (long t = 0; t < T; t++) { /* a noisy trajectory */
        double n[4] = {s[0] + 0.1 * s[2], s[1] + 0.1 * s[3], 0.98 * s[2] + 0.02 * s[3], -0.02 * s[2] + 0.98 * s[3]};
        for (int i = 0; i < 4; i++) s[i] = n[i] + 0.2 * (bench_urand(163, 4 * t + i) - 0.5);
        for (int i = 0; i < 4; i++) {
            Z[4 * t + i] = 0.4 * (bench_urand(164, 4 * t + i) - 0.5);
            for (int j = 0; j < 4; j++) Z[4 * t + i] += H[i][j] * s[j];
        }
    }
    info->nparams = 12;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "T=%ld", T);
    info->size_metric = (double)T;
    info->fd_step = 1e-5;
    return 0;
}
double bench_primal(void) { return kalman(T, Z, X, X + 4, X + 8); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * 12);
    __enzyme_autodiff((void *)kalman, enzyme_const, T, enzyme_const, Z, enzyme_dup, X, g, enzyme_dup, X + 4, g + 4,
                      enzyme_dup, X + 8, g + 8);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * 12);
    kalman_hand(T, Z, X, X + 4, X + 8, g, g + 4, g + 8);
}
