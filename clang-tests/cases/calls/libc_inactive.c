// C library functions that carry no derivative, known as inactive without annotations, called
// inside a differentiated function next to float math: strings (snprintf into a local buffer,
// strlen, strcmp, strncmp, strchr, strrchr, strstr, memcmp, bcmp), output (printf, puts,
// putchar, fprintf, fputs, fputc), environment, time (time, clock, clock_gettime,
// gettimeofday), randomness (srand/rand, srandom/random), file I/O (fopen, fwrite, fflush,
// rewind, fread, fclose), and parsing (strtod, atof, sscanf). A double read back with fread or
// parsed by sscanf/strtod is constant data: it scales the active values but has no derivative.
// Gradient: analytic and central finite differences; reverse (duplicated array) and forward.
// g, h: fread / sscanf overwrite the same local in every iteration of a loop; the reverse sweep
// must not read that memory again for an earlier iteration's value.
#include "check.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
double __enzyme_autodiff_d(void *, double) __asm__("__enzyme_autodiff");

#define N 4
static FILE *sink; // /dev/null: output calls run but print nothing
static FILE *scratch; // a temporary file for fwrite/fread
static int verbose = 0;

static double f(const double *x) {
  char buf[64];
  int len = snprintf(buf, sizeof buf, "%.3f", x[0]);
  if (strlen(buf) != (size_t)len || strcmp(buf, "") == 0 || strncmp(buf, "zz", 2) == 0)
    abort();
  double odd = (strchr(buf, 'q') || strrchr(buf, 'q') || strstr(buf, "qq")) ? 1.0 : 0.0;
  if (memcmp(x, x, sizeof(double)) != 0 || bcmp(buf, buf, 4) != 0)
    abort();
  const char *env = getenv("FERMENT_TEST_NO_SUCH_VARIABLE");
  double scale = env ? atof(env) : 2.0;
  time_t t = time(NULL);
  clock_t c = clock();
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  srand(7);
  srandom(11);
  int r = (rand() + (int)random()) % 3; // the same value on every call
  double k = strtod("1.5", NULL);
  double parsed = 0.0;
  if (sscanf("0.25", "%lf", &parsed) != 1)
    abort();
  double three = 3.0, back = 0.0;
  rewind(scratch);
  fwrite(&three, sizeof three, 1, scratch);
  fflush(scratch);
  rewind(scratch);
  if (fread(&back, sizeof back, 1, scratch) != 1)
    abort();
  double s = 0.0;
  for (int i = 0; i < N; i++)
    s += scale * k * sin(x[i]) + parsed * x[i] * x[i] + back * x[i] + r * odd;
  fprintf(sink, "s=%g t=%ld c=%ld ts=%ld tv=%ld\n", s, (long)t, (long)c, (long)ts.tv_sec,
          (long)tv.tv_sec);
  fputs(buf, sink);
  fputc('\n', sink);
  if (verbose) {
    printf("%g\n", s);
    puts(buf);
    putchar('\n');
  }
  return s;
}

static double g(double x) {
  double buf, s = 0.0;
  rewind(scratch);
  for (int i = 0; i < 3; i++) {
    if (fread(&buf, sizeof buf, 1, scratch) != 1)
      return 0.0;
    s += x * x * buf;
  }
  return s;
}

static double h(double x) {
  double parsed, s = 0.0;
  static const char *text[3] = {"0.5", "1.5", "2.5"};
  for (int i = 0; i < 3; i++) {
    if (sscanf(text[i], "%lf", &parsed) != 1)
      return 0.0;
    s += x * x * parsed;
  }
  return s;
}

int main(void) {
  sink = fopen("/dev/null", "w");
  scratch = tmpfile();
  if (!sink || !scratch)
    return 2;
  const double x[N] = {0.3, -1.2, 2.1, 0.7};
  double dx[N] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx);
  char what[128];
  for (int i = 0; i < N; i++) {
    double want = 2.0 * 1.5 * cos(x[i]) + 2.0 * 0.25 * x[i] + 3.0;
    snprintf(what, sizeof what, "oracle: analytic d/dx[%d] vs finite differences", i);
    CHECK_CLOSE(what, want, fdv(f, x, N, i), RTOL_FD, ATOL_FD);
    snprintf(what, sizeof what, "reverse d/dx[%d]", i);
    CHECK_CLOSE(what, dx[i], want, RTOL_D, ATOL_D);
    double e[N] = {0};
    e[i] = 1.0;
    snprintf(what, sizeof what, "forward d/dx[%d]", i);
    CHECK_CLOSE(what, __enzyme_fwddiff((void *)f, enzyme_dup, x, e), want, RTOL_D, ATOL_D);
  }
  // g reads 2, 5, 7: d/dx = 2 x (2 + 5 + 7); h parses 0.5, 1.5, 2.5: d/dx = 2 x 4.5
  const double vals[3] = {2.0, 5.0, 7.0};
  rewind(scratch);
  fwrite(vals, sizeof vals, 1, scratch);
  fflush(scratch);
  for (int j = 0; j < 3; j++) {
    double y = 0.3 + 0.4 * j, want = 2.0 * y * 14.0, wanth = 2.0 * y * 4.5;
    CHECK_CLOSE_AT("oracle: analytic d/dx g vs finite differences", y, want, fd1(g, y), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse g (fread values re-read in a loop)", y, __enzyme_autodiff_d((void *)g, y), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward g", y, __enzyme_fwddiff((void *)g, y, 1.0), want, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("oracle: analytic d/dx h vs finite differences", y, wanth, fd1(h, y), RTOL_FD, ATOL_FD);
    CHECK_CLOSE_AT("reverse h (sscanf values re-read in a loop)", y, __enzyme_autodiff_d((void *)h, y), wanth, RTOL_D, ATOL_D);
    CHECK_CLOSE_AT("forward h", y, __enzyme_fwddiff((void *)h, y, 1.0), wanth, RTOL_D, ATOL_D);
  }
  fclose(scratch);
  fclose(sink);
  return check_report();
}
