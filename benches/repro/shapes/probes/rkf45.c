/* Runge-Kutta-Fehlberg 4(5) with adaptive step size on a damped nonlinear oscillator with parameters;
 * data-dependent number of steps; objective: final state. */
#include "common.h"
#define NP 4
static void rhs(const double *p, double t, const double *y, double *dy) {
    dy[0] = y[1];
    dy[1] = -p[0] * sin(y[0]) - p[1] * y[1] + p[2] * cos(p[3] * t);
}
__attribute__((noinline)) double integrate(const double *p, const double *y0, double tend) {
    double y[2] = {y0[0], y0[1]}, k[6][2], yt[2], t = 0, h = 0.1;
    static const double a[6][5] = {{0}, {0.25}, {3. / 32, 9. / 32}, {1932. / 2197, -7200. / 2197, 7296. / 2197},
                                   {439. / 216, -8, 3680. / 513, -845. / 4104},
                                   {-8. / 27, 2, -3544. / 2565, 1859. / 4104, -11. / 40}};
    static const double c[6] = {0, 0.25, 3. / 8, 12. / 13, 1, 0.5};
    static const double b4[6] = {25. / 216, 0, 1408. / 2565, 2197. / 4104, -0.2, 0};
    static const double b5[6] = {16. / 135, 0, 6656. / 12825, 28561. / 56430, -9. / 50, 2. / 55};
    int steps = 0;
    while (t < tend && steps < 10000) {
        if (t + h > tend) h = tend - t;
        for (int s = 0; s < 6; s++) {
            for (int d = 0; d < 2; d++) {
                double v = y[d];
                for (int q = 0; q < s; q++) v += h * a[s][q] * k[q][d];
                yt[d] = v;
            }
            rhs(p, t + c[s] * h, yt, k[s]);
        }
        double err = 0, y5[2];
        for (int d = 0; d < 2; d++) {
            double s4 = 0, s5 = 0;
            for (int s = 0; s < 6; s++) { s4 += b4[s] * k[s][d]; s5 += b5[s] * k[s][d]; }
            y5[d] = y[d] + h * s5;
            err = fmax(err, fabs(h * (s5 - s4)));
        }
        double tol = 1e-6;
        if (err <= tol) { t += h; y[0] = y5[0]; y[1] = y5[1]; }
        double fac = 0.9 * pow(tol / fmax(err, 1e-14), 0.2);
        h *= fmin(4.0, fmax(0.2, fac));
        steps++;
    }
    return y[0] * y[0] + 0.5 * y[1];
}
static double y0g[2] = {1.0, 0.0};
static double F(const double *x) { return integrate(x, x + NP, 10.0); }
int main(void) {
    double x[NP + 2] = {1.5, 0.2, 0.5, 1.3, 1.0, 0.3}, g[NP + 2] = {0};
    __enzyme_autodiff((void *)integrate, enzyme_dup, x, g, enzyme_dup, x + NP, g + NP, enzyme_const, 10.0);
    /* the step sequence is piecewise constant in x (accept/reject): FD across a switch is off; small h */
    int bad = check("rkf45", F, g, x, NP + 2, 1e-7, 1e-4);
    double dx[NP + 2]; for (int i = 0; i < NP + 2; i++) dx[i] = cos(1.3 * i + 0.2);
    double df = __enzyme_fwddiff((void *)integrate, enzyme_dup, x, dx, enzyme_dup, x + NP, dx + NP, enzyme_const, 10.0);
    return bad + dotcheck("rkf45", df, g, dx, NP + 2);
}
