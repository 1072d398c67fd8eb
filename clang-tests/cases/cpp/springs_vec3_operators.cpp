// CFLAGS: -std=c++17
// A small mass-spring system written the way C++ users write one for Enzyme: a Vec3 value class
// with operator overloads (returned by value), a System class holding std::vector<Vec3>,
// std::vector<Spring> and std::vector<double> members filled in its constructor and by
// push_back, and a const member function computing the energy. Reverse mode through
// __enzyme_autodiff and through <enzyme/enzyme>'s enzyme::autodiff<Reverse>, forward mode
// through __enzyme_fwddiff. Oracles: central finite differences of the primal (reverse), the
// forward-vs-reverse dot product along two directions (forward).
#include "check.h"
#include <cmath>
#include <enzyme/enzyme>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Vec3 {
  double x, y, z;
  Vec3 operator+(const Vec3 &o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3 &o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  Vec3 &operator+=(const Vec3 &o) {
    x += o.x;
    y += o.y;
    z += o.z;
    return *this;
  }
  double dot(const Vec3 &o) const { return x * o.x + y * o.y + z * o.z; }
  double norm() const { return std::sqrt(dot(*this)); }
};
static Vec3 operator*(double s, const Vec3 &v) { return v * s; }

struct Spring {
  int a, b;
  double rest, k;
};

class System {
public:
  System(const double *xyz, int n) : pos(n), mass(n) {
    for (int i = 0; i < n; i++) {
      pos[i] = {xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2]};
      mass[i] = 1.0 + 0.1 * i;
    }
  }
  void connect(int a, int b, double rest, double k) { springs.push_back({a, b, rest, k}); }
  double energy() const {
    double e = 0;
    for (const Spring &s : springs) {
      Vec3 d = pos[s.b] - pos[s.a];
      double l = d.norm() - s.rest;
      e += 0.5 * s.k * l * l;
    }
    Vec3 c{0, 0, 0};
    for (size_t i = 0; i < pos.size(); i++) {
      e += mass[i] * 9.81 * pos[i].z;
      c += mass[i] * pos[i];
    }
    return e + 0.01 * c.dot(c);
  }

private:
  std::vector<Vec3> pos;
  std::vector<Spring> springs;
  std::vector<double> mass;
};

static double energy(const double *xyz, int n) {
  System s(xyz, n);
  for (int i = 0; i < n; i++)
    s.connect(i, (i + 1) % n, 1.0, 2.0 + i);
  s.connect(0, n / 2, 1.5, 0.5);
  return s.energy();
}
static double energy_ref(const double *xyz, const int &n) { return energy(xyz, n); }

int main() {
  const int n = 5;
  double x[3 * n], dx[3 * n] = {0}, dx2[3 * n] = {0};
  for (int i = 0; i < 3 * n; i++)
    x[i] = std::cos(1.3 * i) + 0.2 * i;
  __enzyme_autodiff((void *)energy, enzyme_dup, x, dx, enzyme_const, n);
  CHECK_ARRAY_FD("reverse", x, 3 * n, dx, 1e-6, energy(x, n), RTOL_FD, ATOL_FD);
  enzyme::autodiff<enzyme::Reverse>(energy_ref, enzyme::Duplicated<const double *>(x, dx2),
                                    enzyme::Const<const int &>(n));
  for (int i = 0; i < 3 * n; i++)
    CHECK_CLOSE("enzyme::autodiff vs __enzyme_autodiff", dx2[i], dx[i], RTOL_D, ATOL_D);
  for (int dir = 0; dir < 2; dir++) {
    double t[3 * n];
    for (int i = 0; i < 3 * n; i++)
      t[i] = std::sin(0.7 * i + dir) + 0.1;
    double fw = __enzyme_fwddiff((void *)energy, enzyme_dup, x, t, enzyme_const, n);
    CHECK_CLOSE("forward vs reverse", fw, dotv(dx, t, 3 * n), RTOL_D, ATOL_D);
  }
  return check_report();
}
