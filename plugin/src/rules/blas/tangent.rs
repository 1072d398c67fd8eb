//! Forward-mode rules: the tangent of each routine as BLAS calls.

use super::emit::{axpy_matrix, Emit};
use super::{count, eig, lu, Derivs, Extent, Kind, Op};
use ferment_ir::{RealPredicate, Value};

/// Forward mode: updates the tangents of the arrays the call writes, in two
/// parts: emitted right before the primal call (`after == false`, its
/// inputs still in place) and right after it (solves need their result).
/// `d.shadows` are the tangent memories, `d.scalar_tangents` the scalars'
/// tangents.
pub fn tangent(e: &Emit, op: &Op, d: &Derivs, after: bool) {
    // after the call only (eigenvalues only: before it, while A is there)
    let lapack = matches!(
        op.kind,
        Kind::Potrf | Kind::Potrs | Kind::Getrf | Kind::Getrs | Kind::Gesv
    ) || op.kind == Kind::Syev && op.vectors;
    let after_phase = lapack || matches!(op.kind, Kind::Trsv | Kind::Trsm);
    if after && op.kind == Kind::Syev && !op.vectors {
        // eigenvalues only: tangents made before the call, NaN if it failed
        lu::nan_on_failure(e, op, d);
        return;
    }
    if after && !after_phase || !after && lapack {
        return;
    }
    if op.row_major {
        lu::on_transposes(e, op, d, &|_| true, &|e, op, d| tangent(e, op, d, after));
        return;
    }
    let arr = |i: usize| (op.arrays[i].ptr, op.arrays[i].stride);
    let sh = |i: usize| d.shadows[i];
    let st = |i: usize| d.scalar_tangents.get(i).copied().flatten();
    let alpha = || op.scalars[0].value;
    let one = e.real(1.0);
    let dims = &op.dims;
    match op.kind {
        Kind::Gemm => {
            let Some(dc) = sh(2) else { return };
            let (m, n, k) = (dims[0], dims[1], dims[2]);
            let [ta, tb] = op.trans;
            let beta = op.scalars[1].value;
            // dC = beta dC + alpha (dA B + A dB) + dalpha A B + dbeta C
            let mut scaled = false;
            if let Some(da) = sh(0) {
                e.gemm(ta, tb, (m, n, k), alpha(), da, arr(1), beta, dc);
                scaled = true;
            }
            if let Some(db) = sh(1) {
                let bb = if scaled { one } else { beta };
                e.gemm(ta, tb, (m, n, k), alpha(), arr(0), db, bb, dc);
                scaled = true;
            }
            if !scaled {
                e.scale(beta, dc, Extent::Matrix(m, n));
            }
            if let Some(dal) = st(0) {
                e.gemm(ta, tb, (m, n, k), dal, arr(0), arr(1), one, dc);
            }
            if let Some(dbe) = st(1) {
                axpy_matrix(e, (m, n), dbe, arr(2), dc);
            }
        }
        Kind::Gemv => {
            let Some(dy) = sh(2) else { return };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let beta = op.scalars[1].value;
            let ly = if t { n } else { m };
            let mut scaled = false;
            if let Some(da) = sh(0) {
                e.gemv(t, (m, n), alpha(), da, arr(1), beta, dy);
                scaled = true;
            }
            if let Some(dx) = sh(1) {
                let bb = if scaled { one } else { beta };
                e.gemv(t, (m, n), alpha(), arr(0), dx, bb, dy);
                scaled = true;
            }
            if !scaled {
                e.scale(beta, dy, Extent::Vector(ly));
            }
            if let Some(dal) = st(0) {
                e.gemv(t, (m, n), dal, arr(0), arr(1), one, dy);
            }
            if let Some(dbe) = st(1) {
                e.axpy(ly, dbe, arr(2), dy);
            }
        }
        Kind::Ger => {
            let Some(da) = sh(2) else { return };
            let (m, n) = (dims[0], dims[1]);
            if let Some(dx) = sh(0) {
                e.ger((m, n), alpha(), dx, arr(1), da);
            }
            if let Some(dy) = sh(1) {
                e.ger((m, n), alpha(), arr(0), dy, da);
            }
            if let Some(dal) = st(0) {
                e.ger((m, n), dal, arr(0), arr(1), da);
            }
        }
        Kind::Axpy => {
            let Some(dy) = sh(1) else { return };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.axpy(n, alpha(), dx, dy);
            }
            if let Some(dal) = st(0) {
                e.axpy(n, dal, arr(0), dy);
            }
        }
        Kind::Scal => {
            let Some(dx) = sh(0) else { return };
            let n = count(e, op, dx.1);
            e.scale(alpha(), dx, Extent::Vector(n));
            if let Some(dal) = st(0) {
                e.axpy(n, dal, arr(0), dx);
            }
        }
        Kind::Copy => {
            let Some(dy) = sh(1) else { return };
            let n = dims[0];
            match sh(0) {
                Some(dx) => e.copy(n, dx, dy),
                None => e.scale(e.real(0.0), dy, Extent::Vector(n)),
            }
        }
        Kind::Symv => {
            // y' = beta y' + alpha (S x' + S' x) + alpha' S x + beta' y
            let Some(dy) = sh(2) else { return };
            let n = dims[0];
            let beta = op.scalars[1].value;
            let mut scaled = false;
            if let Some(dx) = sh(1) {
                e.symv(op.lower, n, alpha(), arr(0), dx, beta, dy);
                scaled = true;
            }
            if let Some(da) = sh(0) {
                let bb = if scaled { one } else { beta };
                e.symv(op.lower, n, alpha(), da, arr(1), bb, dy);
                scaled = true;
            }
            if !scaled {
                e.scale(beta, dy, Extent::Vector(n));
            }
            if let Some(dal) = st(0) {
                e.symv(op.lower, n, dal, arr(0), arr(1), one, dy);
            }
            if let Some(dbe) = st(1) {
                e.axpy(n, dbe, arr(2), dy);
            }
        }
        Kind::Symm => {
            let Some(dc) = sh(2) else { return };
            let (m, n) = (dims[0], dims[1]);
            let flags = (op.right, op.lower);
            let beta = op.scalars[1].value;
            let mut scaled = false;
            if let Some(db) = sh(1) {
                e.symm(flags, (m, n), alpha(), arr(0), db, beta, dc);
                scaled = true;
            }
            if let Some(da) = sh(0) {
                let bb = if scaled { one } else { beta };
                e.symm(flags, (m, n), alpha(), da, arr(1), bb, dc);
                scaled = true;
            }
            if !scaled {
                e.scale(beta, dc, Extent::Matrix(m, n));
            }
            if let Some(dal) = st(0) {
                e.symm(flags, (m, n), dal, arr(0), arr(1), one, dc);
            }
            if let Some(dbe) = st(1) {
                axpy_matrix(e, (m, n), dbe, arr(2), dc);
            }
        }
        Kind::Syrk => {
            // C' = beta C' + alpha (op(A') op(A)^T + op(A) op(A')^T) + alpha' op(A) op(A)^T
            //      + beta' C, on the triangle
            let Some(dc) = sh(1) else { return };
            let (n, k) = (dims[0], dims[1]);
            let flags = (op.lower, op.trans[0]);
            let beta = op.scalars[1].value;
            match sh(0) {
                Some(da) => e.syrk(flags, (n, k), alpha(), da, Some(arr(0)), beta, dc),
                None => e.tri_scale(op.lower, n, beta, dc),
            }
            if let Some(dal) = st(0) {
                e.syrk(flags, (n, k), dal, arr(0), None, one, dc);
            }
            if let Some(dbe) = st(1) {
                e.tri_add((op.lower, false), n, dbe, arr(1), dc);
            }
        }
        Kind::Potrf => {
            // after the call: L' = L Phi(L^-1 A' L^-T) (upper: U' = Phi(U^-T A' U^-1) U)
            let Some(da) = sh(0) else { return };
            let n = dims[0];
            e.potrf_tangent(op.lower, n, arr(0), da);
        }
        Kind::Potrs => {
            // after the call: X' = C^-1 (B' - C' X), C' = L' L^T + L L'^T
            // (upper: U'^T U + U^T U')
            let Some(db) = sh(1) else { return };
            let (n, r) = (dims[0], dims[1]);
            let lower = op.lower;
            if let Some(df) = sh(0) {
                let f = arr(0);
                let x = arr(1);
                let minus = e.real(-1.0);
                let zero = e.real(0.0);
                let p = e.tri_pack((lower, false), n, df);
                let y = e.pack(&op.arrays[1], Extent::Matrix(n, r));
                let y = (
                    y,
                    e.packed_stride(op.arrays[1].stride, Extent::Matrix(n, r)),
                );
                // lower: B' -= L' (L^T X); upper: B' -= U'^T (U X)
                e.trmm(false, false, (lower, lower, false), (n, r), one, f, y);
                e.gemm(!lower, false, (n, r, n), minus, p, y, one, db);
                // lower: B' -= L (L'^T X); upper: B' -= U^T (U' X)
                e.gemm(lower, false, (n, r, n), one, p, x, zero, y);
                e.trmm(false, false, (lower, !lower, false), (n, r), one, f, y);
                axpy_matrix(e, (n, r), minus, y, db);
                e.free(p.0);
                e.free(y.0);
            }
            e.chol_solve(lower, (n, r), arr(0), db);
        }
        Kind::Trmv => {
            // x' = op(T) x' + op(T') x
            let Some(dx) = sh(1) else { return };
            let n = dims[0];
            let t = op.trans[0];
            e.trmv(false, (op.lower, t, op.unit), n, arr(0), dx);
            if let Some(da) = sh(0) {
                let p = e.tri_pack((op.lower, op.unit), n, da);
                e.gemv(t, (n, n), one, p, arr(1), one, dx);
                e.free(p.0);
            }
        }
        Kind::Trsv => {
            // after the call: x' = op(T)^-1 (x_in' - op(T') x_out)
            let Some(dx) = sh(1).filter(|_| after) else {
                return;
            };
            let n = dims[0];
            let t = op.trans[0];
            if let Some(da) = sh(0) {
                let p = e.tri_pack((op.lower, op.unit), n, da);
                e.gemv(t, (n, n), e.real(-1.0), p, arr(1), one, dx);
                e.free(p.0);
            }
            e.trmv(true, (op.lower, t, op.unit), n, arr(0), dx);
        }
        Kind::Trmm => {
            // B' = alpha op(T) B' + alpha op(T') B + alpha' op(T) B
            let Some(db) = sh(1) else { return };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let flags = (op.lower, t, op.unit);
            let k = if op.right { n } else { m };
            let dal_term = st(0).map(|dal| {
                let q = e.pack(&op.arrays[1], Extent::Matrix(m, n));
                let q = (
                    q,
                    e.packed_stride(op.arrays[1].stride, Extent::Matrix(m, n)),
                );
                e.trmm(false, op.right, flags, (m, n), dal, arr(0), q);
                q
            });
            e.trmm(false, op.right, flags, (m, n), alpha(), arr(0), db);
            if let Some(da) = sh(0) {
                let p = e.tri_pack((op.lower, op.unit), k, da);
                if op.right {
                    e.gemm(false, t, (m, n, n), alpha(), arr(1), p, one, db);
                } else {
                    e.gemm(t, false, (m, n, m), alpha(), p, arr(1), one, db);
                }
                e.free(p.0);
            }
            if let Some(q) = dal_term {
                axpy_matrix(e, (m, n), one, q, db);
                e.free(q.0);
            }
        }
        Kind::Trsm => {
            // op(T) B_out' = alpha B_in' + alpha' B_in - op(T') B_out (left)
            let Some(db) = sh(1) else { return };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let k = if op.right { n } else { m };
            if !after {
                e.scale(alpha(), db, Extent::Matrix(m, n));
                if let Some(dal) = st(0) {
                    axpy_matrix(e, (m, n), dal, arr(1), db);
                }
                return;
            }
            if let Some(da) = sh(0) {
                let p = e.tri_pack((op.lower, op.unit), k, da);
                let minus = e.real(-1.0);
                if op.right {
                    e.gemm(false, t, (m, n, n), minus, arr(1), p, one, db);
                } else {
                    e.gemm(t, false, (m, n, m), minus, p, arr(1), one, db);
                }
                e.free(p.0);
            }
            e.trmm(
                true,
                op.right,
                (op.lower, t, op.unit),
                (m, n),
                one,
                arr(0),
                db,
            );
        }
        Kind::Getrf | Kind::Getrs | Kind::Gesv => lu::lu_tangent(e, op, d),
        Kind::Syev => eig::eig_tangent(e, op, d),
        Kind::Syr => {
            // A' += alpha (x' x^T + x x'^T) + alpha' x x^T, on the triangle
            let Some(da) = sh(1) else { return };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.syr(op.lower, n, alpha(), dx, Some(arr(0)), da);
            }
            if let Some(dal) = st(0) {
                e.syr(op.lower, n, dal, arr(0), None, da);
            }
        }
        Kind::Syr2 => {
            let Some(da) = sh(2) else { return };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.syr(op.lower, n, alpha(), dx, Some(arr(1)), da);
            }
            if let Some(dy) = sh(1) {
                e.syr(op.lower, n, alpha(), arr(0), Some(dy), da);
            }
            if let Some(dal) = st(0) {
                e.syr(op.lower, n, dal, arr(0), Some(arr(1)), da);
            }
        }
        Kind::Syr2k => {
            // C' = beta C' + alpha syr2k(A', B) + alpha syr2k(A, B')
            //      + alpha' syr2k(A, B) + beta' C, on the triangle
            let Some(dc) = sh(2) else { return };
            let (n, k) = (dims[0], dims[1]);
            let flags = (op.lower, op.trans[0]);
            let beta = op.scalars[1].value;
            let mut scaled = false;
            if let Some(da) = sh(0) {
                e.syrk(flags, (n, k), alpha(), da, Some(arr(1)), beta, dc);
                scaled = true;
            }
            if let Some(db) = sh(1) {
                let bb = if scaled { one } else { beta };
                e.syrk(flags, (n, k), alpha(), arr(0), Some(db), bb, dc);
                scaled = true;
            }
            if !scaled {
                e.tri_scale(op.lower, n, beta, dc);
            }
            if let Some(dal) = st(0) {
                e.syrk(flags, (n, k), dal, arr(0), Some(arr(1)), one, dc);
            }
            if let Some(dbe) = st(1) {
                e.tri_add((op.lower, false), n, dbe, arr(2), dc);
            }
        }
        Kind::Dot | Kind::Nrm2 | Kind::Asum => {}
    }
    lu::nan_on_failure(e, op, d);
}

/// Forward mode: the tangent of a returned value (`dot`, `nrm2`, `asum`),
/// emitted after the call (`result` is its value); `None` when no operand
/// has a tangent.
pub fn result_tangent(e: &Emit, op: &Op, d: &Derivs, result: Value) -> Option<Value> {
    let arr = |i: usize| (op.arrays[i].ptr, op.arrays[i].stride);
    let sh = |i: usize| d.shadows[i];
    let n = op.dims[0];
    let b = e.b;
    match op.kind {
        Kind::Dot => {
            let l = sh(0).map(|dx| e.dot(n, dx, arr(1)));
            let r = sh(1).map(|dy| e.dot(n, arr(0), dy));
            match (l, r) {
                (Some(l), Some(r)) => Some(b.fadd(l, r)),
                (l, r) => l.or(r),
            }
        }
        Kind::Nrm2 => {
            let dx = sh(0)?;
            let zero = e.real(0.0);
            let is0 = b.fcmp(RealPredicate::LLVMRealOEQ, result, zero);
            let q = b.fdiv(e.dot(n, arr(0), dx), result);
            Some(b.select(is0, zero, q))
        }
        Kind::Asum => {
            let dx = sh(0)?;
            Some(e.sign_dot(count(e, op, dx.1), arr(0), dx))
        }
        _ => None,
    }
}
