// Gradient descent on a small least-squares model with split mode and the tape in caller-owned
// memory: `__enzyme_augmentsize` sizes a std::vector<char> once, every iteration runs
// `__enzyme_augmentfwd` and `__enzyme_reverse` with `enzyme_allocated, size, enzyme_tape, p`.
// The model is a class with a std::vector of (t, y) samples. Oracles: analytic gradient each
// iteration, and the final parameters against the same descent run with the analytic gradient.
// CFLAGS: -std=c++17
#include "check.h"
#include <vector>

extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);
extern "C" long __enzyme_augmentsize(void *, ...);
extern "C" int enzyme_allocated, enzyme_tape;

struct Sample {
  double t, y;
};
struct Data {
  std::vector<Sample> s;
};

static double loss(const double *p, const Data *d) {
  double l = 0;
  for (const Sample &q : d->s) {
    double m = p[0] * exp(-p[1] * q.t) + p[2];
    double r = m - q.y;
    l += r * r;
  }
  return 0.5 * l / d->s.size();
}

static void analytic(const double *p, const Data *d, double *g) {
  g[0] = g[1] = g[2] = 0;
  for (const Sample &q : d->s) {
    double e = exp(-p[1] * q.t);
    double r = p[0] * e + p[2] - q.y;
    g[0] += r * e;
    g[1] += r * p[0] * -q.t * e;
    g[2] += r;
  }
  for (int i = 0; i < 3; i++) g[i] /= d->s.size();
}

int main() {
  Data d;
  for (int i = 0; i < 9; i++) {
    double t = 0.25 * i;
    d.s.push_back({t, 1.7 * exp(-0.6 * t) + 0.2 + 0.01 * ((i * 7) % 3 - 1)});
  }
  double p[3] = {1.0, 0.3, 0.0}, q[3] = {1.0, 0.3, 0.0};
  long size = __enzyme_augmentsize((void *)loss, enzyme_dup, enzyme_const);
  std::vector<char> tape(size > 0 ? size : 1);
  for (int it = 0; it < 25; it++) {
    double dp[3] = {0, 0, 0}, ga[3];
    __enzyme_augmentfwd((void *)loss, enzyme_allocated, size, enzyme_tape, tape.data(), enzyme_dup,
                        p, dp, enzyme_const, &d);
    __enzyme_reverse((void *)loss, enzyme_allocated, size, enzyme_tape, tape.data(), enzyme_dup, p,
                     dp, enzyme_const, &d, 1.0);
    analytic(p, &d, ga);
    for (int i = 0; i < 3; i++) CHECK_CLOSE_AT("split gradient", it, dp[i], ga[i], RTOL_D, ATOL_D);
    analytic(q, &d, ga);
    for (int i = 0; i < 3; i++) p[i] -= 0.5 * dp[i], q[i] -= 0.5 * ga[i];
  }
  for (int i = 0; i < 3; i++) CHECK_CLOSE("descent end point", p[i], q[i], 1e-9, 1e-12);
  return check_report();
}
