/*
 * hessian — the dense Hessian of a 100-variable objective (issue 15): an extended Rosenbrock
 * function plus a log-sum-exp of 20 dense linear forms (so every pair of variables interacts).
 *
 * Two ways to the 100 x 100 Hessian, timed per Hessian:
 *   batched   — forward-over-reverse with enzyme_width 10: 10 calls of __enzyme_fwddiff on the
 *               gradient (itself __enzyme_autodiff), each the gradient once and 10 Hessian columns;
 *   separate  — 100 scalar Hessian-vector products (forward-over-reverse, one column each).
 * Also timed: the primal and one Hessian-vector product. Checks before timing: batched == separate
 * (to 1e-10 relative), symmetry, and central finite differences of the gradient (to 1e-5
 * relative). Standalone (its own main): run by benches/batched.sh; prints one RESULT line (JSON).
 */
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { N = 100, K = 20, W = 10 };

static double A[K][N];

static double urand(unsigned long long *s) {
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

__attribute__((noinline)) double objective(const double *restrict x) {
    double s = 0;
    for (int i = 0; i + 1 < N; i++) {
        double u = x[i + 1] - x[i] * x[i], v = 1.0 - x[i];
        s += 100.0 * u * u + v * v;
    }
    double m = 0;
    for (int k = 0; k < K; k++) {
        double z = 0;
        for (int j = 0; j < N; j++) z += A[k][j] * x[j];
        m += exp(z);
    }
    return s + log(m);
}

static void gradient(const double *x, double *g) {
    memset(g, 0, N * sizeof *g);
    __enzyme_autodiff((void *)objective, enzyme_dup, x, g);
}

/* Columns j0..j0+W-1 per call: H[j] = d gradient / d x_j. */
static void hess_batched(const double *x, double H[N][N]) {
    static double seeds[W][N];
    double g[N];
    for (int j0 = 0; j0 < N; j0 += W) {
        memset(seeds, 0, sizeof seeds);
        for (int k = 0; k < W; k++) seeds[k][j0 + k] = 1.0;
        __enzyme_fwddiff((void *)gradient, enzyme_width, W, enzyme_dupv, sizeof seeds[0], x, seeds[0],
                         enzyme_dupnoneedv, sizeof H[0], g, H[j0]);
    }
}

static void hvp(const double *x, const double *v, double *hv) {
    double g[N];
    __enzyme_fwddiff((void *)gradient, enzyme_dup, x, v, enzyme_dupnoneed, g, hv);
}

static void hess_separate(const double *x, double H[N][N]) {
    double seed[N];
    for (int j = 0; j < N; j++) {
        memset(seed, 0, sizeof seed);
        seed[j] = 1.0;
        hvp(x, seed, H[j]);
    }
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double sink;
static double X[N], V[N], HV[N];
static double HH[N][N];

static void run_primal(void) { sink += objective(X); }
static void run_hvp(void) { hvp(X, V, HV); sink += HV[3]; }
static void run_batched(void) { hess_batched(X, HH); sink += HH[5][7]; }
static void run_separate(void) { hess_separate(X, HH); sink += HH[7][5]; }

/* Median over 9 samples of the CPU time per call, each sample >= 20 ms. */
static double time_it(void (*f)(void)) {
    double samples[9];
    long reps = 1;
    for (;;) {
        double t0 = cpu_now();
        for (long r = 0; r < reps; r++) f();
        if (cpu_now() - t0 > 0.02) break;
        reps *= 2;
    }
    for (int s = 0; s < 9; s++) {
        double t0 = cpu_now();
        for (long r = 0; r < reps; r++) f();
        samples[s] = (cpu_now() - t0) / reps;
    }
    for (int i = 1; i < 9; i++)
        for (int j = i; j > 0 && samples[j] < samples[j - 1]; j--) {
            double t = samples[j];
            samples[j] = samples[j - 1];
            samples[j - 1] = t;
        }
    return samples[4];
}

int main(int argc, char **argv) {
    int check_only = argc > 1 && !strcmp(argv[1], "--check-only");
    unsigned long long s = 99;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++) A[k][j] = 0.2 * (urand(&s) - 0.5);
    for (int j = 0; j < N; j++) {
        X[j] = 0.5 + 0.5 * urand(&s);
        V[j] = urand(&s) - 0.5;
    }
    static double Hb[N][N], Hs[N][N];
    hess_batched(X, Hb);
    hess_separate(X, Hs);
    double big = 0;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) big = fmax(big, fabs(Hs[j][i]));
    int bad = 0;
    for (int j = 0; j < N && !bad; j++) {
        double xp[N], xm[N], gp[N], gm[N], h = 1e-6;
        memcpy(xp, X, sizeof xp);
        memcpy(xm, X, sizeof xm);
        xp[j] += h;
        xm[j] -= h;
        gradient(xp, gp);
        gradient(xm, gm);
        for (int i = 0; i < N; i++) {
            double e = Hs[j][i], fd = (gp[i] - gm[i]) / (2 * h);
            if (!(fabs(Hb[j][i] - e) <= 1e-10 * fabs(e) + 1e-12 * big) ||
                !(fabs(Hs[i][j] - e) <= 1e-10 * fabs(e) + 1e-12 * big) ||
                !(fabs(fd - e) <= 1e-5 * fabs(e) + 1e-6 * big)) {
                fprintf(stderr, "CHECK FAILED: H[%d][%d]: separate %.17g, batched %.17g, transposed %.17g, fd %.17g\n",
                        i, j, e, Hb[j][i], Hs[i][j], fd);
                bad = 1;
            }
        }
    }
    if (bad) return 1;
    if (check_only) {
        printf("hessian: checks passed\n");
        return 0;
    }
    /* Weighted sum of the entries, compared by the JAX peer (benches/jax/batched.py). */
    double checksum = 0;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) checksum += Hb[j][i] * ((i * N + j) % 7 + 1);
    double tp = time_it(run_primal), th = time_it(run_hvp);
    double tb = time_it(run_batched), ts = time_it(run_separate);
    printf("RESULT {\"bench\": \"hessian\", \"size\": \"n=%d width=%d\", \"primal_s\": %.6e, \"hvp_s\": %.6e, "
           "\"batched_s\": %.6e, \"separate_s\": %.6e, \"checksum\": %.17g}\n",
           N, W, tp, th, tb, ts, checksum);
    if (sink == 12345.678) printf("%g\n", sink);
    return 0;
}
