//! The `api` variant (`--variant api`; with `,no-inline` too): what the other variants leave
//! out of Enzyme's interface and of libm (`Gen::api_stmt`, drawn for 35% of the statements):
//! - single-precision libm on `float` values (`sinf`, `cosf`, `expf`, `logf`, `powf`,
//!   `sqrtf`, `tanhf`, `atanf`, `expm1f`, `log1pf`, `hypotf`, `cbrtf`, `erff`, `sinhf`,
//!   `coshf`, `atan2f`, `fmaf`, `exp2f`, `log2f`), chains of them in a float local;
//! - integer-to-float conversions inside loops: `(double)` and `(float)` of loop counters, of
//!   `i * k % 7 - 3` (negative too), `unsigned` and `long` counters, an integer accumulator
//!   converted each iteration;
//! - kinks at exact ties whose sides have the same derivative, so that finite differences
//!   apply at every point: `fmax(e, e)`, `fmin(e, 0.5 * e + 0.5 * e)`, `fabs(e - e)` times an
//!   active value, `copysign(e, 0.0 * x)` and `copysign(e, -0.0)` (signed zeros), `fmax(0.0 * x,
//!   -0.0)`, `fdim(e, e)`.
//!
//! In the harness (`harness::Shape::dupv`) the batched forward and reverse checks pass the
//! duplicated arrays' shadows as one buffer with a byte stride (`enzyme_dupv` /
//! `enzyme_dupnoneedv`), lanes padded by 0..2 doubles.
//!
//! Every new draw is behind the variant's flag, so the other variants' programs are unchanged.

use super::{lit, Gen, Scope};
use crate::program::Stmt;

/// Single-precision libm functions of one argument, each with a float expression that keeps
/// the argument in the function's safe domain (`{}`: a float in [-1, 1]).
const FLOAT_UNARY: &[&str] = &[
    "sinf(2.0f * {})",
    "cosf({})",
    "expf(0.5f * {})",
    "logf(2.0f + {})",
    "sqrtf(1.25f + {})",
    "tanhf(1.5f * {})",
    "atanf(2.0f * {})",
    "expm1f(0.5f * {})",
    "log1pf(0.5f * {})",
    "hypotf(1.0f, {})",
    "cbrtf(2.0f + {})",
    "erff({})",
    "sinhf({})",
    "coshf(0.5f * {})",
    "exp2f({})",
    "log2f(1.5f + {})",
    "asinf(0.9f * {})",
    "acosf(0.9f * {})",
];

/// Single-precision functions of two arguments (`{0}`, `{1}`: floats in [-1, 1]).
const FLOAT_BINARY: &[&str] = &[
    "powf(1.5f + {0}, 0.5f * {1})",
    "atan2f({0}, 2.0f + {1})",
    "fmaf({0}, {1}, 0.25f)",
    "hypotf({0}, 1.5f + {1})",
];

impl Gen {
    /// A statement of the `api` variant, or None when the scope offers nothing it needs.
    pub(super) fn api_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        if sc.locals.is_empty() {
            return None;
        }
        let k = self.next_loop;
        self.next_loop += 1;
        match self.rng.below(6) {
            0 | 1 => Some(self.float_math(sc, k)),
            2 | 3 if self.loop_depth < 2 => Some(self.int_to_float_loop(sc, k)),
            _ => Some(self.tie(sc)),
        }
    }

    /// A chain of single-precision libm calls in a float local, its result added to a double.
    fn float_math(&mut self, sc: &Scope, k: usize) -> Stmt {
        self.single = true;
        let v = self.rng.pick(&sc.locals).clone();
        let a = lit(self.rng.real(-0.9, 0.9));
        let b = lit(self.rng.real(0.1, 0.5));
        let (e, _) = self.expr(sc, 2);
        let (e2, _) = self.expr(sc, 1);
        let x = format!("x{k}");
        let y = format!("y{k}");
        let mut lines = vec![
            format!("float {x} = tanhf(FRTF({e}));"),
            format!("float {y} = tanhf(FRTF({e2}));"),
        ];
        let steps = self.rng.range(1, 3);
        for _ in 0..steps {
            let c = lit(self.rng.real(-0.8, 0.8));
            let call = if self.rng.chance(0.3) {
                let t = *self.rng.pick(FLOAT_BINARY);
                let (p, q) = if self.rng.chance(0.5) {
                    (x.as_str(), y.as_str())
                } else {
                    (y.as_str(), x.as_str())
                };
                t.replace("{0}", p).replace("{1}", q)
            } else {
                self.rng.pick(FLOAT_UNARY).replace("{}", &x)
            };
            // Keeps x in [-1, 1] for the next call.
            lines.push(format!("{x} = tanhf({c}f * {x} + 0.5f * {call});"));
        }
        lines.push(format!("{v} = {a} * {v} + {b} * (double){x};"));
        Stmt::Line(format!("{{ {} }}", lines.join(" ")))
    }

    /// A loop whose body converts integers (the counter, a counter-derived value, an unsigned or
    /// long counter, an integer accumulator) to double or float and mixes them with an active
    /// value.
    fn int_to_float_loop(&mut self, sc: &Scope, k: usize) -> Stmt {
        let v = self.rng.pick(&sc.locals).clone();
        let i = format!("i{k}");
        let n = self.count(sc);
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.4));
        let m = self.rng.range(2, 9);
        let mut inner = sc.clone();
        inner.idx.push(i.clone());
        let (e, _) = self.expr(&inner, 1);
        let conv = match self.rng.below(6) {
            0 => format!("(double){i}"),
            1 => format!("(double)(({i} * {m} + 1) % 7 - 3)"),
            2 => format!("(float)({i} - {n})"),
            3 => format!("(double)(unsigned)({i} * {m})"),
            4 => format!("(double)(long)(({i} + 1) * ({i} - 2))"),
            _ => format!("(double)ia{k}"),
        };
        let head = match self.rng.below(3) {
            0 => format!("for (int {i} = 0; {i} < {n}; {i}++)"),
            1 => format!("for (unsigned u{k} = 0; u{k} < (unsigned){n}; u{k}++)"),
            _ => format!("for (long l{k} = {n} - 1; l{k} >= 0; l{k}--)"),
        };
        // The loop variable as an int in [0, N) for the body, whatever its type.
        let bind = if head.contains(&format!("int {i} ")) {
            String::new()
        } else if head.contains("unsigned") {
            format!("int {i} = (int)u{k}; ")
        } else {
            format!("int {i} = (int)l{k}; ")
        };
        let scale = lit(self.rng.real(0.05, 0.25));
        let body = if conv.contains("ia") {
            format!(
                "{bind}ia{k} = (ia{k} * 3 + {i} + 1) % 11 - 5; {v} = {a} * {v} + {b} * sin({v} + {scale} * {conv} * ({e}));"
            )
        } else {
            format!("{bind}{v} = {a} * {v} + {b} * tanh({scale} * {conv} * ({e}) + {v});")
        };
        let text = if conv.contains("ia") {
            format!("{{ int ia{k} = 1; {head} {{ {body} }} }}")
        } else {
            format!("{head} {{ {body} }}")
        };
        Stmt::Line(text)
    }

    /// A kink at an exact tie of two sides with the same derivative (so every point is smooth
    /// along any direction): Enzyme's choice of side must not matter, signed zeros included.
    fn tie(&mut self, sc: &Scope) -> Stmt {
        let v = self.rng.pick(&sc.locals).clone();
        let a = lit(self.rng.real(-0.9, 0.9));
        let b = lit(self.rng.real(0.1, 0.5));
        let (e, _) = self.expr(sc, 2);
        let sq = self.squash(&e);
        let (x, _) = self.expr(sc, 1);
        let t = match self.rng.below(8) {
            0 => format!("FMAX({sq}, {sq})"),
            1 => format!("FMIN({sq}, 0.5 * {sq} + 0.5 * {sq})"),
            2 => format!("(1.0 + FABS({sq} - {sq})) * {sq}"),
            3 => format!("COPYSIGN({sq}, 0.0 * ({x}))"),
            4 => format!("COPYSIGN({sq}, -0.0)"),
            5 => format!("{sq} + FMAX(0.0 * ({x}), -0.0)"),
            6 => format!("{sq} + FDIM({sq}, {sq})"),
            _ => format!("FMIN(FMAX({sq}, -1.0), 1.0)"),
        };
        Stmt::Line(format!("{v} = {a} * {v} + {b} * ({t});"))
    }
}
