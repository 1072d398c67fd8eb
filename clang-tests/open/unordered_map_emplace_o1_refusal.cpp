#include <string>
#include <cmath>
#include <unordered_map>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" int enzyme_dup;
using Params = std::unordered_map<std::string, double>;
static double f(Params &p, const double *tp) {
  p.emplace("offset", 0.25);

  p.try_emplace("rate", 9.0);
  return p["offset"] * *tp;
}
int main() {
  Params p{{"rate", 3.0}}, dp{{"rate", 0.0}};
  double x = 0.5, dx = 0;
  __enzyme_autodiff((void *)f, enzyme_dup, &p, &dp, enzyme_dup, &x, &dx);
  return 0;
}
