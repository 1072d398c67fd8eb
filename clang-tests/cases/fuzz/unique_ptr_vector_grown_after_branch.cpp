// A std::vector<std::unique_ptr<Base>> of objects holding active values, grown by push_back on
// both sides of a branch and grown again after it (cpp variant, seed 39000006): at -O2 LLVM
// moves the first element's unique_ptr into the new buffer as an integer (`load i64` from the
// old buffer, a phi of the two branches' buffers, so the stored pointer is not forwarded;
// `store i64` into the new one; `inttoptr` where it is called), and the pointer made from the
// loaded integer had no shadow: the derivative with respect to the first object's coefficient
// was silently 0 in forward and reverse mode (-O2, -O3). Now a pointer-wide integer loaded and
// turned back into a pointer loads and stores as a pointer (`int_pointers::load_pointers_as_pointers`);
// fails 6 of 12 checks on main 4a5a9c8 at -O2 and -O3.
// Checked against central differences at three points, on both sides of the branch.
// CFLAGS: -std=c++17
#include "check.h"
#include <memory>
#include <vector>

extern "C" double __enzyme_fwddiff(void *, ...);

struct Shape1 {
  virtual ~Shape1() = default;
  virtual double eval(double x) const = 0;
};
struct ShSin : Shape1 {
  double c;
  explicit ShSin(double c) : c(c) {}
  double eval(double x) const override { return c * sin(x); }
};
struct ShTanh : Shape1 {
  double c, d;
  ShTanh(double c, double d) : c(c), d(d) {}
  double eval(double x) const override { return tanh(c * x) + d * x; }
};
struct ShRat : Shape1 {
  double a, b;
  ShRat(double a, double b) : a(a), b(b) {}
  double eval(double x) const override { return a * x * x / (1.0 + x * x) + b; }
};

// a: the first object's coefficient; b: the branch's value.
static double f(double a, double b) {
  std::vector<std::unique_ptr<Shape1>> sh;
  sh.push_back(std::make_unique<ShSin>(tanh(a)));
  if (b > -0.3)
    sh.push_back(std::make_unique<ShTanh>(0.7, b));
  else
    sh.push_back(std::make_unique<ShRat>(b, 0.7));
  sh.emplace_back(new ShRat(0.708, 0.25));
  double acc = 0.0;
  int q = 0;
  for (const auto &o : sh) acc += o->eval(0.3 + 0.2 * q++);
  return acc;
}

typedef struct {
  double da, db;
} Grad;
extern "C" Grad __enzyme_autodiff(void *, ...);

int main() {
  const double pts[3][2] = {{0.4, 0.2}, {-0.7, -0.5}, {1.1, 0.9}};
  for (int p = 0; p < 3; p++) {
    double a = pts[p][0], b = pts[p][1], h = 1e-6;
    Grad g = __enzyme_autodiff((void *)f, a, b);
    double fda = (f(a + h, b) - f(a - h, b)) / (2 * h);
    double fdb = (f(a, b + h) - f(a, b - h)) / (2 * h);
    double ta = __enzyme_fwddiff((void *)f, a, 1.0, b, 0.0);
    double tb = __enzyme_fwddiff((void *)f, a, 0.0, b, 1.0);
    CHECK_CLOSE_AT("forward d/da vs finite differences", a, ta, fda, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("forward d/db vs finite differences", b, tb, fdb, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse d/da vs finite differences", a, g.da, fda, RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse d/db vs finite differences", b, g.db, fdb, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
