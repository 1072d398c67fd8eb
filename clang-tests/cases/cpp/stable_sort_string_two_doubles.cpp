// CFLAGS: -std=c++17 -Wno-deprecated-declarations
// LEVELS: 0 1 2
// std::stable_sort of std::vector<struct {std::string name; double v, w;}> (and of a record
// {std::string; int; double; float}) inside the differentiated function (issue 14). The implicit
// move constructor copies the fields after the string with one constant-size memcpy (16 bytes for
// {v, w}); nothing in the sorting code reads them as floats, so their type came from nowhere: "cannot
// tell which floating-point type" at -O0 and -O1. At -O2/-O3 the short-string characters moved into
// the sort's temporary element (a run-time-length memcpy of size()+1 bytes at align 8, right
// before the doubles) were refused. Reverse vs finite differences, forward vs reverse.
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
  double w;
};
struct Rec {
  std::string name;
  int id;
  double v;
  float w;
};
static const char *NAMES[] = {"delta", "alpha", "echo-a-longer-name-than-sso", "charlie",
                              "bravo-also-longer-than-fifteen", "foxtrot", "ab", "a-long-one-to-move-around"};
#define N 8

static double sorted_weighted(const double *x, const double *w) {
  std::vector<Item> items;
  for (int i = 0; i < N; i++)
    items.push_back(Item{NAMES[i], x[i] * x[i] + std::sin(x[i]), std::cos(x[i]) * w[i]});
  std::stable_sort(items.begin(), items.end(), [](const Item &a, const Item &b) { return a.name < b.name; });
  double s = 0;
  for (int i = 0; i < N; i++)
    s += w[i] * items[i].v + (i + 1) * items[i].w * items[i].v;
  return s;
}

static double sorted_records(const double *x, const double *w) {
  std::vector<Rec> recs;
  for (int i = 0; i < N; i++)
    recs.push_back(Rec{NAMES[N - 1 - i], i, std::exp(0.3 * x[i]), (float)(x[i] * w[i])});
  std::stable_sort(recs.begin(), recs.end(), [](const Rec &a, const Rec &b) { return a.name < b.name; });
  double s = 0;
  for (int i = 0; i < N; i++)
    s += (recs[i].id + 1) * recs[i].v * (i + 1) + recs[i].w * (double)recs[i].w * w[i];
  return s;
}

static double f_items(const double *x, const void *ctx) { return sorted_weighted(x, (const double *)ctx); }

// d sorted_records / d x[i], analytic: record i lands at position k (a stable sort of the
// names, done here on indices); the float field f = (float)(x[i] w[i]) contributes f^2 w[k]
// (finite differences would see its rounding).
static double records_grad(const double *x, const double *w, int i) {
  int order[N];
  for (int j = 0; j < N; j++) order[j] = j;
  std::stable_sort(order, order + N, [](int a, int b) { return std::string(NAMES[N - 1 - a]) < NAMES[N - 1 - b]; });
  int k = 0;
  while (order[k] != i) k++;
  double f = (float)(x[i] * w[i]);
  return (i + 1) * (k + 1) * 0.3 * std::exp(0.3 * x[i]) + 2 * f * w[k] * w[i];
}

int main() {
  double x[N], dx[N] = {0}, dr[N] = {0}, w[N], t[N];
  unsigned s = 3;
  for (int i = 0; i < N; i++) { x[i] = prand(&s); w[i] = 1.0 + i; t[i] = prand(&s); }
  __enzyme_autodiff((void *)sorted_weighted, enzyme_dup, x, dx, enzyme_const, w);
  __enzyme_autodiff((void *)sorted_records, enzyme_dup, x, dr, enzyme_const, w);
  double dot = 0, dotr = 0;
  for (int i = 0; i < N; i++) {
    CHECK_CLOSE_AT("items: reverse vs FD", (double)i, dx[i], fdvc(f_items, w, x, N, i), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("records: reverse vs analytic", (double)i, dr[i], records_grad(x, w, i), 1e-6, 1e-9);
    dot += dx[i] * t[i];
    dotr += dr[i] * t[i];
  }
  double fwd = __enzyme_fwddiff((void *)sorted_weighted, enzyme_dup, x, t, enzyme_const, w);
  CHECK_CLOSE("items: forward = <reverse, t>", fwd, dot, 1e-10, 1e-12);
  double fwdr = __enzyme_fwddiff((void *)sorted_records, enzyme_dup, x, t, enzyme_const, w);
  CHECK_CLOSE("records: forward = <reverse, t>", fwdr, dotr, 1e-6, 1e-8);
  return check_report();
}
