/* fuzz_oracle.h: the checks every ferment-fuzz program runs (see fuzz/src/harness.rs).
 *
 * Included after the program has defined: NX, NY (sizes of the flattened inputs and outputs),
 * X0, V, P, W, XA (the evaluation point, tangent, move direction, output weights, current point),
 * F (the flattened primal, through the recording copy), SINGLE, OMP, BREV_PRINT and the FD_*
 * step sizes and tolerances. The program then defines `ad`, which runs every AD mode at XA and
 * checks them against each other; this header provides `main`.
 */
#ifndef FERMENT_FUZZ_ORACLE_H
#define FERMENT_FUZZ_ORACLE_H

/* The finite-difference oracle is used only where the recorded path (every comparison, kink and
   jump of the recording copy) is the same at x - h v, x and x + h v for both steps: there the
   primal is smooth along v, whatever the program's branches. */
static unsigned long long Fp(const double *X, double *Y) {
  path_hash = 14695981039346656037ULL;
  frt_n = 0;
  F(X, Y);
  return path_hash;
}

static int path_stable(const double *X, double h) {
  double x[NX + 1], y[NY];
  unsigned long long p0 = Fp(X, y);
  for (int s = -1; s <= 1; s += 2) {
    for (int i = 0; i < NX; i++)
      x[i] = X[i] + s * h * V[i];
    if (Fp(x, y) != p0)
      return 0;
  }
  return 1;
}

static void fd(const double *X, double h, double *out) {
  double xp[NX + 1], xm[NX + 1], yp[NY], ym[NY];
  for (int i = 0; i < NX; i++) {
    xp[i] = X[i] + h * V[i];
    xm[i] = X[i] - h * V[i];
  }
  Fp(xp, yp);
  Fp(xm, ym);
  for (int i = 0; i < NY; i++)
    out[i] = (yp[i] - ym[i]) / (2.0 * h);
}

/* The primal at XA; 0 when it is not finite there. Sets `scale`. */
static double scale = 1.0;
static int primal_ok(void) {
  double y[NY];
  Fp(XA, y);
  scale = 1.0;
  for (int i = 0; i < NY; i++) {
    if (!isfinite(y[i]))
      return 0;
    scale = fmax(scale, fabs(y[i]));
  }
  return 1;
}

#if SINGLE
/* With single-precision round trips inside, forward mode rounds the tangent t_k that passes
   through round trip k to float and reverse mode rounds its adjoint a_k (the sensitivity of
   <w, Y> to the trip's output), each by at most 2^-24 relative. After cancellation the result can
   be far smaller than those terms (seed 300038: ~200x), so <J v, w> and <v, J^T w> may differ by
   about 2^-24 sum_k |t_k a_k| however small they are: the dot check allows 8x that on top of its
   relative tolerance. Both factors come from the recording copy (not from the AD under test):
   t_k by central differences of the trip's input along v, a_k by perturbing the trip's output
   alone, each on an unchanged path (smaller steps if not). -1 (no extra allowance) when neither
   works or there are too many trips. */
static double frt_last = -1.0;
static double frt_bound(void) {
  static double tp[FRT_MAX], tm[FRT_MAX], base[FRT_MAX];
  double xp[NX + 1], xm[NX + 1], y[NY], yp[NY], ym[NY], b = 0.0;
  unsigned long long p0 = Fp(XA, y);
  int n = frt_n, ok = 0;
  if (n > FRT_MAX)
    return -1.0;
  memcpy(base, frt_out, n * sizeof(double));
  for (double h = FD_H2; h > 1e-8 && !ok; h *= 0.1) {
    for (int i = 0; i < NX; i++) {
      xp[i] = XA[i] + h * V[i];
      xm[i] = XA[i] - h * V[i];
    }
    if (Fp(xp, y) != p0 || frt_n != n)
      continue;
    memcpy(tp, frt_in, n * sizeof(double));
    if (Fp(xm, y) != p0 || frt_n != n)
      continue;
    memcpy(tm, frt_in, n * sizeof(double));
    for (int k = 0; k < n; k++)
      tp[k] = (tp[k] - tm[k]) / (2.0 * h);
    ok = 1;
  }
  if (!ok)
    return -1.0;
  for (int k = 0; k < n; k++) {
    double a = -1.0, m = fabs(base[k]) + 1e-3;
    for (double d = 1e-4 * m; d > 1e-8 * m; d *= 0.1) {
      unsigned long long pp, pm;
      frt_hit = k;
      frt_delta = d;
      pp = Fp(XA, yp);
      frt_delta = -d;
      pm = Fp(XA, ym);
      frt_hit = -1;
      if (pp != p0 || pm != p0)
        continue;
      a = 0.0;
      for (int i = 0; i < NY; i++)
        a += W[i] * (yp[i] - ym[i]) / (2.0 * d);
      a = fabs(a);
      break;
    }
    if (a < 0.0)
      return -1.0;
    b += fabs(tp[k]) * a;
  }
  return b;
}
#endif

#ifdef HVP
/* The hvp variant (fuzz/src/harness.rs `hessian`): GRAD(X, G) is J^T w at X by reverse mode;
   `ad` sets HV_AD to forward mode of GRAD along v (H v, H the Hessian of <w, F>) and
   hv_scale to the largest magnitude of the gradient and the products (at least 1). */
static void GRAD(const double *XG, double *G);
static double HV_AD[NX + 1], hv_scale = 1.0;

/* Central differences of GRAD along v at XA (where the recorded path is stable) with two steps
   that must agree, against H v; "noisy" when they disagree. */
static void hvp_fd_check(void) {
  double xp[NX + 1], xm[NX + 1], gp[NX + 1], gm[NX + 1], d[2][NX + 1];
  const double h[2] = {FD_H1, FD_H2};
  for (int s = 0; s < 2; s++) {
    for (int i = 0; i < NX; i++) {
      xp[i] = XA[i] + h[s] * V[i];
      xm[i] = XA[i] - h[s] * V[i];
    }
    GRAD(xp, gp);
    GRAD(xm, gm);
    for (int i = 0; i < NX; i++)
      d[s][i] = (gp[i] - gm[i]) / (2.0 * h[s]);
  }
  for (int i = 0; i < NX; i++)
    if (!(fabs(d[0][i] - d[1][i]) <= FD_AGREE * (fabs(d[0][i]) + fabs(d[1][i])) + 1e-2 * FD_AGREE * hv_scale)) {
      printf("hvp-fd: noisy\n");
      return;
    }
  for (int i = 0; i < NX; i++)
    CHECK_CLOSE("forward-over-reverse H v vs finite differences of the gradient", HV_AD[i], d[1][i], FD_RTOL, FD_ATOL * hv_scale);
  printf("hvp-fd: checked\n");
}
#endif

/* Every AD mode at XA (defined by the program). */
static void ad(double *JV, double *JTW, double *rhs_out, double *mag_out);

/* Central differences at XA with two steps; 0 (nothing checked) when they disagree. */
static int fd_check(const double *JV, double rhs, double mag) {
  double fa[NY], fb[NY], fdw = 0.0;
  fd(XA, FD_H1, fa);
  fd(XA, FD_H2, fb);
  for (int i = 0; i < NY; i++)
    if (!(fabs(fa[i] - fb[i]) <= FD_AGREE * (fabs(fa[i]) + fabs(fb[i])) + 1e-2 * FD_AGREE * scale))
      return 0;
  for (int i = 0; i < NY; i++) {
    fdw += fb[i] * W[i];
    CHECK_CLOSE("forward J v vs finite differences", JV[i], fb[i], FD_RTOL, FD_ATOL * scale);
  }
  CHECK_CLOSE("reverse <v, J^T w> vs finite differences", rhs, fdw, FD_RTOL, FD_ATOL * scale * (1.0 + mag));
  return 1;
}

/* What the previous oracle concluded, for the campaign's statistics only (it checks
   nothing): finite differences at X0 whenever the two steps agree, no path record, none in
   single precision. "wrong" there while every check passes here is a false positive the
   path record removes. */
static const char *old_fd(const double *JV, double rhs, double mag) {
  double fa[NY], fb[NY], fdw = 0.0;
  if (SINGLE)
    return "skipped";
  fd(XA, FD_H1, fa);
  fd(XA, FD_H2, fb);
  for (int i = 0; i < NY; i++)
    if (!(fabs(fa[i] - fb[i]) <= FD_AGREE * (fabs(fa[i]) + fabs(fb[i])) + 1e-2 * FD_AGREE * scale))
      return "skipped";
  for (int i = 0; i < NY; i++) {
    fdw += fb[i] * W[i];
    if (!(fabs(JV[i] - fb[i]) <= FD_RTOL * fabs(fb[i]) + FD_ATOL * scale))
      return "wrong";
  }
  if (!(fabs(rhs - fdw) <= FD_RTOL * fabs(fdw) + FD_ATOL * scale * (1.0 + mag)))
    return "wrong";
  return "checked";
}

/* Every check at one thread count; 0 when the primal is not finite (nothing checked). */
static int run_checks(void) {
  double JV[NY], JTW[NX + 1], rhs, mag;
  memcpy(XA, X0, sizeof X0);
  if (!primal_ok()) {
    printf("skip: nonfinite primal\n");
    return 0;
  }
  ad(JV, JTW, &rhs, &mag);
  printf("cmp-rtol %g\n", SINGLE ? 1e-5 : 1e-8);
#if SINGLE
  printf("frt-bound %g\n", frt_last);
#endif
  for (int i = 0; i < NY; i++)
    printf("JV %d %.17g\n", i, JV[i]);
  for (int i = 0; i < NX; i++)
    printf("JTW %d %.17g\n", i, JTW[i]);
#ifdef HVP
  printf("hvp: checked\n");
  for (int i = 0; i < NX; i++)
    printf("HV %d %.17g\n", i, HV_AD[i]);
#endif
  printf("old-fd: %s\n", old_fd(JV, rhs, mag));
  BREV_PRINT;
  /* The first of X0, X0 + 1e-3 P, X0 + 2e-3 P, ... where the path is locally constant
     along v; all AD modes are checked again there. */
  for (int t = 0; t < 8; t++) {
    for (int i = 0; i < NX; i++)
      XA[i] = X0[i] + 1e-3 * t * P[i];
    if (!primal_ok() || !path_stable(XA, FD_H1) || !path_stable(XA, FD_H2))
      continue;
    if (t > 0)
      ad(JV, JTW, &rhs, &mag);
#ifdef HVP
    hvp_fd_check();
#endif
    if (fd_check(JV, rhs, mag))
      printf("fd: checked%s at point %d\n", SINGLE ? " (single precision)" : "", t);
    else
      printf("fd: noisy: the path is stable but the two steps disagree\n");
    return 1;
  }
  printf("fd: unstable: the path changes within the step at every point tried\n");
  return 1;
}

/* With OpenMP, everything again with 1, 2 and 4 threads (the recording copy runs
   serially, so the finite differences are the same each time). */
int main(void) {
#if OMP
  static const int nt[3] = {1, 2, 4};
  for (int q = 0; q < 3; q++) {
    omp_set_num_threads(nt[q]);
    if (!run_checks())
      return 0;
  }
#else
  if (!run_checks())
    return 0;
#endif
  return check_report();
}

#endif
