#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int check(const char *name, double (*f)(const double *), const double *g, double *x, int n, double h, double tol) {
    double gmax = 0; int bad = 0;
    for (int i = 0; i < n; i++) gmax = fmax(gmax, fabs(g[i]));
    for (int i = 0; i < n; i++) {
        double s = x[i]; x[i] = s + h; double fp = f(x); x[i] = s - h; double fm = f(x); x[i] = s;
        double fd = (fp - fm) / (2 * h);
        if (!(fabs(fd - g[i]) <= tol * fmax(gmax, 1e-300))) { if (bad < 5) printf("%s: g[%d] = %.10g fd %.10g\n", name, i, g[i], fd); bad++; }
    }
    printf("%s: %s (%d params, max|g| %.3g)\n", name, bad ? "FAIL" : "ok", n, gmax);
    return bad;
}
static int dotcheck(const char *name, double df, const double *g, const double *dx, int n) {
    double dot = 0, s = 0;
    for (int i = 0; i < n; i++) { dot += g[i] * dx[i]; s += fabs(g[i] * dx[i]); }
    int bad = !(fabs(df - dot) <= 1e-9 * s + 1e-300);
    printf("%s fwd %.12g rev.dx %.12g %s\n", name, df, dot, bad ? "FAIL" : "ok");
    return bad;
}
