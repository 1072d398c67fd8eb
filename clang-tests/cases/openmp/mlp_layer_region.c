// CFLAGS: -fopenmp
// A one-hidden-layer network's loss over a batch: inside one `parallel` region, an `omp for`
// over the hidden units computes h_j = tanh(W_j . x + b_j) with a nested loop over the inputs
// and a private accumulator, the scale `firstprivate`; after the implicit barrier an `omp for
// reduction(+:loss)` over the batch uses every h. Inputs: W (H x D), b (H), v (H), the
// parameters a training step differentiates.
#include "omp_prog.h"

#define D 4
#define BATCH 9
static double xs[BATCH][D], ys[BATCH];

double mlp_loss(const double *p, int H) {
  const double *W = p, *bias = p + H * D, *v = p + H * D + H;
  double *h = (double *)malloc(sizeof(double) * (size_t)(H * BATCH));
  double loss = 0.0, scale = 0.7;
#pragma omp parallel firstprivate(scale)
  {
#pragma omp for
    for (int j = 0; j < H; j++)
      for (int k = 0; k < BATCH; k++) {
        double acc = bias[j];
        for (int i = 0; i < D; i++)
          acc += W[j * D + i] * xs[k][i];
        h[j * BATCH + k] = tanh(scale * acc);
      }
#pragma omp for reduction(+ : loss)
    for (int k = 0; k < BATCH; k++) {
      double out = 0.0;
      for (int j = 0; j < H; j++)
        out += v[j] * h[j * BATCH + k];
      loss += (out - ys[k]) * (out - ys[k]);
    }
  }
  free(h);
  return loss / BATCH;
}

DEFINE_PROG_CHECK(mlp_loss, n * D + 2 * n, 0)

int main(void) {
  unsigned s = 5u;
  for (int k = 0; k < BATCH; k++) {
    for (int i = 0; i < D; i++)
      xs[k][i] = prand(&s);
    ys[k] = prand(&s);
  }
  mlp_loss_all(6, 40u);
  mlp_loss_all(1, 41u);
  return check_report();
}
