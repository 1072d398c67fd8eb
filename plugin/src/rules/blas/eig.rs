//! Symmetric eigen-decomposition rules (LAPACK `syev`): A = V diag(w) V^T
//! for the symmetric matrix stored in a triangle of A.
//!
//! With T = V^T A' V: w' = diag(T) and V' = V (F o T), where
//! F[i,j] = 1 / (w[j] - w[i]) off the diagonal and 0 on it; the adjoint is
//! A_bar = V (diag(w_bar) + F o (V^T V_bar)) V^T, folded onto the stored
//! triangle. The eigenvalues must be distinct where eigenvectors are
//! differentiated (F is infinite where two coincide). With `jobz = 'N'` the
//! call computes no eigenvectors: the rules decompose a copy of the input
//! again (LAPACKE, `jobz = 'V'`).

use super::emit::Emit;
use super::{Derivs, Extent, Iface, Op};
use crate::reverse::tape::declare;
use ferment_ir::{Type, Value};

/// A matrix: pointer and leading dimension.
type Mat = (Value, Value);

impl Emit<'_> {
    /// Heap copies (V, w) of the eigenvectors and eigenvalues of the
    /// symmetric matrix stored in a triangle of A (column-major; LAPACKE,
    /// or for a call through the Fortran interface `?syev_` itself, which
    /// the program already links).
    fn eigh(&self, iface: Iface, lower: bool, n: Value, a: Mat) -> (Mat, Value) {
        let v = self.copy_of(a, (n, n));
        let w = self.calloc(self.int_c(1), n);
        let ctx = self.module.context();
        let (i32t, i8t, i64t) = (Type::int(ctx, 32), Type::int(ctx, 8), Type::int(ctx, 64));
        if iface == Iface::Fortran {
            // The by-reference arguments in one zeroed heap block: the two
            // flag letters, then n, lda, lwork, info (8 bytes apart); the
            // workspace 3n + 1 reals (LAPACK needs 3n - 1 at least).
            let slots = self.b.call_fn(
                declare(self.module, "calloc", self.ptr(), &[i64t, i64t]),
                &[self.b.const_int(i64t, 1), self.b.const_int(i64t, 48)],
            );
            let at = |k: u64| self.b.gep_i8(slots, k);
            self.b.store(self.b.const_int(i8t, i64::from(b'V')), at(0));
            let uplo = if lower { b'L' } else { b'U' };
            self.b.store(self.b.const_int(i8t, i64::from(uplo)), at(1));
            let three = self.b.mul_int(n, self.int_c(3));
            let lwork = self.b.add_int(three, self.int_c(1));
            self.b.store(n, at(8));
            self.b.store(v.1, at(16));
            self.b.store(lwork, at(24));
            let work = self.calloc(lwork, self.int_c(1));
            let name = format!("{}syev_", self.prec.letter());
            let p = self.ptr();
            let f = declare(
                self.module,
                &name,
                self.void(),
                &[p, p, p, p, p, p, p, p, p, i64t, i64t],
            );
            let one = self.b.const_int(i64t, 1);
            let args = [
                at(0),
                at(1),
                at(8),
                v.0,
                at(16),
                w,
                work,
                at(24),
                at(32),
                one,
                one,
            ];
            self.b.call_fn(f, &args);
            self.free(work);
            self.free(slots);
            return (v, w);
        }
        let name = format!("LAPACKE_{}syev", self.prec.letter());
        let f = declare(
            self.module,
            &name,
            self.int,
            &[i32t, i8t, i8t, self.int, self.ptr(), self.int, self.ptr()],
        );
        let args = [
            self.b.const_int(i32t, 102),
            self.b.const_int(i8t, i64::from(b'V')),
            self.b
                .const_int(i8t, i64::from(if lower { b'L' } else { b'U' })),
            n,
            v.0,
            v.1,
            w,
        ];
        self.b.call_fn(f, &args);
        (v, w)
    }

    /// The stride of a square matrix's diagonal.
    fn diagonal(&self, m: Mat) -> Mat {
        (m.0, self.b.add_int(m.1, self.int_c(1)))
    }
}

/// The eigenvectors and eigenvalues the rules use: the call's outputs
/// (`jobz = 'V'`), or those of a new decomposition of its input.
fn decomposition(e: &Emit, op: &Op, outputs: Option<(Mat, Mat)>) -> (Mat, Value, bool) {
    match outputs {
        Some((v, w)) if op.vectors => (v, w.0, false),
        _ => {
            let a = (op.arrays[0].ptr, op.arrays[0].stride);
            let (v, w) = e.eigh(op.iface, op.lower, op.dims[0], a);
            (v, w, true)
        }
    }
}

/// Reverse mode of `syev` (column-major operands).
pub(super) fn eig_adjoint(e: &Emit, op: &Op, d: &Derivs) {
    let (da, dw) = (d.shadows[0], d.shadows[1]);
    if da.is_none() && dw.is_none() {
        return;
    }
    let n = op.dims[0];
    let (one, zero) = (e.real(1.0), e.real(0.0));
    let outputs = match (d.after.first(), d.after.get(1)) {
        (Some(&Some(v)), Some(&Some(w))) => Some((v, w)),
        _ => None,
    };
    let (v, w, owned) = decomposition(e, op, outputs);
    // M = diag(w_bar) + F o (V^T V_bar)
    let m = e.temp(n, n);
    if let Some(da) = da.filter(|_| op.vectors) {
        e.gemm(true, false, (n, n, n), one, v, da, zero, m);
        e.eig_gap(n, m, w);
    }
    if let Some(dw) = dw {
        e.axpy(n, one, dw, e.diagonal(m));
    }
    // V M V^T, folded onto the triangle (the outputs' adjoints consumed)
    let t = e.temp(n, n);
    e.gemm(false, false, (n, n, n), one, v, m, zero, t);
    e.gemm(false, true, (n, n, n), one, t, v, zero, m);
    if let Some(da) = da {
        e.scale(zero, da, Extent::Matrix(n, n));
        e.sym_add(op.lower, n, one, m, da);
    }
    if let Some(dw) = dw {
        e.scale(zero, dw, Extent::Vector(n));
    }
    e.free(m.0);
    e.free(t.0);
    if owned {
        e.free(v.0);
        e.free(w);
    }
}

/// Forward mode of `syev`: after the call with `jobz = 'V'`, before it
/// with `'N'` (column-major operands).
pub(super) fn eig_tangent(e: &Emit, op: &Op, d: &Derivs) {
    let n = op.dims[0];
    let (one, zero) = (e.real(1.0), e.real(0.0));
    let Some(da) = d.shadows[0] else {
        if let Some(dw) = d.shadows[1] {
            e.scale(zero, dw, Extent::Vector(n));
        }
        return;
    };
    let arr = |i: usize| (op.arrays[i].ptr, op.arrays[i].stride);
    let (v, w, owned) = decomposition(e, op, Some((arr(0), arr(1))));
    // T = V^T A' V
    let s = e.sym_pack(op.lower, false, n, da);
    let t = e.temp(n, n);
    e.gemm(false, false, (n, n, n), one, s, v, zero, t);
    e.gemm(true, false, (n, n, n), one, v, t, zero, s);
    if let Some(dw) = d.shadows[1] {
        e.copy(n, e.diagonal(s), dw);
    }
    if op.vectors {
        e.eig_gap(n, s, w);
        e.gemm(false, false, (n, n, n), one, v, s, zero, da);
    } else {
        // the call destroys A's contents
        e.scale(zero, da, Extent::Matrix(n, n));
    }
    e.free(s.0);
    e.free(t.0);
    if owned {
        e.free(v.0);
        e.free(w);
    }
}
