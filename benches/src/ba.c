/*
 * ba — bundle adjustment reprojection error, in ADBench's formulation,
 * written here from the math.
 *
 * Parameters (one flat vector, in this order):
 *   cams[nc][11]  per camera: Rodrigues rotation r (3), centre C (3), focal f,
 *                 principal point x0 (2), radial distortion kappa (2)
 *   pts[np][3]    3-D points
 *   w[nobs]       per-observation weights
 * Constants: obs[nobs] = (camera, point) pairs, feats[nobs][2] measurements.
 *
 * Per observation:  Xc = R(r) (X - C)   (Rodrigues; first-order form r x X
 *                                       when |r| is ~0, as in ADBench)
 *   p = Xc[0:2]/Xc[2];  p *= 1 + k1 |p|^2 + k2 |p|^4;  proj = f p + x0
 *   e = w (proj - feat)                 (reprojection residual, 2 values)
 *   e_w = 1 - w^2                       (weight residual, 1 value)
 * ADBench computes the sparse Jacobian of the residual vector. A reverse-mode
 * gradient needs a scalar, so this benchmark differentiates
 *   f = 0.5 * ( sum_obs |e|^2 + sum_obs e_w^2 )   (the Gauss-Newton objective),
 * whose gradient J^T e is what a first-order BA solver uses. Same residual
 * code, one reverse sweep instead of a Jacobian.
 * Sizes: ncams npoints nobs.
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *bench_name = "ba";

#define NCP 11
static long NC, NP, NO;
static double *X;     /* flat parameters */
static int *obs;      /* 2*NO */
static double *feats; /* 2*NO */

/* ---------------- primal ---------------- */
static void cross(const double *a, const double *b, double *out) {
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

static void rodrigues_rotate(const double *rot, const double *x, double *out) {
    double sqtheta = rot[0] * rot[0] + rot[1] * rot[1] + rot[2] * rot[2];
    if (sqtheta != 0) {
        double theta = sqrt(sqtheta);
        double ct = cos(theta), st = sin(theta);
        double wv[3] = {rot[0] / theta, rot[1] / theta, rot[2] / theta};
        double wx[3];
        cross(wv, x, wx);
        double dot = wv[0] * x[0] + wv[1] * x[1] + wv[2] * x[2];
        double tmp = dot * (1 - ct);
        for (int i = 0; i < 3; i++) out[i] = x[i] * ct + wx[i] * st + wv[i] * tmp;
    } else {
        double rx[3];
        cross(rot, x, rx);
        for (int i = 0; i < 3; i++) out[i] = x[i] + rx[i];
    }
}

#ifndef BA_PROJECT_ATTR
#define BA_PROJECT_ATTR
#endif
BA_PROJECT_ATTR static void project(const double *cam, const double *pt, double *proj) {
    double xm[3] = {pt[0] - cam[3], pt[1] - cam[4], pt[2] - cam[5]};
    double xc[3];
    rodrigues_rotate(cam, xm, xc);
    double p0 = xc[0] / xc[2], p1 = xc[1] / xc[2];
    double rsq = p0 * p0 + p1 * p1;
    double l = 1 + cam[9] * rsq + cam[10] * rsq * rsq;
    proj[0] = cam[6] * (p0 * l) + cam[7];
    proj[1] = cam[6] * (p1 * l) + cam[8];
}

__attribute__((noinline)) double ba_objective(long nc, long np, long nobs, const double *restrict cams,
                                              const double *restrict pts, const double *restrict w,
                                              const int *restrict obs, const double *restrict feats) {
    double s = 0;
    for (long i = 0; i < nobs; i++) {
        const double *cam = cams + (long)obs[2 * i] * NCP;
        const double *pt = pts + (long)obs[2 * i + 1] * 3;
        double proj[2];
        project(cam, pt, proj);
        double e0 = w[i] * (proj[0] - feats[2 * i]);
        double e1 = w[i] * (proj[1] - feats[2 * i + 1]);
        double ew = 1 - w[i] * w[i];
        s += e0 * e0 + e1 * e1 + ew * ew;
    }
    return 0.5 * s;
}

/* ---------------- hand-written adjoint ---------------- */
/* c = a x b:  da += b x dc,  db += dc x a */
static void cross_adj(const double *a, const double *b, const double *dc, double *da, double *db) {
    double t[3];
    cross(b, dc, t);
    for (int i = 0; i < 3; i++) da[i] += t[i];
    cross(dc, a, t);
    for (int i = 0; i < 3; i++) db[i] += t[i];
}

__attribute__((noinline)) void ba_grad_hand(long nc, long np, long nobs, const double *restrict cams,
                                            const double *restrict pts, const double *restrict w,
                                            const int *restrict obs, const double *restrict feats,
                                            double *restrict dcams, double *restrict dpts,
                                            double *restrict dw) {
    for (long i = 0; i < nobs; i++) {
        const double *cam = cams + (long)obs[2 * i] * NCP;
        const double *pt = pts + (long)obs[2 * i + 1] * 3;
        double *dcam = dcams + (long)obs[2 * i] * NCP;
        double *dpt = dpts + (long)obs[2 * i + 1] * 3;
        const double *r = cam;
        /* forward */
        double xm[3] = {pt[0] - cam[3], pt[1] - cam[4], pt[2] - cam[5]};
        double sq = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
        double xc[3], theta = 0, ct = 0, st = 0, wv[3] = {0, 0, 0}, wx[3] = {0, 0, 0}, dot = 0, tmp = 0;
        if (sq != 0) {
            theta = sqrt(sq);
            ct = cos(theta);
            st = sin(theta);
            for (int j = 0; j < 3; j++) wv[j] = r[j] / theta;
            cross(wv, xm, wx);
            dot = wv[0] * xm[0] + wv[1] * xm[1] + wv[2] * xm[2];
            tmp = dot * (1 - ct);
            for (int j = 0; j < 3; j++) xc[j] = xm[j] * ct + wx[j] * st + wv[j] * tmp;
        } else {
            double rx[3];
            cross(r, xm, rx);
            for (int j = 0; j < 3; j++) xc[j] = xm[j] + rx[j];
        }
        double p[2] = {xc[0] / xc[2], xc[1] / xc[2]};
        double rsq = p[0] * p[0] + p[1] * p[1];
        double k1 = cam[9], k2 = cam[10], f = cam[6];
        double l = 1 + k1 * rsq + k2 * rsq * rsq;
        double pd[2] = {p[0] * l, p[1] * l};
        double proj[2] = {f * pd[0] + cam[7], f * pd[1] + cam[8]};
        double u0 = proj[0] - feats[2 * i], u1 = proj[1] - feats[2 * i + 1];
        double e0 = w[i] * u0, e1 = w[i] * u1, ew = 1 - w[i] * w[i];
        /* reverse: f = 0.5 (e0^2 + e1^2 + ew^2) */
        dw[i] += e0 * u0 + e1 * u1 - 2 * w[i] * ew;
        double dproj[2] = {w[i] * e0, w[i] * e1};
        dcam[6] += dproj[0] * pd[0] + dproj[1] * pd[1];
        dcam[7] += dproj[0];
        dcam[8] += dproj[1];
        double dpd[2] = {f * dproj[0], f * dproj[1]};
        double dl = dpd[0] * p[0] + dpd[1] * p[1];
        double dp[2] = {dpd[0] * l, dpd[1] * l};
        dcam[9] += dl * rsq;
        dcam[10] += dl * rsq * rsq;
        double drsq = dl * (k1 + 2 * k2 * rsq);
        dp[0] += 2 * p[0] * drsq;
        dp[1] += 2 * p[1] * drsq;
        double dxc[3] = {dp[0] / xc[2], dp[1] / xc[2], -(dp[0] * xc[0] + dp[1] * xc[1]) / (xc[2] * xc[2])};
        double dxm[3] = {0, 0, 0}, dr[3] = {0, 0, 0};
        if (sq != 0) {
            double dct = 0, dst = 0, dtmp = 0, dwv[3] = {0, 0, 0}, dwx[3];
            for (int j = 0; j < 3; j++) {
                dxm[j] += dxc[j] * ct;
                dct += dxc[j] * xm[j];
                dwx[j] = dxc[j] * st;
                dst += dxc[j] * wx[j];
                dwv[j] += dxc[j] * tmp;
                dtmp += dxc[j] * wv[j];
            }
            double ddot = dtmp * (1 - ct);
            dct -= dtmp * dot;
            for (int j = 0; j < 3; j++) {
                dwv[j] += ddot * xm[j];
                dxm[j] += ddot * wv[j];
            }
            cross_adj(wv, xm, dwx, dwv, dxm);
            double dtheta = -st * dct + ct * dst;
            double wdot = 0;
            for (int j = 0; j < 3; j++) {
                dr[j] += dwv[j] / theta;
                wdot += dwv[j] * r[j];
            }
            dtheta -= wdot / (theta * theta);
            for (int j = 0; j < 3; j++) dr[j] += dtheta * r[j] / theta;
        } else {
            for (int j = 0; j < 3; j++) dxm[j] += dxc[j];
            cross_adj(r, xm, dxc, dr, dxm);
        }
        for (int j = 0; j < 3; j++) {
            dcam[j] += dr[j];
            dpt[j] += dxm[j];
            dcam[3 + j] -= dxm[j];
        }
    }
}

/* ---------------- bench interface ---------------- */
int bench_init(int nsizes, const long *sizes, bench_info *info) {
    NC = nsizes > 0 ? sizes[0] : 21;
    NP = nsizes > 1 ? sizes[1] : 11315;
    NO = nsizes > 2 ? sizes[2] : 36455;
    if (NC < 1 || NP < 1 || NO < 1) return 1;
    long n = NC * NCP + NP * 3 + NO;
    X = bench_xmalloc(sizeof(double) * n);
    obs = bench_xmalloc(sizeof(int) * 2 * NO);
    feats = bench_xmalloc(sizeof(double) * 2 * NO);
    double *cams = X, *pts = X + NC * NCP, *w = pts + NP * 3;
    /* cameras: small rotations, centres around the origin, f ~ 1, x0 ~ 0,
       small distortion; points in front of the cameras (z in [3, 5]) */
    for (long c = 0; c < NC; c++) {
        double *cam = cams + c * NCP;
        for (int j = 0; j < 3; j++) cam[j] = 0.2 * (bench_urand(21, c * NCP + j) - 0.5);
        for (int j = 3; j < 6; j++) cam[j] = 0.5 * (bench_urand(21, c * NCP + j) - 0.5);
        cam[6] = 0.8 + 0.4 * bench_urand(21, c * NCP + 6);
        cam[7] = 0.1 * (bench_urand(21, c * NCP + 7) - 0.5);
        cam[8] = 0.1 * (bench_urand(21, c * NCP + 8) - 0.5);
        cam[9] = 0.1 * (bench_urand(21, c * NCP + 9) - 0.5);
        cam[10] = 0.02 * (bench_urand(21, c * NCP + 10) - 0.5);
    }
    if (NC > 1) /* camera 1 exactly unrotated: exercises the |r| = 0 branch */
        cams[NCP + 0] = cams[NCP + 1] = cams[NCP + 2] = 0;
    for (long p = 0; p < NP; p++) {
        pts[3 * p + 0] = 2 * (bench_urand(22, 3 * p) - 0.5);
        pts[3 * p + 1] = 2 * (bench_urand(22, 3 * p + 1) - 0.5);
        pts[3 * p + 2] = 3 + 2 * bench_urand(22, 3 * p + 2);
    }
    bench_fill(w, NO, 23, 0.5, 1.5);
    for (long i = 0; i < NO; i++) {
        /* every point seen at least once; cameras round-robin, plus random */
        obs[2 * i] = (int)(bench_mix64(24 * 1000003ULL + i) % (uint64_t)NC);
        obs[2 * i + 1] = (int)(i < NP ? i : bench_mix64(25 * 1000003ULL + i) % (uint64_t)NP);
    }
    bench_fill(feats, 2 * NO, 26, -0.5, 0.5);
    info->nparams = n;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "cams=%ld pts=%ld obs=%ld", NC, NP, NO);
    info->size_metric = (double)NO;
    info->fd_coords = 40;
    return 0;
}

double bench_primal(void) {
    return ba_objective(NC, NP, NO, X, X + NC * NCP, X + NC * NCP + NP * 3, obs, feats);
}

void bench_grad_ferment(double *g) {
    long n = NC * NCP + NP * 3 + NO;
    memset(g, 0, sizeof(double) * n);
    long o1 = NC * NCP, o2 = NC * NCP + NP * 3;
    __enzyme_autodiff((void *)ba_objective, enzyme_const, NC, enzyme_const, NP, enzyme_const, NO, enzyme_dup, X, g,
                      enzyme_dup, X + o1, g + o1, enzyme_dup, X + o2, g + o2, enzyme_const, obs, enzyme_const,
                      feats);
}

void bench_grad_hand(double *g) {
    long n = NC * NCP + NP * 3 + NO;
    memset(g, 0, sizeof(double) * n);
    long o1 = NC * NCP, o2 = NC * NCP + NP * 3;
    ba_grad_hand(NC, NP, NO, X, X + o1, X + o2, obs, feats, g, g + o1, g + o2);
}
