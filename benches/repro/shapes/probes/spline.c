/* natural cubic spline: second derivatives from a tridiagonal solve (knot values active, knots fixed),
 * evaluation at active query points located by binary search; objective: sum (S(q_i) - y_i)^2 */
#include "common.h"
#define M 15
#define Q 40
static double TK[M], YQ[Q];
__attribute__((noinline)) double spline(const double *c, const double *q, int nq) {
    double m2[M], cp[M], d[M];
    /* natural spline: m2[0] = m2[M-1] = 0 */
    m2[0] = 0; m2[M - 1] = 0; cp[0] = 0; d[0] = 0;
    for (int i = 1; i < M - 1; i++) {
        double h0 = TK[i] - TK[i - 1], h1 = TK[i + 1] - TK[i];
        double a = h0 / 6, b = (h0 + h1) / 3, cc = h1 / 6;
        double r = (c[i + 1] - c[i]) / h1 - (c[i] - c[i - 1]) / h0;
        double m = b - a * cp[i - 1];
        cp[i] = cc / m; d[i] = (r - a * d[i - 1]) / m;
    }
    for (int i = M - 2; i >= 1; i--) m2[i] = d[i] - cp[i] * m2[i + 1];
    double f = 0;
    for (int k = 0; k < nq; k++) {
        double x = q[k];
        int lo = 0, hi = M - 1;
        while (hi - lo > 1) { int mid = (lo + hi) / 2; if (TK[mid] > x) hi = mid; else lo = mid; }
        double h = TK[hi] - TK[lo], A = (TK[hi] - x) / h, B = (x - TK[lo]) / h;
        double s = A * c[lo] + B * c[hi] + ((A * A * A - A) * m2[lo] + (B * B * B - B) * m2[hi]) * h * h / 6;
        f += (s - YQ[k]) * (s - YQ[k]);
    }
    return f;
}
static double F(const double *x) { return spline(x, x + M, Q); }
int main(void) {
    double x[M + Q], g[M + Q] = {0};
    for (int i = 0; i < M; i++) { TK[i] = i + 0.3 * sin(i); x[i] = sin(0.5 * i) + 0.1 * i; }
    for (int k = 0; k < Q; k++) { x[M + k] = 0.2 + (M - 1.5) * (k + 0.37) / Q; YQ[k] = cos(0.3 * k); }
    __enzyme_autodiff((void *)spline, enzyme_dup, x, g, enzyme_dup, x + M, g + M, enzyme_const, Q);
    int bad = check("spline", F, g, x, M + Q, 1e-7, 1e-6);
    /* forward mode: directional derivative vs the reverse gradient */
    double dx[M + Q], dot = 0;
    for (int i = 0; i < M + Q; i++) { dx[i] = cos(1.7 * i); dot += dx[i] * g[i]; }
    double df = __enzyme_fwddiff((void *)spline, enzyme_dup, x, dx, enzyme_dup, x + M, dx + M, enzyme_const, Q);
    printf("spline fwd %.12g rev %.12g %s\n", df, dot, fabs(df - dot) <= 1e-9 * fabs(dot) ? "ok" : "FAIL");
    return bad;
}
