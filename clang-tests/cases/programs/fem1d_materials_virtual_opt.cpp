// RUN: opt
// LEVELS: 0 1 2 3
// VALGRIND
// cases/programs/fem1d_materials_virtual.cpp (session 37, issue 14) run as Enzyme users run it,
// through opt (`clang++ -O<n> -S -emit-llvm`, `opt -load-pass-plugin=libferment.so
// -passes=enzyme`, link without -O), under valgrind. At opt-O2 and opt-O3 the reverse derivative
// of tip_objective wrote tape rows past the end of a 512-byte `ferment.tape.take` block (valgrind
// invalid write, then glibc's "realloc(): invalid next size"): the host had vectorized the
// elimination's inner loop, whose count is exact only behind its `n - c >= 4` guard, and the rows
// reserved for the whole nest multiplied that count where the guard fails (fixed in session 37;
// reduced: loops/opt_vectorized_nest_rows.c).
// A small nonlinear finite-element code in C++ as an engineering user writes it: a 1D bar of
// elements, each with a material chosen at run time (std::vector<std::unique_ptr<Material>>,
// virtual stress/tangent methods: linear, hardening power law, a smoothed bilinear with a branch),
// element stiffness and internal force in std::array, global assembly into a dense matrix held in
// a std::vector, Dirichlet at the left end, a load-stepped Newton solve (the tangent written by
// hand, differentiated through), and the tip displacement plus a compliance measure as the
// objective. The user wants the sensitivity to the element cross-sections and material moduli
// (reverse), and checks one forward direction.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <array>
#include <cmath>
#include <memory>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Material {
  virtual ~Material() = default;
  virtual double stress(double eps, const double *mod) const = 0;
  virtual double tangent(double eps, const double *mod) const = 0;
};
struct Linear : Material {
  double stress(double e, const double *m) const override { return m[0] * e; }
  double tangent(double, const double *m) const override { return m[0]; }
};
struct PowerHardening : Material {
  double stress(double e, const double *m) const override { return m[0] * e * (1.0 + m[1] * e * e); }
  double tangent(double e, const double *m) const override { return m[0] * (1.0 + 3.0 * m[1] * e * e); }
};
struct SoftBilinear : Material {
  // E for |e| < ey, then E_t beyond, joined smoothly over a width w
  double stress(double e, const double *m) const override {
    double ey = 0.01, s = m[0] * e;
    double a = std::fabs(e);
    if (a > ey) s = std::copysign(m[0] * ey + m[1] * m[0] * (a - ey), e);
    return s;
  }
  double tangent(double e, const double *m) const override { return std::fabs(e) > 0.01 ? m[1] * m[0] : m[0]; }
};

struct Bar {
  int ne;
  double length;
  std::vector<std::unique_ptr<Material>> mats;
};

static void solve_dense(std::vector<double> &A, std::vector<double> &b, int n) {
  for (int c = 0; c < n; c++) {
    for (int r = c + 1; r < n; r++) {
      double l = A[r * n + c] / A[c * n + c];
      for (int k = c; k < n; k++) A[r * n + k] -= l * A[c * n + k];
      b[r] -= l * b[c];
    }
  }
  for (int r = n - 1; r >= 0; r--) {
    for (int k = r + 1; k < n; k++) b[r] -= A[r * n + k] * b[k];
    b[r] /= A[r * n + r];
  }
}

// area[e] cross-sections, moduli[2e..2e+1] material parameters, load at the tip
double tip_objective(const Bar *bar, const double *area, const double *moduli, double load) {
  int n = bar->ne; // free nodes 1..ne
  double h = bar->length / n;
  std::vector<double> u(n + 1, 0.0), K(n * n), r(n);
  for (int step = 1; step <= 4; step++) {
    double f = load * step / 4.0;
    for (int it = 0; it < 8; it++) {
      std::fill(K.begin(), K.end(), 0.0);
      std::fill(r.begin(), r.end(), 0.0);
      r[n - 1] = f;
      for (int e = 0; e < n; e++) {
        double eps = (u[e + 1] - u[e]) / h;
        const Material &m = *bar->mats[e];
        double N = area[e] * m.stress(eps, moduli + 2 * e);
        double kt = area[e] * m.tangent(eps, moduli + 2 * e) / h;
        std::array<double, 2> fe{-N, N};
        std::array<std::array<double, 2>, 2> ke{{{kt, -kt}, {-kt, kt}}};
        int dofs[2] = {e - 1, e};
        for (int a = 0; a < 2; a++) {
          if (dofs[a] < 0) continue;
          r[dofs[a]] -= fe[a];
          for (int b = 0; b < 2; b++)
            if (dofs[b] >= 0) K[dofs[a] * n + dofs[b]] += ke[a][b];
        }
      }
      solve_dense(K, r, n);
      for (int i = 0; i < n; i++) u[i + 1] += r[i];
    }
  }
  double compliance = 0.0;
  for (int i = 1; i <= n; i++) compliance += u[i] * u[i];
  return u[n] + 0.1 * compliance;
}

enum { NE = 6 };

int main() {
  Bar bar{NE, 2.0, {}};
  for (int e = 0; e < NE; e++) {
    if (e % 3 == 0) bar.mats.emplace_back(new Linear);
    else if (e % 3 == 1) bar.mats.emplace_back(new PowerHardening);
    else bar.mats.emplace_back(new SoftBilinear);
  }
  double area[NE], moduli[2 * NE];
  for (int e = 0; e < NE; e++) area[e] = 1.0 - 0.08 * e, moduli[2 * e] = 50.0 + 5.0 * e, moduli[2 * e + 1] = 0.3;
  double load = 0.9;
  double darea[NE] = {0}, dmod[2 * NE] = {0};
  double dload = __enzyme_autodiff((void *)tip_objective, enzyme_const, &bar, enzyme_dup, area, darea, enzyme_dup,
                                   moduli, dmod, load);
#define OBJ tip_objective(&bar, area, moduli, load)
  CHECK_ARRAY_FD("d/darea", area, NE, darea, 1e-7, OBJ, 1e-5, 1e-9);
  CHECK_ARRAY_FD("d/dmoduli", moduli, 2 * NE, dmod, 1e-6, OBJ, 1e-5, 1e-9);
  CHECK_CLOSE("d/dload", dload, FD_AT(load, 1e-7, OBJ), 1e-5, 1e-9);
  double ta[NE], tm[2 * NE] = {0};
  for (int e = 0; e < NE; e++) ta[e] = 0.1 * std::cos(e);
  tm[3] = 2.0;
  double t = __enzyme_fwddiff((void *)tip_objective, enzyme_const, &bar, enzyme_dup, area, ta, enzyme_dup, moduli, tm,
                              load, 0.0);
  CHECK_CLOSE("forward vs reverse", t, dotv(ta, darea, NE) + 2.0 * dmod[3], 1e-9, 1e-12);
  return check_report();
}
