// Hyperparameter tuning by differentiating through training, as in "gradient-based
// hyperparameter optimisation" papers, written in C: a tiny model library whose models are
// structs of callbacks (function-pointer members for the loss and its hand-written gradient,
// chosen at run time: a ridge-regularised least-squares line and a softplus-hinge classifier),
// an Adam optimizer with bias correction (pow(beta, t)), epsilon, and a gradient-norm clip, run
// for a fixed number of steps on a training set; the objective is the validation loss of the
// trained weights. The user wants the hypergradient: d(validation loss)/d(learning rate, l2
// weight, initial weights) in reverse mode, and a forward tangent, for both models.
// Written as a new user's Enzyme program (session 38, issue 14). Oracle: central differences,
// forward vs reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

enum { P = 3, NTR = 12, NVA = 8, STEPS = 15 };

typedef struct {
  const double *x; /* n rows of 2 features */
  const double *y;
  int n;
} Data;

typedef struct {
  const char *name;
  double (*loss)(const double *w, const Data *d, double l2);
  void (*grad)(const double *w, const Data *d, double l2, double *g);
} Model;

static double pred(const double *w, const double *x) { return w[0] + w[1] * x[0] + w[2] * x[1]; }

static double ls_loss(const double *w, const Data *d, double l2) {
  double s = 0.0;
  for (int i = 0; i < d->n; i++) {
    double r = pred(w, d->x + 2 * i) - d->y[i];
    s += r * r;
  }
  return s / d->n + l2 * (w[1] * w[1] + w[2] * w[2]);
}

static void ls_grad(const double *w, const Data *d, double l2, double *g) {
  g[0] = g[1] = g[2] = 0.0;
  for (int i = 0; i < d->n; i++) {
    const double *x = d->x + 2 * i;
    double r = pred(w, x) - d->y[i];
    g[0] += 2.0 * r / d->n;
    g[1] += 2.0 * r * x[0] / d->n;
    g[2] += 2.0 * r * x[1] / d->n;
  }
  g[1] += 2.0 * l2 * w[1];
  g[2] += 2.0 * l2 * w[2];
}

static double softplus(double z) { return z > 20.0 ? z : log1p(exp(z)); }
static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* labels in {-1, +1}: mean softplus(-y f) */
static double sp_loss(const double *w, const Data *d, double l2) {
  double s = 0.0;
  for (int i = 0; i < d->n; i++) s += softplus(-d->y[i] * pred(w, d->x + 2 * i));
  return s / d->n + l2 * (w[1] * w[1] + w[2] * w[2]);
}

static void sp_grad(const double *w, const Data *d, double l2, double *g) {
  g[0] = g[1] = g[2] = 0.0;
  for (int i = 0; i < d->n; i++) {
    const double *x = d->x + 2 * i;
    double c = -d->y[i] * sigmoid(-d->y[i] * pred(w, x)) / d->n;
    g[0] += c;
    g[1] += c * x[0];
    g[2] += c * x[1];
  }
  g[1] += 2.0 * l2 * w[1];
  g[2] += 2.0 * l2 * w[2];
}

static const Model MODELS[2] = {{"least squares", ls_loss, ls_grad},
                                {"softplus classifier", sp_loss, sp_grad}};

typedef struct {
  const Model *model;
  Data train, valid;
  double beta1, beta2, eps, clip;
} Task;

/* h = [log learning rate, l2, w0_0, w0_1, w0_2] */
static double val_after_training(const double *h, const Task *t) {
  double lr = exp(h[0]), l2 = h[1];
  double w[P], m[P] = {0}, v[P] = {0}, g[P];
  for (int j = 0; j < P; j++) w[j] = h[2 + j];
  for (int k = 1; k <= STEPS; k++) {
    t->model->grad(w, &t->train, l2, g);
    double nrm = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
    if (nrm > t->clip)
      for (int j = 0; j < P; j++) g[j] *= t->clip / nrm;
    double bc1 = 1.0 - pow(t->beta1, k), bc2 = 1.0 - pow(t->beta2, k);
    for (int j = 0; j < P; j++) {
      m[j] = t->beta1 * m[j] + (1.0 - t->beta1) * g[j];
      v[j] = t->beta2 * v[j] + (1.0 - t->beta2) * g[j] * g[j];
      double mh = m[j] / bc1, vh = v[j] / bc2;
      w[j] -= lr * mh / (sqrt(vh) + t->eps);
    }
  }
  return t->model->loss(w, &t->valid, 0.0);
}

static double val_fd(const double *h, const void *t) { return val_after_training(h, t); }

int main(void) {
  double xtr[2 * NTR], ytr[NTR], ytr_c[NTR], xva[2 * NVA], yva[NVA], yva_c[NVA];
  unsigned s = 5;
  for (int i = 0; i < NTR; i++) {
    xtr[2 * i] = prand(&s);
    xtr[2 * i + 1] = prand(&s);
    ytr[i] = 0.7 - 1.3 * xtr[2 * i] + 0.4 * xtr[2 * i + 1] + 0.1 * prand(&s);
    ytr_c[i] = ytr[i] > 0.6 ? 1.0 : -1.0;
  }
  for (int i = 0; i < NVA; i++) {
    xva[2 * i] = prand(&s);
    xva[2 * i + 1] = prand(&s);
    yva[i] = 0.7 - 1.3 * xva[2 * i] + 0.4 * xva[2 * i + 1] + 0.1 * prand(&s);
    yva_c[i] = yva[i] > 0.6 ? 1.0 : -1.0;
  }
  for (int mi = 0; mi < 2; mi++) {
    Task t;
    t.model = &MODELS[mi];
    t.train = (Data){xtr, mi ? ytr_c : ytr, NTR};
    t.valid = (Data){xva, mi ? yva_c : yva, NVA};
    t.beta1 = 0.9;
    t.beta2 = 0.999;
    t.eps = 1e-8;
    t.clip = mi ? 10.0 : 0.8; /* the least-squares run clips its first steps */

    /* the hand-written gradient is right (it is differentiated through, so check it) */
    double w[P] = {0.1, -0.2, 0.3}, g[P];
    t.model->grad(w, &t.train, 0.05, g);
    for (int j = 0; j < P; j++)
      CHECK_CLOSE(t.model->name, g[j], FD_AT(w[j], 1e-6, t.model->loss(w, &t.train, 0.05)), 1e-6,
                  1e-9);

    double h[5] = {log(0.05), 0.02, 0.1, -0.2, 0.3}, dh[5] = {0};
    double v0 = val_after_training(h, &t);
    __enzyme_autodiff((void *)val_after_training, enzyme_dup, h, dh, enzyme_const, &t);
    CHECK_GRAD_FD(t.model->name, val_fd, &t, h, 5, dh, 1e-5, 1e-9);
    double th[5] = {0.3, -0.1, 0.2, 0.5, -0.4};
    double jt = __enzyme_fwddiff((void *)val_after_training, enzyme_dup, h, th, enzyme_const, &t);
    CHECK_CLOSE("hypergradient tangent vs reverse", jt, dotv(dh, th, 5), 1e-10, 1e-13);

    /* one hypergradient step on the log learning rate lowers the validation loss */
    double h2[5];
    memcpy(h2, h, sizeof h);
    h2[0] -= 0.05 * dh[0] / (fabs(dh[0]) + 1e-12);
    CHECK_TRUE("hypergradient step helps", val_after_training(h2, &t) < v0);
  }
  return check_report();
}
