// CFLAGS: -std=c++17 -I/usr/include/eigen3
// Fixed-size Eigen kinematics as robotics code writes it: Matrix3d rotations (by hand and from
// AngleAxisd), products of rotations, Vector3d sums, cross product, norm, squaredNorm, trace,
// and a Map<const Vector3d> over a raw argument. At -O2 Eigen's 3x3 products leave vector
// lanes nothing reads undefined (`fmul <2 x double> %v, <double 0.0, double poison>`); the
// reverse sweep multiplied a zero adjoint by such a lane and added the poison into a
// rotation's shadow, which the host's later optimization turned into a silently wrong
// gradient (d/dq1 off by 0.04). Undefined float lanes of the canonical copy are now defined.
// Oracles: central finite differences, forward vs reverse, and the symmetry of a
// trace that depends on q1 + q2 only.
#include "check.h"
#include <Eigen/Dense>
#include <cmath>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

using Eigen::Matrix3d;
using Eigen::Vector3d;

static Matrix3d rot_z(double t) {
  Matrix3d R;
  R << std::cos(t), -std::sin(t), 0, std::sin(t), std::cos(t), 0, 0, 0, 1;
  return R;
}
static Matrix3d rot_y(double t) { return Eigen::AngleAxisd(t, Vector3d::UnitY()).toRotationMatrix(); }

// Forward kinematics of a 3-joint arm: tip-to-target distance, a cross-product term and a trace.
static double arm(const double *q, const double *target) {
  Vector3d l1(0.0, 0.0, 0.5), l2(0.8, 0.0, 0.0), l3(0.6, 0.1, 0.0);
  Matrix3d R1 = rot_z(q[0]);
  Matrix3d R2 = R1 * rot_y(q[1]);
  Matrix3d R3 = R2 * rot_y(q[2]);
  Vector3d p = R1 * l1 + R2 * l2 + R3 * l3;
  Vector3d e = p - Eigen::Map<const Vector3d>(target);
  Vector3d c = (R3 * l3).cross(e);
  return e.norm() + 0.25 * c.squaredNorm() + 0.1 * (R3.transpose() * R1).trace();
}
static double arm_fd(const double *q, const void *t) { return arm(q, (const double *)t); }

// trace(R3^T R1) = trace(Ry(q1 + q2)) = 1 + 2 cos(q1 + q2): d/dq0 = 0, d/dq1 = d/dq2.
static double twist(const double *q) {
  Matrix3d R1 = rot_z(q[0]);
  Matrix3d R3 = R1 * rot_y(q[1]) * rot_y(q[2]);
  return (R3.transpose() * R1).trace();
}

int main() {
  double q[3] = {0.3, -0.7, 1.1}, dq[3] = {0, 0, 0};
  double target[3] = {0.4, 0.9, 0.2};
  __enzyme_autodiff((void *)arm, enzyme_dup, q, dq, enzyme_const, target);
  CHECK_GRAD_FD("arm", arm_fd, target, q, 3, dq, RTOL_FD, ATOL_FD);
  double t[3] = {0.5, -1.0, 0.25};
  double fw = __enzyme_fwddiff((void *)arm, enzyme_dup, q, t, enzyme_const, target);
  CHECK_CLOSE("arm: forward vs reverse", fw, dq[0] * t[0] + dq[1] * t[1] + dq[2] * t[2], RTOL_D,
              ATOL_D);

  double g[3] = {0, 0, 0};
  __enzyme_autodiff((void *)twist, q, g);
  double want = -2.0 * std::sin(q[1] + q[2]);
  CHECK_CLOSE("trace: d/dq0", g[0], 0.0, RTOL_D, ATOL_D);
  CHECK_CLOSE("trace: d/dq1", g[1], want, RTOL_D, ATOL_D);
  CHECK_CLOSE("trace: d/dq2", g[2], want, RTOL_D, ATOL_D);
  return check_report();
}
