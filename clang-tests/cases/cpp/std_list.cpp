// std::list<double> inside the differentiated function. Its header node keeps the list size
// where the nodes keep their value, so type analysis finds integer and double data at one
// offset; the size is only counted with (n + 1, compared), so no float bits move through it.
// Checked against finite differences in both modes, with and without exceptions.
#include "check.h"
#include <list>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static double f(double x) {
  std::list<double> l;
  for (int i = 0; i < 4; i++) l.push_back(x * (i + 1));
  l.push_front(sin(x));
  l.pop_back();
  double s = 0;
  for (double v : l) s += v * v;
  return s * (double)l.size();
}

static double g(double x) {
  std::list<double> a, b;
  for (int i = 0; i < 5; i++) (i % 2 ? a : b).push_back(cos(x * i));
  a.splice(a.end(), b);
  a.reverse();
  double s = 0, w = 1;
  for (double v : a) { s += w * v; w += 0.5; }
  return s;
}

int main() {
  static const double xs[] = {0.7, -1.2, 2.1};
  for (unsigned i = 0; i < COUNT_OF(xs); i++) {
    double x = xs[i];
    CHECK_CLOSE("reverse list", __enzyme_autodiff((void *)f, x), fd1(f, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("forward list", __enzyme_fwddiff((void *)f, x, 1.0), fd1(f, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("reverse splice/reverse", __enzyme_autodiff((void *)g, x), fd1(g, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("forward splice/reverse", __enzyme_fwddiff((void *)g, x, 1.0), fd1(g, x), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
