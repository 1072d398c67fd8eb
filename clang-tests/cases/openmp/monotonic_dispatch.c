// CFLAGS: -fopenmp -Wl,--wrap=__kmpc_dispatch_init_4 -Wl,--wrap=__kmpc_dispatch_init_8
// The derivative's own worksharing loops ask libomp for monotonic dispatch: clang marks
// schedule(dynamic) and guided loops nonmonotonic, which libomp runs with a work-stealing
// dispatcher that has an open race under load (kmp_dispatch.cpp(1618) assertion, llvm-project
// issues 54422 and 132164). The program wraps __kmpc_dispatch_init_4/_8 (ld --wrap, so that no
// definition of those names is in the module to inline) and counts the
// schedules it sees: the primal's loops keep the nonmonotonic bit, the forward sweeps of the
// gradient and the tangent (which replay nothing: they hand chunks out) never pass it. The
// gradients are checked against finite differences and forward mode at 1, 2 and 4 threads.
#include "omp_check.h"
#include <stdint.h>

enum { MONOTONIC = 1 << 29, NONMONOTONIC = 1 << 30 };
static volatile int in_ad;                 // set around the derivative calls of main
static int seen_primal_nonmono, seen_ad_calls, seen_ad_nonmono, seen_ad_mono;

static void note(int sched) {
#pragma omp critical(note_sched)
  {
    if (!in_ad) {
      seen_primal_nonmono += (sched & NONMONOTONIC) != 0;
    } else {
      seen_ad_calls++;
      seen_ad_nonmono += (sched & NONMONOTONIC) != 0;
      seen_ad_mono += (sched & MONOTONIC) != 0;
    }
  }
}

void __real___kmpc_dispatch_init_4(void *, int32_t, int, int32_t, int32_t, int32_t, int32_t);
void __real___kmpc_dispatch_init_8(void *, int32_t, int, int64_t, int64_t, int64_t, int64_t);

void __wrap___kmpc_dispatch_init_4(void *loc, int32_t gtid, int sched, int32_t lb, int32_t ub,
                                   int32_t st, int32_t chunk) {
  note(sched);
  __real___kmpc_dispatch_init_4(loc, gtid, sched, lb, ub, st, chunk);
}

void __wrap___kmpc_dispatch_init_8(void *loc, int32_t gtid, int sched, int64_t lb, int64_t ub,
                                   int64_t st, int64_t chunk) {
  note(sched);
  __real___kmpc_dispatch_init_8(loc, gtid, sched, lb, ub, st, chunk);
}

// tapes per chunk (x[i] * x[j] products): the forward sweep computes and keeps its schedule
double pairs_dynamic(const double *x, int n) {
  double e = 0.0;
#pragma omp parallel for reduction(+ : e) schedule(dynamic, 2)
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      e += sin(x[i] * x[j]) * x[j];
  return e;
}

double guided_exp(const double *x, int n) {
  double e = 0.0;
#pragma omp parallel for reduction(+ : e) schedule(guided)
  for (long i = 0; i < n; i++)
    e += exp(0.1 * x[i]) * x[(i + 1) % n];
  return e;
}

double explicit_nonmonotonic(const double *x, int n) {
  double e = 0.0;
#pragma omp parallel for reduction(+ : e) schedule(nonmonotonic : dynamic, 3)
  for (int i = 0; i < n; i++)
    e += x[i] * x[i] * cos(x[i]);
  return e;
}

DEFINE_SCALAR_CHECK(pairs_dynamic, n)
DEFINE_SCALAR_CHECK(guided_exp, n)
DEFINE_SCALAR_CHECK(explicit_nonmonotonic, n)

int main(void) {
  static const int ns[] = {1, 9, 40};
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    pairs_dynamic_check(ns[c], 3u + c);
    guided_exp_check(ns[c], 5u + c);
    explicit_nonmonotonic_check(ns[c], 7u + c);
  }
  enum { N = 64 };
  static double x[N], dx[N], tx[N];
  unsigned s = 21u;
  for (int i = 0; i < N; i++) {
    x[i] = prand(&s);
    tx[i] = 1.0;
  }
  omp_set_num_threads(2);
  double sink = pairs_dynamic(x, N) + guided_exp(x, N) + explicit_nonmonotonic(x, N);
  in_ad = 1;
  __enzyme_autodiff((void *)pairs_dynamic, enzyme_dup, x, dx, enzyme_const, N);
  __enzyme_autodiff((void *)guided_exp, enzyme_dup, x, dx, enzyme_const, N);
  __enzyme_autodiff((void *)explicit_nonmonotonic, enzyme_dup, x, dx, enzyme_const, N);
  sink += __enzyme_fwddiff((void *)pairs_dynamic, enzyme_dup, x, tx, enzyme_const, N);
  sink += __enzyme_fwddiff((void *)explicit_nonmonotonic, enzyme_dup, x, tx, enzyme_const, N);
  in_ad = 0;
  CHECK_TRUE("the primal's dynamic loops are nonmonotonic (the interposition works)",
             seen_primal_nonmono >= 3);
  CHECK_TRUE("the derivatives hand chunks out at run time", seen_ad_calls >= 5);
  CHECK_TRUE("no derivative loop asks for nonmonotonic dispatch", seen_ad_nonmono == 0);
  // (a forward sweep left with nothing to compute deals its chunks statically instead)
  CHECK_TRUE("the derivatives' dynamic loops ask for monotonic dispatch", seen_ad_mono >= 2);
  CHECK_TRUE("finite", sink == sink);
  return check_report();
}
