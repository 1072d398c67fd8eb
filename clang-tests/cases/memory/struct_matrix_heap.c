// The shape of Enzyme's hand benchmark (benchmarks/ForwardMode/hand): matrices as structs
// {int nrows, ncols; double *data} whose data is heap memory that mat_mult resizes (free and
// malloc when the size changes), chained through a parent table, applied to constant vertex
// positions, reduced to a scalar. The shadow accesses carry the primal's type-based alias tags
// (a shadow double store does not alias the structs' int and pointer fields); checked, forward
// and reverse, against central finite differences and against each other.
#include "check.h"
#include <math.h>
#include <stdlib.h>

extern int enzyme_dup, enzyme_const, enzyme_dupnoneed;
void __enzyme_autodiff(void *, ...);
void __enzyme_fwddiff(void *, ...);

typedef struct {
  int nrows, ncols;
  double *data;
} Matrix;

static void resize(Matrix *m, int r, int c) {
  if (m->nrows * m->ncols != r * c) {
    if (m->data)
      free(m->data);
    m->data = r * c > 0 ? (double *)malloc(sizeof(double) * r * c) : NULL;
  }
  m->nrows = r;
  m->ncols = c;
}

static void mat_mult(const Matrix *__restrict a, const Matrix *__restrict b, Matrix *__restrict out) {
  resize(out, a->nrows, b->ncols);
  for (int i = 0; i < a->nrows; i++)
    for (int k = 0; k < b->ncols; k++) {
      out->data[i + k * out->nrows] = a->data[i] * b->data[k * b->nrows];
      for (int j = 1; j < a->ncols; j++)
        out->data[i + k * out->nrows] += a->data[i + j * a->nrows] * b->data[j + k * b->nrows];
    }
}

static void rotation(double t, Matrix *R) {  // rotation about z in homogeneous 4x4
  for (int i = 0; i < 16; i++)
    R->data[i] = (i % 5 == 0);
  R->data[0] = cos(t), R->data[1] = sin(t), R->data[4] = -sin(t), R->data[5] = cos(t);
}

#define NB 5
#define NV 7
static const int parent[NB] = {-1, 0, 1, 0, 3};

__attribute__((noinline)) void skin(const double *theta, const Matrix *pos, const double *w, double *err) {
  Matrix *abs_ = (Matrix *)calloc(NB, sizeof(Matrix));
  Matrix R = {0, 0, NULL}, cur = {0, 0, NULL};
  resize(&R, 4, 4);
  for (int b = 0; b < NB; b++) {
    rotation(theta[b], &R);
    R.data[12] = 0.5 * theta[b];  // translation along x
    if (parent[b] < 0) {
      resize(&abs_[b], 4, 4);
      for (int i = 0; i < 16; i++)
        abs_[b].data[i] = R.data[i];
    } else {
      mat_mult(&abs_[parent[b]], &R, &abs_[b]);
    }
  }
  double s = 0;
  for (int b = 0; b < NB; b++) {
    mat_mult(&abs_[b], pos, &cur);
    for (int v = 0; v < NV; v++)
      for (int i = 0; i < 3; i++)
        s += w[b] * cur.data[i + 4 * v] * cur.data[i + 4 * v] * (i + 1);
  }
  *err = s;
  for (int b = 0; b < NB; b++)
    free(abs_[b].data);
  free(abs_);
  free(R.data);
  free(cur.data);
}

static Matrix P;
static double W[NB] = {1.0, 0.5, -0.3, 0.8, 0.2};

static double objective(const double *theta) {
  double e;
  skin(theta, &P, W, &e);
  return e;
}

int main(void) {
  unsigned s = 3;
  P.nrows = 4, P.ncols = NV;
  P.data = (double *)malloc(sizeof(double) * 4 * NV);
  for (int v = 0; v < NV; v++) {
    for (int i = 0; i < 3; i++)
      P.data[i + 4 * v] = prand(&s);
    P.data[3 + 4 * v] = 1;
  }
  double theta[NB], dtheta[NB] = {0}, t[NB];
  for (int b = 0; b < NB; b++) {
    theta[b] = 1.2 * prand(&s);
    t[b] = prand(&s);
  }
  double e = 0, de = 1;
  __enzyme_autodiff((void *)skin, enzyme_dup, theta, dtheta, enzyme_const, &P, enzyme_const, W, enzyme_dupnoneed,
                    &e, &de);
  for (int b = 0; b < NB; b++)
    CHECK_CLOSE_AT("reverse vs FD", (double)b, dtheta[b], fdv(objective, theta, NB, b), RTOL_FD, ATOL_FD);
  double fe = 0, dfe = 0;
  __enzyme_fwddiff((void *)skin, enzyme_dup, theta, t, enzyme_const, &P, enzyme_const, W, enzyme_dupnoneed, &fe,
                   &dfe);
  double h = 1e-6, xp[NB], xm[NB];
  for (int b = 0; b < NB; b++)
    xp[b] = theta[b] + h * t[b], xm[b] = theta[b] - h * t[b];
  CHECK_CLOSE("forward vs FD", dfe, (objective(xp) - objective(xm)) / (2 * h), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward = <reverse, t>", dfe, dotv(dtheta, t, NB), 1e-10, 1e-12);
  free(P.data);
  return check_report();
}
