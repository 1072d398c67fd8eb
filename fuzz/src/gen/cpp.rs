//! The `cpp` variant (`--variant cpp`; with `,no-inline` too): the program is C++17 (written
//! `.cpp`, compiled with `clang++-22 -std=c++17`), and the kernel uses the C++ library and
//! language constructs numerical C++ uses (`Gen::cpp_stmt`, drawn for 40% of the statements):
//! - `std::vector<double>` filled by `push_back` (after `reserve` or not), by `resize` and
//!   indexing, read by range-for, `std::accumulate` and `std::inner_product`;
//! - a small value type `V2` with member functions and overloaded operators (`+`, `-`, `*`,
//!   `+=`), and a running accumulator class `Acc` updated through a member function;
//! - a base class `Shape1` with a virtual `eval` and three derived classes held in a
//!   `std::vector<std::unique_ptr<Shape1>>`, the class of some elements chosen by the data
//!   (a recorded branch);
//! - lambdas capturing by value (`[=]`) and by reference (`[&]`, updating a local), called
//!   directly, through a template (`apply_sum`) and through `std::function<double(double)>`;
//! - `std::array<double, 3>` (range-for by reference, indexing);
//! - `std::pair`/`std::tuple` returned by helpers, read with structured bindings and
//!   `std::get`;
//! - `std::min`/`std::max` on doubles (`STDMIN(`/`STDMAX(` markers: recorded like `fmin`/`fmax`);
//! - references and const references as arguments (`axpy_ref`, `dot_ref`).
//!
//! The classes and helpers (`DEFS`) are smooth and shared by the differentiated and the
//! recording copy; their helpers are `noinline` in about half the programs (drawn once per
//! program, `defs`). Every draw is behind the variant's flag, so the other variants' programs
//! are unchanged.

use super::{lit, Gen, Scope};
use crate::program::Stmt;

/// The C++ types and helpers the statements use; `noinline` puts the attribute on the free
/// helpers and on the virtual functions' definitions.
pub(super) fn defs(noinline: bool) -> String {
    let a = if noinline {
        "__attribute__((noinline)) "
    } else {
        ""
    };
    format!(
        r#"#include <vector>
#include <array>
#include <memory>
#include <functional>
#include <numeric>
#include <algorithm>
#include <tuple>
#include <utility>
struct V2 {{
  double x, y;
  V2 operator+(const V2 &o) const {{ return {{x + o.x, y + o.y}}; }}
  V2 operator-(const V2 &o) const {{ return {{x - o.x, y - o.y}}; }}
  V2 operator*(double s) const {{ return {{s * x, s * y}}; }}
  V2 &operator+=(const V2 &o) {{ x += o.x; y += o.y; return *this; }}
  double dot(const V2 &o) const {{ return x * o.x + y * o.y; }}
  double norm() const {{ return sqrt(1.0 + x * x + y * y); }}
}};
class Acc {{
  double s_ = 0.0, s2_ = 0.0;
  int n_ = 0;
public:
  {a}void add(double w, double v) {{ s_ += w * v; s2_ += w * v * v; n_++; }}
  double mean() const {{ return n_ ? s_ / n_ : 0.0; }}
  double spread() const {{ return n_ ? s2_ / n_ - 0.5 * (s_ / n_) * (s_ / n_) : 0.0; }}
}};
struct Shape1 {{
  virtual ~Shape1() = default;
  virtual double eval(double x) const = 0;
}};
struct ShSin : Shape1 {{
  double c;
  explicit ShSin(double c) : c(c) {{}}
  {a}double eval(double x) const override {{ return c * sin(x); }}
}};
struct ShTanh : Shape1 {{
  double c, d;
  ShTanh(double c, double d) : c(c), d(d) {{}}
  {a}double eval(double x) const override {{ return tanh(c * x) + d * x; }}
}};
struct ShRat : Shape1 {{
  double a, b;
  ShRat(double a, double b) : a(a), b(b) {{}}
  {a}double eval(double x) const override {{ return a * x * x / (1.0 + x * x) + b; }}
}};
template <class F>
{a}static double apply_sum(F fn, const double *p, int n) {{
  double s = 0.0;
  for (int i = 0; i < n; i++) s += fn(p[i]);
  return s;
}}
{a}static double call_fn(const std::function<double(double)> &fn, double x) {{ return fn(x) + 0.25 * fn(0.5 * x); }}
{a}static std::pair<double, double> sin_cos(double x) {{ return {{sin(x), cos(x)}}; }}
{a}static std::tuple<double, double, double> moments(const std::vector<double> &v) {{
  double s = 0.0, s2 = 0.0;
  for (double e : v) {{ s += e; s2 += e * e; }}
  double n = (double)v.size();
  return std::make_tuple(s / n, s2 / n, v.empty() ? 0.0 : v.back());
}}
{a}static void axpy_ref(double &y, const double &a, double x) {{ y += a * x; }}
{a}static double dot_ref(const std::vector<double> &u, const std::array<double, 3> &w) {{
  double s = 0.0;
  for (size_t i = 0; i < u.size() && i < w.size(); i++) s += u[i] * w[i];
  return s;
}}
"#
    )
}

impl Gen {
    /// A statement of the `cpp` variant, or None when the scope offers nothing it needs.
    pub(super) fn cpp_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v, r) = self.loop_stmt_parts(sc)?;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let mut es = Vec::new();
        for _ in 0..3 {
            let (e, _) = self.expr(sc, 2);
            es.push(self.squash(&e));
        }
        let (e1, e2, e3) = (es[0].clone(), es[1].clone(), es[2].clone());
        let c = lit(self.rng.real(0.2, 0.9));
        let line = match self.rng.below(10) {
            0 => {
                // a vector filled by push_back, read by range-for or accumulate
                let reserve = if self.rng.chance(0.5) {
                    format!("vv{k}.reserve(N); ")
                } else {
                    String::new()
                };
                let read = match self.rng.below(3) {
                    0 => format!("double acc{k} = 0.0; for (double x : vv{k}) acc{k} += sin(x);"),
                    1 => {
                        format!("double acc{k} = std::accumulate(vv{k}.begin(), vv{k}.end(), 0.0);")
                    }
                    _ => format!(
                        "double acc{k} = std::inner_product(vv{k}.begin(), vv{k}.end(), {r}, 0.0);"
                    ),
                };
                format!(
                    "std::vector<double> vv{k}; {reserve}for (int q = 0; q < N; q++) \
                     vv{k}.push_back({e1} * {r}[q] + {c} * q); {read} \
                     {v} = {a} * {v} + {b} * tanh(acc{k});"
                )
            }
            1 => {
                // resize and indexing, a const reference to a vector and an array
                format!(
                    "std::vector<double> vr{k}; vr{k}.resize(N); \
                     for (size_t q = 0; q < vr{k}.size(); q++) vr{k}[q] = {r}[q] * {e1}; \
                     std::array<double, 3> aw{k} = {{{e2}, {c}, {e3}}}; \
                     {v} = {a} * {v} + {b} * tanh(dot_ref(vr{k}, aw{k}));"
                )
            }
            2 => {
                // a value type with overloaded operators and member functions
                let op = match self.rng.below(3) {
                    0 => format!("V2 w{k} = u{k} + z{k} * {c};"),
                    1 => format!("V2 w{k} = u{k} - z{k}; w{k} += z{k} * {c};"),
                    _ => format!(
                        "V2 w{k} = u{k}; for (int q = 0; q < N; q++) w{k} += V2{{{r}[q], {c}}} * 0.25;"
                    ),
                };
                let read = if self.rng.chance(0.5) {
                    format!("tanh(w{k}.dot(u{k}))")
                } else {
                    format!("w{k}.norm()")
                };
                format!(
                    "V2 u{k}{{{e1}, {e2}}}; V2 z{k}{{{r}[0], {e3}}}; {op} \
                     {v} = {a} * {v} + {b} * {read};"
                )
            }
            3 => {
                // a class updated through a member function
                format!(
                    "Acc ac{k}; for (int q = 0; q < N; q++) ac{k}.add({c} + 0.1 * q, {r}[q] * {e1}); \
                     ac{k}.add(1.0, {e2}); \
                     {v} = {a} * {v} + {b} * tanh(ac{k}.mean() + 0.5 * ac{k}.spread());"
                )
            }
            4 => {
                // virtual calls through unique_ptr in a vector; one class chosen by the data
                let d = lit(self.rng.real(-0.5, 0.5));
                format!(
                    "std::vector<std::unique_ptr<Shape1>> sh{k}; \
                     sh{k}.push_back(std::make_unique<ShSin>({e1})); \
                     if (BR({e2} > {d})) sh{k}.push_back(std::make_unique<ShTanh>({c}, {e3})); \
                     else sh{k}.push_back(std::make_unique<ShRat>({e3}, {c})); \
                     sh{k}.emplace_back(new ShRat({c}, {r}[1 % N])); \
                     double acc{k} = 0.0; int q{k} = 0; \
                     for (const auto &o : sh{k}) acc{k} += o->eval({r}[q{k}++ % N]); \
                     {v} = {a} * {v} + {b} * tanh(acc{k});"
                )
            }
            5 => {
                // lambdas: by value, called directly and through a template
                let via = if self.rng.chance(0.5) {
                    format!("apply_sum(lv{k}, {r}, N)")
                } else {
                    format!("lv{k}({r}[0]) + lv{k}({e3})")
                };
                format!(
                    "double cap{k} = {e1}; auto lv{k} = [=](double x) {{ return sin(cap{k} * x) + {c} * {e2}; }}; \
                     {v} = {a} * {v} + {b} * tanh({via});"
                )
            }
            6 => {
                // a lambda capturing by reference that updates a local, called in a loop
                format!(
                    "double sum{k} = 0.0; auto bump{k} = [&](double x) {{ sum{k} += {c} * sin(x * {e1}); }}; \
                     for (int q = 0; q < N; q++) bump{k}({r}[q]); bump{k}({e2}); \
                     {v} = {a} * {v} + {b} * tanh(sum{k});"
                )
            }
            7 => {
                // std::function holding a lambda (by reference or value) or a member call
                let lam = if self.rng.chance(0.5) {
                    format!("[&](double x) {{ return {e1} * x + {c}; }}")
                } else {
                    format!("[cap = {e1}](double x) {{ return cap * tanh(x) + {c}; }}")
                };
                format!(
                    "std::function<double(double)> fn{k} = {lam}; \
                     {v} = {a} * {v} + {b} * tanh(call_fn(fn{k}, {r}[0]) + fn{k}({e2}));"
                )
            }
            8 => {
                // pair and tuple results
                if self.rng.chance(0.5) {
                    format!(
                        "auto [ps{k}, pc{k}] = sin_cos({e1}); std::pair<double, double> pp{k} = sin_cos({r}[0]); \
                         {v} = {a} * {v} + {b} * (ps{k} * pc{k} + pp{k}.first - 0.5 * pp{k}.second);"
                    )
                } else {
                    format!(
                        "std::vector<double> vm{k}({r}, {r} + N); vm{k}.push_back({e1}); \
                         auto tu{k} = moments(vm{k}); double sd{k}; std::tie(std::ignore, sd{k}, std::ignore) = tu{k}; \
                         {v} = {a} * {v} + {b} * tanh(std::get<0>(tu{k}) + 0.5 * sd{k} + std::get<2>(tu{k}) * {e2});"
                    )
                }
            }
            _ => {
                // std::min/std::max on doubles, a std::array and references
                let m = if self.rng.chance(0.5) {
                    format!("STDMAX({e1}, {r}[1 % N])")
                } else {
                    format!("STDMIN({e1}, {e2})")
                };
                format!(
                    "std::array<double, 3> ar{k} = {{{m}, {e2}, {e3}}}; \
                     for (auto &x : ar{k}) x = {c} * sin(x); double y{k} = ar{k}[0]; \
                     const double &cr{k} = ar{k}[2]; axpy_ref(y{k}, cr{k}, ar{k}[1]); \
                     double &rv{k} = {v}; rv{k} = {a} * rv{k} + {b} * tanh(y{k});"
                )
            }
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }
}
