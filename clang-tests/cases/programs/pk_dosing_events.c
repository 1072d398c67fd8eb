// A pharmacokinetic model with a dosing schedule, as a clinical-pharmacology code writes it: a
// two-compartment model with first-order absorption, an event table (an array of structs with
// an enum kind: BOLUS, INFUSION_START, INFUSION_STOP, SAMPLE) processed in time order by a
// `switch`, the ODE integrated between events by RK4 with a step count from ceil of the gap
// (an integer from data), an infusion rate toggled by events, log-normal residuals at the
// samples, and the parameters on log scale in a struct (CL, V1, Q, V2, ka). The user
// differentiates the negative log-likelihood with respect to the log-parameters and the
// dose amounts (reverse), and a tangent in forward mode.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef enum { BOLUS, INFUSION_START, INFUSION_STOP, SAMPLE } Kind;

typedef struct {
  double t;
  Kind kind;
  double amount; /* dose (active) or observed concentration */
} Event;

typedef struct {
  double lcl, lv1, lq, lv2, lka, lsig;
} LogPar;

typedef struct {
  double cl, v1, q, v2, ka;
} Par;

static void rhs(const Par *p, double rate, const double *a, double *da) {
  double c1 = a[1] / p->v1, c2 = a[2] / p->v2;
  da[0] = -p->ka * a[0];
  da[1] = p->ka * a[0] + rate - p->cl * c1 - p->q * (c1 - c2);
  da[2] = p->q * (c1 - c2);
}

static void advance(const Par *p, double rate, double *a, double dt_total) {
  if (dt_total <= 0.0) return;
  int n = (int)ceil(dt_total / 0.1);
  double h = dt_total / n, k1[3], k2[3], k3[3], k4[3], tmp[3];
  for (int s = 0; s < n; s++) {
    rhs(p, rate, a, k1);
    for (int i = 0; i < 3; i++) tmp[i] = a[i] + 0.5 * h * k1[i];
    rhs(p, rate, tmp, k2);
    for (int i = 0; i < 3; i++) tmp[i] = a[i] + 0.5 * h * k2[i];
    rhs(p, rate, tmp, k3);
    for (int i = 0; i < 3; i++) tmp[i] = a[i] + h * k3[i];
    rhs(p, rate, tmp, k4);
    for (int i = 0; i < 3; i++) a[i] += h / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
}

double pk_nll(const LogPar *lp, const Event *ev, int nev) {
  Par p = {exp(lp->lcl), exp(lp->lv1), exp(lp->lq), exp(lp->lv2), exp(lp->lka)};
  double sig = exp(lp->lsig);
  double a[3] = {0, 0, 0}, t = 0.0, rate = 0.0, nll = 0.0;
  for (int e = 0; e < nev; e++) {
    advance(&p, rate, a, ev[e].t - t);
    t = ev[e].t;
    switch (ev[e].kind) {
    case BOLUS:
      a[0] += ev[e].amount; /* oral dose into the gut */
      break;
    case INFUSION_START:
      rate = ev[e].amount;
      break;
    case INFUSION_STOP:
      rate = 0.0;
      break;
    case SAMPLE: {
      double c = a[1] / p.v1;
      double r = (log(ev[e].amount) - log(c)) / sig;
      nll += 0.5 * r * r + log(sig);
      break;
    }
    }
  }
  return nll;
}

int main(void) {
  Event ev[] = {{0.0, BOLUS, 100.0},       {0.5, SAMPLE, 1.9},  {1.0, SAMPLE, 2.6},
                {2.0, INFUSION_START, 30}, {2.5, SAMPLE, 3.1},  {3.0, INFUSION_STOP, 0},
                {4.0, SAMPLE, 2.7},        {6.0, BOLUS, 50.0},  {7.0, SAMPLE, 2.9},
                {9.5, SAMPLE, 1.8},        {12.0, SAMPLE, 1.1}};
  int nev = sizeof ev / sizeof ev[0];
  LogPar lp = {log(5.0), log(30.0), log(3.0), log(50.0), log(1.2), log(0.2)}, dlp;
  Event dev[sizeof ev / sizeof ev[0]];
  memset(&dlp, 0, sizeof dlp);
  memset(dev, 0, sizeof dev);
  __enzyme_autodiff((void *)pk_nll, enzyme_dup, &lp, &dlp, enzyme_dup, ev, dev, enzyme_const, nev);
  double *v = &lp.lcl, *dv = &dlp.lcl;
  CHECK_ARRAY_FD("dnll/dlogpar", v, 6, dv, 1e-6, pk_nll(&lp, ev, nev), 1e-5, 1e-8);
  for (int e = 0; e < nev; e++) {
    if (ev[e].kind == INFUSION_STOP) continue; /* its amount is unused: zero derivative */
    CHECK_CLOSE("dnll/damount", dev[e].amount, FD_AT(ev[e].amount, 1e-6 * fabs(ev[e].amount), pk_nll(&lp, ev, nev)),
                1e-5, 1e-8);
  }
  CHECK_CLOSE("stop amount unused", dev[5].amount, 0.0, 0, 0);
  LogPar tlp = {0.1, -0.1, 0.05, 0.2, -0.05, 0.1};
  Event tev[sizeof ev / sizeof ev[0]];
  memset(tev, 0, sizeof tev);
  tev[0].amount = 1.0, tev[4].amount = -0.5;
  double t = __enzyme_fwddiff((void *)pk_nll, enzyme_dup, &lp, &tlp, enzyme_dup, ev, tev, enzyme_const, nev);
  double want = dotv(&tlp.lcl, dv, 6) + dev[0].amount - 0.5 * dev[4].amount;
  CHECK_CLOSE("forward vs reverse", t, want, 1e-9, 1e-12);
  return check_report();
}
