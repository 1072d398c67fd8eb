// A spring-mass cloth as a graphics/physics code writes it: particle positions and velocities
// in std::vector<std::array<double, 3>>, springs (structural and shear) in a struct-of-arrays
// (std::vector<int> i, j and std::vector<double> rest), small helper lambdas for 3-vectors,
// gravity, damping, two pinned corners skipped by a `continue`, semi-implicit Euler for a few
// steps, and a loss comparing the final shape with a target drape. The user optimizes the
// spring stiffnesses and rest lengths: gradient by reverse mode, checked by central differences
// and by forward mode. Heap-heavy (vectors copied per step), so it also runs under valgrind.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
// VALGRIND
#include "check.h"
#include <array>
#include <cmath>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

using V3 = std::array<double, 3>;

struct Springs {
  std::vector<int> i, j;
  std::vector<double> rest, k;
};

static const int W = 4, H = 3;

static Springs build_springs(const double *stiff, const double *rest_scale) {
  Springs s;
  auto add = [&](int a, int b, double len, int kind) {
    s.i.push_back(a);
    s.j.push_back(b);
    s.rest.push_back(len * rest_scale[kind]);
    s.k.push_back(stiff[kind]);
  };
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int p = y * W + x;
      if (x + 1 < W) add(p, p + 1, 1.0, 0);
      if (y + 1 < H) add(p, p + W, 1.0, 0);
      if (x + 1 < W && y + 1 < H) add(p, p + W + 1, std::sqrt(2.0), 1);
      if (x > 0 && y + 1 < H) add(p, p + W - 1, std::sqrt(2.0), 1);
    }
  return s;
}

static void step(std::vector<V3> &pos, std::vector<V3> &vel, const Springs &s, double dt) {
  std::vector<V3> f(pos.size(), V3{0.0, -0.5, 0.0});
  auto sub = [](const V3 &a, const V3 &b) { return V3{a[0] - b[0], a[1] - b[1], a[2] - b[2]}; };
  for (size_t e = 0; e < s.i.size(); e++) {
    V3 d = sub(pos[s.j[e]], pos[s.i[e]]);
    double len = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    double mag = s.k[e] * (len - s.rest[e]) / len;
    for (int c = 0; c < 3; c++) {
      f[s.i[e]][c] += mag * d[c];
      f[s.j[e]][c] -= mag * d[c];
    }
  }
  for (size_t p = 0; p < pos.size(); p++) {
    if (p == 0 || p == (size_t)(W - 1)) continue; // pinned corners
    for (int c = 0; c < 3; c++) {
      vel[p][c] = 0.98 * vel[p][c] + dt * f[p][c];
      pos[p][c] += dt * vel[p][c];
    }
  }
}

// params: stiffness[2], rest scale[2]
extern "C" double drape_loss(const double *params, const double *target, int nsteps) {
  Springs s = build_springs(params, params + 2);
  std::vector<V3> pos, vel(W * H, V3{0.0, 0.0, 0.0});
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) pos.push_back(V3{(double)x, 0.0, (double)y * 0.9});
  for (int n = 0; n < nsteps; n++) step(pos, vel, s, 0.05);
  double loss = 0.0;
  for (size_t p = 0; p < pos.size(); p++)
    for (int c = 0; c < 3; c++) {
      double d = pos[p][c] - target[3 * p + c];
      loss += d * d;
    }
  return loss;
}

static double f_params(const double *p, const void *t) { return drape_loss(p, (const double *)t, 25); }

int main() {
  double target[3 * W * H];
  for (int p = 0; p < W * H; p++) {
    int x = p % W, y = p / W;
    target[3 * p] = x * 0.95, target[3 * p + 1] = -0.3 * y - 0.05 * x * (W - 1 - x), target[3 * p + 2] = 0.8 * y;
  }
  double params[4] = {30.0, 12.0, 0.97, 1.02}, dparams[4] = {0};
  __enzyme_autodiff((void *)drape_loss, enzyme_dup, params, dparams, enzyme_const, target, enzyme_const, 25);
  CHECK_GRAD_FD("dloss/dparams", f_params, target, params, 4, dparams, 1e-5, 1e-8);
  double tp[4] = {1.0, -0.5, 0.01, 0.02};
  double t = __enzyme_fwddiff((void *)drape_loss, enzyme_dup, params, tp, enzyme_const, target, enzyme_const, 25);
  CHECK_CLOSE("forward vs reverse", t, dotv(dparams, tp, 4), 1e-9, 1e-11);
  return check_report();
}
