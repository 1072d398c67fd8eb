// CFLAGS: -fopenmp
// Stress test of globals that carry derivative data inside parallel regions: a scalar every
// thread reads, an array written per index and read at other indices (by the next loop of the
// same region after its barrier, and by the next region), a global reduction target (+) and a
// local max reduction, a function that is not inlined called three times in a row inside one
// request, and a second request over the same globals between the gradients, and split mode. Each request
// must start from zero shadows of the globals on every thread: the same gradient comes out
// 20 times in a row in one process (and twice the gradient from two calls accumulating into
// one dx), at 1, 2, 4 and 8 threads, checked against central finite differences of the primal
// run with the same number of threads, and the forward mode against <dx, t>.
#include "omp_check.h"

enum { MAXN = 64, REPS = 20 };

static double gs;          // a scalar every thread reads
static double gbuf[MAXN];  // written per index, read at other indices
static double gtmp[MAXN];  // only the regions touch it
static double gsum;        // a global reduction target
static double gweight[MAXN]; // constant data (no derivative)

__attribute__((noinline)) static void smooth(int n) {
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++)
      gtmp[i] = gbuf[i] * gs + 0.5 * gbuf[(i + 1) % n];
#pragma omp for schedule(dynamic, 3)
    for (int i = 0; i < n; i++)
      gbuf[i] = sin(gtmp[i]) + 0.25 * gtmp[(i + n - 1) % n];
  }
}

// E(x) = sum_i gweight_i gbuf_i^2 gs + 0.5 max_i gbuf_i x_i, after three smoothing passes of
// gbuf_i = x_i gs, gs = 0.3 + 0.1 x_0^2
double energy(const double *x, int n) {
  gs = 0.3 + 0.1 * x[0] * x[0];
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    gbuf[i] = x[i] * gs;
  for (int k = 0; k < 3; k++)
    smooth(n);
  gsum = 0.0;
#pragma omp parallel for reduction(+ : gsum) schedule(guided)
  for (int i = 0; i < n; i++)
    gsum += gweight[i] * gbuf[i] * gbuf[i] * gs;
  double m = -1e300;
#pragma omp parallel for reduction(max : m)
  for (int i = 0; i < n; i++) {
    double v = gbuf[i] * x[i];
    m = v > m ? v : m;
  }
  return gsum + 0.5 * m;
}

// another request over the same globals: sum_i x_1 sin(x_i) gbuf_i, gbuf_i = x_i^2
double other(const double *x, int n) {
  gs = x[1];
#pragma omp parallel for
  for (int i = 0; i < n; i++)
    gbuf[i] = x[i] * x[i];
  double e = 0.0;
#pragma omp parallel for reduction(+ : e)
  for (int i = 0; i < n; i++)
    e += gs * sin(x[i]) * gbuf[i];
  return e;
}

// the same energy through an output argument, for split mode (__enzyme_augmentfwd /
// __enzyme_reverse)
void energy_to(const double *x, double *out, int n) { *out = energy(x, n); }
void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

static int cur_n;
static double energy_objective(const double *x, const void *ctx) {
  (void)ctx;
  return energy(x, cur_n);
}
static double other_objective(const double *x, const void *ctx) {
  (void)ctx;
  return other(x, cur_n);
}

static void fd_gradient(fd_fnvc f, const double *x, int n, double *g) {
  for (int i = 0; i < n; i++)
    g[i] = fdvc(f, NULL, x, n, i);
}

static void stress(int n, unsigned seed) {
  static const int threads[] = {1, 2, 4, 8};
  double x[MAXN], dx[MAXN], tx[MAXN], fd[MAXN], fdo[MAXN], dxo[MAXN];
  char what[200];
  cur_n = n;
  for (int i = 0; i < MAXN; i++)
    gweight[i] = 0.5 + 0.125 * (i % 7);
  for (unsigned c = 0; c < COUNT_OF(threads); c++) {
    int t = threads[c];
    omp_set_num_threads(t);
    unsigned s = seed;
    for (int i = 0; i < n; i++) {
      x[i] = prand(&s);
      tx[i] = prand(&s);
    }
    fd_gradient(energy_objective, x, n, fd);
    fd_gradient(other_objective, x, n, fdo);
    for (int r = 0; r < REPS; r++) {
      for (int i = 0; i < n; i++)
        dx[i] = dxo[i] = 0.0;
      __enzyme_autodiff((void *)energy, enzyme_dup, x, dx, enzyme_const, n);
      snprintf(what, sizeof what, "energy n=%d threads=%d rep=%d", n, t, r);
      CHECK_ARRAY_CLOSE(what, dx, fd, n, RTOL_FD, ATOL_FD);
      // the other request in between, over the same globals
      __enzyme_autodiff((void *)other, enzyme_dup, x, dxo, enzyme_const, n);
      snprintf(what, sizeof what, "other n=%d threads=%d rep=%d", n, t, r);
      CHECK_ARRAY_CLOSE(what, dxo, fdo, n, RTOL_FD, ATOL_FD);
      // two calls in a row accumulate into one dx: twice the gradient
      for (int i = 0; i < n; i++)
        dx[i] = 0.0;
      __enzyme_autodiff((void *)energy, enzyme_dup, x, dx, enzyme_const, n);
      __enzyme_autodiff((void *)energy, enzyme_dup, x, dx, enzyme_const, n);
      for (int i = 0; i < n; i++)
        dx[i] *= 0.5;
      snprintf(what, sizeof what, "energy twice n=%d threads=%d rep=%d", n, t, r);
      CHECK_ARRAY_CLOSE(what, dx, fd, n, RTOL_FD, ATOL_FD);
      // split mode: the augmented forward sweep, then its reverse
      for (int i = 0; i < n; i++)
        dx[i] = 0.0;
      double out = 0.0, dout = 1.0;
      void *tape = __enzyme_augmentfwd((void *)energy_to, enzyme_dup, x, dx, enzyme_dup, &out,
                                       &dout, enzyme_const, n);
      __enzyme_reverse((void *)energy_to, enzyme_dup, x, dx, enzyme_dup, &out, &dout,
                       enzyme_const, n, tape);
      snprintf(what, sizeof what, "split energy n=%d threads=%d rep=%d", n, t, r);
      CHECK_ARRAY_CLOSE(what, dx, fd, n, RTOL_FD, ATOL_FD);
      // forward mode, twice in a row
      for (int k = 0; k < 2; k++) {
        double jt = __enzyme_fwddiff((void *)energy, enzyme_dup, x, tx, enzyme_const, n);
        snprintf(what, sizeof what, "forward energy n=%d threads=%d rep=%d call=%d", n, t, r, k);
        CHECK_CLOSE(what, jt, dotv(fd, tx, n), RTOL_FD, ATOL_FD);
      }
    }
  }
}

int main(void) {
  stress(5, 3u);
  stress(37, 7u);
  return check_report();
}
