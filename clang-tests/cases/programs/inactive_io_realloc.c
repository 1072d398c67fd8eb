// Inactive library calls next to active math: printf/snprintf/puts, strlen/strcmp/strchr,
// memcmp, rand/srand, time/clock, getenv, fopen/fwrite/fread/fclose of integer data, qsort of ints,
// and a realloc-grown buffer of active values.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <stdlib.h>
#include <time.h>
extern int enzyme_dup, enzyme_const, enzyme_out;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
static int cmpi(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

double f(const double *x, int n, const char *tag) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s-%d", tag, n);
  size_t len = strlen(buf);
  int same = memcmp(buf, "run", 3) == 0 && strcmp(tag, "run") == 0;
  const char *dash = strchr(buf, '-');
  srand(7);
  int r = rand() % 3;
  time_t now = time(NULL);
  clock_t c = clock();
  (void)now; (void)c;
  const char *env = getenv("P11_SCALE");
  double scale = env ? 2.0 : 1.0;
  int idx[4] = {3, 1, 2, 0};
  qsort(idx, 4, sizeof(int), cmpi);
  FILE *fp = tmpfile();
  int wrote = (int)len, back = 0;
  if (fp) { fwrite(&wrote, sizeof wrote, 1, fp); rewind(fp); if (fread(&back, sizeof back, 1, fp) != 1) back = 0; fclose(fp); }
  double *acc = NULL;
  int cap = 0, m = 0;
  for (int i = 0; i < n; i++) {
    if (m == cap) { cap = cap ? cap * 2 : 1; acc = realloc(acc, cap * sizeof(double)); }
    acc[m++] = x[i] * x[(i + 1) % n] * scale;
  }
  double s = 0;
  for (int i = 0; i < m; i++) s += sin(acc[i]) * (same + 1) * (idx[i % 4] + 1) + (double)back * x[i] + (dash ? 0.5 : 0) * x[i] * r;
  if (n > 100) printf("f(%s) = %g\n", buf, s);
  puts(n > 100 ? "big" : "");
  free(acc);
  return s;
}
int main(void) {
  enum { N = 6 };
  double x[N] = {0.3, -0.8, 1.1, 0.45, -0.2, 0.9}, dx[N] = {0};
  __enzyme_autodiff((void *)f, enzyme_dup, x, dx, enzyme_const, N, enzyme_const, "run");
  CHECK_ARRAY_FD("reverse", x, N, dx, 1e-6, f(x, N, "run"), RTOL_FD, ATOL_FD);
  double v[N] = {1, -1, 0.5, 0.25, 2, -0.3};
  double t = __enzyme_fwddiff((void *)f, enzyme_dup, x, v, enzyme_const, N, enzyme_const, "run");
  double want = 0;
  for (int i = 0; i < N; i++) want += v[i] * dx[i];
  CHECK_CLOSE("fwd vs rev", t, want, 1e-10, 1e-12);
  return check_report();
}
