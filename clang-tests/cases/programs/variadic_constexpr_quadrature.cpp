// A small physics library in modern C++: constexpr Gauss-Legendre tables (std::array built by a
// constexpr function), a variadic template `sum_terms(x, terms...)` folding an energy over any
// number of term objects (a fold expression over a parameter pack), a variadic `hypot_n(args...)`,
// `if constexpr` choosing the quadrature order, and a beam's potential energy (bending + a
// Winkler foundation + a point load) integrated element by element over a cubic Hermite
// deflection. The user differentiates the energy with respect to the nodal degrees of freedom
// (the residual of the FEM system) and the foundation stiffness, reverse and forward.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <array>
#include <cmath>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

template <int N> struct Rule {
  std::array<double, N> x, w;
};

template <int N> constexpr Rule<N> gauss() {
  if constexpr (N == 2) {
    return {{-0.5773502691896258, 0.5773502691896258}, {1.0, 1.0}};
  } else if constexpr (N == 3) {
    return {{-0.7745966692414834, 0.0, 0.7745966692414834},
            {0.5555555555555556, 0.8888888888888888, 0.5555555555555556}};
  } else {
    return {{-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526},
            {0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538}};
  }
}

constexpr auto G3 = gauss<3>();
constexpr auto G4 = gauss<4>();

template <class... T> double hypot_n(T... a) { return std::sqrt(((a * a) + ...)); }

template <class... Terms> double sum_terms(const double *u, int ne, double h, const Terms &...terms) {
  return (terms.energy(u, ne, h) + ...);
}

// Hermite shape functions on [-1, 1] for w and its second derivative
static void hermite(double s, double h, double *N, double *B) {
  N[0] = 0.25 * (1 - s) * (1 - s) * (2 + s);
  N[1] = 0.125 * h * (1 - s) * (1 - s) * (1 + s);
  N[2] = 0.25 * (1 + s) * (1 + s) * (2 - s);
  N[3] = -0.125 * h * (1 + s) * (1 + s) * (1 - s);
  double j2 = 4.0 / (h * h);
  B[0] = j2 * 1.5 * s;
  B[1] = j2 * 0.25 * h * (3 * s - 1);
  B[2] = -j2 * 1.5 * s;
  B[3] = j2 * 0.25 * h * (3 * s + 1);
}

struct Bending {
  double EI;
  double energy(const double *u, int ne, double h) const {
    double e = 0.0;
    for (int el = 0; el < ne; el++) {
      const double *q = u + 2 * el;
      for (int g = 0; g < 3; g++) {
        double N[4], B[4];
        hermite(G3.x[g], h, N, B);
        double kappa = B[0] * q[0] + B[1] * q[1] + B[2] * q[2] + B[3] * q[3];
        // geometric stiffening: curvature measured against the slope, hypot of three parts
        double slope = (q[2] - q[0]) / h;
        e += 0.5 * EI * kappa * kappa * hypot_n(1.0, 0.5 * slope, 0.1 * kappa) * G3.w[g] * 0.5 * h;
      }
    }
    return e;
  }
};

struct Foundation {
  const double *kf; // active: the foundation stiffness
  double energy(const double *u, int ne, double h) const {
    double e = 0.0;
    for (int el = 0; el < ne; el++) {
      const double *q = u + 2 * el;
      for (int g = 0; g < 4; g++) {
        double N[4], B[4];
        hermite(G4.x[g], h, N, B);
        double w = N[0] * q[0] + N[1] * q[1] + N[2] * q[2] + N[3] * q[3];
        e += 0.5 * (*kf) * (w * w + 0.2 * w * w * w * w) * G4.w[g] * 0.5 * h;
      }
    }
    return e;
  }
};

struct PointLoad {
  int node;
  double P;
  double energy(const double *u, int, double) const { return -P * u[2 * node]; }
};

extern "C" double beam_energy(const double *u, double kf, int ne) {
  double h = 1.0 / ne;
  return sum_terms(u, ne, h, Bending{2.0}, Foundation{&kf}, PointLoad{ne / 2, 1.5});
}

#define NE 6
static double f_u(const double *u, const void *kf) { return beam_energy(u, *(const double *)kf, NE); }

int main() {
  const int nd = 2 * (NE + 1);
  double u[nd], du[nd] = {0};
  for (int i = 0; i < nd; i++) u[i] = i % 2 == 0 ? 0.1 * std::sin(0.5 * i) : 0.05 * std::cos(0.3 * i);
  double kf = 3.0;
  double dkf = __enzyme_autodiff((void *)beam_energy, enzyme_dup, u, du, enzyme_out, kf, enzyme_const, NE);
  CHECK_GRAD_FD("residual dE/du", f_u, &kf, u, nd, du, 1e-6, 1e-8);
  CHECK_CLOSE("dE/dkf", dkf, FD_AT(kf, 1e-6, beam_energy(u, kf, NE)), 1e-6, 1e-9);
  double tu[nd];
  for (int i = 0; i < nd; i++) tu[i] = 0.1 * ((i * 5) % 7) - 0.3;
  double t = __enzyme_fwddiff((void *)beam_energy, enzyme_dup, u, tu, kf, 0.5, enzyme_const, NE);
  CHECK_CLOSE("forward vs reverse", t, dotv(du, tu, nd) + 0.5 * dkf, 1e-9, 1e-11);
  return check_report();
}
