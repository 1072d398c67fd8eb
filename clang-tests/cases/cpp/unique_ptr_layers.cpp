// CFLAGS: -std=c++17
// Layers owned by std::unique_ptr in a std::vector and called through their virtual apply(): the
// vector's buffer holds the layer pointers, which -O1..-O3 store as the integers of their
// addresses (ptrtoint, store i64) and relocate into the grown buffer as i64 loads and stores
// (then null the old slot). Those copies must carry the layers' shadow pointers: with the
// pointers taken for integers, Shift's contribution (a member vector built from the active
// weights) silently vanished from both modes. Oracles: central finite differences (reverse), the
// analytic tangent (forward). At -O0 the first push_back relocates the elements of the empty
// vector in a loop over a null range, whose loads have no shadow: canonicalization (SCCP) must
// drop that dead loop rather than report its pointers as mixed.
#include "check.h"
#include <memory>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
struct Layer {
  virtual ~Layer() = default;
  virtual double apply(double x) const = 0;
};
struct Shift : Layer {
  std::vector<double> b;
  explicit Shift(const double *w, int n) : b(w, w + n) {}
  double apply(double x) const override {
    double s = x;
    for (double c : b)
      s += c * c;
    return s;
  }
};
struct Scale : Layer {
  double s;
  explicit Scale(double s) : s(s) {}
  double apply(double x) const override { return x * s; }
};
static double net(const double *w, int n) { // 0.5 w0 + sum w_i^2, then scaled by w0 again
  std::vector<std::unique_ptr<Layer>> ls;
  ls.push_back(std::make_unique<Scale>(w[0]));
  ls.push_back(std::make_unique<Shift>(w, n));
  ls.push_back(std::make_unique<Scale>(w[0]));
  double x = 0.5;
  for (auto &l : ls)
    x = l->apply(x);
  return x;
}
int main() {
  for (int n = 1; n <= 4; n++) {
    double w[4] = {0.3, -0.2, 0.7, 1.1}, dw[4] = {0};
    double s = 0;
    for (int i = 0; i < n; i++)
      s += w[i] * w[i];
    for (int k = 0; k < n; k++) {
      double t[4] = {0, 0, 0, 0};
      t[k] = 1;
      double fw = __enzyme_fwddiff((void *)net, enzyme_dup, w, t, enzyme_const, n);
      // d/dw_k of w0 (0.5 w0 + s)
      double want = w[0] * 2 * w[k] + (k == 0 ? 0.5 * w[0] + s + 0.5 * w[0] : 0.0);
      CHECK_CLOSE("forward", fw, want, 1e-12, 1e-12);
    }
    __enzyme_autodiff((void *)net, enzyme_dup, w, dw, enzyme_const, n);
    CHECK_ARRAY_FD("reverse", w, n, dw, 1e-6, net(w, n), RTOL_FD, ATOL_FD);
  }
  return check_report();
}
