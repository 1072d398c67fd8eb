// CFLAGS: -std=c++17
// Multiple and virtual inheritance on the differentiated path: a call through the second base
// of a class goes through a thunk that moves `this` (non-virtual thunk), one through a virtual
// base through a thunk that reads the offset from the vtable (virtual thunk). The objects are
// active (enzyme_dup) and their shadows are built the way Enzyme users build them: a copy of the
// primal object (which copies the vtable pointers) with the data zeroed, and for a plain class a
// shadow whose vtable pointer is a table of `__enzyme_virtualreverse` results. Reverse, forward
// and split mode. Oracles: analytic derivatives, central finite differences.
#include "check.h"
#include <cmath>
#include <cstring>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);
extern "C" void *__enzyme_virtualreverse(void *);

struct Energy {
  double e = 0;
  virtual double energy(double x) const = 0;
  virtual ~Energy() = default;
};
struct Force {
  double k = 0;
  virtual double force(double x) const = 0;
  virtual ~Force() = default;
};
// Force is the second base: calls through Force* reach Spring through a this-adjusting thunk.
struct Spring : Energy, Force {
  Spring(double e0, double k0) {
    e = e0;
    k = k0;
  }
  double energy(double x) const override { return e * x * x + k * x; }
  double force(double x) const override { return -k * std::sin(e * x); }
};

// Diamond with a virtual base.
struct Node {
  double v = 0;
  virtual double value(double x) const { return v * x; }
  virtual ~Node() = default;
};
struct Left : virtual Node {
  double l = 0;
  double value(double x) const override { return l * v * std::cos(x); }
};
struct Right : virtual Node {
  double r = 0;
};
struct Both : Left, Right {
  double value(double x) const override { return (l + r) * v * std::exp(0.3 * x) + Left::value(x); }
};

__attribute__((noinline)) double through_force(const Force *f, double x) { return f->force(x) * x; }
__attribute__((noinline)) double through_both(const Energy *a, const Force *b, double x) {
  return a->energy(x) * b->force(x);
}
__attribute__((noinline)) double through_node(const Node *n, const Right *r, double x) {
  return n->value(x) + r->value(2 * x);
}

// A plain class for the shadow-vtable pattern.
struct Cell {
  double c;
  explicit Cell(double c) : c(c) {}
  virtual double f(double x) const { return c * std::tanh(x); }
  virtual double g(double x) const { return c * c * x; }
};
struct Cell2 : Cell {
  using Cell::Cell;
  double f(double x) const override { return std::log1p(c * c * x * x); }
};
__attribute__((noinline)) double cells(const Cell *a, const Cell *b, double x) {
  return a->f(x) * b->g(x) + b->f(a->g(x));
}

static double e0 = 1.2, k0 = 0.7;
static double both_e(double e) {
  Spring s(e, k0);
  return through_both(&s, &s, 0.6);
}
static double both_k(double k) {
  Spring s(e0, k);
  return through_both(&s, &s, 0.6);
}
static Both make_both(double v, double l, double r) {
  Both b;
  b.v = v;
  b.l = l;
  b.r = r;
  return b;
}
static double node_v(double v) {
  Both b = make_both(v, 0.4, -0.3);
  return through_node(&b, &b, 0.9);
}
static double node_l(double l) {
  Both b = make_both(1.1, l, -0.3);
  return through_node(&b, &b, 0.9);
}
static double node_r(double r) {
  Both b = make_both(1.1, 0.4, r);
  return through_node(&b, &b, 0.9);
}
static double node_x(double x) {
  Both b = make_both(1.1, 0.4, -0.3);
  return through_node(&b, &b, x);
}
static double cells_a(double c) {
  Cell a(c);
  Cell2 b(-0.8);
  return cells(&a, &b, 0.5);
}
static double cells_b(double c) {
  Cell a(1.3);
  Cell2 b(c);
  return cells(&a, &b, 0.5);
}

int main() {
  {
    Spring s(e0, k0), ds(0, 0);
    ds = s; // the shadow: a copy (vtable pointers included), data zeroed
    ds.e = 0;
    ds.k = 0;
    double x = 0.8;
    double want = -k0 * std::sin(e0 * x) - k0 * e0 * x * std::cos(e0 * x);
    double d = __enzyme_fwddiff((void *)through_force, enzyme_const, (const Force *)&s, x, 1.0);
    CHECK_CLOSE("forward d/dx through a this-adjusting thunk", d, want, RTOL_D, ATOL_D);
    __enzyme_autodiff((void *)through_force, enzyme_dup, (const Force *)&s, (const Force *)&ds, x);
    CHECK_CLOSE("reverse d/dk into the shadow's second base", ds.k,
                -std::sin(e0 * x) * x, RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse: d/de into the shadow's second base", ds.e,
                -k0 * std::cos(e0 * x) * x * x, RTOL_D, ATOL_D);
    ds.e = ds.k = 0;
    __enzyme_autodiff((void *)through_both, enzyme_dup, (const Energy *)&s, (const Energy *)&ds,
                      enzyme_dup, (const Force *)&s, (const Force *)&ds, 0.6);
    CHECK_CLOSE("reverse both bases d/de", ds.e, fd1(both_e, e0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("reverse both bases d/dk", ds.k, fd1(both_k, k0), RTOL_FD, ATOL_FD);
    Spring ts = s;
    ts.e = 1.0;
    ts.k = 0.0;
    double t = __enzyme_fwddiff((void *)through_both, enzyme_dup, (const Energy *)&s,
                                (const Energy *)&ts, enzyme_dup, (const Force *)&s,
                                (const Force *)&ts, 0.6, 0.0);
    CHECK_CLOSE("forward both bases d/de", t, fd1(both_e, e0), RTOL_FD, ATOL_FD);
    // split mode
    Spring ss = s;
    ss.e = ss.k = 0;
    void *tape = __enzyme_augmentfwd((void *)through_both, enzyme_dup, (const Energy *)&s,
                                     (const Energy *)&ss, enzyme_dup, (const Force *)&s,
                                     (const Force *)&ss, 0.6);
    __enzyme_reverse((void *)through_both, enzyme_dup, (const Energy *)&s, (const Energy *)&ss,
                     enzyme_dup, (const Force *)&s, (const Force *)&ss, 0.6, 1.0, tape);
    CHECK_CLOSE("split both bases d/de", ss.e, fd1(both_e, e0), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("split both bases d/dk", ss.k, fd1(both_k, k0), RTOL_FD, ATOL_FD);
  }
  {
    Both b = make_both(1.1, 0.4, -0.3);
    Both db = b;
    db.v = db.l = db.r = 0;
    double x = 0.9;
    __enzyme_autodiff((void *)through_node, enzyme_dup, (const Node *)&b, (const Node *)&db,
                      enzyme_dup, (const Right *)&b, (const Right *)&db, x);
    CHECK_CLOSE("virtual base: d/dv", db.v, fd1(node_v, 1.1), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("virtual base: d/dl", db.l, fd1(node_l, 0.4), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("virtual base: d/dr", db.r, fd1(node_r, -0.3), RTOL_FD, ATOL_FD);
    double f = __enzyme_fwddiff((void *)through_node, enzyme_const, (const Node *)&b, enzyme_const,
                                (const Right *)&b, x, 1.0);
    CHECK_CLOSE("virtual base: forward d/dx", f, fd1(node_x, x), RTOL_FD, ATOL_FD);
    Both tb = b;
    tb.v = 0;
    tb.l = 1;
    tb.r = 0;
    double fl = __enzyme_fwddiff((void *)through_node, enzyme_dup, (const Node *)&b,
                                 (const Node *)&tb, enzyme_dup, (const Right *)&b,
                                 (const Right *)&tb, x, 0.0);
    CHECK_CLOSE("virtual base: forward d/dl", fl, fd1(node_l, 0.4), RTOL_FD, ATOL_FD);
  }
  {
    // Shadows whose vtable pointer is a table of __enzyme_virtualreverse results (Enzyme's
    // pattern); the data zeroed.
    Cell a(1.3);
    Cell2 b(-0.8);
    Cell da(0), db(0);
    Cell2 db2(0);
    void **va = *(void ***)&a, **vb = *(void ***)&b;
    void *sva[2], *svb[2];
    for (int i = 0; i < 2; i++) {
      sva[i] = __enzyme_virtualreverse(va[i]);
      svb[i] = __enzyme_virtualreverse(vb[i]);
    }
    std::memcpy((void *)&da, (void *)&a, sizeof a);
    std::memcpy((void *)&db2, (void *)&b, sizeof b);
    *(void ***)&da = sva;
    *(void ***)&db2 = svb;
    da.c = 0;
    db2.c = 0;
    (void)db;
    __enzyme_autodiff((void *)cells, enzyme_dup, (const Cell *)&a, (const Cell *)&da, enzyme_dup,
                      (const Cell *)&b, (const Cell *)&db2, 0.5);
    CHECK_CLOSE("shadow vtable: d/da.c", da.c, fd1(cells_a, 1.3), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("shadow vtable: d/db.c", db2.c, fd1(cells_b, -0.8), RTOL_FD, ATOL_FD);
    da.c = 1.0;
    db2.c = 0.0;
    double t = __enzyme_fwddiff((void *)cells, enzyme_dup, (const Cell *)&a, (const Cell *)&da,
                                enzyme_dup, (const Cell *)&b, (const Cell *)&db2, 0.5, 0.0);
    CHECK_CLOSE("shadow vtable: forward d/da.c", t, fd1(cells_a, 1.3), RTOL_FD, ATOL_FD);
    da.c = db2.c = 0;
    void *tape = __enzyme_augmentfwd((void *)cells, enzyme_dup, (const Cell *)&a,
                                     (const Cell *)&da, enzyme_dup, (const Cell *)&b,
                                     (const Cell *)&db2, 0.5);
    __enzyme_reverse((void *)cells, enzyme_dup, (const Cell *)&a, (const Cell *)&da, enzyme_dup,
                     (const Cell *)&b, (const Cell *)&db2, 0.5, 1.0, tape);
    CHECK_CLOSE("shadow vtable split: d/da.c", da.c, fd1(cells_a, 1.3), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("shadow vtable split: d/db.c", db2.c, fd1(cells_b, -0.8), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
