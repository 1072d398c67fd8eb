// CFLAGS: -fopenmp -mllvm -ferment-tape-arena
// Tape rows from the tape arena (plugin/src/reverse/tape/arena.c): fresh rows of 64 KiB up to
// 4 MiB come from a per-thread stack in one reservation advised to use huge pages, kept for the
// thread's next gradient; rows may be released by any thread, in any order.
// - heat(u, v, n, steps, kappa): omp_stencil's time loop of forked Jacobi steps, one tape row per
//   fork and thread (n = 40000: 320 KB with one thread, 80 KB with four, from the arena; n = 300:
//   from the heap; n = 600000: a 4.8 MB row with one thread, from the heap, 1.2 MB with four),
//   three gradients in a row per size and thread count (the arena's blocks reused), checked
//   with 1, 2 and 4 threads against central differences of the primal on one thread along
//   random directions and at single elements, and against forward mode;
// - chain(w, n): split mode with the reverse on another thread than the augmented forward: two
//   threads each take a tape (a 160 KB row, on top of their own arena stacks), meet at a
//   barrier and each reverses the other's tape, so every row is released by a thread that does
//   not own it (the owner pops it on its next take); twice in a row; against central
//   differences;
// - the arena's reservation costs address space only: after the gradients above, no readable
//   mapping of 1 GiB or more exists (valgrind's leak check scans every readable mapping; the
//   session 33 arena reserved its 32 GiB readable and writable, and each run under memcheck
//   then scanned all of it at exit: loops/tape_sizing.c 2.5 -> 44 s of CPU), and a mapping
//   without access of 16 GiB or more does (the reservation: the rows above came from it).
#include "omp_check.h"

void *__enzyme_augmentfwd(void *, ...);
void __enzyme_reverse(void *, ...);

static const double R = 0.25, DT = 0.01;

double heat(double *restrict u, double *restrict v, long n, long steps,
            const double *restrict kappa) {
  double k = kappa[0];
  v[0] = u[0];
  v[n - 1] = u[n - 1];
  for (long t = 0; t < steps; t++) {
#pragma omp parallel for schedule(static)
    for (long i = 1; i < n - 1; i++) {
      double c = u[i];
      v[i] = c + R * (u[i - 1] - 2 * c + u[i + 1]) - DT * k * c * c * c;
    }
    double *w = u;
    u = v;
    v = w;
  }
  double f = 0;
#pragma omp parallel for reduction(+ : f) schedule(static)
  for (long i = 0; i < n; i++)
    f += (0.5 + 0.001 * (double)(i % 7)) * u[i] * u[i];
  return 0.5 * f;
}

enum { STEPS = 6 };

/* The primal on one thread at (u0 + s t, kappa + s tk). */
static double heat_at(const double *u0, const double *t, double kappa, double tk, double s,
                      long n) {
  double *u = malloc(sizeof(double) * n), *v = malloc(sizeof(double) * n);
  for (long i = 0; i < n; i++)
    u[i] = u0[i] + s * (t ? t[i] : 0.0);
  double k = kappa + s * tk;
  int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  double f = heat(u, v, n, STEPS, &k);
  omp_set_num_threads(threads);
  free(u);
  free(v);
  return f;
}

static void heat_check(long n, unsigned seed) {
  double *u0 = malloc(sizeof(double) * n), *t = malloc(sizeof(double) * n);
  double *u = malloc(sizeof(double) * n), *v = malloc(sizeof(double) * n);
  double *du = malloc(sizeof(double) * n), *dv = malloc(sizeof(double) * n);
  double *first = malloc(sizeof(double) * n);
  unsigned s = seed;
  for (long i = 0; i < n; i++) {
    u0[i] = prand(&s);
    t[i] = prand(&s);
  }
  double kappa = 0.5 + 0.5 * prand(&s), tk = prand(&s);
  double h = 1e-5;
  char what[160];
  for (unsigned c = 0; c < COUNT_OF(omp_check_threads); c++) {
    int th = omp_check_threads[c];
    omp_set_num_threads(th);
    double first_dk = 0.0;
    for (int call = 0; call < 3; call++) {
      memcpy(u, u0, sizeof(double) * n);
      memset(du, 0, sizeof(double) * n);
      memset(dv, 0, sizeof(double) * n);
      double k = kappa, dk = 0.0;
      __enzyme_autodiff((void *)heat, enzyme_dup, u, du, enzyme_dup, v, dv, enzyme_const, n,
                        enzyme_const, (long)STEPS, enzyme_dup, &k, &dk);
      if (call == 0) {
        memcpy(first, du, sizeof(double) * n);
        first_dk = dk;
        /* along t (all of u0 and kappa) */
        double want = (heat_at(u0, t, kappa, tk, h, n) - heat_at(u0, t, kappa, tk, -h, n)) / (2 * h);
        snprintf(what, sizeof what, "heat n=%ld threads=%d: <grad, t>", n, th);
        CHECK_CLOSE(what, dotv(du, t, (int)n) + dk * tk, want, RTOL_FD, ATOL_FD);
        /* single elements: the ends, the middle, kappa (where the differences of a sum of
         * n terms are not all rounding) */
        long at[] = {0, 1, n / 2, n - 2, n - 1};
        for (unsigned j = 0; j < (n <= 40000 ? COUNT_OF(at) : 0); j++) {
          double saved = u0[at[j]];
          u0[at[j]] = saved + h;
          double fp = heat_at(u0, NULL, kappa, 0.0, 0.0, n);
          u0[at[j]] = saved - h;
          double fm = heat_at(u0, NULL, kappa, 0.0, 0.0, n);
          u0[at[j]] = saved;
          snprintf(what, sizeof what, "heat n=%ld threads=%d: du0[%ld]", n, th, at[j]);
          CHECK_CLOSE(what, du[at[j]], (fp - fm) / (2 * h), RTOL_FD, ATOL_FD);
        }
        double wk = (heat_at(u0, NULL, kappa, 1.0, h, n) - heat_at(u0, NULL, kappa, 1.0, -h, n)) /
                    (2 * h);
        snprintf(what, sizeof what, "heat n=%ld threads=%d: dkappa", n, th);
        CHECK_CLOSE(what, dk, wk, RTOL_FD, ATOL_FD);
        /* forward mode along t */
        memcpy(u, u0, sizeof(double) * n);
        memcpy(du, t, sizeof(double) * n);
        memset(dv, 0, sizeof(double) * n);
        k = kappa;
        double tkk = tk;
        double jt = __enzyme_fwddiff((void *)heat, enzyme_dup, u, du, enzyme_dup, v, dv,
                                     enzyme_const, n, enzyme_const, (long)STEPS, enzyme_dup, &k,
                                     &tkk);
        snprintf(what, sizeof what, "heat n=%ld threads=%d: forward vs reverse", n, th);
        CHECK_CLOSE(what, jt, dotv(first, t, (int)n) + first_dk * tk, 1e-9, 1e-11);
      } else {
        /* the same gradient again (arena blocks reused); atomic adds of two or more threads
         * may round differently */
        double worst = 0.0;
        for (long i = 0; i < n; i++) {
          double d = fabs(du[i] - first[i]) / (1e-12 + fabs(first[i]));
          worst = d > worst ? d : worst;
        }
        snprintf(what, sizeof what, "heat n=%ld threads=%d call %d: same gradient", n, th, call);
        CHECK_TRUE(what, worst < 1e-9 && fabs(dk - first_dk) <= 1e-9 * fabs(first_dk) + 1e-12);
      }
    }
  }
  free(u0);
  free(t);
  free(u);
  free(v);
  free(du);
  free(dv);
  free(first);
}

/* A recurrence whose reverse needs p in every iteration (8 bytes of tape per iteration). */
double chain(const double *w, int n) {
  double p = 0.3;
  for (int i = 0; i < n; i++) {
    double x = w[i & 3] + 1e-5 * (double)i;
    p = sin(p * x) + 0.5 * x;
  }
  return p;
}

static int chain_n;
static double chain_objective(const double *w, const void *ctx) {
  (void)ctx;
  return chain(w, chain_n);
}

static void chain_check(int n, unsigned seed) {
  chain_n = n;
  double w[2][4], dw[2][4];
  unsigned s = seed;
  for (int j = 0; j < 2; j++)
    for (int i = 0; i < 4; i++)
      w[j][i] = 0.5 + prand(&s);
  for (int round = 0; round < 2; round++) {
    void *tape[2] = {NULL, NULL};
    int ran = 0;
    memset(dw, 0, sizeof dw);
#pragma omp parallel num_threads(2)
    {
      int me = omp_get_thread_num();
      if (omp_get_num_threads() == 2) {
        tape[me] = __enzyme_augmentfwd((void *)chain, w[me], dw[me], n);
#pragma omp barrier
        int other = 1 - me;
        __enzyme_reverse((void *)chain, w[other], dw[other], n, 1.0, tape[other]);
#pragma omp atomic
        ran++;
      }
    }
    if (ran != 2) {
      /* one thread only (a limited runtime): both pairs on it, released out of order */
      for (int j = 0; j < 2; j++)
        tape[j] = __enzyme_augmentfwd((void *)chain, w[j], dw[j], n);
      for (int j = 0; j < 2; j++)
        __enzyme_reverse((void *)chain, w[j], dw[j], n, 1.0, tape[j]);
    }
    char what[160];
    for (int j = 0; j < 2; j++) {
      snprintf(what, sizeof what, "chain n=%d round %d tape %d", n, round, j);
      CHECK_GRAD_FD(what, chain_objective, NULL, w[j], 4, dw[j], RTOL_FD, ATOL_FD);
    }
  }
}

/* Sizes in /proc/self/maps: the largest readable mapping, the largest mapping without access. */
static void maps_check(void) {
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
  FILE *f = fopen("/proc/self/maps", "r");
  CHECK_TRUE("/proc/self/maps opens", f != NULL);
  if (!f)
    return;
  char line[512];
  unsigned long readable = 0, closed = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long a, b;
    char perm[8];
    if (sscanf(line, "%lx-%lx %7s", &a, &b, perm) != 3)
      continue;
    unsigned long *big = perm[0] == 'r' ? &readable : perm[0] == '-' && perm[1] == '-' ? &closed : 0;
    if (big && b - a > *big)
      *big = b - a;
  }
  fclose(f);
  printf("largest readable mapping %lu MiB, largest without access %lu MiB\n", readable >> 20,
         closed >> 20);
  CHECK_TRUE("no readable mapping of 1 GiB or more (the arena's reservation is not readable)",
             readable < (1ul << 30));
  CHECK_TRUE("a mapping without access of 16 GiB or more (the arena's reservation)",
             closed >= (16ul << 30));
#endif
}

int main(void) {
  static const long ns[] = {300, 40000, 600000};
  for (unsigned c = 0; c < COUNT_OF(ns); c++)
    heat_check(ns[c], 7u + c);
  chain_check(20000, 3u);
  chain_check(100, 5u);
  maps_check();
  return check_report();
}
