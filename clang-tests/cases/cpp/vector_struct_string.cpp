// CFLAGS: -std=c++17
// std::vector of structs holding a double and a std::string built inside the differentiated
// function ("item" + std::to_string(i): a kept `_M_replace` call returning the string), the
// vector growing by push_back (strings relocated next to the doubles), weights read from the
// names. At -O1..-O3 this was a false "merges pointers to duplicated data with pointers to
// constant data" error: the string's data pointer (its own buffer or a heap block libstdc++
// allocated inside the kept call) was stored into the shadowed vector element. A pointer
// loaded as a std::string's `_M_p` (by its TBAA tag) points only at characters, so it may
// stand for its own shadow (`shadow::is_string_buffer`). Oracles: analytic gradient, central
// finite differences (reverse), directional difference (forward), forward vs reverse.
#include "check.h"
#include <cmath>
#include <string>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Item {
  double v;
  std::string name;
};

static double weight(const std::string &name) { return name.size() > 5 ? 2.0 : 1.0 + 0.1 * name.back(); }

static double total(const double *x, int n) {
  std::vector<Item> items;
  for (int i = 0; i < n; i++) items.push_back({x[i] * x[i], "item" + std::to_string(i)});
  double s = 0;
  for (const Item &it : items) s += weight(it.name) * std::sin(it.v);
  return s;
}
static double total_at(const double *x, const void *c) { return total(x, *(const int *)c); }

// The struct's string is a constant name, the vector reserved, elements emplaced.
static double labelled(const double *x, int n) {
  std::vector<Item> items;
  items.reserve(2);
  for (int i = 0; i < n; i++) items.emplace_back(Item{std::exp(0.1 * x[i]), i % 3 ? "b" : "a long label"});
  double s = 0;
  for (size_t i = 0; i < items.size(); i++)
    s += (items[i].name == "b" ? 3.0 : 0.5) * items[i].v * x[(i + 1) % n];
  return s;
}
static double labelled_at(const double *x, const void *c) { return labelled(x, *(const int *)c); }

int main() {
  const int n = 12;
  double x[n], dx[n] = {0}, t[n];
  for (int i = 0; i < n; i++) {
    x[i] = 0.1 * i + 0.3;
    t[i] = std::cos(1.0 + i);
  }
  int nn = n;
  __enzyme_autodiff((void *)total, enzyme_dup, x, dx, enzyme_const, n);
  for (int i = 0; i < n; i++) {
    double w = weight("item" + std::to_string(i));
    CHECK_CLOSE_AT("total d/dx analytic", i, dx[i], w * std::cos(x[i] * x[i]) * 2 * x[i], RTOL_D, ATOL_D);
  }
  CHECK_GRAD_FD("total d/dx", total_at, &nn, x, n, dx, RTOL_FD, ATOL_FD);
  double fw = __enzyme_fwddiff((void *)total, enzyme_dup, x, t, enzyme_const, n);
  CHECK_CLOSE("total fwd vs rev", fw, dotv(dx, t, n), RTOL_D, ATOL_D);

  double dy[n] = {0};
  __enzyme_autodiff((void *)labelled, enzyme_dup, x, dy, enzyme_const, n);
  CHECK_GRAD_FD("labelled d/dx", labelled_at, &nn, x, n, dy, RTOL_FD, ATOL_FD);
  double fw2 = __enzyme_fwddiff((void *)labelled, enzyme_dup, x, t, enzyme_const, n);
  CHECK_CLOSE("labelled fwd vs rev", fw2, dotv(dy, t, n), RTOL_D, ATOL_D);
  return check_report();
}
