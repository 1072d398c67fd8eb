// Found by ferment-fuzz (seed 3213, reduced by hand): a memcpy of N-1 doubles into p + 1 from
// an array filled through a variable index. Type analysis knows only the element at offset 0
// of such an array, and the reverse sweep moved the adjoint of that one element: the other
// N-2 were lost (at -O0; at -O2 the copy is expanded into loads and stores). Heap and stack
// sources, several lengths, against the analytic gradient (checked by finite differences).
#include "check.h"

double __enzyme_autodiff(void *, ...);

#define DEFINE_F(NAME, N, ALLOC, FREE)                                                         \
  static void NAME(double *p) {                                                               \
    double *m = ALLOC;                                                                        \
    for (int q = 0; q < N; q++)                                                               \
      m[q] = 0.5 * p[q] * p[q];                                                               \
    memcpy(p + 1, m, (N - 1) * sizeof(double));                                               \
    p[0] += m[0] + sin(m[N - 1]);                                                             \
    FREE;                                                                                     \
  }
double stack3[3], stack7[7];
DEFINE_F(f_heap3, 3, (double *)malloc(3 * sizeof(double)), free(m))
DEFINE_F(f_heap7, 7, (double *)malloc(7 * sizeof(double)), free(m))
DEFINE_F(f_stack3, 3, stack3, (void)0)
DEFINE_F(f_stack7, 7, stack7, (void)0)

/* y0 = x0 + x0^2/2 + sin(x_{N-1}^2/2); y_i = x_{i-1}^2/2 for 1 <= i < N */
static void grad(int n, const double *x, const double *w, double *g) {
  for (int j = 0; j < n; j++)
    g[j] = 0.0;
  g[0] = w[0] * (1.0 + x[0]);
  g[n - 1] += w[0] * cos(0.5 * x[n - 1] * x[n - 1]) * x[n - 1];
  for (int i = 1; i < n; i++)
    g[i - 1] += w[i] * x[i - 1];
}

/* w . y(x) as a function of x, for the finite-difference check of the oracle */
static int fd_n;
static const double *fd_w;
static void (*fd_f)(double *);
static double wy(const double *x, const void *ctx) {
  (void)ctx;
  double y[8];
  memcpy(y, x, sizeof(double) * (size_t)fd_n);
  fd_f(y);
  return dotv(fd_w, y, fd_n);
}

static unsigned seed = 11;
#define RUN(F, N)                                                                              \
  do {                                                                                         \
    double x[8], w[8], dx[8], g[8];                                                            \
    for (int i = 0; i < N; i++) {                                                              \
      x[i] = prand(&seed);                                                                     \
      w[i] = prand(&seed);                                                                     \
    }                                                                                          \
    grad(N, x, w, g);                                                                          \
    fd_n = N, fd_w = w, fd_f = F;                                                              \
    CHECK_GRAD_FD("oracle vs finite differences (" #F ")", wy, NULL, x, N, g, RTOL_FD, ATOL_FD); \
    memcpy(dx, w, sizeof(double) * N);                                                         \
    __enzyme_autodiff((void *)F, x, dx);                                                       \
    CHECK_ARRAY_CLOSE("reverse J^T w (" #F ")", dx, g, N, RTOL_D, ATOL_D);                     \
  } while (0)

int main(void) {
  RUN(f_heap3, 3);
  RUN(f_heap7, 7);
  RUN(f_stack3, 3);
  RUN(f_stack7, 7);
  return check_report();
}
