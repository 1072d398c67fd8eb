// C++ I/O inside the differentiated function: ostringstream formatting of active values,
// ofstream writing a log, ifstream reading integer settings back, std::string building.
// Written as a new user's Enzyme program (session 36). Oracle: central differences (and forward vs reverse, analytic where noted).
#include "check.h"
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <cstdio>
#include <unistd.h>
extern "C" { extern int enzyme_dup, enzyme_const, enzyme_out; }
template <typename R, typename... A> R __enzyme_autodiff(void *, A...);
template <typename R, typename... A> R __enzyme_fwddiff(void *, A...);

static std::string path;
double f(const double *x, int n) {
  std::ostringstream os;
  double s = 0;
  for (int i = 0; i < n; i++) {
    double t = x[i] * x[i] * std::exp(-x[i]);
    os << "term " << i << " = " << t << "\n";
    s += t;
  }
  {
    std::ofstream out(path);
    out << os.str() << n << "\n";
  }
  int reps = 0;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) reps++;
  }
  return s * reps;
}
static double fd_f(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += x[i] * x[i] * std::exp(-x[i]);
  return s * (n + 1);
}
int main() {
  char tmpl[] = "/tmp/ferment_p13_XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd >= 0) close(fd);
  path = tmpl;
  const int n = 4;
  double x[n] = {0.5, 1.5, -0.3, 2.2}, dx[n] = {};
  __enzyme_autodiff<void>((void *)f, enzyme_dup, (const double *)x, dx, enzyme_const, n);
  CHECK_ARRAY_FD("reverse", x, n, dx, 1e-6, fd_f(x, n), RTOL_FD, ATOL_FD);
  double v[n] = {1, 0.5, -1, 0.25};
  double t = __enzyme_fwddiff<double>((void *)f, enzyme_dup, (const double *)x, (const double *)v, enzyme_const, n);
  CHECK_CLOSE("fwd vs rev", t, dotv(v, dx, n), 1e-10, 1e-12);
  CHECK_CLOSE("primal", f(x, n), fd_f(x, n), 1e-12, 0);
  std::remove(tmpl);
  return check_report();
}
