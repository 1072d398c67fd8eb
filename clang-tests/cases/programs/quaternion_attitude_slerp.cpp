// Spacecraft attitude code in C++ as people write it: a Quat class with operator overloading
// (operator*, operator+, scalar multiplication, conjugate), a Vec3 with operator overloads and
// dot/cross, normalization after every integration step, rotation of body vectors, slerp between
// two attitudes with acos of a clamped dot product (std::clamp) and a near-parallel fallback to
// lerp, and a geodesic attitude error 2 acos(|q0|) clamped to 1. The user wants the gradient
// of a pointing cost (rotated boresight vs a target, plus slerp-smoothing) with respect to the
// body rates and the initial quaternion, in reverse and forward modes.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Vec3 {
  double x, y, z;
  Vec3 operator+(const Vec3 &o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3 &o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  double dot(const Vec3 &o) const { return x * o.x + y * o.y + z * o.z; }
  Vec3 cross(const Vec3 &o) const { return {y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x}; }
};

struct Quat {
  double w, x, y, z;
  Quat operator*(const Quat &q) const {
    return {w * q.w - x * q.x - y * q.y - z * q.z, w * q.x + x * q.w + y * q.z - z * q.y,
            w * q.y - x * q.z + y * q.w + z * q.x, w * q.z + x * q.y - y * q.x + z * q.w};
  }
  Quat operator+(const Quat &q) const { return {w + q.w, x + q.x, y + q.y, z + q.z}; }
  Quat operator*(double s) const { return {w * s, x * s, y * s, z * s}; }
  Quat conj() const { return {w, -x, -y, -z}; }
  double dot(const Quat &q) const { return w * q.w + x * q.x + y * q.y + z * q.z; }
  double norm() const { return std::sqrt(dot(*this)); }
  Quat normalized() const { return *this * (1.0 / norm()); }
  Vec3 rotate(const Vec3 &v) const {
    Quat p{0.0, v.x, v.y, v.z};
    Quat r = (*this) * p * conj();
    return {r.x, r.y, r.z};
  }
};

static Quat from_axis_angle(const Vec3 &axis, double angle) {
  double n = std::sqrt(axis.dot(axis));
  double s = std::sin(0.5 * angle) / n;
  return {std::cos(0.5 * angle), axis.x * s, axis.y * s, axis.z * s};
}

static Quat slerp(Quat a, Quat b, double t) {
  double c = a.dot(b);
  if (c < 0.0) { // take the short way round
    b = b * -1.0;
    c = -c;
  }
  c = std::clamp(c, -1.0, 1.0);
  if (c > 0.9995) return (a * (1.0 - t) + b * t).normalized();
  double th = std::acos(c), s = std::sin(th);
  return a * (std::sin((1.0 - t) * th) / s) + b * (std::sin(t * th) / s);
}

static double attitude_error(const Quat &a, const Quat &b) {
  Quat d = a.conj() * b;
  double w = std::min(std::fabs(d.w), 1.0);
  return 2.0 * std::acos(w);
}

// rates: NSTEP x 3 body rates; q0: initial attitude (4)
extern "C" double pointing_cost(const double *rates, const double *q0, int nstep) {
  const double dt = 0.1;
  Quat q = Quat{q0[0], q0[1], q0[2], q0[3]}.normalized();
  Quat start = q;
  const Vec3 boresight{0.0, 0.0, 1.0}, target{0.3, -0.2, 0.93};
  double cost = 0.0;
  for (int k = 0; k < nstep; k++) {
    Vec3 om{rates[3 * k], rates[3 * k + 1], rates[3 * k + 2]};
    double a = std::sqrt(om.dot(om));
    Quat dq = a > 1e-12 ? from_axis_angle(om, a * dt) : Quat{1.0, 0.0, 0.0, 0.0};
    q = (q * dq).normalized();
    Vec3 b = q.rotate(boresight);
    Vec3 e = b - target;
    cost += e.dot(e) + 0.01 * om.dot(om);
    Vec3 side = b.cross(target);
    cost += 0.05 * side.dot(side);
  }
  Quat mid = slerp(start, q, 0.5);
  cost += 0.2 * attitude_error(mid, q) + 0.1 * attitude_error(start, q);
  return cost;
}

#define NSTEP 12
static double f_rates(const double *r, const void *q0) { return pointing_cost(r, (const double *)q0, NSTEP); }

int main() {
  double rates[3 * NSTEP], drates[3 * NSTEP] = {0};
  for (int i = 0; i < 3 * NSTEP; i++) rates[i] = 0.4 * std::sin(0.7 * i + 0.3) + (i % 3 == 0 ? 0.2 : 0.0);
  double q0[4] = {0.9, 0.1, -0.2, 0.3}, dq0[4] = {0};
  __enzyme_autodiff((void *)pointing_cost, enzyme_dup, rates, drates, enzyme_dup, q0, dq0, enzyme_const, NSTEP);
  CHECK_GRAD_FD("dcost/drates", f_rates, q0, rates, 3 * NSTEP, drates, 1e-5, 1e-7);
  CHECK_ARRAY_FD("dcost/dq0", q0, 4, dq0, 1e-6, pointing_cost(rates, q0, NSTEP), 1e-5, 1e-7);
  double tr[3 * NSTEP], tq[4] = {0.1, 0.2, -0.1, 0.05};
  for (int i = 0; i < 3 * NSTEP; i++) tr[i] = std::cos(0.4 * i);
  double t = __enzyme_fwddiff((void *)pointing_cost, enzyme_dup, rates, tr, enzyme_dup, q0, tq, enzyme_const, NSTEP);
  CHECK_CLOSE("forward vs reverse", t, dotv(drates, tr, 3 * NSTEP) + dotv(dq0, tq, 4), 1e-9, 1e-11);
  return check_report();
}
