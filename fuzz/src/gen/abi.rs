//! The `abi` variant (`--variant abi`; with `,no-inline` too): values that cross a call in ways
//! numerical C uses and no other variant draws (`Gen::abi_stmt`, drawn for 30% of the
//! statements):
//! - a struct holding an array (`struct V4 { double a[4]; int n; }`, 40 bytes: passed and
//!   returned in memory, `byval`/`sret`) passed by value to a helper that updates its copy and
//!   returns it by value, and to one that reduces it;
//! - a variadic helper (`va_list`, `va_arg` of doubles) weighting its arguments (a fifth as
//!   often as the others: ferment refused active `...` arguments until round 30; the rate
//!   stays, so that seeds give the same programs);
//! - a helper whose `switch` on an integer mode argument selects the formula (the mode a
//!   constant at the call, a computed `int` elsewhere).
//!
//! The helpers are `noinline` in about half the programs (drawn once per program). Every draw is
//! behind the variant's flag, so the other variants' programs are unchanged.

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
            name: "v4_step".into(),
            head: format!("{attr}static struct V4 v4_step(struct V4 s, double t)"),
            pre: vec![
                "for (int i = 0; i < s.n; i++) s.a[i] = s.a[i] * t + 0.25 * s.a[(i + 1) % 4];"
                    .into(),
            ],
            body: Vec::new(),
            post: vec!["return s;".into()],
        },
        Func {
            name: "v4_norm".into(),
            head: format!("{attr}static double v4_norm(struct V4 s)"),
            pre: vec![
                "double r = 0.0;".into(),
                "for (int i = 0; i < 4; i++) r += s.a[i] * s.a[i] * (i + 1);".into(),
            ],
            body: Vec::new(),
            post: vec!["return sqrt(1.0 + r);".into()],
        },
        Func {
            name: "vwsum".into(),
            head: format!("{attr}static double vwsum(int n, ...)"),
            pre: vec![
                "va_list ap;".into(),
                "va_start(ap, n);".into(),
                "double s = 0.0;".into(),
                "for (int i = 0; i < n; i++) s += (0.5 + i) * va_arg(ap, double);".into(),
                "va_end(ap);".into(),
            ],
            body: Vec::new(),
            post: vec!["return s;".into()],
        },
        Func {
            name: "by_mode".into(),
            head: format!("{attr}static double by_mode(int mode, double x, double y)"),
            pre: vec![
                "double r;".into(),
                "switch (mode) { case 0: r = x * y; break; case 1: r = sin(x) + y; break; \
                 case 2: r = x - 0.5 * y * y; break; default: r = tanh(x + y); }"
                    .into(),
            ],
            body: Vec::new(),
            post: vec!["return r;".into()],
        },
    ]
}

impl Gen {
    /// A statement of the `abi` variant, or None when the scope offers nothing it needs.
    pub(super) fn abi_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v, r) = self.loop_stmt_parts(sc)?;
        self.wants_abi = true;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let t = lit(self.rng.real(0.3, 0.9));
        // (drawn rarely from when ferment refused variadic functions with active `...`
        // arguments; kept, so that seeds give the same programs)
        let pick = match self.rng.below(3) {
            1 if !self.rng.chance(0.2) => 0,
            p => p,
        };
        let line = match pick {
            0 => {
                // a struct with an array field, by value in and out
                let mut es = Vec::new();
                for _ in 0..3 {
                    let (e, _) = self.expr(sc, 2);
                    es.push(self.squash(&e));
                }
                let steps = 1 + self.rng.below(2);
                format!(
                    "struct V4 vs{k} = {{{{{}, {}, {}, {r}[0]}}, 4}}; \
                     for (int st{k} = 0; st{k} < {steps}; st{k}++) vs{k} = v4_step(vs{k}, {t}); \
                     {v} = {a} * {v} + {b} * v4_norm(vs{k}) + 0.1 * vs{k}.a[3];",
                    es[0], es[1], es[2]
                )
            }
            1 => {
                // a variadic helper
                let (e1, _) = self.expr(sc, 2);
                let s1 = self.squash(&e1);
                let (e2, _) = self.expr(sc, 1);
                let s2 = self.squash(&e2);
                format!("{v} = {a} * {v} + {b} * vwsum(3, {s1}, {r}[0], {s2} * {v});")
            }
            _ => {
                // a switch on an integer mode argument: a constant, or computed
                let (e, _) = self.expr(sc, 2);
                let sq = self.squash(&e);
                let mode = if self.rng.chance(0.5) {
                    format!("{}", self.rng.below(4))
                } else {
                    // an int from the loop count or a kink of the data (recorded)
                    format!("(BR({r}[0] > 0.0) + 2 * BR({sq} > 0.25))")
                };
                format!("{v} = {a} * {v} + {b} * by_mode({mode}, {sq}, {r}[0]);")
            }
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }
}
