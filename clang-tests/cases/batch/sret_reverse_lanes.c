// Batched reverse mode (enzyme_width N) of functions returning a struct through a hidden sret
// pointer: the buffer right after the function holds the N adjoint structs one after the other
// (an array of N, as forward mode returns N tangent structs), in combined and in split mode; each
// lane's seed is consumed. Widths 2, 3 and 5; scalar and memory arguments, a loop with a runtime
// trip count. Every lane is checked against central finite differences of <w_lane, f(x)> and
// against the scalar reverse mode run with that lane's seed.
#include "check.h"

extern int enzyme_width, enzyme_dupv;
typedef struct { double x, y, z; } V;
typedef struct { double da[3], db[3]; } G3;
typedef struct { double da[2], db[2]; } G2;
typedef struct { double da, db; } G;
G3 __enzyme_autodiff_g3(void *, ...) __asm__("__enzyme_autodiff");
G __enzyme_autodiff_g(void *, ...) __asm__("__enzyme_autodiff");
void __enzyme_autodiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
G2 __enzyme_reverse_g2(void *, ...) __asm__("__enzyme_reverse");
void __enzyme_reverse(void *, ...);

static V vf(double a, double b) {
  V v = {a * b, sin(a), b * b * exp(-a)};
  return v;
}
__attribute__((noinline)) static V moments(const double *x, const double *w, int n) {
  V m = {0, 0, 0};
  for (int i = 0; i < n; i++) {
    m.x += w[i] * x[i];
    m.y += w[i] * x[i] * x[i];
  }
  m.z = sqrt(m.y + 1.0) * m.x;
  return m;
}
static const V SEEDS[5] = {{1.0, -2.0, 0.5}, {0.0, 1.0, 0.0}, {-0.3, 0.2, 1.7}, {2.0, 0.0, -1.0}, {0.25, 0.5, 0.75}};
static double dot3(V s, V v) { return s.x * v.x + s.y * v.y + s.z * v.z; }
enum { N = 6 };
static const double WT[N] = {1, 0.5, 2, 1.5, 0.25, 1};
static int lane_of;
static double weighted(const double *x) { return dot3(SEEDS[lane_of], moments(x, WT, N)); }
static double vf_a(double a, double b) { return dot3(SEEDS[lane_of], vf(a, b)); }

int main(void) {
  char what[128];
  const double a = 0.7, b = 1.5;
  {
    V w[3] = {SEEDS[0], SEEDS[1], SEEDS[2]};
    G3 g = __enzyme_autodiff_g3((void *)vf, w, enzyme_width, 3, enzyme_out, a, enzyme_out, b);
    for (int l = 0; l < 3; l++) {
      lane_of = l;
      V s = SEEDS[l];
      G one = __enzyme_autodiff_g((void *)vf, &s, enzyme_out, a, enzyme_out, b);
      snprintf(what, sizeof what, "width 3 lane %d d/da vs finite differences", l);
      CHECK_CLOSE(what, g.da[l], fd2(vf_a, a, b, 0), RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "width 3 lane %d d/db vs finite differences", l);
      CHECK_CLOSE(what, g.db[l], fd2(vf_a, a, b, 1), RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "width 3 lane %d vs scalar reverse", l);
      CHECK_CLOSE(what, g.da[l] + 3 * g.db[l], one.da + 3 * one.db, RTOL_D, ATOL_D);
      snprintf(what, sizeof what, "width 3 lane %d seed consumed", l);
      CHECK_CLOSE(what, fabs(w[l].x) + fabs(w[l].y) + fabs(w[l].z), 0.0, 0.0, 0.0);
    }
  }
  {
    // Memory arguments, width 5: the lanes' gradients in one buffer (enzyme_dupv).
    double x[N] = {0.3, -0.8, 1.1, 0.5, -1.4, 0.9}, gx[5][N] = {{0}};
    V w[5];
    for (int l = 0; l < 5; l++) w[l] = SEEDS[l];
    __enzyme_autodiff((void *)moments, w, enzyme_width, 5, enzyme_dupv, sizeof gx[0], x, gx[0], enzyme_const,
                      WT, enzyme_const, N);
    for (int l = 0; l < 5; l++) {
      lane_of = l;
      for (int i = 0; i < N; i++) {
        snprintf(what, sizeof what, "width 5 lane %d d/dx[%d] vs finite differences", l, i);
        CHECK_CLOSE(what, gx[l][i], fdv(weighted, x, N, i), RTOL_FD, ATOL_FD);
      }
    }
  }
  {
    // Split mode, width 2: the same buffer in both calls.
    V w[2] = {SEEDS[3], SEEDS[4]};
    void *tape = __enzyme_augmentfwd((void *)vf, w, enzyme_width, 2, enzyme_out, a, enzyme_out, b);
    G2 g = __enzyme_reverse_g2((void *)vf, w, enzyme_width, 2, enzyme_out, a, enzyme_out, b, tape);
    for (int l = 0; l < 2; l++) {
      lane_of = 3 + l;
      snprintf(what, sizeof what, "split width 2 lane %d d/da vs finite differences", l);
      CHECK_CLOSE(what, g.da[l], fd2(vf_a, a, b, 0), RTOL_FD, ATOL_FD);
      snprintf(what, sizeof what, "split width 2 lane %d d/db vs finite differences", l);
      CHECK_CLOSE(what, g.db[l], fd2(vf_a, a, b, 1), RTOL_FD, ATOL_FD);
    }
  }
  return check_report();
}
