// CFLAGS: -std=c++17
// std::vectors of small matrix objects (a struct with a std::vector<double> member) built inside
// the differentiated function, beside constant model data passed as enzyme_const (a vector of
// matrices and a plain array). Shaped like the GMM objective of a public C++ AD benchmark.
// Reverse and forward mode, checked against central finite differences.
#include "check.h"
#include <cmath>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Mat {
  int rows, cols;
  std::vector<double> data;
  Mat() : rows(0), cols(0) {}
  Mat(int r, int c) : rows(r), cols(c), data(r * c, 0.0) {}
  double &at(int i, int j) { return data[i * cols + j]; }
  double at(int i, int j) const { return data[i * cols + j]; }
};

// k matrices L_c = diag(exp(q_c)) + lower(l_c) of size d x d from the parameters, then
// sum_c sum_i (L_c (x_i - mu_c))^2 weighted by the constant data w_c and the constant points.
double objective(int d, int k, int n, const double *params, const std::vector<Mat> &points,
                 const double *w) {
  std::vector<Mat> ls(k);
  for (int c = 0; c < k; c++) {
    ls[c] = Mat(d, d);
    const double *q = params + c * (d + d * d);
    for (int i = 0; i < d; i++) {
      ls[c].at(i, i) = std::exp(q[i]);
      for (int j = 0; j < i; j++)
        ls[c].at(i, j) = q[d + i * d + j];
    }
  }
  std::vector<Mat> mus;
  for (int c = 0; c < k; c++) {
    Mat m(d, 1);
    for (int i = 0; i < d; i++)
      m.at(i, 0) = params[k * (d + d * d) + c * d + i];
    mus.push_back(m);
  }
  double total = 0;
  for (int c = 0; c < k; c++) {
    for (int p = 0; p < n; p++) {
      const Mat &x = points[p];
      for (int i = 0; i < d; i++) {
        double y = 0;
        for (int j = 0; j <= i; j++)
          y += ls[c].at(i, j) * (x.at(j, 0) - mus[c].at(j, 0));
        total += w[c] * y * y;
      }
    }
  }
  return total;
}

enum { D = 3, K = 2, N = 4, P = K * (D + D * D) + K * D };
static std::vector<Mat> points;
static double w[K] = {0.7, 1.3};

static double eval(const double *params) { return objective(D, K, N, params, points, w); }

int main() {
  for (int p = 0; p < N; p++) {
    Mat m(D, 1);
    for (int i = 0; i < D; i++)
      m.at(i, 0) = std::sin(1.0 + p * D + i);
    points.push_back(m);
  }
  double params[P], dparams[P] = {0};
  for (int i = 0; i < P; i++)
    params[i] = 0.1 * std::cos(0.7 * i);
  __enzyme_autodiff((void *)objective, enzyme_const, D, enzyme_const, K, enzyme_const, N,
                    enzyme_dup, params, dparams, enzyme_const, &points, enzyme_const, w);
  for (int i = 0; i < P; i++) {
    double want = fdv(eval, params, P, i);
    CHECK_CLOSE_AT("reverse d objective/dparam_i", i, dparams[i], want, RTOL_FD, ATOL_FD);
    double t[P] = {0};
    t[i] = 1;
    double f = __enzyme_fwddiff((void *)objective, enzyme_const, D, enzyme_const, K,
                                enzyme_const, N, enzyme_dup, params, t, enzyme_const, &points,
                                enzyme_const, w);
    CHECK_CLOSE_AT("forward d objective/dparam_i", i, f, want, RTOL_FD, ATOL_FD);
  }
  return check_report();
}
