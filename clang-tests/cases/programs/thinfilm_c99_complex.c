// Optical thin-film design as a photonics user writes it in C99: a multilayer stack (glass
// substrate, N layers with real refractive index and thickness, air on top), the characteristic
// (transfer) matrix of each layer built from `_Complex double` with cexp of the phase and an
// absorbing layer whose index has an imaginary part, the 2x2 complex matrix product over the
// stack, the reflection amplitude as a complex division, and the reflectance |r|^2 via cabs,
// averaged over a wavelength grid against a target spectrum (an anti-reflection coating fit).
// The user wants the gradient of the merit function with respect to the layer thicknesses and
// indices (reverse), a tangent (forward) and the reflectance's derivative at one wavelength.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <complex.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { NL = 4, NW = 24 };

typedef struct {
  double complex m11, m12, m21, m22;
} CMat2;

typedef struct {
  double n_sub;     /* substrate index */
  double k_abs;     /* extinction of the absorbing (metal-like) third layer */
  double lambda0;   /* first wavelength (nm) */
  double dlambda;   /* grid spacing (nm) */
  double target[NW];
} Spec;

static CMat2 cmat_mul(CMat2 a, CMat2 b) {
  CMat2 c;
  c.m11 = a.m11 * b.m11 + a.m12 * b.m21;
  c.m12 = a.m11 * b.m12 + a.m12 * b.m22;
  c.m21 = a.m21 * b.m11 + a.m22 * b.m21;
  c.m22 = a.m21 * b.m12 + a.m22 * b.m22;
  return c;
}

/* characteristic matrix of one homogeneous layer at normal incidence */
static CMat2 layer_matrix(double complex n, double d, double lambda) {
  double complex delta = 2.0 * M_PI * n * d / lambda;
  double complex e_p = cexp(I * delta), e_m = cexp(-I * delta);
  double complex c = 0.5 * (e_p + e_m);         /* cos(delta) */
  double complex s = (e_p - e_m) / (2.0 * I);   /* sin(delta) */
  CMat2 m;
  m.m11 = c;
  m.m12 = -I * s / n;
  m.m21 = -I * n * s;
  m.m22 = c;
  return m;
}

/* reflectance of the stack: layer i has index n[i] (layer 2 absorbing), thickness d[i] */
static double reflectance(const double *n, const double *d, const Spec *sp, double lambda) {
  CMat2 m = {1.0, 0.0, 0.0, 1.0};
  for (int i = 0; i < NL; i++) {
    double complex ni = n[i];
    if (i == 2) ni = n[i] + I * sp->k_abs;
    m = cmat_mul(m, layer_matrix(ni, d[i], lambda));
  }
  double complex eta0 = 1.0, etas = sp->n_sub;
  double complex B = m.m11 + m.m12 * etas;
  double complex C = m.m21 + m.m22 * etas;
  double complex r = (eta0 * B - C) / (eta0 * B + C);
  double a = cabs(r);
  return a * a;
}

/* design vector p = [n_0..n_3, d_0..d_3] */
static double merit(const double *p, const Spec *sp) {
  double s = 0.0;
  for (int w = 0; w < NW; w++) {
    double lambda = sp->lambda0 + w * sp->dlambda;
    double R = reflectance(p, p + NL, sp, lambda);
    double e = R - sp->target[w];
    /* visible band weighted more than the edges */
    double wt = (lambda > 450.0 && lambda < 650.0) ? 2.0 : 1.0;
    s += wt * e * e;
  }
  return s / NW;
}

static double refl_one(const double *p, const Spec *sp, double lambda) {
  return reflectance(p, p + NL, sp, lambda);
}

static double merit_fd(const double *p, const void *ctx) { return merit(p, (const Spec *)ctx); }

int main(void) {
  Spec sp;
  sp.n_sub = 1.52;
  sp.k_abs = 0.08;
  sp.lambda0 = 400.0;
  sp.dlambda = 13.0;
  for (int w = 0; w < NW; w++) sp.target[w] = 0.01 + 0.002 * sin(0.3 * w);
  double p[2 * NL] = {1.38, 2.05, 1.70, 1.46, 98.0, 61.0, 12.0, 85.0};

  double g[2 * NL] = {0};
  __enzyme_autodiff((void *)merit, enzyme_dup, p, g, enzyme_const, &sp);
  CHECK_GRAD_FD("merit gradient", merit_fd, &sp, p, 2 * NL, g, 1e-5, 1e-9);

  double t[2 * NL];
  unsigned st = 7;
  for (int i = 0; i < 2 * NL; i++) t[i] = prand(&st);
  double jt = __enzyme_fwddiff((void *)merit, enzyme_dup, p, t, enzyme_const, &sp);
  CHECK_CLOSE("merit tangent vs reverse", jt, dotv(g, t, 2 * NL), 1e-10, 1e-14);

  /* derivative of the reflectance at 550 nm with respect to each thickness, forward mode */
  for (int i = 0; i < NL; i++) {
    double e[2 * NL] = {0};
    e[NL + i] = 1.0;
    double dR = __enzyme_fwddiff((void *)refl_one, enzyme_dup, p, e, enzyme_const, &sp,
                                 enzyme_const, 550.0);
    double want = FD_AT(p[NL + i], 1e-5, refl_one(p, &sp, 550.0));
    CHECK_CLOSE("dR/dd at 550nm", dR, want, 1e-5, 1e-10);
  }

  /* a few steps of gradient descent lower the merit */
  double f0 = merit(p, &sp);
  for (int it = 0; it < 5; it++) {
    for (int i = 0; i < 2 * NL; i++) g[i] = 0.0;
    __enzyme_autodiff((void *)merit, enzyme_dup, p, g, enzyme_const, &sp);
    for (int i = 0; i < NL; i++) p[i] -= 1e-3 * g[i];
    for (int i = NL; i < 2 * NL; i++) p[i] -= 5.0 * g[i];
  }
  CHECK_TRUE("descent lowers the merit", merit(p, &sp) < f0);
  return check_report();
}
