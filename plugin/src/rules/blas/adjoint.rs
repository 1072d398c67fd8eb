//! Reverse-mode rules: the adjoint of each routine as BLAS calls.

use super::emit::Emit;
use super::{count, eig, lu, Array, Derivs, Extent, Kind, Op};
use ferment_ir::{RealPredicate, Value};

/// Reverse mode: accumulates the adjoints of the call's inputs into their
/// shadows (and the output's adjoint becomes that of its old value).
/// `op`'s values are those at the emission point, with the arrays named
/// by [`Op::needed`] pointing at their values at the time of the call;
/// `result` is the primal result (read by `nrm2`). Returns the adjoints of
/// the scalars (by position).
pub fn adjoint(e: &Emit, op: &Op, d: &Derivs, result: Option<Value>) -> Vec<Option<Value>> {
    if op.row_major {
        // the arrays the rule reads as they were at the call
        let shadowed: Vec<bool> = d.shadows.iter().map(Option::is_some).collect();
        let needed = op.needed(&shadowed, &d.scalars, d.result.is_some());
        let used = |i: usize| needed.iter().any(|n| n.array == i && !n.after);
        lu::on_transposes(e, op, d, &used, &|e, op, d| {
            adjoint(e, op, d, result);
        });
        return vec![None; op.scalars.len()];
    }
    let arr = |i: usize| (op.arrays[i].ptr, op.arrays[i].stride);
    let sh = |i: usize| d.shadows[i];
    // the generator provides what `Op::needed` asks for
    let after = |i: usize| {
        d.after
            .get(i)
            .copied()
            .flatten()
            .expect("value of an output after the call")
    };
    let alpha = || op.scalars[0].value;
    let want = |i: usize| d.scalars.get(i).copied().unwrap_or(false);
    let mut out = vec![None; op.scalars.len()];
    let one = e.real(1.0);
    let dims = &op.dims;
    match op.kind {
        Kind::Gemm => {
            let Some(dc) = sh(2) else { return out };
            let (m, n, k) = (dims[0], dims[1], dims[2]);
            let [ta, tb] = op.trans;
            // where only the row sums of an operand's adjoint matter (see
            // `Derivs::col_sums`), they take two matrix-vector products
            // instead of a matrix product: added to column 0
            let col_sums = |i: usize| d.col_sums.get(i).copied().unwrap_or(false);
            let unit = e.int_c(1);
            let zero = e.real(0.0);
            let ad = if !ta { (m, k) } else { (k, m) };
            let bd = if !tb { (k, n) } else { (n, k) };
            if let Some(da) = sh(0) {
                if col_sums(0) {
                    let col0 = (da.0, unit);
                    if !ta {
                        // sum_c dA = alpha dC (op(B)^T 1)
                        let o = ones(e, k);
                        let (w, _) = e.scratch(n, unit);
                        e.gemv(!tb, bd, one, arr(1), (o, unit), zero, (w, unit));
                        e.gemv(false, (m, n), alpha(), dc, (w, unit), one, col0);
                        e.free(w);
                        e.free(o);
                    } else {
                        // sum_c dA = alpha op(B) (dC^T 1)
                        let o = ones(e, m);
                        let (v, _) = e.scratch(n, unit);
                        e.gemv(true, (m, n), one, dc, (o, unit), zero, (v, unit));
                        e.gemv(tb, bd, alpha(), arr(1), (v, unit), one, col0);
                        e.free(v);
                        e.free(o);
                    }
                } else if !ta {
                    e.gemm(false, !tb, (m, k, n), alpha(), dc, arr(1), one, da);
                } else {
                    e.gemm(tb, true, (k, m, n), alpha(), arr(1), dc, one, da);
                }
            }
            if let Some(db) = sh(1) {
                if col_sums(1) {
                    let col0 = (db.0, unit);
                    if !tb {
                        // sum_c dB = alpha op(A)^T (dC 1)
                        let o = ones(e, n);
                        let (v, _) = e.scratch(m, unit);
                        e.gemv(false, (m, n), one, dc, (o, unit), zero, (v, unit));
                        e.gemv(!ta, ad, alpha(), arr(0), (v, unit), one, col0);
                        e.free(v);
                        e.free(o);
                    } else {
                        // sum_c dB = alpha dC^T (op(A) 1)
                        let o = ones(e, k);
                        let (w, _) = e.scratch(m, unit);
                        e.gemv(ta, ad, one, arr(0), (o, unit), zero, (w, unit));
                        e.gemv(true, (m, n), alpha(), dc, (w, unit), one, col0);
                        e.free(w);
                        e.free(o);
                    }
                } else if !tb {
                    e.gemm(!ta, false, (k, n, m), alpha(), arr(0), dc, one, db);
                } else {
                    e.gemm(true, ta, (n, k, m), alpha(), dc, arr(0), one, db);
                }
            }
            if want(0) {
                let p = e.calloc(m, n);
                let ld = e.packed_stride(op.arrays[2].stride, Extent::Matrix(m, n));
                e.gemm(ta, tb, (m, n, k), one, arr(0), arr(1), e.real(0.0), (p, ld));
                out[0] = Some(e.dot_matrix((m, n), dc, (p, ld)));
                e.free(p);
            }
            if want(1) {
                out[1] = Some(e.dot_matrix((m, n), dc, arr(2)));
            }
            e.scale(op.scalars[1].value, dc, Extent::Matrix(m, n));
        }
        Kind::Gemv => {
            let Some(dy) = sh(2) else { return out };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let ly = if t { n } else { m };
            if let Some(da) = sh(0) {
                if !t {
                    e.ger((m, n), alpha(), dy, arr(1), da);
                } else {
                    e.ger((m, n), alpha(), arr(1), dy, da);
                }
            }
            if let Some(dx) = sh(1) {
                e.gemv(!t, (m, n), alpha(), arr(0), dy, one, dx);
            }
            if want(0) {
                let p = e.calloc(e.int_c(1), ly);
                let unit = e.int_c(1);
                e.gemv(t, (m, n), one, arr(0), arr(1), e.real(0.0), (p, unit));
                out[0] = Some(e.dot(ly, dy, (p, unit)));
                e.free(p);
            }
            if want(1) {
                out[1] = Some(e.dot(ly, dy, arr(2)));
            }
            e.scale(op.scalars[1].value, dy, Extent::Vector(ly));
        }
        Kind::Ger => {
            let Some(da) = sh(2) else { return out };
            let (m, n) = (dims[0], dims[1]);
            if let Some(dx) = sh(0) {
                e.gemv(false, (m, n), alpha(), da, arr(1), one, dx);
            }
            if let Some(dy) = sh(1) {
                e.gemv(true, (m, n), alpha(), da, arr(0), one, dy);
            }
            if want(0) {
                let p = e.calloc(e.int_c(1), m);
                let unit = e.int_c(1);
                e.gemv(false, (m, n), one, da, arr(1), e.real(0.0), (p, unit));
                out[0] = Some(e.dot(m, arr(0), (p, unit)));
                e.free(p);
            }
        }
        Kind::Dot => {
            let Some(dr) = d.result else { return out };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.axpy(n, dr, arr(1), dx);
            }
            if let Some(dy) = sh(1) {
                e.axpy(n, dr, arr(0), dy);
            }
        }
        Kind::Axpy => {
            let Some(dy) = sh(1) else { return out };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.axpy(n, alpha(), dy, dx);
            }
            if want(0) {
                out[0] = Some(e.dot(n, arr(0), dy));
            }
        }
        Kind::Scal => {
            let Some(dx) = sh(0) else { return out };
            let n = count(e, op, dx.1);
            if want(0) {
                out[0] = Some(e.dot(n, arr(0), dx));
            }
            e.scale(alpha(), dx, Extent::Vector(n));
        }
        Kind::Copy => {
            let Some(dy) = sh(1) else { return out };
            let n = dims[0];
            if let Some(dx) = sh(0) {
                e.axpy(n, one, dy, dx);
            }
            e.scale(e.real(0.0), dy, Extent::Vector(n));
        }
        Kind::Nrm2 => {
            let (Some(dr), Some(dx), Some(r)) = (d.result, sh(0), result) else {
                return out;
            };
            // d|x| = x / |x| (0 at x = 0)
            let b = e.b;
            let zero = e.real(0.0);
            let is0 = b.fcmp(RealPredicate::LLVMRealOEQ, r, zero);
            let c = b.select(is0, zero, b.fdiv(dr, r));
            e.axpy(dims[0], c, arr(0), dx);
        }
        Kind::Symv => {
            let Some(dy) = sh(2) else { return out };
            let n = dims[0];
            let lower = op.lower;
            if let Some(da) = sh(0) {
                // dS = alpha y' x^T, folded onto the stored triangle
                let g = e.temp(n, n);
                e.ger((n, n), alpha(), dy, arr(1), g);
                e.sym_add(lower, n, one, g, da);
                e.free(g.0);
            }
            if let Some(dx) = sh(1) {
                e.symv(lower, n, alpha(), arr(0), dy, one, dx);
            }
            if want(0) {
                let unit = e.int_c(1);
                let p = e.calloc(unit, n);
                e.symv(lower, n, one, arr(0), arr(1), e.real(0.0), (p, unit));
                out[0] = Some(e.dot(n, dy, (p, unit)));
                e.free(p);
            }
            if want(1) {
                out[1] = Some(e.dot(n, dy, arr(2)));
            }
            e.scale(op.scalars[1].value, dy, Extent::Vector(n));
        }
        Kind::Symm => {
            let Some(dc) = sh(2) else { return out };
            let (m, n) = (dims[0], dims[1]);
            let (right, lower) = (op.right, op.lower);
            let zero = e.real(0.0);
            if let Some(da) = sh(0) {
                // dS = alpha C' B^T (left) or alpha B^T C' (right), folded
                let k = if right { n } else { m };
                let g = e.scratch(k, k);
                if right {
                    e.gemm(true, false, (n, n, m), alpha(), arr(1), dc, zero, g);
                } else {
                    e.gemm(false, true, (m, m, n), alpha(), dc, arr(1), zero, g);
                }
                e.sym_add(lower, k, one, g, da);
                e.free(g.0);
            }
            if let Some(db) = sh(1) {
                e.symm((right, lower), (m, n), alpha(), arr(0), dc, one, db);
            }
            if want(0) {
                let p = e.scratch(m, n);
                e.symm((right, lower), (m, n), one, arr(0), arr(1), zero, p);
                out[0] = Some(e.dot_matrix((m, n), dc, p));
                e.free(p.0);
            }
            if want(1) {
                out[1] = Some(e.dot_matrix((m, n), dc, arr(2)));
            }
            e.scale(op.scalars[1].value, dc, Extent::Matrix(m, n));
        }
        Kind::Syrk => {
            let Some(dc) = sh(1) else { return out };
            let (n, k) = (dims[0], dims[1]);
            let (lower, t) = (op.lower, op.trans[0]);
            let zero = e.real(0.0);
            if let Some(da) = sh(0) {
                // d op(A) = alpha (M + M^T) op(A), M = C' on the triangle
                let sm = e.sym_pack(lower, true, n, dc);
                if t {
                    e.gemm(false, false, (k, n, n), alpha(), arr(0), sm, one, da);
                } else {
                    e.gemm(false, false, (n, k, n), alpha(), sm, arr(0), one, da);
                }
                e.free(sm.0);
            }
            if want(0) {
                let p = e.temp(n, n);
                e.syrk((lower, t), (n, k), one, arr(0), None, zero, p);
                out[0] = Some(e.dot_matrix((n, n), dc, p));
                e.free(p.0);
            }
            if want(1) {
                let p = e.tri_pack((lower, false), n, arr(1));
                out[1] = Some(e.dot_matrix((n, n), dc, p));
                e.free(p.0);
            }
            e.tri_scale(lower, n, op.scalars[1].value, dc);
        }
        Kind::Potrf => {
            // A = L L^T: A' = L^-T Phi(L^T L') L^-1 folded onto the stored
            // triangle, which held L' (upper: U^T U, transposed throughout;
            // the fold does not see the transpose).
            let Some(da) = sh(0) else { return out };
            let n = dims[0];
            let lower = op.lower;
            e.potrf_adjoint(lower, n, after(0), da);
        }
        Kind::Potrs => {
            // X = C^-1 B: B' = C^-1 X'; C' = -B' X^T, so L' -= tril((B' X^T + X B'^T) L)
            // (upper: U' -= triu(U (B' X^T + X B'^T)))
            let Some(db) = sh(1) else { return out };
            let (n, r) = (dims[0], dims[1]);
            let lower = op.lower;
            e.chol_solve(lower, (n, r), arr(0), db);
            if let Some(df) = sh(0) {
                // S is of rank 2r: lower: S L = B' (L^T X)^T + X (L^T B')^T;
                // upper: U S = (U B') X^T + (U X) B'^T (O(n^2 r), not O(n^3))
                let x = after(1);
                let ext = Extent::Matrix(n, r);
                let arr_f = arr(0);
                let copy = |v: (Value, Value)| {
                    let arr = Array {
                        ptr: v.0,
                        stride: v.1,
                        matrix: true,
                    };
                    let p = e.pack(&arr, ext);
                    let p = (p, e.packed_stride(v.1, ext));
                    // lower: L^T v; upper: U v
                    e.trmm(false, false, (lower, lower, false), (n, r), one, arr_f, p);
                    p
                };
                let fx = copy(x);
                let fb = copy(db);
                let g = e.scratch(n, n);
                let zero = e.real(0.0);
                if lower {
                    e.gemm(false, true, (n, n, r), one, db, fx, zero, g);
                    e.gemm(false, true, (n, n, r), one, x, fb, one, g);
                } else {
                    e.gemm(false, true, (n, n, r), one, fb, x, zero, g);
                    e.gemm(false, true, (n, n, r), one, fx, db, one, g);
                }
                e.tri_add((lower, false), n, e.real(-1.0), g, df);
                for p in [g, fx, fb] {
                    e.free(p.0);
                }
            }
        }
        Kind::Trmv | Kind::Trsv => {
            let Some(dx) = sh(1) else { return out };
            let n = dims[0];
            let t = op.trans[0];
            let solve = op.kind == Kind::Trsv;
            let transposed = (op.lower, !t, op.unit);
            if solve {
                // x_in' = op(T)^-T x_out'; then dT = -x_in' x_out^T (transposed for op = T)
                e.trmv(true, transposed, n, arr(0), dx);
            }
            if let Some(da) = sh(0) {
                // trmv: dT = x_out' x_in^T (transposed for op = T)
                let (v, coef) = if solve {
                    (after(1), e.real(-1.0))
                } else {
                    (arr(1), one)
                };
                let g = e.temp(n, n);
                if t {
                    e.ger((n, n), coef, v, dx, g);
                } else {
                    e.ger((n, n), coef, dx, v, g);
                }
                e.tri_add((op.lower, op.unit), n, one, g, da);
                e.free(g.0);
            }
            if !solve {
                e.trmv(false, transposed, n, arr(0), dx);
            }
        }
        Kind::Trmm | Kind::Trsm => {
            let Some(db) = sh(1) else { return out };
            let (m, n) = (dims[0], dims[1]);
            let t = op.trans[0];
            let right = op.right;
            let k = if right { n } else { m };
            let transposed = (op.lower, !t, op.unit);
            let zero = e.real(0.0);
            if op.kind == Kind::Trsm {
                // G = op(T)^-T B' (left) or B' op(T)^-T (right), in place;
                // alpha' = <G, B_in>; dop(T) = -G B_out^T (left) or
                // -B_out^T G (right); B_in' = alpha G.
                e.trmm(true, right, transposed, (m, n), one, arr(0), db);
                if want(0) {
                    out[0] = Some(e.dot_matrix((m, n), db, arr(1)));
                }
                if let Some(da) = sh(0) {
                    let bo = after(1);
                    let g = e.scratch(k, k);
                    let minus = e.real(-1.0);
                    if !right {
                        let (x, y) = if t { (bo, db) } else { (db, bo) };
                        e.gemm(false, true, (k, k, n), minus, x, y, zero, g);
                    } else {
                        let (x, y) = if t { (db, bo) } else { (bo, db) };
                        e.gemm(true, false, (k, k, m), minus, x, y, zero, g);
                    }
                    e.tri_add((op.lower, op.unit), k, one, g, da);
                    e.free(g.0);
                }
                e.scale(alpha(), db, Extent::Matrix(m, n));
            } else {
                // dop(T) = alpha B' B_in^T (left) or alpha B_in^T B' (right);
                // B_in' = alpha op(T)^T B' (or B' op(T)^T); alpha' = <op(T)^T B', B_in>.
                if let Some(da) = sh(0) {
                    let bi = arr(1);
                    let g = e.scratch(k, k);
                    if !right {
                        let (x, y) = if t { (bi, db) } else { (db, bi) };
                        e.gemm(false, true, (k, k, n), alpha(), x, y, zero, g);
                    } else {
                        let (x, y) = if t { (db, bi) } else { (bi, db) };
                        e.gemm(true, false, (k, k, m), alpha(), x, y, zero, g);
                    }
                    e.tri_add((op.lower, op.unit), k, one, g, da);
                    e.free(g.0);
                }
                if want(0) {
                    e.trmm(false, right, transposed, (m, n), one, arr(0), db);
                    out[0] = Some(e.dot_matrix((m, n), db, arr(1)));
                    e.scale(alpha(), db, Extent::Matrix(m, n));
                } else {
                    e.trmm(false, right, transposed, (m, n), alpha(), arr(0), db);
                }
            }
        }
        Kind::Getrf | Kind::Getrs | Kind::Gesv => lu::lu_adjoint(e, op, d),
        Kind::Syev => eig::eig_adjoint(e, op, d),
        Kind::Syr | Kind::Syr2 => {
            // A_tri += alpha x x^T (or alpha (x y^T + y x^T)): with M the
            // stored triangle's adjoint plus its transpose, x' += alpha M y,
            // y' += alpha M x, alpha' = x^T M y (halved for syr)
            let two = op.kind == Kind::Syr2;
            let ia = if two { 2 } else { 1 };
            let Some(da) = sh(ia) else { return out };
            let n = dims[0];
            let m = e.sym_pack(op.lower, true, n, da);
            let (x, y) = if two {
                (arr(0), arr(1))
            } else {
                (arr(0), arr(0))
            };
            if let Some(dx) = sh(0) {
                e.gemv(false, (n, n), alpha(), m, y, one, dx);
            }
            if let Some(dy) = sh(1).filter(|_| two) {
                e.gemv(false, (n, n), alpha(), m, x, one, dy);
            }
            if want(0) {
                let unit = e.int_c(1);
                let p = e.calloc(unit, n);
                let half = e.real(if two { 1.0 } else { 0.5 });
                e.gemv(false, (n, n), half, m, y, e.real(0.0), (p, unit));
                out[0] = Some(e.dot(n, x, (p, unit)));
                e.free(p);
            }
            e.free(m.0);
        }
        Kind::Syr2k => {
            // op(A)' += alpha M op(B), op(B)' += alpha M op(A), M = C' on the
            // triangle plus its transpose
            let Some(dc) = sh(2) else { return out };
            let (n, k) = (dims[0], dims[1]);
            let (lower, t) = (op.lower, op.trans[0]);
            let zero = e.real(0.0);
            if sh(0).is_some() || sh(1).is_some() {
                let sm = e.sym_pack(lower, true, n, dc);
                for (target, other) in [(sh(0), arr(1)), (sh(1), arr(0))] {
                    let Some(dt) = target else { continue };
                    if t {
                        e.gemm(false, false, (k, n, n), alpha(), other, sm, one, dt);
                    } else {
                        e.gemm(false, false, (n, k, n), alpha(), sm, other, one, dt);
                    }
                }
                e.free(sm.0);
            }
            if want(0) {
                let p = e.temp(n, n);
                e.syrk((lower, t), (n, k), one, arr(0), Some(arr(1)), zero, p);
                out[0] = Some(e.dot_matrix((n, n), dc, p));
                e.free(p.0);
            }
            if want(1) {
                let p = e.tri_pack((lower, false), n, arr(2));
                out[1] = Some(e.dot_matrix((n, n), dc, p));
                e.free(p.0);
            }
            e.tri_scale(lower, n, op.scalars[1].value, dc);
        }
        Kind::Asum => {
            let (Some(dr), Some(dx)) = (d.result, sh(0)) else {
                return out;
            };
            // storage order pairs x (or its packed copy) with its shadow
            e.sign_axpy(count(e, op, dx.1), dr, arr(0), dx);
        }
    }
    lu::nan_on_failure(e, op, d);
    out
}

/// `len` ones in a scratch vector (give it back with [`Emit::free`]).
fn ones(e: &Emit, len: Value) -> Value {
    let unit = e.int_c(1);
    let (one, _) = e.scratch(unit, unit);
    e.b.store(e.real(1.0), one);
    // a 1 x len copy of one element, read with leading dimension 0
    let src = Array {
        ptr: one,
        stride: e.int_c(0),
        matrix: true,
    };
    let v = e.pack(&src, Extent::Matrix(unit, len));
    e.free(one);
    v
}
