// CFLAGS: -fopenmp
// Logistic regression trained with minibatch SGD as a data-science user writes it in C: the
// dataset in one row-major malloc'd matrix, minibatches selected by an int index array
// shuffled once with a Fisher-Yates pass (inactive integers), the batch loss computed in an
// `#pragma omp parallel for reduction(+:loss)` over the selected rows (numerically stable
// log-sigmoid with a branch on the sign of the margin) while the rest of the program is
// serial, an L2 penalty, and a hand-written SGD epoch whose gradient comes from Enzyme's
// reverse mode on the batch loss. The checks run with 1, 2 and 4 threads: the gradient of a
// minibatch loss (against central differences and against the closed-form gradient of the
// logistic loss), a forward tangent, and the loss going down over epochs.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: analytic gradient,
// central differences, forward vs reverse.
#include "check.h"
#include <omp.h>
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { NS = 96, NF = 5, BATCH = 16 };

typedef struct {
  const double *X; /* NS x NF */
  const double *y; /* labels 0/1 */
  const int *idx;  /* the batch's rows */
  int nb;
  double l2;
} Batch;

static double log_sigmoid(double z) {
  /* log(1/(1+e^-z)) without overflow on either side */
  return z >= 0.0 ? -log1p(exp(-z)) : z - log1p(exp(z));
}

static double batch_loss(const double *w, const Batch *b) {
  double loss = 0.0;
#pragma omp parallel for reduction(+ : loss) schedule(static)
  for (int k = 0; k < b->nb; k++) {
    const double *x = b->X + (size_t)b->idx[k] * NF;
    double z = w[NF];
    for (int j = 0; j < NF; j++) z += w[j] * x[j];
    double yk = b->y[b->idx[k]];
    loss -= yk * log_sigmoid(z) + (1.0 - yk) * log_sigmoid(-z);
  }
  double reg = 0.0;
  for (int j = 0; j < NF; j++) reg += w[j] * w[j];
  return loss / b->nb + 0.5 * b->l2 * reg;
}

static void closed_form_grad(const double *w, const Batch *b, double *g) {
  for (int j = 0; j <= NF; j++) g[j] = 0.0;
  for (int k = 0; k < b->nb; k++) {
    const double *x = b->X + (size_t)b->idx[k] * NF;
    double z = w[NF];
    for (int j = 0; j < NF; j++) z += w[j] * x[j];
    double r = 1.0 / (1.0 + exp(-z)) - b->y[b->idx[k]];
    for (int j = 0; j < NF; j++) g[j] += r * x[j] / b->nb;
    g[NF] += r / b->nb;
  }
  for (int j = 0; j < NF; j++) g[j] += b->l2 * w[j];
}

static double loss_fd(const double *w, const void *b) { return batch_loss(w, b); }

int main(void) {
  double *X = malloc(sizeof(double) * NS * NF), *y = malloc(sizeof(double) * NS);
  int *perm = malloc(sizeof(int) * NS);
  unsigned s = 2024;
  const double wtrue[NF + 1] = {1.5, -2.0, 0.7, 0.0, 3.0, -0.4};
  for (int i = 0; i < NS; i++) {
    double z = wtrue[NF];
    for (int j = 0; j < NF; j++) {
      X[i * NF + j] = prand(&s);
      z += wtrue[j] * X[i * NF + j];
    }
    y[i] = (z + 0.5 * prand(&s) > 0.0) ? 1.0 : 0.0;
    perm[i] = i;
  }
  for (int i = NS - 1; i > 0; i--) { /* Fisher-Yates */
    s = s * 1664525u + 1013904223u;
    int j = (int)((s >> 8) % (unsigned)(i + 1));
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }

  static const int threads[] = {1, 2, 4};
  double g1[NF + 1];
  for (unsigned c = 0; c < COUNT_OF(threads); c++) {
    omp_set_num_threads(threads[c]);
    Batch b = {X, y, perm + BATCH, BATCH, 0.01};
    double w[NF + 1] = {0.1, -0.2, 0.05, 0.3, -0.1, 0.0}, g[NF + 1] = {0}, ga[NF + 1];
    __enzyme_autodiff((void *)batch_loss, enzyme_dup, w, g, enzyme_const, &b);
    closed_form_grad(w, &b, ga);
    CHECK_ARRAY_CLOSE("gradient vs closed form", g, ga, NF + 1, 1e-12, 1e-14);
    CHECK_GRAD_FD("gradient vs FD", loss_fd, &b, w, NF + 1, g, 1e-6, 1e-10);
    if (c == 0) memcpy(g1, g, sizeof g);
    else CHECK_ARRAY_CLOSE("gradient vs one thread", g, g1, NF + 1, 1e-12, 1e-15);
    double t[NF + 1] = {0.3, 0.1, -0.5, 0.2, 0.7, -1.0};
    double jt = __enzyme_fwddiff((void *)batch_loss, enzyme_dup, w, t, enzyme_const, &b);
    CHECK_CLOSE("tangent vs reverse", jt, dotv(g, t, NF + 1), 1e-12, 1e-14);

    /* SGD epochs over all minibatches */
    Batch full = {X, y, perm, NS, 0.01};
    double l0 = batch_loss(w, &full);
    for (int epoch = 0; epoch < 5; epoch++)
      for (int off = 0; off + BATCH <= NS; off += BATCH) {
        Batch mb = {X, y, perm + off, BATCH, 0.01};
        double gb[NF + 1] = {0};
        __enzyme_autodiff((void *)batch_loss, enzyme_dup, w, gb, enzyme_const, &mb);
        for (int j = 0; j <= NF; j++) w[j] -= 0.5 * gb[j];
      }
    double l1 = batch_loss(w, &full);
    CHECK_TRUE("training lowers the loss", l1 < 0.8 * l0);
  }
  free(X);
  free(y);
  free(perm);
  return check_report();
}
