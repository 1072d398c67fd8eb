// A particle integrator with polymorphic force terms held as std::vector<std::unique_ptr<Force>>
// (gravity, a spring to an anchor, quadratic drag), stepped with velocity Verlet. The
// differentiated function receives the force objects and their shadows (Enzyme's pattern:
// shadow objects whose vtable pointer is a table of __enzyme_virtualreverse results, the data
// zeroed) and accumulates the adjoints of the force parameters (spring constant, drag). Reverse
// mode; forward mode on the same objects. Oracle: central finite differences.
// On main b8e9884 a compile error at -O1..-O3: inlined into main, where the unique_ptrs are
// live, the __enzyme_virtualreverse calls are `invoke`s, which were refused.
// CFLAGS: -std=c++17
#include "check.h"
#include <cstring>
#include <memory>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" void *__enzyme_virtualreverse(void *);

struct Force {
  virtual double accel(double x, double v) const = 0;
  virtual ~Force() = default;
};
struct Gravity : Force {
  double g;
  explicit Gravity(double g) : g(g) {}
  double accel(double, double) const override { return -g; }
};
struct Spring : Force {
  double k, anchor;
  Spring(double k, double a) : k(k), anchor(a) {}
  double accel(double x, double) const override { return -k * (x - anchor); }
};
struct Drag : Force {
  double c;
  explicit Drag(double c) : c(c) {}
  double accel(double, double v) const override { return -c * v * fabs(v); }
};

static double total(Force *const *fs, int n, double x, double v) {
  double a = 0;
  for (int i = 0; i < n; i++) a += fs[i]->accel(x, v);
  return a;
}

// final height after `steps` velocity-Verlet steps
static double simulate(Force *const *fs, int n, double x0, double v0) {
  const double dt = 0.02;
  double x = x0, v = v0, a = total(fs, n, x, v);
  for (int s = 0; s < 60; s++) {
    x += dt * v + 0.5 * dt * dt * a;
    double vh = v + 0.5 * dt * a;
    double an = total(fs, n, x, vh);
    v = vh + 0.5 * dt * an;
    a = an;
  }
  return x + 0.1 * v * v;
}

template <class T> static T *shadow_of(const T &primal) {
  // a copy of the object with a table of __enzyme_virtualreverse results as its vtable
  T *s = static_cast<T *>(::operator new(sizeof(T)));
  std::memset((void *)s, 0, sizeof(T));
  void **vt = *(void ***)&primal;
  static void *svt[3]; // one table per class
  for (int i = 0; i < 3; i++) svt[i] = __enzyme_virtualreverse(vt[i]);
  *(void ***)s = svt;
  return s;
}

static double k0 = 3.0, c0 = 0.4, g0 = 9.81;
static double run(double k, double c, double x0, double gg = g0) {
  Gravity g(gg);
  Spring sp(k, 1.0);
  Drag d(c);
  Force *fs[3] = {&g, &sp, &d};
  return simulate(fs, 3, x0, 0.5);
}
static double run_k(double k) { return run(k, c0, 0.2); }
static double run_c(double c) { return run(k0, c, 0.2); }
static double run_x(double x) { return run(k0, c0, x); }
static double run_g(double g) { return run(k0, c0, 0.2, g); }

int main() {
  std::vector<std::unique_ptr<Force>> owned;
  owned.emplace_back(new Gravity(g0));
  owned.emplace_back(new Spring(k0, 1.0));
  owned.emplace_back(new Drag(c0));
  Gravity *sg = shadow_of(*static_cast<Gravity *>(owned[0].get()));
  Spring *ss = shadow_of(*static_cast<Spring *>(owned[1].get()));
  Drag *sd = shadow_of(*static_cast<Drag *>(owned[2].get()));
  Force *fs[3] = {owned[0].get(), owned[1].get(), owned[2].get()};
  Force *dfs[3] = {sg, ss, sd};
  double dx0 = __enzyme_fwddiff((void *)simulate, enzyme_dup, fs, dfs, enzyme_const, 3, 0.2, 1.0,
                                0.5, 0.0);
  CHECK_CLOSE("forward d/dx0", dx0, fd1(run_x, 0.2), RTOL_FD, ATOL_FD);
  __enzyme_autodiff((void *)simulate, enzyme_dup, fs, dfs, enzyme_const, 3, enzyme_const, 0.2,
                    enzyme_const, 0.5);
  CHECK_CLOSE("reverse d/dk", ss->k, fd1(run_k, k0), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("reverse d/dc", sd->c, fd1(run_c, c0), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("reverse d/dg", sg->g, fd1(run_g, g0), RTOL_FD, ATOL_FD);
  // forward along k through the shadow objects
  ss->anchor = 0;
  sd->c = 0;
  sg->g = 0;
  ss->k = 1.0;
  double dk = __enzyme_fwddiff((void *)simulate, enzyme_dup, fs, dfs, enzyme_const, 3, 0.2, 0.0,
                               0.5, 0.0);
  CHECK_CLOSE("forward d/dk", dk, fd1(run_k, k0), RTOL_FD, ATOL_FD);
  ::operator delete(sg);
  ::operator delete(ss);
  ::operator delete(sd);
  return check_report();
}
