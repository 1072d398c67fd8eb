// A global-shadow context in C++ (issue 14): a global std::vector<double> of parameters (its
// shadow is a vector header whose three pointers point into one zeroed heap block, the end
// pointers found from the start) and a scalar global, with the context calls and the derivative
// call made where a local vector's cleanup turns them into invokes. Checked against the
// analytic gradient and central finite differences with respect to each parameter.
// RUN: clang
#include "check.h"
#include <cmath>
#include <vector>

extern "C" void *__enzyme_context(int);
extern "C" void *__enzyme_shadow(void *, void *, int);
extern "C" void __enzyme_zero_shadows(void *);
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" int enzyme_context;

std::vector<double> params = {1.0, -2.0, 0.5};
double scale = 0.75;
void *volatile keep; /* the context stays reachable (valgrind) */

static double f(double x) {
  double s = 0;
  for (size_t i = 0; i < params.size(); i++)
    s += params[i] * std::sin(x * double(i + 1));
  return s * scale;
}

static double x0;
static size_t which;
static double f_of_param(double v) {
  double o = params[which];
  params[which] = v;
  double r = f(x0);
  params[which] = o;
  return r;
}

int main() {
  std::vector<double> xs = {0.3, -0.9};
  void *ctx = __enzyme_context(1);
  keep = ctx;
  auto *dparams = (std::vector<double> *)__enzyme_shadow(ctx, &params, 0);
  double *dscale = (double *)__enzyme_shadow(ctx, &scale, 0);
  CHECK_TRUE("shadow vector has the same size", dparams->size() == 3 && dparams->capacity() == params.capacity());
  for (double x : xs) {
    x0 = x;
    __enzyme_zero_shadows(ctx);
    double dx = __enzyme_autodiff((void *)f, enzyme_context, ctx, x);
    double want = 0, s = 0;
    for (int i = 0; i < 3; i++) {
      want += params[i] * std::cos(x * (i + 1)) * (i + 1) * scale;
      s += params[i] * std::sin(x * (i + 1));
    }
    CHECK_CLOSE("df/dx", dx, want, RTOL_D, ATOL_D);
    CHECK_CLOSE("df/dscale", *dscale, s, RTOL_D, ATOL_D);
    for (which = 0; which < 3; which++) {
      CHECK_CLOSE("df/dparams[i]", (*dparams)[which], scale * std::sin(x * (which + 1)), RTOL_D, ATOL_D);
      CHECK_CLOSE("df/dparams[i] vs FD", (*dparams)[which], fd1(f_of_param, params[which]), RTOL_FD, ATOL_FD);
    }
  }
  return check_report();
}
