// C library functions that carry no derivative, known as inactive without annotations, called
// inside a differentiated function next to float math: strings (snprintf into a local buffer,
// strlen, strcmp, strncmp, strchr, strrchr, strstr, memcmp, bcmp), output (printf, puts,
// putchar, fprintf, fputs, fputc), environment, time (time, clock, clock_gettime,
// gettimeofday), randomness (srand/rand, srandom/random), file I/O (fopen, fwrite, fflush,
// rewind, fread, fclose), and parsing (strtod, atof, sscanf). A double read back with fread or
// parsed by sscanf/strtod is constant data: it scales the active values but has no derivative.
// Gradient: analytic and central finite differences; reverse (duplicated array) and forward.
#include "check.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

void __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

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
  fclose(scratch);
  fclose(sink);
  return check_report();
}
