// A neural ODE in single precision, as a small ML code in C writes it: dz/dt = W2 tanh(W1 z +
// b1 + t u) + b2 with all weights in one float parameter vector (offsets computed by a layout
// struct), integrated by classic RK4 with a fixed number of steps, the trajectory observed at
// a few times (a `step % stride == 0` test), and a mean-squared loss in float accumulated in
// float. Everything is float: expf-free tanhf, sqrtf in a weight-norm regularizer, fmaf in the
// output layer. The user trains it with the reverse-mode gradient; forward mode gives one
// directional derivative.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences in
// float (loose tolerances), forward vs reverse (float rounding).
#include "check.h"
#include <stdlib.h>

float __enzyme_autodiff(void *, ...);
float __enzyme_fwddiff(void *, ...);

#define D 2  /* state */
#define HID 6

typedef struct {
  int w1, b1, u, w2, b2, n;
} Layout;

static Layout layout(void) {
  Layout l;
  l.w1 = 0;
  l.b1 = l.w1 + HID * D;
  l.u = l.b1 + HID;
  l.w2 = l.u + HID;
  l.b2 = l.w2 + D * HID;
  l.n = l.b2 + D;
  return l;
}

static void field(const float *p, const Layout *l, float t, const float *z, float *dz) {
  float h[HID];
  for (int i = 0; i < HID; i++) {
    float a = p[l->b1 + i] + t * p[l->u + i];
    for (int j = 0; j < D; j++) a += p[l->w1 + i * D + j] * z[j];
    h[i] = tanhf(a);
  }
  for (int k = 0; k < D; k++) {
    float s = p[l->b2 + k];
    for (int i = 0; i < HID; i++) s = fmaf(p[l->w2 + k * HID + i], h[i], s);
    dz[k] = s;
  }
}

static void rk4(const float *p, const Layout *l, float t, float dt, float *z) {
  float k1[D], k2[D], k3[D], k4[D], tmp[D];
  field(p, l, t, z, k1);
  for (int i = 0; i < D; i++) tmp[i] = z[i] + 0.5f * dt * k1[i];
  field(p, l, t + 0.5f * dt, tmp, k2);
  for (int i = 0; i < D; i++) tmp[i] = z[i] + 0.5f * dt * k2[i];
  field(p, l, t + 0.5f * dt, tmp, k3);
  for (int i = 0; i < D; i++) tmp[i] = z[i] + dt * k3[i];
  field(p, l, t + dt, tmp, k4);
  for (int i = 0; i < D; i++) z[i] += dt / 6.0f * (k1[i] + 2.0f * k2[i] + 2.0f * k3[i] + k4[i]);
}

/* obs: nobs x D, observed every `stride` steps */
float node_loss(const float *p, const float *z0, const float *obs, int nsteps, int stride) {
  Layout l = layout();
  float z[D] = {z0[0], z0[1]}, loss = 0.0f, dt = 0.05f;
  int o = 0;
  for (int s = 1; s <= nsteps; s++) {
    rk4(p, &l, (s - 1) * dt, dt, z);
    if (s % stride == 0) {
      for (int k = 0; k < D; k++) {
        float r = z[k] - obs[o * D + k];
        loss += r * r;
      }
      o++;
    }
  }
  float wn = 0.0f;
  for (int i = 0; i < l.n; i++) wn += p[i] * p[i];
  return loss / (float)o + 1e-3f * sqrtf(wn + 1.0f);
}

typedef struct {
  const float *z0, *obs;
} Ctx;

static float f_p(const float *p, const void *c) {
  const Ctx *x = c;
  return node_loss(p, x->z0, x->obs, 40, 8);
}

int main(void) {
  Layout l = layout();
  float *p = malloc(sizeof(float) * l.n), *dp = calloc(l.n, sizeof(float));
  unsigned s = 5;
  for (int i = 0; i < l.n; i++) p[i] = 0.5f * (float)prand(&s);
  float z0[D] = {1.0f, 0.0f}, dz0[D] = {0}, obs[5 * D];
  for (int o = 0; o < 5; o++) {
    float t = 0.4f * (o + 1);
    obs[o * D] = cosf(t) * expf(-0.2f * t), obs[o * D + 1] = -sinf(t) * expf(-0.2f * t);
  }
  __enzyme_autodiff((void *)node_loss, enzyme_dup, p, dp, enzyme_dup, z0, dz0, enzyme_const, obs, enzyme_const, 40,
                    enzyme_const, 8);
  Ctx c = {z0, obs};
  for (int i = 0; i < l.n; i++) {
    char what[64];
    snprintf(what, sizeof what, "dloss/dp[%d]", i);
    CHECK_CLOSE(what, dp[i], fdvcf(f_p, &c, p, l.n, i), 2e-2, 2e-3);
  }
  for (int k = 0; k < D; k++)
    CHECK_CLOSE("dloss/dz0", dz0[k], FD_AT(z0[k], 1e-2, node_loss(p, z0, obs, 40, 8)), 2e-2, 2e-3);
  float *tp = malloc(sizeof(float) * l.n);
  double want = 0.0;
  for (int i = 0; i < l.n; i++) tp[i] = 0.1f * cosf(0.37f * i), want += (double)tp[i] * dp[i];
  float tz[D] = {0.0f, 0.0f};
  float t = __enzyme_fwddiff((void *)node_loss, enzyme_dup, p, tp, enzyme_dup, z0, tz, enzyme_const, obs,
                             enzyme_const, 40, enzyme_const, 8);
  CHECK_CLOSE("forward vs reverse", t, want, RTOL_F * 20, ATOL_F * 10);
  free(p), free(dp), free(tp);
  return check_report();
}
