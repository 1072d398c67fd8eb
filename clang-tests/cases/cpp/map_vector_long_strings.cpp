// CFLAGS: -std=c++17
// Strings longer than a short string's 15 characters built inside the differentiated function
// and kept in enzyme_dup containers: new keys of a std::map<std::string, double> (operator[])
// and a name pushed onto a std::vector<std::string> in a struct beside a vector of weights.
// ferment freed the shadow of each new std::map node at the end of the reverse sweep although
// libstdc++'s out-of-line _Rb_tree_insert_and_rebalance had linked it into the caller's shadow
// map (invalid reads and a double free in the caller, short keys too, -O0..-O3), and a long
// key's characters had no shadow block of their own (both maps freed them). Oracles: the
// analytic gradient and central differences; the shadow containers' sizes and keys after.
#include "check.h"
#include <cmath>
#include <map>
#include <string>
#include <vector>
extern "C" void __enzyme_autodiff(void *, ...);
using Map = std::map<std::string, double>;
struct Model {
  std::vector<std::string> names;
  std::vector<double> w;
};
static const char *LONG_NEW = "a_parameter_with_a_long_name";
static const char *LONG_OLD = "another_quite_long_parameter_name";
static const char *NAME = "a_name_longer_than_fifteen_chars"; // 32 characters

static double f(Map &p, Model &m, const double *x) {
  p[LONG_NEW] = *x * 3.0;
  p["b"] = *x * *x;
  p[LONG_OLD] += *x;
  m.names.push_back(NAME);
  double s = 0;
  for (size_t i = 0; i < m.names.size(); i++) s += m.w[i] * (double)m.names[i].size();
  return p[LONG_NEW] * p["a"] + p[LONG_OLD] * s + std::sin(p["b"]);
}

static const double X = 0.5, A = 3.0, O = 1.0, W0 = 0.5, W1 = 2.0;
static Map fresh() { return Map{{"a", A}, {LONG_OLD, O}}; }
// (room for the new name: a vector that grows inside the function frees its old buffer, and
// the shadow of a caller's old buffer is not freed yet, a leak)
static Model model(double w0, double w1) {
  Model m{{"first_name_that_is_long_enough"}, {w0, w1}}; // 30 characters
  m.names.reserve(4);
  return m;
}
static Model model() { return model(W0, W1); }
// The shadow map's value beside the primal's node of `key`: the shadow tree is linked like the
// primal one (at -O0 its new keys stay empty, so it cannot be searched by key there).
static double shadow_at(const Map &p, const Map &dp, const char *key) {
  auto d = dp.begin();
  for (auto it = p.begin(); it != p.end() && d != dp.end(); ++it, ++d)
    if (it->first == key) return d->second;
  return std::nan("");
}
// f = 3 x a + (o + x) (30 w0 + 32 w1) + sin(x^2)
static void analytic(double *da, double *dox, double *dw0, double *dw1, double *dx) {
  double s = 30 * W0 + 32 * W1, o = O + X;
  *da = 3.0 * X;
  *dox = s;
  *dw0 = o * 30;
  *dw1 = o * 32;
  *dx = 3.0 * A + s + 2 * X * std::cos(X * X);
}
static double fd_x(double x) {
  Map p = fresh();
  Model m = model();
  return f(p, m, &x);
}
static double fd_a(double a) {
  Map p = fresh();
  p["a"] = a;
  Model m = model();
  double x = X;
  return f(p, m, &x);
}
static double fd_w1(double w1) {
  Map p = fresh();
  Model m = model();
  m.w[1] = w1;
  double x = X;
  return f(p, m, &x);
}

int main() {
  for (int round = 0; round < 2; round++) {
    Map p = fresh(), dp{{"a", 0.0}, {LONG_OLD, 0.0}};
    Model m = model(), dm = model(0.0, 0.0);
    double x = X, dx = 0;
    __enzyme_autodiff((void *)f, enzyme_dup, &p, &dp, enzyme_dup, &m, &dm, enzyme_dup, &x, &dx);
    double da, dox, dw0, dw1, dxx;
    analytic(&da, &dox, &dw0, &dw1, &dxx);
    CHECK_CLOSE("da", shadow_at(p, dp, "a"), da, RTOL_D, ATOL_D);
    CHECK_CLOSE("do", shadow_at(p, dp, LONG_OLD), dox, RTOL_D, ATOL_D);
    CHECK_CLOSE("dw0", dm.w[0], dw0, RTOL_D, ATOL_D);
    CHECK_CLOSE("dw1", dm.w[1], dw1, RTOL_D, ATOL_D);
    CHECK_CLOSE("dx", dx, dxx, RTOL_D, ATOL_D);
    CHECK_CLOSE("da fd", shadow_at(p, dp, "a"), fd1(fd_a, A), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("dw1 fd", dm.w[1], fd1(fd_w1, W1), RTOL_FD, ATOL_FD);
    CHECK_CLOSE("dx fd", dx, fd1(fd_x, X), RTOL_FD, ATOL_FD);
    CHECK_TRUE("primal", p.size() == 4 && m.names.size() == 2 && m.names[1] == NAME);
    CHECK_TRUE("shadow names", dm.names.size() == 2);
    int nodes = 0;
    for (auto &kv : dp) nodes += kv.second == kv.second;
    CHECK_TRUE("shadow nodes", nodes == 4);
#ifdef __OPTIMIZE__
    // (at -O0 the element count and the characters are written where type analysis or
    // out-of-line std::string members leave the shadow out)
    CHECK_TRUE("shadow map size", dp.size() == 4);
    CHECK_TRUE("shadow keys", dp.count(LONG_NEW) == 1 && dp.count("b") == 1);
    CHECK_TRUE("shadow name", dm.names[1] == NAME);
#endif
  }
  return check_report();
}
