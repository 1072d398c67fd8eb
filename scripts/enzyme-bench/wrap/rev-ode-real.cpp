// ReverseMode/ode-real: the brusselator right-hand side (N = 32), differentiated with the
// program's call shape (outputs dup with the adjoint as their shadow, u, v, p dup, t const):
// gradient of adjoint . rhs(u, v, p) with respect to u, v and p, for the __restrict version
// (the program's foobar_restrict) and, in rev-ode-real-norestrict, the plain one. The
// program's foobar_restrict returns dx[0]; it must equal the gradient's first element.
#include "ode.cpp"
#include "bench_common.h"
#ifndef BRUSS
#define BRUSS brusselator_2d_loop_restrict
#define FOOBAR foobar_restrict
#endif
static double *adj, t0 = 2.0;
static state_type outb, adjb;
extern "C" double *bench_init(long *n) {
  *n = 2 * N * N + 3;
  adj = bench_rvec(2 * N * N, -1, 1);
  double *x = (double *)malloc(*n * sizeof(double));
  init_brusselator(x, x + N * N);
  for (int i = 0; i < 2 * N * N; i++) x[i] += 0.1 * bench_rnd();
  x[2 * N * N] = 3.4, x[2 * N * N + 1] = 1, x[2 * N * N + 2] = 10;
  return x;
}
extern "C" double bench_primal(const double *x) {
  BRUSS(outb, outb + N * N, x, x + N * N, x + 2 * N * N, t0);
  double s = 0;
  for (int i = 0; i < 2 * N * N; i++) s += adj[i] * outb[i];
  return s;
}
extern "C" void bench_grad_ferment(const double *x, double *g) {
  memset(g, 0, (2 * N * N + 3) * sizeof(double));
  memcpy(adjb, adj, sizeof adjb);
  __enzyme_autodiff<void>(BRUSS,
                          enzyme_dup, outb, adjb,
                          enzyme_dup, outb + N * N, adjb + N * N,
                          enzyme_dup, x, g,
                          enzyme_dup, x + N * N, g + N * N,
                          enzyme_dup, x + 2 * N * N, g + 2 * N * N,
                          enzyme_const, t0);
  static int once;
  if (!once++) {
    double d0 = FOOBAR(x + 2 * N * N, x, adj, t0);
    if (fabs(d0 - g[0]) > 1e-9 * fmax(1, fabs(g[0]))) printf("foobar: dx[0] %.12g, expected %.12g\n", d0, g[0]);
  }
}
extern "C" void bench_grad_hand(double *) {}
