// A struct holding a pointer returned through two kept calls (-ferment-no-inline): `put` returns
// what `put2` returns, a {pointer, flag} pair, where `put2` links a fresh node holding an active
// value into the caller's Box. Calls left that return such a struct go through `.ferment.outret`
// copies storing the result through a slot; the outer copy's body still called `put2` for a
// struct value, so the summary of `put.ferment.outret` did not see the node's pointer reach its
// slot, the caller passed the slot without a shadow, and the derivative of `put` was refused at
// -O0 ("an active value is stored into argument 3 ... which has no shadow"; main 270b29f, the
// shape of std::unordered_map::emplace returning _Hashtable::emplace's pair). Now the copy's own
// struct-returning calls go through slots too. Oracles: the analytic gradient, central
// differences, forward vs reverse; under valgrind (memory/): the node, freed by the caller, and
// its shadow are freed.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

typedef struct {
  double *p;
  _Bool fresh;
} Res;
typedef struct {
  double *slot;
} Box;

static double *make(void) { return malloc(sizeof(double)); }
static Res put2(Box *b, double v) {
  Res r;
  if (!b->slot) {
    b->slot = make();
    *b->slot = v * v;
    r.fresh = 1;
  } else {
    r.fresh = 0;
  }
  r.p = b->slot;
  return r;
}
static Res put(Box *b, double v) { return put2(b, v); }

/* only the flag of the first result is used; the second's pointer is read */
double energy(double x) {
  Box b = {0};
  Res r = put(&b, x);
  Res s = put(&b, 2 * x);
  double y = *s.p * x + (r.fresh ? 1.0 : 0.0) + (s.fresh ? 10.0 : 0.0);
  free(b.slot);
  return y;
}

/* the user's Box, duplicated: the node's shadow goes to the user's shadow Box */
double fill(Box *b, double x) {
  Res r = put(b, sin(x));
  return *b->slot * (r.fresh ? 3.0 : 1.0);
}
static double fill_fresh(double x) {
  Box b = {0};
  double y = fill(&b, x);
  free(b.slot);
  return y;
}

int main(void) {
  double xs[] = {0.7, -1.3, 2.1};
  for (int k = 0; k < 3; k++) {
    double x = xs[k];
    double g = __enzyme_autodiff((void *)energy, x);
    CHECK_CLOSE_AT("energy reverse (analytic 3x^2)", x, g, 3 * x * x, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("energy reverse vs fd", x, g, fd1(energy, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("energy forward", x, __enzyme_fwddiff((void *)energy, x, 1.0), g, RTOL_D, ATOL_D);

    Box b = {0}, db = {0};
    double gf = __enzyme_autodiff((void *)fill, enzyme_dup, &b, &db, x);
    CHECK_CLOSE_AT("fill reverse (analytic 6 sin cos)", x, gf, 6 * sin(x) * cos(x), RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("fill reverse vs fd", x, gf, fd1(fill_fresh, x), RTOL_FD, ATOL_FD);
    CHECK_TRUE("the shadow Box got the node's shadow", db.slot != NULL);
    free(b.slot);
    free(db.slot);
  }
  return check_report();
}
