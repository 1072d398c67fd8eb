// An option desk's pricing library in C: Black-Scholes-Merton prices of European calls and
// puts with a continuous dividend, the normal CDF written with erfc (and its tail switched to
// erf for moderate arguments, as quant libraries do for accuracy), a digital option, a
// portfolio of positions held in an array of structs with an enum type field, and an implied
// volatility solved by safeguarded Newton (while loop, fabs tolerance, bisection fallback).
// The user computes the portfolio's Greeks: delta, vega, rho, theta for all market inputs in
// ONE batched forward call (enzyme_width 4, enzyme_dupv over the market struct), the
// sensitivity to every position's strike and the market in one reverse call, and the
// derivative of the implied volatility with respect to the quoted price (through the Newton
// iterations, forward and reverse).
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: analytic Greeks
// (closed-form delta, vega), central differences, forward vs reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
extern int enzyme_width, enzyme_dupv, enzyme_dupnoneedv;

typedef enum { CALL, PUT, DIGITAL_CALL } Kind;

typedef struct {
  double spot, vol, rate, expiry; /* 4 doubles: one batched lane per input */
} Market;

typedef struct {
  Kind kind;
  double strike;
  double qty;
} Position;

static const double DIV_YIELD = 0.015;

static double norm_cdf(double x) {
  /* erfc keeps relative accuracy in the left tail; erf is fine near the centre */
  if (x < -1.0) return 0.5 * erfc(-x / M_SQRT2);
  return 0.5 * (1.0 + erf(x / M_SQRT2));
}

static double norm_pdf(double x) { return exp(-0.5 * x * x) / sqrt(2.0 * M_PI); }

static double bs_price(Kind kind, double S, double K, double vol, double r, double T) {
  double sqT = sqrt(T);
  double d1 = (log(S / K) + (r - DIV_YIELD + 0.5 * vol * vol) * T) / (vol * sqT);
  double d2 = d1 - vol * sqT;
  double dfq = exp(-DIV_YIELD * T), dfr = exp(-r * T);
  switch (kind) {
  case CALL:
    return S * dfq * norm_cdf(d1) - K * dfr * norm_cdf(d2);
  case PUT:
    return K * dfr * norm_cdf(-d2) - S * dfq * norm_cdf(-d1);
  case DIGITAL_CALL:
    return dfr * norm_cdf(d2);
  }
  return 0.0;
}

typedef struct {
  int n;
  Position pos[6];
} Book;

static double book_value(const Market *m, const Book *b) {
  double v = 0.0;
  for (int i = 0; i < b->n; i++) {
    const Position *p = &b->pos[i];
    v += p->qty * bs_price(p->kind, m->spot, p->strike, m->vol, m->rate, m->expiry);
  }
  return v;
}

/* writes the value of each position: batched forward gives all Greeks per position */
static void book_values(const Market *m, const Book *b, double *out) {
  for (int i = 0; i < b->n; i++) {
    const Position *p = &b->pos[i];
    out[i] = p->qty * bs_price(p->kind, m->spot, p->strike, m->vol, m->rate, m->expiry);
  }
}

/* strikes active too: sensitivities of the whole book */
static double book_value_strikes(const Market *m, Book *b) { return book_value(m, b); }

/* implied volatility of a call by Newton with a bisection safeguard */
static double implied_vol(double price, double S, double K, double r, double T) {
  double lo = 1e-4, hi = 3.0, v = 0.3;
  int it = 0;
  while (it < 100) {
    double f = bs_price(CALL, S, K, v, r, T) - price;
    if (fabs(f) < 1e-14) break;
    if (f > 0) hi = v;
    else lo = v;
    double sqT = sqrt(T);
    double d1 = (log(S / K) + (r - DIV_YIELD + 0.5 * v * v) * T) / (v * sqT);
    double vega = S * exp(-DIV_YIELD * T) * norm_pdf(d1) * sqT;
    double vn = v - f / vega;
    if (!(vn > lo && vn < hi)) vn = 0.5 * (lo + hi);
    v = vn;
    it++;
  }
  return v;
}

int main(void) {
  Market m = {100.0, 0.25, 0.03, 0.75};
  Book b = {6,
            {{CALL, 95.0, 10.0},
             {PUT, 105.0, -4.0},
             {CALL, 130.0, 25.0},
             {DIGITAL_CALL, 100.0, 50.0},
             {PUT, 60.0, 100.0},
             {CALL, 100.0, -7.0}}};

  /* closed-form call delta and vega against forward mode of one price */
  {
    double S = m.spot, K = 95.0, sg = m.vol, r = m.rate, T = m.expiry;
    double d1 = (log(S / K) + (r - DIV_YIELD + 0.5 * sg * sg) * T) / (sg * sqrt(T));
    double delta = exp(-DIV_YIELD * T) * norm_cdf(d1);
    double vega = S * exp(-DIV_YIELD * T) * norm_pdf(d1) * sqrt(T);
    double ds = __enzyme_fwddiff((void *)bs_price, enzyme_const, CALL, S, 1.0, enzyme_const, K,
                                 sg, 0.0, r, 0.0, T, 0.0);
    double dv = __enzyme_fwddiff((void *)bs_price, enzyme_const, CALL, S, 0.0, enzyme_const, K,
                                 sg, 1.0, r, 0.0, T, 0.0);
    CHECK_CLOSE("call delta (analytic)", ds, delta, 1e-12, 1e-14);
    CHECK_CLOSE("call vega (analytic)", dv, vega, 1e-12, 1e-14);
  }

  /* all four Greeks of every position in one batched forward call */
  Market seeds[4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
  double vals[6], tv[4][6];
  __enzyme_fwddiff((void *)book_values, enzyme_width, 4, enzyme_dupv, sizeof(Market), &m,
                   &seeds[0], enzyme_const, &b, enzyme_dupnoneedv, sizeof tv[0], vals, tv[0]);
  for (int i = 0; i < b.n; i++) {
    double *mk = &m.spot;
    for (int k = 0; k < 4; k++) {
      double h = 1e-6 * (k == 0 ? 100.0 : 1.0);
      double want = FD_AT(mk[k], h, b.pos[i].qty * bs_price(b.pos[i].kind, m.spot, b.pos[i].strike,
                                                            m.vol, m.rate, m.expiry));
      char what[64];
      snprintf(what, sizeof what, "greek %d of position %d", k, i);
      CHECK_CLOSE(what, tv[k][i], want, 2e-6, 1e-8);
    }
  }

  /* reverse: market and strike sensitivities of the whole book at once */
  Market dm = {0};
  Book db;
  memset(&db, 0, sizeof db);
  __enzyme_autodiff((void *)book_value_strikes, enzyme_dup, &m, &dm, enzyme_dup, &b, &db);
  double *mk = &m.spot, *dmk = &dm.spot;
  for (int k = 0; k < 4; k++) {
    double sum = 0.0;
    for (int i = 0; i < b.n; i++) sum += tv[k][i];
    CHECK_CLOSE("reverse market sensitivity vs batched forward", dmk[k], sum, 1e-10, 1e-12);
    double h = 1e-6 * (k == 0 ? 100.0 : 1.0);
    CHECK_CLOSE("reverse market sensitivity vs FD", dmk[k], FD_AT(mk[k], h, book_value(&m, &b)),
                2e-6, 1e-8);
  }
  for (int i = 0; i < b.n; i++)
    CHECK_CLOSE("strike sensitivity vs FD", db.pos[i].strike,
                FD_AT(b.pos[i].strike, 1e-4, book_value(&m, &b)), 2e-6, 1e-8);

  /* implied volatility: round trip, then d(vol)/d(price) = 1 / vega */
  double S = 100.0, K = 110.0, r = 0.02, T = 1.3, vtrue = 0.32;
  double price = bs_price(CALL, S, K, vtrue, r, T);
  double iv = implied_vol(price, S, K, r, T);
  CHECK_CLOSE("implied vol round trip", iv, vtrue, 1e-10, 1e-12);
  double dvdp = __enzyme_fwddiff((void *)implied_vol, price, 1.0, S, 0.0, K, 0.0, r, 0.0, T, 0.0);
  double d1 = (log(S / K) + (r - DIV_YIELD + 0.5 * vtrue * vtrue) * T) / (vtrue * sqrt(T));
  double vega = S * exp(-DIV_YIELD * T) * norm_pdf(d1) * sqrt(T);
  CHECK_CLOSE("d iv / d price (1/vega)", dvdp, 1.0 / vega, 1e-6, 1e-10);
  typedef struct {
    double dp, dS, dK, dr, dT;
  } IvGrad;
  IvGrad ig;
  ig = ((IvGrad(*)(void *, double, double, double, double, double))__enzyme_autodiff)(
      (void *)implied_vol, price, S, K, r, T);
  CHECK_CLOSE("reverse d iv / d price", ig.dp, dvdp, 1e-8, 1e-12);
  CHECK_CLOSE("reverse d iv / d S vs FD", ig.dS, FD_AT(S, 1e-4, implied_vol(price, S, K, r, T)),
              1e-5, 1e-9);
  CHECK_CLOSE("reverse d iv / d T vs FD", ig.dT, FD_AT(T, 1e-5, implied_vol(price, S, K, r, T)),
              1e-5, 1e-9);
  return check_report();
}
