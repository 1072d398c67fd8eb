//! The `flat` family (`--variant flat`; with `,no-inline` and the others too): functions flat at
//! an infinite argument of quotients by an exact zero whose numerator is active, so their
//! tangent is infinite where the quotient is, and the flat function's partial an exact zero
//! (`Gen::flat_stmt`, drawn for 40% of the statements). The true derivative of such a term is 0
//! over the region of inputs where the divisor is 0 (a zero source of `gen/guard.rs`), so finite
//! differences apply; forward mode gave NaN there (round 32), and reverse mode's strong zero
//! must not be lost on the way (a guard sharing another's test, rounds 31 and 32).
//!
//! - The flat functions the plugin knows (`rules::finite::FLAT_AT_INFINITY`): `atan`, `tanh`,
//!   `erf`, `erfc`, `exp` and `exp2` of `-q q` or `-|q|`, `expm1(-|q|)`, `atan2` in either
//!   argument, `pow(c, -q q)` (exponent), `pow(1 + q q, c)` under a constant negative exponent other
//!   than -1 (base), `exp(-exp(q))` (the inner `exp` overflowing or flat).
//! - The quotient reaches them directly, through a sum, a product with an active factor, `fma`,
//!   `fabs`, a negation, a `log` of the zero (`num * log(z)`), returned by a callee (`ratio`),
//!   written by one (`put_quot`), through a struct field, through an array filled in one loop and
//!   read in the next, or as the argument of a callee that applies the flat function itself
//!   (`flat_call`), or computed and applied inside a callee that writes the flat values
//!   (`flat_put`).
//!
//! Nothing here divides by an infinite value (`1 / (1 + q q)`): the plugin makes such a product
//! NaN on purpose (`flat_indeterminate.c`). Every draw is behind the family's flag, so the other
//! variants' programs are unchanged.

use super::{lit, Gen, Scope};
use crate::program::{Func, Stmt};

/// The helpers the statements call, `noinline` or not.
pub(super) fn helpers(noinline: bool) -> Vec<Func> {
    let attr = if noinline {
        "__attribute__((noinline)) "
    } else {
        ""
    };
    vec![
        Func {
            name: "flat_call".into(),
            head: format!("{attr}static double flat_call(double q, double w)"),
            pre: Vec::new(),
            body: Vec::new(),
            post: vec!["return w * atan(q) + exp(-q * q) + erfc(w * q);".into()],
        },
        Func {
            name: "flat_put".into(),
            head: format!("{attr}static void flat_put(double *b, double num, double z)"),
            pre: vec!["double q = num / z;".into()],
            body: Vec::new(),
            post: vec!["b[0] = exp(-FABS(q)); b[1] = tanh(q); b[2] = z;".into()],
        },
    ]
}

impl Gen {
    /// A function flat at an infinite argument `q`, finite everywhere.
    fn flat_of(&mut self, q: &str) -> String {
        let c = lit(self.rng.real(0.5, 2.0));
        match self.rng.below(13) {
            0 => format!("atan({q})"),
            1 => format!("tanh({q})"),
            2 => format!("erf({q})"),
            3 => format!("erfc({q})"),
            4 => format!("exp(-({q}) * ({q}))"),
            5 => format!("exp2(-({q}) * ({q}))"),
            6 => format!("exp(-FABS({q}))"),
            7 => format!("expm1(-FABS({q}))"),
            8 => format!("atan2({q}, {c})"),
            9 => format!("atan2({c}, {q})"),
            10 => format!("pow(1.0 + {c}, -({q}) * ({q}))"),
            11 => {
                let p = *self.rng.pick(&["-1.5", "-0.75", "-2.5"]);
                format!("pow(1.0 + ({q}) * ({q}), {p})")
            }
            _ => format!("exp(-exp({q}))"),
        }
    }

    /// A statement of the `flat` family, or None when the scope offers nothing it needs.
    pub(super) fn flat_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v) = self.local_stmt_parts(sc)?;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let c = lit(self.rng.real(0.2, 0.8));
        let zs = self.zero_source(sc);
        let num = self.numerator(sc);
        let (e, _) = self.expr(sc, 2);
        let alt = self.squash(&e);
        let (e2, _) = self.expr(sc, 1);
        let (e3, _) = self.expr(sc, 1);
        let act = format!("(1.5 + sin({e3}))");
        let q = format!("hq{k}");
        // the quotient's declaration, and the expression the flat function takes
        let (decl, arg) = match self.rng.below(12) {
            0 => (format!("double {q} = {num} / {zs};"), q.clone()),
            1 => (format!("double {q} = {num} / {zs};"), format!("{q} + {e2}")),
            2 => (
                format!("double {q} = {num} / {zs};"),
                format!("{q} * {act}"),
            ),
            3 => (
                format!("double {q} = {num} / {zs};"),
                format!("fma({q}, {c}, {e2})"),
            ),
            4 => (format!("double {q} = {num} / {zs};"), format!("-FABS({q})")),
            5 => (format!("double {q} = {num} * log({zs});"), q.clone()),
            6 => {
                self.wants_hazard = true;
                (format!("double {q} = ratio({num}, {zs});"), q.clone())
            }
            7 => {
                self.wants_hazard = true;
                (
                    format!("double {q}[3]; put_quot({q}, {num}, {zs});"),
                    format!("{q}[0]"),
                )
            }
            8 => (
                format!("struct {{ double z, q; }} {q}; {q}.z = {zs}; {q}.q = {num} / {q}.z;"),
                format!("{q}.q"),
            ),
            9 => (
                format!("double {q} = {num} / ({zs} * {act});"),
                format!("{c} * {q}"),
            ),
            10 if self.loop_depth < 2 => {
                // through an array filled in one loop and read in the next
                let i = format!("i{k}");
                let j = format!("j{k}");
                let n = self.count(sc);
                let m = self.rng.below(3);
                let mut si = sc.clone();
                si.idx.push(i.clone());
                let numi = self.numerator(&si);
                let f = self.flat_of(&format!("{q}[{j}]"));
                let line = format!(
                    "double {q}[N]; for (int {i} = 0; {i} < {n}; {i}++) {q}[{i}] = {numi} / (double)(({i} + {m}) % 3); \
                     for (int {j} = 0; {j} < {n}; {j}++) {v} = {a} * {v} + {b} * {f};"
                );
                return Some(Stmt::Line(format!("{{ {line} }}")));
            }
            _ => {
                // a callee applies the flat functions, or computes the quotient and applies them
                self.wants_flat = true;
                let line = if self.rng.chance(0.5) {
                    format!(
                        "double {q} = {num} / {zs}; {v} = {a} * {v} + {b} * (flat_call({q}, {act}) + {alt});"
                    )
                } else {
                    format!(
                        "double {q}[3]; flat_put({q}, {num}, {zs}); \
                         {v} = {a} * {v} + {b} * ({q}[0] * ({e2}) + {q}[1] + {alt});"
                    )
                };
                return Some(Stmt::Line(format!("{{ {line} }}")));
            }
        };
        let f = self.flat_of(&arg);
        let line = if self.rng.chance(0.5) {
            format!("{decl} {v} = {a} * {v} + {b} * ({f} * ({e2}) + {alt});")
        } else {
            format!("{decl} {v} = {a} * {v} + {b} * {f};")
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }
}
