// A keyed list owned by the caller (a sentinel head node) that the differentiated function
// merges values into: each value gets a fresh node first; when its key is in the list already the
// value is added to that node and the fresh node is freed, otherwise the node is linked in after
// the sentinel. Whether a node's memory was freed is known only at run time (the same call frees
// some nodes and hands others to the caller), as in std::unordered_map::emplace. ferment freed
// the shadow of every such node at the end of the reverse sweep (split mode), also of the nodes
// linked into the caller's shadow list (a use after free, garbage adjoints), or kept every one
// (combined mode: the shadows of the freed nodes leaked). Reverse and split mode, values merged
// in a loop (a node allocated and freed or linked per iteration). Oracles: central differences
// of the weighted sum, the analytic adjoints left in the shadow nodes, and the shadow list as
// long as the list.
#include "check.h"
#include <stdlib.h>
#include <math.h>
extern void *__enzyme_augmentfwd(void *, ...);
extern void __enzyme_reverse(void *, ...);
extern void __enzyme_autodiff(void *, ...);

typedef struct Node {
  double v;
  long key;
  struct Node *next;
} Node;
typedef struct {
  Node *head; /* sentinel */
} List;

static const long keys[6] = {2, 5, 2, 7, 5, 9};

static double merge_and_sum(List *l, const double *x, int n) {
  for (int i = 0; i < n; i++) {
    Node *q = (Node *)malloc(sizeof *q);
    q->v = x[i] * x[i] + sin(x[i]);
    q->key = keys[i];
    Node *p = l->head->next;
    while (p && p->key != q->key) p = p->next;
    if (p) {
      p->v += q->v;
      free(q);
    } else {
      q->next = l->head->next;
      l->head->next = q;
    }
  }
  double s = 0;
  for (Node *p = l->head->next; p; p = p->next) s += (double)p->key * p->v * p->v;
  return s;
}

static const double old_vals[2] = {0.5, -1.25};
static const long old_keys[2] = {7, 3};
static List make(const double *vals) {
  List l;
  l.head = (Node *)calloc(1, sizeof(Node));
  for (int i = 1; i >= 0; i--) {
    Node *q = (Node *)malloc(sizeof *q);
    q->v = vals[i];
    q->key = old_keys[i];
    q->next = l.head->next;
    l.head->next = q;
  }
  return l;
}
static void destroy(List *l) {
  Node *p = l->head;
  while (p) {
    Node *nx = p->next;
    free(p);
    p = nx;
  }
}
static double sum_at(const double *x, const void *c) {
  List l = make(old_vals);
  double r = merge_and_sum(&l, x, *(const int *)c);
  destroy(&l);
  return r;
}

static void check(const char *what, List *l, List *dl, const double *x, const double *dx, int n) {
  int len = 0, dlen = 0;
  for (Node *p = l->head->next; p; p = p->next) len++;
  for (Node *p = dl->head->next; p; p = p->next) dlen++;
  CHECK_TRUE("list: two old nodes and keys 2, 5, 9 added", len == 5);
  CHECK_TRUE("shadow list as long as the list", dlen == len);
  /* the old node with key 3 is untouched: its adjoint is d/dv (3 v^2) = 6 v */
  Node *p = l->head->next, *dp = dl->head->next;
  for (; p && dp; p = p->next, dp = dp->next)
    if (p->key == 3) CHECK_CLOSE(what, dp->v, 6 * p->v, RTOL_D, ATOL_D);
  int nn = n;
  CHECK_GRAD_FD(what, sum_at, &nn, x, n, dx, RTOL_FD, ATOL_FD);
  /* analytic: x[i] feeds the node of key k = keys[i], whose value is V_k; ds/dx_i =
   * 2 k V_k (2 x_i + cos x_i) */
  for (int i = 0; i < n; i++) {
    double vk = 0;
    for (int j = 0; j < n; j++)
      if (keys[j] == keys[i]) vk += x[j] * x[j] + sin(x[j]);
    for (int j = 0; j < 2; j++)
      if (old_keys[j] == keys[i]) vk += old_vals[j];
    CHECK_CLOSE_AT(what, i, dx[i], 2 * keys[i] * vk * (2 * x[i] + cos(x[i])), RTOL_D, ATOL_D);
  }
}

int main(void) {
  const int n = 6;
  double x[6] = {0.3, -0.7, 1.1, 0.45, -0.2, 0.8};
  double zeros[2] = {0, 0};
  for (int round = 0; round < 2; round++) {
    List l = make(old_vals), dl = make(zeros);
    double dx[6] = {0};
    __enzyme_autodiff((void *)merge_and_sum, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n);
    check("reverse", &l, &dl, x, dx, n);
    destroy(&l);
    destroy(&dl);
  }
  {
    List l = make(old_vals), dl = make(zeros);
    double dx[6] = {0};
    void *tape = __enzyme_augmentfwd((void *)merge_and_sum, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n);
    __enzyme_reverse((void *)merge_and_sum, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n, 1.0, tape);
    check("split", &l, &dl, x, dx, n);
    destroy(&l);
    destroy(&dl);
  }
  return check_report();
}
