//! The reverse of the Cholesky factorization (LAPACK `potrf`), blocked.
//!
//! Murray's identity A_bar = L^-T Phi(L^T L_bar) L^-1 costs three n^3
//! triangular products against the factorization's n^3/3. The blocked
//! form reverses the left-looking block algorithm instead: for block
//! column J (rows and columns [j0, j1)), with R = L[J, :j0],
//! C = L[j1:, :j0], P = L[j1:, J], the forward step is
//! L_JJ = chol(A_JJ - R R^T), P = (A[j1:, J] - C R^T) L_JJ^-T. Its reverse,
//! from the last block to the first, in place on the adjoint (which holds
//! L_bar and ends holding A_bar on the triangle):
//!   B_bar = P_bar L_JJ^-1 (A[j1:, J]'s adjoint), L_JJ_bar -= tril(B_bar^T P),
//!   C_bar -= B_bar R, R_bar -= B_bar^T C,
//!   D_bar = Murray's identity on the diagonal block, R_bar -= (D_bar + D_bar^T) R
//! (D_bar folded on its triangle). The matrix products are two n^3/3 gemm
//! sweeps: about twice the factorization. The tangent runs the same blocks
//! forwards: D' = A'_JJ - R' R^T - R R'^T, L'_JJ = L_JJ Phi(L_JJ^-1 D' L_JJ^-T),
//! P' = (A'[j1:, J] - C' R^T - C R'^T - P L'_JJ^T) L_JJ^-T.

use super::emit::{axpy_matrix, Emit};
use ferment_ir::{Builder, IntPredicate, Type, Value};

/// A matrix: pointer and leading dimension.
type Mat = (Value, Value);

/// Columns per block.
const BLOCK: i64 = 64;

impl Emit<'_> {
    /// A_bar from L_bar in `da` (the triangle `lower` or not), given the
    /// factor: Murray's identity on the whole matrix.
    pub(super) fn potrf_adjoint_unblocked(&self, lower: bool, n: Value, f: Mat, da: Mat) {
        let one = self.real(1.0);
        let p = self.tri_pack((lower, false), n, da);
        // lower: L^T L'; upper: U' U^T
        self.trmm(false, !lower, (lower, true, false), (n, n), one, f, p);
        self.phi(lower, n, p);
        // lower: L^-T P L^-1; upper: U^-1 P U^-T
        self.trmm(true, false, (lower, lower, false), (n, n), one, f, p);
        self.trmm(true, true, (lower, !lower, false), (n, n), one, f, p);
        self.tri_scale(lower, n, self.real(0.0), da);
        self.sym_add(lower, n, one, p, da);
        self.free(p.0);
    }

    /// L' from A' in `da` (the triangle `lower` or not), given the factor:
    /// Murray's identity on the whole matrix (upper: U' = Phi(U^-T A' U^-1) U).
    pub(super) fn potrf_tangent_unblocked(&self, lower: bool, n: Value, f: Mat, da: Mat) {
        let one = self.real(1.0);
        let p = self.sym_pack(lower, false, n, da);
        self.trmm(true, false, (lower, !lower, false), (n, n), one, f, p);
        self.trmm(true, true, (lower, lower, false), (n, n), one, f, p);
        self.phi(lower, n, p);
        self.trmm(false, !lower, (lower, false, false), (n, n), one, f, p);
        self.tri_scale(lower, n, self.real(0.0), da);
        self.tri_add((lower, false), n, one, p, da);
        self.free(p.0);
    }

    /// A_bar from L_bar in `da`, blocked (see the module's comment); the
    /// upper factor goes through transposed copies.
    pub(super) fn potrf_adjoint(&self, lower: bool, n: Value, f: Mat, da: Mat) {
        self.potrf_blocked(false, lower, n, f, da);
    }

    /// L' from A' in `da`, blocked.
    pub(super) fn potrf_tangent(&self, lower: bool, n: Value, f: Mat, da: Mat) {
        self.potrf_blocked(true, lower, n, f, da);
    }

    fn potrf_blocked(&self, tangent: bool, lower: bool, n: Value, f: Mat, da: Mat) {
        let h = self.potrf_helper(tangent);
        if lower {
            self.b.call_fn(h, &[n, f.0, f.1, da.0, da.1]);
            return;
        }
        // U = L^T: the lower algorithm on the transposes; the other
        // triangle of the copy is the original's, copied back unchanged
        let ft = self.transposed(f, n, n);
        let dt = self.transposed(da, n, n);
        self.b.call_fn(h, &[n, ft.0, ft.1, dt.0, dt.1]);
        self.transpose_into(dt, (n, n), da);
        self.free(ft.0);
        self.free(dt.0);
    }

    /// `(n, L, ldl, D, ldd)`: the blocked reverse (D holds L_bar) or tangent
    /// (D holds A') for a lower factor.
    fn potrf_helper(&self, tangent: bool) -> Value {
        let name = format!(
            "ferment.lapack.potrf_{}.{}.i{}",
            if tangent { "tangent" } else { "adjoint" },
            self.prec.letter(),
            self.int.int_width()
        );
        if let Some(h) = self.module.function(&name) {
            return h;
        }
        let ctx = self.module.context();
        let (int, ptr) = (self.int, self.ptr());
        let h = self.module.add_function(
            &name,
            Type::function(Type::void(ctx), &[int, ptr, int, ptr, int], false),
        );
        h.set_internal();
        let p = h.params();
        let (n, f, ldf, da, lda) = (p[0], p[1], p[2], p[3], p[4]);
        let b = Builder::new(self.module);
        let entry = h.append_block("entry");
        let body = h.append_block("block");
        let exit = h.append_block("exit");
        let e = Emit {
            b: &b,
            module: self.module,
            prec: self.prec,
            int,
            cache: self.cache,
        };
        b.at_end(entry);
        let ic = |v: i64| b.const_int(int, v);
        let none = b.icmp(IntPredicate::LLVMIntSLE, n, ic(0));
        // the last block starts at ((n - 1) / BLOCK) * BLOCK
        let last = b.mul_int(b.udiv_int(b.sub_int(n, ic(1)), ic(BLOCK)), ic(BLOCK));
        b.cond_br(none, exit, body);
        b.at_end(body);
        let j0 = b.phi(int, "j0");
        let step = if tangent { BLOCK } else { -BLOCK };
        let j1 = {
            let end = b.add_int(j0, ic(BLOCK));
            let past = b.icmp(IntPredicate::LLVMIntSGT, end, n);
            b.select(past, n, end)
        };
        let bs = b.sub_int(j1, j0);
        let m = b.sub_int(n, j1);
        let ft = e.ft();
        let at = |x: Value, ld: Value, i: Value, j: Value| {
            let i64t = b.i64();
            let off = b.add_int(
                b.int_cast(i, i64t, true),
                b.mul_int(b.int_cast(j, i64t, true), b.int_cast(ld, i64t, true)),
            );
            b.gep(ft, x, &[off])
        };
        let zero_i = ic(0);
        let l_jj = (at(f, ldf, j0, j0), ldf);
        let lb_jj = (at(da, lda, j0, j0), lda);
        let pp = (at(f, ldf, j1, j0), ldf);
        let pb = (at(da, lda, j1, j0), lda);
        let r = (at(f, ldf, j0, zero_i), ldf);
        let rb = (at(da, lda, j0, zero_i), lda);
        let c = (at(f, ldf, j1, zero_i), ldf);
        let cb = (at(da, lda, j1, zero_i), lda);
        let (one, minus, zero) = (e.real(1.0), e.real(-1.0), e.real(0.0));
        if tangent {
            // D' = A'_JJ - R' R^T - R R'^T, then L'_JJ
            e.syrk((true, false), (bs, j0), minus, rb, Some(r), one, lb_jj);
            e.potrf_tangent_unblocked(true, bs, l_jj, lb_jj);
            // P' = (A'[j1:, J] - C' R^T - C R'^T - P L'_JJ^T) L_JJ^-T
            e.gemm(false, true, (m, bs, j0), minus, cb, r, one, pb);
            e.gemm(false, true, (m, bs, j0), minus, c, rb, one, pb);
            let t = e.copy_of(pp, (m, bs));
            e.trmm(false, true, (true, true, false), (m, bs), one, lb_jj, t);
            axpy_matrix(&e, (m, bs), minus, t, pb);
            e.free(t.0);
            e.trmm(true, true, (true, true, false), (m, bs), one, l_jj, pb);
        } else {
            // B_bar = P_bar L_JJ^-1, in place: A[j1:, J]'s adjoint
            e.trmm(true, true, (true, false, false), (m, bs), one, l_jj, pb);
            // L_JJ_bar -= tril(B_bar^T P)
            let t = e.scratch(bs, bs);
            e.gemm(true, false, (bs, bs, m), one, pb, pp, zero, t);
            e.tri_add((true, false), bs, minus, t, lb_jj);
            e.free(t.0);
            // C_bar -= B_bar R; R_bar -= B_bar^T C
            e.gemm(false, false, (m, j0, bs), minus, pb, r, one, cb);
            e.gemm(true, false, (bs, j0, m), minus, pb, c, one, rb);
            // D_bar on the diagonal block, then R_bar -= (D_bar + D_bar^T) R
            e.potrf_adjoint_unblocked(true, bs, l_jj, lb_jj);
            let sm = e.sym_pack(true, true, bs, lb_jj);
            e.gemm(false, false, (bs, j0, bs), minus, sm, r, one, rb);
            e.free(sm.0);
        }
        let next = b.add_int(j0, ic(step));
        let more = if tangent {
            b.icmp(IntPredicate::LLVMIntSLT, next, n)
        } else {
            b.icmp(IntPredicate::LLVMIntSGE, next, ic(0))
        };
        let body_end = b.insert_block();
        b.cond_br(more, body, exit);
        let first = if tangent { ic(0) } else { last };
        j0.add_incoming(first, entry);
        j0.add_incoming(next, body_end);
        b.at_end(exit);
        b.ret_void();
        h
    }
}
