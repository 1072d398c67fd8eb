// CFLAGS: -std=c++17
// std::sort of a std::vector<std::pair<std::string, double>> by the string inside the
// differentiated function, then a weighted sum of the carried doubles (issue 14). Short names
// live in the string's own buffer, long ones on the heap; the sort moves both between elements
// and temporaries. Was refused at -O1..-O3: the sort's helpers, differentiated on their own,
// move a string's data pointer (which stands for its own shadow: characters have no derivative
// memory) into other strings ("passes on or updates through ... a pointer loaded from memory
// where the caller may have stored a pointer to constant data"), and copy characters between a
// string buffer and memory type analysis does not know ("merges pointers to duplicated data with
// pointers to constant data"). Reverse vs finite differences, forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static const char *NAMES[] = {"delta", "alpha", "echo-a-longer-name-than-sso", "charlie",
                              "bravo-also-longer-than-fifteen", "foxtrot", "ab", "a-long-one-to-move-around"};
#define N 8

static double sorted_weighted(const double *x, const double *w) {
  std::vector<std::pair<std::string, double>> pairs;
  for (int i = 0; i < N; i++)
    pairs.emplace_back(NAMES[i], x[i] * x[i] + std::sin(x[i]));
  std::sort(pairs.begin(), pairs.end(),
            [](const std::pair<std::string, double> &a, const std::pair<std::string, double> &b) {
              return a.first < b.first;
            });
  double s = 0;
  for (int i = 0; i < N; i++)
    s += w[i] * pairs[i].second;
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
