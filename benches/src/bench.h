/*
 * bench.h — the contract between one benchmark translation unit and the
 * shared driver (harness.c).
 *
 * Each benchmark (gmm.c, ba.c, ...) is ONE translation unit compiled with the
 * ferment plugin. It holds the primal objective, the ferment gradient (a call
 * to __enzyme_autodiff) and a hand-written adjoint, and defines the functions
 * declared below. harness.c (compiled separately, never through the plugin)
 * owns main(): it reads sizes, checks the gradients, times everything and
 * prints one RESULT line. It also interposes malloc/free to measure the peak
 * heap of a gradient call (the tape), so that code must stay out of the
 * plugin's translation unit.
 *
 * Every benchmark packs its active inputs into ONE flat vector x of length
 * nparams (the layout JAX peers use too), so finite differences, the
 * gradient comparison and the checksums are generic.
 */
#ifndef FERMENT_BENCH_H
#define FERMENT_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_SIZES 8

typedef struct {
    /* filled by bench_init */
    long nparams;            /* length of the flat parameter vector x         */
    double *x;               /* the flat parameter vector (owned by the bench) */
    char size_label[128];    /* e.g. "d=10 k=25 n=1000"                       */
    double size_metric;      /* one number for plots (n, steps, ...)          */
    double min_tape_bytes;   /* > 0 where a minimum tape is meaningful        */
    double fd_step;          /* finite-difference step (default 1e-6)         */
    double fd_rtol;          /* tolerance for hand vs FD (default 1e-5)       */
    int fd_coords;           /* how many coordinates to FD-check (default 24) */
    double ad_rtol;          /* ferment vs hand, relative to max |g| (default 1e-9) */
} bench_info;

/* --- defined by each benchmark translation unit ---------------------------- */
extern const char *bench_name;
/* sizes: the integers given on the command line after the options */
int bench_init(int nsizes, const long *sizes, bench_info *info);
double bench_primal(void);          /* objective at the current x             */
void bench_grad_ferment(double *g); /* g = d objective / d x (g is zeroed here) */
void bench_grad_hand(double *g);    /* same, hand-written adjoint              */

/* --- provided by harness.c -------------------------------------------------- */
uint64_t bench_mix64(uint64_t z);
/* deterministic uniform [0,1) from (seed, i): splitmix64; jax/common.py has the same */
double bench_urand(uint64_t seed, uint64_t i);
void bench_fill(double *a, long n, uint64_t seed, double lo, double hi);
void *bench_xmalloc(size_t bytes);  /* calloc that aborts on failure */

#endif
