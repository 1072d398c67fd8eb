// CFLAGS: -fopenmp
// Active floating-point variables captured by value (firstprivate): clang passes each as the
// bits of an i64; ferment passes its address instead, each thread reading its private copy at
// the region's entry, so the adjoint of the variable is the sum over the threads' copies.
// Oracles: analytic derivatives, reverse and forward mode, 1, 2 and 4 threads.
#include "check.h"
#include <omp.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodifff(void *, ...) __asm__("__enzyme_autodiff");
float __enzyme_fwddifff(void *, ...) __asm__("__enzyme_fwddiff");
typedef struct {
  double a, b;
} pair;
pair __enzyme_autodiff2(void *, ...) __asm__("__enzyme_autodiff");
extern int enzyme_dup, enzyme_const, enzyme_out;

#define N 37

// S = sum a x_i^2 + sin(a x_i)
double sum_fp(const double *x, double a, int n) {
  double s = 0.0;
#pragma omp parallel for reduction(+ : s) firstprivate(a)
  for (int i = 0; i < n; i++)
    s += a * x[i] * x[i] + sin(a * x[i]);
  return s;
}

// Two firstprivate doubles and an int; y_i = a x_i + b x_i^3 + k
void affine_fp(const double *x, double *y, double a, double b, int n) {
  int k = 3;
#pragma omp parallel for firstprivate(a, b, k) schedule(dynamic, 4)
  for (int i = 0; i < n; i++)
    y[i] = a * x[i] + b * x[i] * x[i] * x[i] + k;
}

// The private copy is changed inside the region before use: S = sum (2a)^2 x_i
double changed_fp(const double *x, double a, int n) {
  double s = 0.0;
#pragma omp parallel firstprivate(a) reduction(+ : s)
  {
    a = 2.0 * a;
#pragma omp for
    for (int i = 0; i < n; i++)
      s += a * a * x[i];
  }
  return s;
}

// float: S = sum a x_i^2
float sum_fpf(const float *x, float a, int n) {
  float s = 0.0f;
#pragma omp parallel for reduction(+ : s) firstprivate(a)
  for (int i = 0; i < n; i++)
    s += a * x[i] * x[i];
  return s;
}

static double weight(int i) { return 0.5 + 0.25 * (i % 5); }

int main(void) {
  static const int threads[] = {1, 2, 4};
  double x[N], dx[N], y[N], dy[N], tx[N], ty[N];
  float xf[N], dxf[N];
  for (int i = 0; i < N; i++) {
    x[i] = 0.3 + 0.05 * i - 0.002 * i * i;
    xf[i] = (float)x[i];
  }
  for (unsigned t = 0; t < COUNT_OF(threads); t++) {
    omp_set_num_threads(threads[t]);
    double a = 0.7, b = -0.4;

    // sum_fp: reverse (a active, x duplicated) and forward along a.
    for (int i = 0; i < N; i++)
      dx[i] = 0.0;
    double da = __enzyme_autodiff((void *)sum_fp, enzyme_dup, x, dx, a, enzyme_const, N);
    double want_da = 0.0;
    for (int i = 0; i < N; i++) {
      want_da += x[i] * x[i] + x[i] * cos(a * x[i]);
      CHECK_CLOSE("sum_fp dx", dx[i], 2.0 * a * x[i] + a * cos(a * x[i]), RTOL_D, ATOL_D);
    }
    CHECK_CLOSE("sum_fp da", da, want_da, RTOL_D, ATOL_D);
    for (int i = 0; i < N; i++)
      tx[i] = 0.0;
    double ta = __enzyme_fwddiff((void *)sum_fp, enzyme_dup, x, tx, a, 1.0, enzyme_const, N);
    CHECK_CLOSE("sum_fp forward da", ta, want_da, RTOL_D, ATOL_D);

    // affine_fp: reverse with both doubles active (returned as a struct of two).
    for (int i = 0; i < N; i++) {
      dx[i] = 0.0;
      dy[i] = weight(i);
    }
    pair d = __enzyme_autodiff2((void *)affine_fp, enzyme_dup, x, dx, enzyme_dup, y, dy, a, b, enzyme_const, N);
    double want_a = 0.0, want_b = 0.0;
    for (int i = 0; i < N; i++) {
      want_a += weight(i) * x[i];
      want_b += weight(i) * x[i] * x[i] * x[i];
      CHECK_CLOSE("affine_fp dx", dx[i], weight(i) * (a + 3.0 * b * x[i] * x[i]), RTOL_D, ATOL_D);
    }
    CHECK_CLOSE("affine_fp da", d.a, want_a, RTOL_D, ATOL_D);
    CHECK_CLOSE("affine_fp db", d.b, want_b, RTOL_D, ATOL_D);
    for (int i = 0; i < N; i++)
      tx[i] = 0.0;
    __enzyme_fwddiff((void *)affine_fp, enzyme_dup, x, tx, enzyme_dup, y, ty, a, 0.0, b, 1.0,
                     enzyme_const, N);
    for (int i = 0; i < N; i++)
      CHECK_CLOSE("affine_fp forward db", ty[i], x[i] * x[i] * x[i], RTOL_D, ATOL_D);

    // changed_fp: S = 4 a^2 sum x_i.
    double sx = 0.0;
    for (int i = 0; i < N; i++) {
      dx[i] = 0.0;
      sx += x[i];
    }
    da = __enzyme_autodiff((void *)changed_fp, enzyme_dup, x, dx, a, enzyme_const, N);
    CHECK_CLOSE("changed_fp da", da, 8.0 * a * sx, RTOL_D, ATOL_D);
    for (int i = 0; i < N; i++)
      CHECK_CLOSE("changed_fp dx", dx[i], 4.0 * a * a, RTOL_D, ATOL_D);

    // sum_fpf: float.
    float af = 0.7f;
    for (int i = 0; i < N; i++)
      dxf[i] = 0.0f;
    float daf = __enzyme_autodifff((void *)sum_fpf, enzyme_dup, xf, dxf, af, enzyme_const, N);
    double want_af = 0.0;
    for (int i = 0; i < N; i++) {
      want_af += (double)xf[i] * xf[i];
      CHECK_CLOSE("sum_fpf dx", dxf[i], 2.0 * af * xf[i], RTOL_F, ATOL_F);
    }
    CHECK_CLOSE("sum_fpf da", daf, want_af, RTOL_F, ATOL_F);
    for (int i = 0; i < N; i++)
      dxf[i] = 0.0f;
    float taf = __enzyme_fwddifff((void *)sum_fpf, enzyme_dup, xf, dxf, af, 1.0f, enzyme_const, N);
    CHECK_CLOSE("sum_fpf forward da", taf, want_af, RTOL_F, ATOL_F);
  }
  return check_report();
}
