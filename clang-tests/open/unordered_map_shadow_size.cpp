#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);
extern "C" void __enzyme_autodiff(void *, ...);
using Params = std::unordered_map<std::string, double>;

static double f(Params &p, double x) {
  p.emplace("a", 1.0);     // exists
  p.emplace("b", x * 2.0); // new
  return p["a"] * p["b"] + x;
}
int main() {
  {
    Params p{{"a", 3.0}}, dp{{"a", 0.0}};
    __enzyme_autodiff((void *)f, enzyme_dup, &p, &dp, enzyme_out, 0.5);
    CHECK_CLOSE("da", dp.at("a"), 1.0, RTOL_D, ATOL_D);
    CHECK_TRUE("size", dp.size() == 2);
  }
  {
    Params p{{"a", 3.0}}, dp{{"a", 0.0}};
    void *tape = __enzyme_augmentfwd((void *)f, enzyme_dup, &p, &dp, enzyme_out, 0.5);
    __enzyme_reverse((void *)f, enzyme_dup, &p, &dp, enzyme_out, 0.5, 1.0, tape);
    CHECK_CLOSE("da split", dp.at("a"), 1.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
