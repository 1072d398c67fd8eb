// ReverseMode/nn: the program's calculateDerivatives (__enzyme_autodiff<void> of the float
// -log(softmax(W x + b)[label]), the network duplicated without a marker) on a random image.
// The objective is float, so run.sh gives its finite differences a larger step and tolerance.
#include "nn.cpp"
#include "bench_common.h"
static mnist_image_t img;
static neural_network_t net, grad;
static const uint8_t LABEL = 3;
extern "C" double *bench_init(long *n) {
  *n = MNIST_LABELS + MNIST_LABELS * MNIST_IMAGE_SIZE;
  for (int j = 0; j < MNIST_IMAGE_SIZE; j++) img.pixels[j] = (uint8_t)(256 * bench_rnd());
  return bench_rvec(*n, -0.05, 0.05);
}
static void load(const double *x) {
  for (int i = 0; i < MNIST_LABELS; i++) net.b[i] = (float)x[i];
  for (int i = 0; i < MNIST_LABELS; i++)
    for (int j = 0; j < MNIST_IMAGE_SIZE; j++) net.W[i][j] = (float)x[MNIST_LABELS + i * MNIST_IMAGE_SIZE + j];
}
extern "C" double bench_primal(const double *x) {
  load(x);
  return neural_network_hypothesis_v2(&img, &net, LABEL);
}
extern "C" void bench_grad_ferment(const double *x, double *g) {
  load(x);
  memset(&grad, 0, sizeof grad);
  calculateDerivatives(&img, &net, &grad, LABEL);
  for (int i = 0; i < MNIST_LABELS; i++) g[i] = grad.b[i];
  for (int i = 0; i < MNIST_LABELS; i++)
    for (int j = 0; j < MNIST_IMAGE_SIZE; j++) g[MNIST_LABELS + i * MNIST_IMAGE_SIZE + j] = grad.W[i][j];
}
extern "C" void bench_grad_hand(double *) {}
