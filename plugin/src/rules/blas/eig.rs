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
use ferment_ir::{IntPredicate, Type, Value};

/// A matrix: pointer and leading dimension.
type Mat = (Value, Value);

impl Emit<'_> {
    /// Heap copies (V, w) of the eigenvectors and eigenvalues of the
    /// symmetric matrix stored in a triangle of A (column-major): through
    /// LAPACKE for a LAPACKE caller, else through the Fortran routine the
    /// caller links (Debian's OpenBLAS has no LAPACKE).
    fn eigh(&self, lower: bool, n: Value, a: Mat, iface: Iface) -> (Mat, Value) {
        let v = self.copy_of(a, (n, n));
        let w = self.calloc(self.int_c(1), n);
        if iface == Iface::Fortran {
            let f = self.fortran_syev_helper(lower);
            self.b.call_fn(f, &[n, v.0, v.1, w]);
            return (v, w);
        }
        let ctx = self.module.context();
        let (i32t, i8t) = (Type::int(ctx, 32), Type::int(ctx, 8));
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

    /// `void ferment.lapack.eigh.<p><U|L>(int n, ptr a, int lda, ptr w)`:
    /// `?syev_('V', uplo, n, a, lda, w, work, lwork, info)` with a heap
    /// workspace of the minimal length `max(1, 3n - 1)` and the hidden
    /// character lengths; by-reference operands in the helper's own frame.
    fn fortran_syev_helper(&self, lower: bool) -> Value {
        let p = self.prec.letter();
        let name = format!("ferment.lapack.eigh.{p}{}", if lower { 'L' } else { 'U' });
        if let Some(f) = self.module.function(&name) {
            return f;
        }
        let ctx = self.module.context();
        let (ptr, int, i8t, i64t) = (self.ptr(), self.int, Type::int(ctx, 8), Type::int(ctx, 64));
        let void = Type::void(ctx);
        let syev = declare(
            self.module,
            &format!("{p}syev_"),
            void,
            &[ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, i64t, i64t],
        );
        let malloc = declare(self.module, "malloc", ptr, &[i64t]);
        let free = declare(self.module, "free", void, &[ptr]);
        let f = self
            .module
            .add_function(&name, Type::function(void, &[int, ptr, int, ptr], false));
        f.set_internal();
        let ps = f.params();
        let b = ferment_ir::Builder::new(self.module);
        b.at_end(f.append_block("entry"));
        let slot = |ty: Type, v: Value| {
            let s = b.alloca(ty, "");
            b.store(v, s);
            s
        };
        let jobz = slot(i8t, b.const_int(i8t, i64::from(b'V')));
        let uplo = slot(
            i8t,
            b.const_int(i8t, i64::from(if lower { b'L' } else { b'U' })),
        );
        let n = slot(int, ps[0]);
        let lda = slot(int, ps[2]);
        let info = slot(int, b.zero(int));
        // lwork = max(1, 3n - 1)
        let three_n = b.mul_int(ps[0], b.const_int(int, 3));
        let len = b.sub_int(three_n, b.const_int(int, 1));
        let small = b.icmp(IntPredicate::LLVMIntSLT, len, b.const_int(int, 1));
        let len = b.select(small, b.const_int(int, 1), len);
        let lwork = slot(int, len);
        let elem = b.const_int(i64t, self.module.alloc_size(self.ft()) as i64);
        let bytes = b.mul_int(b.int_cast(len, i64t, true), elem);
        let work = b.call_fn(malloc, &[bytes]);
        let one = b.const_int(i64t, 1);
        b.call_fn(
            syev,
            &[
                jobz, uplo, n, ps[1], lda, ps[3], work, lwork, info, one, one,
            ],
        );
        b.call_fn(free, &[work]);
        b.ret_void();
        f
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
            let (v, w) = e.eigh(op.lower, op.dims[0], a, op.iface);
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
    let t = e.scratch(n, n);
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
    let t = e.scratch(n, n);
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
