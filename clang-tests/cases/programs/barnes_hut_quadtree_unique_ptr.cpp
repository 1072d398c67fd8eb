// A 2-D Barnes-Hut gravity code in C++ as people write it: a quadtree of Node objects owning
// their four children through std::array<std::unique_ptr<Node>, 4>, built by recursive insertion
// (subdividing a leaf when a second body arrives), centre-of-mass aggregation by a recursive
// post-order pass, and the force on each body by a recursive walk with the opening criterion
// size / distance < theta (a branch on active data that is piecewise constant) and softening.
// The user differentiates the total potential-like energy of a few leapfrog steps with respect
// to the body masses and initial positions (reverse), and checks forward mode.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences
// (tree shape and opening decisions fixed near the point), forward vs reverse.
// VALGRIND
#include "check.h"
#include <array>
#include <cmath>
#include <memory>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Body {
  double x, y, vx, vy, m;
};

struct Node {
  double cx, cy, half;         // square cell
  double mx = 0, my = 0, m = 0; // mass moments
  int body = -1;               // leaf payload
  bool leaf = true;
  std::array<std::unique_ptr<Node>, 4> kid;
  Node(double x, double y, double h) : cx(x), cy(y), half(h) {}
  int quadrant(double x, double y) const { return (x > cx ? 1 : 0) + (y > cy ? 2 : 0); }
  void insert(const std::vector<Body> &b, int i, int depth) {
    if (leaf && body < 0) {
      body = i;
      return;
    }
    if (leaf) {
      if (depth > 30) return; // coincident bodies: keep the first
      leaf = false;
      int old = body;
      body = -1;
      push(b, old, depth);
    }
    push(b, i, depth);
  }
  void push(const std::vector<Body> &b, int i, int depth) {
    int q = quadrant(b[i].x, b[i].y);
    if (!kid[q]) {
      double h = 0.5 * half;
      kid[q] = std::make_unique<Node>(cx + (q & 1 ? h : -h), cy + (q & 2 ? h : -h), h);
    }
    kid[q]->insert(b, i, depth + 1);
  }
  void aggregate(const std::vector<Body> &b) {
    if (leaf) {
      if (body >= 0) m = b[body].m, mx = b[body].m * b[body].x, my = b[body].m * b[body].y;
      return;
    }
    for (auto &k : kid)
      if (k) {
        k->aggregate(b);
        m += k->m, mx += k->mx, my += k->my;
      }
  }
  void accel(const std::vector<Body> &b, int i, double theta, double &ax, double &ay, double &phi) const {
    if (m == 0.0 || (leaf && body == i)) return;
    double px = mx / m, py = my / m;
    double dx = px - b[i].x, dy = py - b[i].y;
    double r2 = dx * dx + dy * dy + 1e-3, r = std::sqrt(r2);
    if (leaf || 2.0 * half / r < theta) {
      double f = m / (r2 * r);
      ax += f * dx, ay += f * dy;
      phi -= m / r;
      return;
    }
    for (const auto &k : kid)
      if (k) k->accel(b, i, theta, ax, ay, phi);
  }
};

// state: x, y per body; masses separately
extern "C" double tree_energy(const double *pos, const double *mass, int n, int nsteps) {
  std::vector<Body> b(n);
  for (int i = 0; i < n; i++) b[i] = {pos[2 * i], pos[2 * i + 1], -0.3 * pos[2 * i + 1], 0.3 * pos[2 * i], mass[i]};
  double dt = 0.01, e = 0.0;
  for (int s = 0; s < nsteps; s++) {
    auto root = std::make_unique<Node>(0.0, 0.0, 4.0);
    for (int i = 0; i < n; i++) root->insert(b, i, 0);
    root->aggregate(b);
    std::vector<double> ax(n, 0.0), ay(n, 0.0);
    double pot = 0.0;
    for (int i = 0; i < n; i++) {
      double phi = 0.0;
      root->accel(b, i, 0.6, ax[i], ay[i], phi);
      pot += 0.5 * b[i].m * phi;
    }
    for (int i = 0; i < n; i++) {
      b[i].vx += dt * ax[i], b[i].vy += dt * ay[i];
      b[i].x += dt * b[i].vx, b[i].y += dt * b[i].vy;
    }
    e += pot;
  }
  double ke = 0.0;
  for (const Body &q : b) ke += 0.5 * q.m * (q.vx * q.vx + q.vy * q.vy);
  return e / nsteps + ke;
}

#define NB 12
static double f_pos(const double *p, const void *m) { return tree_energy(p, (const double *)m, NB, 6); }

int main() {
  double pos[2 * NB], mass[NB], dpos[2 * NB] = {0}, dmass[NB] = {0};
  for (int i = 0; i < NB; i++) {
    double a = 0.9 * i, r = 0.4 + 0.25 * (i % 4);
    pos[2 * i] = r * std::cos(a) + 0.1 * (i % 3) + 0.031, pos[2 * i + 1] = r * std::sin(a) - 0.05 * (i % 2) + 0.017;
    mass[i] = 0.5 + 0.1 * (i % 5);
  }
  __enzyme_autodiff((void *)tree_energy, enzyme_dup, pos, dpos, enzyme_dup, mass, dmass, enzyme_const, NB,
                    enzyme_const, 6);
  CHECK_GRAD_FD("dE/dpos", f_pos, mass, pos, 2 * NB, dpos, 1e-5, 1e-8);
  CHECK_ARRAY_FD("dE/dmass", mass, NB, dmass, 1e-6, tree_energy(pos, mass, NB, 6), 1e-5, 1e-8);
  double tp[2 * NB], tm[NB];
  for (int i = 0; i < 2 * NB; i++) tp[i] = 0.1 * std::sin(1.1 * i);
  for (int i = 0; i < NB; i++) tm[i] = 0.05 * std::cos(0.6 * i);
  double t = __enzyme_fwddiff((void *)tree_energy, enzyme_dup, pos, tp, enzyme_dup, mass, tm, enzyme_const, NB,
                              enzyme_const, 6);
  CHECK_CLOSE("forward vs reverse", t, dotv(dpos, tp, 2 * NB) + dotv(dmass, tm, NB), 1e-9, 1e-12);
  return check_report();
}
