// A recursive evaluator that calls through a function pointer kept in each node: an expression
// tree built in a realloc-grown pool inside the differentiated function, leaves holding `sin`
// (a libm declaration) or a function of this file, inner nodes an op from a global table.
// The canonical copy inlines the recursion level by level, and the level inlined last brought an
// indirect call no dispatch round saw: a false "no function of this file that the pointer may
// hold" error at every -O level (session 36). Oracle: central differences and forward vs reverse.
#include "check.h"
#include <stdlib.h>
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef double (*binop)(double, double);
static double add(double a, double b) { return a + b; }
static double mul(double a, double b) { return a * b; }
static double pw(double a, double b) { return pow(fabs(a) + 1.0, b); }
static double smax(double a, double b) { return log(exp(a) + exp(b)); }
static binop OPS[4] = {add, mul, pw, smax};
static double cube(double x) { return x * x * x; }

typedef struct Node {
  int op, l, r;
  double val;
  double (*leaf)(double);
} Node;
typedef struct {
  Node *nodes;
  int n, cap;
} Pool;

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
double tree(const double *x, int n) {
  Pool p = {0, 0, 0};
  int prev = push(&p, (Node){-1, 0, 0, x[0], NULL});
  for (int i = 1; i < n; i++) {
    int leaf = push(&p, (Node){-1, 0, 0, x[i], (i % 3 == 1) ? sin : (i % 3 == 2) ? cube : NULL});
    prev = push(&p, (Node){i % 4, prev, leaf, 0, NULL});
  }
  double r = eval(&p, prev);
  free(p.nodes);
  return r;
}

/* the smallest shape: a chain, each node's value through its own pointer */
typedef struct Link {
  double val;
  double (*leaf)(double);
  int next;
} Link;
static double walk(const Link *nd, int i) {
  double v = nd[i].leaf ? nd[i].leaf(nd[i].val) : nd[i].val;
  return nd[i].next >= 0 ? v * walk(nd, nd[i].next) : v;
}
double chain(const double *x, int n) {
  Link *links = malloc(sizeof(Link) * n);
  for (int i = 0; i < n; i++) links[i] = (Link){x[i], (i % 2) ? cube : NULL, i + 1 < n ? i + 1 : -1};
  double s = walk(links, 0);
  free(links);
  return s;
}

int main(void) {
  enum { N = 7 };
  double x[N] = {0.3, -0.5, 0.8, 0.25, -0.6, 0.4, 0.9}, dx[N] = {0};
  __enzyme_autodiff((void *)tree, enzyme_dup, x, dx, enzyme_const, N);
  CHECK_ARRAY_FD("tree reverse", x, N, dx, 1e-6, tree(x, N), RTOL_FD, ATOL_FD);
  double v[N] = {1, 2, -1, 0.5, 0.3, -0.7, 0.1};
  double t = __enzyme_fwddiff((void *)tree, enzyme_dup, x, v, enzyme_const, N);
  CHECK_CLOSE("tree forward vs reverse", t, dotv(v, dx, N), 1e-10, 1e-12);

  double dc[N] = {0};
  __enzyme_autodiff((void *)chain, enzyme_dup, x, dc, enzyme_const, 5);
  CHECK_ARRAY_FD("chain reverse", x, 5, dc, 1e-6, chain(x, 5), RTOL_FD, ATOL_FD);
  double tc = __enzyme_fwddiff((void *)chain, enzyme_dup, x, v, enzyme_const, 5);
  CHECK_CLOSE("chain forward vs reverse", tc, dotv(v, dc, 5), 1e-10, 1e-12);
  return check_report();
}
