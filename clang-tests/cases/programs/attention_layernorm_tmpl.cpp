// A transformer encoder block in plain C++17 as an ML researcher writes it before moving to a
// framework: a `Block<T>` template holding std::vector<T> weights (Q, K, V, output projection,
// two MLP layers) and std::array<T, D> LayerNorm gains/biases, single-head scaled dot-product
// attention with a causal mask and a max-subtracted softmax, pre-LayerNorm residual
// connections, a tanh-approximated GELU, mean-pooling and a squared loss against a target.
// The same template is instantiated for float AND double: the double gradient is checked
// against central differences, the float gradient against the double one, and a forward
// tangent against the reverse gradient. Enzyme gets the block and a zeroed shadow block.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse, float vs double.
#include "check.h"
#include <array>
#include <cmath>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodiff_f(void *, ...);
}

constexpr int D = 4;   // model width
constexpr int L = 5;   // sequence length
constexpr int H = 6;   // MLP hidden width

template <typename T> struct Block {
  std::vector<T> wq, wk, wv, wo; // D x D each
  std::vector<T> w1, b1, w2;     // H x D, H, D x H
  std::array<T, D> g1, be1, g2, be2;

  Block() : wq(D * D), wk(D * D), wv(D * D), wo(D * D), w1(H * D), b1(H), w2(D * H) {}

  // every parameter in a fixed order, for finite differences and copies
  template <typename F> void each(F &&f) {
    for (auto *v : {&wq, &wk, &wv, &wo, &w1, &b1, &w2})
      for (auto &x : *v) f(x);
    for (auto *a : {&g1, &be1, &g2, &be2})
      for (auto &x : *a) f(x);
  }
};

template <typename T> static void layer_norm(const T *x, const std::array<T, D> &g,
                                             const std::array<T, D> &b, T *y) {
  T mean = 0, var = 0;
  for (int i = 0; i < D; i++) mean += x[i];
  mean /= D;
  for (int i = 0; i < D; i++) var += (x[i] - mean) * (x[i] - mean);
  var /= D;
  T inv = T(1) / std::sqrt(var + T(1e-5));
  for (int i = 0; i < D; i++) y[i] = g[i] * (x[i] - mean) * inv + b[i];
}

template <typename T> static void matvec(const std::vector<T> &w, int rows, int cols, const T *x,
                                         T *y) {
  for (int r = 0; r < rows; r++) {
    T s = 0;
    for (int c = 0; c < cols; c++) s += w[r * cols + c] * x[c];
    y[r] = s;
  }
}

template <typename T> static T gelu(T x) {
  const T k = T(0.7978845608028654); // sqrt(2/pi)
  return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
}

template <typename T>
static T block_loss(const Block<T> *blk, const std::vector<std::array<T, D>> *seq,
                    const std::array<T, D> *target) {
  std::vector<std::array<T, D>> h(*seq), q(L), k(L), v(L);
  std::array<T, D> tmp;
  for (int t = 0; t < L; t++) {
    layer_norm(h[t].data(), blk->g1, blk->be1, tmp.data());
    matvec(blk->wq, D, D, tmp.data(), q[t].data());
    matvec(blk->wk, D, D, tmp.data(), k[t].data());
    matvec(blk->wv, D, D, tmp.data(), v[t].data());
  }
  const T scale = T(1) / std::sqrt(T(D));
  for (int t = 0; t < L; t++) {
    std::array<T, L> a{};
    T mx = -1e30f;
    for (int s = 0; s <= t; s++) { // causal
      T dot = 0;
      for (int i = 0; i < D; i++) dot += q[t][i] * k[s][i];
      a[s] = dot * scale;
      if (a[s] > mx) mx = a[s];
    }
    T z = 0;
    for (int s = 0; s <= t; s++) z += (a[s] = std::exp(a[s] - mx));
    std::array<T, D> ctx{};
    for (int s = 0; s <= t; s++)
      for (int i = 0; i < D; i++) ctx[i] += a[s] / z * v[s][i];
    matvec(blk->wo, D, D, ctx.data(), tmp.data());
    for (int i = 0; i < D; i++) h[t][i] += tmp[i];
  }
  std::array<T, D> pooled{};
  for (int t = 0; t < L; t++) {
    std::array<T, D> n2;
    std::array<T, H> hid;
    layer_norm(h[t].data(), blk->g2, blk->be2, n2.data());
    matvec(blk->w1, H, D, n2.data(), hid.data());
    for (int j = 0; j < H; j++) hid[j] = gelu(hid[j] + blk->b1[j]);
    matvec(blk->w2, D, H, hid.data(), tmp.data());
    for (int i = 0; i < D; i++) pooled[i] += (h[t][i] + tmp[i]) / T(L);
  }
  T loss = 0;
  for (int i = 0; i < D; i++) loss += (pooled[i] - (*target)[i]) * (pooled[i] - (*target)[i]);
  return loss;
}

template <typename T> static void init(Block<T> &b, std::vector<std::array<T, D>> &seq,
                                       std::array<T, D> &target) {
  unsigned s = 17;
  b.each([&](T &x) { x = T(0.4 * prand(&s)); });
  for (int i = 0; i < D; i++) {
    b.g1[i] += T(1);
    b.g2[i] += T(1);
  }
  seq.assign(L, {});
  for (auto &tok : seq)
    for (auto &x : tok) x = T(prand(&s));
  for (auto &x : target) x = T(0.5 * prand(&s));
}

int main() {
  Block<double> bd, gd;
  std::vector<std::array<double, D>> seqd;
  std::array<double, D> tgtd;
  init(bd, seqd, tgtd);
  gd.each([](double &x) { x = 0; });
  __enzyme_autodiff((void *)block_loss<double>, enzyme_dup, &bd, &gd, enzyme_const, &seqd,
                    enzyme_const, &tgtd);
  std::vector<double *> pb, pg;
  bd.each([&](double &x) { pb.push_back(&x); });
  gd.each([&](double &x) { pg.push_back(&x); });
  for (size_t i = 0; i < pb.size(); i++) {
    double want = FD_AT(*pb[i], 1e-6, block_loss(&bd, &seqd, &tgtd));
    CHECK_CLOSE("double block gradient vs FD", *pg[i], want, 1e-5, 1e-9);
  }

  // forward tangent along a direction over all parameters
  Block<double> td;
  unsigned s = 99;
  td.each([&](double &x) { x = prand(&s); });
  double jt = __enzyme_fwddiff((void *)block_loss<double>, enzyme_dup, &bd, &td, enzyme_const,
                               &seqd, enzyme_const, &tgtd);
  std::vector<double> tv;
  td.each([&](double &x) { tv.push_back(x); });
  double dot = 0;
  for (size_t i = 0; i < pg.size(); i++) dot += *pg[i] * tv[i];
  CHECK_CLOSE("tangent vs reverse", jt, dot, 1e-10, 1e-13);

  // float instantiation against the double gradient
  Block<float> bf, gf;
  std::vector<std::array<float, D>> seqf;
  std::array<float, D> tgtf;
  init(bf, seqf, tgtf);
  gf.each([](float &x) { x = 0; });
  __enzyme_autodiff_f((void *)block_loss<float>, enzyme_dup, &bf, &gf, enzyme_const, &seqf,
                      enzyme_const, &tgtf);
  std::vector<float> gfv;
  gf.each([&](float &x) { gfv.push_back(x); });
  double gmax = 0;
  for (auto *g : pg) gmax = std::fmax(gmax, std::fabs(*g));
  for (size_t i = 0; i < gfv.size(); i++)
    CHECK_CLOSE("float gradient vs double gradient", gfv[i], *pg[i], 2e-3, 2e-4 * gmax);
  return check_report();
}
