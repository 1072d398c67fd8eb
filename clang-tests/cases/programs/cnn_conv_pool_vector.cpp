// A small convolutional network in C++17 as a vision student writes it without a framework:
// tensors as std::vector<double> with an index helper (channel, row, column), a Conv2d layer
// class (3x3 kernels, zero padding, bias) whose forward loops over output channels, input
// channels and kernel taps with bounds checks, a leaky ReLU, 2x2 max pooling that keeps the
// argmax of each window (the branch picks which input gets the adjoint), global average
// pooling, a dense layer to class scores and a log-softmax cross-entropy over a batch of
// images held in a std::vector of std::vector. Enzyme differentiates the batch loss with
// respect to the network's parameters (a struct of std::vectors, shadowed by a zeroed copy),
// reverse and forward.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

constexpr int IMG = 6, CIN = 1, C1 = 3, NCLS = 3;

struct Tensor {
  int c, h, w;
  std::vector<double> v;
  Tensor(int c_, int h_, int w_) : c(c_), h(h_), w(w_), v((size_t)c_ * h_ * w_, 0.0) {}
  double &at(int ci, int y, int x) { return v[((size_t)ci * h + y) * w + x]; }
  double at(int ci, int y, int x) const { return v[((size_t)ci * h + y) * w + x]; }
};

struct Net {
  std::vector<double> k1, b1; // C1 x CIN x 3 x 3, C1
  std::vector<double> wd, bd; // NCLS x C1, NCLS
  Net() : k1(C1 * CIN * 9), b1(C1), wd(NCLS * C1), bd(NCLS) {}
  std::vector<double *> params() {
    std::vector<double *> p;
    for (auto *v : {&k1, &b1, &wd, &bd})
      for (auto &x : *v) p.push_back(&x);
    return p;
  }
};

static Tensor conv3x3(const Tensor &in, const std::vector<double> &k, const std::vector<double> &b,
                      int cout) {
  Tensor out(cout, in.h, in.w);
  for (int co = 0; co < cout; co++)
    for (int y = 0; y < in.h; y++)
      for (int x = 0; x < in.w; x++) {
        double s = b[co];
        for (int ci = 0; ci < in.c; ci++)
          for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
              int yy = y + dy, xx = x + dx;
              if (yy < 0 || xx < 0 || yy >= in.h || xx >= in.w) continue;
              s += k[((co * in.c + ci) * 3 + (dy + 1)) * 3 + (dx + 1)] * in.at(ci, yy, xx);
            }
        out.at(co, y, x) = s > 0.0 ? s : 0.05 * s; // leaky ReLU
      }
  return out;
}

static Tensor maxpool2(const Tensor &in) {
  Tensor out(in.c, in.h / 2, in.w / 2);
  for (int c = 0; c < in.c; c++)
    for (int y = 0; y < out.h; y++)
      for (int x = 0; x < out.w; x++) {
        int by = 2 * y, bx = 2 * x;
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++)
            if (in.at(c, 2 * y + dy, 2 * x + dx) > in.at(c, by, bx)) {
              by = 2 * y + dy;
              bx = 2 * x + dx;
            }
        out.at(c, y, x) = in.at(c, by, bx);
      }
  return out;
}

static double batch_loss(const Net *net, const std::vector<std::vector<double>> *images,
                         const std::vector<int> *labels) {
  double total = 0.0;
  for (size_t n = 0; n < images->size(); n++) {
    Tensor img(CIN, IMG, IMG);
    std::copy((*images)[n].begin(), (*images)[n].end(), img.v.begin());
    Tensor a = maxpool2(conv3x3(img, net->k1, net->b1, C1));
    std::vector<double> feat(C1, 0.0);
    for (int c = 0; c < C1; c++) {
      for (int y = 0; y < a.h; y++)
        for (int x = 0; x < a.w; x++) feat[c] += a.at(c, y, x);
      feat[c] /= a.h * a.w;
    }
    std::vector<double> z(NCLS);
    for (int k = 0; k < NCLS; k++) {
      z[k] = net->bd[k];
      for (int c = 0; c < C1; c++) z[k] += net->wd[k * C1 + c] * feat[c];
    }
    double mx = *std::max_element(z.begin(), z.end()), se = 0.0;
    for (double v : z) se += std::exp(v - mx);
    total -= z[(*labels)[n]] - mx - std::log(se);
  }
  return total / images->size();
}

int main() {
  Net net;
  unsigned s = 77;
  for (double *p : net.params()) *p = 0.6 * prand(&s);
  std::vector<std::vector<double>> images;
  std::vector<int> labels;
  for (int n = 0; n < 4; n++) {
    std::vector<double> im(CIN * IMG * IMG);
    for (auto &v : im) v = prand(&s);
    images.push_back(im);
    labels.push_back(n % NCLS);
  }
  Net grad;
  __enzyme_autodiff((void *)batch_loss, enzyme_dup, &net, &grad, enzyme_const, &images,
                    enzyme_const, &labels);
  auto p = net.params(), g = grad.params();
  for (size_t i = 0; i < p.size(); i++)
    CHECK_CLOSE("dloss/dparam vs FD", *g[i], FD_AT(*p[i], 1e-6, batch_loss(&net, &images, &labels)),
                1e-6, 1e-9);
  Net dir;
  double dot = 0.0;
  auto d = dir.params();
  for (size_t i = 0; i < d.size(); i++) {
    *d[i] = prand(&s);
    dot += *d[i] * *g[i];
  }
  double jt = __enzyme_fwddiff((void *)batch_loss, enzyme_dup, &net, &dir, enzyme_const, &images,
                               enzyme_const, &labels);
  CHECK_CLOSE("tangent vs reverse", jt, dot, 1e-10, 1e-13);
  return check_report();
}
