// A linked list built with malloc INSIDE the differentiated function from x[0..n), walked
// (reading p->next->val through loaded pointers, whose shadows are loaded from shadow memory),
// summed and freed. Head holds x[n-1]^2 and the tail x[0]^2; s = sum_k sin(v_k) v_{k-1} + sin(v_0).
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

struct Node {
  double val;
  struct Node *next;
};

double list_sum(const double *x, int n) {
  struct Node *head = NULL;
  for (int i = 0; i < n; i++) {
    struct Node *node = (struct Node *)malloc(sizeof *node);
    node->val = x[i] * x[i];
    node->next = head;
    head = node;
  }
  double s = 0.0;
  for (struct Node *p = head; p; p = p->next)
    s += sin(p->val) * (p->next ? p->next->val : 1.0);
  while (head) {
    struct Node *nx = head->next;
    free(head);
    head = nx;
  }
  return s;
}

#define N 8
static double list_packed(const double *x, const void *ctx) {
  return list_sum(x, *(const int *)ctx);
}

int main(void) {
  static const int ns[] = {1, 2, 5, N};
  double x[N];
  unsigned s = 4;
  for (int i = 0; i < N; i++)
    x[i] = prand(&s) * 1.2;
  char what[128];
  for (unsigned c = 0; c < COUNT_OF(ns); c++) {
    int n = ns[c];
    double dx[N] = {0}, want[N] = {0};
    __enzyme_autodiff((void *)list_sum, x, dx, n);
    for (int k = 0; k < n; k++) {
      double vk = x[k] * x[k];
      double dv = k >= 1 ? cos(vk) * x[k - 1] * x[k - 1] : cos(vk);
      if (k + 1 < n)
        dv += sin(x[k + 1] * x[k + 1]);
      want[k] = dv * 2.0 * x[k];
    }
    snprintf(what, sizeof what, "reverse list gradient n=%d", n);
    CHECK_ARRAY_CLOSE(what, dx, want, N, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "oracle: analytic n=%d", n);
    CHECK_GRAD_FD(what, list_packed, &n, x, n, want, RTOL_FD, ATOL_FD);
    double tx[N];
    for (int i = 0; i < N; i++)
      tx[i] = prand(&s);
    double t = __enzyme_fwddiff((void *)list_sum, x, tx, n);
    snprintf(what, sizeof what, "forward list n=%d vs gradient . direction", n);
    CHECK_CLOSE(what, t, dotv(want, tx, n), RTOL_D, ATOL_D);
  }
  return check_report();
}
