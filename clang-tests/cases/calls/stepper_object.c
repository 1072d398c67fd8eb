// The object pattern of GSL's ODE steppers (found by differentiating GSL's rkf45 stepper, see
// scripts/real-projects.sh): a stepper struct holds a pointer to a constant type descriptor of
// function pointers and a state pointer that the descriptor's allocator returns; the state holds
// work arrays that receive active data; the constructor returns NULL on a failed allocation.
// ferment used to reject it: the constant descriptor pointer stored beside the state made the
// state pointer look mixed when loaded back (also through the constructor's phi with NULL), and
// the work arrays, reached through two loaded pointers, got no shadows. Oracle: analytic derivative (y after n steps of y += 3x^2 + sin(x) y
// with the update written to work arrays), reverse and forward, and central differences.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct {
  void *(*alloc)(size_t);
  int (*apply)(void *, size_t, double *, double);
  void (*free)(void *);
} stepper_type;
typedef struct {
  const stepper_type *type;
  size_t dim;
  void *state;
} stepper;
typedef struct {
  double *k;
  double *tmp;
} work_state;

static void *work_alloc(size_t n) {
  work_state *w = malloc(sizeof *w);
  if (!w)
    return NULL;
  w->k = malloc(n * sizeof(double));
  if (!w->k) {
    free(w);
    return NULL;
  }
  w->tmp = malloc(n * sizeof(double));
  if (!w->tmp) {
    free(w->k);
    free(w);
    return NULL;
  }
  return w;
}
static int work_apply(void *st, size_t n, double *y, double x) {
  work_state *w = st;
  for (size_t i = 0; i < n; i++) {
    w->k[i] = 3 * x * x + sin(x) * y[i];
    w->tmp[i] = y[i] + w->k[i];
  }
  for (size_t i = 0; i < n; i++)
    y[i] = w->tmp[i];
  return 0;
}
static void work_free(void *st) {
  work_state *w = st;
  free(w->k);
  free(w->tmp);
  free(w);
}
static const stepper_type work_type = {work_alloc, work_apply, work_free};
// Not const itself (like gsl_odeiv2_step_rkf45): calls through it stay indirect.
const stepper_type *stepper_kind = &work_type;

stepper *stepper_new(const stepper_type *t, size_t n) {
  stepper *s = malloc(sizeof *s);
  if (!s)
    return NULL;
  s->type = t;
  s->dim = n;
  s->state = t->alloc(n);
  if (!s->state) {
    free(s);
    return NULL;
  }
  return s;
}
int stepper_apply(stepper *s, double *y, double x) {
  return s->type->apply(s->state, s->dim, y, x);
}
void stepper_free(stepper *s) {
  s->type->free(s->state);
  free(s);
}

#define STEPS 4
double run(double x) {
  stepper *s = stepper_new(stepper_kind, 2);
  if (!s)
    return NAN;
  double y[2] = {1.0, -0.5};
  for (int i = 0; i < STEPS; i++)
    stepper_apply(s, y, x);
  stepper_free(s);
  return y[0] + 2 * y[1];
}

int main(void) {
  double x = 0.7;
  // y_{n+1} = a + b y_n with a = 3x^2, b = 1 + sin x; dy/dx by the recurrence
  // dy_{n+1} = a' + b' y_n + b dy_n, for both components.
  double a = 3 * x * x, da = 6 * x, b = 1 + sin(x), db = cos(x);
  double want = 0;
  double y0s[2] = {1.0, -0.5}, w8[2] = {1.0, 2.0};
  for (int c = 0; c < 2; c++) {
    double y = y0s[c], dy = 0;
    for (int i = 0; i < STEPS; i++) {
      dy = da + db * y + b * dy;
      y = a + b * y;
    }
    want += w8[c] * dy;
  }
  CHECK_CLOSE("reverse through the stepper object", __enzyme_autodiff((void *)run, x), want,
              RTOL_D, ATOL_D);
  CHECK_CLOSE("forward through the stepper object", __enzyme_fwddiff((void *)run, x, 1.0), want,
              RTOL_D, ATOL_D);
  double h = 1e-6;
  CHECK_CLOSE("central differences agree", (run(x + h) - run(x - h)) / (2 * h), want, 1e-6,
              1e-6);
  return check_report();
}
