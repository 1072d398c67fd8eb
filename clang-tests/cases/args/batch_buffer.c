// RUN: clang opt
// __enzyme_batch with `enzyme_buffer, STRIDE, p`: a pointer argument whose lane k is p + k*STRIDE
// bytes (lanes of one array of structs, or rows of a matrix), beside enzyme_vector and
// enzyme_scalar arguments; a void function writing through such a pointer, and a batched
// function that takes a derivative of what it reads through it.
// Oracles: the function called directly, lane by lane; an analytic derivative.
#include "check.h"

extern int enzyme_width, enzyme_vector, enzyme_scalar, enzyme_buffer;
typedef struct { double a, b, c; } Vec3;
typedef struct { double x, y, w; } P;
Vec3 __enzyme_batch(void *, ...);
void __enzyme_batch_v(void *, ...) __asm__("__enzyme_batch");
double __enzyme_fwddiff(void *, ...);

static double weigh(const P *p, double s, double t) { return p->w * (p->x * s + p->y * t); }
static void rownorm(double *row, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += row[i] * row[i];
  s = sqrt(s);
  for (int i = 0; i < n; i++) row[i] /= s;
}
static double sq_x(const P *p) { return p->x * p->x * p->w; }
static double dsq_x(const P *p) {
  P d = {1.0, 0.0, 0.0};
  return __enzyme_fwddiff((void *)sq_x, p, &d);
}

int main(void) {
  P pts[3] = {{1.0, 2.0, 0.5}, {-1.5, 0.25, 2.0}, {3.0, -1.0, 1.5}};
  double t[3] = {0.1, 0.2, 0.3};
  Vec3 r = __enzyme_batch((void *)weigh, enzyme_width, 3, enzyme_buffer, sizeof(P), pts,
                          enzyme_scalar, 0.75, enzyme_vector, t[0], t[1], t[2]);
  double got[3] = {r.a, r.b, r.c};
  for (int k = 0; k < 3; k++)
    CHECK_CLOSE("enzyme_buffer lane", got[k], weigh(&pts[k], 0.75, t[k]), 0, 0);

  enum { R = 3, C = 4, LD = 5 };
  double m[R * LD], ref[R * LD];
  for (int i = 0; i < R * LD; i++) m[i] = ref[i] = 0.5 + 0.37 * i - 0.02 * i * i;
  __enzyme_batch_v((void *)rownorm, enzyme_width, R, enzyme_buffer, LD * sizeof(double), m,
                   enzyme_scalar, C);
  for (int k = 0; k < R; k++) rownorm(&ref[k * LD], C);
  for (int i = 0; i < R * LD; i++) CHECK_CLOSE("rows normalized in place, padding kept", m[i], ref[i], 0, 0);

  Vec3 d = __enzyme_batch((void *)dsq_x, enzyme_width, 3, enzyme_buffer, sizeof(P), pts);
  double dg[3] = {d.a, d.b, d.c};
  for (int k = 0; k < 3; k++)
    CHECK_CLOSE("batched derivative through the lane pointer: 2 x w", dg[k], 2 * pts[k].x * pts[k].w, RTOL_D, ATOL_D);
  return check_report();
}
