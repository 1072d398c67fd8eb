// CFLAGS: -std=c++17
// A mass-spring-bending model written the way Enzyme users write C++: an abstract base class
// `Term` with a virtual `energy(const double *x)` and a virtual destructor, derived terms held in
// a std::vector<std::unique_ptr<Term>> owned by a `System` (springs with rest lengths, bending
// angles through acos of a normalized dot product, a soft barrier log(d - r) with a constant
// obstacle, gravity on every node through a std::vector<double> of masses, a pinned anchor), a
// System built inside the differentiated function from constant model data, and terms that keep
// their own std::vector<int> of node indices. Reverse mode with respect to the positions, forward
// mode along each coordinate and along a random direction. Oracles: central finite differences
// of the primal; forward against reverse (dot product).
#include "check.h"
#include <cmath>
#include <memory>
#include <utility>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Term {
  virtual ~Term() = default;
  virtual double energy(const double *x) const = 0;
  virtual int arity() const = 0;
};

struct Spring : Term {
  int a, b;
  double k, rest;
  Spring(int a, int b, double k, double rest) : a(a), b(b), k(k), rest(rest) {}
  double energy(const double *x) const override {
    double dx = x[2 * a] - x[2 * b], dy = x[2 * a + 1] - x[2 * b + 1];
    double l = std::sqrt(dx * dx + dy * dy);
    return 0.5 * k * (l - rest) * (l - rest);
  }
  int arity() const override { return 2; }
};

struct Bend : Term {
  std::vector<int> nodes; // three nodes: the angle at nodes[1]
  double k, theta0;
  Bend(std::vector<int> n, double k, double t0) : nodes(std::move(n)), k(k), theta0(t0) {}
  double energy(const double *x) const override {
    const double *p = x + 2 * nodes[0], *q = x + 2 * nodes[1], *r = x + 2 * nodes[2];
    double ux = p[0] - q[0], uy = p[1] - q[1], vx = r[0] - q[0], vy = r[1] - q[1];
    double c = (ux * vx + uy * vy) / std::sqrt((ux * ux + uy * uy) * (vx * vx + vy * vy));
    double t = std::acos(c) - theta0;
    return k * t * t;
  }
  int arity() const override { return 3; }
};

struct Barrier : Term {
  int a;
  double cx, cy, radius, w;
  Barrier(int a, double cx, double cy, double r, double w) : a(a), cx(cx), cy(cy), radius(r), w(w) {}
  double energy(const double *x) const override {
    double dx = x[2 * a] - cx, dy = x[2 * a + 1] - cy;
    return -w * std::log(std::sqrt(dx * dx + dy * dy) - radius);
  }
  int arity() const override { return 1; }
};

struct Gravity : Term {
  std::vector<double> mass;
  double g;
  Gravity(std::vector<double> m, double g) : mass(std::move(m)), g(g) {}
  double energy(const double *x) const override {
    double e = 0;
    for (size_t i = 0; i < mass.size(); i++)
      e += mass[i] * g * x[2 * i + 1];
    return e;
  }
  int arity() const override { return (int)mass.size(); }
};

struct Anchor : Spring {
  double px, py;
  Anchor(int a, double k, double px, double py) : Spring(a, a, k, 0.0), px(px), py(py) {}
  double energy(const double *x) const override {
    double dx = x[2 * a] - px, dy = x[2 * a + 1] - py;
    return 0.5 * k * (dx * dx + dy * dy);
  }
  int arity() const override { return 1; }
};

class System {
public:
  void add(std::unique_ptr<Term> t) { terms_.push_back(std::move(t)); }
  double total(const double *x) const {
    double e = 0;
    for (const auto &t : terms_)
      e += t->energy(x) * (t->arity() > 2 ? 1.5 : 1.0);
    return e;
  }

private:
  std::vector<std::unique_ptr<Term>> terms_;
};

struct Model {
  int n;             // nodes
  const double *rest; // n - 1 rest lengths
  const double *mass; // n masses
};

static double energy(const double *x, const Model *m) {
  System s;
  s.add(std::make_unique<Anchor>(0, 50.0, 0.0, 0.0));
  for (int i = 0; i + 1 < m->n; i++)
    s.add(std::make_unique<Spring>(i, i + 1, 10.0 + i, m->rest[i]));
  for (int i = 1; i + 1 < m->n; i++)
    s.add(std::make_unique<Bend>(std::vector<int>{i - 1, i, i + 1}, 0.3, 2.8));
  s.add(std::make_unique<Barrier>(m->n - 1, 2.0, -1.5, 0.4, 0.05));
  s.add(std::make_unique<Gravity>(std::vector<double>(m->mass, m->mass + m->n), 9.81));
  return s.total(x);
}

static double energy_at(const double *x, const void *c) { return energy(x, (const Model *)c); }

int main() {
  const int n = 5;
  double rest[n - 1], mass[n], x[2 * n];
  for (int i = 0; i < n; i++) {
    mass[i] = 0.1 + 0.05 * i;
    x[2 * i] = 0.45 * i + 0.03 * std::sin(1.3 * i);
    x[2 * i + 1] = -0.2 * i + 0.04 * std::cos(0.7 * i);
  }
  for (int i = 0; i + 1 < n; i++)
    rest[i] = 0.4 + 0.02 * i;
  Model m{n, rest, mass};
  double dx[2 * n] = {0};
  __enzyme_autodiff((void *)energy, enzyme_dup, x, dx, enzyme_const, &m);
  CHECK_GRAD_FD("reverse d/dx", energy_at, &m, x, 2 * n, dx, RTOL_FD, ATOL_FD);
  for (int k = 0; k < 2 * n; k++) {
    double t[2 * n] = {0};
    t[k] = 1;
    double fw = __enzyme_fwddiff((void *)energy, enzyme_dup, x, t, enzyme_const, &m);
    CHECK_CLOSE("forward vs reverse", fw, dx[k], RTOL_D, ATOL_D);
  }
  unsigned st = 7;
  double dir[2 * n];
  for (int i = 0; i < 2 * n; i++)
    dir[i] = prand(&st);
  double fw = __enzyme_fwddiff((void *)energy, enzyme_dup, x, dir, enzyme_const, &m);
  CHECK_CLOSE("forward along dir vs reverse", fw, dotv(dir, dx, 2 * n), RTOL_D, 1e-10);
  return check_report();
}
