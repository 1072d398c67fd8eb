// A binary search tree built with malloc inside the differentiated function (iteratively: no
// recursion), keyed on constant integers and holding active values; then an in-order traversal
// with an explicit stack of node pointers (pointers stored in and loaded from a malloc'd array)
// computing s = sum_k (k+1) sin(v_k) over the sorted order, and the tree freed.
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct TNode {
  int key;
  double v;
  struct TNode *left, *right;
} TNode;

double tree_fn(const double *x, const int *keys, int n) {
  TNode *root = NULL;
  for (int i = 0; i < n; i++) {
    TNode *t = (TNode *)malloc(sizeof *t);
    t->key = keys[i];
    t->v = x[i] * (1.0 + 0.5 * x[i]);
    t->left = t->right = NULL;
    TNode **slot = &root;
    while (*slot)
      slot = keys[i] < (*slot)->key ? &(*slot)->left : &(*slot)->right;
    *slot = t;
  }
  TNode **stack = (TNode **)malloc(sizeof(TNode *) * (size_t)n);
  int sp = 0, k = 0;
  double s = 0.0;
  TNode *cur = root;
  while (cur || sp) {
    while (cur) {
      stack[sp++] = cur;
      cur = cur->left;
    }
    cur = stack[--sp];
    s += (k + 1) * sin(cur->v);
    k++;
    cur = cur->right;
  }
  // free in pre-order with the same stack
  if (root)
    stack[sp++] = root;
  while (sp) {
    TNode *t = stack[--sp];
    if (t->left)
      stack[sp++] = t->left;
    if (t->right)
      stack[sp++] = t->right;
    free(t);
  }
  free(stack);
  return s;
}

#define N 9
static const int KEYS[N] = {50, 20, 80, 10, 30, 70, 90, 25, 5};

int main(void) {
  double x[N], dx[N] = {0}, want[N], tx[N];
  unsigned s = 71;
  for (int i = 0; i < N; i++) {
    x[i] = prand(&s);
    tx[i] = prand(&s);
  }
  for (int i = 0; i < N; i++) {
    int rank = 0;
    for (int j = 0; j < N; j++)
      rank += KEYS[j] < KEYS[i];
    double v = x[i] * (1.0 + 0.5 * x[i]);
    want[i] = (rank + 1) * cos(v) * (1.0 + x[i]);
  }
  __enzyme_autodiff((void *)tree_fn, x, dx, enzyme_const, KEYS, N);
  CHECK_ARRAY_CLOSE("reverse tree_fn", dx, want, N, RTOL_D, ATOL_D);
  CHECK_CLOSE("forward tree_fn", __enzyme_fwddiff((void *)tree_fn, x, tx, enzyme_const, KEYS, N), dotv(want, tx, N), RTOL_D, ATOL_D);
  // FD of the primal, component by component
  char what[64];
  for (int i = 0; i < N; i++) {
    double p[N], m[N], h = 1e-6;
    memcpy(p, x, sizeof p);
    memcpy(m, x, sizeof m);
    p[i] += h;
    m[i] -= h;
    snprintf(what, sizeof what, "oracle: analytic [%d] vs finite differences", i);
    CHECK_CLOSE(what, want[i], (tree_fn(p, KEYS, N) - tree_fn(m, KEYS, N)) / (2 * h), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
