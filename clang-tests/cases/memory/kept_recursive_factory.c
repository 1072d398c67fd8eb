// A factory that stays a call and takes only integers: `make(n, depth)` mallocs a level of a
// grid hierarchy, callocs its data, links the next coarser level by calling itself, and returns
// the level, as multigrid codes build theirs (cases/programs/multigrid_vcycle_poisson.c). The
// differentiated function then stores active values into `top->f` and into the coarser levels
// (restriction), sums squares over the levels (recursive) and frees them (recursive). At -O0
// ferment inlines `make` one level and keeps the inner call; main (session 38) refused: the
// kept call's result was not known to be fresh memory, because at -O0 `make` returns a reload
// of its local `L` with stores through `L` and calls between the store of `malloc`'s result and
// the reload, so the pointer it returned was taken for constant data ("a pointer loaded from
// memory where the caller may have stored a pointer to constant data in place of its shadow",
// in the recursive `destroy`). A stack slot whose address only its own loads and stores use
// is now followed across those (`returns_fresh_memory`), and a pointer loaded from an object
// that a call returned asks that call for a shadow (`demand_shadows`): with
// -ferment-no-inline, `top = make(..); top->f[i] = x[i]` was refused for the same reason
// (kept_recursive_factory_noinline.c). Oracle: analytic gradient, central differences,
// forward vs reverse. Valgrind (memory/) checks the shadows are freed.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct Level {
  int n;
  double *f;
  struct Level *next;
} Level;

static Level *make(int n, int depth) {
  Level *L = malloc(sizeof(Level));
  L->n = n;
  L->f = calloc((size_t)n, sizeof(double));
  L->next = depth > 1 ? make(n / 2, depth - 1) : NULL;
  return L;
}

static void destroy(Level *L) {
  if (!L)
    return;
  destroy(L->next);
  free(L->f);
  free(L);
}

static double sumsq(const Level *L) {
  if (!L)
    return 0.0;
  double s = 0.0;
  for (int i = 0; i < L->n; i++)
    s += L->f[i] * L->f[i];
  return s + sumsq(L->next);
}

/* pairwise sums into the next level, recursively */
static void restrict_down(Level *L) {
  if (!L->next)
    return;
  for (int i = 0; i < L->next->n; i++)
    L->next->f[i] = L->f[2 * i] + L->f[2 * i + 1];
  restrict_down(L->next);
}

enum { N = 8 };

static double energy(const double *x) {
  Level *top = make(N, 3);
  for (int i = 0; i < N; i++)
    top->f[i] = x[i];
  restrict_down(top);
  double s = sumsq(top);
  destroy(top);
  return s;
}

int main(void) {
  double x[N], dx[N] = {0}, t[N];
  for (int i = 0; i < N; i++) {
    x[i] = 0.1 * i + 0.3;
    t[i] = cos(1.0 + i);
  }
  __enzyme_autodiff((void *)energy, enzyme_dup, x, dx);
  /* levels: x (8), pair sums (4), quadruple sums (2): d/dx_i = 2 x_i + 2 p_{i/2} + 2 q_{i/4} */
  for (int i = 0; i < N; i++) {
    double p = x[2 * (i / 2)] + x[2 * (i / 2) + 1], q = 0.0;
    for (int k = 4 * (i / 4); k < 4 * (i / 4) + 4; k++)
      q += x[k];
    CHECK_CLOSE_AT("denergy/dx analytic", i, dx[i], 2.0 * (x[i] + p + q), 1e-12, 1e-14);
  }
  CHECK_ARRAY_FD("denergy/dx", x, N, dx, 1e-6, energy(x), 1e-6, 1e-9);
  double jt = __enzyme_fwddiff((void *)energy, enzyme_dup, x, t);
  CHECK_CLOSE("tangent vs reverse", jt, dotv(dx, t, N), 1e-12, 1e-14);
  return check_report();
}
