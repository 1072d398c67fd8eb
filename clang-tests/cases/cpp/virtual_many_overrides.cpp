// CFLAGS: -std=c++17
// Twelve derived classes overriding one virtual function (more than ferment inlines at a call
// site: the dispatcher stays a call, each override differentiated once), objects with active
// members passed duplicated (shadow objects: copies with the data zeroed), an array of base
// pointers visited twice per call. A second virtual function of the same type at another slot
// is not among the first call's candidates. Reverse, forward and split mode.
// Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <cmath>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);

struct Base {
  double a = 0, b = 0;
  virtual double f(double x) const = 0;
  virtual double g(double x) const { return a * x + b; }
  virtual ~Base() = default;
};
#define D(i)                                                                                   \
  struct D##i : Base {                                                                         \
    double f(double x) const override {                                                       \
      return a * std::sin((i + 1) * 0.3 * x + b) + b * b * std::exp(-0.1 * i * x * x);        \
    }                                                                                          \
    double g(double x) const override { return a * b * x * (i + 1); }                         \
  };
D(0) D(1) D(2) D(3) D(4) D(5) D(6) D(7) D(8) D(9) D(10) D(11)

__attribute__((noinline)) Base *make(int k) {
  switch (k % 12) {
  case 0: return new D0;
  case 1: return new D1;
  case 2: return new D2;
  case 3: return new D3;
  case 4: return new D4;
  case 5: return new D5;
  case 6: return new D6;
  case 7: return new D7;
  case 8: return new D8;
  case 9: return new D9;
  case 10: return new D10;
  default: return new D11;
  }
}

__attribute__((noinline)) double energy(Base *const *objs, int n, double x) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += objs[i]->f(x) * objs[(i + 1) % n]->f(0.5 * x) + objs[i]->g(x);
  return s;
}

enum { N = 5 };
static Base *objs_g[N];
static double x_g = 0.7;
// objective over (a_0, b_0, ..., a_{N-1}, b_{N-1}) at x_g
static double energy_c(const double *p, const void *) {
  for (int i = 0; i < N; i++) {
    objs_g[i]->a = p[2 * i];
    objs_g[i]->b = p[2 * i + 1];
  }
  return energy(objs_g, N, x_g);
}

int main(int argc, char **argv) {
  (void)argv;
  Base *shadow[N];
  double p[2 * N];
  for (int i = 0; i < N; i++) {
    int k = (i * 5 + argc + 2) % 12;
    objs_g[i] = make(k);
    shadow[i] = make(k); // same dynamic type, data zero
    p[2 * i] = 0.5 + 0.1 * i;
    p[2 * i + 1] = -0.3 + 0.2 * i;
    objs_g[i]->a = p[2 * i];
    objs_g[i]->b = p[2 * i + 1];
  }
  double x = x_g;
  double grad[2 * N];
  // The members' adjoints land in the shadow objects.
  __enzyme_autodiff((void *)energy, enzyme_dup, objs_g, shadow, enzyme_const, N, enzyme_const, x);
  for (int i = 0; i < N; i++) {
    grad[2 * i] = shadow[i]->a;
    grad[2 * i + 1] = shadow[i]->b;
  }
  {
    double h = fd_step(x);
    double fp = energy(objs_g, N, x + h), fm = energy(objs_g, N, x - h);
    double fx = __enzyme_fwddiff((void *)energy, enzyme_const, objs_g, enzyme_const, N, x, 1.0);
    CHECK_CLOSE("forward d/dx", fx, (fp - fm) / (2 * h), RTOL_FD, ATOL_FD);
  }
  CHECK_GRAD_FD("reverse d/d(members) into the shadow objects", energy_c, nullptr, p, 2 * N, grad,
                RTOL_FD, ATOL_FD);
  energy_c(p, nullptr);
  for (int j = 0; j < 2 * N; j++) {
    for (int i = 0; i < N; i++)
      shadow[i]->a = shadow[i]->b = 0;
    if (j % 2)
      shadow[j / 2]->b = 1;
    else
      shadow[j / 2]->a = 1;
    double t = __enzyme_fwddiff((void *)energy, enzyme_dup, objs_g, shadow, enzyme_const, N,
                                x, 0.0);
    CHECK_CLOSE("forward vs reverse", t, grad[j], RTOL_D, ATOL_D);
  }
  for (int i = 0; i < N; i++)
    shadow[i]->a = shadow[i]->b = 0;
  void *tape = __enzyme_augmentfwd((void *)energy, enzyme_dup, objs_g, shadow, enzyme_const, N,
                                   enzyme_const, x);
  __enzyme_reverse((void *)energy, enzyme_dup, objs_g, shadow, enzyme_const, N, enzyme_const, x,
                   1.0, tape);
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE("split vs reverse (a)", shadow[i]->a, grad[2 * i], RTOL_D, ATOL_D);
    CHECK_CLOSE("split vs reverse (b)", shadow[i]->b, grad[2 * i + 1], RTOL_D, ATOL_D);
  }
  for (int i = 0; i < N; i++) {
    delete objs_g[i];
    delete shadow[i];
  }
  return check_report();
}
