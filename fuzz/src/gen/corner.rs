//! The `corner` variant (`--variant corner`; with `,no-inline` too): corners of C and of its
//! library that numerical code uses and no other variant draws (`Gen::corner_stmt`, drawn for 35%
//! of the statements):
//! - `long double` accumulators (x87 80-bit on x86-64) converted back to `double`;
//! - bit-level sign operations on active values: `fabs` through a union's integer view
//!   (`u &= 0x7fff...`), negation by `memcpy` to an integer, `xor` of the sign bit and back;
//! - `remainder` (with an active divisor) and `rint`, `ilogb` with `scalbn` (a mantissa
//!   normalized to [1, 2)), `nextafter`, `fma`;
//! - `qsort` of an active local array with a comparator (`cmpd`), then order statistics;
//! - complex arithmetic in the kernel (`_Complex double` products and a quotient, `__real__` /
//!   `__imag__`).
//!
//! Every new draw is behind the variant's flag, so the other variants' programs are unchanged.

use super::{lit, Gen, Scope};
use crate::program::{Func, Stmt};

/// The comparator `qsort` gets (ascending doubles; its comparisons are recorded).
pub(super) fn comparator() -> Func {
    Func {
        name: "cmpd".into(),
        head: "static int cmpd(const void *pa, const void *pb)".into(),
        pre: vec!["double a = *(const double *)pa, b = *(const double *)pb;".into()],
        body: Vec::new(),
        post: vec!["return BR(a < b) ? -1 : BR(a > b);".into()],
    }
}

impl Gen {
    /// A statement of the `corner` variant, or None when the scope offers nothing it needs.
    pub(super) fn corner_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v, r) = self.loop_stmt_parts(sc)?;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let c = lit(self.rng.real(0.2, 0.8));
        let i = format!("i{k}");
        let n = self.count(sc);
        let mut si = sc.clone();
        si.idx.push(i.clone());
        let line = match self.rng.below(8) {
            0 => {
                // a long double accumulator
                let (e, _) = self.expr(&si, 2);
                let sq = self.squash(&e);
                format!(
                    "long double la{k} = 0.0L; for (int {i} = 0; {i} < {n}; {i}++) \
                     la{k} += (long double)({sq}) * (long double){r}[{i}]; \
                     {v} = {a} * {v} + {b} * (double)la{k};"
                )
            }
            1 => {
                // fabs or negation through a union's integer view
                let (e, _) = self.expr(sc, 2);
                let sq = self.squash(&e);
                let op = if self.rng.chance(0.5) {
                    "&= 0x7fffffffffffffffULL"
                } else {
                    "^= 0x8000000000000000ULL"
                };
                format!(
                    "union {{ double d; unsigned long long u; }} pu{k}; double pe{k} = {sq}; \
                     pu{k}.d = pe{k} + 0.0 * BR(pe{k} < 0.0); pu{k}.u {op}; \
                     {v} = {a} * {v} + {b} * pu{k}.d;"
                )
            }
            2 => {
                // the sign bit flipped in an integer copy (memcpy both ways)
                let (e, _) = self.expr(sc, 2);
                let sq = self.squash(&e);
                format!(
                    "double mb{k} = {sq}; unsigned long long mu{k}; memcpy(&mu{k}, &mb{k}, sizeof mu{k}); \
                     mu{k} ^= 0x8000000000000000ULL; memcpy(&mb{k}, &mu{k}, sizeof mb{k}); \
                     {v} = {a} * {v} + {b} * mb{k} * {r}[0];"
                )
            }
            3 => {
                // remainder with an active divisor, and rint
                let (e1, _) = self.expr(sc, 2);
                let s1 = self.squash(&e1);
                let (e2, _) = self.expr(sc, 1);
                let s2 = self.squash(&e2);
                format!(
                    "double rq{k} = 2.5 * {s1}, rd{k} = 0.9 + 0.3 * tanh({s2}); \
                     {v} = {a} * {v} + {b} * REMAINDER(rq{k}, rd{k}) + {c} * (rq{k} - 0.25 * RINT(3.0 * rq{k}));"
                )
            }
            4 => {
                // a mantissa normalized by ilogb and scalbn
                let (e, _) = self.expr(sc, 2);
                let sq = self.squash(&e);
                format!(
                    "double ln{k} = 1.5 + 0.9 * {sq}; int le{k} = ILOGB(ln{k}); \
                     {v} = {a} * {v} + {b} * scalbn(ln{k}, -le{k}) + 0.01 * le{k};"
                )
            }
            5 => {
                // fma and nextafter
                let (e1, _) = self.expr(&si, 2);
                let s1 = self.squash(&e1);
                let (e2, _) = self.expr(&si, 1);
                let s2 = self.squash(&e2);
                format!(
                    "for (int {i} = 0; {i} < {n}; {i}++) \
                     {v} = {a} * {v} + {b} * fma({s1}, {r}[{i}], nextafter({s2}, 3.0));"
                )
            }
            6 => {
                // qsort of an active array, then order statistics
                self.wants_cmpd = true;
                let (e, _) = self.expr(&si, 2);
                let sq = self.squash(&e);
                format!(
                    "double qs{k}[N]; for (int {i} = 0; {i} < N; {i}++) qs{k}[{i}] = {sq}; \
                     qsort(qs{k}, N, sizeof(double), &cmpd); \
                     {v} = {a} * {v} + {b} * (qs{k}[0] + 0.5 * qs{k}[N - 1]) * qs{k}[N / 2];"
                )
            }
            _ => {
                // complex arithmetic: a square, a quotient, the parts
                let (e1, _) = self.expr(sc, 2);
                let s1 = self.squash(&e1);
                let (e2, _) = self.expr(sc, 1);
                let s2 = self.squash(&e2);
                format!(
                    "_Complex double z{k} = __builtin_complex(tanh({v}), 0.5 * {s1}); \
                     z{k} = z{k} * z{k} + __builtin_complex(0.3, {c}); \
                     z{k} = z{k} / __builtin_complex(1.5, {s2}); \
                     {v} = {a} * {v} + {b} * __real__ z{k} + {c} * __imag__ z{k};"
                )
            }
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }
}
