// float32 image code: 2D convolution, bilinear sampling with floorf and clamped indices,
// a float softplus, a float reduction with a double accumulator; reverse vs forward vs FD.
#include "check.h"
#include <stdlib.h>
extern int enzyme_dup, enzyme_const, enzyme_out, enzyme_dupnoneed;
float __enzyme_autodiff(void *, ...);
float __enzyme_fwddiff(void *, ...);
enum { W = 12, H = 10, K = 3 };
static float sample(const float *img, float x, float y) {
  float fx = floorf(x), fy = floorf(y);
  int ix = (int)fx, iy = (int)fy;
  float tx = x - fx, ty = y - fy;
  int x0 = ix < 0 ? 0 : ix >= W ? W - 1 : ix, x1 = ix + 1 >= W ? W - 1 : ix + 1 < 0 ? 0 : ix + 1;
  int y0 = iy < 0 ? 0 : iy >= H ? H - 1 : iy, y1 = iy + 1 >= H ? H - 1 : iy + 1 < 0 ? 0 : iy + 1;
  return (1 - tx) * (1 - ty) * img[y0 * W + x0] + tx * (1 - ty) * img[y0 * W + x1] +
         (1 - tx) * ty * img[y1 * W + x0] + tx * ty * img[y1 * W + x1];
}
float loss(const float *img, const float *kern, const float *shift) {
  float out[(H - K + 1) * (W - K + 1)];
  for (int i = 0; i + K <= H; i++)
    for (int j = 0; j + K <= W; j++) {
      float s = 0;
      for (int a = 0; a < K; a++)
        for (int b = 0; b < K; b++) s += kern[a * K + b] * sample(img, j + b + shift[0], i + a + shift[1]);
      out[i * (W - K + 1) + j] = logf(1.0f + expf(s));
    }
  double acc = 0;
  for (int i = 0; i < (H - K + 1) * (W - K + 1); i++) acc += (double)out[i] * out[i];
  return (float)(acc / 100.0);
}
static float IMG[W * H], KER[K * K], SH[2] = {0.3f, 0.45f};
int main(void) {
  for (int i = 0; i < W * H; i++) IMG[i] = sinf(0.37f * i) * 0.5f + 0.5f;
  for (int i = 0; i < K * K; i++) KER[i] = cosf(1.3f * i) * 0.4f;
  float dimg[W * H] = {0}, dker[K * K] = {0}, dsh[2] = {0};
  __enzyme_autodiff((void *)loss, enzyme_dup, IMG, dimg, enzyme_dup, KER, dker, enzyme_dup, SH, dsh);
  CHECK_ARRAY_FD("dkernel", KER, K * K, dker, 1e-2, loss(IMG, KER, SH), RTOL_FDF, ATOL_FDF);
  CHECK_ARRAY_FD("dshift", SH, 2, dsh, 1e-2, loss(IMG, KER, SH), RTOL_FDF * 5, ATOL_FDF * 5);
  CHECK_ARRAY_FD("dimg", IMG, W * H, dimg, 1e-2, loss(IMG, KER, SH), RTOL_FDF, ATOL_FDF);
  float tk[K * K] = {0}, ti[W * H] = {0}, ts[2] = {1, -0.5f};
  for (int i = 0; i < K * K; i++) tk[i] = 0.1f * i;
  float t = __enzyme_fwddiff((void *)loss, enzyme_dup, IMG, ti, enzyme_dup, KER, tk, enzyme_dup, SH, ts);
  double want = 0;
  for (int i = 0; i < K * K; i++) want += tk[i] * dker[i];
  want += ts[0] * dsh[0] + ts[1] * dsh[1];
  CHECK_CLOSE("fwd vs rev", t, want, 1e-4, 1e-5);
  return check_report();
}
