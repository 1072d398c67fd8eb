// Jacobians of a planar robot arm's forward kinematics by batched AD, as a robotics user
// writes them: `fk(const double *q, const Arm *arm, double *pose)` computes the end-effector
// (x, y, heading) and a manipulability-like scalar from 4 joint angles through accumulated
// transforms in a loop (cos/sin of partial sums, a joint-limit soft penalty with a branch).
// The full 4x4 Jacobian comes from one forward call with enzyme_width 4 (enzyme_dupv: one
// tangent per lane, strided), and all rows from one reverse call with enzyme_width 4
// (enzyme_dupv on the input adjoints and enzyme_dupnoneedv on the output seeds); they must be
// the same matrix, and match central differences. A damped least-squares IK step uses it.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <string.h>

extern int enzyme_width, enzyme_dupv, enzyme_dupnoneedv;
void __enzyme_fwddiff(void *, ...);
void __enzyme_autodiff(void *, ...);

enum { NJ = 4, NO = 4 };

typedef struct {
  double len[NJ];
  double qmin[NJ], qmax[NJ];
} Arm;

void fk(const double *q, const Arm *arm, double *pose) {
  double x = 0.0, y = 0.0, th = 0.0, pen = 0.0;
  for (int j = 0; j < NJ; j++) {
    th += q[j];
    x += arm->len[j] * cos(th);
    y += arm->len[j] * sin(th);
    if (q[j] > arm->qmax[j]) pen += (q[j] - arm->qmax[j]) * (q[j] - arm->qmax[j]);
    else if (q[j] < arm->qmin[j]) pen += (arm->qmin[j] - q[j]) * (arm->qmin[j] - q[j]);
  }
  pose[0] = x;
  pose[1] = y;
  pose[2] = th;
  pose[3] = pen + 0.01 * (x * x + y * y);
}

static double fk_out(const double *q, const Arm *arm, int row) {
  double pose[NO];
  fk(q, arm, pose);
  return pose[row];
}

static void solve4(double A[4][4], double *b) {
  for (int c = 0; c < 4; c++)
    for (int r = c + 1; r < 4; r++) {
      double l = A[r][c] / A[c][c];
      for (int k = c; k < 4; k++) A[r][k] -= l * A[c][k];
      b[r] -= l * b[c];
    }
  for (int r = 3; r >= 0; r--) {
    for (int k = r + 1; k < 4; k++) b[r] -= A[r][k] * b[k];
    b[r] /= A[r][r];
  }
}

int main(void) {
  Arm arm = {{1.0, 0.8, 0.5, 0.3}, {-1.5, -1.5, -1.0, -0.5}, {1.5, 1.5, 1.0, 0.5}};
  double q[NJ] = {0.3, 0.7, -0.4, 0.9}; /* the last joint is past its limit */

  /* forward, width 4: lane l has tangent e_l; result lane l, component r = J[r][l] */
  double seeds[NJ][NJ] = {{0}}, pose[NO], dpose[NJ][NO];
  for (int l = 0; l < NJ; l++) seeds[l][l] = 1.0;
  memset(dpose, 0, sizeof dpose);
  __enzyme_fwddiff((void *)fk, enzyme_width, NJ, enzyme_dupv, sizeof seeds[0], q, seeds[0], enzyme_const, &arm,
                   enzyme_dupv, sizeof dpose[0], pose, dpose[0]);

  /* reverse, width 4: lane l seeds output row l; the input adjoint of lane l is row l of J */
  double outseed[NO][NO] = {{0}}, rows[NO][NJ], pose2[NO];
  for (int l = 0; l < NO; l++) outseed[l][l] = 1.0;
  memset(rows, 0, sizeof rows);
  __enzyme_autodiff((void *)fk, enzyme_width, NO, enzyme_dupv, sizeof rows[0], q, rows[0], enzyme_const, &arm,
                    enzyme_dupnoneedv, sizeof outseed[0], pose2, outseed[0]);

  for (int r = 0; r < NO; r++)
    for (int c = 0; c < NJ; c++) {
      CHECK_CLOSE("forward lanes = reverse lanes", dpose[c][r], rows[r][c], 1e-12, 1e-14);
      CHECK_CLOSE("Jacobian vs fd", rows[r][c], FD_AT(q[c], 1e-6, fk_out(q, &arm, r)), RTOL_FD, ATOL_FD);
    }

  /* one damped least-squares IK step toward a target: dq = J^T (J J^T + mu I)^-1 e, 3 task rows */
  double target[3] = {1.2, 1.4, 1.0};
  fk(q, &arm, pose);
  double e[4] = {target[0] - pose[0], target[1] - pose[1], target[2] - pose[2], 0.0};
  double A[4][4] = {{0}};
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++)
      for (int c = 0; c < NJ; c++) A[a][b] += rows[a][c] * rows[b][c];
  for (int a = 0; a < 4; a++) A[a][a] += 0.05;
  solve4(A, e);
  double qn[NJ];
  for (int c = 0; c < NJ; c++) {
    qn[c] = q[c];
    for (int a = 0; a < 3; a++) qn[c] += rows[a][c] * e[a];
  }
  double err0 = 0, err1 = 0, pn[NO];
  fk(qn, &arm, pn);
  for (int a = 0; a < 3; a++) err0 += (target[a] - pose[a]) * (target[a] - pose[a]), err1 += (target[a] - pn[a]) * (target[a] - pn[a]);
  CHECK_TRUE("IK step reduces the task error", err1 < err0);
  return check_report();
}
