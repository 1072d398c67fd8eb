// CFLAGS: -std=c++17 -Wno-deprecated-declarations
// LEVELS: 0 1 2
// std::stable_sort of a std::vector<struct {std::string name; double v;}> by name inside the
// differentiated function (issue 14). Short names live in the string's own 16-byte buffer, right
// before the double; long ones on the heap; stable_sort moves elements through a temporary
// buffer. Was refused at -O1..-O3: type analysis took the characters copied into a short
// string's buffer (a run-time length) as "every byte an integer", which clashed with the double
// after it; a string's capacity (read through an `omnipotent char` tag) stayed of unknown type
// in elements that only move (a full type tree had no room left for it); and data pointers
// loaded without their TBAA tag (merged by the optimizer) were taken for pointers to constant
// data. Reverse vs finite differences, forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Item {
  std::string name;
  double v;
};
static const char *NAMES[] = {"delta", "alpha", "echo-a-longer-name-than-sso", "charlie",
                              "bravo-also-longer-than-fifteen", "foxtrot", "ab", "a-long-one-to-move-around"};
#define N 8

static double sorted_weighted(const double *x, const double *w) {
  std::vector<Item> items;
  for (int i = 0; i < N; i++)
    items.push_back(Item{NAMES[i], x[i] * x[i] + std::sin(x[i])});
  std::stable_sort(items.begin(), items.end(), [](const Item &a, const Item &b) { return a.name < b.name; });
  double s = 0;
  for (int i = 0; i < N; i++)
    s += w[i] * items[i].v;
  return s;
}

static double f_pure(const double *x, const void *ctx) { return sorted_weighted(x, (const double *)ctx); }

int main() {
  double x[N], dx[N] = {0}, w[N], t[N];
  unsigned s = 3;
  for (int i = 0; i < N; i++) { x[i] = prand(&s); w[i] = 1.0 + i; t[i] = prand(&s); }
  __enzyme_autodiff((void *)sorted_weighted, enzyme_dup, x, dx, enzyme_const, w);
  double dot = 0;
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE_AT("reverse vs FD", (double)i, dx[i], fdvc(f_pure, w, x, N, i), RTOL_FD, ATOL_FD);
    dot += dx[i] * t[i];
  }
  double fwd = __enzyme_fwddiff((void *)sorted_weighted, enzyme_dup, x, t, enzyme_const, w);
  CHECK_CLOSE("forward = <reverse, t>", fwd, dot, 1e-10, 1e-12);
  return check_report();
}
