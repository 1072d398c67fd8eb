// A sparse-matrix class in C++ as a graph/physics code writes it: CsrMatrix holding
// std::vector<int> row pointers and columns and a std::vector<double> of values, built from a
// std::vector of (row, col, value) triplets sorted with std::sort and merged, a row view with
// begin()/end() iterators yielding (column, value) pairs for range-for, a matrix-vector product
// through those iterators, and a few steps of shifted power iteration whose Rayleigh quotient
// approximates the largest eigenvalue of a weighted graph Laplacian. The user differentiates the
// eigenvalue estimate with respect to the edge weights (reverse) and checks a directional
// derivative (forward).
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct Triplet {
  int r, c;
  double v;
};

class CsrMatrix {
public:
  struct Entry {
    int col;
    double val;
  };
  class RowIter {
  public:
    RowIter(const int *c, const double *v) : c_(c), v_(v) {}
    Entry operator*() const { return {*c_, *v_}; }
    RowIter &operator++() {
      ++c_, ++v_;
      return *this;
    }
    bool operator!=(const RowIter &o) const { return c_ != o.c_; }

  private:
    const int *c_;
    const double *v_;
  };
  struct Row {
    RowIter b, e;
    RowIter begin() const { return b; }
    RowIter end() const { return e; }
  };

  CsrMatrix(int n, std::vector<Triplet> t) : n_(n), ptr_(n + 1, 0) {
    std::sort(t.begin(), t.end(), [](const Triplet &a, const Triplet &b) {
      return a.r != b.r ? a.r < b.r : a.c < b.c;
    });
    for (size_t k = 0; k < t.size(); k++) {
      if (!col_.empty() && k > 0 && t[k].r == t[k - 1].r && t[k].c == t[k - 1].c) {
        val_.back() += t[k].v; // merge duplicates
        continue;
      }
      col_.push_back(t[k].c);
      val_.push_back(t[k].v);
      ptr_[t[k].r + 1]++;
    }
    for (int i = 0; i < n_; i++) ptr_[i + 1] += ptr_[i];
  }
  int size() const { return n_; }
  Row row(int i) const {
    return {RowIter(col_.data() + ptr_[i], val_.data() + ptr_[i]),
            RowIter(col_.data() + ptr_[i + 1], val_.data() + ptr_[i + 1])};
  }
  void apply(const std::vector<double> &x, std::vector<double> &y) const {
    for (int i = 0; i < n_; i++) {
      double s = 0.0;
      for (Entry e : row(i)) s += e.val * x[e.col];
      y[i] = s;
    }
  }

private:
  int n_;
  std::vector<int> ptr_, col_;
  std::vector<double> val_;
};

struct Graph {
  int n, m;
  const int *ea, *eb;
};

static CsrMatrix laplacian(const Graph &g, const double *w) {
  std::vector<Triplet> t;
  t.reserve(4 * g.m);
  for (int k = 0; k < g.m; k++) {
    int a = g.ea[k], b = g.eb[k];
    t.push_back({a, a, w[k]});
    t.push_back({b, b, w[k]});
    t.push_back({a, b, -w[k]});
    t.push_back({b, a, -w[k]});
  }
  return CsrMatrix(g.n, t);
}

static double dot(const std::vector<double> &a, const std::vector<double> &b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i];
  return s;
}

extern "C" double top_eigenvalue(const double *w, const Graph *g) {
  CsrMatrix L = laplacian(*g, w);
  int n = L.size();
  std::vector<double> x(n), y(n);
  for (int i = 0; i < n; i++) x[i] = std::cos(1.3 * i) + 0.1 * i;
  for (int it = 0; it < 30; it++) {
    L.apply(x, y);
    double nrm = std::sqrt(dot(y, y));
    for (int i = 0; i < n; i++) x[i] = y[i] / nrm;
  }
  L.apply(x, y);
  return dot(x, y) / dot(x, x);
}

static double f_w(const double *w, const void *g) { return top_eigenvalue(w, (const Graph *)g); }

int main() {
  // a ring of 8 nodes with two chords and a duplicated edge (merged by the constructor)
  static const int ea[] = {0, 1, 2, 3, 4, 5, 6, 7, 0, 2, 1};
  static const int eb[] = {1, 2, 3, 4, 5, 6, 7, 0, 4, 6, 2};
  const int m = sizeof ea / sizeof ea[0];
  Graph g = {8, m, ea, eb};
  double w[m], dw[m] = {0};
  for (int k = 0; k < m; k++) w[k] = 1.0 + 0.3 * std::sin(2.0 * k);
  __enzyme_autodiff((void *)top_eigenvalue, enzyme_dup, w, dw, enzyme_const, &g);
  CHECK_GRAD_FD("dlambda/dw", f_w, &g, w, m, dw, 1e-4, 1e-6);
  double tw[m];
  for (int k = 0; k < m; k++) tw[k] = 0.1 * ((k * 7) % 5) - 0.2;
  double t = __enzyme_fwddiff((void *)top_eigenvalue, enzyme_dup, w, tw, enzyme_const, &g);
  CHECK_CLOSE("forward vs reverse", t, dotv(dw, tw, m), 1e-9, 1e-11);
  return check_report();
}
