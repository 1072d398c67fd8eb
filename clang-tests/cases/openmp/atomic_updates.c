// CFLAGS: -fopenmp
// omp atomic updates other than x += v on active floats: x *= v, x /= v and x = f(x) style
// updates (clang's compare-and-swap loop) and omp atomic compare maxima and minima (atomicrmw
// fmax / fmin) become ticketed critical sections on one lock, reversed in the opposite order of
// the forward's (a product and a maximum are order-dependent). A variable updated both by
// x *= v and x += v stays atomic, and omp atomic capture of a product works. The updates commute, so the primal does not depend on the
// order the threads ran in (finite differences stay valid).
#include "omp_check.h"

// y[0] = prod (1 + 0.1 sin x_i), y[1] = max x_i^2 cos x_i, y[2] = min exp(x_i) - x_i,
// y[3] = 2 / prod (1 + 0.05 x_i^2)
void atomic_kernel(const double *x, double *y, int n) {
  y[0] = 1.0;
  y[1] = -1e300;
  y[2] = 1e300;
  y[3] = 2.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
    double v = 1.0 + 0.1 * sin(x[i]);
    double w = x[i] * x[i] * cos(x[i]);
    double u = exp(x[i]) - x[i];
#pragma omp atomic
    y[0] *= v;
#pragma omp atomic compare
    y[1] = y[1] < w ? w : y[1];
#pragma omp atomic compare
    y[2] = y[2] > u ? u : y[2];
#pragma omp atomic
    y[3] /= 1.0 + 0.05 * x[i] * x[i];
  }
}

// a shared accumulator scaled and added to under omp atomic: s = prod(1 + 0.01 x_i) ... with
// additions in between (each thread's updates in a fixed order; x*=a then x+=b commute only
// approximately, so the check is forward vs reverse and against finite differences at one
// thread, where the order is fixed)
double scale_and_add(const double *x, int n) {
  double s = 1.0;
#pragma omp parallel for
  for (int i = 0; i < n; i++) {
#pragma omp atomic
    s *= 1.0 + 0.01 * x[i];
#pragma omp atomic
    s += 0.1 * x[i] * x[i];
  }
  return s;
}

// omp atomic capture of a product: the captured old value is what the lock-protected read saw
// (order-dependent with several threads: checked at one thread)
double capture_product(const double *x, int n) {
  double p = 1.0, s = 0.0;
#pragma omp parallel for reduction(+ : s)
  for (int i = 0; i < n; i++) {
    double old;
#pragma omp atomic capture
    {
      old = p;
      p *= 1.0 + 0.1 * x[i];
    }
    s += old * x[i];
  }
  return p + s;
}

typedef double (*scalar_fn)(const double *, int);
static void check_one_thread(const char *name, scalar_fn f) {
  omp_set_num_threads(1);
  char what[96];
  for (int n = 1; n < 30; n += 7) {
    double x[32], dx[32] = {0}, tx[32];
    unsigned s = 5u + n;
    for (int i = 0; i < n; i++) {
      x[i] = prand(&s);
      tx[i] = prand(&s);
    }
    __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, n);
    for (int i = 0; i < n; i++) {
      double h = 1e-6, keep = x[i];
      x[i] = keep + h;
      double fp = f(x, n);
      x[i] = keep - h;
      double fm = f(x, n);
      x[i] = keep;
      snprintf(what, sizeof what, "%s n=%d vs finite differences", name, n);
      CHECK_CLOSE(what, dx[i], (fp - fm) / (2 * h), RTOL_FD, ATOL_FD);
    }
    double jt = __enzyme_fwddiff((void *)f, enzyme_dup, x, tx, enzyme_const, n);
    snprintf(what, sizeof what, "%s n=%d forward vs reverse", name, n);
    CHECK_CLOSE(what, jt, dotv(dx, tx, n), 1e-9, 1e-11);
  }
}

DEFINE_KERNEL_CHECK(atomic_kernel, n, 4)

int main(void) {
  static const int ns[] = {1, 4, 13, 40};
  for (unsigned c = 0; c < COUNT_OF(ns); c++)
    atomic_kernel_check(ns[c], 3u + c);
  check_one_thread("scale_and_add", scale_and_add);
  check_one_thread("capture_product", capture_product);
  return check_report();
}
