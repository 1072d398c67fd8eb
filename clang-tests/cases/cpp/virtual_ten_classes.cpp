// CFLAGS: -std=c++17
// Ten classes behind one virtual call (issue 14): more candidates than ferment inlines, so the
// dispatcher and its targets stay calls, each differentiated once; the classes keep an int, a
// double, a pointer, a float, a long or a short at offset 8 (and a second field at 16). The
// objects are built with `new` inside the differentiated function.
// Oracles: central finite differences (reverse), forward mode vs reverse.
#include "check.h"
#include <cmath>
extern "C" {
extern int enzyme_dup, enzyme_const;
void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Base {
  virtual ~Base() = default;
  virtual double eval(const double *x) const = 0;
};
struct C0 : Base {
  int i;
  double tag;
  C0(int v, double t) : i(v), tag(t) {}
  double eval(const double *x) const override { return x[i % 3] + tag * x[0]; }
};
struct C1 : Base {
  double c;
  int tag;
  C1(double v, int t) : c(v), tag(t) {}
  double eval(const double *x) const override { return c * x[1] + tag * 0.01; }
};
struct C2 : Base {
  const double * p;
  double tag;
  C2(const double * v, double t) : p(v), tag(t) {}
  double eval(const double *x) const override { return p[1] * x[0] + tag * x[0]; }
};
struct C3 : Base {
  float fl;
  int tag;
  C3(float v, int t) : fl(v), tag(t) {}
  double eval(const double *x) const override { return fl * x[2] * x[2] + tag * 0.01; }
};
struct C4 : Base {
  long l;
  double tag;
  C4(long v, double t) : l(v), tag(t) {}
  double eval(const double *x) const override { return x[(l + 1) % 3] * 0.5 + tag * x[0]; }
};
struct C5 : Base {
  double d2;
  int tag;
  C5(double v, int t) : d2(v), tag(t) {}
  double eval(const double *x) const override { return std::exp(d2 * x[0]) + tag * 0.01; }
};
struct C6 : Base {
  int j;
  double tag;
  C6(int v, double t) : j(v), tag(t) {}
  double eval(const double *x) const override { return std::sin(x[j]) * j + tag * x[0]; }
};
struct C7 : Base {
  const double * q;
  int tag;
  C7(const double * v, int t) : q(v), tag(t) {}
  double eval(const double *x) const override { return q[0] * q[2] + tag * 0.01; }
};
struct C8 : Base {
  short sh;
  double tag;
  C8(short v, double t) : sh(v), tag(t) {}
  double eval(const double *x) const override { return x[sh] * x[sh] + tag * x[0]; }
};
struct C9 : Base {
  double c3;
  int tag;
  C9(double v, int t) : c3(v), tag(t) {}
  double eval(const double *x) const override { return c3 / (1 + x[2] * x[2]) + tag * 0.01; }
};

double f(const double *x) {
  Base *b[10] = {new C0(2, 0.0), new C1(0.75, 1), new C2(x, 0.2), new C3(0.5f, 3), new C4(4, 0.4), new C5(-0.4, 5), new C6(1, 0.6), new C7(x, 7), new C8(1, 0.8), new C9(1.3, 9)};
  double s = 0;
  for (int k = 0; k < 10; k++) s += b[k]->eval(x) * (1 + 0.1 * k);
  for (int k = 0; k < 10; k++) delete b[k];
  return s;
}

int main() {
  double x[3] = {0.3, -0.6, 0.9}, dx[3] = {0, 0, 0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  CHECK_ARRAY_FD("reverse", x, 3, dx, 1e-6, f(x), RTOL_FD, ATOL_FD);
  for (int i = 0; i < 3; i++) {
    double t[3] = {0, 0, 0};
    t[i] = 1;
    double df = __enzyme_fwddiff((void *)f, enzyme_dup, x, t);
    CHECK_CLOSE("forward vs reverse", df, dx[i], RTOL_D, ATOL_D);
  }
  return check_report();
}
