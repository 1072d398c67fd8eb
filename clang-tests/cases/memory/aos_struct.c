// Array of structs {double x; int id; double *w;}: the shadow array mirrors the primal, its w
// fields pointing into the shadow weight array (several items share weights, so their gradients
// add up); the int fields are not differentiated. Energy sum_i x_i^2 w[id_i] + sin(w[0]) x_i,
// reverse checked against the analytic gradient and finite differences of (x, w); forward
// against reverse.
// RUN: clang opt
#include "check.h"

void __enzyme_autodiff(void *, ...);
double __enzyme_autodiff_d(void *, ...) __asm__("__enzyme_autodiff");
double __enzyme_fwddiff(void *, ...);

typedef struct {
  double x;
  int id;
  double *w;
} Item;

#define NI 6
#define NW 4

double energy(const Item *items, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    const Item *it = &items[i];
    s += it->x * it->x * it->w[it->id] + sin(it->w[0]) * it->x;
  }
  return s;
}

// packed parameters: x_0..x_{NI-1}, w_0..w_{NW-1}
static const int ids[NI] = {1, 3, 0, 1, 2, 3};
static double energy_packed(const double *p, const void *ctx) {
  (void)ctx;
  double w[NW];
  Item items[NI];
  memcpy(w, p + NI, sizeof w);
  for (int i = 0; i < NI; i++) {
    items[i].x = p[i];
    items[i].id = ids[i];
    items[i].w = w;
  }
  return energy(items, NI);
}

// in place: x_i <- x_i * w[id_i] + 0.1, then returns sum x_i^3 (stores that overwrite active memory)
double scale_then_cube(Item *items, int n) {
  for (int i = 0; i < n; i++)
    items[i].x = items[i].x * items[i].w[items[i].id] + 0.1;
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += items[i].x * items[i].x * items[i].x;
  return s;
}

int main(void) {
  double p[NI + NW];
  unsigned s = 21;
  for (int i = 0; i < NI + NW; i++)
    p[i] = prand(&s) + (i >= NI ? 1.5 : 0.0);
  double w[NW], dw[NW] = {0};
  memcpy(w, p + NI, sizeof w);
  Item items[NI], ditems[NI];
  for (int i = 0; i < NI; i++) {
    items[i] = (Item){p[i], ids[i], w};
    ditems[i] = (Item){0.0, ids[i], dw};
  }
  __enzyme_autodiff((void *)energy, items, ditems, enzyme_const, NI);
  double g[NI + NW], want[NI + NW] = {0};
  for (int i = 0; i < NI; i++) {
    want[i] = 2.0 * p[i] * w[ids[i]] + sin(w[0]);
    want[NI + ids[i]] += p[i] * p[i];
    want[NI] += cos(w[0]) * p[i];
    g[i] = ditems[i].x;
  }
  for (int k = 0; k < NW; k++)
    g[NI + k] = dw[k];
  CHECK_ARRAY_CLOSE("reverse gradient (item x then w)", g, want, NI + NW, 1e-12, 1e-12);
  CHECK_GRAD_FD("oracle: analytic gradient", energy_packed, NULL, p, NI + NW, want, RTOL_FD, ATOL_FD);
  for (int i = 0; i < NI; i++) {
    CHECK_TRUE("shadow int field untouched", ditems[i].id == ids[i]);
    CHECK_TRUE("shadow pointer field untouched", ditems[i].w == dw);
    CHECK_TRUE("primal item untouched", items[i].x == p[i] && items[i].w == w);
  }

  // forward: tangents in the shadow items and shadow weights
  double tw[NW], tp[NI + NW];
  Item titems[NI];
  for (int i = 0; i < NI + NW; i++)
    tp[i] = prand(&s);
  memcpy(tw, tp + NI, sizeof tw);
  for (int i = 0; i < NI; i++)
    titems[i] = (Item){tp[i], ids[i], tw};
  double t = __enzyme_fwddiff((void *)energy, items, titems, enzyme_const, NI);
  CHECK_CLOSE("forward tangent vs gradient . direction", t, dotv(want, tp, NI + NW), RTOL_D, ATOL_D);

  // in-place overwrite of the x fields
  double dw2[NW] = {0};
  Item it2[NI], dit2[NI];
  for (int i = 0; i < NI; i++) {
    it2[i] = (Item){p[i], ids[i], w};
    dit2[i] = (Item){0.0, ids[i], dw2};
  }
  __enzyme_autodiff_d((void *)scale_then_cube, it2, dit2, NI);
  double want2[NW] = {0};
  char what[128];
  for (int i = 0; i < NI; i++) {
    double y = p[i] * w[ids[i]] + 0.1;
    snprintf(what, sizeof what, "in-place primal x[%d] updated", i);
    CHECK_CLOSE(what, it2[i].x, y, RTOL_D, ATOL_D);
    snprintf(what, sizeof what, "in-place reverse d x[%d] (original x)", i);
    CHECK_CLOSE(what, dit2[i].x, 3.0 * y * y * w[ids[i]], RTOL_D, ATOL_D);
    want2[ids[i]] += 3.0 * y * y * p[i];
  }
  CHECK_ARRAY_CLOSE("in-place reverse dw", dw2, want2, NW, RTOL_D, ATOL_D);
  return check_report();
}
