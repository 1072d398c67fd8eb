// CFLAGS: -std=c++17
// NOT RUN by the harness (only cases/ are): passes at -O1..-O3 (on the old main too), refused at
// -O0. Units holding a std::function member built from captureless lambdas (moved in through the
// constructor), owned by std::unique_ptr in a std::vector. At -O0 (after ferment's inlining) the
// move copies the 16 bytes of the caller's std::function temporary: the first 8 hold a stored
// null pointer, bytes 8..16 are only cleared by a memset, and type analysis knows nothing of
// them: "cannot tell what bytes 8.. of the memory ... copies hold" (reverse mode).
// `undefined_reads::zero_unwritten_copies` would make such a copy a memset for bytes 8..16, but
// the temporary of the previous loop iteration is destroyed through an indirect call to its
// manager with the slot's address, which reaches this copy over the back edge; the slot's
// lifetime.start lies between them, yet a callee that kept the address could write through it
// after that marker, so the rewrite is refused. Move it to cases/cpp/ when -O0 works.
#include "check.h"
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Unit {
  double w;
  std::function<double(double)> act;
  Unit(double w, std::function<double(double)> f) : w(w), act(std::move(f)) {}
  double operator()(double x) const { return act(w * x); }
};
static double units(const double *x, int n) {
  std::vector<std::unique_ptr<Unit>> us;
  for (int i = 0; i < n; i++) {
    if (i % 2)
      us.push_back(std::make_unique<Unit>(x[i], [](double s) { return std::tanh(s); }));
    else
      us.push_back(std::make_unique<Unit>(x[i], [](double s) { return s * s; }));
  }
  double v = 0.7, s = 0;
  for (auto &u : us) {
    v = (*u)(v) + 0.3;
    s += v;
  }
  return s;
}

typedef double (*fn)(const double *, int);
static void check(const char *name, fn f, double *x, int n) {
  double dx[8] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_ARRAY_FD(name, x, n, dx, 1e-6, f(x, n), RTOL_FD, ATOL_FD);
  double t[8];
  for (int i = 0; i < n; i++)
    t[i] = 0.4 - 0.15 * i;
  double fw = __enzyme_fwddiff((void *)f, enzyme_dup, x, t, enzyme_const, n);
  CHECK_CLOSE(name, fw, dotv(dx, t, n), RTOL_D, ATOL_D);
}
int main() {
  double x[6] = {0.6, -0.9, 0.45, 1.2, -0.3, 0.8};
  check("units", units, x, 6);
  return check_report();
}
