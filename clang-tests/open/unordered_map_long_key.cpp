#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
extern "C" void __enzyme_autodiff(void *, ...);
using Params = std::unordered_map<std::string, double>;
static double f(Params &p, const double *x) {
  p["a_parameter_with_a_long_name"] = *x * 3.0;
  return p["a_parameter_with_a_long_name"] * p["a"];
}
int main() {
  {
    Params p{{"a", 3.0}}, dp{{"a", 0.0}};
    double x = 0.5, dx = 0;
    __enzyme_autodiff((void *)f, enzyme_dup, &p, &dp, enzyme_dup, &x, &dx);
    CHECK_CLOSE("da", dp.at("a"), 1.5, RTOL_D, ATOL_D);
    CHECK_CLOSE("dx", dx, 9.0, RTOL_D, ATOL_D);
  }
  return check_report();
}
