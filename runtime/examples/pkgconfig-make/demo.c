/* A small least-squares loss over data points, differentiated with respect to
 * the model parameters (reverse mode, two active scalars) and along a direction
 * (forward mode), checked against the analytic gradient (exit 1 on a mismatch). */
#include <ferment.h>
#include <math.h>
#include <stdio.h>

#define N 5
static const double xs[N] = {0.0, 0.5, 1.0, 1.5, 2.0};
static const double ys[N] = {1.0, 1.8, 2.9, 4.2, 5.1};

/* sum_i (a * exp(b * x_i) - y_i)^2 */
static double loss(double a, double b) {
    double s = 0;
    for (int i = 0; i < N; i++) {
        double r = a * exp(b * xs[i]) - ys[i];
        s += r * r;
    }
    return s;
}

typedef struct { double da, db; } grad;
grad __enzyme_autodiff_loss(void *, double, double);

/* Prints one comparison; returns 1 on a mismatch. */
static int check(const char *what, double got, double want) {
    int bad = fabs(got - want) > 1e-11 * fmax(1, fabs(want));
    printf("%-26s %.12f  analytic %.12f  %s\n", what, got, want, bad ? "MISMATCH" : "ok");
    return bad;
}

int main(void) {
    double a = 1.1, b = 0.8, ga = 0, gb = 0;
    for (int i = 0; i < N; i++) {
        double e = exp(b * xs[i]), r = a * e - ys[i];
        ga += 2 * r * e;
        gb += 2 * r * a * xs[i] * e;
    }
    grad g = __enzyme_autodiff_loss((void *)loss, a, b);
    double t = __enzyme_fwddiff((void *)loss, a, 0.25, b, -1.0);
    int bad = 0;
    bad += check("dL/da", g.da, ga);
    bad += check("dL/db", g.db, gb);
    bad += check("tangent along (0.25, -1)", t, 0.25 * ga - gb);
    printf("%s\n", bad ? "MISMATCH" : "all derivatives match");
    return bad != 0;
}
