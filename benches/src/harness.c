/*
 * harness.c — the shared driver of every benchmark binary (see bench.h).
 *
 * Compiled WITHOUT the ferment plugin and linked with one benchmark
 * translation unit. It:
 *   1. initialises the benchmark at the sizes given on the command line;
 *   2. checks the hand-written adjoint against central finite differences
 *      (a set of coordinates plus random directions) and the ferment gradient
 *      against the hand-written one, component by component; any mismatch
 *      prints CHECK FAILED and exits with status 1 before anything is timed;
 *   3. times the primal, the ferment gradient and the hand-written gradient
 *      (warm-up, then interleaved repeated samples; reports the median CPU
 *      time per call, and the median wall time);
 *   4. measures the peak heap growth during one gradient call (the tape and
 *      shadow buffers) by interposing malloc/calloc/realloc/free;
 *   5. prints one line `RESULT {json}` that benches/run.py collects.
 *
 * Usage: BIN [--reps R] [--min-sample-ms M] [--max-sec S] [--tools LIST]
 *            [--check-only] [--no-check] SIZE...
 *   LIST is a comma list of primal,ferment,hand (default: all three).
 */
#define _GNU_SOURCE
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>

/* ---------------------------------------------------------------------------
 * Heap accounting: the executable defines malloc & co., so every allocation
 * in the process (including the ferment-generated tape and shadow buffers)
 * comes through here. glibc documents replacing malloc this way; the real
 * allocator stays reachable as __libc_malloc & co.
 * ------------------------------------------------------------------------- */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static long long heap_cur, heap_peak, heap_allocs;

static void heap_add(void *p) {
    if (!p) return;
    heap_cur += (long long)malloc_usable_size(p);
    heap_allocs++;
    if (heap_cur > heap_peak) heap_peak = heap_cur;
}
static void heap_sub(void *p) {
    if (!p) return;
    heap_cur -= (long long)malloc_usable_size(p);
}
void *malloc(size_t n) {
    void *p = __libc_malloc(n);
    heap_add(p);
    return p;
}
void *calloc(size_t a, size_t b) {
    void *p = __libc_calloc(a, b);
    heap_add(p);
    return p;
}
void *realloc(void *q, size_t n) {
    heap_sub(q);
    void *p = __libc_realloc(q, n);
    if (p) heap_add(p);
    else heap_add(q); /* failed realloc keeps q */
    return p;
}
void free(void *p) {
    heap_sub(p);
    __libc_free(p);
}

/* --------------------------------------------------------------------------- */
uint64_t bench_mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
double bench_urand(uint64_t seed, uint64_t i) {
    uint64_t key = seed * 0x100000001b3ULL;
    return (double)(bench_mix64(key ^ i) >> 11) * 0x1p-53;
}
void bench_fill(double *a, long n, uint64_t seed, double lo, double hi) {
    for (long i = 0; i < n; i++) a[i] = lo + (hi - lo) * bench_urand(seed, (uint64_t)i);
}
void *bench_xmalloc(size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
    return p;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
/* CPU time of this (single-threaded) process, user + system: what the run
 * costs even when other processes on a shared machine take turns on the core */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ----- options ----- */
static int opt_reps = 7;
static double opt_min_sample = 0.02; /* seconds per sample */
static double opt_max_sec = 4.0;     /* time budget per measured tool */

static double *g_buf;                /* gradient output used while timing */
static volatile double sink;

enum { T_PRIMAL, T_FERMENT, T_HAND };
static void run_once(int which) {
    switch (which) {
    case T_PRIMAL: sink = bench_primal(); break;
    case T_FERMENT: bench_grad_ferment(g_buf); sink = g_buf[0]; break;
    case T_HAND: bench_grad_hand(g_buf); sink = g_buf[0]; break;
    }
}

static double median(double *s, int n) {
    qsort(s, n, sizeof(double), cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* Times the wanted tools with INTERLEAVED samples (primal, ferment, hand,
 * primal, ...), so that a burst of load on the shared machine hits all of
 * them alike. Each sample repeats the call `inner` times (calibrated so a
 * sample lasts >= min_sample); two warm-up samples first. Per tool: median
 * CPU seconds per call (t), median wall seconds per call (wall). */
static void time_all(const int *want, double *t, double *wall, int *nsamples, int *inner_out) {
    long inner[3] = {0, 0, 0};
    double per[3] = {0, 0, 0};
    for (int w = 0; w < 3; w++) {
        if (!want[w]) continue;
        double t0 = cpu_now();
        run_once(w); /* warm-up (also faults pages in) */
        double t1 = cpu_now() - t0;
        if (t1 < 1e-9) t1 = 1e-9;
        inner[w] = (long)ceil(opt_min_sample / t1);
        if (inner[w] < 1) inner[w] = 1;
        t0 = cpu_now();
        for (long k = 0; k < inner[w]; k++) run_once(w); /* second warm-up, calibrated length */
        per[w] = (cpu_now() - t0); /* seconds per sample */
    }
    double round = 0;
    for (int w = 0; w < 3; w++) round += per[w];
    int reps = opt_reps;
    /* the budget is per tool: 3 tools get 3x the time */
    int ntools = want[0] + want[1] + want[2];
    while (reps > 3 && reps * round > opt_max_sec * ntools) reps--;
    double *sc[3], *sw[3];
    for (int w = 0; w < 3; w++) {
        sc[w] = malloc(sizeof(double) * reps);
        sw[w] = malloc(sizeof(double) * reps);
    }
    for (int r = 0; r < reps; r++)
        for (int w = 0; w < 3; w++) {
            if (!want[w]) continue;
            double c0 = cpu_now(), w0 = now();
            for (long k = 0; k < inner[w]; k++) run_once(w);
            sw[w][r] = (now() - w0) / inner[w];
            sc[w][r] = (cpu_now() - c0) / inner[w];
        }
    for (int w = 0; w < 3; w++) {
        if (want[w]) {
            t[w] = median(sc[w], reps);
            wall[w] = median(sw[w], reps);
            nsamples[w] = reps;
            inner_out[w] = (int)inner[w];
        }
        free(sc[w]);
        free(sw[w]);
    }
}

static long long leak[3];
static long long peak_of(int which) {
    long long base = heap_cur;
    heap_peak = heap_cur;
    run_once(which);
    leak[which] = heap_cur - base; /* heap still held after the call: a leak */
    return heap_peak - base;
}

static double maxabs(const double *g, long n) {
    double m = 0;
    for (long i = 0; i < n; i++) m = fmax(m, fabs(g[i]));
    return m;
}

static int failures;
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "CHECK FAILED [%s]: ", bench_name);                                        \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        failures++;                                                                                \
    } while (0)

/* central finite difference of the objective along direction v */
static double fd_dir(bench_info *info, const double *v, double h) {
    long n = info->nparams;
    double *x = info->x;
    double *save = malloc(sizeof(double) * n);
    memcpy(save, x, sizeof(double) * n);
    for (long i = 0; i < n; i++) x[i] = save[i] + h * v[i];
    double fp = bench_primal();
    for (long i = 0; i < n; i++) x[i] = save[i] - h * v[i];
    double fm = bench_primal();
    memcpy(x, save, sizeof(double) * n);
    free(save);
    return (fp - fm) / (2 * h);
}
static double fd_coord(bench_info *info, long i, double h) {
    double *x = info->x;
    double xi = x[i];
    double hi = h * fmax(1.0, fabs(xi));
    x[i] = xi + hi;
    double fp = bench_primal();
    x[i] = xi - hi;
    double fm = bench_primal();
    x[i] = xi;
    return (fp - fm) / (2 * hi);
}

static void check(bench_info *info, double *max_fd_err, double *max_ad_err) {
    long n = info->nparams;
    double *gh = bench_xmalloc(sizeof(double) * n);
    double *gf = bench_xmalloc(sizeof(double) * n);
    bench_grad_hand(gh);
    double gscale = maxabs(gh, n);
    if (!(gscale > 0) || !isfinite(gscale)) FAIL("hand-written gradient is zero or not finite (max |g| = %g)", gscale);

    /* 1. hand-written adjoint vs central finite differences */
    double h = info->fd_step > 0 ? info->fd_step : 1e-6;
    if (getenv("BENCH_FD_STEP")) h = atof(getenv("BENCH_FD_STEP"));
    double rtol = info->fd_rtol > 0 ? info->fd_rtol : 1e-5;
    int ncoord = info->fd_coords > 0 ? info->fd_coords : 24;
    /* what central differences cannot resolve: rounding of f, amplified by 1/h */
    double noise = 64 * 2.220446049250313e-16 * fmax(1.0, fabs(bench_primal())) / h;
    double worst = 0;
    for (int c = 0; c < ncoord && c < n; c++) {
        long i = (ncoord >= n) ? c : (long)(bench_mix64(1234567u + c) % (uint64_t)n);
        if (c == 0) i = 0;
        if (c == 1) i = n - 1;
        double fd = fd_coord(info, i, h);
        double err = fabs(fd - gh[i]) / (fabs(gh[i]) + 1e-2 * gscale + noise / fmax(1.0, fabs(info->x[i])));
        if (err > worst) worst = err;
        if (!(err <= rtol)) FAIL("hand vs FD at x[%ld]: hand %.12g, FD %.12g (rel err %.3g > %.3g)", i, gh[i], fd, err, rtol);
    }
    double *v = malloc(sizeof(double) * n);
    for (int d = 0; d < 3; d++) {
        double s = 0, sa = 0;
        for (long i = 0; i < n; i++) {
            v[i] = bench_urand(4242 + d, i) - 0.5;
            s += v[i] * gh[i];
            sa += fabs(v[i] * gh[i]);
        }
        double fd = fd_dir(info, v, h);
        double err = fabs(fd - s) / (fabs(s) + 1e-2 * sa + noise);
        if (err > worst) worst = err;
        if (!(err <= rtol)) FAIL("hand vs FD along random direction %d: hand %.12g, FD %.12g (rel err %.3g)", d, s, fd, err);
    }
    free(v);
    *max_fd_err = worst;

    /* 2. ferment vs hand-written, every component; and again (idempotent, shadows re-zeroed) */
    double worst2 = 0;
    double ad_rtol = info->ad_rtol > 0 ? info->ad_rtol : 1e-9;
    for (int pass = 0; pass < 2; pass++) {
        for (long i = 0; i < n; i++) gf[i] = NAN;
        bench_grad_ferment(gf);
        for (long i = 0; i < n; i++) {
            double err = fabs(gf[i] - gh[i]) / (1e-3 * fabs(gh[i]) + gscale + 1e-300);
            if (err > worst2 || isnan(err)) worst2 = isnan(err) ? INFINITY : err;
            if (!(err <= ad_rtol)) {
                FAIL("ferment vs hand at g[%ld] (call %d): ferment %.15g, hand %.15g", i, pass + 1, gf[i], gh[i]);
                break;
            }
        }
    }
    *max_ad_err = worst2;
    free(gh);
    free(gf);
}

int main(int argc, char **argv) {
    long sizes[BENCH_MAX_SIZES];
    int nsizes = 0, check_only = 0, no_check = 0;
    int want[3] = {1, 1, 1};
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--reps") && a + 1 < argc) opt_reps = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--min-sample-ms") && a + 1 < argc) opt_min_sample = atof(argv[++a]) * 1e-3;
        else if (!strcmp(argv[a], "--max-sec") && a + 1 < argc) opt_max_sec = atof(argv[++a]);
        else if (!strcmp(argv[a], "--check-only")) check_only = 1;
        else if (!strcmp(argv[a], "--no-check")) no_check = 1;
        else if (!strcmp(argv[a], "--tools") && a + 1 < argc) {
            const char *l = argv[++a];
            want[0] = strstr(l, "primal") != NULL;
            want[1] = strstr(l, "ferment") != NULL;
            want[2] = strstr(l, "hand") != NULL;
        } else if (nsizes < BENCH_MAX_SIZES) sizes[nsizes++] = atol(argv[a]);
    }
    if (opt_reps < 1) opt_reps = 1;

    bench_info info;
    memset(&info, 0, sizeof info);
    if (bench_init(nsizes, sizes, &info) != 0) {
        fprintf(stderr, "%s: bad sizes\n", bench_name);
        return 2;
    }
    g_buf = bench_xmalloc(sizeof(double) * info.nparams);

    double fd_err = -1, ad_err = -1;
    if (!no_check) {
        check(&info, &fd_err, &ad_err);
        if (failures) {
            fprintf(stderr, "%s (%s): %d check(s) failed; not timing.\n", bench_name, info.size_label, failures);
            return 1;
        }
        fprintf(stderr, "%s (%s): checks passed (hand vs FD rel err %.2g, ferment vs hand %.2g)\n", bench_name,
                info.size_label, fd_err, ad_err);
    }
    double obj = bench_primal();
    /* gradient checksum, compared with the JAX peer: sum g_i * (1 + u_i) */
    bench_grad_hand(g_buf);
    double csum = 0;
    for (long i = 0; i < info.nparams; i++) csum += g_buf[i] * (1.0 + bench_urand(777, i));
    if (check_only) return 0;

    double t[3] = {-1, -1, -1}, wall[3] = {-1, -1, -1};
    int ns[3] = {0}, inner[3] = {0};
    long long peak[3] = {-1, -1, -1};
    for (int w = 0; w < 3; w++)
        if (want[w]) peak[w] = peak_of(w);
    time_all(want, t, wall, ns, inner);
    printf("RESULT {\"bench\":\"%s\",\"size\":\"%s\",\"size_metric\":%.17g,\"nparams\":%ld,"
           "\"objective\":%.17g,\"checksum\":%.17g,\"fd_err\":%.3g,\"ad_err\":%.3g,"
           "\"primal_s\":%.6g,\"ferment_s\":%.6g,\"hand_s\":%.6g,"
           "\"primal_wall_s\":%.6g,\"ferment_wall_s\":%.6g,\"hand_wall_s\":%.6g,"
           "\"samples\":[%d,%d,%d],\"inner\":[%d,%d,%d],"
           "\"primal_heap\":%lld,\"ferment_heap\":%lld,\"hand_heap\":%lld,\"min_tape\":%.17g,"
           "\"ferment_leak\":%lld,\"hand_leak\":%lld}\n",
           bench_name, info.size_label, info.size_metric, info.nparams, obj, csum, fd_err, ad_err, t[0], t[1], t[2], wall[0], wall[1], wall[2],
           ns[0], ns[1], ns[2], inner[0], inner[1], inner[2], peak[0], peak[1], peak[2], info.min_tape_bytes,
           want[1] ? leak[1] : -1, want[2] ? leak[2] : -1);
    return 0;
}
