/* Reverse and forward derivatives of a two-argument function and of a sum
 * over an array, checked against their analytic formulas (exit 1 on a mismatch). */
#include <ferment.h>
#include <math.h>
#include <stdio.h>

static double f(double x, double y) { return x * x * sin(y) + exp(x * y); }

static double energy(const double *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (i + 1) * x[i] * x[i] * x[i];
    return s;
}

typedef struct { double dx, dy; } grad2;
grad2 __enzyme_autodiff_grad2(void *, double, double);

static int failures;
static void check(const char *what, double got, double want) {
    int ok = fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want));
    printf("%-28s %14.9f  analytic %14.9f  %s\n", what, got, want, ok ? "ok" : "MISMATCH");
    failures += !ok;
}

int main(void) {
    double x = 0.7, y = -1.3;
    grad2 g = __enzyme_autodiff_grad2((void *)f, x, y);
    check("df/dx (reverse)", g.dx, 2 * x * sin(y) + y * exp(x * y));
    check("df/dy (reverse)", g.dy, x * x * cos(y) + x * exp(x * y));
    double t = __enzyme_fwddiff((void *)f, x, 1.0, y, 0.0);
    check("df/dx (forward)", t, 2 * x * sin(y) + y * exp(x * y));

    double v[4] = {0.5, -1.0, 2.0, 0.25}, dv[4] = {0};
    __enzyme_autodiff((void *)energy, enzyme_dup, v, dv, enzyme_const, 4);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "d energy / d x[%d]", i);
        check(name, dv[i], 3.0 * (i + 1) * v[i] * v[i]);
    }
    return failures != 0;
}
