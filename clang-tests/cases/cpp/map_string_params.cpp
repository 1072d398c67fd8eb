// CFLAGS: -std=c++17
// A std::map<std::string, double> of parameters built inside the differentiated function from
// its active inputs, then looked up by name. Copying a key copies its characters with a memcpy
// through a pointer that is either the string's own short buffer (inside a map node, which holds
// a double and so has a shadow) or a heap buffer (characters only, no shadow). The characters
// carry no derivative: ferment used to stop with a false "merges pointers to duplicated data with
// pointers to constant data" at -O1..-O3. Short keys (in the string's buffer) and long keys (on
// the heap), reverse and forward mode. Oracles: the analytic gradient and central differences.
#include "check.h"
#include <map>
#include <string>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double short_keys(const double *w) {
  std::map<std::string, double> params{{"alpha", w[0]}, {"beta", w[1]}};
  return params["alpha"] * sin(params["beta"]) + params["beta"] * params["beta"];
}

static double long_keys(const double *w) {
  std::map<std::string, double> p{{"learning_rate_of_the_model", w[0]},
                                  {"regularization_strength_l2", w[1]},
                                  {"mu", w[0] * w[1]}};
  p["a_key_added_later_with_a_long_name"] = exp(p["mu"]);
  double s = 0;
  for (auto &kv : p) s += kv.second * (double)kv.first.size();
  return s + p["learning_rate_of_the_model"] * p["regularization_strength_l2"];
}

typedef double (*objective)(const double *);

static void check(const char *what, objective f, const double *w0) {
  double w[2] = {w0[0], w0[1]}, dw[2] = {0, 0};
  __enzyme_autodiff((void *)f, enzyme_dup, w, dw);
  CHECK_ARRAY_FD(what, w, 2, dw, 1e-6, f(w), RTOL_FD, ATOL_FD);
  for (int i = 0; i < 2; i++) {
    double t[2] = {i == 0 ? 1.0 : 0.0, i == 1 ? 1.0 : 0.0};
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)f, enzyme_dup, w, t), dw[i], RTOL_D, ATOL_D);
  }
}

int main() {
  const double w[2] = {0.4, 1.3};
  double dw[2] = {0, 0}, wc[2] = {w[0], w[1]};
  __enzyme_autodiff((void *)short_keys, enzyme_dup, wc, dw);
  CHECK_CLOSE("short keys d alpha", dw[0], sin(w[1]), RTOL_D, ATOL_D);
  CHECK_CLOSE("short keys d beta", dw[1], w[0] * cos(w[1]) + 2 * w[1], RTOL_D, ATOL_D);
  check("short keys", short_keys, w);
  check("long keys", long_keys, w);
  const double w2[2] = {-0.7, 0.2};
  check("long keys", long_keys, w2);
  return check_report();
}
