// Enzyme's source attributes, read by ferment's clang front end (-fplugin=libferment_clang.so,
// which also loads the pass plugin): enzyme_inactive on a function ([[enzyme::inactive]] and
// GNU spellings) and on a global variable, enzyme_function_like("log1p") on a function whose body
// is deliberately something else, enzyme_shadow(g) naming a global's shadow, and
// enzyme_checkpointing_enable on a loop (accepted; the loop's derivative is unchanged).
// Oracles: analytic derivatives of what the attributes say.
// CFLAGS: -std=c2x -fplugin=@FERMENT_CLANG@
// RUN: clang
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((enzyme_inactive)) double frozen(double x) { return x * x + 1.0; }
[[enzyme::inactive]] double frozen2(double x) { return 3.0 * x; }
__attribute__((enzyme_function_like("log1p"))) double my_log1p(double x) { return 2.0 * x; }

__attribute__((enzyme_inactive)) double tally;
double scale_shadow;
__attribute__((enzyme_shadow(scale_shadow))) double scale = 2.0;

double f(double x) {
  tally += x; /* an active value stored into inactive memory: no derivative */
  return frozen(x) * sin(x) + frozen2(x) + my_log1p(x);
}

double g(double x) {
  double s = 0.0;
  [[enzyme::checkpointing_enable("revolve", 2)]] for (int i = 0; i < 5; i++) s += scale * x * i;
  return s;
}

int main(void) {
  const double xs[] = {-0.4, 0.3, 1.7};
  for (unsigned k = 0; k < COUNT_OF(xs); k++) {
    double x = xs[k];
    double want = frozen(x) * cos(x) + 1.0 / (1.0 + x);
    CHECK_CLOSE_AT("reverse", x, __enzyme_autodiff((void *)f, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward", x, __enzyme_fwddiff((void *)f, x, 1.0), want, RTOL_D, ATOL_D);
  }
  scale_shadow = 0.0;
  double x = 0.7;
  CHECK_CLOSE("d g / d x", __enzyme_autodiff((void *)g, x), 10.0 * scale, RTOL_D, ATOL_D);
  CHECK_CLOSE("d g / d scale, in the shadow global", scale_shadow, 10.0 * x, RTOL_D, ATOL_D);
  return check_report();
}
