// A node pool grown with realloc by a kept push(Pool *p, Node nd), the Node passed by value
// (over 16 bytes: `byval`) holding ints, a double and a function pointer that is `c ? fn : 0`,
// read by a recursive eval. main 6780d5a refused it at -O0 with -ferment-no-inline ("a pointer
// loaded from memory where the caller may have stored a pointer to constant data in place of its
// shadow", at push's copy of the node): `points_to_code` (plugin/src/shadow.rs) wanted every
// underlying object of `select(c, @fn, null)` to be code, so the byval temporary counted as
// memory holding a pointer that stands for its own shadow; null, undef and poison beside code
// now count as code (no derivative memory). Oracle: central differences, forward vs reverse.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_dupnoneed;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef double (*binop)(double, double);
static double add(double a, double b) { return a + b; }
static double mul(double a, double b) { return a * b; }
static double pw(double a, double b) { return pow(fabs(a) + 1.0, b); }
static double smax(double a, double b) { return log(exp(a) + exp(b)); }
static binop OPS[4] = {add, mul, pw, smax};

typedef struct Node { int op; int l, r; double val; double (*leaf)(double); } Node;
typedef struct { Node *nodes; int n, cap; } Pool;

static int push(Pool *p, Node nd) {
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 1;
    p->nodes = realloc(p->nodes, sizeof(Node) * p->cap);
  }
  p->nodes[p->n] = nd;
  return p->n++;
}
static double eval(const Pool *p, int i) {
  const Node *nd = &p->nodes[i];
  if (nd->op < 0) return nd->leaf ? nd->leaf(nd->val) : nd->val;
  return OPS[nd->op](eval(p, nd->l), eval(p, nd->r));
}
double f(const double *x, int n) {
  Pool p = {0, 0, 0};
  int prev = push(&p, (Node){-1, 0, 0, x[0], NULL});
  for (int i = 1; i < n; i++) {
    int leaf = push(&p, (Node){-1, 0, 0, x[i], (i % 2) ? sin : NULL});
    prev = push(&p, (Node){i % 4, prev, leaf, 0, NULL});
  }
  double r = eval(&p, prev);
  free(p.nodes);
  return r;
}
int main(void) {
  enum { N = 7 };
  double x[N] = {0.3, -0.5, 0.8, 0.25, -0.6, 0.4, 0.9}, dx[N] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, N);
  CHECK_ARRAY_FD("reverse", x, N, dx, 1e-6, f(x, N), RTOL_FD, ATOL_FD);
  double v[N] = {1, 2, -1, 0.5, 0.3, -0.7, 0.1};
  double t = __enzyme_fwddiff((void *)f, enzyme_dup, x, v, enzyme_const, N);
  double want = 0;
  for (int i = 0; i < N; i++) want += v[i] * dx[i];
  CHECK_CLOSE("fwd vs rev", t, want, 1e-10, 1e-12);
  return check_report();
}
