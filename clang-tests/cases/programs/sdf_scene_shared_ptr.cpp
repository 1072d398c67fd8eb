// A signed-distance-field renderer kernel in C++ as graphics people write it: shapes held in a
// std::vector<std::shared_ptr<Shape>> (reference counts copied when the scene is copied into
// the renderer), virtual `distance(p)` overrides for a sphere, a rounded box and a torus, a
// smooth-minimum blend (exp-based), sphere tracing with a fixed step budget and a hit test
// (a branch on the distance), normals by central differences of the SDF inside the kernel,
// Lambert shading with a clamp (std::max), and a small Vec3 class with operator overloads. The
// user differentiates the rendered image's loss against a target with respect to the shape
// parameters (radius, box half-size, torus radii, light direction), reverse and forward.
// Written as a new user's Enzyme program (session 39, issue 14). Oracle: central differences
// (no ray switches between hit and miss near the point), forward vs reverse.
#include "check.h"
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

extern "C" {
double __enzyme_autodiff(void *, ...);
double __enzyme_fwddiff(void *, ...);
}

struct V3 {
  double x, y, z;
  V3 operator+(const V3 &o) const { return {x + o.x, y + o.y, z + o.z}; }
  V3 operator-(const V3 &o) const { return {x - o.x, y - o.y, z - o.z}; }
  V3 operator*(double s) const { return {x * s, y * s, z * s}; }
  double dot(const V3 &o) const { return x * o.x + y * o.y + z * o.z; }
  double len() const { return std::sqrt(dot(*this)); }
};

struct Shape {
  virtual ~Shape() = default;
  virtual double distance(const V3 &p) const = 0;
};

struct Sphere : Shape {
  V3 c;
  double r;
  Sphere(V3 c, double r) : c(c), r(r) {}
  double distance(const V3 &p) const override { return (p - c).len() - r; }
};

struct RoundBox : Shape {
  V3 c, half;
  double round;
  RoundBox(V3 c, V3 h, double r) : c(c), half(h), round(r) {}
  double distance(const V3 &p) const override {
    V3 d = p - c;
    V3 q{std::fabs(d.x) - half.x, std::fabs(d.y) - half.y, std::fabs(d.z) - half.z};
    V3 qp{std::max(q.x, 0.0), std::max(q.y, 0.0), std::max(q.z, 0.0)};
    double inside = std::min(std::max(q.x, std::max(q.y, q.z)), 0.0);
    return qp.len() + inside - round;
  }
};

struct Torus : Shape {
  V3 c;
  double R, r;
  Torus(V3 c, double R, double r) : c(c), R(R), r(r) {}
  double distance(const V3 &p) const override {
    V3 d = p - c;
    double qx = std::sqrt(d.x * d.x + d.z * d.z) - R;
    return std::sqrt(qx * qx + d.y * d.y) - r;
  }
};

struct Scene {
  std::vector<std::shared_ptr<Shape>> shapes;
  double k = 12.0; // smooth-min sharpness
  double sdf(const V3 &p) const {
    double s = 0.0;
    for (const auto &sh : shapes) s += std::exp(-k * sh->distance(p));
    return -std::log(s) / k;
  }
};

static double render_pixel(const Scene &scene, const V3 &eye, const V3 &dir, const V3 &light) {
  double t = 0.0;
  for (int it = 0; it < 64; it++) {
    double d = scene.sdf(eye + dir * t);
    if (d < 1e-5) break;
    t += d;
    if (t > 8.0) return 0.05; // background
  }
  V3 p = eye + dir * t;
  const double e = 1e-4;
  V3 n{scene.sdf(p + V3{e, 0, 0}) - scene.sdf(p - V3{e, 0, 0}), scene.sdf(p + V3{0, e, 0}) - scene.sdf(p - V3{0, e, 0}),
       scene.sdf(p + V3{0, 0, e}) - scene.sdf(p - V3{0, 0, e})};
  n = n * (1.0 / n.len());
  return 0.1 + 0.9 * std::max(n.dot(light), 0.0);
}

#define W 6
#define H 5
// params: sphere r, box half (x), torus R, torus r, light (x, y)
extern "C" double image_loss(const double *prm, const double *target) {
  Scene proto;
  proto.shapes.push_back(std::make_shared<Sphere>(V3{-0.6, 0.0, 0.0}, prm[0]));
  proto.shapes.push_back(std::make_shared<RoundBox>(V3{0.6, 0.1, 0.2}, V3{prm[1], 0.3, 0.3}, 0.05));
  proto.shapes.push_back(std::make_shared<Torus>(V3{0.0, -0.5, 0.3}, prm[2], prm[3]));
  Scene scene = proto; // copies share the shapes
  V3 light{prm[4], prm[5], -1.0};
  light = light * (1.0 / light.len());
  V3 eye{0.0, 0.0, -3.0};
  double loss = 0.0;
  for (int j = 0; j < H; j++)
    for (int i = 0; i < W; i++) {
      V3 dir{(i - 0.5 * (W - 1)) * 0.11, (j - 0.5 * (H - 1)) * 0.11, 1.0};
      dir = dir * (1.0 / dir.len());
      double c = render_pixel(scene, eye, dir, light);
      loss += (c - target[j * W + i]) * (c - target[j * W + i]);
    }
  return loss;
}

static double f_prm(const double *p, const void *t) { return image_loss(p, (const double *)t); }

int main() {
  double target[W * H];
  for (int k = 0; k < W * H; k++) target[k] = 0.5 + 0.3 * std::sin(0.5 * k);
  double prm[6] = {0.45, 0.3, 0.5, 0.15, 0.4, 0.6}, dprm[6] = {0};
  __enzyme_autodiff((void *)image_loss, enzyme_dup, prm, dprm, enzyme_const, target);
  CHECK_GRAD_FD("dloss/dparams", f_prm, target, prm, 6, dprm, 2e-4, 1e-6);
  double tp[6] = {0.1, -0.1, 0.05, 0.02, 0.3, -0.2};
  double t = __enzyme_fwddiff((void *)image_loss, enzyme_dup, prm, tp, enzyme_const, target);
  CHECK_CLOSE("forward vs reverse", t, dotv(dprm, tp, 6), 1e-8, 1e-11);
  return check_report();
}
