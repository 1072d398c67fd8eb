// Function pointers kept in a global and in struct fields, called inside the differentiated
// function, including the allocator and deallocator of a workspace reached through such a
// pointer (`ws->alloc(n)`, `ws->release(p)`: user wrappers around malloc/calloc/free) and a
// mutable global callback. Eleven allocators share the allocator's type, more than ferment
// inlines at a call site: that dispatcher stays a call returning the buffer and its shadow;
// the two deallocators and three activations are inlined. The buffer holds active data
// (intermediate values the reverse sweep needs). Reverse, forward and split mode.
// Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <stdlib.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

typedef struct Workspace {
  void *(*alloc)(size_t n);
  void (*release)(void *p);
  double (*act)(double);
  double scale;
} Workspace;

static size_t live;
__attribute__((noinline)) static void *plain_alloc(size_t n) {
  live++;
  return malloc(n);
}
__attribute__((noinline)) static void *zeroed_alloc(size_t n) {
  live++;
  return calloc(1, n);
}
__attribute__((noinline)) static void *alloc0(size_t n) {
  live++;
  return malloc(n + 0);
}
__attribute__((noinline)) static void *alloc1(size_t n) {
  live++;
  return malloc(n + 8);
}
__attribute__((noinline)) static void *alloc2(size_t n) {
  live++;
  return malloc(n + 16);
}
__attribute__((noinline)) static void *alloc3(size_t n) {
  live++;
  return malloc(n + 24);
}
__attribute__((noinline)) static void *alloc4(size_t n) {
  live++;
  return malloc(n + 32);
}
__attribute__((noinline)) static void *alloc5(size_t n) {
  live++;
  return malloc(n + 40);
}
__attribute__((noinline)) static void *alloc6(size_t n) {
  live++;
  return malloc(n + 48);
}
__attribute__((noinline)) static void *alloc7(size_t n) {
  live++;
  return malloc(n + 56);
}
__attribute__((noinline)) static void *alloc8(size_t n) {
  live++;
  return malloc(n + 64);
}
__attribute__((noinline)) static void plain_release(void *p) {
  live--;
  free(p);
}
__attribute__((noinline)) static void poisoned_release(void *p) {
  live--;
  memset(p, 0xff, 8);
  free(p);
}
__attribute__((noinline)) static double soft(double x) { return log(1 + exp(x)); }
__attribute__((noinline)) static double cube(double x) { return x * x * x; }
__attribute__((noinline)) static double damp(double x) { return x * exp(-0.5 * x * x); }

// A global callback the program may change between calls.
double (*post)(double) = soft;

__attribute__((noinline)) double model(const Workspace *ws, const double *x, int n) {
  double *t = (double *)ws->alloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < n; i++)
    t[i] = ws->act(x[i] * ws->scale);
  double s = 0;
  for (int i = 0; i < n; i++)
    s += t[i] * t[(i + 1) % n];
  ws->release(t);
  return post(s);
}

static Workspace ws_g;
static int n_g;
static double model_c(const double *x, const void *ctx) {
  (void)ctx;
  return model(&ws_g, x, n_g);
}

int main(int argc, char **argv) {
  (void)argv;
  void *(*allocs[11])(size_t) = {plain_alloc, zeroed_alloc, alloc0, alloc1, alloc2, alloc3, alloc4, alloc5, alloc6, alloc7, alloc8};
  void (*releases[2])(void *) = {plain_release, poisoned_release};
  double (*acts[3])(double) = {soft, cube, damp};
  double (*posts[3])(double) = {cube, soft, damp};
  enum { N = 5 };
  n_g = N;
  double x[N] = {0.3, -0.7, 0.9, 0.15, -0.4};
  for (int k = 0; k < 6; k++) {
    int c = k + argc - 1;
    ws_g.alloc = allocs[(c * 5) % 11];
    ws_g.release = releases[(c / 2) % 2];
    ws_g.act = acts[c % 3];
    ws_g.scale = 0.8;
    post = posts[(c + 1) % 3];
    double dx[N] = {0};
    __enzyme_autodiff((void *)model, enzyme_const, &ws_g, enzyme_dup, x, dx, enzyme_const, N);
    char what[128];
    snprintf(what, sizeof what, "reverse, choice %d", k);
    CHECK_GRAD_FD(what, model_c, NULL, x, N, dx, RTOL_FD, ATOL_FD);
    for (int i = 0; i < N; i++) {
      double t[N] = {0};
      t[i] = 1;
      double f = __enzyme_fwddiff((void *)model, enzyme_const, &ws_g, enzyme_dup, x, t,
                                  enzyme_const, N);
      snprintf(what, sizeof what, "forward vs reverse, choice %d", k);
      CHECK_CLOSE(what, f, dx[i], RTOL_D, ATOL_D);
    }
    double sx[N] = {0};
    void *tape = __enzyme_augmentfwd((void *)model, enzyme_const, &ws_g, enzyme_dup, x, sx,
                                     enzyme_const, N);
    __enzyme_reverse((void *)model, enzyme_const, &ws_g, enzyme_dup, x, sx, enzyme_const, N,
                     -1.5, tape);
    for (int i = 0; i < N; i++) {
      snprintf(what, sizeof what, "split (seed -1.5) vs reverse, choice %d", k);
      CHECK_CLOSE(what, sx[i], -1.5 * dx[i], RTOL_D, ATOL_D);
    }
  }
  CHECK_TRUE("every allocation released", live == 0);
  return check_report();
}
