// CFLAGS: -std=c++17
// emplace of a new key and try_emplace of an existing one into an enzyme_dup
// std::unordered_map<std::string, double>, then a lookup times the active input. At -O1 ferment
// refused it (found in session 33): "reads memory that may hold floating-point data as an
// integer". The key's move into the new node copies a run-time number of bytes (`len + 1`)
// from the temporary key's short-string buffer (16 bytes into a 32-byte stack slot); type
// analysis copied what it knew of the node (its double 16 bytes past the key's buffer) back to
// the source unbounded, past the end of the slot, onto the slot's pointer to its own buffer.
// A run-time-length copy now says nothing of bytes past a stack slot it reads or writes
// (session 36). Oracles: the analytic derivative, central differences; the maps after the call.
#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" int enzyme_dup;
using Params = std::unordered_map<std::string, double>;

static double f(Params &p, const double *tp) {
  p.emplace("offset", 0.25);
  p.try_emplace("rate", 9.0);
  return p["offset"] * *tp + p["rate"] * std::sin(*tp);
}

static double primal(double x) {
  Params p{{"rate", 3.0}};
  return f(p, &x);
}

int main() {
  Params p{{"rate", 3.0}}, dp{{"rate", 0.0}};
  double x = 0.5, dx = 0;
  __enzyme_autodiff((void *)f, enzyme_dup, &p, &dp, enzyme_dup, &x, &dx);
  CHECK_CLOSE("d/dx", dx, 0.25 + 3.0 * std::cos(x), RTOL_D, ATOL_D);
  CHECK_CLOSE("d/dx fd", dx, fd1(primal, x), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("d/d rate", dp.at("rate"), std::sin(x), RTOL_D, ATOL_D);
  CHECK_TRUE("primal map", p.size() == 2 && p.at("offset") == 0.25 && p.at("rate") == 3.0);
  CHECK_TRUE("shadow map grew", dp.size() == 2);
  return check_report();
}
