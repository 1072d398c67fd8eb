// CFLAGS: -std=c++17
// Virtual functions taking and returning structures: a 3-vector returned through memory
// (`sret`, eleven overriders: the dispatcher stays a call and carries the attribute), a pair
// returned in registers (two overriders, inlined), a 3-vector passed by value (`byval`), and a
// virtual accessor returning a pointer into the object's active data. The calls go through the
// vtable (kinds chosen at run time); objects constant, or duplicated with a shadow of the same
// dynamic type (data zero). Reverse, forward and split mode. Oracles: central finite
// differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <initializer_list>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);

struct Vec3 {
  double x, y, z;
};
struct Pair {
  double a, b;
};
struct Field {
  double k[3] = {0, 0, 0};
  virtual Vec3 at(double t) const = 0;
  virtual Pair two(double t) const { return {k[0] * t, k[1] * t * t}; }
  virtual const double *coeffs() const { return k; }
  // a 3-vector passed by value (in memory: `byval`)
  virtual double proj(Vec3 v, double t) const { return k[0] * v.x + k[1] * v.y * t + v.z; }
  virtual ~Field() = default;
};
struct Helix : Field {
  Vec3 at(double t) const override { return {k[0] * std::cos(t), k[1] * std::sin(t), k[2] * t}; }
};
struct Spiral : Field {
  Vec3 at(double t) const override {
    return {k[0] * t * std::cos(t), k[1] * t * std::sin(t), std::exp(k[2] * t)};
  }
  Pair two(double t) const override { return {std::sin(k[0] * t), k[2] * t}; }
  double proj(Vec3 v, double t) const override { return v.x * v.y * k[2] + std::cos(v.z * t); }
};

#define S(i)                                                                                   \
  struct S##i : Field {                                                                        \
    Vec3 at(double t) const override {                                                         \
      return {k[0] * std::cos((i + 1) * t), k[1] * t * (i + 1), std::sin(k[2] * t + i)};       \
    }                                                                                          \
  };
S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8)
__attribute__((noinline)) Field *make(int kind) {
  switch (kind % 11) {
  case 2: return new S0;
  case 3: return new S1;
  case 4: return new S2;
  case 5: return new S3;
  case 6: return new S4;
  case 7: return new S5;
  case 8: return new S6;
  case 9: return new S7;
  case 10: return new S8;
  default: break;
  }
  if (kind % 2)
    return new Spiral;
  return new Helix;
}

__attribute__((noinline)) double length2(const Field *f, double t) {
  Vec3 v = f->at(t);
  Pair p = f->two(t);
  const double *c = f->coeffs();
  return v.x * v.x + v.y * v.y + v.z * v.z + p.a * p.b + c[0] * c[2] * t + f->proj(v, t);
}

static Field *f_g;
static double len_t(double t) { return length2(f_g, t); }
static double len_k(const double *k, const void *) {
  for (int i = 0; i < 3; i++)
    f_g->k[i] = k[i];
  return length2(f_g, 0.6);
}

int main(int argc, char **argv) {
  (void)argv;
  for (int kind = 0; kind < 11; kind += 1) {
    Field *f = make(kind + argc - 1), *df = make(kind + argc - 1);
    f_g = f;
    double k[3] = {0.9, -1.3, 0.4};
    for (int i = 0; i < 3; i++)
      f->k[i] = k[i];
    for (double t : {-0.7, 0.2, 1.1}) {
      double r = __enzyme_autodiff((void *)length2, enzyme_const, f, t);
      CHECK_CLOSE_AT("reverse d/dt", t, r, fd1(len_t, t), RTOL_FD, ATOL_FD);
      double g = __enzyme_fwddiff((void *)length2, enzyme_const, f, t, 1.0);
      CHECK_CLOSE_AT("forward vs reverse d/dt", t, g, r, RTOL_D, ATOL_D);
    }
    double grad[3];
    __enzyme_autodiff((void *)length2, enzyme_dup, f, df, 0.6);
    for (int i = 0; i < 3; i++)
      grad[i] = df->k[i];
    CHECK_GRAD_FD("reverse d/dk into the shadow object", len_k, nullptr, k, 3, grad, RTOL_FD,
                  ATOL_FD);
    for (int i = 0; i < 3; i++)
      f->k[i] = k[i];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++)
        df->k[j] = i == j;
      double t = __enzyme_fwddiff((void *)length2, enzyme_dup, f, df, 0.6, 0.0);
      CHECK_CLOSE("forward vs reverse d/dk", t, grad[i], RTOL_D, ATOL_D);
    }
    for (int j = 0; j < 3; j++)
      df->k[j] = 0;
    void *tape = __enzyme_augmentfwd((void *)length2, enzyme_dup, f, df, 0.6);
    __enzyme_reverse((void *)length2, enzyme_dup, f, df, 0.6, 1.0, tape);
    for (int i = 0; i < 3; i++)
      CHECK_CLOSE("split vs reverse d/dk", df->k[i], grad[i], RTOL_D, ATOL_D);
    delete f;
    delete df;
  }
  return check_report();
}
