// CFLAGS: -std=c++17
// std::shared_ptr holding active data, released inside the differentiated function: the last
// owner's release calls the control block's deleting destructor through its vtable, and
// ferment's dispatcher lists every candidate of that type, among them the abstract base's
// deleting destructor, whose body is only a trap. Its split derivative (an augmented forward
// function that never returns) used to fail LLVM's verifier at -O0/-O1 (a reverse entry with no
// terminator). make_shared released by its only owner, a copy sharing ownership, and a
// shared_ptr adopting a `new` object (a separate control block whose deleter calls delete).
// Oracle: central finite differences.
#include "check.h"
#include <memory>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct State {
  std::vector<double> v;
  double scale;
};

static double made_shared(double x) {
  auto s = std::make_shared<State>();
  s->scale = x;
  for (int i = 0; i < 6; i++) s->v.push_back(sin(x * (i + 1)) * s->scale);
  double r = 0;
  for (double d : s->v) r += d * d;
  s.reset(); // the last owner: the control block and the State are destroyed here
  return r;
}

static double shared_copy(double x) {
  auto s = std::make_shared<State>();
  s->scale = x;
  for (int i = 0; i < 6; i++) s->v.push_back(cos(x + i) * s->scale);
  auto t = s;
  s.reset(); // t still owns it
  double r = 0;
  for (double d : t->v) r += d * x;
  return r;
}

static double from_new(double x) {
  std::shared_ptr<State> s(new State());
  s->scale = x;
  for (int i = 0; i < 4; i++) s->v.push_back(sin(x * (i + 1)) * s->scale);
  double r = 0;
  for (double d : s->v) r += d * d;
  return r; // released (and the State deleted) when s goes out of scope
}

int main() {
  static const double xs[] = {0.3, 0.7, -1.1};
  for (double x : xs) {
    CHECK_CLOSE_AT("reverse make_shared", x, __enzyme_autodiff((void *)made_shared, x), fd1(made_shared, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward make_shared", x, __enzyme_fwddiff((void *)made_shared, x, 1.0), fd1(made_shared, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse shared_ptr copy", x, __enzyme_autodiff((void *)shared_copy, x), fd1(shared_copy, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward shared_ptr copy", x, __enzyme_fwddiff((void *)shared_copy, x, 1.0), fd1(shared_copy, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse shared_ptr(new)", x, __enzyme_autodiff((void *)from_new, x), fd1(from_new, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward shared_ptr(new)", x, __enzyme_fwddiff((void *)from_new, x, 1.0), fd1(from_new, x), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
