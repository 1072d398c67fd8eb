// CFLAGS: -std=c++17 -I/usr/include/eigen3
// A small multilayer perceptron (4-8-6-2, tanh) with Eigen: per layer Map<const MatrixXd> of
// the weights and Map<const VectorXd> of the biases over one packed parameter array,
// W * h + b, array().tanh(), a squared-error loss averaged over samples. Oracles: central
// finite differences of every parameter, forward vs reverse.
#include "check.h"
#include <Eigen/Dense>
#include <cmath>
#include <vector>

extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern int enzyme_dup, enzyme_const, enzyme_out;

using Eigen::Map;
using Eigen::MatrixXd;
using Eigen::VectorXd;

struct Layer {
  int in, out;
};

// Parameters packed in one array: per layer W (out x in, column-major) then b (out).
static double mlp_loss(const double *theta, const double *xs, const double *ys, int nsamp) {
  const Layer layers[3] = {{4, 8}, {8, 6}, {6, 2}};
  double loss = 0;
  for (int s = 0; s < nsamp; s++) {
    VectorXd h = Map<const VectorXd>(xs + 4 * s, 4);
    const double *w = theta;
    for (int l = 0; l < 3; l++) {
      Map<const MatrixXd> W(w, layers[l].out, layers[l].in);
      Map<const VectorXd> b(w + layers[l].out * layers[l].in, layers[l].out);
      VectorXd z = W * h + b;
      h = l < 2 ? VectorXd(z.array().tanh()) : z;
      w += layers[l].out * (layers[l].in + 1);
    }
    VectorXd e = h - Map<const VectorXd>(ys + 2 * s, 2);
    loss += 0.5 * e.squaredNorm();
  }
  return loss / nsamp;
}
struct Data { const double *xs, *ys; int n; };
static double loss_theta(const double *th, const void *c) {
  const Data *d = (const Data *)c;
  return mlp_loss(th, d->xs, d->ys, d->n);
}

int main() {
  const int np = 8 * 5 + 6 * 9 + 2 * 7, ns = 3;
  std::vector<double> th(np), dth(np, 0.0), xs(4 * ns), ys(2 * ns);
  for (int i = 0; i < np; i++) th[i] = 0.4 * std::sin(0.37 * i + 0.1);
  for (int i = 0; i < 4 * ns; i++) xs[i] = std::cos(0.9 * i);
  for (int i = 0; i < 2 * ns; i++) ys[i] = 0.3 * i - 0.5;
  __enzyme_autodiff((void *)mlp_loss, enzyme_dup, th.data(), dth.data(), enzyme_const, xs.data(),
                    enzyme_const, ys.data(), enzyme_const, ns);
  Data d{xs.data(), ys.data(), ns};
  CHECK_GRAD_FD("mlp d/dtheta", loss_theta, &d, th.data(), np, dth.data(), RTOL_FD, ATOL_FD);
  std::vector<double> t(np);
  double want = 0;
  for (int i = 0; i < np; i++) {
    t[i] = std::cos(0.11 * i);
    want += t[i] * dth[i];
  }
  double fw = __enzyme_fwddiff((void *)mlp_loss, enzyme_dup, th.data(), t.data(), enzyme_const,
                               xs.data(), enzyme_const, ys.data(), enzyme_const, ns);
  CHECK_CLOSE("mlp forward vs reverse", fw, want, 1e-9, 1e-12);
  return check_report();
}
