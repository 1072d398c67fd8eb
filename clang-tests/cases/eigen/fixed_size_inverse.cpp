// CFLAGS: -std=c++17 -I/usr/include/eigen3
// Fixed-size Eigen as robotics code writes it, at -O0..-O3: rotations from AngleAxisd, a 4x4
// homogeneous transform filled by blocks, Matrix4d::inverse(), Matrix2d::inverse(), a 3x3
// determinant, cross, normalized. Was a compile error at every level: Eigen's SSE2 4x4 inverse
// splats a double packet through its integer view (`bitcast <2 x double>` to `<2 x i64>`,
// `shufflevector` splat) and flips the sign of ONE lane with `xor <i64 0, i64 sign>` before
// viewing it as doubles again; ferment read such an `and`/`xor`/`or` as fabs/fneg only when
// every lane held the sign mask and only straight on the bitcast, so the shuffle in between and
// the per-lane mask left "reinterprets an active floating-point value as bits". A sign mask on
// some lanes (the others the operation's identity) now becomes the float operation on those
// lanes, also after a shuffle of whole floats. Oracles: central finite differences of every
// input, forward vs reverse. The -O0 compile takes about 10 s of CPU.
#include "check.h"
#include <Eigen/Dense>
#include <cmath>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
using namespace Eigen;

static double frame(const double *q) {
  Matrix3d R = AngleAxisd(q[0], Vector3d::UnitZ()).toRotationMatrix() *
               AngleAxisd(q[1], Vector3d::UnitY()).toRotationMatrix();
  Vector3d p(q[2], q[3], q[4]);
  Vector3d a = R * p + Vector3d(0.1, 0.2, 0.3);
  Vector3d c = a.cross(p).normalized();
  Matrix4d T = Matrix4d::Identity();
  T.block<3, 3>(0, 0) = R;
  T.block<3, 1>(0, 3) = a;
  Matrix4d M = T * T.transpose() + Matrix4d::Identity() * (1 + q[5] * q[5]);
  Matrix3d S = R * R.transpose() * q[5] + p * p.transpose();
  double d = S.determinant();
  Matrix2d B;
  B << q[0], q[1], q[2] - 1.5, q[3] + 2.0;
  double e = B.inverse().trace();
  return M.trace() + c.dot(Vector3d(1, -1, 0.5)) + 0.1 * d + e + M.inverse()(1, 2);
}

int main() {
  const int n = 6;
  double x[n] = {0.3, -0.8, 1.1, 0.45, 0.6, -1.3}, dx[n] = {0};
  double t[n] = {0.2, -0.5, 0.7, 1.0, -0.3, 0.4};
  __enzyme_autodiff((void *)frame, enzyme_dup, x, dx);
  CHECK_ARRAY_FD("frame", x, n, dx, 1e-6, frame(x), RTOL_FD, ATOL_FD);
  double jv = __enzyme_fwddiff((void *)frame, enzyme_dup, x, t);
  CHECK_CLOSE("fwd vs rev", jv, dotv(dx, t, n), 1e-9, 1e-12);
  return check_report();
}
