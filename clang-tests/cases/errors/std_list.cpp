// std::list<double>: its header node keeps the list size where the nodes keep their value, so
// type analysis finds integer and double data at one offset. That is a clear error (it used to
// be a silently wrong gradient, when libstdc++'s list hook was taken to carry no derivative).
// EXPECT-ERROR: reads memory that may hold floating-point data as an integer
// EXPECT-ERROR: enzyme-loose-types
// CFLAGS: -fno-exceptions
#include "check.h"
#include <list>

extern "C" double __enzyme_autodiff(void *, ...);

static double f(double x) {
  std::list<double> l;
  for (int i = 0; i < 4; i++) l.push_back(x * (i + 1));
  l.push_front(sin(x));
  double s = 0;
  for (double v : l) s += v * v;
  return s;
}

int main() {
  printf("%f\n", __enzyme_autodiff((void *)f, 0.7));
  return 0;
}
