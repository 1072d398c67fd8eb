// CFLAGS: -mllvm -ferment-no-inline
// With every callee kept a call (-ferment-no-inline): a std::vector<double> copied (the copy's
// std::copy ends in a memmove inside a non-inlined `__copy_m<double>(const double*, const
// double*, double*)`, typed from its C++ signature) and memory allocated in a wrapper two calls
// down (`alloc` returns `new double[n]`, `make` stores it in a struct): the wrappers return
// the shadow of the memory they allocate. Oracles: analytic gradients.
#include "check.h"
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" int enzyme_dup, enzyme_const;

static double sum_copy(const std::vector<double> *v) {
  std::vector<double> w(*v);
  double s = 0;
  for (double x : w) s += x * x * x;
  return s;
}

__attribute__((noinline)) static double *alloc(long n) { return new double[n]; }
struct Box {
  double *p;
};
__attribute__((noinline)) static void make(Box *b, long n) { b->p = alloc(n); }
static double through_wrappers(const double *v, long n) {
  Box b;
  make(&b, n);
  for (long i = 0; i < n; i++) b.p[i] = v[i] * v[i];
  double s = 0;
  for (long i = 0; i < n; i++) s += b.p[i] * v[i];
  delete[] b.p;
  return s;
}

int main() {
  std::vector<double> v{1.5, -2.0, 0.5, 3.0}, dv(4, 0.0);
  __enzyme_autodiff((void *)sum_copy, enzyme_dup, &v, &dv);
  for (int i = 0; i < 4; i++)
    CHECK_CLOSE("copied vector: d sum x^3 / dx", dv[i], 3 * v[i] * v[i], RTOL_D, ATOL_D);

  double x[5] = {1, 2, -3, 0.5, 4}, dx[5] = {0};
  __enzyme_autodiff((void *)through_wrappers, enzyme_dup, x, dx, enzyme_const, 5L);
  for (int i = 0; i < 5; i++)
    CHECK_CLOSE("memory from an allocation wrapper: d sum x^3 / dx", dx[i], 3 * x[i] * x[i],
                RTOL_D, ATOL_D);
  return check_report();
}
