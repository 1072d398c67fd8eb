// __enzyme_function_like: a user function declared to behave like a library function gets that
// function's derivative rule, not the derivative of its body (here a crude approximation of
// log1p whose own derivative differs). Also the llvm.global.annotations form
// (`__attribute__((annotate("enzyme_function_like=sin")))`), a function-like call inside a loop,
// and differentiating the function-like function itself.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

__attribute__((noinline)) double my_log1p(double x) { return x - x * x / 2.0; }
void *__enzyme_function_like[2] = {(void *)my_log1p, (void *)"log1p"};

__attribute__((annotate("enzyme_function_like=sin"))) double my_sin(double x) {
  return x - x * x * x / 6.0;
}

static double f(double x) { return my_log1p(x) * 3.0 + my_sin(x); }
static double g(double x) {
  double s = 0.0;
  for (int i = 1; i <= 4; i++) s += my_log1p(x * i) / i;
  return s;
}

int main(void) {
  static const double xs[] = {0.1, 0.5, 1.3};
  char what[128];
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
#define W(s) (snprintf(what, sizeof what, "%s at %g", s, x), what)
    double wf = 3.0 / (1.0 + x) + cos(x);
    CHECK_CLOSE(W("oracle: f' vs finite differences of log1p/sin"),
                wf, (3.0 * log1p(x + 1e-6) + sin(x + 1e-6) - 3.0 * log1p(x - 1e-6) - sin(x - 1e-6)) / 2e-6,
                RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse f"), __enzyme_autodiff((void *)f, x), wf, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward f"), __enzyme_fwddiff((void *)f, x, 1.0), wf, RTOL_D, ATOL_D);
    double wg = 0.0;
    for (int k = 1; k <= 4; k++) wg += 1.0 / (1.0 + x * k);
    CHECK_CLOSE(W("reverse g"), __enzyme_autodiff((void *)g, x), wg, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward g"), __enzyme_fwddiff((void *)g, x, 1.0), wg, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("reverse my_log1p itself"), __enzyme_autodiff((void *)my_log1p, x), 1.0 / (1.0 + x), RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward my_sin itself"), __enzyme_fwddiff((void *)my_sin, x, 1.0), cos(x), RTOL_D, ATOL_D);
    // the primal still runs the user's function
    CHECK_CLOSE(W("primal my_log1p is the user's"), my_log1p(x), x - x * x / 2.0, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
