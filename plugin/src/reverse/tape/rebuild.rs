//! BLAS matrix operands rebuilt in the reverse sweep instead of copied:
//! a buffer that a loop nest fills element by element right before the
//! call, in every iteration of the loop around both (GMM's centred data
//! `xc[i*d + j] = x[i*d + j] - mu[j]`, then `gemm(xc, ...)`), and
//! overwrites in the next iteration, would be copied before every call for
//! the adjoint. When each stored value is cheap arithmetic of the loop
//! indices, values from outside the nest and memory nothing overwrites,
//! the reverse sweep runs the nest again into a scratch matrix instead (an
//! internal helper function, `ferment.blas.rebuild`): no copy in the
//! forward sweep and no tape memory.

use super::recompute::{counted_loop, indexed};
use super::*;
use crate::cfg::loops::dominates;

/// At most this many instructions of the nest rebuild one stored value.
const REBUILD_NODES: usize = 48;

/// How the reverse sweep rebuilds a BLAS operand ([`Tape::blas_rebuild`]).
pub struct Rebuild {
    /// The induction phis of the filling nest: outer (columns of the
    /// operand's column-major storage, or a vector's elements), inner
    /// (rows; none for a vector filled by one loop).
    col: Value,
    row: Option<Value>,
    /// The stored value.
    value: Value,
    /// Values from outside the nest the stored value is computed from
    /// (arguments of the helper), in a fixed order.
    leaves: Vec<Value>,
    /// Whether the reverse of the nest needs only the sums of the
    /// operand's adjoint along the rows of its storage (see
    /// [`col_sums_suffice`]).
    col_sums: bool,
    /// The store that fills the operand.
    store: Value,
}

impl Rebuild {
    /// See [`col_sums_suffice`].
    pub fn col_sums(&self) -> bool {
        self.col_sums
    }

    /// The store that fills the operand.
    pub fn store(&self) -> Value {
        self.store
    }

    /// The outer loop of the filling nest when its reverse hands on nothing
    /// but the store's adjoint, which the rule has put in column 0 alone
    /// ([`Rebuild::col_sums`]): no other write or call in the nest, no float
    /// value carried across its iterations (an active phi) or used after
    /// it. Its other iterations then read zeros and hand on zeros where the
    /// operand's shadow holds nothing outside column 0
    /// ([`Tape::reverse_first_iteration_only`] checks the operand's memory).
    pub fn first_column_only(
        &self,
        loops: &Loops,
        active: &dyn Fn(Value) -> bool,
    ) -> Option<LoopId> {
        if !self.col_sums {
            return None;
        }
        let st = self.store;
        let nest = loops.loop_of(self.col.parent())?;
        for &blk in &loops.get(nest).blocks {
            for inst in blk.instructions() {
                if inst == st {
                    continue;
                }
                let quiet = match inst.opcode() {
                    Opcode::LLVMStore
                    | Opcode::LLVMInvoke
                    | Opcode::LLVMAtomicRMW
                    | Opcode::LLVMAtomicCmpXchg
                    | Opcode::LLVMFence
                    | Opcode::LLVMVAArg => false,
                    Opcode::LLVMCall => inst.called_name().starts_with("llvm.dbg."),
                    _ => true,
                };
                let contained = inst
                    .users()
                    .into_iter()
                    .all(|u| u.is_instruction() && loops.contains(nest, u.parent()));
                if !quiet || (active(inst) && (inst.opcode() == Opcode::LLVMPHI || !contained)) {
                    return None;
                }
            }
        }
        Some(nest)
    }
}

/// A nest whose reverse may run the first iteration of its outer loop only
/// ([`Tape::reverse_first_iteration_only`]).
pub struct FirstOnly {
    /// The nest's outer loop ([`Rebuild::first_column_only`]).
    pub lp: LoopId,
    /// The operand the nest fills, the store filling it, and the `gemm`
    /// call whose rule put the adjoint in column 0 alone, with the
    /// operand's row count and leading dimension there.
    pub p: Value,
    pub store: Value,
    pub call: Value,
    pub rows: Value,
    pub ld: Value,
    /// The calls and stores using the operand ([`block_users`]).
    pub calls: Vec<Value>,
    pub stores: Vec<Value>,
}

/// The calls and stores using a heap block ([`block_users`]).
pub(super) type BlockUsers = Option<(Vec<Value>, Vec<Value>)>;

/// The calls and stores using fresh heap block `p` (`malloc`/`calloc`: its
/// shadow starts zeroed) besides `free(p)`, when those are all its users:
/// calls passing it once, stores whose address is `p` indexed (once or
/// twice). Read where the reverse sweep meets the block's `gemm` call,
/// before the sweep adds uses of its own.
pub(super) fn block_users(p: Value) -> BlockUsers {
    if !p.is_call() || !matches!(p.called_name().as_str(), "malloc" | "calloc") {
        return None;
    }
    let (mut calls, mut stores) = (Vec::new(), Vec::new());
    let mut store_at = |u: Value, a: Value| {
        let ok = u.is_instruction()
            && u.opcode() == Opcode::LLVMStore
            && u.operand(0) != a
            && u.operand(1) == a;
        if ok {
            stores.push(u);
        }
        ok
    };
    for u in p.users() {
        let ok = if u.is_call() {
            let args = u.call_args();
            if u.called_name() == "free" && args.as_slice() == [p] {
                true
            } else {
                calls.push(u);
                args.iter().filter(|&&a| a == p).count() == 1
            }
        } else {
            u.is_instruction()
                && u.opcode() == Opcode::LLVMGetElementPtr
                && indexed(u).map(|(b, _)| b) == Some(p)
                && u.users().into_iter().all(|q| {
                    if q.is_instruction() && q.opcode() == Opcode::LLVMGetElementPtr {
                        indexed(q).map(|(b, _)| b) == Some(u)
                            && q.users().into_iter().all(|w| store_at(w, q))
                    } else {
                        store_at(q, u)
                    }
                })
        };
        if !ok {
            return None;
        }
    }
    Some((calls, stores))
}

/// Whether the shadow of `c.p` holds nothing outside column 0 (of `c.rows`
/// elements) wherever the reverse sweep reaches one of its filling nests:
/// every call using the block ([`block_users`]) is the `gemm` call of one
/// of the nests in `all`, with the same row count and leading dimension as
/// `c`, and every store into it is the filling store of one of them. The
/// reverse sweep then writes the shadow only by adding to column 0 (the
/// rules) and by zeroing elements (the stores' reverses).
pub(super) fn shadow_in_column_0(c: &FirstOnly, all: &[FirstOnly]) -> bool {
    let mine: Vec<&FirstOnly> = all.iter().filter(|d| d.p == c.p).collect();
    c.calls.iter().all(|&u| {
        mine.iter()
            .any(|d| d.call == u && same_int(d.rows, c.rows) && same_int(d.ld, c.ld))
    }) && c.stores.iter().all(|&u| mine.iter().any(|d| d.store == u))
}

/// Whether the derivative of the stored value `e` with respect to every
/// active value is independent of the column index `col`, and reaches only
/// active values independent of it: `e` is inactive, or does not depend on
/// `col`, or is a sum, difference or negation of such terms, or a product
/// (quotient) of one with an inactive factor (divisor) independent of
/// `col`. Then the adjoint the nest's reverse hands on from
/// `adj[r, c]` is the same as from `sum_c adj[r, c]` put in column 0 (the
/// rest of the row zero): each element's adjoint reaches the active values
/// of its row scaled by the same factors, and nothing else.
fn col_sums_suffice(
    e: Value,
    col: Value,
    nest: LoopId,
    loops: &Loops,
    active: &dyn Fn(Value) -> bool,
    depth: u32,
) -> bool {
    if !active(e) {
        return true;
    }
    let mut seen = Vec::new();
    if !depends_on(e, col, nest, loops, &mut seen) {
        return true;
    }
    if depth == 0 {
        return false;
    }
    let free = |x: Value| {
        let mut seen = Vec::new();
        !active(x) && !depends_on(x, col, nest, loops, &mut seen)
    };
    let ok = |x: Value| col_sums_suffice(x, col, nest, loops, active, depth - 1);
    match e.opcode() {
        Opcode::LLVMFAdd | Opcode::LLVMFSub => ok(e.operand(0)) && ok(e.operand(1)),
        Opcode::LLVMFNeg => ok(e.operand(0)),
        Opcode::LLVMFMul => {
            (free(e.operand(0)) && ok(e.operand(1))) || (free(e.operand(1)) && ok(e.operand(0)))
        }
        Opcode::LLVMFDiv => free(e.operand(1)) && ok(e.operand(0)),
        _ => false,
    }
}

/// Whether `e` is computed from `col` inside the nest.
fn depends_on(e: Value, col: Value, nest: LoopId, loops: &Loops, seen: &mut Vec<Value>) -> bool {
    if e == col {
        return true;
    }
    if !e.is_instruction() || !loops.contains(nest, e.parent()) || seen.contains(&e) {
        return false;
    }
    seen.push(e);
    e.operands()
        .into_iter()
        .any(|o| depends_on(o, col, nest, loops, seen))
}

/// `v` without integer extensions (a dimension passed as `i32` to BLAS and
/// extended to `i64` for the loop bound or index).
fn unextended(mut v: Value) -> Value {
    while v.is_instruction() && matches!(v.opcode(), Opcode::LLVMZExt | Opcode::LLVMSExt) {
        v = v.operand(0);
    }
    v
}

/// Whether `a` and `b` are the same integer for every positive value
/// (extensions of one value, or equal constants).
pub(super) fn same_int(a: Value, b: Value) -> bool {
    let (a, b) = (unextended(a), unextended(b));
    a == b || (a.const_int().is_some() && a.const_int() == b.const_int())
}

/// `(x, y, j)` when `idx` is `x * y + j` (either operand order of the add).
fn affine_2d(idx: Value) -> Option<(Value, Value, Value)> {
    if !idx.is_instruction() || idx.opcode() != Opcode::LLVMAdd {
        return None;
    }
    let (a, b) = (idx.operand(0), idx.operand(1));
    [(a, b), (b, a)]
        .into_iter()
        .find(|(m, _)| m.is_instruction() && m.opcode() == Opcode::LLVMMul)
        .map(|(m, j)| (m.operand(0), m.operand(1), j))
}

impl Tape {
    /// Combined shape: how the reverse sweep can rebuild matrix operand
    /// `p` of BLAS call `call`, read as `rows` x `cols` column-major with
    /// leading dimension `ld` (elements of type `elem`), or `None`. Checked:
    /// the call is inside a loop `P`; a two-deep nest that is a child of `P`
    /// stores `p[c * s + r]` in the single latch of its inner loop, with
    /// `c` and `r` its outer and inner induction phis, both counting from
    /// 0 by 1 to loop-invariant bounds (leaving only at their latches), `s`
    /// the call's `ld`, the bounds the call's `cols` and `rows` (so it wrote
    /// every element the call reads); the inner loop runs in every outer
    /// iteration, or is skipped only when `rows <= 0`, and the outer one in
    /// this iteration of `P` before the call (its header dominates the
    /// call), or is skipped only when `cols <= 0` (see [`guarded_entry`]:
    /// the call then reads nothing); that store is the only write inside `P`
    /// that may touch `p`'s memory; and the stored value is built from
    /// the two indices, cheap arithmetic, loads of memory nothing
    /// overwrites afterwards, and values defined outside the nest in `P`
    /// or around it (the same in this iteration of `P` in the reverse
    /// sweep).
    #[allow(clippy::too_many_arguments)]
    pub fn blas_rebuild(
        &self,
        loops: &Loops,
        call: Value,
        p: Value,
        elem: Type,
        rows: Value,
        cols: Value,
        ld: Value,
        active: &dyn Fn(Value) -> bool,
    ) -> Option<Rebuild> {
        let rereads = self.rereads.as_ref()?;
        let idom = self.idom.as_ref()?;
        let outer_loop = loops.loop_of(call.parent())?;
        for g in p.users() {
            if !g.is_instruction()
                || g.opcode() != Opcode::LLVMGetElementPtr
                || indexed(g).map(|(b, _)| b) != Some(p)
                || g.gep_source_element_type() != Some(elem)
            {
                continue;
            }
            // `p[c*s + r]`, or `q[r]` with `q = p + c*s` hoisted out of the
            // inner loop
            let nested = g.users().into_iter().filter(|q| {
                q.is_instruction()
                    && q.opcode() == Opcode::LLVMGetElementPtr
                    && indexed(*q).map(|(b, _)| b) == Some(g)
                    && q.gep_source_element_type() == Some(elem)
            });
            let addrs: Vec<Value> = std::iter::once(g).chain(nested).collect();
            for st in addrs.iter().flat_map(|a| a.users()) {
                if !st.is_instruction()
                    || st.opcode() != Opcode::LLVMStore
                    || !addrs.contains(&st.operand(1))
                    || st.operand(0).ty() != elem
                {
                    continue;
                }
                if let Some(mut rb) = self.rebuild_store(
                    loops, rereads, idom, call, outer_loop, p, st, rows, cols, ld,
                ) {
                    let outer = loops.get(loops.loop_of(st.parent())?).parent?;
                    rb.col_sums = col_sums_suffice(rb.value, rb.col, outer, loops, active, 8);
                    return Some(rb);
                }
            }
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn rebuild_store(
        &self,
        loops: &Loops,
        rereads: &Rereads,
        idom: &HashMap<Block, Block>,
        call: Value,
        outer_loop: LoopId,
        p: Value,
        st: Value,
        rows: Value,
        cols: Value,
        ld: Value,
    ) -> Option<Rebuild> {
        let inner = loops.loop_of(st.parent())?;
        let outer = loops.get(inner).parent?;
        if loops.get(outer).parent != Some(outer_loop)
            || loops.get(inner).latches.as_slice() != [st.parent()]
        {
            return None;
        }
        let (base, idx) = indexed(st.operand(1))?;
        let (col, s, row) = if base == p {
            affine_2d(idx)?
        } else {
            let (_, m) = indexed(base)?;
            if !m.is_instruction() || m.opcode() != Opcode::LLVMMul {
                return None;
            }
            (m.operand(0), m.operand(1), idx)
        };
        let (col, s) = if col.is_instruction() && col.parent() == loops.get(outer).header {
            (col, s)
        } else {
            (s, col)
        };
        let (c0, ncols) = counted_loop(loops, outer, col)?;
        let (r0, nrows) = counted_loop(loops, inner, row)?;
        if c0.const_int() != Some(0)
            || r0.const_int() != Some(0)
            || !same_int(s, ld)
            || !same_int(nrows, rows)
            || !same_int(ncols, cols)
        {
            return None;
        }
        if s.is_instruction() && loops.contains(outer, s.parent()) {
            return None;
        }
        let [outer_latch] = loops.get(outer).latches.as_slice() else {
            return None;
        };
        // the inner loop runs in every outer iteration (or `rows <= 0`),
        // the outer one before the call in this iteration of the loop
        // around both (or `cols <= 0`): the call reads nothing else
        let inner_header = loops.get(inner).header;
        if !dominates(idom, inner_header, *outer_latch)
            && !guarded_entry(loops, idom, inner, row, *outer_latch, rows)
        {
            return None;
        }
        let at = call.parent();
        if !dominates(idom, loops.get(outer).header, at)
            && !guarded_entry(loops, idom, outer, col, at, cols)
        {
            return None;
        }
        let inside = |blk: Block| loops.contains(outer_loop, blk);
        if !rereads.sole_writer_within(st, p, &inside) {
            return None;
        }
        let mut leaves = Vec::new();
        let mut seen = Vec::new();
        let ok = self.rebuildable(
            loops,
            rereads,
            outer,
            call,
            (col, row),
            st.operand(0),
            &mut seen,
            &mut leaves,
        );
        (ok && seen.len() <= REBUILD_NODES).then_some(Rebuild {
            col,
            row: Some(row),
            value: st.operand(0),
            leaves,
            col_sums: false,
            store: st,
        })
    }

    /// Combined shape: how the reverse sweep can rebuild vector operand
    /// `p` (`n` elements of type `elem`, increment 1) of BLAS call `call`:
    /// as [`Tape::blas_rebuild`] with a single counted loop, child of the
    /// call's loop, that stores `p[t]` for `t` from 0 to `n` in its latch.
    pub fn blas_rebuild_vector(
        &self,
        loops: &Loops,
        call: Value,
        p: Value,
        elem: Type,
        n: Value,
        inc: Value,
    ) -> Option<Rebuild> {
        let rereads = self.rereads.as_ref()?;
        let idom = self.idom.as_ref()?;
        let outer_loop = loops.loop_of(call.parent())?;
        if inc.const_int() != Some(1) {
            return None;
        }
        for g in p.users() {
            if !g.is_instruction()
                || g.opcode() != Opcode::LLVMGetElementPtr
                || indexed(g).map(|(b, _)| b) != Some(p)
                || g.gep_source_element_type() != Some(elem)
            {
                continue;
            }
            for st in g.users() {
                if !st.is_instruction()
                    || st.opcode() != Opcode::LLVMStore
                    || st.operand(1) != g
                    || st.operand(0).ty() != elem
                {
                    continue;
                }
                let Some(lp) = loops.loop_of(st.parent()) else {
                    continue;
                };
                let (_, t) = indexed(g)?;
                if loops.get(lp).parent != Some(outer_loop)
                    || loops.get(lp).latches.as_slice() != [st.parent()]
                {
                    continue;
                }
                let Some((t0, len)) = counted_loop(loops, lp, t) else {
                    continue;
                };
                if t0.const_int() != Some(0) || !same_int(len, n) {
                    continue;
                }
                let at = call.parent();
                if !dominates(idom, loops.get(lp).header, at)
                    && !guarded_entry(loops, idom, lp, t, at, n)
                {
                    continue;
                }
                let inside = |blk: Block| loops.contains(outer_loop, blk);
                if !rereads.sole_writer_within(st, p, &inside) {
                    continue;
                }
                let mut leaves = Vec::new();
                let mut seen = Vec::new();
                let ok = self.rebuildable(
                    loops,
                    rereads,
                    lp,
                    call,
                    (t, t),
                    st.operand(0),
                    &mut seen,
                    &mut leaves,
                );
                if ok && seen.len() <= REBUILD_NODES {
                    return Some(Rebuild {
                        col: t,
                        row: None,
                        value: st.operand(0),
                        leaves,
                        col_sums: false,
                        store: st,
                    });
                }
            }
        }
        None
    }

    /// Whether `e` (used by the stored value) can be computed again in the
    /// helper: the indices, constants, values from outside the nest
    /// (`leaves`) defined where the reverse sweep sees this iteration's
    /// value, cheap arithmetic and loads of memory nothing overwrites.
    #[allow(clippy::too_many_arguments)]
    fn rebuildable(
        &self,
        loops: &Loops,
        rereads: &Rereads,
        nest: LoopId,
        call: Value,
        idx: (Value, Value),
        e: Value,
        seen: &mut Vec<Value>,
        leaves: &mut Vec<Value>,
    ) -> bool {
        if e == idx.0 || e == idx.1 || e.is_constant() || seen.contains(&e) || leaves.contains(&e) {
            return true;
        }
        if !e.is_instruction() {
            // an argument: passed to the helper
            if e.is_argument() {
                leaves.push(e);
                return true;
            }
            return false;
        }
        if !loops.contains(nest, e.parent()) {
            // defined before the nest: in the loop around the call or
            // further out, so the reverse sweep has this iteration's value
            let around = loops
                .loop_of(e.parent())
                .is_none_or(|l| loops.contains(l, call.parent()));
            if around && !e.ty().is_void() {
                leaves.push(e);
            }
            return around;
        }
        if seen.len() >= REBUILD_NODES {
            return false;
        }
        let ok = match e.opcode() {
            Opcode::LLVMLoad => rereads.safe(e) && !e.is_volatile_or_atomic(),
            Opcode::LLVMPHI => false,
            _ => is_cheap(e),
        };
        if !ok {
            return false;
        }
        seen.push(e);
        let ops = e.operands();
        // a call's last operand is its callee (a constant function)
        ops.into_iter()
            .all(|o| self.rebuildable(loops, rereads, nest, call, idx, o, seen, leaves))
    }

    /// Reverse sweep, at `b`: fills `dst` (`rows` x `cols`, leading
    /// dimension `ldd`; a vector is 1 x `n`) with the values the nest of
    /// `rb` stored, through an internal helper function.
    #[allow(clippy::too_many_arguments)]
    pub fn emit_blas_rebuild(
        &mut self,
        loops: &Loops,
        b: &Builder,
        rb: &Rebuild,
        dst: Value,
        rows: Value,
        cols: Value,
        ldd: Value,
    ) {
        let module = self.module;
        let ctx = module.context();
        let i64t = Type::int(ctx, 64);
        let ptr = Type::ptr(ctx);
        let mut params = vec![ptr, i64t, i64t, i64t];
        params.extend(rb.leaves.iter().map(|l| l.ty()));
        let f = module.add_function(
            "ferment.blas.rebuild",
            Type::function(Type::void(ctx), &params, false),
        );
        f.set_internal();
        let fp = f.params();
        let (fdst, frows, fcols, fld) = (fp[0], fp[1], fp[2], fp[3]);
        let mut memo: HashMap<Value, Value> = rb
            .leaves
            .iter()
            .zip(fp[4..].iter())
            .map(|(l, a)| (*l, *a))
            .collect();
        let h = Builder::new(module);
        h.at_end(f.append_block("entry"));
        h.counted_loop("col", fcols, |c| {
            h.counted_loop("row", frows, |r| {
                memo.insert(rb.col, h.int_cast(c, rb.col.ty(), false));
                if let Some(row) = rb.row {
                    memo.insert(row, h.int_cast(r, row.ty(), false));
                }
                let v = clone_into(&h, rb.value, &mut memo);
                let at = h.add_int(r, h.mul_int(c, fld));
                h.store(v, h.gep(rb.value.ty(), fdst, &[at]));
            });
        });
        h.ret_void();
        // Nests that fill operands alike (GMM's centred data, filled again
        // before each product that reads it) give the same helper: the
        // first one serves them all (the file is compiled with one copy).
        let same = module.functions().into_iter().find(|&g| {
            g != f
                && g.name().starts_with("ferment.blas.rebuild")
                && crate::shim::same_function(g, f)
        });
        let f = match same {
            Some(g) => {
                f.delete_function();
                g
            }
            None => {
                // Its column loop stays rolled like a derivative's outer loops.
                crate::shim::no_runtime_unroll(f);
                f
            }
        };

        let mut args = vec![
            dst,
            b.int_cast(rows, i64t, true),
            b.int_cast(cols, i64t, true),
            b.int_cast(ldd, i64t, true),
        ];
        for &l in &rb.leaves {
            args.push(self.reload(loops, b, l));
        }
        b.call_fn(f, &args);
    }
}

/// Whether loop `lp` (induction `iv`), where it does not run, is skipped
/// only when `bound <= 0`: it is entered through a preheader reached from
/// a block `G` that dominates `at` (so runs whenever `at` does) through
/// `br (icmp sgt X, 0), next, ...` with `X` the same integer as `bound`,
/// `G` either the preheader itself (`next` the header) or its only
/// predecessor (`next` the preheader, which branches straight to the
/// header). Then `at` is reached after the whole loop, or with `bound <= 0`.
fn guarded_entry(
    loops: &Loops,
    idom: &HashMap<Block, Block>,
    lp: LoopId,
    iv: Value,
    at: Block,
    bound: Value,
) -> bool {
    let header = loops.get(lp).header;
    let outside: Vec<Block> = iv
        .incoming()
        .into_iter()
        .map(|(_, b)| b)
        .filter(|b| !loops.contains(lp, *b))
        .collect();
    let [pre] = outside.as_slice() else {
        return false;
    };
    let guard = |g: Block, next: Block| -> bool {
        let Some(br) = g.terminator() else {
            return false;
        };
        if br.opcode() != Opcode::LLVMBr || br.operands().len() != 3 {
            return false;
        }
        if g.successors().first() != Some(&next) {
            return false;
        }
        let cond = br.operand(0);
        if !cond.is_instruction() || cond.opcode() != Opcode::LLVMICmp {
            return false;
        }
        let (a, z) = (cond.operand(0), cond.operand(1));
        let positive = match cond.icmp_predicate() {
            Some(IntPredicate::LLVMIntSGT) => z.const_int() == Some(0) && same_int(a, bound),
            Some(IntPredicate::LLVMIntSLT) => a.const_int() == Some(0) && same_int(z, bound),
            _ => false,
        };
        positive && dominates(idom, g, at)
    };
    if guard(*pre, header) {
        return true;
    }
    if pre.successors().as_slice() != [header] {
        return false;
    }
    let preds: Vec<Block> = pre
        .parent()
        .blocks()
        .into_iter()
        .filter(|blk| blk.successors().contains(pre))
        .collect();
    matches!(preds.as_slice(), [g] if guard(*g, *pre))
}

/// Clones the instructions `e` is computed from into `h`'s position
/// (operands mapped through `memo`; constants kept), without debug
/// locations.
fn clone_into(h: &Builder, e: Value, memo: &mut HashMap<Value, Value>) -> Value {
    if let Some(&c) = memo.get(&e) {
        return c;
    }
    if !e.is_instruction() {
        return e;
    }
    let ops: Vec<Value> = e
        .operands()
        .into_iter()
        .map(|o| clone_into(h, o, memo))
        .collect();
    let c = e.clone_instruction();
    for (k, o) in ops.into_iter().enumerate() {
        c.set_operand(k, o);
    }
    h.insert(c);
    c.clear_debug_loc();
    memo.insert(e, c);
    c
}
