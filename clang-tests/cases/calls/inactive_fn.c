// Functions the user declares inactive (void* __enzyme_inactivefn_NAME[1] = {f}): their calls
// are kept as they are (run once, with their side effects) and propagate no derivative, even
// though they receive active values and one of them returns a value that depends on x:
// - log_value(tag, v): a logging function with a side effect (counts its calls and keeps the
//   last value) that takes an active argument;
// - frozen_scale(x) = x^2 + 1: a result that must be treated as a constant, so
//   d/dx [frozen_scale(x) sin x] = frozen_scale(x) cos x (not the product rule);
// - frozen_sum(v, n): same for a function reading active memory through a pointer.
// Reverse and forward mode. None is noinline: the plugin keeps them as calls itself (clang
// only: under `opt`, clang has inlined them before the plugin runs).
#include "check.h"

double __enzyme_autodiff(void *, ...);
void __enzyme_autodiff_v(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

static int log_calls = 0;
static double log_last = 0.0;
void log_value(const char *tag, double v) {
  (void)tag;
  log_calls++;
  log_last = v;
}
double frozen_scale(double x) { return x * x + 1.0; }
double frozen_sum(const double *v, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += v[i] * v[i];
  return s;
}
void *__enzyme_inactivefn_log[1] = {(void *)log_value};
void *__enzyme_inactivefn_frozen[1] = {(void *)frozen_scale};
void *__enzyme_inactivefn_frozen_sum[1] = {(void *)frozen_sum};

double f(double x) {
  log_value("x", x);
  double y = frozen_scale(x) * sin(x);
  log_value("y", y);
  return y;
}

/* g(v) = frozen_sum(v, 3) * (v0 + 2 v1 + 3 v2): the gradient is frozen_sum * (1, 2, 3) */
double g(const double *v) {
  double w = v[0] + 2.0 * v[1] + 3.0 * v[2];
  log_value("w", w);
  return frozen_sum(v, 3) * w;
}

int main(void) {
  static const double xs[] = {-1.2, 0.3, 0.9, 2.1};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    double want = frozen_scale(x) * cos(x);
    log_calls = 0;
    CHECK_CLOSE_AT("reverse: the inactive function's result is a constant", x, __enzyme_autodiff((void *)f, x), want, RTOL_D, ATOL_D);
    CHECK_TRUE("reverse: log_value ran exactly twice (once per call, side effect kept)", log_calls == 2);
    CHECK_CLOSE_AT("reverse: log_value saw the primal y", x, log_last, frozen_scale(x) * sin(x), RTOL_D, ATOL_D);
    log_calls = 0;
    CHECK_CLOSE_AT("forward: the inactive function's result is a constant", x, __enzyme_fwddiff((void *)f, x, 1.0), want, RTOL_D, ATOL_D);
    CHECK_TRUE("forward: log_value ran exactly twice", log_calls == 2);

    double v[3] = {x, 0.5 - x, 0.25 * x + 1.0}, dv[3] = {0, 0, 0};
    double s = frozen_sum(v, 3);
    double wg[3] = {s, 2.0 * s, 3.0 * s};
    log_calls = 0;
    __enzyme_autodiff_v((void *)g, v, dv);
    CHECK_ARRAY_CLOSE("reverse g: frozen_sum treated as a constant", dv, wg, 3, RTOL_D, ATOL_D);
    CHECK_TRUE("reverse g: log_value ran once", log_calls == 1);
    double t[3] = {1.0, -0.5, 2.0};
    CHECK_CLOSE_AT("forward g: frozen_sum treated as a constant", x, __enzyme_fwddiff((void *)g, v, t), dotv(t, wg, 3), RTOL_D, ATOL_D);
  }
  return check_report();
}
