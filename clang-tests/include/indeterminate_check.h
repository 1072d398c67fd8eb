/* Checks for derivatives at a point where the chain rule meets 0 * inf (see
 * cases/fuzz/flat_indeterminate.c): away from it, the analytic derivative, central differences
 * and both modes; at it (z = 0, read from a volatile so that no derivative folds it), NaN or the
 * true derivative, never another finite value. Include after check.h and the declarations of
 * __enzyme_fwddiff and __enzyme_autodiff. */
#ifndef FERMENT_INDETERMINATE_CHECK_H
#define FERMENT_INDETERMINATE_CHECK_H

static void check_smooth(const char *what, double (*g)(double), double (*dg)(double), double z) {
  const double h = 1e-5;
  double want = dg(z);
  CHECK_CLOSE_AT(what, z, (g(z + h) - g(z - h)) / (2.0 * h), want, 1e-6, 1e-8);
  double fwd = __enzyme_fwddiff((void *)g, z, 1.0);
  double rev = __enzyme_autodiff((void *)g, z);
  CHECK_CLOSE_AT(what, z, fwd, want, 1e-12, 1e-14);
  CHECK_CLOSE_AT(what, z, rev, want, 1e-12, 1e-14);
}

static volatile double origin = 0.0;

static void check_indeterminate(const char *what, double (*g)(double), double want) {
  double z = origin;
  double fwd = __enzyme_fwddiff((void *)g, z, 1.0);
  double rev = __enzyme_autodiff((void *)g, z);
  CHECK_TRUE(what, isnan(rev) || fabs(rev - want) <= 1e-12);
  CHECK_TRUE(what, isnan(fwd) || fabs(fwd - want) <= 1e-12);
}

#endif
