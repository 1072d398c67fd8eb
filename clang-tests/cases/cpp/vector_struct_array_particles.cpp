// CFLAGS: -std=c++17
// A particle system as a std::vector of structs, each a std::array<double, 3> position, a
// mass and an int kind, passed by reference with a shadow vector of the same shape
// (enzyme_dup, &ps, &dps), read through a template over std::array's size and a
// std::accumulate lambda over the structs; and the same energy built inside the
// differentiated function from a flat array with push_back past the vector's reserve (its
// reallocation moves the structs). Oracles: central finite differences of every position and
// mass and of the flat input, forward vs reverse.
#include "check.h"
#include <array>
#include <cmath>
#include <numeric>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Particle {
  std::array<double, 3> pos;
  double mass;
  int kind;
};

template <std::size_t D>
static double dist2(const std::array<double, D> &a, const std::array<double, D> &b) {
  double s = 0;
  for (std::size_t k = 0; k < D; k++) s += (a[k] - b[k]) * (a[k] - b[k]);
  return s;
}

// energy of a particle system held in a std::vector of structs passed by reference
double energy(const std::vector<Particle> &ps, double soft) {
  double e = 0;
  for (std::size_t i = 0; i < ps.size(); i++)
    for (std::size_t j = i + 1; j < ps.size(); j++) {
      double w = ps[i].kind == ps[j].kind ? 1.0 : 0.5;
      e -= w * ps[i].mass * ps[j].mass / std::sqrt(dist2(ps[i].pos, ps[j].pos) + soft);
    }
  auto kin = std::accumulate(ps.begin(), ps.end(), 0.0, [](double a, const Particle &p) {
    return a + 0.5 * p.mass * (p.pos[0] * p.pos[0] + 0.25 * p.pos[2]);
  });
  return e + kin;
}

// the same built from a flat array inside the differentiated function
static double energy_flat(const double *x, int n) {
  std::vector<Particle> ps;
  ps.reserve(2);  // grows past this: reallocation copies the structs
  for (int i = 0; i < n; i++)
    ps.push_back(Particle{{x[4 * i], x[4 * i + 1], x[4 * i + 2]},
                          1.0 + x[4 * i + 3] * x[4 * i + 3], i % 2});
  return energy(ps, 0.1);
}

int main() {
  const int n = 5;
  std::vector<Particle> ps(n), dps(n);
  double flat[4 * n];
  for (int i = 0; i < n; i++) {
    ps[i] = Particle{
        {std::sin(1.3 * i), std::cos(0.7 * i + 0.2), 0.3 * i - 0.5}, 1.0 + 0.1 * i, i % 2};
    dps[i] = Particle{{0, 0, 0}, 0, i % 2};
    for (int k = 0; k < 3; k++) flat[4 * i + k] = ps[i].pos[k];
    flat[4 * i + 3] = 0.2 + 0.1 * i;
  }
  __enzyme_autodiff((void *)energy, enzyme_dup, &ps, &dps, enzyme_const, 0.1);
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < 3; k++)
      CHECK_CLOSE("dE/dpos", dps[i].pos[k], FD_AT(ps[i].pos[k], 1e-6, energy(ps, 0.1)), RTOL_FD,
                  ATOL_FD);
    CHECK_CLOSE("dE/dmass", dps[i].mass, FD_AT(ps[i].mass, 1e-6, energy(ps, 0.1)), RTOL_FD,
                ATOL_FD);
  }
  double dflat[4 * n] = {0}, t[4 * n];
  __enzyme_autodiff((void *)energy_flat, enzyme_dup, flat, dflat, enzyme_const, n);
  CHECK_ARRAY_FD("energy_flat", flat, 4 * n, dflat, 1e-6, energy_flat(flat, n), RTOL_FD,
                 ATOL_FD);
  unsigned st = 3;
  for (int i = 0; i < 4 * n; i++) t[i] = prand(&st);
  double jv = __enzyme_fwddiff((void *)energy_flat, enzyme_dup, flat, t, enzyme_const, n);
  CHECK_CLOSE("fwd vs rev", jv, dotv(dflat, t, 4 * n), 1e-9, 1e-12);
  return check_report();
}
