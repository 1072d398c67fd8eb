// A kept callee's reverse function (-ferment-no-inline) whose blocks with zero-adjoint guards
// are copied behind one run-time test that the guards' partials are finite: the copy without
// guards runs where the test holds, the guarded original elsewhere. One point sits on the pole
// `z = 0` of the callee's quotients, whose results the caller discards there (their adjoints are
// zero, their partials infinite: the guarded copy must run and give the strong zero, not NaN);
// every other call runs the copy without guards. A camera with `t = 0` skips a branch whose
// partials (`1 / sqrt(t)`) would be infinite.
// Oracle: central finite differences of the primal at every level.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"

extern int enzyme_dup, enzyme_const;
double __enzyme_autodiff(void *, ...);

#define NP 5
#define NC 2
#define NX (NC * 9 + NP * 3)

__attribute__((noinline)) static void proj(const double *c, const double *p, double *out) {
  double x = p[0] - c[0], y = p[1] - c[1], z = p[2] - c[2];
  double t = c[3] * c[3] + c[4] * c[4];
  double w = 1.0;
  if (t != 0) { // not taken for camera 1: its partials (1 / sqrt(t)) are infinite there
    double r = sqrt(t);
    w = sin(r) / r;
  }
  double u = x / z, v = y / z;
  double l = 1 + c[5] * (u * u + v * v);
  out[0] = c[6] * u * l * w + c[7];
  out[1] = c[6] * v * l - c[7] * w;
  out[2] = x * c[8] + y / (1 + c[3] * c[3]);
}

static double objective(const double *x, const void *ctx) {
  (void)ctx;
  const double *cams = x, *pts = x + NC * 9;
  double s = 0;
  for (int i = 0; i < NP; i++) {
    double o[3];
    proj(cams + 9 * (i % NC), pts + 3 * i, o);
    if (i == 2) // on the pole: o[0] and o[1] are not finite and not used
      s += o[2] * o[2];
    else
      s += o[0] * o[0] + sin(o[1]) + o[2];
  }
  return s;
}

int main(void) {
  double x[NX], dx[NX] = {0};
  unsigned st = 7;
  for (int i = 0; i < NX; i++) x[i] = 0.3 + 0.5 * prand(&st);
  // Depths 1 to 2 in front of each camera, except point 2 (camera 0), on the pole z = 0.
  for (int i = 0; i < NP; i++)
    x[NC * 9 + 3 * i + 2] = x[9 * (i % NC) + 2] + (i == 2 ? 0.0 : 1.0 + 0.25 * i);
  // Camera 1 with t = 0 (points 1 and 3).
  x[9 + 3] = 0.0;
  x[9 + 4] = 0.0;
  __enzyme_autodiff((void *)objective, enzyme_dup, x, dx, enzyme_const, (const void *)0);
  for (int i = 0; i < NX; i++) CHECK_TRUE("finite gradient", isfinite(dx[i]));
  CHECK_GRAD_FD("objective", objective, 0, x, NX, dx, RTOL_FD, ATOL_FD);
  return check_report();
}
