// Mixed activity markers: explicit enzyme_out, enzyme_const in every position, const integers
// between active doubles, and the same function called with different activity patterns.
#include "check.h"

typedef struct { double d0, d1; } D2;
typedef struct { double d0, d1, d2; } D3;
double __enzyme_autodiff(void *, ...);
D2 __enzyme_autodiff_two(void *, ...);
D3 __enzyme_autodiff_three(void *, ...);

static double g(double a, int n, double b, double c) { return a * b * n + sin(c) * a + b * b * c; }
// partials: d/da = b n + sin c; d/db = a n + 2 b c; d/dc = a cos c + b^2

int main(void) {
  static const double as[] = {0.4, -1.3, 2.1};
  static const double bs[] = {1.7, 0.6, -0.8};
  static const double cs[] = {-0.5, 2.2, 0.9};
  static const int ns[] = {3, -2, 0};
  char what[256];
  for (unsigned i = 0; i < COUNT_OF(as); i++) {
    double a = as[i], b = bs[i], c = cs[i];
    int n = ns[i];
    double wa = b * n + sin(c), wb = a * n + 2.0 * b * c, wc = a * cos(c) + b * b;
#define W(s) (snprintf(what, sizeof what, "%s at point %u", s, i), what)
    CHECK_CLOSE(W("enzyme_out a, const n, const b, const c"),
                __enzyme_autodiff((void *)g, enzyme_out, a, n, enzyme_const, b, enzyme_const, c), wa, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("const a, n, b active (default), const c"),
                __enzyme_autodiff((void *)g, enzyme_const, a, n, b, enzyme_const, c), wb, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("const a, enzyme_const n, const b, enzyme_out c"),
                __enzyme_autodiff((void *)g, enzyme_const, a, enzyme_const, n, enzyme_const, b, enzyme_out, c), wc,
                RTOL_D, ATOL_D);
    D2 r2 = __enzyme_autodiff_two((void *)g, enzyme_out, a, n, enzyme_const, b, enzyme_out, c);
    CHECK_CLOSE(W("a and c enzyme_out, b const: d/da"), r2.d0, wa, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("a and c enzyme_out, b const: d/dc"), r2.d1, wc, RTOL_D, ATOL_D);
    D2 r2b = __enzyme_autodiff_two((void *)g, enzyme_const, a, n, b, c);
    CHECK_CLOSE(W("a const, b c default: d/db"), r2b.d0, wb, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("a const, b c default: d/dc"), r2b.d1, wc, RTOL_D, ATOL_D);
    D3 r3 = __enzyme_autodiff_three((void *)g, a, n, enzyme_out, b, c);
    CHECK_CLOSE(W("all active: d/da"), r3.d0, wa, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("all active: d/db"), r3.d1, wb, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("all active: d/dc"), r3.d2, wc, RTOL_D, ATOL_D);
#undef W
  }
  return check_report();
}
