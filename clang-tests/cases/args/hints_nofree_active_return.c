// Entries of Enzyme's interface the README lists as supported and no other case used: the type
// hints `__enzyme_double/float/integer/pointer(p, bytes)` on memory a function copies without
// typed accesses, a `__enzyme_nofree_*` declaration (a caching promise, no effect), and the
// marker `enzyme_active_return` (the result's adjoint is 1, for a double and for a struct
// returned through a hidden pointer, where every member is seeded).
// Oracle: analytic gradients.
#include "check.h"
#include <string.h>

void __enzyme_float(void *ptr, size_t size);
void __enzyme_double(void *ptr, size_t size);
void __enzyme_integer(void *ptr, size_t size);
void __enzyme_pointer(void *ptr, size_t size);
extern int enzyme_active_return;
double __enzyme_autodiff(void *, ...);

struct rec {
  double *scale; // points at a double the caller owns
  long n;
  double v[3];
  float w;
};

__attribute__((noinline)) static void copy_bytes(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  for (size_t i = 0; i < n; i++) d[i] = s[i];
}

static double through_bytes(const struct rec *r) {
  struct rec c;
  __enzyme_pointer(&c.scale, sizeof c.scale);
  __enzyme_integer(&c.n, sizeof c.n);
  __enzyme_double(c.v, sizeof c.v);
  __enzyme_float(&c.w, sizeof c.w);
  memcpy(&c, r, sizeof c);
  double s = 0;
  for (long i = 0; i < c.n; i++) s += c.v[i] * c.v[i];
  return *c.scale * s + 2.0 * c.w;
}

static double helper_sq(double x) { return x * x; }
void *__enzyme_nofree_helper[1] = {(void *)helper_sq};

static double scalar(double x) { return helper_sq(x) * x + 3.0 * x; }

struct five {
  double a, b, c, d, e;
};
static struct five big(double x, double y) {
  struct five r = {x * y, x * x, y * y * y, x + y, x * x * y};
  return r;
}

int main(void) {
  (void)copy_bytes;
  double k = 1.5, dk = 0;
  struct rec r = {&k, 3, {0.5, -1.25, 2.0}, 0.75f};
  struct rec dr = {&dk, 0, {0, 0, 0}, 0.0f};
  __enzyme_autodiff((void *)through_bytes, &r, &dr);
  for (int i = 0; i < 3; i++) CHECK_CLOSE("d/dv", dr.v[i], 2.0 * k * r.v[i], RTOL_D, 1e-14);
  CHECK_CLOSE("d/dw", dr.w, 2.0f, RTOL_F, ATOL_F);
  CHECK_CLOSE("d/dscale", dk, 0.5 * 0.5 + 1.25 * 1.25 + 4.0, RTOL_D, 1e-14);

  double x = 0.7;
  double g = __enzyme_autodiff((void *)scalar, enzyme_active_return, x);
  CHECK_CLOSE("scalar with enzyme_active_return", g, 3.0 * x * x + 3.0, RTOL_D, 1e-14);

  // A struct result through sret: the marker stands where the adjoint buffer would go and
  // seeds every member with 1.
  double y = -1.3;
  typedef struct {
    double dx, dy;
  } pair;
  pair (*grad)(void *, int, double, double) = (pair(*)(void *, int, double, double))__enzyme_autodiff;
  pair p = grad((void *)big, enzyme_active_return, x, y);
  CHECK_CLOSE("big d/dx", p.dx, y + 2 * x + 1 + 2 * x * y, RTOL_D, 1e-14);
  CHECK_CLOSE("big d/dy", p.dy, x + 3 * y * y + 1 + x * x, RTOL_D, 1e-14);
  return check_report();
}
