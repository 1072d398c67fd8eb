// CFLAGS: -mllvm -ferment-no-inline
// One kept (not inlined) factory, make_node, serves two requests. link_sum links every node it
// gets into the caller's list (enzyme_dup, with a shadow list) and frees nothing: the nodes'
// shadows must stay linked in the shadow list. insert_sum frees, through a kept drop(), the
// nodes whose key the list already holds (memory make_node allocated and another function
// frees): those shadows must be freed by the reverse sweep, the linked ones kept. Only the
// second request's derivatives record frees and look allocations up in the per-thread list of
// freed pointers (reverse/handoffs.rs, DerivativeKey::handoffs); make_node then has one
// derivative of each kind. Reverse and split mode (valgrind: no invalid access, no leak).
// Oracles: analytic gradients (link_sum), central differences (both), the analytic adjoints of
// the old nodes read back from the shadow list.
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
__attribute__((noinline)) static void drop(Node *q) { free(q); }
__attribute__((noinline)) static Node *find(List *l, long key) {
  for (Node *p = l->head->next; p; p = p->next)
    if (p->key == key) return p;
  return 0;
}
static double list_sum(List *l) {
  double s = 0;
  int k = 1;
  for (Node *p = l->head->next; p; p = p->next, k++) s += k * p->v * p->v;
  return s;
}

/* every node linked: no free anywhere in this request */
static double link_sum(List *l, const double *x, int n) {
  for (int i = 0; i < n; i++) {
    Node *q = make_node(x[i] * x[i], 10 + i);
    q->next = l->head->next;
    l->head->next = q;
  }
  return list_sum(l);
}

static const long new_keys[4] = {10, 2, 11, 10}; /* 2: old; the second 10: new earlier */

/* a node whose key is there is added into the old node and dropped */
static double insert_sum(List *l, const double *x, int n) {
  for (int i = 0; i < n; i++) {
    Node *q = make_node(x[i] * x[i] + sin(x[i]), new_keys[i]);
    Node *old = find(l, q->key);
    if (old) {
      old->v += q->v;
      drop(q);
    } else {
      q->next = l->head->next;
      l->head->next = q;
    }
  }
  return list_sum(l);
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
typedef double (*Fn)(List *, const double *, int);
typedef struct {
  Fn f;
  int n;
} Ctx;
static double sum_at(const double *x, const void *c) {
  const Ctx *cx = (const Ctx *)c;
  List l = make(old_vals, 3);
  double r = cx->f(&l, x, cx->n);
  destroy(&l);
  return r;
}

/* after the call: the new nodes (keys >= 10), then the old ones (keys 1, 2, 3) */
static void check_list(const char *what, List *l, List *dl, int len_want) {
  Node *p = l->head->next, *dp = dl->head->next;
  int len = 0;
  for (int k = 1; p; k++, p = p->next, dp = dp->next) {
    if (!dp) {
      CHECK_TRUE("shadow list as long as the list", 0);
      return;
    }
    len++;
    CHECK_CLOSE_AT(what, k, dp->v, p->key >= 10 ? 0.0 : 2 * k * p->v, RTOL_D, ATOL_D);
  }
  CHECK_TRUE("list length", len == len_want && !dp);
}

static void run(const char *what, Fn f, const double *x, int n, int split, int len_want) {
  List l = make(old_vals, 3);
  double zeros[3] = {0, 0, 0};
  List dl = make(zeros, 3);
  double dx[4] = {0};
  if (split) {
    void *tape =
        __enzyme_augmentfwd((void *)f, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n);
    __enzyme_reverse((void *)f, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n, 1.0, tape);
  } else {
    __enzyme_autodiff((void *)f, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n);
  }
  check_list(what, &l, &dl, len_want);
  if (f == link_sum) {
    /* node i sits at position n - i with v = x_i^2: d/dx_i (k v^2) = 4 k x_i^3 */
    for (int i = 0; i < n; i++)
      CHECK_CLOSE_AT(what, i, dx[i], 4.0 * (n - i) * x[i] * x[i] * x[i], RTOL_D, ATOL_D);
  }
  Ctx c = {f, n};
  CHECK_GRAD_FD(what, sum_at, &c, x, n, dx, RTOL_FD, ATOL_FD);
  destroy(&l);
  destroy(&dl);
}

int main(void) {
  const double x[4] = {0.3, -0.7, 1.1, 0.45};
  for (int round = 0; round < 2; round++) {
    run("link_sum reverse", link_sum, x, 4, 0, 7);
    run("insert_sum reverse", insert_sum, x, 4, 0, 5);
  }
  run("link_sum split", link_sum, x, 4, 1, 7);
  run("insert_sum split", insert_sum, x, 4, 1, 5);
  return check_report();
}
