// CFLAGS: -std=c++17
// A small network whose differentiated function validates its input and throws
// std::invalid_argument on a bad one (the throw is not on the path taken; the caller catches
// it). `throw` passes the exception's destructor (`_ZNSt16invalid_argumentD1Ev`) to
// `__cxa_throw` as a function pointer: inactive data. A divergence check throws an exception
// holding an active double, with a message from std::to_string of an active value (libstdc++'s
// variadic `__to_xstring`, which formats into the string only). Inside a try block the
// forward derivative unwinds to the caller's handler as the primal does (the AD call is an
// `invoke`: the derivative call must be one too). Oracles: central finite differences
// (reverse), the directional difference (forward), forward vs reverse, at every level.
#include "check.h"
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Dense {
  int in, out;
  const double *w; // out x in weights, then out biases
  void apply(const double *x, double *y) const {
    for (int o = 0; o < out; o++) {
      double s = w[in * out + o];
      for (int i = 0; i < in; i++)
        s += w[o * in + i] * x[i];
      y[o] = std::tanh(s);
    }
  }
};

static void validate(const double *x, int n) {
  if (n <= 0)
    throw std::invalid_argument("empty input");
  for (int i = 0; i < n; i++)
    if (!std::isfinite(x[i]))
      throw std::invalid_argument("input " + std::to_string(i) + " is not finite");
}

// loss of a 3-4-1 network on one input: weights w (16 + 5), input x (const)
struct Diverged : std::range_error {
  double at;
  Diverged(double d) : std::range_error("diverged at " + std::to_string(d)), at(d) {}
};

static double loss(const double *w, const double *x, int n) {
  validate(x, n);
  if (n != 3)
    throw std::invalid_argument("expected 3 inputs");
  Dense l1{3, 4, w}, l2{4, 1, w + 16};
  std::vector<double> h(4);
  double y;
  l1.apply(x, h.data());
  l2.apply(h.data(), &y);
  double d = y - 0.25;
  if (d > 0.5)
    throw Diverged(d);
  return d * d;
}

int main() {
  const int nw = 21;
  double w[nw];
  for (int i = 0; i < nw; i++)
    w[i] = 0.1 * std::sin(1.3 * i + 0.2);
  double x[3] = {0.5, -1.2, 0.8};
  double bad[3] = {0.5, NAN, 0.8};
  int caught = 0;
  try {
    loss(w, bad, 3);
  } catch (const std::invalid_argument &e) {
    caught = 1;
  }
  CHECK_TRUE("primal throws on a bad input", caught);
  double dw[nw] = {0};
  __enzyme_autodiff((void *)loss, enzyme_dup, w, dw, enzyme_const, x, enzyme_const, 3);
  CHECK_ARRAY_FD("reverse", w, nw, dw, 1e-6, loss(w, x, 3), RTOL_FD, ATOL_FD);
  double t[nw], wp[nw], wm[nw];
  for (int i = 0; i < nw; i++)
    t[i] = std::cos(0.7 * i);
  double fw = __enzyme_fwddiff((void *)loss, enzyme_dup, w, t, enzyme_const, x, enzyme_const, 3);
  double h = 1e-6;
  shift_along(wp, w, t, h, nw);
  shift_along(wm, w, t, -h, nw);
  CHECK_CLOSE("forward", fw, (loss(wp, x, 3) - loss(wm, x, 3)) / (2 * h), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward vs reverse", fw, dotv(t, dw, nw), 1e-10, 1e-12);
  // The forward derivative throws where the primal does, and the caller catches it.
  caught = 0;
  try {
    __enzyme_fwddiff((void *)loss, enzyme_dup, w, t, enzyme_const, bad, enzyme_const, 3);
  } catch (const std::invalid_argument &e) {
    caught = 1;
  }
  CHECK_TRUE("forward derivative throws on a bad input", caught);
  // Weights that make the output diverge: the exception carries the primal value.
  double big[nw];
  for (int i = 0; i < nw; i++)
    big[i] = 3.0;
  double at = 0;
  try {
    __enzyme_fwddiff((void *)loss, enzyme_dup, big, t, enzyme_const, x, enzyme_const, 3);
  } catch (const Diverged &e) {
    at = e.at;
  }
  CHECK_CLOSE("forward derivative throws the primal's exception", at, std::tanh(3.0 * 4 * std::tanh(3.0 * (0.5 - 1.2 + 0.8) + 3.0) + 3.0) - 0.25, 1e-12, 1e-12);
  return check_report();
}
