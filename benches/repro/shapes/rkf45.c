/* rkf45: an ensemble of N damped, driven pendulums y0'' = -p0 sin y0 - p1 y0' + p2 cos(p3 t), each
 * integrated to t = 10 by Runge-Kutta-Fehlberg 4(5) with an adaptive step (accept when the error
 * estimate is below 1e-6, step factor 0.9 (tol/err)^0.2 clamped to [0.2, 4], last step cut at the
 * end): a data-dependent number of steps per member, about 100. f = sum_i y0_i(10)^2 + 0.5 y1_i(10).
 * Params: p (4, shared) then the members' initial states (2 N). Sizes: N.
 * Hand adjoint: the forward pass stores (y, t, h) before every step, accepted or not; the reverse
 * pass recomputes the step's stages and goes back through it, the step-size controller included
 * (h depends on the state through the error estimate, and the code's derivative follows it). */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *bench_name = "rkf45";
static long N;
static double *X;
#define TEND 10.0
#define TOL 1e-6
#define MAXSTEPS 100000
static const double A[6][5] = {{0}, {0.25}, {3. / 32, 9. / 32}, {1932. / 2197, -7200. / 2197, 7296. / 2197},
                               {439. / 216, -8, 3680. / 513, -845. / 4104},
                               {-8. / 27, 2, -3544. / 2565, 1859. / 4104, -11. / 40}};
static const double C[6] = {0, 0.25, 3. / 8, 12. / 13, 1, 0.5};
static const double B4[6] = {25. / 216, 0, 1408. / 2565, 2197. / 4104, -0.2, 0};
static const double B5[6] = {16. / 135, 0, 6656. / 12825, 28561. / 56430, -9. / 50, 2. / 55};

static inline void rhs(const double *p, double t, const double *y, double *dy) {
    dy[0] = y[1];
    dy[1] = -p[0] * sin(y[0]) - p[1] * y[1] + p[2] * cos(p[3] * t);
}

__attribute__((noinline)) double ensemble(long n, const double *restrict p, const double *restrict y0) {
    double f = 0;
    for (long m = 0; m < n; m++) {
        double y[2] = {y0[2 * m], y0[2 * m + 1]}, k[6][2], yt[2], t = 0, h = 0.1;
        int steps = 0;
        while (t < TEND && steps < MAXSTEPS) {
            if (t + h > TEND) h = TEND - t;
            for (int s = 0; s < 6; s++) {
                for (int d = 0; d < 2; d++) {
                    double v = y[d];
                    for (int q = 0; q < s; q++) v += h * A[s][q] * k[q][d];
                    yt[d] = v;
                }
                rhs(p, t + C[s] * h, yt, k[s]);
            }
            double err = 0, y5[2];
            for (int d = 0; d < 2; d++) {
                double s4 = 0, s5 = 0;
                for (int s = 0; s < 6; s++) {
                    s4 += B4[s] * k[s][d];
                    s5 += B5[s] * k[s][d];
                }
                y5[d] = y[d] + h * s5;
                err = fmax(err, fabs(h * (s5 - s4)));
            }
            if (err <= TOL) {
                t += h;
                y[0] = y5[0];
                y[1] = y5[1];
            }
            double fac = 0.9 * pow(TOL / fmax(err, 1e-14), 0.2);
            h *= fmin(4.0, fmax(0.2, fac));
            steps++;
        }
        f += y[0] * y[0] + 0.5 * y[1];
    }
    return f;
}

typedef struct {
    double y[2], t, h;
} rec;

__attribute__((noinline)) void ensemble_hand(long n, const double *restrict p, const double *restrict y0,
                                             double *restrict pb, double *restrict y0b) {
    long cap = 1024;
    rec *hist = malloc(sizeof(rec) * cap);
    for (long m = 0; m < n; m++) {
        double y[2] = {y0[2 * m], y0[2 * m + 1]}, k[6][2], yt[2], t = 0, h = 0.1;
        long ns = 0;
        while (t < TEND && ns < MAXSTEPS) {
            if (ns == cap) hist = realloc(hist, sizeof(rec) * (cap *= 2));
            hist[ns++] = (rec){{y[0], y[1]}, t, h};
            if (t + h > TEND) h = TEND - t;
            for (int s = 0; s < 6; s++) {
                for (int d = 0; d < 2; d++) {
                    double v = y[d];
                    for (int q = 0; q < s; q++) v += h * A[s][q] * k[q][d];
                    yt[d] = v;
                }
                rhs(p, t + C[s] * h, yt, k[s]);
            }
            double err = 0, y5[2];
            for (int d = 0; d < 2; d++) {
                double s4 = 0, s5 = 0;
                for (int s = 0; s < 6; s++) {
                    s4 += B4[s] * k[s][d];
                    s5 += B5[s] * k[s][d];
                }
                y5[d] = y[d] + h * s5;
                err = fmax(err, fabs(h * (s5 - s4)));
            }
            if (err <= TOL) {
                t += h;
                y[0] = y5[0];
                y[1] = y5[1];
            }
            double fac = 0.9 * pow(TOL / fmax(err, 1e-14), 0.2);
            h *= fmin(4.0, fmax(0.2, fac));
        }
        /* reverse: adjoints of the state after the last step */
        double yb[2] = {2 * y[0], 0.5}, tb = 0, hb = 0;
        for (long st = ns - 1; st >= 0; st--) {
            double yy[2] = {hist[st].y[0], hist[st].y[1]}, tt = hist[st].t, h0 = hist[st].h;
            int cut = tt + h0 > TEND;
            double he = cut ? TEND - tt : h0;
            /* recompute the step */
            double ytv[6][2], s4[2], s5[2], y5[2], e[2];
            for (int s = 0; s < 6; s++) {
                for (int d = 0; d < 2; d++) {
                    double v = yy[d];
                    for (int q = 0; q < s; q++) v += he * A[s][q] * k[q][d];
                    ytv[s][d] = v;
                }
                rhs(p, tt + C[s] * he, ytv[s], k[s]);
            }
            double err = 0;
            int arg = -1; /* which term fmax took: -1 the initial 0 */
            for (int d = 0; d < 2; d++) {
                s4[d] = s5[d] = 0;
                for (int s = 0; s < 6; s++) {
                    s4[d] += B4[s] * k[s][d];
                    s5[d] += B5[s] * k[s][d];
                }
                y5[d] = yy[d] + he * s5[d];
                e[d] = fabs(he * (s5[d] - s4[d]));
                if (e[d] > err) { /* fmax(err, e): e when e > err (ties are measure zero) */
                    err = e[d];
                    arg = d;
                }
            }
            int acc = err <= TOL;
            double E = fmax(err, 1e-14), fac = 0.9 * pow(TOL / E, 0.2);
            double g = fmin(4.0, fmax(0.2, fac));
            /* h' = he * g */
            double heb = hb * g, gb = hb * he, facb = (fac > 0.2 && fac < 4.0) ? gb : 0;
            double errb = err > 1e-14 ? facb * (-0.2 * fac / E) : 0;
            double y5b[2] = {0, 0};
            if (acc) { /* t' = t + he, y' = y5 */
                heb += tb;
                y5b[0] = yb[0];
                y5b[1] = yb[1];
                yb[0] = yb[1] = 0;
            }
            double kb[6][2] = {{0}};
            for (int d = 0; d < 2; d++) {
                double s4b = 0, s5b = y5b[d] * he;
                yb[d] += y5b[d];
                heb += y5b[d] * s5[d];
                if (arg == d) {
                    double dd = s5[d] - s4[d], sg = he * dd >= 0 ? 1 : -1;
                    heb += errb * sg * dd;
                    s5b += errb * sg * he;
                    s4b -= errb * sg * he;
                }
                for (int s = 0; s < 6; s++) kb[s][d] += B4[s] * s4b + B5[s] * s5b;
            }
            for (int s = 5; s >= 0; s--) {
                double tau = tt + C[s] * he, *yv = ytv[s], ytb[2];
                ytb[0] = kb[s][1] * (-p[0] * cos(yv[0]));
                ytb[1] = kb[s][0] - kb[s][1] * p[1];
                pb[0] -= kb[s][1] * sin(yv[0]);
                pb[1] -= kb[s][1] * yv[1];
                pb[2] += kb[s][1] * cos(p[3] * tau);
                double sn = sin(p[3] * tau);
                pb[3] -= kb[s][1] * p[2] * sn * tau;
                double taub = -kb[s][1] * p[2] * sn * p[3];
                tb += taub;
                heb += taub * C[s];
                for (int d = 0; d < 2; d++) {
                    yb[d] += ytb[d];
                    for (int q = 0; q < s; q++) {
                        heb += ytb[d] * A[s][q] * k[q][d];
                        kb[q][d] += ytb[d] * he * A[s][q];
                    }
                }
            }
            if (cut) {
                tb -= heb;
                hb = 0;
            } else {
                hb = heb;
            }
        }
        y0b[2 * m] += yb[0];
        y0b[2 * m + 1] += yb[1];
    }
    free(hist);
}

int bench_init(int nsizes, const long *sizes, bench_info *info) {
    N = nsizes > 0 ? sizes[0] : 2000;
    X = bench_xmalloc(sizeof(double) * (4 + 2 * N));
    X[0] = 1.5;
    X[1] = 0.2;
    X[2] = 0.5;
    X[3] = 1.3;
    bench_fill(X + 4, 2 * N, 171, -1, 1);
    info->nparams = 4 + 2 * N;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "n=%ld", N);
    info->size_metric = (double)N;
    /* the step sequence is piecewise constant in x (accept/reject, the cut last step): a difference
     * across a switch is off by about the tolerance over the step; a small step, a looser check */
    info->fd_step = 1e-7;
    info->fd_rtol = 1e-4;
    return 0;
}
double bench_primal(void) { return ensemble(N, X, X + 4); }
void bench_grad_ferment(double *g) {
    memset(g, 0, sizeof(double) * (4 + 2 * N));
    __enzyme_autodiff((void *)ensemble, enzyme_const, N, enzyme_dup, X, g, enzyme_dup, X + 4, g + 4);
}
void bench_grad_hand(double *g) {
    memset(g, 0, sizeof(double) * (4 + 2 * N));
    ensemble_hand(N, X, X + 4, g, g + 4);
}
