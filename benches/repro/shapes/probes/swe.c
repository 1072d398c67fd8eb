/* 1-D shallow water, first-order upwind (Rusanov-like local speed with fabs/fmax, an `if` on the
 * sign of the velocity for the advected quantity), two fields h, hu in structs of pointers swapped
 * every step; reflective boundaries by ghost copies; objective: energy-like functional. */
#include "common.h"
#define NCELL 40
#define NSTEP 30
typedef struct { double *h, *hu; } state;
__attribute__((noinline)) double swe(const double *h0, const double *hu0, double g) {
    state a, b;
    a.h = malloc(sizeof(double) * (NCELL + 2)); a.hu = malloc(sizeof(double) * (NCELL + 2));
    b.h = malloc(sizeof(double) * (NCELL + 2)); b.hu = malloc(sizeof(double) * (NCELL + 2));
    for (int i = 0; i < NCELL; i++) { a.h[i + 1] = h0[i]; a.hu[i + 1] = hu0[i]; }
    double dtdx = 0.05;
    for (int s = 0; s < NSTEP; s++) {
        a.h[0] = a.h[1]; a.hu[0] = -a.hu[1]; a.h[NCELL + 1] = a.h[NCELL]; a.hu[NCELL + 1] = -a.hu[NCELL];
        for (int i = 1; i <= NCELL; i++) {
            double fl[2], fr[2];
            for (int side = 0; side < 2; side++) {
                int l = side ? i : i - 1, r = l + 1;
                double ul = a.hu[l] / a.h[l], ur = a.hu[r] / a.h[r];
                double cl = sqrt(g * a.h[l]), cr = sqrt(g * a.h[r]);
                double smax = fmax(fabs(ul) + cl, fabs(ur) + cr);
                double um = 0.5 * (ul + ur);
                double adv = um > 0 ? a.hu[l] * ul : a.hu[r] * ur; /* upwinded momentum flux */
                double f0 = 0.5 * (a.hu[l] + a.hu[r]) - 0.5 * smax * (a.h[r] - a.h[l]);
                double f1 = adv + 0.25 * g * (a.h[l] * a.h[l] + a.h[r] * a.h[r]) - 0.5 * smax * (a.hu[r] - a.hu[l]);
                if (side) { fr[0] = f0; fr[1] = f1; } else { fl[0] = f0; fl[1] = f1; }
            }
            b.h[i] = a.h[i] - dtdx * (fr[0] - fl[0]);
            b.hu[i] = a.hu[i] - dtdx * (fr[1] - fl[1]);
        }
        state t = a; a = b; b = t;
    }
    double e = 0;
    for (int i = 1; i <= NCELL; i++) e += 0.5 * a.hu[i] * a.hu[i] / a.h[i] + 0.5 * g * a.h[i] * a.h[i];
    free(a.h); free(a.hu); free(b.h); free(b.hu);
    return e;
}
static double F(const double *x) { return swe(x, x + NCELL, x[2 * NCELL]); }
int main(void) {
    int n = 2 * NCELL + 1; double x[2 * NCELL + 1], g[2 * NCELL + 1] = {0}, dx[2 * NCELL + 1];
    for (int i = 0; i < NCELL; i++) { x[i] = 1 + 0.3 * exp(-0.05 * (i - 15) * (i - 15)); x[NCELL + i] = 0.1 * sin(0.3 * i); }
    x[2 * NCELL] = 9.81;
    /* the active scalar g (gravity) comes back as the return value */
    g[2 * NCELL] = ((double (*)(void *, ...))__enzyme_autodiff)((void *)swe, enzyme_dup, x, g, enzyme_dup, x + NCELL,
                                                                 g + NCELL, x[2 * NCELL]);
    int bad = check("swe", F, g, x, n, 1e-6, 1e-6);
    for (int i = 0; i < n; i++) dx[i] = cos(1.3 * i + 0.2);
    double df = __enzyme_fwddiff((void *)swe, enzyme_dup, x, dx, enzyme_dup, x + NCELL, dx + NCELL, enzyme_dup, x[2 * NCELL], dx[2 * NCELL]);
    /* fwd vs FD along dx */
    double xp[2 * NCELL + 1], xm[2 * NCELL + 1], h = 1e-6;
    for (int i = 0; i < n; i++) { xp[i] = x[i] + h * dx[i]; xm[i] = x[i] - h * dx[i]; }
    double fd = (F(xp) - F(xm)) / (2 * h);
    printf("swe fwd %.10g fd %.10g %s\n", df, fd, fabs(df - fd) <= 1e-6 * fabs(fd) ? "ok" : "FAIL");
    return bad;
}
