/* Kalman filter over T steps, 4-state constant-velocity model, 4-d measurement (position + velocity),
 * innovation covariance S (4x4) inverted by Gauss-Jordan with partial pivoting; objective: negative log
 * likelihood sum (nu' S^-1 nu + log det S). Params: process noise q (4), measurement noise r (4), dt. */
#include "common.h"
#define T 50
static double Z[T][4];
static void inv4(const double *s, double *inv, double *logdet) {
    double a[4][8];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 8; j++) a[i][j] = j < 4 ? s[i * 4 + j] : (j - 4 == i);
    double ld = 0;
    for (int c = 0; c < 4; c++) {
        int pr = c;
        for (int r = c + 1; r < 4; r++) if (fabs(a[r][c]) > fabs(a[pr][c])) pr = r;
        if (pr != c) for (int j = 0; j < 8; j++) { double t = a[c][j]; a[c][j] = a[pr][j]; a[pr][j] = t; }
        double piv = a[c][c];
        ld += log(fabs(piv));
        for (int j = 0; j < 8; j++) a[c][j] /= piv;
        for (int r = 0; r < 4; r++) if (r != c) { double f = a[r][c]; for (int j = 0; j < 8; j++) a[r][j] -= f * a[c][j]; }
    }
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) inv[i * 4 + j] = a[i][j + 4];
    *logdet = ld;
}
__attribute__((noinline)) double kalman(const double *p, int t) {
    const double *q = p, *r = p + 4; double dt = p[8];
    double F[16] = {1, 0, dt, 0, 0, 1, 0, dt, 0, 0, 1, 0, 0, 0, 0, 1};
    double x[4] = {0, 0, 1, 0.5}, P[16] = {0};
    for (int i = 0; i < 4; i++) P[i * 5] = 1;
    double nll = 0;
    for (int k = 0; k < t; k++) {
        double xp[4] = {0}, FP[16] = {0}, Pp[16] = {0};
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) xp[i] += F[i * 4 + j] * x[j];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) for (int l = 0; l < 4; l++) FP[i * 4 + j] += F[i * 4 + l] * P[l * 4 + j];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) for (int l = 0; l < 4; l++) Pp[i * 4 + j] += FP[i * 4 + l] * F[j * 4 + l];
        for (int i = 0; i < 4; i++) Pp[i * 5] += q[i] * q[i];
        double S[16], Si[16], ld, nu[4];
        for (int i = 0; i < 16; i++) S[i] = Pp[i];
        for (int i = 0; i < 4; i++) S[i * 5] += r[i] * r[i];
        inv4(S, Si, &ld);
        for (int i = 0; i < 4; i++) nu[i] = Z[k][i] - xp[i];
        double m = 0;
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) m += nu[i] * Si[i * 4 + j] * nu[j];
        nll += 0.5 * (m + ld);
        /* K = Pp Si (H = I); x = xp + K nu; P = (I - K) Pp */
        double K[16] = {0};
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) for (int l = 0; l < 4; l++) K[i * 4 + j] += Pp[i * 4 + l] * Si[l * 4 + j];
        for (int i = 0; i < 4; i++) { x[i] = xp[i]; for (int j = 0; j < 4; j++) x[i] += K[i * 4 + j] * nu[j]; }
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) {
            double v = Pp[i * 4 + j];
            for (int l = 0; l < 4; l++) v -= K[i * 4 + l] * Pp[l * 4 + j];
            P[i * 4 + j] = v;
        }
    }
    return nll;
}
static double F_(const double *x) { return kalman(x, T); }
int main(void) {
    for (int k = 0; k < T; k++) {
        double tt = 0.1 * k;
        Z[k][0] = tt + 0.3 * sin(7 * k); Z[k][1] = 0.5 * tt + 0.2 * cos(5 * k);
        Z[k][2] = 1 + 0.1 * sin(3 * k); Z[k][3] = 0.5 + 0.1 * cos(11 * k);
    }
    double x[9] = {0.3, 0.4, 0.2, 0.25, 0.5, 0.6, 0.3, 0.35, 0.1}, g[9] = {0};
    __enzyme_autodiff((void *)kalman, enzyme_dup, x, g, enzyme_const, T);
    int bad = check("kalman", F_, g, x, 9, 1e-6, 1e-6);
    double dx[9]; for (int i = 0; i < 9; i++) dx[i] = cos(1.3 * i + 0.2);
    double df = __enzyme_fwddiff((void *)kalman, enzyme_dup, x, dx, enzyme_const, T);
    return bad + dotcheck("kalman", df, g, dx, 9);
}
