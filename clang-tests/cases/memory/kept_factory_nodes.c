// CFLAGS: -mllvm -ferment-no-inline
// Factories that stay calls (-ferment-no-inline; noinline too): make_node mallocs a node and
// returns it, make_scaled returns make_node's node on. The differentiated function links the
// nodes it gets into the caller's list (enzyme_dup, with a shadow list), except a node whose key
// the list already holds: that one is added into the old node and freed (a free on a path that
// returns, so whether a node reaches the caller is known only at run time); a scratch node is
// freed on every path. ferment freed the shadow of every node a kept factory returned in the
// factory's reverse sweep, also those the caller had linked into the shadow list: the caller's
// shadow list pointed at freed memory (invalid reads, garbage derivatives, -O0..-O3). Now the
// factory leaves the shadow of the node it returns, the reverse of the caller's free records
// the freed pointer, and the reverse of the node's allocation frees the shadow only when it
// finds its pointer recorded: linked nodes keep theirs in the shadow list, freed ones and the
// scratch node do not leak (valgrind: no invalid access, no leak). Reverse and split mode. Oracles: the analytic adjoints of the old nodes'
// values read back from the shadow list, central differences of the sum.
#include "check.h"
#include <math.h>
#include <stdlib.h>
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

__attribute__((noinline)) static Node *make_node(double v, long key) {
  Node *q = (Node *)malloc(sizeof *q);
  q->v = v;
  q->key = key;
  q->next = 0;
  return q;
}
__attribute__((noinline)) static Node *make_scaled(double v, double s, long key) {
  Node *q = make_node(v * s, key);
  return q;
}
__attribute__((noinline)) static Node *find(List *l, long key) {
  for (Node *p = l->head->next; p; p = p->next)
    if (p->key == key) return p;
  return 0;
}

static const long new_keys[5] = {10, 2, 11, 10, 12}; /* 2: old; the second 10: new earlier */

static double insert_and_sum(List *l, const double *x, int n) {
  Node *scratch = make_node(x[0] * x[1], -1);
  for (int i = 0; i < n; i++) {
    Node *q = make_scaled(x[i] * x[i] + sin(x[i]), 1.5, new_keys[i]);
    Node *old = find(l, q->key);
    if (old) {
      old->v += q->v;
      free(q);
    } else {
      q->next = l->head->next;
      l->head->next = q;
    }
  }
  double s = scratch->v;
  free(scratch);
  int k = 1;
  for (Node *p = l->head->next; p; p = p->next, k++) s += k * p->v * p->v;
  return s;
}

static List make(const double *vals, int m) {
  List l;
  l.head = (Node *)calloc(1, sizeof(Node));
  for (int i = m - 1; i >= 0; i--) {
    Node *q = (Node *)malloc(sizeof *q);
    q->v = vals[i];
    q->key = i + 1;
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
static const double old_vals[3] = {0.5, -1.25, 2.0};
static double sum_at(const double *x, const void *c) {
  List l = make(old_vals, 3);
  double r = insert_and_sum(&l, x, *(const int *)c);
  destroy(&l);
  return r;
}

static void check(const char *what, List *l, List *dl, const double *x, const double *dx, int n) {
  /* after the call: the new nodes (keys 12, 11, 10), then the old ones (keys 1, 2, 3) */
  Node *p = l->head->next, *dp = dl->head->next;
  int len = 0;
  for (int k = 1; p; k++, p = p->next, dp = dp->next) {
    if (!dp) {
      CHECK_TRUE("shadow list as long as the list", 0);
      return;
    }
    len++;
    /* the new nodes' adjoints went on to x (their shadows are consumed); the old nodes keep
     * theirs */
    CHECK_CLOSE_AT(what, k, dp->v, p->key >= 10 ? 0.0 : 2 * k * p->v, RTOL_D, ATOL_D);
  }
  CHECK_TRUE("list length", len == 6 && !dp);
  int nn = n;
  CHECK_GRAD_FD(what, sum_at, &nn, x, n, dx, RTOL_FD, ATOL_FD);
}

int main(void) {
  const int n = 5;
  double x[5] = {0.3, -0.7, 1.1, 0.45, -0.2};
  double zeros[3] = {0, 0, 0};
  for (int round = 0; round < 2; round++) {
    List l = make(old_vals, 3), dl = make(zeros, 3);
    double dx[5] = {0};
    __enzyme_autodiff((void *)insert_and_sum, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n);
    check("reverse", &l, &dl, x, dx, n);
    destroy(&l);
    destroy(&dl);
  }
  {
    List l = make(old_vals, 3), dl = make(zeros, 3);
    double dx[5] = {0};
    void *tape = __enzyme_augmentfwd((void *)insert_and_sum, enzyme_dup, &l, &dl, enzyme_dup, x, dx,
                                     enzyme_const, n);
    __enzyme_reverse((void *)insert_and_sum, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n,
                     1.0, tape);
    check("split", &l, &dl, x, dx, n);
    destroy(&l);
    destroy(&dl);
  }
  return check_report();
}
