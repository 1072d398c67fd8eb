//! The `edge` variant (`--variant edge`; with `,no-inline` too): C constructs no other variant
//! draws (`Gen::edge_stmt`, drawn for 35% of the statements):
//! - variable-length arrays declared inside a loop (`double t[i + 1]`: a stack save / restore
//!   per iteration) or sized by a trip count, filled from active data (a loop or `memcpy`) and
//!   reduced; `__builtin_alloca` buffers;
//! - a `goto` out of two nested loops (a multi-level break), and sometimes into the middle of
//!   a loop body (two entries: an irreducible loop, which ferment refuses with a clear error);
//! - `modf`, `frexp` (results through an out pointer), `ldexp`, `scalbn`, each recorded on the
//!   path (`TRUNC` / `FLOOR` of the same value times 0);
//! - arrays of pointers to rows (`double *rw[2] = {p, q}`) indexed by the loop variable, read
//!   and written through;
//! - a heap buffer grown by `realloc` one element per iteration while active values are stored
//!   into it, then reduced and freed;
//! - a loop whose trip count is a data-dependent `while` (halving until below a tolerance).
//!
//! Every draw is behind the variant's flag, so the other variants' programs are unchanged.

use super::{lit, Gen, Scope};
use crate::program::Stmt;

impl Gen {
    /// A statement of the `edge` variant, or None when the scope offers nothing it needs.
    pub(super) fn edge_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v) = self.local_stmt_parts(sc)?;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let c = lit(self.rng.real(0.2, 0.9));
        let i = format!("i{k}");
        let j = format!("j{k}");
        let n = self.count(sc);
        let mut si = sc.clone();
        si.idx.push(i.clone());
        let mut sij = si.clone();
        sij.idx.push(j.clone());
        let deep = self.loop_depth < 2;
        let line = match self.rng.below(10) {
            0 | 1 if deep => {
                // a VLA per iteration (or one sized by the count), filled and reduced
                let t = format!("edv{k}");
                let (e, _) = self.expr(&sij, 2);
                let sq = self.squash(&e);
                let per_iter = self.rng.chance(0.6);
                let (decl, len) = if per_iter {
                    (format!("double {t}[{i} + 1];"), format!("{i} + 1"))
                } else {
                    (format!("double {t}[{n}];"), n.clone())
                };
                let fill = match (self.rng.below(3), sc.read_arrs.is_empty()) {
                    (0, false) => {
                        let p = self.rng.pick(&sc.read_arrs).clone();
                        format!(
                            "memcpy({t}, {p}, ({len}) * sizeof(double)); \
                             for (int {j} = 0; {j} < {len}; {j}++) {t}[{j}] = {c} * {t}[{j}] + {sq};"
                        )
                    }
                    _ => format!("for (int {j} = 0; {j} < {len}; {j}++) {t}[{j}] = {sq};"),
                };
                let (e2, _) = self.expr(&si, 1);
                let red = format!(
                    "double eds{k} = 0.0; for (int {j} = 0; {j} < {len}; {j}++) eds{k} += {t}[{j}] * {t}[{len} - 1 - {j}]; \
                     {v} = {a} * {v} + {b} * tanh(eds{k} + {e2});"
                );
                if per_iter {
                    format!("for (int {i} = 0; {i} < {n}; {i}++) {{ {decl} {fill} {red} }}")
                } else {
                    format!("int {i} = 0; {decl} {fill} {red}")
                }
            }
            2 if deep => {
                // __builtin_alloca
                let t = format!("eda{k}");
                let (e, _) = self.expr(&si, 2);
                let sq = self.squash(&e);
                let (e2, _) = self.expr(&si, 1);
                format!(
                    "double *{t} = (double *)__builtin_alloca(N * sizeof(double)); \
                     for (int {i} = 0; {i} < {n}; {i}++) {t}[{i}] = {sq}; \
                     for (int {i} = 0; {i} < {n}; {i}++) {v} = {a} * {v} + {b} * {t}[{i}] * {t}[({n}) - 1 - {i}] + 0.1 * sin({e2});"
                )
            }
            3 if deep => {
                // a goto into the loop body: an irreducible loop
                let cond = self.cond(sc);
                let (e1, _) = self.expr(&si, 2);
                let s1 = self.squash(&e1);
                let (e2, _) = self.expr(&si, 2);
                let s2 = self.squash(&e2);
                let c2 = lit(self.rng.real(-0.7, 0.7));
                if self.rng.chance(0.2) {
                    format!(
                        "int {i} = 0; double edg{k} = {v}; if ({cond}) goto EDL{k}; \
                         for (; {i} < {n}; {i}++) {{ edg{k} = {c} * edg{k} + {s1}; EDL{k}: edg{k} = {c2} * edg{k} + 0.5 * {s2}; }} \
                         {v} = {a} * {v} + {b} * edg{k};"
                    )
                } else {
                    // a goto out of two nested loops (a multi-level break)
                    let (e3, _) = self.expr(&sij, 2);
                    let s3 = self.squash(&e3);
                    let lim = lit(self.rng.real(0.3, 1.5));
                    let (e4, _) = self.expr(sc, 1);
                    let s2 = self.squash(&e4);
                    format!(
                        "double edg{k} = {v}; \
                         for (int {i} = 0; {i} < {n}; {i}++) {{ edg{k} = {c} * edg{k} + {s1}; \
                         for (int {j} = 0; {j} < {n}; {j}++) {{ edg{k} = {c2} * edg{k} + 0.5 * {s3}; \
                         if (BR(edg{k} > {lim})) goto EDL{k}; }} }} \
                         EDL{k}: {v} = {a} * {v} + {b} * (edg{k} + 0.1 * {s2});"
                    )
                }
            }
            4 => {
                let (e, _) = self.expr(sc, 2);
                let sq = self.squash(&e);
                let m = lit(self.rng.real(1.5, 3.0));
                let (e2, _) = self.expr(sc, 1);
                let s2 = self.squash(&e2);
                format!(
                    "double edx{k} = {m} * {sq}; double edi{k}; double edf{k} = modf(edx{k}, &edi{k}) + 0.0 * TRUNC(edx{k}); \
                     {v} = {a} * {v} + {b} * (edf{k} + 0.3 * edi{k} * {s2});"
                )
            }
            5 => {
                let (p, _) = self.positive(sc, 2);
                let (e2, _) = self.expr(sc, 1);
                let s2 = self.squash(&e2);
                let sh = self.rng.range(0, 4) as i64 - 2;
                let f = *self.rng.pick(&["ldexp", "scalbn"]);
                format!(
                    "double edx{k} = {p}; int ede{k}; double edm{k} = frexp(edx{k}, &ede{k}) + 0.0 * FLOOR(log2(edx{k})); \
                     {v} = {a} * {v} + {b} * (edm{k} * {s2} + 0.1 * ede{k} + {f}(edm{k}, {sh}) * 0.25);"
                )
            }
            6 if deep && sc.write_arrs.len() + sc.read_arrs.len() >= 2 => {
                // an array of row pointers
                let rw = format!("edw{k}");
                let m = self.rng.below(2);
                let (e, _) = self.expr(&si, 2);
                let sq = self.squash(&e);
                if sc.write_arrs.len() >= 2 && self.rng.chance(0.6) {
                    let w1 = self.rng.pick(&sc.write_arrs).clone();
                    let w2 = self.rng.pick(&sc.write_arrs).clone();
                    format!(
                        "double *{rw}[2] = {{{w1}, {w2}}}; \
                         for (int {i} = 0; {i} < {n}; {i}++) {{ double *edq{k} = {rw}[({i} + {m}) % 2]; \
                         edq{k}[{i}] = {c} * edq{k}[{i}] + {b} * {sq}; {v} = {a} * {v} + 0.2 * {rw}[{i} % 2][{i}]; }}"
                    )
                } else {
                    let r1 = self.rng.pick(&sc.read_arrs).clone();
                    let r2 = self.rng.pick(&sc.read_arrs).clone();
                    format!(
                        "const double *{rw}[2] = {{{r1}, {r2}}}; \
                         for (int {i} = 0; {i} < {n}; {i}++) {v} = {a} * {v} + {b} * tanh({rw}[({i} + {m}) % 2][{i}] * {sq});"
                    )
                }
            }
            7 if deep => {
                // a buffer grown by realloc while active values are stored into it
                let t = format!("edb{k}");
                let (e, _) = self.expr(&si, 2);
                let sq = self.squash(&e);
                format!(
                    "double *{t} = (double *)malloc(sizeof(double)); {t}[0] = {v}; \
                     for (int {i} = 1; {i} < {n}; {i}++) {{ {t} = (double *)realloc({t}, ({i} + 1) * sizeof(double)); \
                     {t}[{i}] = {c} * {t}[{i} - 1] + {sq}; }} \
                     for (int {i} = 0; {i} < {n}; {i}++) {v} = {a} * {v} + {b} * sin({t}[{i}]); free({t});"
                )
            }
            8 => {
                // a data-dependent while: halve until below a tolerance
                let (p, _) = self.positive(sc, 2);
                let (e2, _) = self.expr(sc, 1);
                let s2 = self.squash(&e2);
                format!(
                    "double edh{k} = 4.0 * {p}; int edc{k} = 0; \
                     while (BR(edh{k} > 0.7) && edc{k} < 20) {{ edh{k} = 0.5 * edh{k} + 0.05 * {s2}; edc{k}++; }} \
                     {v} = {a} * {v} + {b} * (edh{k} + 0.1 * edc{k});"
                )
            }
            _ => return None,
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }
}
