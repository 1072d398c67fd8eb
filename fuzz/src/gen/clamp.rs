//! The `clamp` variant (`--variant clamp`; with `,no-inline` too): the two families of guarded
//! non-finite values the `guard` variant does not draw (`Gen::clamp_stmt`, drawn for 35% of the
//! statements). Both have a true derivative of 0 where the clamp or guard holds, over a region
//! (so finite differences apply there), and every mode (forward, reverse, split, batched) is
//! checked on them by the harness as on any program.
//!
//! - A partial that is infinite at a clamped value, whose tangent is exactly 0: `cbrt(z)`,
//!   `pow(z, 0.5 | 0.25 | 0.75 | 1/3)`, `z * cbrt(z)`, `exp(c * log(z))`, `exp(-c / z)`,
//!   `atan(c / z)`, `sqrt(z)` (documented: `sqrt'(0) = 0`) of a zero source `z` (see
//!   `gen/guard.rs`: `fmax(e, 0)`, `fdim`, `e > c ? e - c : 0`, `floor`, `(i + m) % 2` in a loop),
//!   and `asin(u)`, `acos(u)`, `tanh(atanh(u))`, `sqrt(1 - u * u)` of `u = fmax(-1, fmin(k e,
//!   1))`; also with the clamped value read back from a buffer. Forward mode multiplies the zero
//!   tangent by the infinite partial (NaN) unless it keeps a zero tangent zero.
//! - A quotient of an exact zero stored to memory and discarded after it is loaded back: `buf[i]
//!   = num / z_i` in one loop, `z_i != 0 ? f(buf[i]) : e` (or `continue` when `z_i == 0`) in the
//!   next, through a stack array, a heap buffer, a one-element array, a local struct or an
//!   element of a duplicated argument array. Reverse mode stores the discarded load's zero adjoint
//!   in the buffer's shadow and multiplies it by `-num / z^2 = inf` (NaN) unless the product is
//!   guarded.
//!
//! Every draw is behind the variant's flag, so the other variants' programs are unchanged.

use super::{lit, Gen, Scope};
use crate::program::Stmt;

impl Gen {
    /// A value clamped to `[-1, 1]` that is exactly `+-1` on a region of inputs.
    fn unit_clamp(&mut self, sc: &Scope) -> String {
        let (e, _) = self.expr(sc, 2);
        let sq = self.squash(&e);
        let k = lit(self.rng.real(1.2, 2.0));
        format!("FMAX(-1.0, FMIN({k} * {sq}, 1.0))")
    }

    /// A function of a zero source `z` whose partial is infinite at `z = +0` (finite value).
    fn at_zero(&mut self, z: &str) -> String {
        let c = lit(self.rng.real(0.5, 2.0));
        match self.rng.below(8) {
            0 => format!("cbrt({z})"),
            1 => {
                let p = *self.rng.pick(&["0.5", "0.25", "0.75", "(1.0 / 3.0)"]);
                format!("pow({z}, {p})")
            }
            2 => format!("{z} * cbrt({z})"),
            3 => format!("exp({c} * log({z}))"),
            4 => format!("exp(-{c} / {z})"),
            5 => format!("atan({c} / {z})"),
            6 => format!("sqrt({z})"),
            _ => format!("cbrt({z} * {z})"),
        }
    }

    /// A function of `u` clamped to `[-1, 1]` whose partial is infinite at `u = +-1`.
    fn at_unit(&mut self, u: &str) -> String {
        match self.rng.below(4) {
            0 => format!("asin({u})"),
            1 => format!("acos({u})"),
            2 => format!("tanh(atanh({u}))"),
            _ => format!("sqrt(1.0 - {u} * {u})"),
        }
    }

    /// The divisor of a loop's `i`-th quotient (`si` the loop body's scope, `m` drawn by the
    /// caller): `(i + m) % modulus`, zero on some iterations, or `fmax(e, 0)` of an expression
    /// that may depend on `i`, zero on a region of inputs; half and half. Shared by the clamp and
    /// hazard statements, with the draws each made before it had this helper.
    pub(super) fn loop_divisor(&mut self, si: &Scope, i: &str, m: usize, modulus: usize) -> String {
        if self.rng.chance(0.5) {
            format!("(double)(({i} + {m}) % {modulus})")
        } else {
            let (ez, _) = self.expr(si, 2);
            let sq = self.squash(&ez);
            format!("FMAX({sq}, 0.0)")
        }
    }

    /// A statement of the `clamp` variant, or None when the scope offers nothing it needs.
    pub(super) fn clamp_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v) = self.local_stmt_parts(sc)?;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let z = format!("cz{k}");
        let (e, _) = self.expr(sc, 2);
        let alt = self.squash(&e);
        let line = match self.rng.below(12) {
            // clamped zeros (forward mode)
            0..=2 => {
                let zs = self.zero_source(sc);
                let f = self.at_zero(&z);
                format!("double {z} = {zs}; {v} = {a} * {v} + {b} * ({f} + {alt});")
            }
            3 | 4 => {
                let u = self.unit_clamp(sc);
                let f = self.at_unit(&z);
                let (e2, _) = self.expr(sc, 1);
                format!("double {z} = {u}; {v} = {a} * {v} + {b} * ({f} * ({e2}) + {alt});")
            }
            5 if self.loop_depth < 2 => {
                // a clamped value through a buffer, then a non-finite partial of it
                let i = format!("i{k}");
                let j = format!("j{k}");
                let n = self.count(sc);
                let mut si = sc.clone();
                si.idx.push(i.clone());
                let unit = self.rng.chance(0.4);
                let src = if unit {
                    self.unit_clamp(&si)
                } else {
                    let (ei, _) = self.expr(&si, 2);
                    let sq = self.squash(&ei);
                    format!("FMAX({sq}, 0.0)")
                };
                let el = format!("{z}[{j}]");
                let f = if unit {
                    self.at_unit(&el)
                } else {
                    self.at_zero(&el)
                };
                let mut sj = sc.clone();
                sj.idx.push(j.clone());
                let (ej, _) = self.expr(&sj, 2);
                let sq = self.squash(&ej);
                format!(
                    "double {z}[N]; for (int {i} = 0; {i} < {n}; {i}++) {z}[{i}] = {src}; \
                     for (int {j} = 0; {j} < {n}; {j}++) {v} = {a} * {v} + {b} * tanh({f} + {sq});"
                )
            }
            // discarded quotients through memory (reverse mode)
            6 | 7 if self.loop_depth < 2 => self.discard_buffer(sc, k, &v, &a, &b),
            8 => {
                let zs = self.zero_source(sc);
                let num = self.numerator(sc);
                let (e2, _) = self.expr(sc, 1);
                let q = format!("cq{k}");
                match self.rng.below(3) {
                    0 => format!(
                        "double {q}[2]; {q}[0] = {zs}; {q}[1] = {num} / {q}[0]; \
                         {v} = {a} * {v} + {b} * (BR({q}[0] != 0.0) ? tanh({q}[1] * {q}[0] * {q}[0] + {e2}) : {alt});"
                    ),
                    1 => format!(
                        "struct {{ double z, q; }} {q}; {q}.z = {zs}; {q}.q = {num} / {q}.z; \
                         if (BR({q}.z != 0.0)) {v} = {a} * {v} + {b} * tanh({q}.q * {q}.z); else {v} = {a} * {v} + {b} * {alt};"
                    ),
                    _ => format!(
                        "double {q}[1]; double {z} = {zs}; {q}[0] = {num} / {z}; \
                         {v} = {a} * {v} + {b} * (BR(isfinite({q}[0])) ? tanh({q}[0] * {z} + {e2}) : {alt});"
                    ),
                }
            }
            9 if !sc.write_arrs.is_empty() && self.loop_depth < 2 => {
                // an element of a duplicated array holds the quotient, then is overwritten
                let w = self.rng.pick(&sc.write_arrs).clone();
                let i = format!("i{k}");
                let n = self.count(sc);
                let m = self.rng.below(2);
                let mut si = sc.clone();
                si.idx.push(i.clone());
                let (ei, _) = self.expr(&si, 2);
                let t = self.squash(&ei);
                let num = self.numerator(&si);
                let zi = self.loop_divisor(&si, &i, m, 2);
                format!(
                    "for (int {i} = 0; {i} < {n}; {i}++) {{ double ct{k} = {t}; double {z} = {zi}; \
                     {w}[{i}] = {num} / {z}; {w}[{i}] = BR({z} != 0.0) ? tanh({w}[{i}] * {z} * {z}) : ct{k}; \
                     {v} = {a} * {v} + {b} * {w}[{i}]; }}"
                )
            }
            _ => {
                let zs = self.zero_source(sc);
                let f = self.at_zero(&z);
                let g = self.at_zero(&z);
                format!("double {z} = {zs}; {v} = {a} * {v} + {b} * tanh({f} - {g} + {alt});")
            }
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }

    /// `buf[i] = num / z_i` in one loop, read back and discarded where `z_i == 0` in the next.
    fn discard_buffer(&mut self, sc: &Scope, k: usize, v: &str, a: &str, b: &str) -> String {
        let i = format!("i{k}");
        let j = format!("j{k}");
        let cb = format!("cb{k}");
        let zb = format!("zb{k}");
        let n = self.count(sc);
        let m = self.rng.below(3);
        let mut si = sc.clone();
        si.idx.push(i.clone());
        let num = self.numerator(&si);
        let zi = self.loop_divisor(&si, &i, m, 3);
        let mut sj = sc.clone();
        sj.idx.push(j.clone());
        let (ej, _) = self.expr(&sj, 2);
        let alt = self.squash(&ej);
        let (e2, _) = self.expr(&sj, 1);
        let heap = self.rng.chance(0.3);
        let (decl, free) = if heap {
            (
                format!(
                    "double *{cb} = (double *)malloc(N * sizeof(double)); \
                     double *{zb} = (double *)malloc(N * sizeof(double));"
                ),
                format!(" free({cb}); free({zb});"),
            )
        } else {
            (format!("double {cb}[N], {zb}[N];"), String::new())
        };
        let fill = format!(
            "for (int {i} = 0; {i} < {n}; {i}++) {{ {zb}[{i}] = {zi}; {cb}[{i}] = {num} / {zb}[{i}]; }}"
        );
        let body = match self.rng.below(4) {
            0 => format!(
                "{v} = {a} * {v} + {b} * (BR({zb}[{j}] != 0.0) ? tanh({cb}[{j}] * {zb}[{j}] * {zb}[{j}] + {e2}) : {alt});"
            ),
            1 => format!(
                "if (BR({zb}[{j}] == 0.0)) continue; {v} = {a} * {v} + {b} * tanh({cb}[{j}] * {zb}[{j}] + {e2});"
            ),
            2 => format!(
                "{v} = {a} * {v} + {b} * tanh((BR({zb}[{j}] != 0.0) ? {cb}[{j}] : 0.0) * {zb}[{j}] * {zb}[{j}] + {alt});"
            ),
            _ => format!(
                "{v} = {a} * {v} + {b} * (BR(isfinite({cb}[{j}])) ? tanh({cb}[{j}] * {zb}[{j}] + {e2}) : {alt});"
            ),
        };
        format!("{decl} {fill} for (int {j} = 0; {j} < {n}; {j}++) {{ {body} }}{free}")
    }
}
