// A store of an active value through an address a constant offset from null, on a path that
// never runs (found in session 37 while reducing programs/fem1d_materials_virtual_opt.cpp):
// `std::vector<double> u(n + 1), K(n * n), r(n)` with `n` a parameter, then `r[n - 1] = f` with `f`
// active. On the path where `n == 0` the vector's data is null and -O2 folds the store to
// `store double %f, ptr inttoptr (i64 -8 to ptr)`: undefined behaviour (no object lives less than
// a page from null), so its derivative does not matter, like a store through null itself; main
// refused it ("an active value is stored into ptr inttoptr (i64 -8 to ptr), which has no
// derivative memory (shadow)") at clang -O2/-O3 and opt-O2. Oracle: central differences.
// RUN: clang opt
#include "check.h"
#include <cmath>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
}

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

double tip_objective(int n, const double *area, const double *moduli, double load) {
  double h = 2.0 / n;
  std::vector<double> u(n + 1, 0.0), K(n * n), r(n);
  double f = load;
  std::fill(K.begin(), K.end(), 0.0);
  std::fill(r.begin(), r.end(), 0.0);
  r[n - 1] = f;
  for (int e = 0; e < n; e++) {
    double eps = (u[e + 1] - u[e]) / h;
    double N = area[e] * moduli[2*e] * eps;
    double kt = area[e] * moduli[2*e] / h;
    double fe[2] = {-N, N};
    double ke[2][2] = {{kt, -kt}, {-kt, kt}};
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
  double compliance = 0.0;
  for (int i = 1; i <= n; i++) compliance += u[i] * u[i];
  return u[n] + 0.1 * compliance;
}

enum { NE = 6 };

int main() {
  double area[NE], moduli[2 * NE];
  for (int e = 0; e < NE; e++) area[e] = 1.0 - 0.08 * e, moduli[2 * e] = 50.0 + 5.0 * e, moduli[2 * e + 1] = 0.3;
  double load = 0.9;
  double darea[NE] = {0}, dmod[2 * NE] = {0};
  double dload = __enzyme_autodiff((void *)tip_objective, enzyme_const, NE, enzyme_dup, area, darea, enzyme_dup,
                                   moduli, dmod, load);
#define OBJ tip_objective(NE, area, moduli, load)
  CHECK_ARRAY_FD("d/darea", area, NE, darea, 1e-7, OBJ, 1e-5, 1e-9);
  CHECK_ARRAY_FD("d/dmoduli", moduli, 2 * NE, dmod, 1e-7, OBJ, 1e-5, 1e-9);
  CHECK_CLOSE("d/dload", dload, FD_AT(load, 1e-7, OBJ), 1e-5, 1e-9);
  return check_report();
}
