// Found by ferment-fuzz (user variant, seeds 750047 and 750049, reduced by hand): a global
// array written with an active value, then partly overwritten by a memcpy at a constant
// offset (`memcpy(garr + 1, tbl, ...)`). The destination is then a constant expression
// (`getelementptr (@garr, 8)`), which forward mode did not look up as an address inside the
// global's shadow: the copy's tangent was skipped, so the stale tangent of the overwritten
// elements stayed (a wrong forward derivative at -O0 and -O1; at -O2 the small copy becomes
// stores). The same for a copy between two globals and a memmove inside one (wrong at every
// level), and for a pointer stored into a field of a global struct (`gh[1].p = p`): its shadow
// was not stored, and both modes crashed at -O0 loading it back. Forward and reverse against
// central finite differences.
#include "check.h"

#define N 4
static double garr[N], g2[N];
static const double tbl[4] = {0.5, -0.25, 1.5, 0.75};
struct H {
  double *p;
  double w;
};
static struct H gh[2];

typedef struct {
  double dx, dy;
} G2;
G2 __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const;

static void fill(double x) {
  for (int q = 0; q < N; q++)
    garr[q] = x * (0.3 - 0.1 * q) + 0.05 * q;
}

/* a constant table copied over part of an active global */
double copy_const(double x, double y) {
  fill(x);
  memcpy(garr + 1, tbl, 2 * sizeof(double));
  return y * garr[1] + garr[2] * x + garr[0] * garr[3] + x * x;
}

/* a copy between two globals, both at constant offsets */
double copy_globals(double x, double y) {
  fill(x);
  for (int q = 0; q < N; q++)
    g2[q] = x * x * q;
  memcpy(g2 + 1, garr + 2, 2 * sizeof(double));
  return y * g2[1] + g2[2] + g2[3] * y;
}

/* a memmove inside one global */
double move_inside(double x, double y) {
  fill(x);
  garr[0] = sin(y) * x;
  memmove(garr + 1, garr, 3 * sizeof(double));
  return y * garr[1] + garr[2] * garr[3];
}

/* a memset at a constant offset */
double set_part(double x, double y) {
  fill(x);
  memset(garr + 1, 0, 2 * sizeof(double));
  return y * garr[1] + garr[2] + garr[3] * y + garr[0] * x;
}

/* a pointer to duplicated memory stored into a field of a global struct */
double pointer_field(double x, double y, double *p) {
  gh[1].p = p;
  gh[1].w = x;
  p[0] = x * y;
  return gh[1].p[0] * gh[1].w + sin(gh[1].p[1]) * y;
}
static double pf_p1 = 0.9;
static double pointer_field_xy(double x, double y) {
  double p[2] = {0.4, pf_p1};
  return pointer_field(x, y, p);
}

typedef double (*fn2)(double, double);

static void check2(const char *name, fn2 f, double x, double y) {
  char what[96];
  double gx = fd2(f, x, y, 0), gy = fd2(f, x, y, 1);
  double tx = __enzyme_fwddiff((void *)f, x, 1.0, y, 0.0);
  double ty = __enzyme_fwddiff((void *)f, x, 0.0, y, 1.0);
  G2 r = __enzyme_autodiff((void *)f, x, y);
  snprintf(what, sizeof what, "%s: forward d/dx", name);
  CHECK_CLOSE(what, tx, gx, RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s: forward d/dy", name);
  CHECK_CLOSE(what, ty, gy, RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s: reverse d/dx", name);
  CHECK_CLOSE(what, r.dx, gx, RTOL_FD, ATOL_FD);
  snprintf(what, sizeof what, "%s: reverse d/dy", name);
  CHECK_CLOSE(what, r.dy, gy, RTOL_FD, ATOL_FD);
}

int main(void) {
  const double x = 0.7, y = 1.3;
  check2("copy_const", copy_const, x, y);
  check2("copy_globals", copy_globals, x, y);
  check2("move_inside", move_inside, x, y);
  check2("set_part", set_part, x, y);

  /* the struct field: x, y and p[1] (p[0] is overwritten) */
  double gx = fd2(pointer_field_xy, x, y, 0), gy = fd2(pointer_field_xy, x, y, 1);
  double h = 1e-6;
  pf_p1 = 0.9 + h;
  double up = pointer_field_xy(x, y);
  pf_p1 = 0.9 - h;
  double dn = pointer_field_xy(x, y);
  pf_p1 = 0.9;
  double gp1 = (up - dn) / (2 * h);
  double p[2] = {0.4, 0.9}, tp[2] = {0.0, 1.0};
  double t = __enzyme_fwddiff((void *)pointer_field, x, 1.0, y, 0.5, enzyme_dup, p, tp);
  CHECK_CLOSE("pointer_field: forward along (1, 0.5, p1)", t, gx + 0.5 * gy + gp1, RTOL_FD,
              ATOL_FD);
  double q[2] = {0.4, 0.9}, dq[2] = {0.0, 0.0};
  G2 r = __enzyme_autodiff((void *)pointer_field, x, y, enzyme_dup, q, dq);
  CHECK_CLOSE("pointer_field: reverse d/dx", r.dx, gx, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("pointer_field: reverse d/dy", r.dy, gy, RTOL_FD, ATOL_FD);
  CHECK_CLOSE("pointer_field: reverse d/dp1", dq[1], gp1, RTOL_FD, ATOL_FD);
  return check_report();
}
