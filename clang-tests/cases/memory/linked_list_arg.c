// A linked list built by the CALLER (duplicated argument): the shadow list has the same shape,
// each shadow node's next pointing to the next shadow node. The function walks it twice: an
// in-place update p->val = sin(p->val) * p->w, then sum of val^2 * w. Gradients land in the
// shadow nodes' val and w fields; the shadow next pointers are left alone.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct Node {
  double val;
  struct Node *next;
  double w;
} Node;

double walk(Node *head) {
  for (Node *p = head; p; p = p->next)
    p->val = sin(p->val) * p->w;
  double s = 0.0;
  for (Node *p = head; p; p = p->next)
    s += p->val * p->val * p->w;
  return s;
}

#define N 7
static void build(Node *nodes, const double *vals, const double *ws, int n) {
  for (int i = 0; i < n; i++) {
    nodes[i].val = vals[i];
    nodes[i].w = ws[i];
    nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
  }
}
static double walk_packed(const double *p, const void *ctx) {
  (void)ctx;
  Node nodes[N];
  build(nodes, p, p + N, N);
  return walk(nodes);
}

int main(void) {
  double p[2 * N];
  unsigned s = 8;
  for (int i = 0; i < 2 * N; i++)
    p[i] = prand(&s) + (i >= N ? 1.0 : 0.0);
  Node *nodes = (Node *)malloc(N * sizeof(Node)), *dnodes = (Node *)malloc(N * sizeof(Node));
  double zeros[2 * N] = {0};
  build(nodes, p, p + N, N);
  build(dnodes, zeros, zeros + N, N);
  __enzyme_autodiff((void *)walk, nodes, dnodes);
  double g[2 * N], want[2 * N];
  for (int i = 0; i < N; i++) {
    double v = p[i], w = p[N + i], u = sin(v) * w;
    // s_i = u^2 w = sin(v)^2 w^3
    want[i] = 2.0 * sin(v) * cos(v) * w * w * w;
    want[N + i] = 3.0 * sin(v) * sin(v) * w * w;
    g[i] = dnodes[i].val;
    g[N + i] = dnodes[i].w;
    CHECK_CLOSE("primal list updated in place", nodes[i].val, u, RTOL_D, ATOL_D);
    CHECK_TRUE("shadow next pointers untouched", dnodes[i].next == (i + 1 < N ? &dnodes[i + 1] : NULL));
  }
  CHECK_ARRAY_CLOSE("reverse (val then w)", g, want, 2 * N, RTOL_D, ATOL_D);
  CHECK_GRAD_FD("oracle: analytic", walk_packed, NULL, p, 2 * N, want, RTOL_FD, ATOL_FD);

  double tp[2 * N];
  for (int i = 0; i < 2 * N; i++)
    tp[i] = prand(&s);
  build(nodes, p, p + N, N);
  build(dnodes, tp, tp + N, N);
  double t = __enzyme_fwddiff((void *)walk, nodes, dnodes);
  CHECK_CLOSE("forward vs gradient . direction", t, dotv(want, tp, 2 * N), RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++) {
    double v = p[i], w = p[N + i];
    CHECK_CLOSE("forward: tangent of the updated val", dnodes[i].val,
                cos(v) * w * tp[i] + sin(v) * tp[N + i], RTOL_D, ATOL_D);
  }
  free(nodes);
  free(dnodes);
  return check_report();
}
