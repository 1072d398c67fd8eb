// -ferment-check: each derivative checks itself once at run time against central finite
// differences and warns on standard error with the request's file:line. A deliberately wrong
// custom gradient (sq: 3 x d instead of 2 x d) is caught, directly and inside another
// function; correct derivatives (reverse and forward) stay silent, and the derivatives the
// program gets are unchanged (checked against analytic values).
// CFLAGS: -g -mllvm -ferment-check
#include "check.h"
#include <unistd.h>

extern int enzyme_const;
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
typedef struct {
  double a, b;
} G2;
G2 __enzyme_autodiff2(void *, ...);

double sq(double x) { return x * x; }
static double aug_sq(double x) { return x * x; }
static double rev_sq(double x, double d) { return 3.0 * x * d; } /* deliberately wrong */
void *__enzyme_register_gradient_sq[3] = {(void *)sq, (void *)aug_sq, (void *)rev_sq};

double good(double x, double y) { return sin(x) * y + exp(y); }
double uses_sq(double x, double y) { return sq(x) * y; }

int main(void) {
  FILE *log = tmpfile();
  int saved = dup(2);
  fflush(stderr);
  dup2(fileno(log), 2);
  double x = 0.7, y = -0.3;
  int line_sq = __LINE__ + 1;
  double d = __enzyme_autodiff((void *)sq, x);
  int line_uses = __LINE__ + 1;
  G2 h = __enzyme_autodiff2((void *)uses_sq, x, y);
  G2 g = __enzyme_autodiff2((void *)good, x, y);
  double t = __enzyme_fwddiff((void *)good, x, 1.0, y, 0.5);
  double c = __enzyme_autodiff((void *)good, enzyme_const, x, y);
  fflush(stderr);
  dup2(saved, 2);

  char text[4096] = {0};
  rewind(log);
  size_t n = fread(text, 1, sizeof text - 1, log);
  text[n] = 0;
  fprintf(stderr, "captured:\n%s", text);
  char want[128];
  snprintf(want, sizeof want, "selfcheck.c:%d:", line_sq);
  CHECK_TRUE("a warning at the request of sq (wrong custom gradient)", strstr(text, want) && strstr(text, "derivative of 'sq' failed"));
  snprintf(want, sizeof want, "selfcheck.c:%d:", line_uses);
  CHECK_TRUE("a warning at the request of uses_sq (calls sq)", strstr(text, want) && strstr(text, "derivative of 'uses_sq' failed"));
  CHECK_TRUE("no warning for good", !strstr(text, "'good'"));
  /* the check changes no result: the custom rule's values, and the true derivatives of good */
  CHECK_CLOSE("custom gradient of sq", d, 3.0 * x, RTOL_D, ATOL_D);
  CHECK_CLOSE("d uses_sq / dx (custom rule)", h.a, 3.0 * x * y, RTOL_D, ATOL_D);
  CHECK_CLOSE("d uses_sq / dy", h.b, x * x, RTOL_D, ATOL_D);
  CHECK_CLOSE("d good / dx", g.a, cos(x) * y, RTOL_D, ATOL_D);
  CHECK_CLOSE("d good / dy", g.b, sin(x) + exp(y), RTOL_D, ATOL_D);
  CHECK_CLOSE("forward good", t, cos(x) * y + 0.5 * (sin(x) + exp(y)), RTOL_D, ATOL_D);
  CHECK_CLOSE("d good / dy (x const)", c, sin(x) + exp(y), RTOL_D, ATOL_D);
  return check_report();
}
