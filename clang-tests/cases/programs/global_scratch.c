// Old-style C with global scratch buffers and global parameters: the differentiated function
// writes intermediate values into a global work array and reads them back.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
#define N 8
static double work[N];
double coef[3] = {0.5, -0.25, 0.125};
static int nsteps = 3;
static void smooth(void) {
  double tmp[N];
  for (int s = 0; s < nsteps; s++) {
    for (int i = 0; i < N; i++) {
      double l = work[(i + N - 1) % N], r = work[(i + 1) % N];
      tmp[i] = coef[0] * work[i] + coef[1] * (l + r) + coef[2] * l * r;
    }
    for (int i = 0; i < N; i++) work[i] = tmp[i];
  }
}
double f(const double *x) {
  for (int i = 0; i < N; i++) work[i] = sin(x[i]);
  smooth();
  double s = 0;
  for (int i = 0; i < N; i++) s += work[i] * work[i];
  return s;
}
int main(void) {
  double x[N], dx[N] = {0}, v[N];
  for (int i = 0; i < N; i++) { x[i] = 0.3 * i - 1; v[i] = 1.0 / (i + 1); }
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  CHECK_ARRAY_FD("reverse", x, N, dx, 1e-6, f(x), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("fwd", __enzyme_fwddiff((void *)f, enzyme_dup, x, v), dotv(v, dx, N), 1e-10, 1e-12);
  return check_report();
}
