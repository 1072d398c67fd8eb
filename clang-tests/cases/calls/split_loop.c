// Split reverse mode (__enzyme_augmentfwd, then __enzyme_reverse on the tape) on functions with
// loops, where the reverse needs values the forward run overwrote or whose trip count it chose:
// - horner(c, n, x): runtime trip count, active scalar x and duplicated coefficients;
// - relax(a, n, steps): in-place sweeps a[i] = a[i]/2 + sin(a[i-1]) a[i+1]/4 over the array
//   (each value overwritten several times; the reverse runs after the forward has changed a);
// - grow(x): a while loop whose trip count depends on x (reverse twice on one tape, seeds 1, 2).
// Against analytic gradients and central finite differences. split_loop_asan.c: same under ASan.
// RUN: clang opt
#include "check.h"

extern int enzyme_nofree;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
double __enzyme_reverse_d(void *, ...) __asm__("__enzyme_reverse");

double horner(const double *c, int n, double x) {
  double p = 0.0;
  for (int i = n - 1; i >= 0; i--)
    p = p * x + c[i];
  return p;
}

double relax(double *a, int n, int steps) {
  for (int s = 0; s < steps; s++)
    for (int i = 1; i + 1 < n; i++)
      a[i] = 0.5 * a[i] + 0.25 * sin(a[i - 1]) * a[i + 1];
  double r = 0.0;
  for (int i = 0; i < n; i++)
    r += a[i] * a[i] * (i + 1);
  return r;
}
typedef struct {
  int n, steps;
} RelaxCtx;
static double relax_packed(const double *p, const void *c) {
  const RelaxCtx *rc = (const RelaxCtx *)c;
  double a[16];
  memcpy(a, p, sizeof(double) * (size_t)rc->n);
  return relax(a, rc->n, rc->steps);
}

double grow(double x) {
  double s = 0.0;
  int k = 0;
  while (s < 5.0) {
    s += x * x + 0.1 * k;
    k++;
  }
  return s * x;
}

int main(void) {
  unsigned s = 29;
  for (int t = 0; t < 3; t++) {
    /* horner: p = sum c_i x^i; dp/dx = sum i c_i x^(i-1), dp/dc_i = x^i */
    int n = 4 + 2 * t;
    double c[8], dc[8] = {0}, wc[8], x = 0.9 * prand(&s);
    double wx = 0.0;
    for (int i = 0; i < n; i++) {
      c[i] = prand(&s);
      wc[i] = pow(x, i);
      if (i > 0)
        wx += i * c[i] * pow(x, i - 1);
    }
    void *tape = __enzyme_augmentfwd((void *)horner, c, dc, n, x);
    double gx = __enzyme_reverse_d((void *)horner, c, dc, n, x, 1.0, tape);
    CHECK_CLOSE("horner: dp/dx", gx, wx, RTOL_D, ATOL_D);
    CHECK_ARRAY_CLOSE("horner: dp/dc", dc, wc, n, RTOL_D, ATOL_D);

    /* relax: FD gradient of a fresh copy; AD on another copy that the forward overwrites */
    RelaxCtx rc = {6 + t, 2 + t};
    double a0[16], a[16], da[16] = {0}, fdg[16];
    for (int i = 0; i < rc.n; i++)
      a0[i] = 1.2 * prand(&s);
    for (int i = 0; i < rc.n; i++)
      fdg[i] = fdvc(relax_packed, &rc, a0, rc.n, i);
    memcpy(a, a0, sizeof a);
    void *rt = __enzyme_augmentfwd((void *)relax, a, da, rc.n, rc.steps);
    double primal[16];
    memcpy(primal, a0, sizeof primal);
    relax(primal, rc.n, rc.steps);
    CHECK_ARRAY_CLOSE("relax: the augmented forward updated a in place", a, primal, rc.n, RTOL_D, ATOL_D);
    __enzyme_reverse((void *)relax, a, da, rc.n, rc.steps, 1.0, rt);
    CHECK_ARRAY_CLOSE("relax: gradient vs finite differences", da, fdg, rc.n, RTOL_FD, ATOL_FD);

    /* grow: s = k x^2 + 0.05 k (k-1), r = s x; dr/dx = 3 k x^2 + 0.05 k (k-1) */
    double xg = 0.4 + 0.5 * t;
    int k = 0;
    double sg = 0.0;
    while (sg < 5.0) {
      sg += xg * xg + 0.1 * k;
      k++;
    }
    double wg = 3.0 * k * xg * xg + 0.05 * k * (k - 1);
    CHECK_CLOSE_AT("oracle: grow' vs finite differences", xg, wg, fd1(grow, xg), RTOL_FD, ATOL_FD);
    void *gt = __enzyme_augmentfwd((void *)grow, xg);
    double g1 = __enzyme_reverse_d((void *)grow, xg, 1.0, enzyme_nofree, gt);
    double g2 = __enzyme_reverse_d((void *)grow, xg, 2.0, gt);
    CHECK_CLOSE_AT("grow: seed 1", xg, g1, wg, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("grow: seed 2 on the same tape", xg, g2, 2.0 * wg, RTOL_D, ATOL_D);
  }
  return check_report();
}
