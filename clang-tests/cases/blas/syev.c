// LAPACK symmetric eigen-decomposition: LAPACKE_dsyev with eigenvectors
// ('V') and eigenvalues only ('N'), column- and row-major, upper and lower
// triangles, and LAPACKE_ssyev. The loss reads the eigenvalues and products
// of eigenvector entries within a column (invariant under the sign LAPACK
// picks for each vector). Distinct eigenvalues. Reverse gradients against
// central finite differences over every entry (only the stored triangle is
// read: the other gets 0), forward mode against finite differences and the
// reverse gradient.
// LIBS: -lopenblas -llapacke
#include <lapacke.h>
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
float __enzyme_autodiff_f(void *, ...) __asm__("__enzyme_autodiff");
float __enzyme_fwddiff_f(void *, ...) __asm__("__enzyme_fwddiff");

enum { N = 4, LD = 5, LEN = 20 };
static double W[LEN];

// entry (i, j) of the vectors: column-major or row-major storage
static double vec_loss(const double *V, const double *w, int row_major) {
  double s = 0;
  for (int j = 0; j < N; j++) {
    s += (1.0 + 0.3 * j) * w[j] + 0.1 * w[j] * w[j];
    for (int i = 0; i < N; i++) {
      int k = (i + 1) % N;
      double a = row_major ? V[i * LD + j] : V[i + j * LD];
      double b = row_major ? V[k * LD + j] : V[k + j * LD];
      s += W[i + j * LD] * a * b;
    }
  }
  return s;
}

#define LOSS(NAME, LAY, JOB, UP)                                                               \
  __attribute__((noinline)) static double NAME(double *A) {                                    \
    double F[LEN], w[N];                                                                       \
    for (int i = 0; i < LEN; i++) F[i] = A[i];                                                 \
    LAPACKE_dsyev(LAY, JOB, UP, N, F, LD, w);                                                  \
    if (JOB == 'V') return vec_loss(F, w, LAY == LAPACK_ROW_MAJOR);                            \
    double s = 0;                                                                              \
    for (int j = 0; j < N; j++) s += (1.0 + 0.3 * j) * w[j] + 0.1 * w[j] * w[j];               \
    return s;                                                                                  \
  }                                                                                            \
  static void NAME##_rev(double *A, double *dA) {                                              \
    __enzyme_autodiff((void *)NAME, enzyme_dup, A, dA);                                        \
  }                                                                                            \
  static double NAME##_fwd(double *A, double *tA) {                                            \
    return __enzyme_fwddiff((void *)NAME, enzyme_dup, A, tA);                                  \
  }

LOSS(col_v_lower, LAPACK_COL_MAJOR, 'V', 'L')
LOSS(col_v_upper, LAPACK_COL_MAJOR, 'V', 'U')
LOSS(row_v_lower, LAPACK_ROW_MAJOR, 'V', 'L')
LOSS(row_v_upper, LAPACK_ROW_MAJOR, 'V', 'U')
LOSS(col_n_lower, LAPACK_COL_MAJOR, 'N', 'L')
LOSS(row_n_upper, LAPACK_ROW_MAJOR, 'N', 'U')

// single precision, checked against the double-precision function
__attribute__((noinline)) static float single(float *A) {
  float F[LEN], w[N], s = 0;
  for (int i = 0; i < LEN; i++) F[i] = A[i];
  LAPACKE_ssyev(LAPACK_COL_MAJOR, 'V', 'L', N, F, LD, w);
  for (int j = 0; j < N; j++) {
    s += (1.0f + 0.3f * j) * w[j] + 0.1f * w[j] * w[j];
    for (int i = 0; i < N; i++) s += (float)W[i + j * LD] * F[i + j * LD] * F[(i + 1) % N + j * LD];
  }
  return s;
}

typedef double (*loss_fn)(double *);

static void fill(double *A, double *tA) {
  for (int i = 0; i < LEN; i++) {
    // well-separated eigenvalues (about 1, 2.5, 4, 5.5) in both layouts
    int r = i % LD, c = i / LD;
    A[i] = r == c ? 1.0 + 1.5 * r : 0.3 * sin(0.5 * (r + c) + 0.1 * r * c);
    tA[i] = sin(1.3 * i);
  }
}

static void check(const char *name, loss_fn f, void (*rev)(double *, double *),
                  double (*fwd)(double *, double *)) {
  double A[LEN], dA[LEN] = {0}, tA[LEN], h = 1e-6;
  fill(A, tA);
  rev(A, dA);
  char what[128];
  snprintf(what, sizeof what, "%s dA", name);
  CHECK_ARRAY_FD(what, A, LEN, dA, h, f(A), 1e-6, 1e-6);
  double dot = dotv(dA, tA, LEN);
  double t = fwd(A, tA), Ap[LEN], Am[LEN];
  shift_along(Ap, A, tA, h, LEN), shift_along(Am, A, tA, -h, LEN);
  snprintf(what, sizeof what, "%s forward", name);
  CHECK_CLOSE(what, t, (f(Ap) - f(Am)) / (2 * h), 1e-6, 1e-6);
  snprintf(what, sizeof what, "%s forward vs reverse", name);
  CHECK_CLOSE(what, t, dot, 1e-10, 1e-10);
}

#define CHECK(NAME) check(#NAME, NAME, NAME##_rev, NAME##_fwd)

int main(void) {
  for (int i = 0; i < LEN; i++) W[i] = 1.0 + 0.1 * (i % 7);
  CHECK(col_v_lower);
  CHECK(col_v_upper);
  CHECK(row_v_lower);
  CHECK(row_v_upper);
  CHECK(col_n_lower);
  CHECK(row_n_upper);
  {
    double A[LEN], tA[LEN], h = 1e-6, dot = 0;
    float As[LEN], dAs[LEN] = {0}, tAs[LEN];
    fill(A, tA);
    for (int i = 0; i < LEN; i++) As[i] = (float)A[i], tAs[i] = (float)tA[i], A[i] = As[i];
    __enzyme_autodiff_f((void *)single, enzyme_dup, As, dAs);
    CHECK_ARRAY_FD("single dA", A, LEN, dAs, h, col_v_lower(A), 1e-3, 1e-3);
    for (int i = 0; i < LEN; i++) dot += (double)dAs[i] * tAs[i];
    float t = __enzyme_fwddiff_f((void *)single, enzyme_dup, As, tAs);
    CHECK_CLOSE("single forward vs reverse", t, dot, 1e-3, 1e-3);
  }
  return check_report();
}
