// An audio equalizer in single precision, as DSP code in C writes it: a cascade of biquad
// sections (transposed direct form II) whose coefficients come from RBJ cookbook formulas
// (peaking EQ: powf(10, gain/40), sinf/cosf of the centre frequency, a bandwidth in octaves via
// sinhf), per-section float state in a struct array, a block-processing loop over a float
// buffer, and a spectral loss: the filtered noise's error against a target signal plus a soft
// clipping penalty with tanhf. The user fits the section gains and centre frequencies by
// gradient descent: reverse mode in float, and forward mode along a direction.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences in
// float (loose tolerances, double quotients), forward vs reverse.
#include "check.h"
#include <stdlib.h>

float __enzyme_autodiff(void *, ...);
float __enzyme_fwddiff(void *, ...);

#define NSEC 3
#define NBLK 64
#define NBLOCKS 4

typedef struct {
  float b0, b1, b2, a1, a2;
  float z1, z2;
} Biquad;

static void design_peak(Biquad *q, float fs, float f0, float gain_db, float bw) {
  float A = powf(10.0f, gain_db / 40.0f);
  float w0 = 2.0f * (float)M_PI * f0 / fs;
  float sn = sinf(w0), cs = cosf(w0);
  float alpha = sn * sinhf(0.34657359f * bw * w0 / sn); /* ln(2)/2 */
  float a0 = 1.0f + alpha / A;
  q->b0 = (1.0f + alpha * A) / a0;
  q->b1 = -2.0f * cs / a0;
  q->b2 = (1.0f - alpha * A) / a0;
  q->a1 = -2.0f * cs / a0;
  q->a2 = (1.0f - alpha / A) / a0;
  q->z1 = q->z2 = 0.0f;
}

static void process_block(Biquad *q, float *buf, int n) {
  for (int i = 0; i < n; i++) {
    float x = buf[i];
    float y = q->b0 * x + q->z1;
    q->z1 = q->b1 * x - q->a1 * y + q->z2;
    q->z2 = q->b2 * x - q->a2 * y;
    buf[i] = y;
  }
}

/* p = {gain_db[NSEC], f0[NSEC]} */
float eq_loss(const float *p, const float *noise, const float *target) {
  Biquad sec[NSEC];
  for (int s = 0; s < NSEC; s++) design_peak(&sec[s], 8000.0f, p[NSEC + s], p[s], 1.0f);
  float *buf = malloc(sizeof(float) * NBLK);
  float loss = 0.0f;
  for (int b = 0; b < NBLOCKS; b++) {
    memcpy(buf, noise + b * NBLK, sizeof(float) * NBLK);
    for (int s = 0; s < NSEC; s++) process_block(&sec[s], buf, NBLK);
    for (int i = 0; i < NBLK; i++) {
      float e = buf[i] - target[b * NBLK + i];
      float c = tanhf(buf[i]);
      loss += e * e + 0.1f * (buf[i] - c) * (buf[i] - c);
    }
  }
  free(buf);
  return loss / (NBLK * NBLOCKS);
}

typedef struct {
  const float *noise, *target;
} Sig;

static float f_p(const float *p, const void *c) {
  const Sig *s = c;
  return eq_loss(p, s->noise, s->target);
}

int main(void) {
  float *noise = malloc(sizeof(float) * NBLK * NBLOCKS), *target = malloc(sizeof(float) * NBLK * NBLOCKS);
  unsigned st = 9;
  for (int i = 0; i < NBLK * NBLOCKS; i++) {
    noise[i] = (float)prand(&st);
    target[i] = 0.8f * noise[i] + 0.3f * sinf(0.3f * i);
  }
  float p[2 * NSEC] = {3.0f, -2.0f, 5.0f, 300.0f, 1200.0f, 2500.0f}, dp[2 * NSEC] = {0};
  __enzyme_autodiff((void *)eq_loss, enzyme_dup, p, dp, enzyme_const, noise, enzyme_const, target);
  Sig sg = {noise, target};
  for (int i = 0; i < 2 * NSEC; i++) {
    char what[64];
    snprintf(what, sizeof what, "dloss/dp[%d]", i);
    CHECK_CLOSE(what, dp[i], fdvcf(f_p, &sg, p, 2 * NSEC, i), 3e-2, 1e-4);
  }
  float tp[2 * NSEC] = {0.5f, -0.3f, 0.2f, 10.0f, -20.0f, 5.0f};
  float t = __enzyme_fwddiff((void *)eq_loss, enzyme_dup, p, tp, enzyme_const, noise, enzyme_const, target);
  double want = 0.0;
  for (int i = 0; i < 2 * NSEC; i++) want += (double)dp[i] * tp[i];
  CHECK_CLOSE("forward vs reverse", t, want, 1e-3, 1e-6);
  free(noise), free(target);
  return check_report();
}
