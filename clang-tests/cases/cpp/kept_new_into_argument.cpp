// CFLAGS: -mllvm -ferment-no-inline
// Memory a kept (not inlined) function allocates with new[] and stores through its pointer
// argument: `make(Box *b, n)` sets `b->p = new double[n]`. The caller keeps the Box on its stack
// and deletes `b.p` itself, or hands it to a kept `destroy(Box *)`, or links it into the
// caller's (enzyme_dup) Shelf on some calls and deletes it on others. ferment left the shadow
// of that memory to the caller (it reaches the caller through the argument) and no one freed it:
// a definite leak under valgrind, one per call, at -O0..-O3. Now the reverse of a free of memory
// the function did not allocate records the pointer, and the reverse of the allocation frees
// the shadow when it finds it there (memory kept on the shelf keeps its shadow, which the
// caller's shadow shelf holds). Reverse and split mode. Oracles: analytic gradients, central
// differences, the shadow shelf's adjoints.
#include "check.h"
#include <cmath>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" void *__enzyme_augmentfwd(void *, ...);
extern "C" void __enzyme_reverse(void *, ...);
extern "C" int enzyme_dup, enzyme_const;

struct Box {
  double *p;
  long n;
};
struct Shelf {
  double *kept[4];
  int count;
};

__attribute__((noinline)) static void make(Box *b, long n) {
  b->p = new double[n];
  b->n = n;
}
__attribute__((noinline)) static void destroy(Box *b) {
  delete[] b->p;
  b->p = nullptr;
}

// sum_i (v_i^2 sin v_i) v_i, through a buffer make() allocates; the caller deletes it
static double deleted_here(const double *v, long n) {
  Box b;
  make(&b, n);
  for (long i = 0; i < n; i++) b.p[i] = v[i] * v[i] * std::sin(v[i]);
  double s = 0;
  for (long i = 0; i < n; i++) s += b.p[i] * v[i];
  delete[] b.p;
  return s;
}

// the same, freed by another kept function
static double destroyed(const double *v, long n) {
  Box b;
  make(&b, n);
  for (long i = 0; i < n; i++) b.p[i] = v[i] * v[i] * std::sin(v[i]);
  double s = 0;
  for (long i = 0; i < n; i++) s += b.p[i] * v[i];
  destroy(&b);
  return s;
}

// three buffers of 2 elements: the odd ones go onto the shelf (kept), the others are deleted
static double shelved(Shelf *shelf, const double *v) {
  double s = 0;
  for (int k = 0; k < 3; k++) {
    Box b;
    make(&b, 2);
    b.p[0] = v[k] * v[k];
    b.p[1] = std::exp(v[k + 1]);
    s += b.p[0] * b.p[1];
    if (k % 2 == 1) {
      shelf->kept[shelf->count++] = b.p;
    } else {
      delete[] b.p;
    }
  }
  return s;
}

static double d_term(double x) { return 3 * x * x * std::sin(x) + x * x * x * std::cos(x); }

static double fd_shelved(const double *v, const void *) {
  Shelf sh{};
  double r = shelved(&sh, v);
  for (int i = 0; i < sh.count; i++) delete[] sh.kept[i];
  return r;
}

int main() {
  const long n = 5;
  double x[5] = {1, 2, -3, 0.5, 4};
  for (int round = 0; round < 2; round++) {
    double dx[5] = {0};
    __enzyme_autodiff((void *)deleted_here, enzyme_dup, x, dx, enzyme_const, n);
    for (int i = 0; i < n; i++)
      CHECK_CLOSE_AT("deleted by the caller", i, dx[i], d_term(x[i]), RTOL_D, ATOL_D);
    double ex[5] = {0};
    __enzyme_autodiff((void *)destroyed, enzyme_dup, x, ex, enzyme_const, n);
    for (int i = 0; i < n; i++)
      CHECK_CLOSE_AT("deleted by a kept function", i, ex[i], d_term(x[i]), RTOL_D, ATOL_D);
  }
  {
    double dx[5] = {0};
    void *tape = __enzyme_augmentfwd((void *)deleted_here, enzyme_dup, x, dx, enzyme_const, n);
    __enzyme_reverse((void *)deleted_here, enzyme_dup, x, dx, enzyme_const, n, 1.0, tape);
    for (int i = 0; i < n; i++)
      CHECK_CLOSE_AT("split: deleted by the caller", i, dx[i], d_term(x[i]), RTOL_D, ATOL_D);
  }
  for (int split = 0; split < 2; split++) {
    Shelf sh{}, dsh{};
    double v[4] = {0.5, -1.0, 0.25, 0.75}, dv[4] = {0};
    if (split) {
      void *tape = __enzyme_augmentfwd((void *)shelved, enzyme_dup, &sh, &dsh, enzyme_dup, v, dv);
      __enzyme_reverse((void *)shelved, enzyme_dup, &sh, &dsh, enzyme_dup, v, dv, 1.0, tape);
    } else {
      __enzyme_autodiff((void *)shelved, enzyme_dup, &sh, &dsh, enzyme_dup, v, dv);
    }
    const char *what = split ? "split: shelved" : "shelved";
    CHECK_TRUE("one buffer shelved, with its shadow", sh.count == 1 && dsh.count == 1);
    // s = sum_k v_k^2 exp(v_{k+1})
    double want[4] = {0};
    for (int k = 0; k < 3; k++) {
      want[k] += 2 * v[k] * std::exp(v[k + 1]);
      want[k + 1] += v[k] * v[k] * std::exp(v[k + 1]);
    }
    for (int i = 0; i < 4; i++) CHECK_CLOSE_AT(what, i, dv[i], want[i], RTOL_D, ATOL_D);
    CHECK_GRAD_FD(what, fd_shelved, nullptr, v, 4, dv, RTOL_FD, ATOL_FD);
    // the shelved buffer's shadow is the caller's, and usable: its adjoints went on to v
    CHECK_CLOSE("shelved shadow", dsh.kept[0][0] + dsh.kept[0][1], 0.0, RTOL_D, ATOL_D);
    dsh.kept[0][1] = 1.0;
    delete[] sh.kept[0];
    delete[] dsh.kept[0];
  }
  return check_report();
}
