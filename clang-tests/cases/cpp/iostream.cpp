// C++ I/O inside a differentiated function, with exceptions on (the stream calls are invokes):
// std::ostringstream, std::ofstream (open, <<, write, close), std::ifstream (getline, read),
// std::filebuf next to float math. I/O carries no derivative; the gradient of the float math is
// checked against central finite differences, in both modes.
// CFLAGS: -std=c++17
#include "check.h"
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);

static char path[64];

static double logged(double x) {
  std::ostringstream os;
  os << "x=" << x << " sin=" << sin(x) << "\n";
  double y = x * x * sin(x);
  {
    std::ofstream out(path);
    out << os.str() << y << std::endl;
    const char tag[] = "tag";
    out.write(tag, sizeof tag);
    out.close();
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  char buf[8];
  in.read(buf, 4);
  in.close();
  std::filebuf fb;
  if (fb.open(path, std::ios::in)) fb.close();
  return y + exp(-x) * (line.empty() ? 1.0 : 2.0);
}

int main() {
  snprintf(path, sizeof path, "/tmp/ferment_iostream_%d.txt", (int)getpid());
  static const double xs[] = {0.3, 1.1, -0.7};
  char what[128];
  for (double x : xs) {
#define W(s) (snprintf(what, sizeof what, "%s at %g", s, x), what)
    double want = 2.0 * x * sin(x) + x * x * cos(x) - 2.0 * exp(-x);
    CHECK_CLOSE(W("oracle: analytic vs finite differences"), want, fd1(logged, x), RTOL_FD, ATOL_FD);
    CHECK_CLOSE(W("reverse"), __enzyme_autodiff((void *)logged, x), want, RTOL_D, ATOL_D);
    CHECK_CLOSE(W("forward"), __enzyme_fwddiff((void *)logged, x, 1.0), want, RTOL_D, ATOL_D);
#undef W
  }
  unlink(path);
  return check_report();
}
