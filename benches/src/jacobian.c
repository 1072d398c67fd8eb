/*
 * jacobian — the dense Jacobian of a 32-input, 32-output chemistry-kinetics right-hand side
 * (issue 15): 31 species concentrations and the temperature; 64 reversible reactions with
 * Arrhenius rates k = A T^b exp(-E / T), mass-action products, and an energy equation.
 *
 * Three ways to the 32 x 32 Jacobian, timed per Jacobian:
 *   batched   — __enzyme_fwddiff with enzyme_width 8: 4 calls, each the primal once and 8
 *               tangent lanes (columns);
 *   separate  — the same 4 blocks of 8 columns as 8 scalar __enzyme_fwddiff calls each (32 calls);
 *   fd        — central finite differences (64 evaluations of the function);
 *   rev_batched  — __enzyme_autodiff with enzyme_width 8: 4 calls, each one forward sweep (primal
 *               and tape once) and one reverse sweep carrying 8 adjoint lanes (rows);
 *   rev_separate — the same rows by 32 scalar __enzyme_autodiff calls.
 * Checks before timing: batched == separate (to 1e-12 relative), reverse rows == forward columns
 * (to 1e-12 relative), all == finite differences (to 1e-5 relative, on the entries above 1e-6 of
 * the largest). Standalone (its own main): run by
 * benches/batched.sh, which writes report/BATCHED.md; prints one RESULT line (JSON).
 */
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NS = 31, N = NS + 1, NR = 64, W = 8 };

static double A[NR], B[NR], E[NR], KEQ[NR], H[NR];
static int RA[NR], RB[NR], PC[NR], PD[NR];

static double urand(unsigned long long *s) {
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

static void setup(double *y) {
    unsigned long long s = 15;
    for (int r = 0; r < NR; r++) {
        A[r] = 1e3 * (0.5 + urand(&s));
        B[r] = 1.5 * urand(&s) - 0.5;
        E[r] = 2000.0 + 6000.0 * urand(&s);
        KEQ[r] = 0.1 + 10.0 * urand(&s);
        H[r] = 500.0 * (urand(&s) - 0.5);
        RA[r] = r % NS;
        RB[r] = (7 * r + 3) % NS;
        PC[r] = (11 * r + 5) % NS;
        PD[r] = (13 * r + 9) % NS;
    }
    for (int i = 0; i < NS; i++) y[i] = 0.05 + urand(&s);
    y[NS] = 1200.0 + 200.0 * urand(&s);
}

/* dy/dt = f(y): species production rates, then the temperature's. */
__attribute__((noinline)) void rhs(const double *restrict y, double *restrict f) {
    double T = y[NS];
    for (int i = 0; i < N; i++) f[i] = 0.0;
    for (int r = 0; r < NR; r++) {
        double kf = A[r] * pow(T, B[r]) * exp(-E[r] / T);
        double kr = kf / KEQ[r];
        double w = kf * y[RA[r]] * y[RB[r]] - kr * y[PC[r]] * y[PD[r]];
        f[RA[r]] -= w;
        f[RB[r]] -= w;
        f[PC[r]] += w;
        f[PD[r]] += w;
        f[NS] -= H[r] * w * 1e-3;
    }
}

/* Columns j0..j0+7 of the Jacobian, one batched call: J[j][i] = d f_i / d y_j. */
static void jac_batched(const double *y, double J[N][N]) {
    double seeds[W][N] = {{0}}, out[N];
    for (int j0 = 0; j0 < N; j0 += W) {
        for (int k = 0; k < W; k++) {
            memset(seeds[k], 0, sizeof seeds[k]);
            seeds[k][j0 + k] = 1.0;
        }
        __enzyme_fwddiff((void *)rhs, enzyme_width, W, enzyme_dupv, sizeof seeds[0], y, seeds[0],
                         enzyme_dupnoneedv, sizeof J[0], out, J[j0]);
    }
}

/* The same columns by 8 scalar forward calls per block. */
static void jac_separate(const double *y, double J[N][N]) {
    double seed[N], out[N];
    for (int j0 = 0; j0 < N; j0 += W)
        for (int k = 0; k < W; k++) {
            memset(seed, 0, sizeof seed);
            seed[j0 + k] = 1.0;
            __enzyme_fwddiff((void *)rhs, enzyme_dup, y, seed, enzyme_dupnoneed, out, J[j0 + k]);
        }
}

/* Rows i0..i0+7 of the Jacobian, one batched reverse call: R[i][j] = d f_i / d y_j. */
static void jac_rev_batched(const double *y, double R[N][N]) {
    double seeds[W][N], out[N];
    for (int i0 = 0; i0 < N; i0 += W) {
        for (int k = 0; k < W; k++) {
            memset(seeds[k], 0, sizeof seeds[k]);
            seeds[k][i0 + k] = 1.0;
            memset(R[i0 + k], 0, sizeof R[0]);
        }
        __enzyme_autodiff((void *)rhs, enzyme_width, W, enzyme_dupv, sizeof R[0], y, R[i0],
                          enzyme_dupnoneedv, sizeof seeds[0], out, seeds[0]);
    }
}

/* The same rows by 32 scalar reverse calls. */
static void jac_rev_separate(const double *y, double R[N][N]) {
    double seed[N], out[N];
    for (int i = 0; i < N; i++) {
        memset(seed, 0, sizeof seed);
        seed[i] = 1.0;
        memset(R[i], 0, sizeof R[0]);
        __enzyme_autodiff((void *)rhs, enzyme_dup, y, R[i], enzyme_dupnoneed, out, seed);
    }
}

/* Central finite differences, 2N evaluations. */
static void jac_fd(const double *y, double J[N][N]) {
    double yp[N], fp[N], fm[N];
    for (int j = 0; j < N; j++) {
        double h = 1e-6 * fmax(1.0, fabs(y[j]));
        memcpy(yp, y, sizeof yp);
        yp[j] = y[j] + h;
        rhs(yp, fp);
        yp[j] = y[j] - h;
        rhs(yp, fm);
        for (int i = 0; i < N; i++) J[j][i] = (fp[i] - fm[i]) / (2 * h);
    }
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double sink;

/* Median over 9 samples of the CPU time per call, each sample >= 20 ms. */
static double time_it(void (*jac)(const double *, double[N][N]), const double *y) {
    static double J[N][N];
    double samples[9];
    long reps = 1;
    for (;;) {
        double t0 = cpu_now();
        for (long r = 0; r < reps; r++) jac(y, J);
        if (cpu_now() - t0 > 0.02) break;
        reps *= 2;
    }
    for (int s = 0; s < 9; s++) {
        double t0 = cpu_now();
        for (long r = 0; r < reps; r++) jac(y, J);
        samples[s] = (cpu_now() - t0) / reps;
        sink += J[s % N][(s * 7) % N];
    }
    for (int i = 1; i < 9; i++)
        for (int j = i; j > 0 && samples[j] < samples[j - 1]; j--) {
            double t = samples[j];
            samples[j] = samples[j - 1];
            samples[j - 1] = t;
        }
    return samples[4];
}

static void primal_jac(const double *y, double J[N][N]) { rhs(y, J[0]); }

int main(int argc, char **argv) {
    int check_only = argc > 1 && !strcmp(argv[1], "--check-only");
    static double y[N], Jb[N][N], Js[N][N], Jf[N][N], Rb[N][N], Rs[N][N];
    setup(y);
    jac_batched(y, Jb);
    jac_separate(y, Js);
    jac_fd(y, Jf);
    jac_rev_batched(y, Rb);
    jac_rev_separate(y, Rs);
    double big = 0;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) big = fmax(big, fabs(Js[j][i]));
    int bad = 0;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) {
            double s = Js[j][i];
            if (!(fabs(Jb[j][i] - s) <= 1e-12 * fabs(s) + 1e-14 * big)) {
                fprintf(stderr, "CHECK FAILED: batched J[%d][%d] = %.17g, separate %.17g\n", i, j, Jb[j][i], s);
                bad = 1;
            }
            if (!(fabs(Rb[i][j] - s) <= 1e-12 * fabs(s) + 1e-14 * big) ||
                !(fabs(Rs[i][j] - s) <= 1e-12 * fabs(s) + 1e-14 * big)) {
                fprintf(stderr, "CHECK FAILED: reverse J[%d][%d] = %.17g (batched), %.17g (separate), forward %.17g\n",
                        i, j, Rb[i][j], Rs[i][j], s);
                bad = 1;
            }
            if (fabs(s) > 1e-6 * big && !(fabs(Jf[j][i] - s) <= 1e-5 * fabs(s) + 1e-7 * big)) {
                fprintf(stderr, "CHECK FAILED: J[%d][%d] = %.17g, finite differences %.17g\n", i, j, s, Jf[j][i]);
                bad = 1;
            }
        }
    if (bad) return 1;
    if (check_only) {
        printf("jacobian: checks passed\n");
        return 0;
    }
    /* Weighted sum of the entries, compared by the JAX peer (benches/jax/batched.py). */
    double checksum = 0;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) checksum += Jb[j][i] * ((i * N + j) % 7 + 1);
    double tp = time_it(primal_jac, y);
    double tb = time_it(jac_batched, y);
    double ts = time_it(jac_separate, y);
    double tf = time_it(jac_fd, y);
    double trb = time_it(jac_rev_batched, y);
    double trs = time_it(jac_rev_separate, y);
    printf("RESULT {\"bench\": \"jacobian\", \"size\": \"n=%d width=%d\", \"primal_s\": %.6e, \"batched_s\": %.6e, "
           "\"separate_s\": %.6e, \"fd_s\": %.6e, \"rev_batched_s\": %.6e, \"rev_separate_s\": %.6e, "
           "\"checksum\": %.17g}\n",
           N, W, tp, tb, ts, tf, trb, trs, checksum);
    if (sink == 12345.678) printf("%g\n", sink);
    return 0;
}
