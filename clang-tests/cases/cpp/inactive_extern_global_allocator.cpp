// A global enum declared enzyme_inactive (an extern declaration with the attribute, then its
// definition; ferment's clang front end reads it) passed to a noinline allocation wrapper that
// returns malloc'd memory, which the differentiated function writes, reads and frees.
// Oracle: the analytic derivative of a * a^2.
// CFLAGS: -fplugin=@FERMENT_CLANG@
#include "check.h"
#include <cstdlib>
#include <initializer_list>
extern "C" double __enzyme_autodiff(void *, ...);
enum class Pool { host, device };
__attribute__((enzyme_inactive)) extern Pool default_pool;
Pool default_pool = Pool::host;
__attribute__((noinline)) void *grab(int bytes, Pool p) { return p == Pool::host ? malloc(bytes) : nullptr; }
double cube_via_heap(double a) {
  double *d = (double *)grab(2 * sizeof(double), default_pool);
  d[0] = a; d[1] = a * a;
  double r = d[0] * d[1];
  free(d);
  return r;
}
int main() {
  for (double a : {-1.5, 0.5, 2.0}) CHECK_CLOSE_AT("d", a, __enzyme_autodiff((void *)cube_via_heap, a), 3 * a * a, RTOL_D, 0);
  return check_report();
}
