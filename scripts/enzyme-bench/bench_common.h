// Shared by the wrappers: deterministic inputs (no data files needed).
#pragma once
#include <stdlib.h>
#include <string.h>
static unsigned long long bench_seed = 12345;
static double bench_rnd(void) {  // uniform in [0, 1)
  bench_seed = bench_seed * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(bench_seed >> 11) / 9007199254740992.0;
}
static double *bench_rvec(long n, double lo, double hi) {
  double *v = (double *)malloc((n > 0 ? n : 1) * sizeof(double));
  for (long i = 0; i < n; i++) v[i] = lo + (hi - lo) * bench_rnd();
  return v;
}
