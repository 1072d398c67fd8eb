// Scratch memory allocated once and freed before the function returns, as numerical kernels
// write it (a GMM objective's buffers): a table computed once and only read by later loops,
// a per-step buffer overwritten on every outer iteration, a calloc'd accumulator, frees on both
// branches of an if, an early return that frees, and a buffer allocated and freed inside the
// loop. The reverse sweep may read the still-allocated table again instead of taping it; every
// buffer must be freed exactly once (valgrind and ASan variants check that).
// Oracles: reverse vs central finite differences, forward vs reverse (dot product).
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

double model(const double *p, int n, int m, int flag) {
  double *table = (double *)malloc((size_t)n * sizeof(double));
  double *tmp = (double *)malloc((size_t)n * sizeof(double));
  double *acc = (double *)calloc((size_t)n, sizeof(double));
  for (int i = 0; i < n; i++)
    table[i] = exp(0.3 * p[i]);
  if (m == 0) {
    double r = table[0];
    free(table);
    free(tmp);
    free(acc);
    return r;
  }
  double s = 0;
  for (int k = 0; k < m; k++) {
    double *step = (double *)malloc((size_t)n * sizeof(double));
    for (int i = 0; i < n; i++)
      tmp[i] = p[i] - 0.1 * k;
    for (int i = 0; i < n; i++) {
      step[i] = table[i] * tmp[i];
      acc[i] += step[i] * tmp[i];
      s += table[i] * sin(tmp[i]);
    }
    s += step[k % n] * table[(k + 1) % n];
    free(step);
  }
  for (int i = 0; i < n; i++)
    s += acc[i] * acc[i] * table[(i + 2) % n];
  free(table);
  if (flag) {
    s += tmp[0] * tmp[n - 1];
    free(tmp);
    free(acc);
  } else {
    free(acc);
    free(tmp);
  }
  return s;
}

struct args {
  int n, m, flag;
};
static double model_packed(const double *x, const void *ctx) {
  const struct args *a = (const struct args *)ctx;
  return model(x, a->n, a->m, a->flag);
}

#define N 6
int main(void) {
  unsigned s = 7;
  char what[128];
  const struct args cases[] = {{N, 4, 1}, {N, 3, 0}, {N, 0, 1}, {2, 5, 0}};
  for (unsigned c = 0; c < COUNT_OF(cases); c++) {
    struct args a = cases[c];
    double x[N], dx[N] = {0}, tx[N];
    for (int i = 0; i < N; i++) {
      x[i] = prand(&s);
      tx[i] = prand(&s);
    }
    __enzyme_autodiff((void *)model, x, dx, a.n, a.m, a.flag);
    snprintf(what, sizeof what, "reverse n=%d m=%d flag=%d", a.n, a.m, a.flag);
    CHECK_GRAD_FD(what, model_packed, &a, x, a.n, dx, RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "forward vs reverse n=%d m=%d flag=%d", a.n, a.m, a.flag);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)model, x, tx, a.n, a.m, a.flag), dotv(dx, tx, a.n),
                RTOL_D, ATOL_D);
  }
  return check_report();
}
