//! LU rules (LAPACK `getrf`, `getrs`, `gesv`), the transposed view of
//! row-major LAPACK calls, and the NaN derivatives of a failed
//! factorization.
//!
//! `getrf` factors A = P L U in place: L unit lower triangular (stored
//! strictly below the diagonal), U upper triangular (on and above it), P
//! the row interchanges of the pivot array (inactive integers). With
//! X = L^-1 P^T A' U^-1, the tangents are L' = L tril_(X) and
//! U' = triu(X) U; the adjoint is A_bar = P L^-T (tril_(L^T L_bar) +
//! triu(U_bar U^T)) U^-T. A solve with the factors is a solve with A, whose
//! derivative goes to the factors through A_bar: L_bar = tril_(P^T A_bar U^T),
//! U_bar = triu(L^T P^T A_bar).

use super::emit::{axpy_matrix, Emit};
use super::{Array, Derivs, Extent, Kind, Op};
use ferment_ir::{Builder, IntPredicate, Type, Value};

/// A matrix: pointer and leading dimension.
type Mat = (Value, Value);

/// Triangle flags (lower, unit) of the two factors as stored.
const L_STRICT: (bool, bool) = (true, true);
const U_TRI: (bool, bool) = (false, false);

impl Emit<'_> {
    /// X = P^T X (`forward`: the interchanges in order, as `getrs` applies
    /// them to its right-hand side) or X = P X (in reverse order), for the
    /// first `k` pivots, over `cols` columns of X.
    pub fn laswp(&self, forward: bool, k: Value, cols: Value, x: Mat, ipiv: Value) {
        let h = self.laswp_helper(forward);
        let args = [x.0, self.i64(x.1), self.i64(cols), ipiv, self.i64(k)];
        self.b.call_fn(h, &args);
    }

    /// B = op(A)^-1 B for A = P L U given the factors and the pivots.
    pub fn lu_solve(&self, t: bool, (n, r): (Value, Value), f: Mat, ipiv: Value, b: Mat) {
        let one = self.real(1.0);
        if !t {
            // U^-1 L^-1 P^T B
            self.laswp(true, n, r, b, ipiv);
            self.trmm(true, false, (true, false, true), (n, r), one, f, b);
            self.trmm(true, false, (false, false, false), (n, r), one, f, b);
        } else {
            // P L^-T U^-T B
            self.trmm(true, false, (false, true, false), (n, r), one, f, b);
            self.trmm(true, false, (true, true, true), (n, r), one, f, b);
            self.laswp(false, n, r, b, ipiv);
        }
    }

    /// Stops the program with a message when `m != n` (the LU rules are for
    /// square matrices; constant dimensions are checked at compile time).
    pub fn require_square(&self, m: Value, n: Value) {
        let name = "ferment.lapack.require_square";
        let i64t = self.b.i64();
        let f = match self.module.function(name) {
            Some(f) => f,
            None => {
                let ctx = self.module.context();
                let void = Type::void(ctx);
                let f = self
                    .module
                    .add_function(name, Type::function(void, &[i64t, i64t], false));
                f.set_internal();
                let p = f.params();
                let b = Builder::new(self.module);
                let entry = f.append_block("entry");
                let fail = f.append_block("fail");
                let ok = f.append_block("ok");
                b.at_end(entry);
                let same = b.icmp(IntPredicate::LLVMIntEQ, p[0], p[1]);
                b.cond_br(same, ok, fail);
                b.at_end(fail);
                let msg = "ferment: the derivative of an LU factorization (getrf/gesv) needs a square matrix\n";
                crate::reverse::tape::emit_stop(&b, "ferment.lapack.square.message", msg);
                b.unreachable();
                b.at_end(ok);
                b.ret_void();
                f
            }
        };
        self.b.call_fn(f, &[self.i64(m), self.i64(n)]);
    }

    /// `(x, ldx, cols, ipiv, k)`: swaps rows i and ipiv[i] - 1 of X for i in
    /// 0..k (or k-1 down to 0).
    fn laswp_helper(&self, forward: bool) -> Value {
        let bits = self.int.int_width();
        let name = format!(
            "ferment.lapack.laswp.{}.{}.i{bits}",
            if forward { "fwd" } else { "bwd" },
            self.prec.letter()
        );
        if let Some(f) = self.module.function(&name) {
            return f;
        }
        let ctx = self.module.context();
        let (ft, i64t, ptr) = (self.ft(), Type::int(ctx, 64), self.ptr());
        let f = self.module.add_function(
            &name,
            Type::function(Type::void(ctx), &[ptr, i64t, i64t, ptr, i64t], false),
        );
        f.set_internal();
        let p = f.params();
        let (x, ldx, cols, ipiv, k) = (p[0], p[1], p[2], p[3], p[4]);
        let b = Builder::new(self.module);
        b.at_end(f.append_block("entry"));
        let one = b.const_int(i64t, 1);
        let some_cols = b.icmp(IntPredicate::LLVMIntSGT, cols, b.const_int(i64t, 0));
        // for s in 0..k: i = s (forward) or k - 1 - s
        b.counted_loop_with("pivot", k, Some(some_cols), &[], |s, _| {
            let i = if forward {
                s
            } else {
                b.sub_int(b.sub_int(k, one), s)
            };
            let piv = b.load(self.int, b.gep(self.int, ipiv, &[i]));
            let r = b.sub_int(b.int_cast(piv, i64t, true), one);
            let differ = b.icmp(IntPredicate::LLVMIntNE, r, i);
            // for j in 0..cols: swap X[i, j] and X[r, j]
            b.counted_loop_with("swap", cols, Some(differ), &[], |j, _| {
                let col = b.mul_int(j, ldx);
                let pi = b.gep(ft, x, &[b.add_int(i, col)]);
                let pr = b.gep(ft, x, &[b.add_int(r, col)]);
                let (vi, vr) = (b.load(ft, pi), b.load(ft, pr));
                b.store(vr, pi);
                b.store(vi, pr);
                Vec::new()
            });
            Vec::new()
        });
        b.ret_void();
        f
    }

    /// A heap copy of a matrix operand and its leading dimension.
    pub(super) fn copy_of(&self, m: Mat, (rows, cols): (Value, Value)) -> Mat {
        let ext = Extent::Matrix(rows, cols);
        let arr = Array {
            ptr: m.0,
            stride: m.1,
            matrix: true,
        };
        (self.pack(&arr, ext), self.packed_stride(m.1, ext))
    }

    /// Reverse of `getrf`: the factors' adjoint held in `da` (L_bar strictly
    /// below the diagonal, U_bar on and above it) becomes A's. A helper
    /// function that returns at once when that adjoint is 0 (the factors
    /// of `gesv` are often not used after it): O(n^2) instead of O(n^3).
    fn getrf_adjoint(&self, n: Value, f: Mat, ipiv: Value, da: Mat) {
        let name = format!(
            "ferment.lapack.getrf_adjoint.{}.i{}",
            self.prec.letter(),
            self.int.int_width()
        );
        let h = match self.module.function(&name) {
            Some(h) => h,
            None => {
                let ctx = self.module.context();
                let (int, ptr) = (self.int, self.ptr());
                let h = self.module.add_function(
                    &name,
                    Type::function(Type::void(ctx), &[int, ptr, int, ptr, ptr, int], false),
                );
                h.set_internal();
                let p = h.params();
                let b = Builder::new(self.module);
                let entry = h.append_block("entry");
                let body = h.append_block("adjoint");
                let done = h.append_block("done");
                b.at_end(entry);
                let e = Emit {
                    b: &b,
                    module: self.module,
                    prec: self.prec,
                    int: self.int,
                    cache: self.cache,
                };
                let (n, f, ipiv, da) = (p[0], (p[1], p[2]), p[3], (p[4], p[5]));
                let count = e.nonzero((n, n), da);
                let zero = b.fcmp(ferment_ir::RealPredicate::LLVMRealOEQ, count, e.real(0.0));
                b.cond_br(zero, done, body);
                b.at_end(body);
                e.getrf_adjoint_body(n, f, ipiv, da);
                b.br(done);
                b.at_end(done);
                b.ret_void();
                h
            }
        };
        self.b.call_fn(h, &[n, f.0, f.1, ipiv, da.0, da.1]);
    }

    fn getrf_adjoint_body(&self, n: Value, f: Mat, ipiv: Value, da: Mat) {
        let one = self.real(1.0);
        // tril_(L^T L_bar) + triu(U_bar U^T)
        let g = self.tri_pack(L_STRICT, n, da);
        self.trmm(false, false, (true, true, true), (n, n), one, f, g);
        let h = self.tri_pack(U_TRI, n, da);
        self.trmm(false, true, (false, true, false), (n, n), one, f, h);
        self.scale(self.real(0.0), da, Extent::Matrix(n, n));
        self.tri_add(L_STRICT, n, one, g, da);
        self.tri_add(U_TRI, n, one, h, da);
        self.free(g.0);
        self.free(h.0);
        // P L^-T (...) U^-T
        self.trmm(true, false, (true, true, true), (n, n), one, f, da);
        self.trmm(true, true, (false, true, false), (n, n), one, f, da);
        self.laswp(false, n, n, da, ipiv);
    }

    /// Tangent of `getrf`, after the call: A' in `da` becomes the factors'
    /// tangent (L' strictly below the diagonal, U' on and above it).
    fn getrf_tangent(&self, n: Value, f: Mat, ipiv: Value, da: Mat) {
        let one = self.real(1.0);
        // X = L^-1 P^T A' U^-1
        let x = self.copy_of(da, (n, n));
        self.laswp(true, n, n, x, ipiv);
        self.trmm(true, false, (true, false, true), (n, n), one, f, x);
        self.trmm(true, true, (false, false, false), (n, n), one, f, x);
        // L tril_(X) and triu(X) U
        let l = self.tri_pack(L_STRICT, n, x);
        self.trmm(false, false, (true, false, true), (n, n), one, f, l);
        let u = self.tri_pack(U_TRI, n, x);
        self.trmm(false, true, (false, false, false), (n, n), one, f, u);
        self.scale(self.real(0.0), da, Extent::Matrix(n, n));
        self.tri_add(L_STRICT, n, one, l, da);
        self.tri_add(U_TRI, n, one, u, da);
        for p in [x, l, u] {
            self.free(p.0);
        }
    }

    /// The factors' adjoint `df` += that of A_bar = -G H^T (n x r each).
    fn lu_factor_adjoint(
        &self,
        (n, r): (Value, Value),
        f: Mat,
        ipiv: Value,
        gh: (Mat, Mat),
        df: Mat,
    ) {
        let (one, minus, zero) = (self.real(1.0), self.real(-1.0), self.real(0.0));
        let (g, h) = gh;
        // L_bar -= tril_((P^T G) (U H)^T)
        let pg = self.copy_of(g, (n, r));
        self.laswp(true, n, r, pg, ipiv);
        let uh = self.copy_of(h, (n, r));
        self.trmm(false, false, (false, false, false), (n, r), one, f, uh);
        let t = self.scratch(n, n);
        self.gemm(false, true, (n, n, r), minus, pg, uh, zero, t);
        self.tri_add(L_STRICT, n, one, t, df);
        // U_bar -= triu((L^T P^T G) H^T)
        self.trmm(false, false, (true, true, true), (n, r), one, f, pg);
        self.gemm(false, true, (n, n, r), minus, pg, h, zero, t);
        self.tri_add(U_TRI, n, one, t, df);
        for p in [pg, uh, t] {
            self.free(p.0);
        }
    }

    /// `db` -= op(A') X for A = P L U, given the factors' tangent `df`.
    fn lu_product_tangent(
        &self,
        t: bool,
        (n, r): (Value, Value),
        (f, ipiv): (Mat, Value),
        df: Mat,
        x: Mat,
        db: Mat,
    ) {
        let (one, minus, zero) = (self.real(1.0), self.real(-1.0), self.real(0.0));
        let dl = self.tri_pack(L_STRICT, n, df);
        let du = self.tri_pack(U_TRI, n, df);
        let z = self.temp(n, r);
        if !t {
            // A' X = P (L' (U X) + L (U' X))
            let y = self.copy_of(x, (n, r));
            self.trmm(false, false, (false, false, false), (n, r), one, f, y);
            self.gemm(false, false, (n, r, n), one, dl, y, zero, z);
            self.gemm(false, false, (n, r, n), one, du, x, zero, y);
            self.trmm(false, false, (true, false, true), (n, r), one, f, y);
            axpy_matrix(self, (n, r), one, y, z);
            self.laswp(false, n, r, z, ipiv);
            self.free(y.0);
        } else {
            // A'^T X = (U'^T L^T + U^T L'^T) P^T X
            let y = self.copy_of(x, (n, r));
            self.laswp(true, n, r, y, ipiv);
            self.gemm(true, false, (n, r, n), one, dl, y, zero, z);
            self.trmm(false, false, (false, true, false), (n, r), one, f, z);
            self.trmm(false, false, (true, true, true), (n, r), one, f, y);
            self.gemm(true, false, (n, r, n), one, du, y, one, z);
            self.free(y.0);
        }
        axpy_matrix(self, (n, r), minus, z, db);
        for p in [dl, du, z] {
            self.free(p.0);
        }
    }
}

/// Reverse mode of `getrf`, `getrs`, `gesv` (column-major operands).
pub(super) fn lu_adjoint(e: &Emit, op: &Op, d: &Derivs) {
    let arr = |i: usize| (op.arrays[i].ptr, op.arrays[i].stride);
    let after = |i: usize| {
        d.after
            .get(i)
            .copied()
            .flatten()
            .expect("value of an output after the call")
    };
    let ipiv = op.pivots.expect("pivots of an LU routine");
    let n = op.dims[0];
    match op.kind {
        Kind::Getrf => {
            let Some(da) = d.shadows[0] else { return };
            e.require_square(op.dims[0], op.dims[1]);
            e.getrf_adjoint(n, after(0), ipiv, da);
        }
        Kind::Getrs => {
            // X = op(A)^-1 B: B_bar = op(A)^-T X_bar; A_bar = -B_bar X^T
            // (op = N) or -X B_bar^T (op = T)
            let Some(db) = d.shadows[1] else { return };
            let r = op.dims[1];
            let t = op.trans[0];
            let f = arr(0);
            e.lu_solve(!t, (n, r), f, ipiv, db);
            if let Some(df) = d.shadows[0] {
                let x = after(1);
                let gh = if t { (x, db) } else { (db, x) };
                e.lu_factor_adjoint((n, r), f, ipiv, gh, df);
            }
        }
        Kind::Gesv => {
            let r = op.dims[1];
            let f = after(0);
            if let Some(db) = d.shadows[1] {
                e.lu_solve(true, (n, r), f, ipiv, db);
            }
            if let Some(da) = d.shadows[0] {
                e.getrf_adjoint(n, f, ipiv, da);
                if let Some(db) = d.shadows[1] {
                    // A_bar -= B_bar X^T
                    let (one, minus) = (e.real(1.0), e.real(-1.0));
                    e.gemm(false, true, (n, n, r), minus, db, after(1), one, da);
                }
            }
        }
        _ => unreachable!("not an LU routine"),
    }
}

/// Forward mode of `getrf`, `getrs`, `gesv`, after the call (column-major
/// operands).
pub(super) fn lu_tangent(e: &Emit, op: &Op, d: &Derivs) {
    let arr = |i: usize| (op.arrays[i].ptr, op.arrays[i].stride);
    let ipiv = op.pivots.expect("pivots of an LU routine");
    let n = op.dims[0];
    match op.kind {
        Kind::Getrf => {
            let Some(da) = d.shadows[0] else { return };
            e.require_square(op.dims[0], op.dims[1]);
            e.getrf_tangent(n, arr(0), ipiv, da);
        }
        Kind::Getrs => {
            // X' = op(A)^-1 (B' - op(A') X)
            let Some(db) = d.shadows[1] else { return };
            let r = op.dims[1];
            let t = op.trans[0];
            if let Some(df) = d.shadows[0] {
                e.lu_product_tangent(t, (n, r), (arr(0), ipiv), df, arr(1), db);
            }
            e.lu_solve(t, (n, r), arr(0), ipiv, db);
        }
        Kind::Gesv => {
            // X' = A^-1 (B' - A' X), then the factors' tangent
            let r = op.dims[1];
            if let Some(db) = d.shadows[1] {
                if let Some(da) = d.shadows[0] {
                    let (one, minus) = (e.real(1.0), e.real(-1.0));
                    e.gemm(false, false, (n, r, n), minus, da, arr(1), one, db);
                }
                e.lu_solve(false, (n, r), arr(0), ipiv, db);
            }
            if let Some(da) = d.shadows[0] {
                e.getrf_tangent(n, arr(0), ipiv, da);
            }
        }
        _ => unreachable!("not an LU routine"),
    }
}

/// Runs a column-major rule on a row-major LAPACK call: the matrices the
/// rule may read (`used`: by index) and every shadow are transposed into
/// heap copies, and the shadows copied back afterwards.
pub(super) fn on_transposes(
    e: &Emit,
    op: &Op,
    d: &Derivs,
    used: &dyn Fn(usize) -> bool,
    rule: &dyn Fn(&Emit, &Op, &Derivs),
) {
    let mut cop = op.clone();
    cop.row_major = false;
    let mut cd = d.clone();
    let mut temps: Vec<Value> = Vec::new();
    let mut back: Vec<(Mat, Mat, (Value, Value))> = Vec::new();
    for i in 0..op.arrays.len() {
        let Extent::Matrix(rows, cols) = op.logical_extent(i) else {
            continue;
        };
        if used(i) {
            let t = e.transposed((op.arrays[i].ptr, op.arrays[i].stride), rows, cols);
            temps.push(t.0);
            cop.arrays[i].ptr = t.0;
            cop.arrays[i].stride = t.1;
        }
        if let Some(Some(a)) = d.after.get(i) {
            let t = e.transposed(*a, rows, cols);
            temps.push(t.0);
            cd.after[i] = Some(t);
        }
        if let Some(s) = d.shadows[i] {
            let t = e.transposed(s, rows, cols);
            temps.push(t.0);
            cd.shadows[i] = Some(t);
            back.push((t, s, (cols, rows)));
        }
    }
    rule(e, &cop, &cd);
    for (t, s, shape) in back {
        e.transpose_into(t, shape, s);
    }
    for p in temps {
        e.free(p);
    }
}

/// A failed factorization (`potrf`, `getrf`, `gesv` with a non-zero
/// status) has no derivative: the derivative memory the rule wrote becomes
/// NaN (scaled by NaN, or by 1 when the call succeeded).
pub(super) fn nan_on_failure(e: &Emit, op: &Op, d: &Derivs) {
    let Some(info) = op.info else { return };
    let failed = e.b.icmp(IntPredicate::LLVMIntNE, info, e.b.zero(info.ty()));
    let s = e.b.select(failed, e.real(f64::NAN), e.real(1.0));
    let n = op.dims[0];
    match op.kind {
        Kind::Potrf => {
            if let Some(da) = d.shadows[0] {
                e.tri_scale(op.lower, n, s, da);
            }
        }
        Kind::Syev => {
            if let Some(da) = d.shadows[0] {
                e.scale(s, da, Extent::Matrix(n, n));
            }
            if let Some(dw) = d.shadows[1] {
                e.scale(s, dw, Extent::Vector(n));
            }
        }
        Kind::Getrf | Kind::Gesv => {
            if let Some(da) = d.shadows[0] {
                e.scale(s, da, Extent::Matrix(n, n));
            }
            if op.kind == Kind::Gesv {
                if let Some(db) = d.shadows[1] {
                    e.scale(s, db, Extent::Matrix(n, op.dims[1]));
                }
            }
        }
        _ => {}
    }
}
