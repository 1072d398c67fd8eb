// A struct with an array field and an int field, filled by a helper through a variable index,
// copied (struct assignment), changed, and passed by value: SROA splits the copies into
// a [2 x double] piece and a 32-byte piece holding three doubles and the int, and type analysis
// knows only the int there. The doubles' derivatives must still move through the copies (they
// were once dropped). Oracle: central finite differences.
#include "check.h"

double __enzyme_autodiff(void *, ...);

struct big {
  double m[6];
  int n;
};

static struct big make(const double *x) {
  struct big b;
  for (int i = 0; i < 6; i++) b.m[i] = x[i % 4] * (i + 1);
  b.n = 6;
  return b;
}
static double weigh(struct big b) {
  double s = 0;
  for (int i = 0; i < b.n; i++) s += b.m[i] * (i + 1);
  return s * s;
}

static double f(const double *x, const void *ctx) {
  (void)ctx;
  struct big b = make(x);
  struct big c = b;
  c.m[2] *= x[0];
  return weigh(c) * 0.001;
}

__attribute__((noinline)) double g(const double *x) { return f(x, 0); }

int main(void) {
  double x[4] = {0.7, -0.4, 1.3, 0.6}, dx[4] = {0, 0, 0, 0};
  __enzyme_autodiff((void *)g, x, dx);
  CHECK_GRAD_FD("struct copies with an array field", f, 0, x, 4, dx, RTOL_FD, ATOL_FD);
  return check_report();
}
