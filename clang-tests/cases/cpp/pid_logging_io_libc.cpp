// A PID-controlled cart simulated with explicit Euler, differentiated with respect to the gains,
// written the way application code is: the state history is a std::vector of structs, each step
// appends a line to a std::ostringstream log, every tenth step writes the log to a std::ofstream,
// the function reads getenv, clock, strlen and memcmp, and prints with printf when a variable is
// set. None of that carries a derivative. Oracle: central finite differences, both modes.
// CFLAGS: -std=c++17
#include "check.h"
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" double __enzyme_autodiff(void *, ...);
extern "C" double __enzyme_fwddiff(void *, ...);
extern "C" int enzyme_out;

struct State {
  double t, pos, vel, integral, prev_err;
  int step;
};

static char path[64];

static double simulate(double kp, double ki, double kd) {
  const double dt = 0.05, target = 1.0, mass = 2.0, drag = 0.3;
  std::vector<State> hist;
  hist.reserve(8);
  hist.push_back(State{0, 0, 0, 0, target, 0});
  std::ostringstream log;
  const char *verbose = getenv("FERMENT_PID_VERBOSE");
  clock_t c0 = clock();
  double cost = 0;
  for (int s = 1; s <= 40; s++) {
    const State &p = hist.back();
    double err = target - p.pos;
    double integral = p.integral + err * dt;
    double deriv = (err - p.prev_err) / dt;
    double u = kp * err + ki * integral + kd * deriv;
    double acc = (u - drag * p.vel * fabs(p.vel)) / mass;
    State n{p.t + dt, p.pos + dt * p.vel, p.vel + dt * acc, integral, err, s};
    hist.push_back(n);
    cost += dt * (err * err + 1e-3 * u * u);
    log << "step " << s << " pos=" << n.pos << " u=" << u << '\n';
    if (s % 10 == 0) {
      std::ofstream out(path, std::ios::app);
      std::string text = log.str();
      out << text;
      if (strlen(text.c_str()) > 0 && memcmp(text.data(), "step", 4) == 0) out << "# ok\n";
      log.str("");
    }
    if (verbose) printf("%d %g %g\n", s, n.pos, u);
  }
  if (verbose) printf("%ld ticks, %zu states\n", (long)(clock() - c0), hist.size());
  return cost + hist.back().vel * hist.back().vel;
}

static double sim_kp(double kp) { return simulate(kp, 0.4, 0.8); }
static double sim_ki(double ki) { return simulate(3.0, ki, 0.8); }
static double sim_kd(double kd) { return simulate(3.0, 0.4, kd); }

struct Grad {
  double kp, ki, kd;
};

int main() {
  snprintf(path, sizeof path, "/tmp/ferment_pid_%d.log", (int)getpid());
  const double kp = 3.0, ki = 0.4, kd = 0.8;
  Grad g = {0, 0, 0};
  double want[3] = {fd1(sim_kp, kp), fd1(sim_ki, ki), fd1(sim_kd, kd)};
  typedef Grad (*grad_t)(void *, double, double, double);
  g = ((grad_t)__enzyme_autodiff)((void *)simulate, kp, ki, kd);
  CHECK_CLOSE("reverse d/dkp", g.kp, want[0], RTOL_FD, ATOL_FD);
  CHECK_CLOSE("reverse d/dki", g.ki, want[1], RTOL_FD, ATOL_FD);
  CHECK_CLOSE("reverse d/dkd", g.kd, want[2], RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward d/dkp", __enzyme_fwddiff((void *)simulate, kp, 1.0, ki, 0.0, kd, 0.0),
              want[0], RTOL_FD, ATOL_FD);
  CHECK_CLOSE("forward d/dkd", __enzyme_fwddiff((void *)simulate, kp, 0.0, ki, 0.0, kd, 1.0),
              want[2], RTOL_FD, ATOL_FD);
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  CHECK_TRUE("the log was written", first.rfind("step 1 ", 0) == 0);
  unlink(path);
  return check_report();
}
