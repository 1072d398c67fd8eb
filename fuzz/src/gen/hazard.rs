//! The `hazard` variant (`--variant hazard`; with `,no-inline` too): values that are infinite on
//! some paths only, reaching the derivative the way the wrong-derivative bugs of rounds 23 to 31
//! did (`Gen::hazard_stmt`, drawn for 35% of the statements). Each is discarded or multiplied by
//! an exact zero where it is infinite, over a region of inputs (so finite differences apply):
//! - a divisor, logarithm or square root whose argument is an exact zero on one side of a branch
//!   only (`if`/`else` or a select, then the quotient after the merge, before the test that
//!   discards it);
//! - a quotient written by a callee (`put_quot`), returned by one (`ratio`), filled into an array
//!   by one (`fill_quot`), or written by the caller and multiplied by a callee into memory the
//!   caller reads only where the divisor is not zero (`scale_into`, `use_quot`);
//! - selects of guarded values (`z != 0 ? num / z : 0`, `z > 0 ? log(z) : -1`) inside kinks and
//!   other selects;
//! - a function flat at infinity (`atan`, `tanh`, `erf`, `exp(-q q)`) of a quotient by an exact
//!   zero whose numerator is active (so its tangent is infinite there), directly, returned or
//!   written by a callee, or through an array: the true derivative is 0 (forward mode gave NaN
//!   on main d686887, round 32);
//! - an integer trip count read from memory (`int hn[1]`, computed from the data) bounding a loop
//!   in a helper that divides by the entries it covers, the entries past it zero, then
//!   overwritten and read again as another loop's bound.
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
    let f = |name: &str, head: String, pre: &[&str], post: &str| Func {
        name: name.into(),
        head,
        pre: pre.iter().map(|s| s.to_string()).collect(),
        body: Vec::new(),
        post: vec![post.into()],
    };
    vec![
        f(
            "put_quot",
            format!("{attr}static void put_quot(double *b, double num, double z)"),
            &["b[0] = num / z;"],
            "b[1] = z;",
        ),
        f(
            "scale_into",
            format!("{attr}static void scale_into(double *b, double u)"),
            &[],
            "b[2] = u * b[0];",
        ),
        f(
            "use_quot",
            format!("{attr}static double use_quot(const double *b, double u)"),
            &[],
            "return BR(b[1] != 0.0) ? tanh(u * b[0] * b[1] * b[1]) : 0.5 * u;",
        ),
        f(
            "ratio",
            format!("{attr}static double ratio(double num, double z)"),
            &[],
            "return num / z;",
        ),
        f(
            "fill_quot",
            format!("{attr}static void fill_quot(double *q, const double *z, int n, double s)"),
            &[],
            "for (int i = 0; i < n; i++) q[i] = (1.25 + sin(s + 0.25 * i)) / z[i];",
        ),
        f(
            "sum_quot",
            format!("{attr}static double sum_quot(const double *w, const int *n, double t)"),
            &[
                "double s = 0.0;",
                "for (int i = 0; i < *n; i++) s += t / w[i];",
            ],
            "return s;",
        ),
    ]
}

impl Gen {
    /// A statement of the `hazard` variant, or None when the scope offers nothing it needs.
    pub(super) fn hazard_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v) = self.local_stmt_parts(sc)?;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let c = lit(self.rng.real(0.2, 0.8));
        let z = format!("hz{k}");
        let zs = self.zero_source(sc);
        let num = self.numerator(sc);
        let (e, _) = self.expr(sc, 2);
        let alt = self.squash(&e);
        let (e2, _) = self.expr(sc, 1);
        let (e3, _) = self.expr(sc, 2);
        let sq = self.squash(&e3);
        let line = match self.rng.below(11) {
            0 => {
                // zero on one side of an if/else; quotient and logarithm after the merge
                format!(
                    "double {z}; if (BR({sq} > {c})) {z} = {zs}; else {z} = 1.0 + 0.5 * {alt}; \
                     double hq{k} = {num} / {z}; double hl{k} = log({z}); \
                     {v} = {a} * {v} + {b} * (BR({z} > 0.0) ? tanh(hq{k} * {z} * {z} + hl{k} * {z} * {z} + {e2}) : {alt});"
                )
            }
            1 => {
                // zero on one side of a select; a square root after it, its quotient guarded
                format!(
                    "double {z} = BR({sq} > {c}) ? {zs} : 0.5 + 0.25 * {alt}; double hs{k} = sqrt({z}); \
                     double hr{k} = {num} / hs{k}; \
                     {v} = {a} * {v} + {b} * (BR(hs{k} != 0.0) ? tanh(hr{k} * {z} * hs{k} + {e2}) : {alt}) + {c} * hs{k} * ({e2});"
                )
            }
            2 => {
                // a callee writes the quotient; the caller reads it where the divisor is not 0
                self.wants_hazard = true;
                format!(
                    "double hb{k}[3]; put_quot(hb{k}, {num}, {zs}); \
                     {v} = {a} * {v} + {b} * (BR(hb{k}[1] != 0.0) ? tanh(hb{k}[0] * hb{k}[1] * hb{k}[1] + {e2}) : {alt});"
                )
            }
            3 => {
                // the caller writes the quotient; a callee multiplies it into memory
                self.wants_hazard = true;
                format!(
                    "double hb{k}[3]; hb{k}[1] = {zs}; hb{k}[0] = {num} / hb{k}[1]; scale_into(hb{k}, {sq}); \
                     {v} = {a} * {v} + {b} * (BR(hb{k}[1] != 0.0) ? tanh(hb{k}[2] * hb{k}[1] * hb{k}[1] + {e2}) : {alt});"
                )
            }
            4 => {
                // the caller writes the quotient; a callee reads it behind its own guard
                self.wants_hazard = true;
                format!(
                    "double hb{k}[3]; hb{k}[1] = {zs}; hb{k}[0] = {num} / hb{k}[1]; \
                     {v} = {a} * {v} + {b} * (use_quot(hb{k}, {sq}) + {alt});"
                )
            }
            5 => {
                // a callee returns the quotient; the caller discards it where the divisor is 0
                self.wants_hazard = true;
                format!(
                    "double {z} = {zs}; double hq{k} = ratio({num}, {z}); \
                     {v} = {a} * {v} + {b} * (BR({z} != 0.0) ? tanh(hq{k} * {z} * {z} + {e2}) : {alt});"
                )
            }
            6 => {
                // selects of guarded values, inside a kink and another select
                format!(
                    "double {z} = {zs}; double hg{k} = BR({z} != 0.0) ? {num} / {z} : 0.0; \
                     double hh{k} = BR({z} > 0.0) ? log({z}) : -1.0; \
                     double hm{k} = BR({sq} > {c}) ? hg{k} * {z} : {e2}; \
                     {v} = {a} * {v} + {b} * tanh(FMIN(hg{k} * {z} * {z}, {c}) + hh{k} * {z} * {z} + hm{k} + {alt});"
                )
            }
            7 if self.loop_depth < 2 => {
                // a callee fills quotients of an array with zeros; the caller skips those
                self.wants_hazard = true;
                let i = format!("i{k}");
                let j = format!("j{k}");
                let n = self.count(sc);
                let m = self.rng.below(3);
                let mut si = sc.clone();
                si.idx.push(i.clone());
                let zi = self.loop_divisor(&si, &i, m, 3);
                let mut sj = sc.clone();
                sj.idx.push(j.clone());
                let (ej, _) = self.expr(&sj, 1);
                let (es, _) = self.expr(sc, 1);
                let s = self.squash(&es);
                format!(
                    "double {z}[N], hq{k}[N]; for (int {i} = 0; {i} < N; {i}++) {z}[{i}] = {zi}; \
                     fill_quot(hq{k}, {z}, {n}, {s}); \
                     for (int {j} = 0; {j} < {n}; {j}++) {{ if (BR({z}[{j}] == 0.0)) continue; \
                     {v} = {a} * {v} + {b} * tanh(hq{k}[{j}] * {z}[{j}] + {ej}); }}"
                )
            }
            8 if self.loop_depth < 2 && !sc.read_arrs.is_empty() => {
                // an integer trip count in memory: a helper divides by the entries it covers,
                // the rest are zero; overwritten, then another loop's bound
                self.wants_hazard = true;
                let r = self.rng.pick(&sc.read_arrs).clone();
                let i = format!("i{k}");
                let mut si = sc.clone();
                si.idx.push(i.clone());
                let (ei, _) = self.expr(&si, 2);
                let sqi = self.squash(&ei);
                let numi = self.numerator(&si);
                let t = lit(self.rng.real(0.1, 0.4));
                format!(
                    "int hn{k}[1]; hn{k}[0] = BRI((int)(N * (0.5 + 0.45 * tanh({e})))); double hw{k}[N]; \
                     for (int {i} = 0; {i} < N; {i}++) hw{k}[{i}] = {i} < hn{k}[0] ? 1.0 + 0.5 * {sqi} : 0.0; \
                     {v} = {a} * {v} + {b} * tanh(sum_quot(hw{k}, hn{k}, {t} * {sq})); hn{k}[0] = N - hn{k}[0]; \
                     for (int {i} = 0; {i} < hn{k}[0]; {i}++) {{ double hd{k} = {numi} / hw{k}[{i}]; \
                     if (BR(hw{k}[{i}] == 0.0)) continue; {v} = {c} * {v} + {b} * tanh(0.25 * hd{k} * {r}[{i}]); }}"
                )
            }
            9 | 10 => {
                // a function flat at infinity (`atan`, `tanh`, `erf`, `exp(-q q)`) of a
                // quotient by a zero with an active numerator (its tangent infinite there),
                // directly, returned by a callee, written by one, or through an array
                let g = |q: &str, pick: usize| match pick {
                    0 => format!("atan({q})"),
                    1 => format!("tanh({q})"),
                    2 => format!("erf({q})"),
                    _ => format!("exp(-{q} * {q})"),
                };
                let pick = self.rng.below(4);
                match self.rng.below(4) {
                    0 => {
                        let f = g(&format!("hq{k}"), pick);
                        format!(
                            "double {z} = {zs}; double hq{k} = {num} / {z}; {v} = {a} * {v} + {b} * ({f} * ({e2}) + {alt});"
                        )
                    }
                    1 => {
                        self.wants_hazard = true;
                        let f = g(&format!("hq{k}"), pick);
                        format!(
                            "double hq{k} = ratio({num}, {zs}); {v} = {a} * {v} + {b} * ({f} * ({e2}) + {alt});"
                        )
                    }
                    2 => {
                        self.wants_hazard = true;
                        let f = g(&format!("hb{k}[0]"), pick);
                        format!(
                            "double hb{k}[3]; put_quot(hb{k}, {num}, {zs}); {v} = {a} * {v} + {b} * ({f} * ({e2}) + {alt});"
                        )
                    }
                    _ if self.loop_depth < 2 => {
                        let i = format!("i{k}");
                        let j = format!("j{k}");
                        let n = self.count(sc);
                        let m = self.rng.below(3);
                        let mut si = sc.clone();
                        si.idx.push(i.clone());
                        let numi = self.numerator(&si);
                        let f = g(&format!("hb{k}[{j}]"), pick);
                        format!(
                            "double hb{k}[N]; for (int {i} = 0; {i} < {n}; {i}++) hb{k}[{i}] = {numi} / (double)(({i} + {m}) % 3); \
                             for (int {j} = 0; {j} < {n}; {j}++) {v} = {a} * {v} + {b} * {f};"
                        )
                    }
                    _ => {
                        let f = g(&format!("hq{k}"), pick);
                        format!("double hq{k} = {num} / {zs}; {v} = {a} * {v} + {b} * {f};")
                    }
                }
            }
            _ => {
                // zero on one side; the quotient stored to memory, then read back guarded
                format!(
                    "double hb{k}[2]; if (BR({sq} > {c})) hb{k}[0] = {zs}; else hb{k}[0] = 1.0 + 0.5 * {alt}; \
                     hb{k}[1] = {num} / hb{k}[0]; \
                     if (BR(hb{k}[0] != 0.0)) {v} = {a} * {v} + {b} * tanh(hb{k}[1] * hb{k}[0] + {e2}); else {v} = {a} * {v} + {b} * {alt};"
                )
            }
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }
}
