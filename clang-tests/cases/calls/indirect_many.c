// Fifty functions of one type whose addresses sit in a mutable table, called through it at
// eight call sites of the differentiated function. Comparing the pointer with every candidate
// and inlining each at every call site would copy (and differentiate) 400 bodies: the
// dispatcher stays a call and each candidate is differentiated once (compile time about that of
// one call site). Which functions run is chosen at run time.
// Oracles: central finite differences (reverse), forward vs reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef double (*fn)(double, double);

#define F(i)                                                                                   \
  __attribute__((noinline)) static double f##i(double x, double p) {                          \
    double s = 0;                                                                              \
    for (int k = 0; k < 3; k++)                                                                \
      s += (sin((i + 1) * x + p) * exp(-0.1 * (i % 9 + 1) * x * x) +                          \
            cos(p * (k + 1)) * tanh(x - 0.05 * i)) *                                           \
           (k + 1);                                                                            \
    return s + p * x / (i + 2);                                                                \
  }
#define F10(t) F(t##0) F(t##1) F(t##2) F(t##3) F(t##4) F(t##5) F(t##6) F(t##7) F(t##8) F(t##9)
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F10(1) F10(2) F10(3) F10(4)

#define R10(t) f##t##0, f##t##1, f##t##2, f##t##3, f##t##4, f##t##5, f##t##6, f##t##7, f##t##8, f##t##9
static fn table[50] = {f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, R10(1), R10(2), R10(3), R10(4)};

__attribute__((noinline)) double model(double x, const int *which) {
  double s = 0;
  for (int k = 0; k < 8; k++)
    s += table[which[k]](x * 0.5 + 0.1 * k, 0.1 * k + 0.03) * (k % 3 + 1);
  // Call sites outside the loop too.
  s += table[which[0]](x, 0.2) * table[which[1]](0.3 * x, 0.1);
  s += table[which[2]](x * x, 0.5);
  return s;
}

static int which_g[8];
static double model_x(double x) { return model(x, which_g); }

int main(int argc, char **argv) {
  (void)argv;
  for (int round = 0; round < 3; round++) {
    for (int k = 0; k < 8; k++)
      which_g[k] = (k * 7 + argc * 13 + round * 17) % 50;
    for (double x = -1.0; x <= 1.0; x += 0.5) {
      double r = __enzyme_autodiff((void *)model, x, enzyme_const, which_g);
      double f = __enzyme_fwddiff((void *)model, x, 1.0, enzyme_const, which_g);
      CHECK_CLOSE_AT("reverse vs finite differences", x, r, fd1(model_x, x), RTOL_FD, ATOL_FD);
      CHECK_CLOSE_AT("forward vs reverse", x, f, r, RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
