//! The `guard` variant (`--variant guard`; with `,no-inline` too): guarded values, whose
//! discarded side is infinite or NaN at points where the guard discards it, over a whole region
//! (so finite differences apply): `Gen::guard_stmt`, drawn for 35% of the statements.
//!
//! A zero source `gz` is exactly +0.0 on a region of inputs and recorded on the path:
//! `FMAX(e, 0.0)`, `FDIM(e, c)`, `BR(e > c) ? e - c : 0.0`, `FLOOR(1.0 + 0.9 * tanh(e))`, or
//! in a loop `(double)((i + m) % 2)`. A quotient, logarithm or square root of it is computed
//! *before* the test that discards it (so at -O0 and when the used side calls a function, the
//! discard is a branch, not a `select`), then:
//! - `gz != 0 ? g(num / gz) : e` and the same as an `if`/`else` statement,
//! - `isfinite(num / gz) ? tanh(num / gz) : e`,
//! - `gz > 0 ? tanh(e * log(gz)) * gz : e`, `gz > 0 ? sqrt(gz) * e : e2`,
//! - `fmin(e, p / gz)` (an infinite operand not picked), a clamp of `e / gz` to [-1, 1],
//! - a loop whose body computes `e / gz_i` and then `continue`s or `break`s when `gz_i == 0`,
//! - and unguarded at the zero (conventions ferment documents): `sqrt(gz)`, `gz * sqrt(gz)`,
//!   `pow(gz, 1.5 + 0.5 tanh(e))` (exponent active: `0^y log 0` must not give NaN).
//!
//! The true derivative of the discarded side is zero; a NaN or infinity leaking into a gradient
//! (`0 * inf` in a product with a zero adjoint or tangent) fails the finite-difference and the
//! forward-vs-reverse checks. Every new draw is behind the variant's flag, so the other variants'
//! programs are unchanged.

use super::{lit, Gen, Scope};
use crate::program::Stmt;

impl Gen {
    /// An expression that is exactly +0.0 on a region of inputs (`[-1.6, 1.6]` otherwise).
    pub(super) fn zero_source(&mut self, sc: &Scope) -> String {
        let (e, _) = self.expr(sc, 2);
        let sq = self.squash(&e);
        let c = lit(self.rng.real(-0.5, 0.5));
        match self.rng.below(if sc.idx.is_empty() { 4 } else { 6 }) {
            0 => format!("FMAX({sq}, 0.0)"),
            1 => format!("FDIM({sq}, {c})"),
            2 => format!("(BR({sq} > {c}) ? {sq} - {c} : 0.0)"),
            3 => format!("FLOOR(1.0 + 0.9 * tanh({e}))"),
            _ => {
                let i = self.rng.pick(&sc.idx).clone();
                let m = self.rng.below(2);
                format!("(double)(({i} + {m}) % 2) * (1.0 + 0.5 * {sq})")
            }
        }
    }

    /// A numerator bounded away from zero (so `num / 0` is infinite, not NaN).
    pub(super) fn numerator(&mut self, sc: &Scope) -> String {
        let (e, _) = self.expr(sc, 1);
        let s = if self.rng.chance(0.5) { "" } else { "-" };
        format!("{s}(1.25 + sin({e}))")
    }

    /// A statement of the `guard` variant, or None when the scope offers nothing it needs.
    pub(super) fn guard_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v) = self.local_stmt_parts(sc)?;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let z = format!("gz{k}");
        let r = format!("gr{k}");
        let zs = self.zero_source(sc);
        let num = self.numerator(sc);
        let (e, _) = self.expr(sc, 2);
        let alt = self.squash(&e);
        let (e2, _) = self.expr(sc, 1);
        let line = match self.rng.below(12) {
            0 => {
                let g = *self.rng.pick(&["tanh", "atan", "erf"]);
                format!(
                    "double {z} = {zs}; double {r} = {num} / {z}; \
                     {v} = {a} * {v} + {b} * (BR({z} != 0.0) ? {g}({r} * {z} * {z} + {e2}) : {alt});"
                )
            }
            1 => format!(
                "double {z} = {zs}; double {r} = {num} / {z}; \
                 if (BR({z} != 0.0)) {v} = {a} * {v} + {b} * tanh({r}); else {v} = {a} * {v} + {b} * {alt};"
            ),
            2 => format!(
                "double {z} = {zs}; double {r} = {num} / {z}; \
                 {v} = {a} * {v} + {b} * (BR(isfinite({r})) ? tanh({r} + {e2}) : {alt});"
            ),
            3 => format!(
                "double {z} = {zs}; double {r} = ({e2}) * log({z}); \
                 {v} = {a} * {v} + {b} * (BR({z} > 0.0) ? tanh({r}) * {z} : {alt});"
            ),
            4 => format!(
                "double {z} = {zs}; double {r} = sqrt({z}); \
                 {v} = {a} * {v} + {b} * (BR({z} > 0.0) ? {r} * ({e2}) : {alt});"
            ),
            5 => format!(
                "double {z} = {zs}; {v} = {a} * {v} + {b} * FMIN({alt}, (1.25 + sin({e2})) / {z});"
            ),
            6 => format!(
                "double {z} = {zs}; {v} = {a} * {v} + {b} * FMAX(-1.0, FMIN(({num}) / {z}, 1.0));"
            ),
            7 | 8 if self.loop_depth < 2 => {
                let i = format!("i{k}");
                let n = self.count(sc);
                let m = self.rng.below(3);
                let mut inner = sc.clone();
                inner.idx.push(i.clone());
                let (ei, _) = self.expr(&inner, 2);
                let sq = self.squash(&ei);
                let exit = if self.rng.chance(0.7) { "continue" } else { "break" };
                let zi = match self.rng.below(2) {
                    0 => format!("(double)(({i} + {m}) % 3)"),
                    _ => format!("FMAX({sq}, 0.0)"),
                };
                format!(
                    "for (int {i} = 0; {i} < {n}; {i}++) {{ double {z} = {zi}; double {r} = {num} / {z}; \
                     if (BR({z} == 0.0)) {exit}; {v} = {a} * {v} + {b} * tanh({r} * {z} * {z} + {sq}); }}"
                )
            }
            9 => format!("double {z} = {zs}; {v} = {a} * {v} + {b} * (sqrt({z}) + {alt});"),
            10 => format!(
                "double {z} = {zs}; {v} = {a} * {v} + {b} * ({z} * sqrt({z}) + {alt});"
            ),
            _ => format!(
                "double {z} = {zs}; {v} = {a} * {v} + {b} * (pow({z}, 1.5 + 0.5 * tanh({e2})) + {alt});"
            ),
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }
}
