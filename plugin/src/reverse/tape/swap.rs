//! Adjoint buffer swaps: the reverse of a whole-buffer copy `A = B`
//! (`memcpy(A, B, size)`) between two scratch allocations, done by
//! exchanging which shadow buffer plays `A` and which plays `B`.
//!
//! The reverse of the copy is `B' += A'; A' = 0` over every element. When
//! `B'` is zero there, that is exactly "the shadow that was `A'` is now
//! `B'`, and the one that was `B'` (all zeros) is now `A'`": the reverse
//! sweep swaps the two shadow pointers (each held in a stack slot, so the
//! pointers become phis of the reverse loop) instead of running a loop
//! over both buffers. The hand-written adjoint of an iterative solver's
//! copy-back `x = xn` does the same.
//!
//! Conditions, all checked (combined shape only, not on GPUs or in OpenMP
//! regions):
//! - `A` and `B` are two different fresh `malloc`/`calloc`/`new` blocks made
//!   outside loops that do not escape, so their shadows are heap blocks the
//!   derivative allocates and frees itself, never the user's: both are
//!   freed where the reverse sweep reaches their allocations, through the
//!   slots, so a swap only changes which free releases which block;
//! - the copy starts at both blocks and its length is the size of each
//!   (one element type), so the swap exchanges the whole adjoint of each;
//! - pointers into `A` and `B` are only offsets (`getelementptr`) used by
//!   loads, stores (as the address), memory calls and frees: the reverse
//!   sweep rebuilds every such shadow address from the shadow in the slot
//!   ([`Tape::reload`]), never from a taped pointer;
//! - `B'` is zero where the reverse sweep reaches the copy: `B` is read by
//!   nothing but this copy (only reads add to `B'`; the reverse of a store,
//!   `memset` or copy into `B` clears what it overwrote), and, when the
//!   copy is in a loop `L`, every path from one execution of the copy to
//!   the next fully overwrites `B` first: a store `B[i] = ..` runs in every
//!   iteration of a loop `R` inside `L` whose header dominates the copy,
//!   with `i` counting from 0 up to the element count of `B` and leaving
//!   `R` only at its end (the reverse of that loop clears all of `B'`); a
//!   path that skips `R` must take the branch of a guard saying the count
//!   is at most 0 (empty buffers).

use super::snapshot::element_count;
use super::*;
use hashbrown::HashSet;

/// A copy whose reverse swaps shadow buffers: per lane, the shadows of the
/// destination `A` and source `B` (forward values, each kept in a slot).
#[derive(Clone, Debug)]
pub(super) struct ShadowSwap {
    lanes: Vec<(Value, Value)>,
}

impl Tape {
    /// Decides, before the reverse sweep is built, which whole-buffer copies
    /// reverse as a swap of shadow buffers (see the module documentation);
    /// `heap_shadow(lane, alloc)` is the shadow block of allocation `alloc`
    /// in that lane, if it has one.
    pub fn plan_shadow_swaps(
        &mut self,
        loops: &Loops,
        reachable: &[Block],
        width: usize,
        heap_shadow: &dyn Fn(usize, Value) -> Option<Value>,
    ) {
        if self.frame.split.is_some() {
            return;
        }
        let Some(f) = reachable.first().map(|b| b.parent()) else {
            return;
        };
        if crate::gpu::is_gpu(f.global_parent()) || crate::openmp::is_parallel_region(f) {
            return;
        }
        let copies: Vec<Value> = reachable
            .iter()
            .flat_map(|b| b.instructions())
            .filter(|i| i.is_call() && crate::shadow::is_memcpy(&i.called_name()))
            .collect();
        for c in copies {
            let Some((a, bsrc)) = self.swappable_copy(loops, c) else {
                continue;
            };
            let lanes: Option<Vec<(Value, Value)>> = (0..width)
                .map(|lane| {
                    let sa = heap_shadow(lane, a)?;
                    let sb = heap_shadow(lane, bsrc)?;
                    (sa != sb && sa.is_instruction() && sb.is_instruction()).then_some((sa, sb))
                })
                .collect();
            let Some(lanes) = lanes else { continue };
            // A block swapped by one copy and rebuilt by another stays
            // consistent: every reload goes through the slots.
            for &(sa, sb) in &lanes {
                self.swap_roots.insert(sa);
                self.swap_roots.insert(sb);
            }
            self.report.add(|| {
                format!(
                    "  reverse of `{}`: swap the shadow buffers of its destination and source",
                    c.describe().trim()
                )
            });
            self.swaps.insert(c, ShadowSwap { lanes });
        }
    }

    /// Whether the reverse of copy `c` in `lane` is a swap of shadow
    /// buffers ([`Tape::plan_shadow_swaps`]); if so, emits it at `b`: the
    /// slots of the two shadows exchange their pointers.
    pub fn swap_shadows(&mut self, loops: &Loops, b: &Builder, c: Value, lane: usize) -> bool {
        let Some(&(sa, sb)) = self.swaps.get(&c).and_then(|s| s.lanes.get(lane)) else {
            return false;
        };
        let pa = self.reload(loops, b, sa);
        let pb = self.reload(loops, b, sb);
        let (Some(Slot::Scalar(ta)), Some(Slot::Scalar(tb))) =
            (self.slots.get(&sa), self.slots.get(&sb))
        else {
            return false;
        };
        let (ta, tb) = (*ta, *tb);
        b.store(pb, ta.rev);
        b.store(pa, tb.rev);
        true
    }

    /// A pointer into a swapped shadow buffer, rebuilt in the reverse sweep
    /// from the buffer's slot (never taped: the slot says which block plays
    /// that buffer now); `None` for other values.
    pub(super) fn rebuild_swapped(
        &mut self,
        loops: &Loops,
        b: &Builder,
        v: Value,
    ) -> Option<Value> {
        if self.swap_roots.is_empty()
            || !v.is_instruction()
            || v.opcode() != Opcode::LLVMGetElementPtr
            || !self.swap_roots.contains(&gep_root(v))
        {
            return None;
        }
        let ops: Vec<Value> = v
            .operands()
            .into_iter()
            .map(|o| self.reload(loops, b, o))
            .collect();
        let c = v.clone_instruction();
        for (i, o) in ops.into_iter().enumerate() {
            c.set_operand(i, o);
        }
        b.insert(c);
        Some(c)
    }

    /// `(A, B)` for a copy `memcpy(A, B, size)` whose reverse may swap the
    /// shadows of `A` and `B` (the primal conditions of the module
    /// documentation).
    fn swappable_copy(&self, loops: &Loops, c: Value) -> Option<(Value, Value)> {
        let args = c.call_args();
        if args.len() < 3 || args.get(3).is_some_and(|v| v.const_int() != Some(0)) {
            return None;
        }
        let (dst, src, len) = (args[0], args[1], args[2]);
        let rereads = self.rereads.as_ref()?;
        let idom = self.idom.as_ref()?;
        let (a, a_sizes) = rereads.local_allocation(dst)?;
        let (bb, b_sizes) = rereads.local_allocation(src)?;
        if a != dst || bb != src || a == bb {
            return None;
        }
        // `local_allocation` also names parameters with known extents (a checkpointed
        // segment's regions): their shadows are the caller's, never swapped.
        if !a.is_instruction() || !bb.is_instruction() {
            return None;
        }
        if loops.loop_of(a.parent()).is_some() || loops.loop_of(bb.parent()).is_some() {
            return None;
        }
        // one element type, read from the stores into `B`
        let elem = element_size(bb)?;
        let count = whole(len, &b_sizes, elem)?;
        if whole(len, &a_sizes, elem)? != count {
            return None;
        }
        if !plain_uses(a, None) || !plain_uses(bb, Some(c)) {
            return None;
        }
        // C not in a loop: it runs once, and nothing but it reads `B`
        let Some(l) = loops.loop_of(c.parent()) else {
            return Some((a, bb));
        };
        let overwritten = stores_into(bb)
            .into_iter()
            .any(|st| fills_each_pass(loops, idom, st, bb, count, elem, l, c.parent()));
        overwritten.then_some((a, bb))
    }
}

/// The base pointer of a chain of `getelementptr`s.
fn gep_root(mut v: Value) -> Value {
    while v.is_instruction() && v.opcode() == Opcode::LLVMGetElementPtr {
        v = v.operand(0);
    }
    v
}

/// The size of the values stored into allocation `alloc` (through
/// `getelementptr`s), when all of them have the same size.
fn element_size(alloc: Value) -> Option<u64> {
    let module = alloc.function_of().global_parent();
    let mut size = None;
    for st in stores_into(alloc) {
        let s = module.alloc_size(st.operand(0).ty());
        if size.is_some_and(|x| x != s) {
            return None;
        }
        size = Some(s);
    }
    size.filter(|&s| s > 0)
}

/// Every store whose address is `alloc` or an offset from it.
fn stores_into(alloc: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut work = vec![alloc];
    let mut seen = HashSet::new();
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            match u.opcode() {
                Opcode::LLVMGetElementPtr if u.operand(0) == v => work.push(u),
                Opcode::LLVMStore if u.operand(1) == v && u.operand(0) != v => out.push(u),
                _ => {}
            }
        }
    }
    out
}

/// Whether every use of a pointer into `alloc` is an offset from it, a
/// load, a store to it (not of it), a `memcpy`/`memmove`/`memset` through
/// it, a free or a lifetime marker. With `only_read_by = Some(c)`, nothing
/// but copy `c` reads it (no load, no copy from it).
fn plain_uses(alloc: Value, only_read_by: Option<Value>) -> bool {
    let mut work = vec![alloc];
    let mut seen = HashSet::new();
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            if !u.is_instruction() {
                return false;
            }
            let ok = match u.opcode() {
                Opcode::LLVMGetElementPtr if u.operand(0) == v => {
                    work.push(u);
                    true
                }
                Opcode::LLVMLoad => only_read_by.is_none() && !u.is_volatile_or_atomic(),
                Opcode::LLVMStore => {
                    u.operand(1) == v && u.operand(0) != v && !u.is_volatile_or_atomic()
                }
                Opcode::LLVMCall => {
                    let name = u.called_name();
                    let args = u.call_args();
                    let at = |k: usize| args.get(k) == Some(&v);
                    if crate::shadow::is_memcpy(&name) {
                        let read = at(1) && only_read_by.is_some_and(|c| c != u);
                        (at(0) || at(1)) && !read && !args.iter().skip(2).any(|a| *a == v)
                    } else if crate::shadow::is_memset(&name) {
                        at(0) && !args.iter().skip(1).any(|a| *a == v)
                    } else {
                        crate::shadow::is_free(&name) || name.starts_with("llvm.lifetime.")
                    }
                }
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// An element count: a value, or a constant.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Count {
    Of(Value),
    Const(i64),
}

impl Count {
    /// Whether loop bound `n` is this count.
    fn is(self, n: Value) -> bool {
        match self {
            Count::Of(v) => n.strip_int_ext() == v.strip_int_ext(),
            Count::Const(k) => n.const_int() == Some(k),
        }
    }
}

/// The element count of an allocation of `sizes` (its size operands) when
/// the copy length `len` covers it exactly: the same value, the count
/// times `elem`, or equal constants.
fn whole(len: Value, sizes: &[Value], elem: u64) -> Option<Count> {
    let elem = elem as i64;
    let consts: Option<Vec<i64>> = sizes.iter().map(|s| s.const_int()).collect();
    if let (Some(c), Some(l)) = (consts, len.const_int()) {
        let total = c.iter().try_fold(1i64, |a, x| a.checked_mul(*x));
        return (total == Some(l) && l % elem == 0).then_some(Count::Const(l / elem));
    }
    let count = element_count(len, elem)?;
    let same = match sizes {
        [bytes] => *bytes == len || element_count(*bytes, elem) == Some(count),
        [n, e] if e.const_int() == Some(elem) => n.strip_int_ext() == count.strip_int_ext(),
        [e, n] if e.const_int() == Some(elem) => n.strip_int_ext() == count.strip_int_ext(),
        _ => false,
    };
    same.then_some(Count::Of(count))
}

/// Whether store `st` overwrites every element of `alloc` (`count`
/// elements of `elem` bytes) on every path from the header of loop `l` to
/// block `at` (see the module documentation): `st` stores one element at
/// `alloc[i]`, in a block that runs in every iteration of its loop `r`,
/// `i` being `r`'s induction from 0 with step 1 up to `count`, `r` leaving
/// only at its end; `r` lies inside `l` and its header dominates `at`.
#[allow(clippy::too_many_arguments)]
fn fills_each_pass(
    loops: &Loops,
    idom: &HashMap<Block, Block>,
    st: Value,
    alloc: Value,
    count: Count,
    elem: u64,
    l: LoopId,
    at: Block,
) -> bool {
    if st.is_volatile_or_atomic() {
        return false;
    }
    let module = st.function_of().global_parent();
    if module.alloc_size(st.operand(0).ty()) != elem {
        return false;
    }
    let addr = st.operand(1);
    let Some((base, idx)) = recompute::indexed(addr) else {
        return false;
    };
    if base != alloc
        || addr
            .gep_source_element_type()
            .is_none_or(|t| module.alloc_size(t) != elem)
    {
        return false;
    }
    let Some(r) = loops.loop_of(st.parent()) else {
        return false;
    };
    let lo = loops.get(r);
    if r == l || !loops.contains(l, lo.header) {
        return false;
    }
    let iv = idx.strip_int_ext();
    let Some((start, step, n, _)) = recompute::counted_trips(loops, r, iv) else {
        return false;
    };
    let [latch] = lo.latches.as_slice() else {
        return false;
    };
    start.const_int() == Some(0)
        && step == 1
        && count.is(n)
        && crate::cfg::loops::dominates(idom, st.parent(), *latch)
        && entered_before(loops, l, lo.header, at, count)
}

/// Whether every path from the header of loop `l` to block `at` inside it
/// passes through block `through` (a loop's header), or through an edge
/// taken only when `count` is at most 0 (the guard of a loop over the
/// elements: the buffers are then empty, so there is nothing to swap
/// wrongly).
fn entered_before(loops: &Loops, l: LoopId, through: Block, at: Block, count: Count) -> bool {
    let header = loops.get(l).header;
    let mut seen = HashSet::new();
    let mut work = vec![header];
    while let Some(x) = work.pop() {
        if x == through || !seen.insert(x) {
            continue;
        }
        if x == at {
            return false;
        }
        let Some(t) = x.terminator() else { continue };
        let succs = x.successors();
        let empty_edge = (t.opcode() == Opcode::LLVMBr && succs.len() == 2)
            .then(|| empty_on(t.operand(0), count))
            .flatten();
        for (k, y) in succs.into_iter().enumerate() {
            // (successor 0 of a conditional `br` is taken when it holds)
            let taken_if = k == 0;
            if y == header || !loops.contains(l, y) || empty_edge == Some(taken_if) {
                continue;
            }
            work.push(y);
        }
    }
    true
}

/// For a branch condition `c`: `Some(v)` when `c == v` implies `count <= 0`
/// (`n > 0` false, `n < 1`, `n <= 0` or `n == 0` true, `n != 0` false).
fn empty_on(c: Value, count: Count) -> Option<bool> {
    if !c.is_instruction() || c.opcode() != Opcode::LLVMICmp {
        return None;
    }
    let (a, b) = (c.operand(0), c.operand(1));
    use IntPredicate::*;
    let k = b.const_int()?;
    if !count.is(a) {
        return None;
    }
    match (c.icmp_predicate()?, k) {
        (LLVMIntSGT, 0) | (LLVMIntNE, 0) | (LLVMIntSGE, 1) => Some(false),
        (LLVMIntSLT, 1) | (LLVMIntSLE, 0) | (LLVMIntEQ, 0) | (LLVMIntSLT, 0) => Some(true),
        _ => None,
    }
}
