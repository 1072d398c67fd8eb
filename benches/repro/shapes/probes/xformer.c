/* one pre-norm transformer layer on T tokens of width D: x1 = x + Attn(LN(x)), y = x1 + W2 gelu_tanh(W1 LN(x1));
 * objective: sum y * c (fixed weights c). Active: the tokens X and all weights (one flat vector). */
#include "common.h"
#define T 6
#define D 8
#define H 12
#define NW (3 * D * D + H * D + D * H + 4 * D)
static double C[T * D];
static void ln(const double *x, const double *g, const double *b, double *o) {
    double mu = 0, v = 0;
    for (int j = 0; j < D; j++) mu += x[j];
    mu /= D;
    for (int j = 0; j < D; j++) v += (x[j] - mu) * (x[j] - mu);
    double r = 1 / sqrt(v / D + 1e-5);
    for (int j = 0; j < D; j++) o[j] = g[j] * (x[j] - mu) * r + b[j];
}
__attribute__((noinline)) double layer(const double *x, const double *w) {
    const double *wq = w, *wk = w + D * D, *wv = w + 2 * D * D, *w1 = w + 3 * D * D, *w2 = w1 + H * D;
    const double *g1 = w2 + D * H, *b1 = g1 + D, *g2 = b1 + D, *b2 = g2 + D;
    double a[T][D], q[T][D], k[T][D], v[T][D], x1[T][D];
    for (int t = 0; t < T; t++) {
        ln(x + t * D, g1, b1, a[t]);
        for (int i = 0; i < D; i++) {
            q[t][i] = k[t][i] = v[t][i] = 0;
            for (int j = 0; j < D; j++) { q[t][i] += wq[i * D + j] * a[t][j]; k[t][i] += wk[i * D + j] * a[t][j]; v[t][i] += wv[i * D + j] * a[t][j]; }
        }
    }
    for (int t = 0; t < T; t++) {
        double s[T], m = -INFINITY, z = 0;
        for (int u = 0; u < T; u++) {
            s[u] = 0;
            for (int i = 0; i < D; i++) s[u] += q[t][i] * k[u][i];
            s[u] /= sqrt((double)D);
            if (u > t) s[u] = -INFINITY; /* causal */
            m = fmax(m, s[u]);
        }
        for (int u = 0; u < T; u++) { s[u] = exp(s[u] - m); z += s[u]; }
        for (int i = 0; i < D; i++) {
            double o = 0;
            for (int u = 0; u < T; u++) o += s[u] / z * v[u][i];
            x1[t][i] = x[t * D + i] + o;
        }
    }
    double f = 0;
    for (int t = 0; t < T; t++) {
        double a2[D], hdn[H];
        ln(x1[t], g2, b2, a2);
        for (int r = 0; r < H; r++) {
            double z = 0;
            for (int j = 0; j < D; j++) z += w1[r * D + j] * a2[j];
            hdn[r] = 0.5 * z * (1 + tanh(0.7978845608028654 * (z + 0.044715 * z * z * z)));
        }
        for (int i = 0; i < D; i++) {
            double y = x1[t][i];
            for (int r = 0; r < H; r++) y += w2[i * H + r] * hdn[r];
            f += y * C[t * D + i];
        }
    }
    return f;
}
static double F(const double *x) { return layer(x, x + T * D); }
int main(void) {
    enum { N = T * D + NW };
    static double x[N], g[N], dx[N];
    for (int i = 0; i < N; i++) x[i] = 0.4 * sin(1.7 * i + 0.3);
    for (int i = T * D + NW - 4 * D; i < N; i++) x[i] += (i / D) % 2 == 0 ? 1.0 : 0.0; /* gammas near 1 */
    for (int i = 0; i < T * D; i++) C[i] = cos(0.9 * i);
    __enzyme_autodiff((void *)layer, enzyme_dup, x, g, enzyme_dup, x + T * D, g + T * D);
    int bad = check("xformer", F, g, x, N, 1e-6, 1e-6);
    for (int i = 0; i < N; i++) dx[i] = cos(1.3 * i + 0.2);
    double df = __enzyme_fwddiff((void *)layer, enzyme_dup, x, dx, enzyme_dup, x + T * D, dx + T * D);
    return bad + dotcheck("xformer", df, g, dx, N);
}
