// A std::unordered_map<std::string, double> built and returned by value by a function of the
// active inputs, then read with operator[] and with at() on a const map (no exceptions thrown).
// Oracle: the analytic derivative of the entries (sqrt r + log r and log(r)^2 + 2).
#include "check.h"
#include <cmath>
#include <string>
#include <unordered_map>
extern double __enzyme_autodiff(void *, double);
std::unordered_map<std::string, double> table(double a, double b) {
  std::unordered_map<std::string, double> t;
  t["first_key"] = a * a + b;
  t["second_key"] = b * b + 2.0;
  return t;
}
double by_index(double r) {
  auto t = table(std::sqrt(r), std::log(r));
  return t["first_key"] * t["second_key"];
}
double by_at(double r) {
  const auto t = table(std::sqrt(r), std::log(r));
  return t.at("first_key") + 3.0 * t.at("second_key");
}
int main() {
  for (double r : {0.5, 2.0, 3.5}) {
    double a = r + std::log(r), b = std::log(r) * std::log(r) + 2.0;
    double da = 1.0 + 1.0 / r, db = 2.0 * std::log(r) / r;
    CHECK_CLOSE_AT("operator[]", r, __enzyme_autodiff((void *)by_index, r), da * b + a * db, RTOL_D, 1e-14);
    CHECK_CLOSE_AT("at()", r, __enzyme_autodiff((void *)by_at, r), da + 3.0 * db, RTOL_D, 1e-14);
  }
  return check_report();
}
