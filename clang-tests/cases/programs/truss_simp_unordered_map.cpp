// A truss topology-optimization step in C++ as a structural code writes it: element stiffness
// scaled by SIMP interpolation pow(rho, p) with a minimum (Emin + rho^p (E0 - Emin)), global
// assembly into a std::unordered_map<long long, double> keyed by row * ndof + col (triplets
// accumulated with +=), conversion to a dense std::vector in a second pass over the map
// (iteration order is unspecified: the sum is order independent up to rounding), pinned
// supports removed by a std::vector<bool> mask, a Cholesky solve for the displacements, and the
// compliance f.u plus a volume penalty. The user differentiates the compliance with respect to
// the element densities (the classic sensitivity dC/drho = -p rho^(p-1) u_e^T k_e u_e), by reverse
// and by forward mode.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: the analytic adjoint
// sensitivity, central differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <unordered_map>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Truss {
  int nnode;
  std::vector<double> x, y;   // node coordinates
  std::vector<int> a, b;      // element end nodes
  std::vector<bool> fixed;    // per dof
  std::vector<double> load;   // per dof
};

static const double E0 = 1.0, EMIN = 1e-3, PEN = 3.0;

static void elem_matrix(const Truss &t, int e, double k[4][4]) {
  double dx = t.x[t.b[e]] - t.x[t.a[e]], dy = t.y[t.b[e]] - t.y[t.a[e]];
  double L = std::sqrt(dx * dx + dy * dy), c = dx / L, s = dy / L;
  double v[4] = {-c, -s, c, s};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) k[i][j] = v[i] * v[j] / L;
}

static void solve_spd(std::vector<double> &A, std::vector<double> &b, int n) {
  for (int j = 0; j < n; j++) {
    double d = A[j * n + j];
    for (int k = 0; k < j; k++) d -= A[j * n + k] * A[j * n + k];
    d = std::sqrt(d);
    A[j * n + j] = d;
    for (int i = j + 1; i < n; i++) {
      double s = A[i * n + j];
      for (int k = 0; k < j; k++) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / d;
    }
  }
  for (int i = 0; i < n; i++) {
    double s = b[i];
    for (int k = 0; k < i; k++) s -= A[i * n + k] * b[k];
    b[i] = s / A[i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    double s = b[i];
    for (int k = i + 1; k < n; k++) s -= A[k * n + i] * b[k];
    b[i] = s / A[i * n + i];
  }
}

extern "C" double compliance(const double *rho, const Truss *t, double *u_out) {
  int ndof = 2 * t->nnode, ne = (int)t->a.size();
  std::unordered_map<long long, double> K;
  for (int e = 0; e < ne; e++) {
    double k[4][4], stiff = EMIN + std::pow(rho[e], PEN) * (E0 - EMIN);
    elem_matrix(*t, e, k);
    int dof[4] = {2 * t->a[e], 2 * t->a[e] + 1, 2 * t->b[e], 2 * t->b[e] + 1};
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) K[(long long)dof[i] * ndof + dof[j]] += stiff * k[i][j];
  }
  std::vector<int> freemap(ndof, -1);
  int nf = 0;
  for (int d = 0; d < ndof; d++)
    if (!t->fixed[d]) freemap[d] = nf++;
  std::vector<double> A(nf * nf, 0.0), u(nf);
  for (const auto &kv : K) {
    int r = (int)(kv.first / ndof), c = (int)(kv.first % ndof);
    if (freemap[r] >= 0 && freemap[c] >= 0) A[freemap[r] * nf + freemap[c]] += kv.second;
  }
  for (int d = 0; d < ndof; d++)
    if (freemap[d] >= 0) u[freemap[d]] = t->load[d];
  solve_spd(A, u, nf);
  double C = 0.0, vol = 0.0;
  for (int d = 0; d < ndof; d++) {
    double ud = freemap[d] >= 0 ? u[freemap[d]] : 0.0;
    if (u_out) u_out[d] = ud;
    C += t->load[d] * ud;
  }
  for (int e = 0; e < ne; e++) vol += rho[e];
  return C + 0.01 * vol;
}

static double f_rho(const double *r, const void *t) { return compliance(r, (const Truss *)t, nullptr); }

int main() {
  Truss t;
  // a 2 x 4 node cantilever: supports on the left, load at the bottom right
  for (int j = 0; j < 2; j++)
    for (int i = 0; i < 4; i++) t.x.push_back(i), t.y.push_back(j);
  t.nnode = 8;
  auto edge = [&](int p, int q) { t.a.push_back(p), t.b.push_back(q); };
  for (int i = 0; i < 3; i++) edge(i, i + 1), edge(4 + i, 5 + i), edge(i, 5 + i), edge(4 + i, i + 1);
  for (int i = 0; i < 4; i++) edge(i, 4 + i);
  t.fixed.assign(16, false);
  t.fixed[0] = t.fixed[1] = t.fixed[8] = t.fixed[9] = true;
  t.load.assign(16, 0.0);
  t.load[7] = -1.0, t.load[14] = 0.3;
  int ne = (int)t.a.size();
  std::vector<double> rho(ne), drho(ne, 0.0);
  for (int e = 0; e < ne; e++) rho[e] = 0.5 + 0.3 * std::sin(1.3 * e);
  std::vector<double> u(16), du(16, 0.0);
  __enzyme_autodiff((void *)compliance, enzyme_dup, rho.data(), drho.data(), enzyme_const, &t, enzyme_dup, u.data(),
                    du.data());
  // the compliance is ~270 on a soft structure: a step of 1e-4 keeps rounding noise below the test
  CHECK_ARRAY_FD("dC/drho", rho, ne, drho, 1e-4, f_rho(rho.data(), &t), 1e-5, 1e-8);
  for (int e = 0; e < ne; e++) { // self-adjoint problem: dC/drho_e = -p rho^(p-1)(E0-Emin) u_e.k_e.u_e + 0.01
    double k[4][4];
    elem_matrix(t, e, k);
    int dof[4] = {2 * t.a[e], 2 * t.a[e] + 1, 2 * t.b[e], 2 * t.b[e] + 1};
    double uku = 0.0;
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) uku += u[dof[i]] * k[i][j] * u[dof[j]];
    double want = -PEN * std::pow(rho[e], PEN - 1) * (E0 - EMIN) * uku + 0.01;
    CHECK_CLOSE("dC/drho vs adjoint formula", drho[e], want, 1e-8, 1e-11);
  }
  std::vector<double> tr(ne), tu(16, 0.0);
  for (int e = 0; e < ne; e++) tr[e] = 0.1 * std::cos(0.9 * e);
  double tc = __enzyme_fwddiff((void *)compliance, enzyme_dup, rho.data(), tr.data(), enzyme_const, &t, enzyme_dup,
                               u.data(), tu.data());
  CHECK_CLOSE("forward vs reverse", tc, dotv(drho.data(), tr.data(), ne), 1e-9, 1e-12);
  return check_report();
}
