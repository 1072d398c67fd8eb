// CFLAGS: -fopenmp
// threadprivate floats (thread-local globals): each thread's shadow copy must be zero when a
// request starts, though the request starts on one thread (ferment clears a thread's copy on
// its first use in each request). A per-thread accumulator set and read inside one region, a
// threadprivate array carried from one region to the next (its values persist per thread
// number, so its adjoints must too), copyin of the master's value, and a threadprivate scalar
// written by serial code and read by every thread, and a per-thread state read before it is
// written (its value on entry is a constant of the call: no adjoint or tangent may carry over),
// and threadprivate pointers. Each check runs twice in a row at 1, 2 and
// 4 threads (a stale shadow from the first call would show in the second), against finite
// differences of the primal with the same number of threads, and forward vs reverse.
#include "omp_check.h"

static double acc;
#pragma omp threadprivate(acc)
static double part[3];
#pragma omp threadprivate(part)
static double base;
#pragma omp threadprivate(base)

// sum over threads of sin(sum of that thread's x_i^3)
double per_thread(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel reduction(+ : s)
  {
    acc = 0.0;
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++)
      acc += x[i] * x[i] * x[i];
    s += sin(acc);
  }
  return s;
}

// part is filled by one region and read by the next one on the same threads
double carried(const double *x, int n) {
#pragma omp parallel
  {
    part[0] = part[1] = 0.0;
    part[2] = 1.0;
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++) {
      part[0] += x[i];
      part[1] += x[i] * x[i];
      part[2] *= 1.0 + 0.1 * cos(x[i]);
    }
  }
  double s = 0.0;
#pragma omp parallel reduction(+ : s)
  s += part[0] * part[1] + exp(0.5 * part[0]) * part[2];
  return s;
}

// base = x_0 on the calling thread, then copyin gives every thread the master's value
double copied(const double *x, int n) {
  base = 0.5 + x[0] * x[0];
  double s = 0.0;
#pragma omp parallel copyin(base) reduction(+ : s)
  {
    base *= 1.0 + 0.25 * omp_get_thread_num();
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++)
      s += base * sin(x[i]);
  }
  return s + base;
}

// the same per-thread accumulator used by a kernel writing y
static void kernel(const double *x, double *y, int n) {
#pragma omp parallel
  {
    acc = 1.0;
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++) {
      acc *= 1.0 + 0.5 * x[i];
      y[i] = acc * x[(i + 1) % n];
    }
  }
}

// a per-thread state read before it is written: its value on entry is a constant of the call
// (the harness sets it), so its adjoint (tangent) left by one call must not reach the next
static double last;
#pragma omp threadprivate(last)
double carry_state(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel reduction(+ : s)
  {
    double prev = last, loc = 0.0;
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++)
      loc += sin(x[i]) * prev + x[i] * x[i];
    last = loc;
    s += loc * loc;
  }
  return s;
}

static void reset_last(void) {
#pragma omp parallel
  last = 0.3 + 0.1 * omp_get_thread_num();
}

static int carry_n;
static double carry_objective(const double *x, const void *ctx) {
  (void)ctx;
  reset_last();
  return carry_state(x, carry_n);
}

static void carry_check(int n, unsigned seed) {
  double x[64], dx[64], tx[64];
  char what[160];
  carry_n = n;
  for (unsigned c = 0; c < COUNT_OF(omp_check_threads); c++) {
    int t = omp_check_threads[c];
    omp_set_num_threads(t);
    unsigned s = seed;
    for (int i = 0; i < n; i++) {
      x[i] = prand(&s);
      tx[i] = prand(&s);
    }
    for (int call = 0; call < 3; call++) {
      for (int i = 0; i < n; i++)
        dx[i] = 0.0;
      reset_last();
      __enzyme_autodiff((void *)carry_state, enzyme_dup, x, dx, enzyme_const, n);
      snprintf(what, sizeof what, "reverse carry_state n=%d threads=%d call=%d", n, t, call);
      CHECK_GRAD_FD(what, carry_objective, NULL, x, n, dx, RTOL_FD, ATOL_FD);
      reset_last();
      double jt = __enzyme_fwddiff((void *)carry_state, enzyme_dup, x, tx, enzyme_const, n);
      snprintf(what, sizeof what, "forward carry_state n=%d threads=%d call=%d", n, t, call);
      CHECK_CLOSE(what, jt, dotv(dx, tx, n), 1e-9, 1e-11);
    }
  }
}

// threadprivate pointers: one each thread points at the input inside the region (its shadow
// points at the input's shadow), one set before the request to constant data
static double *wp;
#pragma omp threadprivate(wp)
static double *keep;
#pragma omp threadprivate(keep)
double through_pointer(const double *x, int n) {
  double s = 0.0;
#pragma omp parallel reduction(+ : s)
  {
    wp = (double *)x;
#pragma omp for
    for (int i = 0; i < n; i++)
      s += wp[i] * wp[i] * sin(wp[(i + 1) % n]) + keep[i] * x[i];
  }
  return s;
}
static double kdata[64];

DEFINE_SCALAR_CHECK(through_pointer, n)
DEFINE_SCALAR_CHECK(per_thread, n)
DEFINE_SCALAR_CHECK(carried, n)
DEFINE_SCALAR_CHECK(copied, n)
DEFINE_KERNEL_CHECK(kernel, n, n)

int main(void) {
  static const int ns[] = {1, 5, 17, 40};
  for (int i = 0; i < 64; i++)
    kdata[i] = 0.1 * i;
  for (unsigned c = 0; c < COUNT_OF(omp_check_threads); c++) {
    omp_set_num_threads(omp_check_threads[c]);
#pragma omp parallel
    keep = kdata;
  }
  for (unsigned c = 0; c < COUNT_OF(ns); c++)
    for (int twice = 0; twice < 2; twice++) {
      per_thread_check(ns[c], 3u + c);
      carried_check(ns[c], 7u + c);
      copied_check(ns[c], 11u + c);
      kernel_check(ns[c], 13u + c);
      carry_check(ns[c], 17u + c);
      through_pointer_check(ns[c], 19u + c);
    }
  return check_report();
}
