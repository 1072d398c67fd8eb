// CFLAGS: -std=c++17
// Global-shadow contexts used from C++ the way a library wraps them: a class template
// `GlobalGrad<F>` holds the context (created in its constructor), registers the shadows of a
// model's globals (a std::array of weights, a struct of settings, a plain double), zeroes them
// with `__enzyme_zero_shadows` before each gradient and calls `__enzyme_autodiff`/`__enzyme_fwddiff`
// of the function it is instantiated with, from member function templates. Two instances with
// different functions share the globals but not the contexts; a width-2 context runs batched forward
// mode. Oracles: the analytic gradient of each function, central differences with respect to each
// global, and forward (lane by lane) against reverse.
#include "check.h"
#include <array>
#include <cmath>
extern "C" void *__enzyme_context(int);
extern "C" void *__enzyme_shadow(void *, void *, int);
extern "C" void __enzyme_zero_shadows(void *);
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
struct Two { double v[2]; };
extern "C" Two __enzyme_fwddiff2(void *, ...) __asm__("__enzyme_fwddiff");
extern "C" int enzyme_context, enzyme_width;

struct Settings { double gain; int order; double bias; };
std::array<double, 4> weights = {0.5, -1.25, 0.75, 0.2};
Settings settings = {1.5, 3, -0.3};
double temperature = 0.8;
void *volatile keep[3]; /* the contexts stay reachable (valgrind) */
static int nkeep;

static double model(double x) {
  double s = settings.bias;
  double p = 1;
  for (int i = 0; i < settings.order + 1 && i < 4; i++) {
    s += weights[i] * p;
    p *= x;
  }
  return settings.gain * std::tanh(s / temperature);
}
static double energy(double x) {
  double e = 0;
  for (double w : weights) e += (w - x) * (w - x);
  return e * settings.gain + temperature * x;
}

template <double (*F)(double)> class GlobalGrad {
  void *ctx_;
public:
  double *dw, *dgain, *dbias, *dtemp;
  explicit GlobalGrad(int width = 1) : ctx_(__enzyme_context(width)) {
    keep[nkeep++] = ctx_;
    dw = (double *)__enzyme_shadow(ctx_, &weights, 0);
    dgain = (double *)__enzyme_shadow(ctx_, &settings.gain, 0);
    dbias = (double *)__enzyme_shadow(ctx_, &settings.bias, 0);
    dtemp = (double *)__enzyme_shadow(ctx_, &temperature, 0);
  }
  template <class T> T grad(T x) {
    __enzyme_zero_shadows(ctx_);
    return __enzyme_autodiff((void *)F, enzyme_context, ctx_, x);
  }
  template <class T> T tangent(T x, T dx) {
    __enzyme_zero_shadows(ctx_); // the shadows are the globals' tangents in forward mode
    return __enzyme_fwddiff((void *)F, enzyme_context, ctx_, x, dx);
  }
};

static double fd_x;
static double *fd_slot;
static double (*fd_f)(double);
static double fd_glob(double v) {
  double o = *fd_slot;
  *fd_slot = v;
  double r = fd_f(fd_x);
  *fd_slot = o;
  return r;
}

static void check_globals(const char *what, double (*f)(double), double x, GlobalGrad<model> *gm,
                          GlobalGrad<energy> *ge) {
  fd_x = x;
  fd_f = f;
  double *d[7];
  double *slots[7] = {&weights[0], &weights[1], &weights[2], &weights[3], &settings.gain, &settings.bias, &temperature};
  if (gm) { for (int i = 0; i < 4; i++) d[i] = gm->dw + i; d[4] = gm->dgain; d[5] = gm->dbias; d[6] = gm->dtemp; }
  else { for (int i = 0; i < 4; i++) d[i] = ge->dw + i; d[4] = ge->dgain; d[5] = ge->dbias; d[6] = ge->dtemp; }
  for (int i = 0; i < 7; i++) {
    fd_slot = slots[i];
    CHECK_CLOSE_AT(what, i, *d[i], fd1(fd_glob, *slots[i]), RTOL_FD, ATOL_FD);
  }
}

int main() {
  GlobalGrad<model> gm;
  GlobalGrad<energy> ge;
  const double xs[] = {0.4, -0.7, 1.1};
  for (double x : xs) {
    double dx = gm.grad(x);
    // analytic: model = gain * tanh(s / T), s = bias + sum_{i<=3} w_i x^i
    double s = settings.bias, ds = 0, p = 1;
    for (int i = 0; i < 4; i++) { s += weights[i] * p; if (i) ds += i * weights[i] * std::pow(x, i - 1); p *= x; }
    double th = std::tanh(s / temperature), sech2 = 1 - th * th;
    CHECK_CLOSE_AT("model d/dx", x, dx, settings.gain * sech2 * ds / temperature, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("model d/dgain", x, *gm.dgain, th, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("model d/dT", x, *gm.dtemp, settings.gain * sech2 * -s / (temperature * temperature), RTOL_D, ATOL_D);
    check_globals("model globals vs FD", model, x, &gm, nullptr);

    double ex = ge.grad(x);
    double want = temperature;
    for (double w : weights) want += -2 * (w - x) * settings.gain;
    CHECK_CLOSE_AT("energy d/dx", x, ex, want, RTOL_D, ATOL_D);
    check_globals("energy globals vs FD", energy, x, nullptr, &ge);
    // the model's context still holds the model's adjoints (not zeroed by the other instance)
    CHECK_CLOSE_AT("model context kept", x, *gm.dgain, th, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("model fwd vs rev", x, gm.tangent(x, 1.0), dx, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("energy fwd vs rev", x, ge.tangent(x, 1.0), ex, RTOL_D, ATOL_D);
  }
  // width 2: two tangent lanes of x through a batched context
  void *c2 = __enzyme_context(2);
  keep[nkeep++] = c2;
  __enzyme_zero_shadows(c2);
  double x = 0.3;
  Two t = __enzyme_fwddiff2((void *)model, enzyme_context, c2, enzyme_width, 2, x, 1.0, -2.0);
  double d1 = gm.tangent(x, 1.0);
  CHECK_CLOSE("width 2 lane 0", t.v[0], d1, RTOL_D, ATOL_D);
  CHECK_CLOSE("width 2 lane 1", t.v[1], -2.0 * d1, RTOL_D, ATOL_D);
  return check_report();
}
