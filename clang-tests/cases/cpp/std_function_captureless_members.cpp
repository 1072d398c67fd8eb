// CFLAGS: -std=c++17
// Units holding a std::function member built from captureless lambdas (moved in through the
// constructor), owned by std::unique_ptr in a std::vector. Oracles: central finite differences
// (reverse), forward against reverse.
// Was refused at -O0 (sessions 25-26; -O1..-O3 passed): after ferment's inlining the move copies
// the 16 bytes of the caller's std::function temporary, whose bytes 8..16 only a memset clears,
// so type analysis knew nothing of them ("cannot tell what bytes 8.. of the memory ... copies
// hold"). `undefined_reads::zero_unwritten_copies` turns such a copy into a memset there, but was
// refused: the previous iteration's temporary is destroyed through an indirect call to its
// manager with the slot's address, which reaches the copy over the back edge, and a callee that
// kept the address could write through it after the slot's lifetime.start. Now such a call is
// harmless when every path from it to the copy passes a lifetime marker of the slot and nothing
// after the last marker may write through a kept address (`no_stray_writes`: only stores and
// memory intrinsics into stack slots, parameters' or globals' memory or fresh allocations,
// allocations, deallocations and intrinsics that write nothing).
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
