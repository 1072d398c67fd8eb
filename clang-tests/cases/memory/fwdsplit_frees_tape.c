// __enzyme_fwdsplit consumes its tape unless enzyme_nofree (Enzyme's convention): each of many
// __enzyme_augmentfwd / __enzyme_fwdsplit pairs here drops the tape pointer after the fwdsplit,
// so under valgrind (this directory's valgrind-O2 config) a tape left allocated is a definite
// leak: a function reading through pointers without a loop (a frame and the log of loaded
// values), one with a loop of run-time trip count (loads logged per iteration, loop caches in the
// tape), the same batched (enzyme_width 2), and the tape behind enzyme_tape memory.
// Tangents against central finite differences at the taped point (the inputs change after
// the augmented pass), and one fwdsplit with enzyme_nofree followed by __enzyme_reverse of the
// same tape (<grad, v> == tangent).
// RUN: clang
#include "check.h"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_nofree, enzyme_allocated, enzyme_tape;
extern int enzyme_width, enzyme_dupv;
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_augmentfwd_v(void *, ...) __asm__("__enzyme_augmentfwd");
double __enzyme_fwdsplit(void *, ...);
void __enzyme_fwdsplit_v(void *, ...) __asm__("__enzyme_fwdsplit");
void __enzyme_reverse(void *, ...);
int __enzyme_augmentsize(void *, ...);

typedef struct {
  double a, b;
  double *w;
} Params;

// No loop: reads through a struct and the pointer in it.
static double plain(const Params *p, const double *x) {
  return p->a * sin(x[0]) * x[1] + p->b * exp(p->w[0] * x[1]) + x[0] * x[0] * p->w[1];
}
static Params P0 = {0.7, -1.3, 0};
static double W0[2] = {0.4, 1.5};
static double plain_v(const double *x) { return plain(&P0, x); }

// A loop whose trip count only the run time knows.
static double chain(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += sin(x[i]) * x[(i + 1) % n] + 0.5 * x[i] * x[i];
  return s;
}
enum { N = 6 };
static int chain_n = N;
static double chain_v(const double *x) { return chain(x, chain_n); }
static void chain_to(const double *x, double *out, int n) { *out = chain(x, n); }

int main(void) {
  P0.w = W0;
  double x[N] = {0.3, -0.8, 1.2, 0.5, -1.4, 0.9}, v[N] = {1, -0.5, 0.25, 2, -1, 0.7};
  double sx[N], taped[N];
  char what[128];
  for (int round = 0; round < 40; round++) {
    for (int i = 0; i < N; i++) taped[i] = x[i] + 0.01 * round;
    // plain: the caller changes x after the augmented pass; the tangent is at the taped x
    double y[2] = {taped[0], taped[1]}, sy[2] = {0, 0};
    void *tape = __enzyme_augmentfwd((void *)plain, enzyme_const, &P0, enzyme_dup, y, sy);
    y[0] += 1;
    y[1] -= 2;
    double t = __enzyme_fwdsplit((void *)plain, enzyme_const, &P0, enzyme_dup, y, v, tape);
    double fd = v[0] * fdv(plain_v, taped, 2, 0) + v[1] * fdv(plain_v, taped, 2, 1);
    snprintf(what, sizeof what, "plain: fwdsplit tangent vs finite differences (round %d)", round);
    CHECK_CLOSE(what, t, fd, RTOL_FD, ATOL_FD);
    // chain
    double z[N];
    for (int i = 0; i < N; i++) z[i] = taped[i], sx[i] = 0;
    tape = __enzyme_augmentfwd((void *)chain, enzyme_dup, z, sx, enzyme_const, chain_n);
    for (int i = 0; i < N; i++) z[i] = -z[i];
    t = __enzyme_fwdsplit((void *)chain, enzyme_dup, z, v, enzyme_const, chain_n, tape);
    fd = 0;
    for (int k = 0; k < N; k++) fd += v[k] * fdv(chain_v, taped, N, k);
    snprintf(what, sizeof what, "chain: fwdsplit tangent vs finite differences (round %d)", round);
    CHECK_CLOSE(what, t, fd, RTOL_FD, ATOL_FD);
    // batched, two directions: the tape is consumed once
    double o = 0, so = 0, V[2][N], DO[2][1] = {{0}};
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < N; i++) V[k][i] = (i == k + round % 4) ? 1.0 : 0.2 * cos(i + k);
    for (int i = 0; i < N; i++) z[i] = taped[i], sx[i] = 0;
    tape = __enzyme_augmentfwd((void *)chain_to, enzyme_dup, z, sx, enzyme_dup, &o, &so,
                               enzyme_const, chain_n);
    __enzyme_fwdsplit_v((void *)chain_to, enzyme_width, 2, enzyme_dupv, sizeof V[0], z, V[0],
                        enzyme_dupv, sizeof DO[0], &o, DO[0], enzyme_const, chain_n, tape);
    for (int k = 0; k < 2; k++) {
      fd = 0;
      for (int j = 0; j < N; j++) fd += V[k][j] * fdv(chain_v, taped, N, j);
      snprintf(what, sizeof what, "chain, batched lane %d: fwdsplit vs finite differences (round %d)",
               k, round);
      CHECK_CLOSE(what, DO[k][0], fd, RTOL_FD, ATOL_FD);
    }
  }

  // The tape behind enzyme_tape memory (the caller frees that memory, fwdsplit the tape).
  int size = __enzyme_augmentsize((void *)chain, enzyme_dup, enzyme_const);
  void *mem = malloc(size);
  double z[N];
  for (int i = 0; i < N; i++) z[i] = x[i], sx[i] = 0;
  __enzyme_augmentfwd_v((void *)chain, enzyme_allocated, size, enzyme_tape, mem, enzyme_dup, z,
                        sx, enzyme_const, chain_n);
  double t = __enzyme_fwdsplit((void *)chain, enzyme_allocated, size, enzyme_tape, mem,
                               enzyme_dup, z, v, enzyme_const, chain_n);
  double fd = 0;
  for (int k = 0; k < N; k++) fd += v[k] * fdv(chain_v, x, N, k);
  CHECK_CLOSE("chain, tape in enzyme_tape memory: fwdsplit tangent vs finite differences", t, fd,
              RTOL_FD, ATOL_FD);
  free(mem);

  // enzyme_nofree keeps the tape for __enzyme_reverse, which frees it.
  for (int i = 0; i < N; i++) z[i] = x[i], sx[i] = 0;
  void *tape = __enzyme_augmentfwd((void *)chain, enzyme_dup, z, sx, enzyme_const, chain_n);
  t = __enzyme_fwdsplit((void *)chain, enzyme_nofree, enzyme_dup, z, v, enzyme_const, chain_n,
                        tape);
  __enzyme_reverse((void *)chain, enzyme_dup, z, sx, enzyme_const, chain_n, 1.0, tape);
  double dot = 0;
  for (int k = 0; k < N; k++) dot += sx[k] * v[k];
  CHECK_CLOSE("chain, enzyme_nofree: fwdsplit tangent vs the same tape's reverse gradient", t, dot,
              RTOL_D, ATOL_D);
  CHECK_CLOSE("chain, enzyme_nofree: fwdsplit tangent vs finite differences", t, fd, RTOL_FD,
              ATOL_FD);
  return check_report();
}
