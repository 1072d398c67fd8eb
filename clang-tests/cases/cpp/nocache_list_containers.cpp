// enzyme_nocache in front of enzyme_dup and enzyme_const arguments that are std::vector,
// std::list and std::forward_list<double> (by pointer), in split mode (__enzyme_augmentfwd then
// __enzyme_reverse with the returned tape): a list cannot be walked backwards, so what the
// reverse sweep needs is still taped; the marker only promises the memory is not overwritten.
// The output seed is consumed (zeroed). Oracle: the analytic derivative of out = k * in^3.
#include "check.h"
#include <forward_list>
#include <list>
#include <vector>
template <typename RT, typename... A> RT __enzyme_augmentfwd(A...);
template <typename RT, typename... A> RT __enzyme_reverse(A...);
extern int enzyme_nocache;
template <typename C> void cube_into(C &out, C &in, C &k) {
  auto i = in.begin(); auto o = out.begin(); auto c = k.begin();
  for (; i != in.end(); ++i, ++o, ++c) *o = *c * *i * *i * *i;
}
template <typename C> __attribute__((noinline)) void *aug(C &o, C &od, C &i, C &id, C &k) {
  return __enzyme_augmentfwd<void *>(cube_into<C>, enzyme_nocache, &o, &od, enzyme_nocache, &i, &id, enzyme_nocache, enzyme_const, &k);
}
template <typename C> __attribute__((noinline)) void rev(C &o, C &od, C &i, C &id, C &k, void *t) {
  __enzyme_reverse<void>(cube_into<C>, enzyme_nocache, &o, &od, enzyme_nocache, &i, &id, enzyme_nocache, enzyme_const, &k, t);
}
template <typename C> void run() {
  const int n = 5;
  C in(n, 0.0), din(n, 0.0), out(n, 0.0), dout(n, 1.0), k(n, 0.0);
  int j = 0;
  for (auto &v : in) v = 0.5 + 0.25 * j++;
  for (auto &v : k) v = 2.0 - 0.3 * j++;
  void *t = aug<C>(out, dout, in, din, k);
  rev<C>(out, dout, in, din, k, t);
  auto a = in.begin(); auto da = din.begin(); auto kk = k.begin(); auto o = out.begin(); auto dd = dout.begin();
  for (; a != in.end(); ++a, ++da, ++kk, ++o, ++dd) {
    CHECK_CLOSE("d in", *da, 3 * *kk * *a * *a, RTOL_D, 0);
    CHECK_CLOSE("out", *o, *kk * *a * *a * *a, RTOL_D, 0);
    CHECK_CLOSE("d out zeroed", *dd, 0.0, 0, 0);
  }
}
int main() {
  run<std::vector<double>>();
  run<std::list<double>>();
  run<std::forward_list<double>>();
  return check_report();
}
