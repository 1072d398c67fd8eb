// CFLAGS: -std=c++17
// std::complex<double> in a class template: a filter whose response at frequency w is a ratio of
// polynomials in z = exp(i w) (Horner over std::vector<std::complex<T>>, complex division,
// std::abs, std::arg, std::polar), summed over frequencies as a least-squares magnitude loss.
// Without -ffast-math complex products and quotients call compiler-rt's __muldc3/__divdc3 at -O0.
// Reverse mode with respect to the coefficients, forward mode along each coefficient. Oracles:
// central finite differences of the primal.
#include "check.h"
#include <cmath>
#include <complex>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

template <class T> class Filter {
public:
  Filter(const T *b, int nb, const T *a, int na) {
    for (int i = 0; i < nb; i++)
      num.emplace_back(b[i], 0);
    den.emplace_back(1, 0);
    for (int i = 0; i < na; i++)
      den.emplace_back(a[i], 0);
  }
  std::complex<T> response(T w) const {
    std::complex<T> z = std::polar(T(1), -w);
    return horner(num, z) / horner(den, z);
  }

private:
  static std::complex<T> horner(const std::vector<std::complex<T>> &c, std::complex<T> z) {
    std::complex<T> r(0, 0);
    for (auto it = c.rbegin(); it != c.rend(); ++it)
      r = r * z + *it;
    return r;
  }
  std::vector<std::complex<T>> num, den;
};

// c = {b0, b1, b2, a1, a2}
static double loss(const double *c, int nf) {
  Filter<double> f(c, 3, c + 3, 2);
  double l = 0;
  for (int k = 0; k < nf; k++) {
    double w = 3.0 * k / nf;
    std::complex<double> h = f.response(w);
    double target = 1.0 / (1.0 + w * w);
    double e = std::abs(h) - target;
    l += e * e + 0.01 * std::arg(h) * std::arg(h);
  }
  return l;
}

int main() {
  double c[5] = {0.3, 0.2, 0.1, -0.4, 0.15};
  for (int nf = 1; nf <= 9; nf += 4) {
    double dc[5] = {0};
    __enzyme_autodiff((void *)loss, enzyme_dup, c, dc, enzyme_const, nf);
    CHECK_ARRAY_FD("reverse", c, 5, dc, 1e-6, loss(c, nf), RTOL_FD, ATOL_FD);
    for (int k = 0; k < 5; k++) {
      double t[5] = {0};
      t[k] = 1;
      double fw = __enzyme_fwddiff((void *)loss, enzyme_dup, c, t, enzyme_const, nf);
      CHECK_CLOSE("forward vs reverse", fw, dc[k], RTOL_D, ATOL_D);
    }
  }
  return check_report();
}
