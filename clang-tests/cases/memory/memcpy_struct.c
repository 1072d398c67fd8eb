// Copies of a mixed struct (doubles, an int, a long tag, a float): memcpy, struct assignment,
// memset of one double field. Only the floating-point parts carry derivatives; the int and long
// fields of the user's shadow must come back unchanged.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  double a;
  int n;
  double b[3];
  long tag;
  float f;
} Mixed;

double mix(const Mixed *m) {
  Mixed local;
  memcpy(&local, m, sizeof local);
  local.a *= 2.0;
  memset(&local.b[1], 0, sizeof(double)); // b1 drops out
  Mixed arr[2];
  arr[0] = local;
  arr[1] = *m;
  return arr[0].a * arr[1].b[2] + arr[0].b[0] * arr[0].n + arr[0].b[1] * 100.0 +
         sin((double)arr[1].f) * arr[1].b[1] + (double)arr[0].tag * arr[1].a;
}

// packed: a, b0, b1, b2, f   (n = 3, tag = 2); with ctx, f comes from *ctx and p has 4 entries
static double mix_packed(const double *p, const void *ctx) {
  Mixed m = {p[0], 3, {p[1], p[2], p[3]}, 2, (float)(ctx ? *(const double *)ctx : p[4])};
  return mix(&m);
}

int main(void) {
  // f is a float: choose a value exactly representable so the double oracle sees the same point
  double p[5] = {0.7, -1.3, 0.4, 2.1, 0.375};
  Mixed m = {p[0], 3, {p[1], p[2], p[3]}, 2, (float)p[4]};
  Mixed dm;
  memset(&dm, 0, sizeof dm);
  __enzyme_autodiff((void *)mix, &m, &dm);
  // f = 2a b2 + 3 b0 + sin(f) b1 + 2a
  double want[5] = {2.0 * p[3] + 2.0, 3.0, sin(p[4]), 2.0 * p[0], cos(p[4]) * p[2]};
  double got[5] = {dm.a, dm.b[0], dm.b[1], dm.b[2], dm.f};
  CHECK_GRAD_FD("oracle: analytic (a, b0, b1, b2)", mix_packed, &p[4], p, 4, want, RTOL_FD, ATOL_FD);
  { // the float field: a step exactly representable in float (2^-10), central difference
    double pp[5], pm[5], h = 1.0 / 1024;
    memcpy(pp, p, sizeof pp);
    memcpy(pm, p, sizeof pm);
    pp[4] += h;
    pm[4] -= h;
    CHECK_CLOSE("oracle: analytic d/df vs finite differences", want[4],
                (mix_packed(pp, NULL) - mix_packed(pm, NULL)) / (2 * h), 1e-5, 1e-7);
  }
  CHECK_ARRAY_CLOSE("reverse (a, b0, b1, b2, f)", got, want, 5, RTOL_F, ATOL_F);
  CHECK_TRUE("shadow int field unchanged", dm.n == 0);
  CHECK_TRUE("shadow long field unchanged", dm.tag == 0);

  Mixed tm = {0.3, 0, {-0.2, 0.9, 0.5}, 0, -0.75f};
  double dir[5] = {0.3, -0.2, 0.9, 0.5, -0.75};
  double t = __enzyme_fwddiff((void *)mix, &m, &tm);
  CHECK_CLOSE("forward vs gradient . direction", t, dotv(want, dir, 5), RTOL_F, ATOL_F);
  return check_report();
}
