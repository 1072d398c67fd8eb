// CFLAGS: -std=c++17
// Session 37 (issue 14): a struct with a std::string member beside doubles, held by a
// std::vector that the differentiated function fills; the labels are built with `+=` and
// std::to_string into a long string (on the heap), then moved into the struct, and the struct
// moved into the vector (growth relocates the strings). The caller's vector of such structs is
// passed enzyme_dup. Oracles: central finite differences, forward vs reverse.
#include "check.h"
#include <cmath>
#include <string>
#include <vector>
extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" int enzyme_dup, enzyme_const, enzyme_out;
enum { N = 4 };

struct Sample {
  std::string label;
  double value;
  double weight;
};

static double record(const double *x, std::vector<Sample> &out) {
  double s = 0;
  for (int i = 0; i < N; i++) {
    std::string label = "measurement";
    label += "-channel-";
    label += std::to_string(i);
    label += "-of-a-long-run";
    Sample smp;
    smp.label = std::move(label);
    smp.value = x[i] * x[(i + 1) % N];
    smp.weight = 1.0 + 0.5 * i;
    out.push_back(std::move(smp));
  }
  for (const Sample &smp : out) s += smp.weight * std::sin(smp.value) * (smp.label.size() > 20 ? 1.0 : -1.0);
  return s;
}

static double primal(const double *x) {
  std::vector<Sample> v;
  return record(x, v);
}

int main() {
  double x[N] = {0.3, -0.7, 1.1, 0.5}, dx[N] = {0}, t[N] = {0.5, -0.25, 1.0, 0.1};
  std::vector<Sample> out, dout;
  __enzyme_autodiff((void *)record, enzyme_dup, x, dx, enzyme_dup, &out, &dout);
  for (int i = 0; i < N; i++) CHECK_CLOSE("d/dx", dx[i], fdv(primal, x, N, i), RTOL_FD, ATOL_FD);
  CHECK_CLOSE("labels", (double)(out.size() == N && out[3].label == "measurement-channel-3-of-a-long-run"), 1, 0, 0);
  CHECK_CLOSE("shadow size", (double)dout.size(), (double)N, 0, 0);
  std::vector<Sample> fout, fdout;
  double tan = __enzyme_fwddiff((void *)record, enzyme_dup, x, t, enzyme_dup, &fout, &fdout);
  CHECK_CLOSE("forward", tan, dotv(dx, t, N), RTOL_D, ATOL_D);
  for (int i = 0; i < N; i++)
    CHECK_CLOSE("tangent value", fdout[i].value, t[i] * x[(i + 1) % N] + x[i] * t[(i + 1) % N], RTOL_D, ATOL_D);
  return check_report();
}
