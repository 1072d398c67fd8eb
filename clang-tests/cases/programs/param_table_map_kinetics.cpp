// A reaction model configured by name, as engineering codes often are: parameters live in a
// std::map<std::string, double> table filled from "name=value" strings (parsed with std::string
// find/substr and std::stod), and the model reads them inside the objective through a small
// accessor with a default (`get("k2", 0.0)`). The active inputs (three rate constants and an
// activation energy) are overwritten into the table by name before every evaluation, so the
// derivative flows through map nodes. The model integrates A -> B -> C with an Arrhenius
// temperature ramp by explicit midpoint steps and fits measured B concentrations.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <cmath>
#include <map>
#include <string>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

using Table = std::map<std::string, double>;

static double get(const Table &t, const std::string &key, double dflt) {
  auto it = t.find(key);
  return it == t.end() ? dflt : it->second;
}

static Table parse(const std::vector<std::string> &lines) {
  Table t;
  for (const std::string &l : lines) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || l[0] == '#') continue;
    t[l.substr(0, eq)] = std::stod(l.substr(eq + 1));
  }
  return t;
}

static void rates(const Table &t, double T, const double *c, double *dc) {
  double R = get(t, "R", 8.314e-3);
  double Ea = get(t, "Ea", 50.0), Tref = get(t, "Tref", 300.0);
  double arr = std::exp(-Ea / R * (1.0 / T - 1.0 / Tref));
  double k1 = get(t, "k1", 1.0) * arr, k2 = get(t, "k2", 0.0) * arr, kr = get(t, "k_rev", 0.0);
  double r1 = k1 * c[0] - kr * c[1], r2 = k2 * c[1] * c[1] / (1.0 + c[1]);
  dc[0] = -r1;
  dc[1] = r1 - r2;
  dc[2] = r2;
}

struct Experiment {
  const std::vector<std::string> *config;
  const double *times, *measured;
  int nmeas;
};

// p = {k1, k2, k_rev, Ea}
extern "C" double fit_error(const double *p, const Experiment *e) {
  Table t = parse(*e->config);
  t["k1"] = p[0];
  t["k2"] = p[1];
  t["k_rev"] = p[2];
  t["Ea"] = p[3];
  double c[3] = {get(t, "A0", 1.0), 0.0, 0.0}, mid[3], d1[3], d2[3];
  double time = 0.0, h = get(t, "dt", 0.01), err = 0.0;
  double T0 = get(t, "T0", 300.0), ramp = get(t, "ramp", 0.0);
  for (int m = 0; m < e->nmeas; m++) {
    while (time < e->times[m] - 1e-12) {
      double T = T0 + ramp * time;
      rates(t, T, c, d1);
      for (int i = 0; i < 3; i++) mid[i] = c[i] + 0.5 * h * d1[i];
      rates(t, T + 0.5 * h * ramp, mid, d2);
      for (int i = 0; i < 3; i++) c[i] += h * d2[i];
      time += h;
    }
    double r = c[1] - e->measured[m];
    err += r * r;
  }
  return err + get(t, "reg", 0.0) * (p[0] * p[0] + p[1] * p[1]);
}

static double f_p(const double *p, const void *e) { return fit_error(p, (const Experiment *)e); }

int main() {
  std::vector<std::string> config = {"# batch reactor", "A0=1.5", "dt=0.02", "T0=310", "ramp=4.0",
                                     "Tref=300", "R=0.008314", "reg=1e-3", "k1=0.0", "bogus line"};
  const double times[] = {0.5, 1.0, 1.5, 2.0, 3.0};
  const double meas[] = {0.45, 0.62, 0.6, 0.52, 0.35};
  Experiment e = {&config, times, meas, 5};
  double p[4] = {1.2, 0.9, 0.1, 40.0}, dp[4] = {0};
  __enzyme_autodiff((void *)fit_error, enzyme_dup, p, dp, enzyme_const, &e);
  CHECK_GRAD_FD("derr/dp", f_p, &e, p, 4, dp, 1e-5, 1e-8);
  double tp[4] = {0.1, -0.2, 0.05, 1.0};
  double t = __enzyme_fwddiff((void *)fit_error, enzyme_dup, p, tp, enzyme_const, &e);
  CHECK_CLOSE("forward vs reverse", t, dotv(dp, tp, 4), 1e-9, 1e-11);
  return check_report();
}
