// Electrochemical impedance spectroscopy fitting in C++ as an electrochemist writes it with
// std::complex<double>: an equivalent circuit built from a small class hierarchy-free set of
// element functions (resistor, capacitor, constant-phase element via std::pow of a complex
// j*omega, Warburg diffusion with std::sqrt and std::tanh of a complex argument), series and
// parallel combination (complex division), a transmission-line model evaluated by a
// recursive continued fraction, and a weighted residual on log|Z| (std::abs) and the phase
// (std::arg) over a log-spaced frequency grid stored in a std::vector. The user fits the
// circuit parameters (log-parameterised) and wants the gradient of the misfit (reverse), a
// tangent (forward), and the Jacobian column of Re Z and Im Z at one frequency.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse, analytic (RC circuit).
#include "check.h"
#include <complex>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

using cplx = std::complex<double>;

static cplx resistor(double r) { return cplx(r, 0.0); }
static cplx capacitor(double c, double w) { return 1.0 / (cplx(0.0, w) * c); }
static cplx cpe(double q, double alpha, double w) {
  return 1.0 / (q * std::pow(cplx(0.0, w), alpha));
}
static cplx warburg(double sigma, double tau, double w) {
  cplx s = std::sqrt(cplx(0.0, w * tau));
  return sigma / s * std::tanh(s);
}
static cplx parallel(cplx a, cplx b) { return a * b / (a + b); }

// finite transmission line of n sections: Z_n = R + (1/(jwC) || Z_{n-1})
static cplx ladder(int n, double r, double c, double w) {
  if (n == 0) return cplx(r, 0.0);
  return resistor(r) + parallel(capacitor(c, w), ladder(n - 1, r, c, w));
}

struct Params {
  // log of: R_s, R_ct, Q, alpha(raw), sigma, tau, R_line, C_line
  double v[8];
};

static cplx circuit(const Params &p, double w) {
  double rs = std::exp(p.v[0]), rct = std::exp(p.v[1]), q = std::exp(p.v[2]);
  double alpha = 0.5 + 0.5 / (1.0 + std::exp(-p.v[3])); // in (0.5, 1)
  double sg = std::exp(p.v[4]), tau = std::exp(p.v[5]);
  cplx faradaic = resistor(rct) + warburg(sg, tau, w);
  cplx electrode = parallel(cpe(q, alpha, w), faradaic);
  cplx line = ladder(3, std::exp(p.v[6]), std::exp(p.v[7]), w);
  return resistor(rs) + electrode + 0.1 * line;
}

struct Measurement {
  std::vector<double> omega;
  std::vector<cplx> z;
};

static double misfit(const Params *p, const Measurement *m) {
  double s = 0.0;
  for (size_t k = 0; k < m->omega.size(); k++) {
    cplx z = circuit(*p, m->omega[k]);
    double dm = std::log(std::abs(z)) - std::log(std::abs(m->z[k]));
    double dp = std::arg(z) - std::arg(m->z[k]);
    s += dm * dm + 0.5 * dp * dp;
  }
  return s / m->omega.size();
}

static double re_z(const Params *p, double w) { return circuit(*p, w).real(); }
static double im_z(const Params *p, double w) { return circuit(*p, w).imag(); }

// simple RC for an analytic check: Z = R/(1 + jwRC); |Z| derivative known
static double rc_logmag(double r, double c, double w) {
  return std::log(std::abs(parallel(resistor(r), capacitor(c, w))));
}

int main() {
  Params truth = {{std::log(12.0), std::log(80.0), std::log(2e-4), 0.8, std::log(30.0),
                   std::log(0.5), std::log(4.0), std::log(1e-3)}};
  Measurement m;
  for (int k = 0; k < 30; k++) {
    double w = std::pow(10.0, -1.0 + 5.0 * k / 29.0);
    m.omega.push_back(w);
    m.z.push_back(circuit(truth, w) * std::polar(1.0 + 0.02 * std::sin(3.0 * k), 0.01 * k));
  }
  Params p = truth;
  for (int i = 0; i < 8; i++) p.v[i] += 0.1 * std::sin(1.0 + i);

  Params dp{};
  __enzyme_autodiff((void *)misfit, enzyme_dup, &p, &dp, enzyme_const, &m);
  CHECK_ARRAY_FD("dmisfit/dp", p.v, 8, dp.v, 1e-6, misfit(&p, &m), 1e-5, 1e-10);

  Params tp;
  for (int i = 0; i < 8; i++) tp.v[i] = std::cos(2.0 * i);
  double jt = __enzyme_fwddiff((void *)misfit, enzyme_dup, &p, &tp, enzyme_const, &m);
  CHECK_CLOSE("tangent vs reverse", jt, dotv(dp.v, tp.v, 8), 1e-10, 1e-13);

  // Jacobian column of Re Z, Im Z at one frequency, forward and reverse
  double w0 = 3.7;
  for (int i = 0; i < 8; i++) {
    Params e{};
    e.v[i] = 1.0;
    double dre = __enzyme_fwddiff((void *)re_z, enzyme_dup, &p, &e, enzyme_const, w0);
    double dim = __enzyme_fwddiff((void *)im_z, enzyme_dup, &p, &e, enzyme_const, w0);
    CHECK_CLOSE("dRe Z", dre, FD_AT(p.v[i], 1e-6, re_z(&p, w0)), 1e-6, 1e-9);
    CHECK_CLOSE("dIm Z", dim, FD_AT(p.v[i], 1e-6, im_z(&p, w0)), 1e-6, 1e-9);
  }
  Params gre{};
  __enzyme_autodiff((void *)re_z, enzyme_dup, &p, &gre, enzyme_const, w0);
  CHECK_ARRAY_FD("reverse dRe Z", p.v, 8, gre.v, 1e-6, re_z(&p, w0), 1e-6, 1e-9);

  // RC: log|Z| = log R - 0.5 log(1 + (wRC)^2)
  double R = 50.0, C = 1e-3, w = 20.0;
  struct RC {
    double dr, dc;
  };
  RC g = ((RC(*)(void *, double, double, int, double))__enzyme_autodiff)((void *)rc_logmag, R, C,
                                                                           enzyme_const, w);
  double x = w * R * C;
  CHECK_CLOSE("RC dlog|Z|/dR", g.dr, 1.0 / R - x * x / (1.0 + x * x) / R, 1e-12, 1e-15);
  CHECK_CLOSE("RC dlog|Z|/dC", g.dc, -x * x / (1.0 + x * x) / C, 1e-12, 1e-12);
  return check_report();
}
