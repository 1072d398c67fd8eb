/* End-to-end AD of a real numerical code: GSL's ODE steppers (the
 * ode-initval2 module of Debian's gsl source package, compiled into this
 * translation unit unchanged) integrating a damped pendulum.
 *
 *   theta'' = -k sin(theta) - c theta'
 *
 * objective(x), x = {theta0, omega0, k, c}: integrate to T and return
 * theta(T)^2 + 0.5 omega(T)^2 (an energy-like scalar).  Two integrators:
 *   - fixed step: gsl_odeiv2_step_alloc(rkf45) + gsl_odeiv2_step_apply loop;
 *   - adaptive:   gsl_odeiv2_driver_alloc_y_new(rkf45) + driver_apply
 *                 (step-size control, memcpy, function pointers, malloc).
 * The gradient is taken in reverse mode (__enzyme_autodiff) and each
 * component in forward mode (__enzyme_fwddiff), and both are checked
 * against central finite differences of the same objective.
 *
 * Built by scripts/real-projects.sh with -I pointing at the unpacked gsl
 * source, its gathered <gsl/...> headers and a config.h; prints
 * "gsl-ode: ok" or exits non-zero. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* GSL's own sources, unchanged (one stepper per translation unit: each
 * stepper file includes step_utils.c, whose static helpers would clash). */
#include "err/error.c"
#include "err/stream.c"
#include "ode-initval2/step.c"
#include "ode-initval2/control.c"
#include "ode-initval2/cstd.c"
#include "ode-initval2/evolve.c"
#include "ode-initval2/driver.c"
#include "ode-initval2/rkf45.c"

/* driver.c refers to the scaled control of cscal.c, which includes
 * control_utils.c like cstd.c does; this program never calls it. */
gsl_odeiv2_control *gsl_odeiv2_control_scaled_new(double eps_abs, double eps_rel, double a_y,
                                                  double a_dydt, const double scale_abs[],
                                                  size_t dim) {
    (void)eps_abs, (void)eps_rel, (void)a_y, (void)a_dydt, (void)scale_abs, (void)dim;
    return NULL;
}

extern int enzyme_dup, enzyme_const;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static int pendulum(double t, const double y[], double f[], void *params) {
    (void)t;
    const double *p = (const double *)params;
    f[0] = y[1];
    f[1] = -p[0] * sin(y[0]) - p[1] * y[1];
    return GSL_SUCCESS;
}

#define T_END 3.0

/* Fixed-step integration with the rkf45 stepper's apply (no step control). */
__attribute__((noinline)) double objective_fixed(const double *x) {
    double p[2] = {x[2], x[3]};
    double y[2] = {x[0], x[1]};
    double yerr[2];
    gsl_odeiv2_system sys = {pendulum, NULL, 2, p};
    gsl_odeiv2_step *s = gsl_odeiv2_step_alloc(gsl_odeiv2_step_rkf45, 2);
    const int n = 300;
    const double h = T_END / n;
    double t = 0.0;
    for (int i = 0; i < n; i++) {
        gsl_odeiv2_step_apply(s, t, h, y, yerr, NULL, NULL, &sys);
        t += h;
    }
    gsl_odeiv2_step_free(s);
    return y[0] * y[0] + 0.5 * y[1] * y[1];
}

/* Adaptive integration through GSL's driver (rkf45 + standard control). */
__attribute__((noinline)) double objective_adaptive(const double *x) {
    double p[2] = {x[2], x[3]};
    double y[2] = {x[0], x[1]};
    gsl_odeiv2_system sys = {pendulum, NULL, 2, p};
    gsl_odeiv2_driver *d =
        gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rkf45, 1e-3, 1e-10, 1e-10);
    double t = 0.0;
    int status = gsl_odeiv2_driver_apply(d, &t, T_END, y);
    gsl_odeiv2_driver_free(d);
    if (status != GSL_SUCCESS)
        return NAN;
    return y[0] * y[0] + 0.5 * y[1] * y[1];
}

typedef double (*objective_fn)(const double *);

static const double x0[4] = {0.9, -0.3, 2.5, 0.2};

/* Compares the reverse-mode gradient and the forward-mode tangents (one per
 * unit direction) with central finite differences of f. */
static int compare(const char *name, objective_fn f, const double grad[4],
                   const double tangent[4], double fd_step, double tol) {
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        double xp[4], xm[4];
        for (int j = 0; j < 4; j++)
            xp[j] = xm[j] = x0[j];
        xp[i] += fd_step;
        xm[i] -= fd_step;
        double fd = (f(xp) - f(xm)) / (2 * fd_step);
        double scale = fmax(1.0, fabs(fd));
        int ok = isfinite(grad[i]) && isfinite(tangent[i]) &&
                 fabs(grad[i] - fd) <= tol * scale && fabs(tangent[i] - fd) <= tol * scale;
        printf("%s d/dx[%d]: reverse %.12g forward %.12g central-fd %.12g %s\n", name, i,
               grad[i], tangent[i], fd, ok ? "ok" : "MISMATCH");
        bad |= !ok;
    }
    return bad;
}

/* The function handed to __enzyme_* must be a constant at the call. */
#define DERIVATIVES(f, grad, tangent)                                                        \
    do {                                                                                     \
        for (int i = 0; i < 4; i++) {                                                        \
            double v[4] = {0, 0, 0, 0};                                                      \
            v[i] = 1.0;                                                                      \
            grad[i] = 0.0;                                                                   \
            tangent[i] = __enzyme_fwddiff((void *)f, enzyme_dup, x0, v);                     \
        }                                                                                    \
        __enzyme_autodiff((void *)f, enzyme_dup, x0, grad);                                  \
    } while (0)

int main(void) {
    int bad = 0;
    double grad[4], tangent[4];
    DERIVATIVES(objective_fixed, grad, tangent);
    bad |= compare("fixed-step rkf45", objective_fixed, grad, tangent, 1e-6, 1e-6);
    DERIVATIVES(objective_adaptive, grad, tangent);
    bad |= compare("adaptive rkf45 driver", objective_adaptive, grad, tangent, 1e-6, 1e-6);
    printf("gsl-ode: %s\n", bad ? "FAILED" : "ok");
    return bad;
}
