// Tree recursion over a malloc'd binary tree (15 nodes, depth 4).
// Values in the nodes: tsum(n) = val^2/2 + sin(val) + 1.1 tsum(left) + 0.9 tsum(right),
// differentiated with a shadow tree (same shape, enzyme_dup on the root; the gradient of each
// node lands in its shadow node), reverse and forward, against the analytic gradient (path
// weights) checked against central finite differences. The recursive call's result depends on
// active memory only (its one argument is a pointer). tree_index.c: constant tree, active array.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct Node {
  double val;
  int id;
  struct Node *left, *right;
} Node;

double tsum(const Node *n) {
  if (!n)
    return 0.0;
  return n->val * n->val * 0.5 + sin(n->val) + 1.1 * tsum(n->left) + 0.9 * tsum(n->right);
}

#define NNODES 15

static Node *build(int depth, int *next, const double *vals) {
  if (depth == 0)
    return NULL;
  Node *n = (Node *)malloc(sizeof *n);
  n->id = (*next)++;
  n->val = vals[n->id];
  n->left = build(depth - 1, next, vals);
  n->right = build(depth - 1, next, vals);
  return n;
}
static Node *shadow_of(const Node *n) {
  if (!n)
    return NULL;
  Node *s = (Node *)malloc(sizeof *s);
  s->val = 0.0;
  s->id = n->id;
  s->left = shadow_of(n->left);
  s->right = shadow_of(n->right);
  return s;
}
static void free_tree(Node *n) {
  if (!n)
    return;
  free_tree(n->left);
  free_tree(n->right);
  free(n);
}
static void collect(const Node *n, double *out) { /* out[id] = val */
  if (!n)
    return;
  out[n->id] = n->val;
  collect(n->left, out);
  collect(n->right, out);
}
/* analytic: d tsum / d val_id = pathweight * (val + cos(val)) */
static void tsum_grad(const Node *n, double pw, double *g) {
  if (!n)
    return;
  g[n->id] = pw * (n->val + cos(n->val));
  tsum_grad(n->left, pw * 1.1, g);
  tsum_grad(n->right, pw * 0.9, g);
}
static double tsum_packed(const double *v, const void *ctx) {
  (void)ctx;
  int next = 0;
  Node *t = build(4, &next, v);
  double r = tsum(t);
  free_tree(t);
  return r;
}

int main(void) {
  unsigned s = 11;
  for (int t = 0; t < 3; t++) {
    double vals[NNODES];
    for (int i = 0; i < NNODES; i++)
      vals[i] = 1.4 * prand(&s);
    int next = 0;
    Node *root = build(4, &next, vals);
    CHECK_TRUE("tree has 15 nodes", next == NNODES);
    Node *droot = shadow_of(root);
    double want[NNODES], got[NNODES];
    tsum_grad(root, 1.0, want);
    CHECK_GRAD_FD("oracle: tsum vs finite differences", tsum_packed, NULL, vals, NNODES, want, RTOL_FD, ATOL_FD);
    __enzyme_autodiff((void *)tsum, root, droot);
    collect(droot, got);
    CHECK_ARRAY_CLOSE("reverse tsum, gradient in the shadow tree", got, want, NNODES, RTOL_D, ATOL_D);
    /* forward: tangent tree with tangent k/10 at node k */
    Node *troot = shadow_of(root);
    double tv[NNODES];
    for (int i = 0; i < NNODES; i++)
      tv[i] = 0.1 * (i + 1);
    {
      /* write the tangents into the tangent tree by id */
      Node *stack[NNODES];
      int sp = 0;
      stack[sp++] = troot;
      while (sp) {
        Node *n = stack[--sp];
        n->val = tv[n->id];
        if (n->left)
          stack[sp++] = n->left;
        if (n->right)
          stack[sp++] = n->right;
      }
    }
    CHECK_CLOSE("forward tsum along the tangent tree", __enzyme_fwddiff((void *)tsum, root, troot),
                dotv(tv, want, NNODES), RTOL_D, ATOL_D);
    free_tree(troot);
    free_tree(droot);
    free_tree(root);

  }
  return check_report();
}
