// CFLAGS: -std=c++17
// Forward mode (__enzyme_fwddiff) with an enzyme_dup std::unordered_map<std::string, double> and
// std::map<std::string, double> whose new keys are longer than a short string's 15 characters
// (a literal, a key from a const char *, a key built by concatenation). The tangent map grows the
// same nodes; their keys' characters are copied from constant literals, which have no tangent
// memory, and forward mode zeroed the shadow's copy instead of repeating it (reverse mode repeats
// integer-only copies, `mirror_integer_memory_call`): the tangent map's new keys were blank
// ("tangent key" checks fail with main's plugin at -O1..-O3), so tp.at(key) after the call did
// not find them. Oracles: central finite differences of the result; the tangents of the new
// entries against their analytic values; every tangent key present in the primal map.
// At -O0 libstdc++'s string constructors stay out-of-line calls that only the primal string sees
// (as in reverse mode, unordered_map_long_key.cpp): the keys and size are checked at -O1..-O3.
#include "check.h"
#include <cmath>
#include <map>
#include <string>
#include <unordered_map>
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" void __enzyme_autodiff(void *, ...);
using UMap = std::unordered_map<std::string, double>;
using OMap = std::map<std::string, double>;

static const char *K1 = "first_parameter_with_a_long_name";
static const char *K2 = "second_parameter_with_a_long_name";
static const char *OLD = "existing_parameter_long_name_here";

template <class M> static double f(M &p, const double *x) {
  p[K1] = *x * 3.0;
  p[K2] = p[OLD] * *x;
  std::string built = std::string("composed_") + "key_longer_than_sso";
  p[built] = std::sin(p[K1]);
  return p[K1] * p["a"] + p[K2] * p[built] + p[OLD];
}
template <class M> static M fresh() { return M{{"a", 3.0}, {OLD, 1.25}}; }
template <class M> static M zeros() { return M{{"a", 0.0}, {OLD, 0.0}}; }

static double X = 0.5;
template <class M> static double fd_x(double x) { M p = fresh<M>(); return f(p, &x); }
template <class M> static double fd_old(double v) { M p = fresh<M>(); p[OLD] = v; double x = X; return f(p, &x); }

template <class M> static void run(const char *what) {
  double (*fp)(M &, const double *) = f<M>;
  {
    // tangent along x
    M p = fresh<M>(), tp = zeros<M>();
    double x = X, tx = 1.0;
    double d = __enzyme_fwddiff((void *)fp, enzyme_dup, &p, &tp, enzyme_dup, &x, &tx);
    CHECK_CLOSE(what, d, fd1(fd_x<M>, X), RTOL_FD, ATOL_FD);
    CHECK_TRUE("primal map", p.size() == 5 && p.at(K1) == 3.0 * X);
#ifdef __OPTIMIZE__
    CHECK_TRUE("tangent map size", tp.size() == 5);
    CHECK_TRUE("tangent key 1", tp.count(K1) == 1);
    CHECK_TRUE("tangent key 2", tp.count(K2) == 1);
    CHECK_TRUE("tangent built key", tp.count("composed_key_longer_than_sso") == 1);
    if (tp.count(K1)) CHECK_CLOSE("tangent of p[K1]", tp.at(K1), 3.0, RTOL_D, ATOL_D);
    if (tp.count(K2)) CHECK_CLOSE("tangent of p[K2]", tp.at(K2), 1.25, RTOL_D, ATOL_D);
    if (tp.count("composed_key_longer_than_sso"))
      CHECK_CLOSE("tangent of built", tp.at("composed_key_longer_than_sso"), std::cos(3.0 * X) * 3.0,
                  RTOL_D, ATOL_D);
    int n = 0;
    for (auto &kv : tp) n += p.count(kv.first) == 1;
    CHECK_TRUE("tangent keys match", n == 5);
#endif
  }
  {
    // tangent along the old parameter
    M p = fresh<M>(), tp = zeros<M>();
    tp.at(OLD) = 1.0;
    double x = X, tx = 0.0;
    double d = __enzyme_fwddiff((void *)fp, enzyme_dup, &p, &tp, enzyme_dup, &x, &tx);
    CHECK_CLOSE(what, d, fd1(fd_old<M>, 1.25), RTOL_FD, ATOL_FD);
#ifdef __OPTIMIZE__
    CHECK_TRUE("tangent map size 2", tp.size() == 5 && tp.count(K2) == 1);
#endif
  }
}

int main() {
  run<UMap>("unordered_map forward");
  run<OMap>("map forward");
  return check_report();
}
