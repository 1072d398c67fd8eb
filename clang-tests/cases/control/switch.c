// switch on an integer (constant) argument: every case and the default, with the result merged
// in a phi and a second switch with fallthrough.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

static double sw(double x, int k) {
  switch (k) {
  case 0:
    return sin(x);
  case 1:
    return x * x;
  case 2:
    return exp(x);
  case 7:
    return 1.0 / x;
  default:
    return 3.0 * x;
  }
}
static double sw_deriv(double x, int k) {
  switch (k) {
  case 0: return cos(x);
  case 1: return 2.0 * x;
  case 2: return exp(x);
  case 7: return -1.0 / (x * x);
  default: return 3.0;
  }
}

static double fall(double x, int k) {
  double r = x;
  switch (k) {
  case 3:
    r = r * x; // fallthrough
  case 2:
    r = r + cos(x);
    break;
  case 1:
    r = r * 5.0;
    break;
  default:
    break;
  }
  return r * x;
}
static double fall_deriv(double x, int k) {
  double r = x, d = 1.0;
  if (k == 3) {
    d = d * x + r;
    r = r * x;
  }
  if (k == 3 || k == 2) {
    d = d - sin(x);
    r = r + cos(x);
  } else if (k == 1) {
    d *= 5.0;
    r *= 5.0;
  }
  return d * x + r;
}

int main(void) {
  static const double xs[] = {-1.3, 0.4, 2.2};
  static const int ks[] = {-1, 0, 1, 2, 3, 5, 7, 100};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    for (unsigned j = 0; j < COUNT_OF(ks); j++) {
      int k = ks[j];
      double w = sw_deriv(x, k), wf = fall_deriv(x, k);
      snprintf(what, sizeof what, "switch case k=%d", k);
      CHECK_CLOSE_AT(what, x, __enzyme_autodiff((void *)sw, x, k), w, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(what, x, __enzyme_fwddiff((void *)sw, x, 1.0, k), w, RTOL_D, ATOL_D);
      snprintf(what, sizeof what, "switch with fallthrough k=%d", k);
      CHECK_CLOSE_AT(what, x, __enzyme_autodiff((void *)fall, x, k), wf, RTOL_D, ATOL_D);
      CHECK_CLOSE_AT(what, x, __enzyme_fwddiff((void *)fall, x, 1.0, k), wf, RTOL_D, ATOL_D);
      // oracle sanity: finite differences of the primal with k fixed
      double h = 1e-6, fdv = (fall(x + h, k) - fall(x - h, k)) / (2 * h);
      snprintf(what, sizeof what, "oracle: fall' vs finite differences k=%d", k);
      CHECK_CLOSE_AT(what, x, wf, fdv, RTOL_FD, ATOL_FD);
      fdv = (sw(x + h, k) - sw(x - h, k)) / (2 * h);
      snprintf(what, sizeof what, "oracle: sw' vs finite differences k=%d", k);
      CHECK_CLOSE_AT(what, x, w, fdv, RTOL_FD, ATOL_FD);
    }
  }
  return check_report();
}
