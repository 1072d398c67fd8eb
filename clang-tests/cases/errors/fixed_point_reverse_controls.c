// CFLAGS: -Werror=backend-plugin
// A fixed-point loop with two enzyme_fp_state markers is differentiated through every iteration
// in both modes (Enzyme's adjoint/tangent iteration at the fixed point needs the whole state in
// one buffer), so its tolerance, iteration limit and control function have no effect. That must
// never be silent: a warning at the loop names the construct and what ferment does (promoted to
// an error here so that the harness sees it). At -O2 one load of enzyme_fp_state feeds both of
// its markers (lowering used to read that load after erasing it: a crash inside clang). The
// single-state loop (solve) is differentiated with Enzyme's semantics in reverse mode too
// (loops/fixed_point_reverse.c) and gets no warning, except in a batched reverse derivative
// (enzyme_width), which still differentiates the iterations (solve_lanes).
// EXPECT-ERROR: fixed_point_reverse_controls.c:44:
// EXPECT-ERROR: with 2 enzyme_fp_state markers
// EXPECT-ERROR: fixed_point_reverse_controls.c:51:
// EXPECT-ERROR: in a reverse-mode derivative with enzyme_width (batched lanes)
// EXPECT-ERROR: its iteration limit (enzyme_fp_max_iters) is not used for the adjoint
#include "check.h"
#include <enzyme/fixed_point.h>

void __enzyme_autodiff(void *, ...);
extern int enzyme_width, enzyme_dupv;
double __enzyme_fwddiff(void *, ...);

static int step(int64_t i, double *z, const double *p) {
  double t = 0.5 * cos(*z) + *p;
  int more = fabs(t - *z) > 1e-15 && i < 200;
  *z = t;
  return more;
}

static int control(double *cumul, double *reduction) {
  (void)reduction;
  return *cumul < 0 || *cumul > 1e-24;
}

static double solve(const double *p) {
  double z = 0;
  __enzyme_fixed_point((void *)step, enzyme_fp_state, &z, (int64_t)sizeof z, enzyme_fp_reduction,
                       1e-20, enzyme_fp_control, (void *)control, &z, p);
  return z * z;
}

static double solve2(const double *p) {
  double z = 0, w = 0;
  __enzyme_fixed_point((void *)step, enzyme_fp_state, &z, (int64_t)sizeof z, enzyme_fp_state, &w,
                       (int64_t)sizeof w, enzyme_fp_max_iters, (int64_t)50, &z, p);
  return z * z + w;
}

static void solve_lanes(const double *p, double *out) {
  double z = 0;
  __enzyme_fixed_point((void *)step, enzyme_fp_state, &z, (int64_t)sizeof z, enzyme_fp_max_iters,
                       (int64_t)30, &z, p);
  *out = z * z;
}

int main(void) {
  double p = 0.3, dp = 0, dp2 = 0;
  __enzyme_autodiff((void *)solve, &p, &dp);
  __enzyme_autodiff((void *)solve2, &p, &dp2);
  double q = 0.3, dq[2] = {0, 0}, out, dout[2] = {1, 2};
  __enzyme_autodiff((void *)solve_lanes, enzyme_width, 2, enzyme_dupv, (int64_t)sizeof(double), &q,
                    dq, enzyme_dupv, (int64_t)sizeof(double), &out, dout);
  return dp != 0 && dp2 != 0 && dq[0] != 0 ? 0 : 1;
}
