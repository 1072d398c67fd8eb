/* Poisson regression with a per-row log-sum-exp mixture over K classes:
 * log p(y_i) = lse_c(pi_c + y_i log(mu_ic) - mu_ic - lgamma(y_i + 1)), mu_ic = exp(b_c + w_c . x_i). */
#include "common.h"
#define NR 30
#define P 3
#define K 4
static double XD[NR][P]; static int YD[NR];
__attribute__((noinline)) double nll(const double *w, const double *b, const double *pi) {
    double f = 0, lz[K], m;
    /* log-softmax of the mixture weights */
    m = pi[0]; for (int c = 1; c < K; c++) m = pi[c] > m ? pi[c] : m;
    double z = 0; for (int c = 0; c < K; c++) z += exp(pi[c] - m);
    double lnorm = m + log(z);
    for (int i = 0; i < NR; i++) {
        double mx = -INFINITY;
        for (int c = 0; c < K; c++) {
            double eta = b[c];
            for (int j = 0; j < P; j++) eta += w[c * P + j] * XD[i][j];
            lz[c] = pi[c] - lnorm + YD[i] * eta - exp(eta) - lgamma(YD[i] + 1.0);
            if (lz[c] > mx) mx = lz[c];
        }
        double s = 0; for (int c = 0; c < K; c++) s += exp(lz[c] - mx);
        f -= mx + log(s);
    }
    return f;
}
static double F(const double *x) { return nll(x, x + K * P, x + K * P + K); }
int main(void) {
    int n = K * P + 2 * K; double x[K * P + 2 * K], g[K * P + 2 * K] = {0};
    for (int i = 0; i < NR; i++) { for (int j = 0; j < P; j++) XD[i][j] = sin(1.1 * i + 2.3 * j); YD[i] = (i * 7) % 5; }
    for (int i = 0; i < n; i++) x[i] = 0.3 * cos(0.9 * i);
    __enzyme_autodiff((void *)nll, enzyme_dup, x, g, enzyme_dup, x + K * P, g + K * P, enzyme_dup, x + K * P + K, g + K * P + K);
    int bad = check("poisson", F, g, x, n, 1e-6, 1e-6);
    double dx[K * P + 2 * K]; for (int i = 0; i < n; i++) dx[i] = cos(1.3 * i + 0.2);
    double df = __enzyme_fwddiff((void *)nll, enzyme_dup, x, dx, enzyme_dup, x + K * P, dx + K * P, enzyme_dup, x + K * P + K, dx + K * P + K);
    return bad + dotcheck("poisson", df, g, dx, n);
}
