// CFLAGS: -std=c++17
// Recursive data structures holding doubles inside the differentiated function: a
// std::map<int,double> (red-black tree nodes), a singly linked list of heap nodes, and a
// binary tree built with `new` and walked recursively. Type analysis follows the nodes'
// pointer fields (a tree per value, merged over every path to it), which once made its
// trees large and their merges slow: the compile time is part of what this guards.
// `build` returns a pointer to active memory and calls itself: in forward mode each call
// became a call of its derivative, which the tangent sweep then differentiated once more
// (a derivative of the derivative, rejected by LLVM's verifier).
// Reverse and forward mode. Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <map>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

struct Node {
  double v;
  int key;
  Node *next;
};
struct Tree {
  double w;
  Tree *left, *right;
};

static Tree *build(const double *x, int lo, int hi) {
  if (lo >= hi)
    return nullptr;
  int mid = (lo + hi) / 2;
  Tree *t = new Tree{x[mid] * 0.5, nullptr, nullptr};
  t->left = build(x, lo, mid);
  t->right = build(x, mid + 1, hi);
  return t;
}
static double walk(const Tree *t, int depth) {
  if (!t)
    return 0;
  return std::sin(t->w) * (depth + 1) + walk(t->left, depth + 1) * t->w +
         walk(t->right, depth + 1);
}
static void release(Tree *t) {
  if (!t)
    return;
  release(t->left);
  release(t->right);
  delete t;
}

double structures(const double *x, int n) {
  std::map<int, double> m;
  for (int i = 0; i < n; i++)
    m[(i * 7) % 5] += x[i] * (i + 1);
  m.erase(3);
  Node *head = nullptr;
  for (int i = 0; i < n; i++)
    head = new Node{x[i] * x[(i + 1) % n], i, head};
  Tree *root = build(x, 0, n);
  double s = 0;
  for (const auto &kv : m)
    s += std::exp(0.1 * kv.first) * kv.second * kv.second;
  auto it = m.find(1);
  if (it != m.end())
    s += std::cos(it->second);
  for (Node *p = head; p; p = p->next)
    s += p->v * (p->key + 1);
  s += walk(root, 0);
  while (head) {
    Node *next = head->next;
    delete head;
    head = next;
  }
  release(root);
  return s;
}

int main() {
  const int n = 7;
  double x[n] = {0.3, -1.2, 0.7, 1.9, -0.4, 0.8, 1.1}, dx[n] = {0};
  __enzyme_autodiff((void *)structures, x, dx, n);
  CHECK_ARRAY_FD("reverse", x, n, dx, 1e-6, structures(x, n), RTOL_FD, ATOL_FD);
  double t[n] = {0.5, -0.25, 1.0, 2.0, 0.3, -0.7, 0.2};
  double tangent = __enzyme_fwddiff((void *)structures, x, t, n);
  CHECK_CLOSE("forward vs reverse", tangent, dotv(dx, t, n), RTOL_D, ATOL_D);
  return check_report();
}
