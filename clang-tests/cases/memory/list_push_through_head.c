// A linked list owned by the caller, reached through a sentinel node the list structure points
// to: the differentiated function pushes new nodes holding active values right after the
// sentinel (`n->next = l->head->next; l->head->next = n;`), so each new node is stored only
// through a pointer read from the caller's memory, then sums over the whole list. The list goes
// in enzyme_dup with a shadow list of its own sentinel and nodes; the new nodes' shadows join the
// shadow list. ferment freed those shadows at the end of the reverse sweep (it counted only stores
// into memory based on an argument or a global as reaching the caller), so the caller's shadow
// list pointed at freed memory: garbage derivatives read back, or a crash, at -O0..-O3. Reverse
// and split mode; the derivatives of the old nodes' values (read back from the shadow list) and
// of x. Oracles: the analytic gradient; central differences of the sum.
#include "check.h"
#include <stdlib.h>
#include <math.h>
extern void *__enzyme_augmentfwd(void *, ...);
extern void __enzyme_reverse(void *, ...);
extern void __enzyme_autodiff(void *, ...);

typedef struct Node {
  double v;
  struct Node *next;
} Node;
typedef struct {
  Node *head; /* sentinel */
} List;

static double push_and_sum(List *l, const double *x, int n) {
  for (int i = 0; i < n; i++) {
    Node *q = (Node *)malloc(sizeof *q);
    q->v = x[i] * x[i] + sin(x[i]);
    q->next = l->head->next;
    l->head->next = q;
  }
  double s = 0;
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
  double r = push_and_sum(&l, x, *(const int *)c);
  destroy(&l);
  return r;
}

static void check(const char *what, List *l, List *dl, const double *x, const double *dx, int n) {
  /* list after the call: x[n-1], ..., x[0], then old 0..2 at positions n+1..n+3 */
  Node *p = l->head->next, *dp = dl->head->next;
  for (int k = 1; p; k++, p = p->next, dp = dp->next) {
    if (!dp) {
      CHECK_TRUE("shadow list as long as the list", 0);
      return;
    }
    /* the pushed values' adjoints went on to x (their shadows are consumed); the old nodes
     * keep theirs */
    CHECK_CLOSE_AT(what, k, dp->v, k <= n ? 0.0 : 2 * k * p->v, RTOL_D, ATOL_D);
  }
  int nn = n;
  CHECK_GRAD_FD(what, sum_at, &nn, x, n, dx, RTOL_FD, ATOL_FD);
  for (int i = 0; i < n; i++) {
    int k = n - i;
    double v = x[i] * x[i] + sin(x[i]);
    CHECK_CLOSE_AT(what, i, dx[i], 2 * k * v * (2 * x[i] + cos(x[i])), RTOL_D, ATOL_D);
  }
}

int main(void) {
  const int n = 4;
  double x[4] = {0.3, -0.7, 1.1, 0.45};
  double zeros[3] = {0, 0, 0};
  {
    List l = make(old_vals, 3), dl = make(zeros, 3);
    double dx[4] = {0};
    __enzyme_autodiff((void *)push_and_sum, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n);
    check("reverse", &l, &dl, x, dx, n);
    destroy(&l);
    destroy(&dl);
  }
  {
    List l = make(old_vals, 3), dl = make(zeros, 3);
    double dx[4] = {0};
    void *tape = __enzyme_augmentfwd((void *)push_and_sum, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n);
    __enzyme_reverse((void *)push_and_sum, enzyme_dup, &l, &dl, enzyme_dup, x, dx, enzyme_const, n, 1.0, tape);
    check("split", &l, &dl, x, dx, n);
    destroy(&l);
    destroy(&dl);
  }
  return check_report();
}
