// A dynamic array grown with realloc by a kept `push` (-ferment-no-inline): the caller's local
// Pool, a node pool filled through a by-value Node holding a function pointer, and a Pool the
// user passes duplicated (its final block's shadow lands in the user's shadow Pool, freed by the
// user). The realloc'd block escapes `push` (stored into the caller's Pool), and its reverse
// skipped the move of the carried-over adjoints back to the old block's shadow: every element
// pushed before the last growth had a zero derivative (a silently wrong gradient at every -O
// level with the option, main 32dae5b; fixed in session 36). The intermediate shadow blocks
// were never freed (a leak: 408 bytes in 10 blocks at -O2 on main 270b29f), so the case was not
// under valgrind. Session 37: a `realloc` takes
// part in the hand-off list (`reverse/handoffs.rs`): its reverse looks its own block up (freed
// later by the next growth or by the caller's free: the shadow is freed after its adjoints went
// back to the old shadow) and then records the old block it freed; so it moved here, under
// memory/'s valgrind config. Oracle: central differences, forward vs reverse.
// CFLAGS: -mllvm -ferment-no-inline
#include "check.h"
#include <stdlib.h>
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  double *v;
  int n, cap;
} Pool;
__attribute__((noinline)) static void push(Pool *p, double x) {
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 1;
    p->v = realloc(p->v, sizeof(double) * p->cap);
  }
  p->v[p->n++] = x;
}
double squares(const double *x, int n) {
  Pool p = {0, 0, 0};
  for (int i = 0; i < n; i++) push(&p, x[i] * (i + 1));
  double s = 0;
  for (int i = 0; i < p.n; i++) s += p.v[i] * p.v[i] * (i % 2 ? 1.0 : 0.5);
  free(p.v);
  return s;
}

typedef struct {
  double val;
  double (*leaf)(double);
} Node;
typedef struct {
  Node *nodes;
  int n, cap;
} Nodes;
static double cube(double x) { return x * x * x; }
__attribute__((noinline)) static int push_node(Nodes *p, Node nd) {
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 1;
    p->nodes = realloc(p->nodes, sizeof(Node) * p->cap);
  }
  p->nodes[p->n] = nd;
  return p->n++;
}
double leaves(const double *x, int n) {
  Nodes p = {0, 0, 0};
  for (int i = 0; i < n; i++) push_node(&p, (Node){x[i], (i % 2) ? cube : NULL});
  double s = 0;
  for (int i = 0; i < p.n; i++) s += p.nodes[i].leaf ? p.nodes[i].leaf(p.nodes[i].val) : p.nodes[i].val;
  free(p.nodes);
  return s * x[0];
}

/* the user's Pool, duplicated: it starts with one element, grows inside */
double fill(Pool *p, const double *x, int n) {
  for (int i = 0; i < n; i++) push(p, sin(x[i]));
  double s = 0;
  for (int i = 0; i < p->n; i++) s += p->v[i] * (i + 1);
  return s;
}
static double fill_fresh(const double *x, int n) {
  Pool p = {malloc(sizeof(double)), 1, 1};
  p.v[0] = 2.0;
  double r = fill(&p, x, n);
  free(p.v);
  return r;
}

int main(void) {
  enum { N = 6 };
  double x[N] = {0.3, -0.5, 0.8, 0.25, -0.6, 1.1}, dx[N] = {0};
  double v[N] = {1, 2, -1, 0.5, 0.3, -0.7};
  __enzyme_autodiff((void *)squares, enzyme_dup, x, dx, enzyme_const, N);
  CHECK_ARRAY_FD("squares reverse", x, N, dx, 1e-6, squares(x, N), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("squares forward vs reverse", __enzyme_fwddiff((void *)squares, enzyme_dup, x, v, enzyme_const, N),
              dotv(v, dx, N), 1e-10, 1e-12);

  double dl[N] = {0};
  __enzyme_autodiff((void *)leaves, enzyme_dup, x, dl, enzyme_const, 5);
  CHECK_ARRAY_FD("leaves reverse", x, 5, dl, 1e-6, leaves(x, 5), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("leaves forward vs reverse", __enzyme_fwddiff((void *)leaves, enzyme_dup, x, v, enzyme_const, 5),
              dotv(v, dl, 5), 1e-10, 1e-12);

  Pool p = {malloc(sizeof(double)), 1, 1}, dp = {calloc(1, sizeof(double)), 1, 1};
  p.v[0] = 2.0;
  double df[N] = {0};
  /* the adjoint of the element held before the growth lands in the shadow block it was in;
     dp.v then holds the grown block's shadow (the user frees both) */
  double *first = dp.v;
  __enzyme_autodiff((void *)fill, enzyme_dup, &p, &dp, enzyme_dup, x, df, enzyme_const, N);
  CHECK_ARRAY_FD("fill reverse", x, N, df, 1e-6, fill_fresh(x, N), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("fill d/d p.v[0] (the first element's weight)", first[0], 1.0, 1e-12, 0);
  CHECK_TRUE("the shadow Pool follows the growth", dp.v != first && dp.cap == p.cap);
  free(p.v);
  free(dp.v);
  free(first);
  return check_report();
}
