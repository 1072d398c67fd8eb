// Inverse kinematics of a planar n-link arm, as a robotics code writes it: forward kinematics
// by accumulating angles with sin/cos, a target reached by damped Gauss-Newton on the 2-D
// end-effector error (the 2x2 normal system J J^T + lambda I solved in closed form), joint
// limits enforced with fmin/fmax clamps after every iteration, and the final joint angles'
// elbow posture measured with atan2 of the end-effector position relative to the middle joint.
// The user differentiates the converged posture cost with respect to the link lengths and the
// target (design sensitivity): reverse mode; and the full Jacobian of the end-effector position
// with respect to all joint angles by forward mode with enzyme_width (one lane per joint).
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
extern int enzyme_width, enzyme_dupv;

#define NL 5

typedef struct {
  double x[NL];
} Lanes;
void __enzyme_fwddiff5(void *, ...) __asm__("__enzyme_fwddiff_w5");

static void fk(const double *q, const double *len, int n, double *ex, double *ey) {
  double a = 0.0, x = 0.0, y = 0.0;
  for (int i = 0; i < n; i++) {
    a += q[i];
    x += len[i] * cos(a);
    y += len[i] * sin(a);
  }
  *ex = x, *ey = y;
}

/* end effector for the batched Jacobian: out[0..1] */
void fk_out(const double *q, const double *len, double *out) { fk(q, len, NL, &out[0], &out[1]); }

static const double QMIN = -2.5, QMAX = 2.5;

/* len[NL], target[2]; the solve starts from a fixed pose */
double posture_cost(const double *len, const double *target) {
  double q[NL];
  for (int i = 0; i < NL; i++) q[i] = 0.3 - 0.1 * i;
  for (int it = 0; it < 40; it++) {
    double ex, ey;
    fk(q, len, NL, &ex, &ey);
    double rx = target[0] - ex, ry = target[1] - ey;
    /* Jacobian columns: d(ex,ey)/dq_i = sum over links j >= i of the link's perpendicular */
    double Jx[NL], Jy[NL], a = 0.0, px[NL], py[NL];
    for (int i = 0; i < NL; i++) {
      a += q[i];
      px[i] = len[i] * cos(a), py[i] = len[i] * sin(a);
    }
    double sx = 0.0, sy = 0.0;
    for (int i = NL - 1; i >= 0; i--) {
      sx += px[i], sy += py[i];
      Jx[i] = -sy, Jy[i] = sx;
    }
    double lam = 0.05, a11 = lam, a12 = 0.0, a22 = lam;
    for (int i = 0; i < NL; i++) a11 += Jx[i] * Jx[i], a12 += Jx[i] * Jy[i], a22 += Jy[i] * Jy[i];
    double det = a11 * a22 - a12 * a12;
    double u = (a22 * rx - a12 * ry) / det, v = (a11 * ry - a12 * rx) / det;
    for (int i = 0; i < NL; i++) q[i] = fmin(QMAX, fmax(QMIN, q[i] + Jx[i] * u + Jy[i] * v));
  }
  /* posture: angle of the end effector seen from joint 2, plus joint effort */
  double a = 0.0, x2 = 0.0, y2 = 0.0, ex, ey;
  for (int i = 0; i < 2; i++) a += q[i], x2 += len[i] * cos(a), y2 += len[i] * sin(a);
  fk(q, len, NL, &ex, &ey);
  double phi = atan2(ey - y2, ex - x2);
  double effort = 0.0;
  for (int i = 0; i < NL; i++) effort += q[i] * q[i];
  return phi * phi + 0.1 * effort;
}

static double f_len(const double *len, const void *t) { return posture_cost(len, t); }

int main(void) {
  double len[NL] = {1.0, 0.8, 0.7, 0.5, 0.3}, target[2] = {1.6, 1.4};
  double dlen[NL] = {0}, dtarget[2] = {0};
  __enzyme_autodiff((void *)posture_cost, enzyme_dup, len, dlen, enzyme_dup, target, dtarget);
  CHECK_GRAD_FD("dcost/dlen", f_len, target, len, NL, dlen, 1e-4, 1e-7);
  CHECK_ARRAY_FD("dcost/dtarget", target, 2, dtarget, 1e-6, posture_cost(len, target), 1e-4, 1e-7);

  /* Jacobian of the end effector by one batched forward call: lane i seeds dq_i = 1 */
  double q[NL] = {0.4, -0.3, 0.8, 0.2, -0.6}, seeds[NL][NL], zl[NL][NL], out[2], dout[NL][2];
  memset(seeds, 0, sizeof seeds);
  memset(zl, 0, sizeof zl);
  for (int i = 0; i < NL; i++) seeds[i][i] = 1.0;
  __enzyme_fwddiff5((void *)fk_out, enzyme_width, NL, enzyme_dupv, sizeof seeds[0], q, seeds[0], enzyme_dupv,
                    sizeof zl[0], len, zl[0], enzyme_dupv, sizeof dout[0], out, dout[0]);
  for (int i = 0; i < NL; i++) {
    double o[2];
    CHECK_CLOSE("batched jacobian dx/dq", dout[i][0], FD_AT(q[i], 1e-6, (fk_out(q, len, o), o[0])), 1e-6, 1e-9);
    CHECK_CLOSE("batched jacobian dy/dq", dout[i][1], FD_AT(q[i], 1e-6, (fk_out(q, len, o), o[1])), 1e-6, 1e-9);
  }
  /* and the same rows by reverse mode */
  for (int r = 0; r < 2; r++) {
    double dq[NL] = {0}, dl[NL] = {0}, o[2], seed[2] = {r == 0, r == 1};
    __enzyme_autodiff((void *)fk_out, enzyme_dup, q, dq, enzyme_dup, len, dl, enzyme_dup, o, seed);
    for (int i = 0; i < NL; i++) CHECK_CLOSE("reverse row vs batched forward", dq[i], dout[i][r], 1e-12, 1e-14);
  }
  return check_report();
}
