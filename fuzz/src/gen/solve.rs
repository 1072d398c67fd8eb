//! The `solve` variant (`--variant solve`; with `,no-inline` too): iterative and dense-matrix
//! shapes of numerical C that no other variant draws (`Gen::solve_stmt`, drawn for 30% of the
//! statements):
//! - a fixed-point iteration written as `do { ... } while (++it < MAX)` that leaves with an early
//!   `break` on a convergence test of the step (`fabs(dz) < tol`, recorded on the path), the
//!   map a contraction so that it converges;
//! - a 2-D array `double m[3][3]` filled from active values and passed to helpers taking
//!   `const double m[3][3]` (a matrix-vector product, and a reduction with `fmax`/`hypot` over
//!   its rows);
//! - a damped Jacobi sweep on such a matrix, repeated with `do/while` until the update is
//!   small.
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
            name: "m3_mv".into(),
            head: format!(
                "{attr}static void m3_mv(const double m[3][3], const double x[3], double y[3])"
            ),
            pre: vec!["for (int i = 0; i < 3; i++) { double s = 0.0; \
                 for (int j = 0; j < 3; j++) s += m[i][j] * x[j]; y[i] = s; }"
                .into()],
            body: Vec::new(),
            post: Vec::new(),
        },
        Func {
            name: "m3_rows".into(),
            head: format!("{attr}static double m3_rows(const double m[3][3])"),
            pre: vec![
                "double r = 0.0;".into(),
                "for (int i = 0; i < 3; i++) r += hypot(m[i][0], hypot(m[i][1], m[i][2]));".into(),
            ],
            body: Vec::new(),
            post: vec!["return r;".into()],
        },
    ]
}

impl Gen {
    /// A statement of the `solve` variant, or None when the scope offers nothing it needs.
    pub(super) fn solve_stmt(&mut self, sc: &Scope) -> Option<Stmt> {
        let (k, v, r) = self.loop_stmt_parts(sc)?;
        self.wants_solve = true;
        let a = lit(self.rng.real(-0.8, 0.8));
        let b = lit(self.rng.real(0.1, 0.5));
        let c = lit(self.rng.real(0.2, 0.6));
        let (e, _) = self.expr(sc, 2);
        let sq = self.squash(&e);
        // (a matrix from active values: diagonally dominant, so the Jacobi sweep converges)
        let fill = format!(
            "double svm{k}[3][3]; for (int svi{k} = 0; svi{k} < 3; svi{k}++) for (int svj{k} = 0; svj{k} < 3; svj{k}++) \
             svm{k}[svi{k}][svj{k}] = (svi{k} == svj{k}) ? 2.0 + 0.25 * {sq} : {c} * 0.3 * {r}[(svi{k} + 2 * svj{k}) % N];"
        );
        let line = match self.rng.below(3) {
            0 => {
                // a fixed point of a contraction, to a tolerance
                let maxit = 20 + self.rng.below(30);
                format!(
                    "double svz{k} = {v}; int svit{k} = 0; \
                     do {{ double svzn{k} = {c} * cos(svz{k}) + {b} * {sq}; double svdz{k} = svzn{k} - svz{k}; \
                     svz{k} = svzn{k}; if (BR(fabs(svdz{k}) < 1e-9)) break; }} while (++svit{k} < {maxit}); \
                     {v} = {a} * {v} + {b} * svz{k};"
                )
            }
            1 => {
                // a 2-D array to helpers
                format!(
                    "{fill} double svx{k}[3] = {{{v}, {r}[0], {r}[1 % N]}}, svy{k}[3]; m3_mv(svm{k}, svx{k}, svy{k}); \
                     {v} = {a} * {v} + {b} * (svy{k}[0] + svy{k}[1] * svy{k}[2]) + 0.1 * m3_rows(svm{k});"
                )
            }
            _ => {
                // damped Jacobi sweeps until the update is small
                let maxit = 5 + self.rng.below(20);
                format!(
                    "{fill} double svu{k}[3] = {{0.0, 0.0, 0.0}}, svb{k}[3] = {{{v}, {r}[0], {sq}}}; int svit{k} = 0; \
                     do {{ double svun{k}[3], svdu{k} = 0.0; \
                     for (int svi{k} = 0; svi{k} < 3; svi{k}++) {{ double svs{k} = svb{k}[svi{k}]; \
                     for (int svj{k} = 0; svj{k} < 3; svj{k}++) if (svj{k} != svi{k}) svs{k} -= svm{k}[svi{k}][svj{k}] * svu{k}[svj{k}]; \
                     svun{k}[svi{k}] = 0.8 * svs{k} / svm{k}[svi{k}][svi{k}] + 0.2 * svu{k}[svi{k}]; \
                     svdu{k} = FMAX(svdu{k}, FABS(svun{k}[svi{k}] - svu{k}[svi{k}])); }} \
                     for (int svi{k} = 0; svi{k} < 3; svi{k}++) svu{k}[svi{k}] = svun{k}[svi{k}]; \
                     if (BR(svdu{k} < 1e-8)) break; }} while (++svit{k} < {maxit}); \
                     {v} = {a} * {v} + {b} * (svu{k}[0] - svu{k}[1] + 0.5 * svu{k}[2]);"
                )
            }
        };
        Some(Stmt::Line(format!("{{ {line} }}")))
    }
}
