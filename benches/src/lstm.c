/*
 * lstm — multi-layer LSTM sequence loss in ADBench's formulation, written here
 * from the math (ADBench's LSTM uses elementwise "diagonal" weights).
 *
 * Sizes: l layers, c characters in the sequence, b = hidden size = alphabet.
 * Parameters (one flat vector, in this order):
 *   main[l][2][4][b]   per layer: weights (4 b) then biases (4 b) for the
 *                      forget, input, output and change gates
 *   extra[3][b]        input weight, output weight, output bias
 * Constants: initial state[l][2][b] (hidden, cell), sequence[c][b].
 *
 * One step, layer i, input x, state (h, s):
 *   f = sigmoid(x wf + bf)   g_in = sigmoid(h wi + bi)
 *   o = sigmoid(x wo + bo)   ch = tanh(h wc + bc)
 *   s' = s f + g_in ch,      h' = o tanh(s')        (the next layer's x is h')
 * Prediction: y = h'_top * w_out + b_out after x_0 = input * w_in.
 * Loss = - (1/((c-1) b)) sum_t sum_j seq[t+1][j] * (y_j - logsumexp(y)).
 * The state is copied into a local buffer first, so the objective is a pure
 * function of the parameters (ADBench overwrites its state argument).
 */
#include "bench.h"
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_name = "lstm";

static long L, C, B;
static double *X;      /* flat parameters: main then extra */
static double *state0; /* l * 2 * b */
static double *seq;    /* c * b */

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* ---------------- primal ---------------- */
static void lstm_model(long b, const double *w, const double *bias, double *hidden, double *cell,
                       const double *input, double *gates) {
    for (long j = 0; j < b; j++) {
        gates[j] = sigmoid(input[j] * w[j] + bias[j]);
        gates[b + j] = sigmoid(hidden[j] * w[b + j] + bias[b + j]);
        gates[2 * b + j] = sigmoid(input[j] * w[2 * b + j] + bias[2 * b + j]);
        gates[3 * b + j] = tanh(hidden[j] * w[3 * b + j] + bias[3 * b + j]);
    }
    for (long j = 0; j < b; j++) {
        cell[j] = cell[j] * gates[j] + gates[b + j] * gates[3 * b + j];
        hidden[j] = gates[2 * b + j] * tanh(cell[j]);
    }
}

static void lstm_predict(long l, long b, const double *w, const double *w2, double *s, const double *x,
                         double *x2, double *gates) {
    for (long j = 0; j < b; j++) x2[j] = x[j] * w2[j];
    const double *xp = x2;
    for (long i = 0; i < l; i++) {
        lstm_model(b, w + i * 8 * b, w + i * 8 * b + 4 * b, s + i * 2 * b, s + i * 2 * b + b, xp, gates);
        xp = s + i * 2 * b;
    }
    for (long j = 0; j < b; j++) x2[j] = xp[j] * w2[b + j] + w2[2 * b + j];
}

__attribute__((noinline)) double lstm_objective(long l, long c, long b, const double *restrict main_params,
                                                const double *restrict extra_params,
                                                const double *restrict state_in, const double *restrict sequence) {
    double *s = malloc(sizeof(double) * 2 * l * b);
    double *ypred = malloc(sizeof(double) * b);
    double *gates = malloc(sizeof(double) * 4 * b);
    for (long j = 0; j < 2 * l * b; j++) s[j] = state_in[j];
    double total = 0;
    for (long t = 0; t < c - 1; t++) {
        lstm_predict(l, b, main_params, extra_params, s, sequence + t * b, ypred, gates);
        double mx = ypred[0];
        for (long j = 1; j < b; j++)
            if (ypred[j] > mx) mx = ypred[j];
        double se = 0;
        for (long j = 0; j < b; j++) se += exp(ypred[j] - mx);
        double lse = log(se) + mx;
        const double *ygold = sequence + (t + 1) * b;
        for (long j = 0; j < b; j++) total += ygold[j] * (ypred[j] - lse);
    }
    free(s);
    free(ypred);
    free(gates);
    return -total / (double)((c - 1) * b);
}

/* ---------------- hand-written adjoint ----------------
 * Forward pass records, per (t, layer): the layer input x, the old hidden h
 * and cell s, the four gates and tanh(s'); the top hidden feeds the output.
 * The reverse pass walks t and the layers backwards carrying dh, ds. */
enum { R_X, R_H, R_S, R_F, R_I, R_O, R_C, R_T, R_N };

__attribute__((noinline)) void lstm_grad_hand(long l, long c, long b, const double *restrict w,
                                              const double *restrict w2, const double *restrict state_in,
                                              const double *restrict sequence, double *restrict dw,
                                              double *restrict dw2) {
    long steps = c - 1;
    double *rec = malloc(sizeof(double) * steps * l * R_N * b);
    double *ytop = malloc(sizeof(double) * steps * b);     /* top hidden per step */
    double *sm = malloc(sizeof(double) * steps * b);       /* softmax(y) per step */
    double *s = malloc(sizeof(double) * 2 * l * b);
    double *dh = calloc(l * b, sizeof(double));
    double *ds = calloc(l * b, sizeof(double));
    double *dx = malloc(sizeof(double) * b);
    double *x0 = malloc(sizeof(double) * b);
    for (long j = 0; j < 2 * l * b; j++) s[j] = state_in[j];
    double scale = -1.0 / (double)(steps * b);

    for (long t = 0; t < steps; t++) {
        const double *x = sequence + t * b;
        for (long j = 0; j < b; j++) x0[j] = x[j] * w2[j];
        const double *xp = x0;
        for (long i = 0; i < l; i++) {
            double *r = rec + (t * l + i) * R_N * b;
            const double *wi = w + i * 8 * b, *bi = wi + 4 * b;
            double *h = s + i * 2 * b, *cs = h + b;
            for (long j = 0; j < b; j++) {
                double f = sigmoid(xp[j] * wi[j] + bi[j]);
                double ig = sigmoid(h[j] * wi[b + j] + bi[b + j]);
                double o = sigmoid(xp[j] * wi[2 * b + j] + bi[2 * b + j]);
                double ch = tanh(h[j] * wi[3 * b + j] + bi[3 * b + j]);
                r[R_X * b + j] = xp[j];
                r[R_H * b + j] = h[j];
                r[R_S * b + j] = cs[j];
                r[R_F * b + j] = f;
                r[R_I * b + j] = ig;
                r[R_O * b + j] = o;
                r[R_C * b + j] = ch;
                double sn = cs[j] * f + ig * ch;
                double tn = tanh(sn);
                r[R_T * b + j] = tn;
                cs[j] = sn;
                h[j] = o * tn;
            }
            xp = h;
        }
        double *yt = ytop + t * b, *p = sm + t * b;
        double mx = -INFINITY;
        for (long j = 0; j < b; j++) {
            yt[j] = xp[j];
            p[j] = xp[j] * w2[b + j] + w2[2 * b + j];
            if (p[j] > mx) mx = p[j];
        }
        double se = 0;
        for (long j = 0; j < b; j++) se += exp(p[j] - mx);
        double lse = log(se) + mx;
        for (long j = 0; j < b; j++) p[j] = exp(p[j] - lse);
    }

    for (long t = steps - 1; t >= 0; t--) {
        const double *ygold = sequence + (t + 1) * b;
        const double *p = sm + t * b, *yt = ytop + t * b;
        /* d total / d y_j = ygold_j - softmax_j * sum(ygold) */
        double sg = 0;
        for (long j = 0; j < b; j++) sg += ygold[j];
        for (long j = 0; j < b; j++) {
            double dy = scale * (ygold[j] - p[j] * sg);
            dw2[b + j] += dy * yt[j];
            dw2[2 * b + j] += dy;
            dx[j] = dy * w2[b + j]; /* adjoint of the top layer's new hidden */
        }
        for (long i = l - 1; i >= 0; i--) {
            const double *r = rec + (t * l + i) * R_N * b;
            const double *wi = w + i * 8 * b;
            double *dwi = dw + i * 8 * b, *dbi = dwi + 4 * b;
            double *dhi = dh + i * b, *dsi = ds + i * b;
            for (long j = 0; j < b; j++) {
                double f = r[R_F * b + j], ig = r[R_I * b + j], o = r[R_O * b + j], ch = r[R_C * b + j];
                double tn = r[R_T * b + j], xj = r[R_X * b + j], hj = r[R_H * b + j], sj = r[R_S * b + j];
                double dhn = dhi[j] + dx[j];
                double dsn = dsi[j] + dhn * o * (1 - tn * tn);
                double dpf = dsn * sj * f * (1 - f);
                double dpi = dsn * ch * ig * (1 - ig);
                double dpo = dhn * tn * o * (1 - o);
                double dpc = dsn * ig * (1 - ch * ch);
                dwi[j] += dpf * xj;
                dbi[j] += dpf;
                dwi[b + j] += dpi * hj;
                dbi[b + j] += dpi;
                dwi[2 * b + j] += dpo * xj;
                dbi[2 * b + j] += dpo;
                dwi[3 * b + j] += dpc * hj;
                dbi[3 * b + j] += dpc;
                dsi[j] = dsn * f;
                dhi[j] = dpi * wi[b + j] + dpc * wi[3 * b + j];
                dx[j] = dpf * wi[j] + dpo * wi[2 * b + j]; /* adjoint of this layer's input */
            }
        }
        const double *x = sequence + t * b;
        for (long j = 0; j < b; j++) dw2[j] += dx[j] * x[j];
    }
    free(rec);
    free(ytop);
    free(sm);
    free(s);
    free(dh);
    free(ds);
    free(dx);
    free(x0);
}

/* ---------------- bench interface ---------------- */
int bench_init(int nsizes, const long *sizes, bench_info *info) {
    L = nsizes > 0 ? sizes[0] : 2;
    C = nsizes > 1 ? sizes[1] : 1024;
    B = nsizes > 2 ? sizes[2] : 14;
    if (L < 1 || C < 2 || B < 1) return 1;
    long n = L * 8 * B + 3 * B;
    X = bench_xmalloc(sizeof(double) * n);
    state0 = bench_xmalloc(sizeof(double) * L * 2 * B);
    seq = bench_xmalloc(sizeof(double) * C * B);
    bench_fill(X, n, 31, -1, 1);
    bench_fill(state0, L * 2 * B, 32, -1, 1);
    bench_fill(seq, C * B, 33, 0, 1);
    info->nparams = n;
    info->x = X;
    snprintf(info->size_label, sizeof info->size_label, "l=%ld c=%ld b=%ld", L, C, B);
    info->size_metric = (double)(L * C);
    info->fd_coords = 40;
    info->fd_step = 1e-4; /* the loss sums ~c*b terms: smaller steps drown in rounding */
    return 0;
}

double bench_primal(void) { return lstm_objective(L, C, B, X, X + L * 8 * B, state0, seq); }

void bench_grad_ferment(double *g) {
    long n = L * 8 * B + 3 * B;
    memset(g, 0, sizeof(double) * n);
    __enzyme_autodiff((void *)lstm_objective, enzyme_const, L, enzyme_const, C, enzyme_const, B, enzyme_dup, X, g,
                      enzyme_dup, X + L * 8 * B, g + L * 8 * B, enzyme_const, state0, enzyme_const, seq);
}

void bench_grad_hand(double *g) {
    long n = L * 8 * B + 3 * B;
    memset(g, 0, sizeof(double) * n);
    lstm_grad_hand(L, C, B, X, X + L * 8 * B, state0, seq, g, g + L * 8 * B);
}
