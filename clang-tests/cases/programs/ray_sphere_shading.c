// A tiny differentiable ray tracer, the "inverse rendering" example users try: a scene of
// spheres in an array of structs, ray/sphere intersection with a discriminant test and the
// nearest positive root chosen by branches, a shadow ray toward a point light (occluded or not),
// Lambert shading with fmax(0, n.l), a hard-coded camera grid of pixels, and an L2 loss against
// a target image. Reverse mode gives the loss gradient with respect to sphere centres, radii,
// albedos and the light position; forward mode checks a direction.
// Written as a new user's Enzyme program (session 37, issue 14). Oracle: central differences
// (visibility edges are discontinuous; with this scene and the small steps used no pixel's hit
// sphere or shadow test flips), forward vs reverse.
#include "check.h"
#include <stdlib.h>

double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);

typedef struct { double x, y, z; } Vec3;
typedef struct {
  Vec3 c;
  double r;
  double albedo;
} Sphere;
typedef struct {
  Vec3 light;
  double intensity, ambient;
} Light;

static Vec3 v_sub(Vec3 a, Vec3 b) { return (Vec3){a.x - b.x, a.y - b.y, a.z - b.z}; }
static Vec3 v_add(Vec3 a, Vec3 b) { return (Vec3){a.x + b.x, a.y + b.y, a.z + b.z}; }
static Vec3 v_scale(Vec3 a, double s) { return (Vec3){a.x * s, a.y * s, a.z * s}; }
static double v_dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static Vec3 v_norm(Vec3 a) { return v_scale(a, 1.0 / sqrt(v_dot(a, a))); }

/* smallest t > eps where the ray hits s, or -1 */
static double hit(const Sphere *s, Vec3 o, Vec3 d) {
  Vec3 oc = v_sub(o, s->c);
  double b = v_dot(oc, d);
  double c = v_dot(oc, oc) - s->r * s->r;
  double disc = b * b - c;
  if (disc < 0.0) return -1.0;
  double sq = sqrt(disc);
  double t = -b - sq;
  if (t > 1e-6) return t;
  t = -b + sq;
  if (t > 1e-6) return t;
  return -1.0;
}

static int nearest(const Sphere *sp, int ns, Vec3 o, Vec3 d, double *tbest) {
  int best = -1;
  *tbest = 1e30;
  for (int i = 0; i < ns; i++) {
    double t = hit(&sp[i], o, d);
    if (t > 0.0 && t < *tbest) {
      *tbest = t;
      best = i;
    }
  }
  return best;
}

static double shade(const Sphere *sp, int ns, const Light *L, Vec3 o, Vec3 d) {
  double t;
  int i = nearest(sp, ns, o, d, &t);
  if (i < 0) return 0.05; /* background */
  Vec3 p = v_add(o, v_scale(d, t));
  Vec3 n = v_norm(v_sub(p, sp[i].c));
  Vec3 tl = v_sub(L->light, p);
  double dist2 = v_dot(tl, tl);
  Vec3 l = v_norm(tl);
  double ts;
  int occ = nearest(sp, ns, v_add(p, v_scale(n, 1e-4)), l, &ts);
  double vis = (occ >= 0 && ts * ts < dist2) ? 0.2 : 1.0;
  double diff = fmax(0.0, v_dot(n, l));
  return sp[i].albedo * (L->ambient + vis * L->intensity * diff / (1.0 + 0.1 * dist2));
}

double render_loss(const Sphere *sp, int ns, const Light *L, const double *target, int w, int h) {
  Vec3 eye = {0, 0, -4};
  double loss = 0.0;
  for (int py = 0; py < h; py++)
    for (int px = 0; px < w; px++) {
      Vec3 d = v_norm((Vec3){(px + 0.5) / w - 0.5, (py + 0.5) / h - 0.5, 1.0});
      double c = shade(sp, ns, L, eye, d);
      double e = c - target[py * w + px];
      loss += e * e;
    }
  return loss;
}

enum { W = 6, H = 5, NSPH = 3 };

int main(void) {
  Sphere sp[NSPH] = {{{0.0, 0.0, 2.0}, 1.6, 0.8}, {{1.0, 0.6, 0.5}, 0.4, 0.6}, {{0, -101.5, 2}, 100.0, 0.5}};
  Light L = {{2.0, 3.0, -1.0}, 4.0, 0.1};
  double target[W * H];
  for (int i = 0; i < W * H; i++) target[i] = 0.3 + 0.01 * i;
  Sphere dsp[NSPH] = {{{0}}};
  Light dL = {{0}};
  __enzyme_autodiff((void *)render_loss, enzyme_dup, sp, dsp, enzyme_const, NSPH, enzyme_dup, &L, &dL, enzyme_const,
                    target, enzyme_const, W, enzyme_const, H);
#define LOSS render_loss(sp, NSPH, &L, target, W, H)
  for (int i = 0; i < NSPH; i++) {
    CHECK_CLOSE("d/dcx", dsp[i].c.x, FD_AT(sp[i].c.x, 1e-7, LOSS), 1e-5, 1e-8);
    CHECK_CLOSE("d/dcy", dsp[i].c.y, FD_AT(sp[i].c.y, 1e-7, LOSS), 1e-5, 1e-8);
    CHECK_CLOSE("d/dcz", dsp[i].c.z, FD_AT(sp[i].c.z, 1e-7, LOSS), 1e-5, 1e-8);
    CHECK_CLOSE("d/dr", dsp[i].r, FD_AT(sp[i].r, 1e-7, LOSS), 1e-5, 1e-8);
    CHECK_CLOSE("d/dalbedo", dsp[i].albedo, FD_AT(sp[i].albedo, 1e-7, LOSS), 1e-5, 1e-8);
  }
  CHECK_CLOSE("d/dlight.x", dL.light.x, FD_AT(L.light.x, 1e-7, LOSS), 1e-5, 1e-8);
  CHECK_CLOSE("d/dlight.y", dL.light.y, FD_AT(L.light.y, 1e-7, LOSS), 1e-5, 1e-8);
  CHECK_CLOSE("d/dlight.z", dL.light.z, FD_AT(L.light.z, 1e-7, LOSS), 1e-5, 1e-8);
  CHECK_CLOSE("d/dintensity", dL.intensity, FD_AT(L.intensity, 1e-7, LOSS), 1e-5, 1e-8);
  CHECK_CLOSE("d/dambient", dL.ambient, FD_AT(L.ambient, 1e-7, LOSS), 1e-5, 1e-8);

  Sphere tsp[NSPH] = {{{0.1, -0.2, 0.3}, 0.05, 0.1}, {{0, 0, 0}, -0.1, 0}, {{0}}};
  Light tL = {{0.5, 0, 0}, 0.2, 0};
  double t = __enzyme_fwddiff((void *)render_loss, enzyme_dup, sp, tsp, enzyme_const, NSPH, enzyme_dup, &L, &tL,
                              enzyme_const, target, enzyme_const, W, enzyme_const, H);
  double want = 0.1 * dsp[0].c.x - 0.2 * dsp[0].c.y + 0.3 * dsp[0].c.z + 0.05 * dsp[0].r + 0.1 * dsp[0].albedo -
                0.1 * dsp[1].r + 0.5 * dL.light.x + 0.2 * dL.intensity;
  CHECK_CLOSE("forward vs reverse", t, want, 1e-9, 1e-12);
  return check_report();
}
