// CFLAGS: -mllvm -ferment-no-inline
// vec_init(Vec *v) stores the block of a kept `void *xmalloc(size_t)` wrapper into the caller's
// local Vec, and the caller writes active values through v.data. At -O0 the wrapper's body
// (optnone) returns a load of its local's stack slot (`void *p = malloc(n); if (!p) abort();
// return p;`), which `returns_fresh_memory` did not see through: xmalloc did not count as an
// allocation wrapper, the caller's v.data counted as constant memory, no shadow was made (its
// shadow was the block itself): wrong gradient and memory errors (main 32dae5b: 48 of 69
// checks of memory/kept_void_wrapper_racked_noinline.c; this file without row 2's row_new: heap
// corruption, "malloc(): unaligned tcache chunk detected"). The slot's load now stands for the values every path stores there first
// (`stored_before`). -O1..-O3 were right. Row 2 comes from a kept `row_new()` returning
// xmalloc's block, merged in v.data with vec_init's rows: at -O0 main refused it ("writes or
// passes on a pointer that ..."), since row_new did not count as a wrapper either.
// Rows from xmalloc are freed by rows(); the rows put on
// the rack come from vec_init_direct (malloc in the kept function itself): a kept wrapper's
// block that outlives the request (racked) is the open kept-factory lifetime bug
// (cases/memory/kept_void_wrapper_racked_noinline.c, fixed in session 36).
// Oracles: the analytic gradient and central differences.
#include "check.h"
#include <math.h>
#include <stdlib.h>
extern void *__enzyme_augmentfwd(void *, ...);
extern void __enzyme_reverse(void *, ...);
extern void __enzyme_autodiff(void *, ...);

typedef struct {
  double *data;
  int n;
} Vec;
typedef struct {
  double *rows[4];
  int count;
} Rack;

__attribute__((noinline)) static void *xmalloc(size_t bytes) {
  void *p = malloc(bytes);
  if (!p) abort();
  return p;
}
/* a row returned: xmalloc's block */
__attribute__((noinline)) static double *row_new(int n) {
  return (double *)xmalloc(n * sizeof(double));
}
/* a row stored through the argument: xmalloc's block, or malloc's */
__attribute__((noinline)) static void vec_init(Vec *v, int n) {
  v->data = (double *)xmalloc(n * sizeof(double));
  v->n = n;
}
__attribute__((noinline)) static void vec_init_direct(Vec *v, int n) {
  v->data = (double *)malloc(n * sizeof(double));
  v->n = n;
}

/* rows 0..4 of 3 elements: row r holds x[r + j] * sin(x[j]) and adds its weighted squares to s;
 * rows 0 and 4 come from vec_init (xmalloc), row 2 from row_new (xmalloc), odd ones from
 * vec_init_direct (malloc); rows 1 and 3
 * go onto the rack, rows 0, 2 and 4 are freed by free */
static double rows(Rack *rack, const double *x) {
  double s = 0;
  for (int r = 0; r < 5; r++) {
    Vec v;
    if (r == 2) {
      v.data = row_new(3);
      v.n = 3;
    } else if (r % 2 == 0) {
      vec_init(&v, 3);
    } else {
      vec_init_direct(&v, 3);
    }
    for (int j = 0; j < 3; j++) v.data[j] = x[r + j] * sin(x[j]);
    for (int j = 0; j < v.n; j++) s += (r + 1) * v.data[j] * v.data[j];
    if (r == 1 || r == 3) {
      rack->rows[rack->count++] = v.data;
    } else {
      free(v.data);
    }
  }
  return s;
}

static double fd_rows(const double *x, const void *c) {
  (void)c;
  Rack rk = {{0}, 0};
  double r = rows(&rk, x);
  for (int i = 0; i < rk.count; i++) free(rk.rows[i]);
  return r;
}

static void analytic(const double *x, double *g) {
  for (int i = 0; i < 7; i++) g[i] = 0;
  for (int r = 0; r < 5; r++)
    for (int j = 0; j < 3; j++) {
      double a = x[r + j] * sin(x[j]);
      double d = 2 * (r + 1) * a; /* d s / d a */
      g[r + j] += d * sin(x[j]);
      g[j] += d * x[r + j] * cos(x[j]);
    }
}

static void check(const char *what, Rack *rk, Rack *drk, const double *x, const double *dx) {
  double g[7];
  analytic(x, g);
  for (int i = 0; i < 7; i++) CHECK_CLOSE_AT(what, i, dx[i], g[i], RTOL_D, ATOL_D);
  CHECK_GRAD_FD(what, fd_rows, NULL, x, 7, dx, RTOL_FD, ATOL_FD);
  CHECK_TRUE("two rows racked, with their shadows", rk->count == 2 && drk->count == 2);
  for (int i = 0; i < drk->count; i++) {
    /* the racked rows' shadows: distinct from the primal, adjoints consumed, usable */
    double *dr = drk->rows[i];
    CHECK_TRUE("shadow row is not the row", dr != rk->rows[i]);
    for (int j = 0; j < 3; j++) CHECK_CLOSE_AT(what, j, dr[j], 0.0, RTOL_D, ATOL_D);
    dr[0] += 1.0;
    free(dr);
    free(rk->rows[i]);
  }
}

int main(void) {
  double x[7] = {0.3, -0.7, 1.1, 0.45, -0.2, 0.9, -1.3};
  for (int round = 0; round < 2; round++) {
    Rack rk = {{0}, 0}, drk = {{0}, 0};
    double dx[7] = {0};
    __enzyme_autodiff((void *)rows, enzyme_dup, &rk, &drk, enzyme_dup, x, dx);
    check("reverse", &rk, &drk, x, dx);
  }
  {
    Rack rk = {{0}, 0}, drk = {{0}, 0};
    double dx[7] = {0};
    void *tape = __enzyme_augmentfwd((void *)rows, enzyme_dup, &rk, &drk, enzyme_dup, x, dx);
    __enzyme_reverse((void *)rows, enzyme_dup, &rk, &drk, enzyme_dup, x, dx, 1.0, tape);
    check("split", &rk, &drk, x, dx);
  }
  return check_report();
}
