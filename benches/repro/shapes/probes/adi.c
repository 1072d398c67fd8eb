/* 2-D heat equation, Peaceman-Rachford ADI: each half step solves a tridiagonal system per row (then per
 * column) by the Thomas algorithm into a VLA scratch; diffusivity field kappa active (variable coefficients),
 * objective: weighted sum of the final field. */
#include "common.h"
#define NX 12
#define NY 10
#define STEPS 6
static void thomas(int n, const double *a, const double *b, const double *c, double *d, double *cp) {
    cp[0] = c[0] / b[0]; d[0] /= b[0];
    for (int i = 1; i < n; i++) { double m = b[i] - a[i] * cp[i - 1]; cp[i] = c[i] / m; d[i] = (d[i] - a[i] * d[i - 1]) / m; }
    for (int i = n - 2; i >= 0; i--) d[i] -= cp[i] * d[i + 1];
}
__attribute__((noinline)) double adi(const double *kap, const double *u0, double r) {
    double u[NY][NX], v[NY][NX];
    memcpy(u, u0, sizeof u);
    for (int s = 0; s < STEPS; s++) {
        /* x-implicit, y-explicit */
        for (int j = 0; j < NY; j++) {
            double a[NX], b[NX], c[NX], d[NX], cp[NX];
            for (int i = 0; i < NX; i++) {
                double k = kap[j * NX + i];
                a[i] = i > 0 ? -r * k : 0; c[i] = i < NX - 1 ? -r * k : 0; b[i] = 1 + 2 * r * k;
                double up = j > 0 ? u[j - 1][i] : 0, dn = j < NY - 1 ? u[j + 1][i] : 0;
                d[i] = u[j][i] + r * k * (up - 2 * u[j][i] + dn);
            }
            thomas(NX, a, b, c, d, cp);
            for (int i = 0; i < NX; i++) v[j][i] = d[i];
        }
        /* y-implicit, x-explicit */
        for (int i = 0; i < NX; i++) {
            double a[NY], b[NY], c[NY], d[NY], cp[NY];
            for (int j = 0; j < NY; j++) {
                double k = kap[j * NX + i];
                a[j] = j > 0 ? -r * k : 0; c[j] = j < NY - 1 ? -r * k : 0; b[j] = 1 + 2 * r * k;
                double l = i > 0 ? v[j][i - 1] : 0, rr = i < NX - 1 ? v[j][i + 1] : 0;
                d[j] = v[j][i] + r * k * (l - 2 * v[j][i] + rr);
            }
            thomas(NY, a, b, c, d, cp);
            for (int j = 0; j < NY; j++) u[j][i] = d[j];
        }
    }
    double f = 0;
    for (int j = 0; j < NY; j++) for (int i = 0; i < NX; i++) f += u[j][i] * u[j][i] * (1 + 0.01 * (i + j));
    return f;
}
static double U0[NY * NX];
static double F(const double *x) { return adi(x, U0, 0.4); }
int main(void) {
    double x[NY * NX], g[NY * NX] = {0};
    for (int i = 0; i < NY * NX; i++) { x[i] = 0.5 + 0.4 * sin(1.3 * i); U0[i] = cos(0.7 * i) + 0.2; }
    __enzyme_autodiff((void *)adi, enzyme_dup, x, g, enzyme_const, U0, enzyme_const, 0.4);
    int bad = check("adi", F, g, x, NY * NX, 1e-6, 1e-6);
    double dx[NY * NX]; for (int i = 0; i < NY * NX; i++) dx[i] = cos(1.3 * i + 0.2);
    double df = __enzyme_fwddiff((void *)adi, enzyme_dup, x, dx, enzyme_const, U0, enzyme_const, 0.4);
    return bad + dotcheck("adi", df, g, dx, NY * NX);
}
