// CFLAGS: -std=c++17
// Session 36 (issue 14, section 4), fixed in session 37: a std::map<std::string, std::vector<double>> of named series
// built inside the differentiated function, keyed by "k" + std::to_string(i % 2) (a string built
// by the out-of-line libstdc++ `_M_replace`), each mapped vector grown by push_back of active
// values. Before session 37, -O1..-O3: false refusal "'store double ..' writes or passes on a
// pointer that may point into memory without derivative memory: '.. load ptr ..' merges pointers
// to duplicated data with pointers to constant data" (new_allocator.h:175, the vector's element
// store): the key string's data pointer, set by a library call only the primal saw, stood for
// its own shadow in the node. Now the shadow key gets a block of its own (shadow.rs,
// `own_string_block`), and nothing in the node stands for its own shadow.
// Oracles: the analytic gradient 2 x_i, forward vs reverse.
#include "check.h"
#include <cmath>
#include <map>
#include <string>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double named_series(const double *x, int n) {
  std::map<std::string, std::vector<double>> series;
  for (int i = 0; i < n; i++) series["k" + std::to_string(i % 2)].push_back(x[i] * x[i]);
  double s = 0;
  for (const auto &kv : series)
    for (double v : kv.second) s += v;
  return s;
}

int main() {
  double x[3] = {1.0, 2.0, 3.0}, dx[3] = {0, 0, 0}, t[3] = {0.5, -0.25, 1.0};
  __enzyme_autodiff((void *)named_series, x, dx, 3);
  for (int i = 0; i < 3; i++) CHECK_CLOSE("d/dx", dx[i], 2 * x[i], RTOL_D, ATOL_D);
  CHECK_CLOSE("forward", __enzyme_fwddiff((void *)named_series, x, t, 3), dotv(dx, t, 3), RTOL_D,
              ATOL_D);
  return check_report();
}
