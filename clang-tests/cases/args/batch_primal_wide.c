// __enzyme_batch at widths 5 and 16 (not only small powers of two): a function with a loop of
// run-time trip count over heap scratch memory, a shared array and count (enzyme_scalar) and one
// value per lane (enzyme_vector); the N results come back as a struct of a double[N] (16 x 8
// bytes: through sret). Also a batched derivative: __enzyme_batch of a function calling
// __enzyme_fwddiff of the same loop. Oracles: the function called directly per lane (bitwise),
// central finite differences for the derivative.
#include "check.h"
#include <stdlib.h>

extern int enzyme_width, enzyme_vector, enzyme_scalar, enzyme_dup, enzyme_const;
typedef struct { double v[5]; } R5;
typedef struct { double v[16]; } R16;
R5 __enzyme_batch_5(void *, ...) __asm__("__enzyme_batch");
R16 __enzyme_batch_16(void *, ...) __asm__("__enzyme_batch");
double __enzyme_fwddiff(void *, ...);

double weighted(double t, const double *c, int n) {
  double *p = malloc(n * sizeof *p), s = 0;
  p[0] = 1;
  for (int i = 1; i < n; i++) p[i] = p[i - 1] * t;
  for (int i = 0; i < n; i++) s += c[i] * p[i] * cos(0.1 * i * t);
  free(p);
  return s;
}
static const double C[9] = {0.5, -1.0, 0.25, 2.0, -0.75, 0.1, 0.3, -0.2, 0.05};
static int n_rt;
double dweighted(double t, const double *c, int n) {
  return __enzyme_fwddiff((void *)weighted, t, 1.0, enzyme_const, c, enzyme_const, n);
}
static double weighted_rt(double t) { return weighted(t, C, n_rt); }

int main(int argc, char **argv) {
  (void)argv;
  n_rt = 8 + (argc > 3);
  double t[16];
  for (int k = 0; k < 16; k++) t[k] = -0.9 + 0.12 * k;
  R5 r5 = __enzyme_batch_5((void *)weighted, enzyme_width, 5, enzyme_vector, t[0], t[1], t[2], t[3],
                           t[4], enzyme_scalar, C, enzyme_scalar, n_rt);
  for (int k = 0; k < 5; k++) CHECK_CLOSE("width 5 lane", r5.v[k], weighted(t[k], C, n_rt), 0, 0);
  R16 r16 = __enzyme_batch_16((void *)weighted, enzyme_width, 16, t[0], t[1], t[2], t[3], t[4], t[5],
                              t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15],
                              enzyme_scalar, C, enzyme_scalar, n_rt);
  for (int k = 0; k < 16; k++) CHECK_CLOSE("width 16 lane", r16.v[k], weighted(t[k], C, n_rt), 0, 0);
  R5 d5 = __enzyme_batch_5((void *)dweighted, enzyme_width, 5, t[10], t[11], t[12], t[13], t[14],
                           enzyme_scalar, C, enzyme_scalar, n_rt);
  for (int k = 0; k < 5; k++)
    CHECK_CLOSE_AT("width 5 batched derivative vs FD", t[10 + k], d5.v[k], fd1(weighted_rt, t[10 + k]),
                   RTOL_FD, ATOL_FD);
  return check_report();
}
