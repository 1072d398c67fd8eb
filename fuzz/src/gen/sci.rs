//! The `sci` variant (`--variant sci`; with `,no-inline` too): kernels of scientific C that no
//! other variant draws (`Gen::sci_stmt`, drawn for 35% of the statements):
//! - integer index arrays: a scatter-add `w[ix[i]] += ...` through a local `int` array with
//!   repeated entries, a gather `x[gx[i] % N]` through a `static const int` table, and a sparse
//!   matrix in CSR form (`static const` row pointers, columns and values) times an active
//!   vector, row by row or transposed (a scatter);
//! - `static` local arrays holding active values, filled and read within the call;
//! - Horner's rule with a counting-down loop over a constant coefficient table;
//! - Kahan's compensated summation;
//! - a diagonally dominant tridiagonal solve (Thomas: an elimination sweep and a counting-down
//!   back substitution) with active coefficients and right-hand side;
//! - a partial-pivoting swap: the index of the largest `|w[i]|`, then `w[0]` and `w[piv]`
//!   exchanged through a temporary;
//! - in-place recurrences over an array: a running (prefix) sum up and a suffix sum down.
//!
//! Every new draw is behind the variant's flag, so the other variants' programs are unchanged.

use super::{lit, Gen, Scope};
use crate::program::Stmt;

impl Gen {
    /// A statement of the `sci` variant, or None when the scope offers nothing it needs.
    pub(super) fn sci_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v, r) = self.loop_stmt_parts(sc)?;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let c = lit(self.rng.real(0.2, 0.8));
        let i = format!("i{k}");
        let j = format!("j{k}");
        let n = self.count(sc);
        let mut si = sc.clone();
        si.idx.push(i.clone());
        let w = (!sc.write_arrs.is_empty()).then(|| self.rng.pick(&sc.write_arrs).clone());
        let line = match self.rng.below(10) {
            0 if w.is_some() && self.loop_depth == 0 => {
                // a scatter-add through an int index array with repeated entries
                let w = w.unwrap_or_default();
                let m1 = self.rng.below(4);
                let m2 = self.rng.below(5);
                let (e, _) = self.expr(&si, 2);
                let sq = self.squash(&e);
                format!(
                    "int sx{k}[N]; for (int {i} = 0; {i} < N; {i}++) sx{k}[{i}] = ({i} * {m1} + {m2}) % N; \
                     for (int {i} = 0; {i} < {n}; {i}++) {w}[sx{k}[{i}]] += 0.5 * {b} * {sq};"
                )
            }
            1 => {
                // a gather through a constant int table
                let tab: Vec<String> = (0..8).map(|_| self.rng.below(8).to_string()).collect();
                let (e, _) = self.expr(&si, 2);
                let sq = self.squash(&e);
                format!(
                    "static const int gx{k}[8] = {{{}}}; \
                     for (int {i} = 0; {i} < {n}; {i}++) {v} = {a} * {v} + {b} * {r}[gx{k}[{i}] % N] * {sq};",
                    tab.join(", ")
                )
            }
            2 => {
                // a sparse matrix (CSR) times an active vector, by rows or transposed
                let mut rp = vec![0usize];
                let mut cl = Vec::new();
                let mut va = Vec::new();
                for _ in 0..8 {
                    for _ in 0..self.rng.range(0, 3) {
                        cl.push(self.rng.below(8).to_string());
                        va.push(lit(self.rng.real(-0.9, 0.9)));
                    }
                    rp.push(cl.len());
                }
                if cl.is_empty() {
                    cl.push("0".into());
                    va.push("0.5".into());
                    if let Some(last) = rp.last_mut() {
                        *last = 1;
                    }
                }
                let rp: Vec<String> = rp.iter().map(|x| x.to_string()).collect();
                let tables = format!(
                    "static const int rp{k}[9] = {{{}}}; static const int cl{k}[{}] = {{{}}}; \
                     static const double va{k}[{}] = {{{}}};",
                    rp.join(", "),
                    cl.len(),
                    cl.join(", "),
                    va.len(),
                    va.join(", ")
                );
                let product = if self.rng.chance(0.5) {
                    format!(
                        "double sy{k}[N]; for (int {i} = 0; {i} < N; {i}++) {{ double ac{k} = 0.0; \
                         for (int {j} = rp{k}[{i}]; {j} < rp{k}[{i} + 1]; {j}++) ac{k} += va{k}[{j}] * {r}[cl{k}[{j}] % N]; \
                         sy{k}[{i}] = ac{k}; }}"
                    )
                } else {
                    format!(
                        "double sy{k}[N] = {{0}}; for (int {i} = 0; {i} < N; {i}++) \
                         for (int {j} = rp{k}[{i}]; {j} < rp{k}[{i} + 1]; {j}++) sy{k}[cl{k}[{j}] % N] += va{k}[{j}] * {r}[{i}];"
                    )
                };
                let use_ = match &w {
                    Some(w) if self.rng.chance(0.5) => format!(
                        "for (int {i} = 0; {i} < {n}; {i}++) {w}[{i}] = {c} * {w}[{i}] + {b} * tanh(sy{k}[{i}]);"
                    ),
                    _ => format!(
                        "for (int {i} = 0; {i} < {n}; {i}++) {v} = {a} * {v} + {b} * tanh(sy{k}[{i}]);"
                    ),
                };
                format!("{tables} {product} {use_}")
            }
            3 if self.in_kernel => {
                // a static local array of active values, filled and read in the call
                let (e, _) = self.expr(&si, 2);
                let sq = self.squash(&e);
                format!(
                    "static double ss{k}[N]; for (int {i} = 0; {i} < {n}; {i}++) ss{k}[{i}] = {sq}; \
                     for (int {i} = 0; {i} < {n}; {i}++) {v} = {a} * {v} + {b} * ss{k}[{i}] * ss{k}[({n}) - 1 - {i}];"
                )
            }
            4 => {
                // Horner's rule, counting down over a constant table
                let cf: Vec<String> = (0..5).map(|_| lit(self.rng.real(-1.0, 1.0))).collect();
                let (e, _) = self.expr(sc, 2);
                let sq = self.squash(&e);
                format!(
                    "static const double hc{k}[5] = {{{}}}; double hx{k} = 0.5 * {sq}, hp{k} = hc{k}[4]; \
                     for (int {j} = 3; {j} >= 0; {j}--) hp{k} = hp{k} * hx{k} + hc{k}[{j}]; \
                     {v} = {a} * {v} + {b} * hp{k};",
                    cf.join(", ")
                )
            }
            5 => {
                // Kahan's compensated sum
                let (e, _) = self.expr(&si, 2);
                let sq = self.squash(&e);
                format!(
                    "double ks{k} = 0.0, kc{k} = 0.0; for (int {i} = 0; {i} < {n}; {i}++) {{ \
                     double ky{k} = {sq} - kc{k}; double kt{k} = ks{k} + ky{k}; kc{k} = (kt{k} - ks{k}) - ky{k}; ks{k} = kt{k}; }} \
                     {v} = {a} * {v} + {b} * tanh(ks{k});"
                )
            }
            6 | 7 => {
                // a diagonally dominant tridiagonal solve (Thomas)
                let (e1, _) = self.expr(&si, 2);
                let s1 = self.squash(&e1);
                let (e2, _) = self.expr(&si, 2);
                let s2 = self.squash(&e2);
                let (e3, _) = self.expr(&si, 1);
                let s3 = self.squash(&e3);
                let use_ = match &w {
                    Some(w) if self.rng.chance(0.5) => format!(
                        "for (int {i} = 0; {i} < N; {i}++) {w}[{i}] = {c} * {w}[{i}] + {b} * tanh(td{k}[{i}]);"
                    ),
                    _ => format!(
                        "for (int {i} = 0; {i} < N; {i}++) {v} = {a} * {v} + {b} * tanh(td{k}[{i}]);"
                    ),
                };
                format!(
                    "double ta{k}[N], tb{k}[N], tc{k}[N], td{k}[N]; \
                     for (int {i} = 0; {i} < N; {i}++) {{ ta{k}[{i}] = 0.3 * {s1}; tb{k}[{i}] = 3.0 + cos({r}[{i}]); \
                     tc{k}[{i}] = 0.3 * {s2}; td{k}[{i}] = {s3}; }} \
                     for (int {i} = 1; {i} < N; {i}++) {{ double tm{k} = ta{k}[{i}] / tb{k}[{i} - 1]; \
                     tb{k}[{i}] -= tm{k} * tc{k}[{i} - 1]; td{k}[{i}] -= tm{k} * td{k}[{i} - 1]; }} \
                     td{k}[N - 1] /= tb{k}[N - 1]; \
                     for (int {i} = N - 2; {i} >= 0; {i}--) td{k}[{i}] = (td{k}[{i}] - tc{k}[{i}] * td{k}[{i} + 1]) / tb{k}[{i}]; \
                     {use_}"
                )
            }
            8 if w.is_some() => {
                // a partial-pivoting swap
                let w = w.unwrap_or_default();
                let (e, _) = self.expr(sc, 1);
                let sq = self.squash(&e);
                format!(
                    "int pv{k} = 0; double pb{k} = FABS({w}[0]); \
                     for (int {i} = 1; {i} < {n}; {i}++) if (BR(FABS({w}[{i}]) > pb{k})) {{ pb{k} = FABS({w}[{i}]); pv{k} = {i}; }} \
                     double pt{k} = {w}[0]; {w}[0] = {w}[pv{k}]; {w}[pv{k}] = pt{k}; \
                     {v} = {a} * {v} + {b} * {w}[0] * {sq} + 0.01 * pv{k};"
                )
            }
            9 if w.is_some() && self.loop_depth == 0 => {
                // in-place recurrences: a running sum up, a suffix sum down
                let w = w.unwrap_or_default();
                if self.rng.chance(0.5) {
                    let c = lit(self.rng.real(0.2, 0.5));
                    format!("for (int {i} = 1; {i} < {n}; {i}++) {w}[{i}] += {c} * {w}[{i} - 1];")
                } else {
                    format!(
                        "for (int {i} = ({n}) - 2; {i} >= 0; {i}--) {w}[{i}] = {c} * {w}[{i}] + {b} * {w}[{i} + 1];"
                    )
                }
            }
            _ => return None,
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }
}
