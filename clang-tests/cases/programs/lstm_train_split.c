// An LSTM sequence model trained by hand-written backprop-through-time replaced with Enzyme, as
// an ML student writes it in C: the parameters in one struct of fixed-size arrays (four gates'
// input and recurrent weights and biases, a linear read-out), the cell state and hidden state
// carried through a loop over time steps, sigmoid/tanh gates, a forget-gate bias of 1, and a
// squared loss on the read-out at every step. The gradient of the loss comes from reverse mode
// (joint) and from split mode (__enzyme_augmentfwd with the tape returned, then
// __enzyme_reverse with a seed on the returned loss), two tangents from one batched forward
// call (enzyme_width 2, enzyme_dupv over the parameter struct), and a few SGD steps must lower
// the loss.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse, split vs joint.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);
extern int enzyme_width, enzyme_dupv, enzyme_dupnoneedv;

enum { NI = 2, NH = 3, T = 7 };

typedef struct {
  double wx[4][NH][NI]; /* gates: input, forget, cell, output */
  double wh[4][NH][NH];
  double b[4][NH];
  double wo[NH];
  double bo;
} Lstm;

#define NPARAM ((int)(sizeof(Lstm) / sizeof(double)))

static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

static double sequence_loss(const Lstm *m, const double *xs, const double *ys) {
  double h[NH] = {0}, c[NH] = {0}, loss = 0.0;
  for (int t = 0; t < T; t++) {
    const double *x = xs + t * NI;
    double g[4][NH];
    for (int k = 0; k < 4; k++)
      for (int j = 0; j < NH; j++) {
        double z = m->b[k][j];
        for (int i = 0; i < NI; i++) z += m->wx[k][j][i] * x[i];
        for (int i = 0; i < NH; i++) z += m->wh[k][j][i] * h[i];
        g[k][j] = (k == 2) ? tanh(z) : sigm(z);
      }
    for (int j = 0; j < NH; j++) {
      c[j] = g[1][j] * c[j] + g[0][j] * g[2][j];
      h[j] = g[3][j] * tanh(c[j]);
    }
    double y = m->bo;
    for (int j = 0; j < NH; j++) y += m->wo[j] * h[j];
    loss += 0.5 * (y - ys[t]) * (y - ys[t]);
  }
  return loss / T;
}

typedef struct {
  const double *xs, *ys;
} Seq;

static double loss_fd(const double *p, const void *c) {
  const Seq *s = c;
  return sequence_loss((const Lstm *)p, s->xs, s->ys);
}

int main(void) {
  Lstm m;
  double *pm = (double *)&m;
  unsigned st = 31;
  for (int i = 0; i < NPARAM; i++) pm[i] = 0.5 * prand(&st);
  for (int j = 0; j < NH; j++) m.b[1][j] = 1.0; /* forget-gate bias */
  double xs[T * NI], ys[T];
  for (int t = 0; t < T; t++) {
    xs[t * NI] = sin(0.6 * t);
    xs[t * NI + 1] = cos(0.4 * t);
    ys[t] = 0.5 * sin(0.6 * t - 0.5);
  }
  Seq seq = {xs, ys};

  Lstm dm;
  memset(&dm, 0, sizeof dm);
  __enzyme_autodiff((void *)sequence_loss, enzyme_dup, &m, &dm, enzyme_const, xs, enzyme_const,
                    ys);
  CHECK_GRAD_FD("dloss/dparams", loss_fd, &seq, pm, NPARAM, (double *)&dm, 1e-6, 1e-10);

  /* split mode: augmented forward returns the tape, the reverse gets the loss's seed */
  Lstm sm;
  memset(&sm, 0, sizeof sm);
  void *tape = __enzyme_augmentfwd((void *)sequence_loss, enzyme_dup, &m, &sm, enzyme_const, xs,
                                   enzyme_const, ys);
  __enzyme_reverse((void *)sequence_loss, enzyme_dup, &m, &sm, enzyme_const, xs, enzyme_const,
                   ys, 2.0, tape);
  for (int i = 0; i < NPARAM; i++)
    CHECK_CLOSE_AT("split = 2 x joint", i, ((double *)&sm)[i], 2.0 * ((double *)&dm)[i], 1e-12,
                   1e-15);

  /* two tangents in one batched forward call */
  Lstm dirs[2];
  for (int l = 0; l < 2; l++)
    for (int i = 0; i < NPARAM; i++) ((double *)&dirs[l])[i] = prand(&st);
  typedef struct {
    double d[2];
  } Two;
  Two tv = ((Two(*)(void *, ...))__enzyme_fwddiff)((void *)sequence_loss, enzyme_width, 2,
                                                    enzyme_dupv, sizeof(Lstm), &m, &dirs[0],
                                                    enzyme_const, xs, enzyme_const, ys);
  for (int l = 0; l < 2; l++)
    CHECK_CLOSE("batched tangent vs reverse", tv.d[l],
                dotv((double *)&dm, (double *)&dirs[l], NPARAM), 1e-10, 1e-14);

  double l0 = sequence_loss(&m, xs, ys);
  for (int it = 0; it < 20; it++) {
    memset(&dm, 0, sizeof dm);
    __enzyme_autodiff((void *)sequence_loss, enzyme_dup, &m, &dm, enzyme_const, xs, enzyme_const,
                      ys);
    for (int i = 0; i < NPARAM; i++) pm[i] -= 0.5 * ((double *)&dm)[i];
  }
  CHECK_TRUE("SGD lowers the loss", sequence_loss(&m, xs, ys) < l0);
  return check_report();
}
