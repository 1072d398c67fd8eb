// CFLAGS: -std=c++17 -I/usr/include/eigen3
// Eigen's unsupported Tensor module with its default (vectorized) evaluators, as Enzyme's
// tensor tests use it: `*out = in->convolve(*kernel, dims)` over two of three dimensions, in
// double and in float, and `*c = a->contract(*b, pairs).tanh()`. Assigning to a Tensor may
// resize it: Eigen's aligned_malloc gives null for an empty one, and the copy loop into it is
// kept (in a branch LLVM cannot prove dead) as stores to `getelementptr double, ptr null, %i`.
// Such a store is undefined behaviour and never runs; ferment once refused it ("an active value
// is stored into ptr null") at -O0..-O3. Oracles: the analytic adjoints of a convolution
// (correlation of the output seed with the input / kernel) and of tanh(A B).
#include "check.h"
#include <unsupported/Eigen/CXX11/Tensor>

using Eigen::Tensor;

extern "C" void __enzyme_autodiff(void *, ...);

template <typename T>
__attribute__((noinline)) void conv(const Tensor<T, 2> *__restrict k, const Tensor<T, 3> *__restrict in,
                                    Tensor<T, 3> *out) {
  Eigen::array<ptrdiff_t, 2> dims({0, 1});
  *out = in->convolve(*k, dims);
}

__attribute__((noinline)) void contract(const Tensor<double, 2> *a, const Tensor<double, 2> *b,
                                        Tensor<double, 2> *c) {
  Eigen::array<Eigen::IndexPair<int>, 1> pairs = {Eigen::IndexPair<int>(1, 0)};
  *c = a->contract(*b, pairs).tanh();
}

template <typename T> void check_conv(double rtol, double atol) {
  // input 6x7x3, kernel 3x2 over dims 0 and 1: output 4x6x3
  Tensor<T, 3> in(6, 7, 3), din(6, 7, 3), out(4, 6, 3), dout(4, 6, 3);
  Tensor<T, 2> k(3, 2), dk(3, 2);
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 7; j++)
      for (int c = 0; c < 3; c++)
        in(i, j, c) = T(std::sin(0.7 + i - 0.4 * j + 1.3 * c));
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 2; b++)
      k(a, b) = T(0.25 * a - 0.35 * b + 0.15);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 6; j++)
      for (int c = 0; c < 3; c++)
        dout(i, j, c) = T(std::cos(0.3 * i + 0.9 * j - c));
  din.setZero();
  dk.setZero();
  out.setZero();
  Tensor<T, 3> seed = dout;
  __enzyme_autodiff((void *)conv<T>, &k, &dk, &in, &din, &out, &dout);
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 2; b++) {
      double want = 0;
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 6; j++)
          for (int c = 0; c < 3; c++)
            want += double(seed(i, j, c)) * double(in(i + a, j + b, c));
      CHECK_CLOSE("d kernel", dk(a, b), want, rtol, atol);
    }
  for (int p = 0; p < 6; p++)
    for (int q = 0; q < 7; q++)
      for (int c = 0; c < 3; c++) {
        double want = 0;
        for (int a = 0; a < 3; a++)
          for (int b = 0; b < 2; b++) {
            int i = p - a, j = q - b;
            if (i >= 0 && i < 4 && j >= 0 && j < 6)
              want += double(seed(i, j, c)) * double(k(a, b));
          }
        CHECK_CLOSE("d input", din(p, q, c), want, rtol, atol);
      }
}

int main() {
  check_conv<double>(RTOL_D, 1e-13);
  check_conv<float>(RTOL_F, 1e-5);

  Tensor<double, 2> A(3, 5), dA(3, 5), B(5, 2), dB(5, 2), C(3, 2), dC(3, 2);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 5; j++)
      A(i, j) = 0.2 * i - 0.15 * j + 0.05;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 2; j++)
      B(i, j) = 0.1 * i * j - 0.3 + 0.2 * i;
  dA.setZero();
  dB.setZero();
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++)
      dC(i, j) = 1.0 + i - 0.5 * j;
  Tensor<double, 2> seed = dC;
  __enzyme_autodiff((void *)contract, &A, &dA, &B, &dB, &C, &dC);
  // dL/dS = seed * (1 - tanh(S)^2) with S = A B; dA = dS B^T, dB = A^T dS
  double dS[3][2];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++) {
      double s = 0;
      for (int m = 0; m < 5; m++)
        s += A(i, m) * B(m, j);
      double t = std::tanh(s);
      dS[i][j] = seed(i, j) * (1 - t * t);
    }
  for (int i = 0; i < 3; i++)
    for (int m = 0; m < 5; m++)
      CHECK_CLOSE("d A", dA(i, m), dS[i][0] * B(m, 0) + dS[i][1] * B(m, 1), RTOL_D, 1e-13);
  for (int m = 0; m < 5; m++)
    for (int j = 0; j < 2; j++) {
      double want = 0;
      for (int i = 0; i < 3; i++)
        want += A(i, m) * dS[i][j];
      CHECK_CLOSE("d B", dB(m, j), want, RTOL_D, 1e-13);
    }
  return check_report();
}
