// Tree recursion over a malloc'd constant binary tree (15 nodes, depth 4) whose nodes index an
// active array x, with an active weight passed down and changed differently on each side:
//   tidx(n, x, w) = w x[idx]^2 + tidx(left, x, w/2) + tidx(right, x, w + 1/4).
// Several nodes share an index, so their contributions add up in dx. Reverse (tree enzyme_const,
// x duplicated, w active) and forward mode against the analytic gradient (path weights), itself
// checked against central finite differences. tree_sum.c: values held in the tree itself.
// RUN: clang opt
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct INode {
  int idx;
  struct INode *left, *right;
} INode;

double tidx(const INode *n, const double *x, double w) {
  if (!n)
    return 0.0;
  return w * x[n->idx] * x[n->idx] + tidx(n->left, x, w * 0.5) + tidx(n->right, x, w + 0.25);
}

#define NX 5

static INode *ibuild(int depth, int *next) {
  if (depth == 0)
    return NULL;
  INode *n = (INode *)malloc(sizeof *n);
  n->idx = ((*next)++ * 3) % NX;
  n->left = ibuild(depth - 1, next);
  n->right = ibuild(depth - 1, next);
  return n;
}
static void ifree(INode *n) {
  if (!n)
    return;
  ifree(n->left);
  ifree(n->right);
  free(n);
}
/* analytic: d/dx[i] = sum over nodes with idx i of 2 w_node x[i]; d/dw = sum x[idx]^2 dw_node/dw */
static void tidx_grad(const INode *n, const double *x, double w, double dw, double *gx, double *gw) {
  if (!n)
    return;
  gx[n->idx] += 2.0 * w * x[n->idx];
  *gw += x[n->idx] * x[n->idx] * dw;
  tidx_grad(n->left, x, w * 0.5, dw * 0.5, gx, gw);
  tidx_grad(n->right, x, w + 0.25, dw, gx, gw);
}
static const INode *ITREE;
static double tidx_packed(const double *p, const void *ctx) {
  (void)ctx;
  return tidx(ITREE, p, p[NX]);
}

int main(void) {
  unsigned s = 11;
  for (int t = 0; t < 4; t++) {
    int inext = 0;
    INode *it = ibuild(4, &inext);
    CHECK_TRUE("tree has 15 nodes", inext == 15);
    ITREE = it;
    double p[NX + 1];
    for (int i = 0; i < NX; i++)
      p[i] = 1.2 * prand(&s);
    double w = 0.75 + 0.25 * t;
    p[NX] = w;
    double gx[NX + 1] = {0}, gw = 0.0;
    tidx_grad(it, p, w, 1.0, gx, &gw);
    gx[NX] = gw;
    CHECK_GRAD_FD("oracle: tidx vs finite differences", tidx_packed, NULL, p, NX + 1, gx, RTOL_FD, ATOL_FD);
    double dx[NX] = {0};
    double got_w = __enzyme_autodiff((void *)tidx, enzyme_const, it, p, dx, w);
    CHECK_ARRAY_CLOSE("reverse tidx dx", dx, gx, NX, RTOL_D, ATOL_D);
    CHECK_CLOSE("reverse tidx dw", got_w, gw, RTOL_D, ATOL_D);
    double tx[NX] = {0.5, -1.0, 0.25, 2.0, -0.75};
    CHECK_CLOSE("forward tidx along (tx, 0.3)", __enzyme_fwddiff((void *)tidx, enzyme_const, it, p, tx, w, 0.3),
                dotv(tx, gx, NX) + 0.3 * gw, RTOL_D, ATOL_D);
    ifree(it);
  }
  return check_report();
}
