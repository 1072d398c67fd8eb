//! Which checkpoint regions every step writes whole before it reads them
//! (a stage's scratch array, `k1[i] = F(u)_i` for every `i`): their contents
//! at the start of a segment are never read, so the snapshots need no copy
//! of them ([`crate::reverse::checkpoint`]).
//!
//! The analysis runs on the canonical copy of the segment function, whose
//! only outermost loop is the segment's loop of steps. Every path through
//! one step (from that loop's header back to it or out of it; the step's
//! own loops taken as a whole) is followed, at most [`MAX_VISITS`] blocks
//! in all, with what is known of the integer arguments on it (ranges from
//! the branches it took: `n > 0`, `n == 1`) and which index intervals of
//! each region it has certainly written: a store at a constant index, or a
//! counted loop (`i = c .. n`, step 1, one exit; its store on every
//! iteration) storing at `i`, or a `memset`/`memcpy` of the whole region.
//! Region `k`, reached through argument `j` at indices `0 .. m`
//! ([`crate::frontend::loops::CHECKPOINT_EXTENTS`]), counts as written
//! first when, on every path, the intervals cover `0 .. m` before anything
//! that may read it (a load, a copy or call through argument `j` or
//! through a pointer of unknown origin; inside a loop, anywhere in it) and
//! before the step ends. Anything the analysis does not understand keeps
//! the region's copy.

use crate::cfg::loops::{dominates, dominators, LoopId, Loops};
use crate::cfg::Cfg;
use ferment_activity_analysis::{allocation_kind, underlying_objects};
use ferment_ir::{Block, IntPredicate, Opcode, Value};
use hashbrown::HashMap;

/// How many blocks (a loop counts as one) all paths may visit together.
const MAX_VISITS: usize = 4096;

/// A region reached through a parameter: `(pointer, count, element bytes)`
/// (the count an integer parameter or constant).
pub(crate) type Extent = (Value, Value, i64);

/// An index bound: a constant, or an integer parameter plus a constant.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Bound {
    Const(i64),
    Param(Value, i64),
}

/// What one path knows and has written.
#[derive(Clone)]
struct Path {
    /// Inclusive ranges of integer parameters.
    ranges: Vec<(Value, i64, i64)>,
    /// Per region, the index intervals `[lo, hi)` written so far.
    written: Vec<Vec<(Bound, Bound)>>,
    /// Per region: read after it was covered (nothing more to check).
    settled: Vec<bool>,
}

impl Path {
    fn range(&self, p: Value) -> (i64, i64) {
        self.ranges
            .iter()
            .find(|r| r.0 == p)
            .map(|r| (r.1, r.2))
            .unwrap_or((i64::MIN, i64::MAX))
    }

    /// Narrows `p` to `lo ..= hi`, or excludes the single value `not`;
    /// false when no value is left (the path cannot run).
    fn narrow(&mut self, p: Value, lo: i64, hi: i64, not: Option<i64>) -> bool {
        let (a, b) = self.range(p);
        let (mut a, mut b) = (a.max(lo), b.min(hi));
        if let Some(x) = not {
            if a == x {
                a = a.saturating_add(1);
            }
            if b == x {
                b = b.saturating_sub(1);
            }
        }
        self.ranges.retain(|r| r.0 != p);
        self.ranges.push((p, a, b));
        a <= b
    }

    /// Whether `a <= b` whatever the parameters' values on this path.
    fn le(&self, a: Bound, b: Bound) -> bool {
        match (a, b) {
            (Bound::Const(x), Bound::Const(y)) => x <= y,
            (Bound::Param(p, x), Bound::Param(q, y)) => p == q && x <= y,
            (Bound::Const(x), Bound::Param(p, y)) => {
                let lo = self.range(p).0;
                lo != i64::MIN && x as i128 <= lo as i128 + y as i128
            }
            (Bound::Param(p, x), Bound::Const(y)) => {
                let hi = self.range(p).1;
                hi != i64::MAX && hi as i128 + x as i128 <= y as i128
            }
        }
    }

    /// Whether the intervals written of region `k` cover `0 .. count`.
    fn covered(&self, k: usize, count: Value) -> bool {
        let Some(target) = bound_of(count) else {
            return false;
        };
        let mut reached = vec![Bound::Const(0)];
        let mut used = vec![false; self.written[k].len()];
        loop {
            if reached.iter().any(|r| self.le(target, *r)) {
                return true;
            }
            let mut grew = false;
            for (u, &(lo, hi)) in self.written[k].iter().enumerate() {
                // `[0, r)` and `[lo, hi)` with `lo <= r` cover `[0, hi)`
                if !used[u] && reached.iter().any(|r| self.le(lo, *r)) {
                    used[u] = true;
                    reached.push(hi);
                    grew = true;
                }
            }
            if !grew {
                return false;
            }
        }
    }
}

/// Per region of `extents` (in the canonical copy `copy` of a segment
/// function; `None`: not analysed), whether every step writes it whole
/// before it reads it (see the module documentation).
pub(crate) fn written_first(copy: Value, extents: &[Option<Extent>]) -> Vec<bool> {
    let none = vec![false; extents.len()];
    if extents.iter().all(|e| e.is_none()) {
        return none;
    }
    let cfg = Cfg::new(copy);
    let mut seen = hashbrown::HashSet::new();
    let mut stack = vec![copy.entry_block()];
    let mut reachable = Vec::new();
    while let Some(b) = stack.pop() {
        if seen.insert(b) {
            stack.extend(b.successors());
        }
    }
    reachable.extend(cfg.rpo.iter().copied().filter(|b| seen.contains(b)));
    let Ok(loops) = Loops::find(&cfg, &reachable) else {
        return none;
    };
    let outer: Vec<LoopId> = (0..loops.loops.len())
        .map(LoopId)
        .filter(|&l| loops.get(l).parent.is_none())
        .collect();
    let [seg] = outer.as_slice() else {
        return none;
    };
    let idom = dominators(&cfg, &reachable);
    let mut walk = Walk {
        loops: &loops,
        idom: &idom,
        seg: *seg,
        extents,
        failed: extents.iter().map(|e| e.is_none()).collect(),
        visits: 0,
        coverage: HashMap::new(),
    };
    let start = Path {
        ranges: Vec::new(),
        written: vec![Vec::new(); extents.len()],
        settled: vec![false; extents.len()],
    };
    if !walk.block(loops.get(*seg).header, start) {
        return none;
    }
    walk.failed.iter().map(|f| !f).collect()
}

struct Walk<'a> {
    loops: &'a Loops,
    idom: &'a HashMap<Block, Block>,
    seg: LoopId,
    extents: &'a [Option<Extent>],
    /// Per region: may be read before it is written whole.
    failed: Vec<bool>,
    visits: usize,
    /// Per loop of a step, the intervals it writes of each region.
    coverage: HashMap<LoopId, Vec<Option<(Bound, Bound)>>>,
}

impl Walk<'_> {
    /// Follows every path from `b` to the end of the step; false when the
    /// walk gave up (too many paths).
    fn block(&mut self, b: Block, mut path: Path) -> bool {
        self.visits += 1;
        if self.visits > MAX_VISITS {
            return false;
        }
        let lp = self.loops.loop_of(b);
        if lp != Some(self.seg) {
            // a loop of the step, taken whole
            let Some(mut l) = lp else {
                return false;
            };
            while self.loops.get(l).parent != Some(self.seg) {
                match self.loops.get(l).parent {
                    Some(p) => l = p,
                    None => return false,
                }
            }
            let blocks: Vec<Block> = self.loops.get(l).blocks.iter().copied().collect();
            for &x in &blocks {
                for i in x.instructions() {
                    self.reads(i, &mut path);
                }
            }
            let cov = self.loop_coverage(l);
            for (k, c) in cov.into_iter().enumerate() {
                if let Some(iv) = c {
                    path.written[k].push(iv);
                }
            }
            let mut exits = Vec::new();
            for &x in &blocks {
                for s in x.successors() {
                    if !self.loops.contains(l, s) && !exits.contains(&s) {
                        exits.push(s);
                    }
                }
            }
            return exits.into_iter().all(|s| self.next(s, path.clone()));
        }
        for i in b.instructions() {
            self.reads(i, &mut path);
            self.writes(i, &mut path);
        }
        let Some(t) = b.terminator() else {
            return true;
        };
        let succ = b.successors();
        // what a branch on `param <pred> constant` says on each edge
        if t.opcode() == Opcode::LLVMBr && succ.len() == 2 && t.operand(0).is_instruction() {
            let cond = t.operand(0);
            if cond.opcode() == Opcode::LLVMICmp {
                if let Some((p, pred, c)) = param_compare(cond) {
                    let mut yes = path.clone();
                    let mut no = path;
                    let feasible_yes = narrow(&mut yes, p, pred, c, true);
                    let feasible_no = narrow(&mut no, p, pred, c, false);
                    return (!feasible_yes || self.next(succ[0], yes))
                        && (!feasible_no || self.next(succ[1], no));
                }
            }
        }
        succ.into_iter().all(|s| self.next(s, path.clone()))
    }

    /// Goes on to `s`, or ends the path at the end of the step.
    fn next(&mut self, s: Block, path: Path) -> bool {
        let seg = self.loops.get(self.seg);
        if s == seg.header || !self.loops.contains(self.seg, s) {
            for (k, e) in self.extents.iter().enumerate() {
                if let Some((_, count, _)) = e {
                    if !self.failed[k] && !path.settled[k] && !path.covered(k, *count) {
                        self.failed[k] = true;
                    }
                }
            }
            return true;
        }
        self.block(s, path)
    }

    /// Regions `i` may read: those not yet covered on `path` fail.
    fn reads(&mut self, i: Value, path: &mut Path) {
        // (a call that may read anything: `unknown`)
        let mut unknown = false;
        let ptrs: Vec<Value> = match i.opcode() {
            Opcode::LLVMLoad => vec![i.operand(0)],
            Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => vec![i.operand(0)],
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                let name = i.called_name();
                let args = i.call_args();
                if ferment_activity_analysis::is_memcpy_like(&name) {
                    args.get(1).copied().into_iter().collect()
                } else if ferment_activity_analysis::is_memset_like(&name)
                    || name.starts_with("llvm.lifetime")
                    || name.starts_with("llvm.dbg")
                    || name.starts_with("llvm.assume")
                {
                    Vec::new()
                } else if name.starts_with("llvm.") || i.call_accesses_no_memory() {
                    args.into_iter().filter(|a| a.ty().is_pointer()).collect()
                } else {
                    unknown = true;
                    Vec::new()
                }
            }
            _ => return,
        };
        for (k, e) in self.extents.iter().enumerate() {
            let Some((base, count, _)) = e else { continue };
            if self.failed[k] || path.settled[k] {
                continue;
            }
            if unknown || ptrs.iter().any(|p| may_point_into(*p, *base)) {
                if path.covered(k, *count) {
                    path.settled[k] = true;
                } else {
                    self.failed[k] = true;
                }
            }
        }
    }

    /// The intervals a store or fill `i` outside the step's loops writes.
    fn writes(&self, i: Value, path: &mut Path) {
        for (k, e) in self.extents.iter().enumerate() {
            let Some((base, _, elem)) = *e else {
                continue;
            };
            if let Some(iv) = written_interval(i, base, elem) {
                path.written[k].push(iv);
            }
        }
    }

    /// Per region, the interval loop `l` writes on every instance: `[c,
    /// n)` for a store at index `iv` on every iteration of a counted loop
    /// `iv = c .. n` (memoized).
    fn loop_coverage(&mut self, l: LoopId) -> Vec<Option<(Bound, Bound)>> {
        if let Some(c) = self.coverage.get(&l) {
            return c.clone();
        }
        let mut out = vec![None; self.extents.len()];
        if let Some((iv, start, end, latch)) = counted(self.loops, l) {
            for &b in &self.loops.get(l).blocks {
                if self.loops.loop_of(b) != Some(l) || !dominates(self.idom, b, latch) {
                    continue;
                }
                for i in b.instructions() {
                    if i.opcode() != Opcode::LLVMStore || i.is_volatile_or_atomic() {
                        continue;
                    }
                    for (k, e) in self.extents.iter().enumerate() {
                        let Some((base, _, elem)) = *e else { continue };
                        if stored_bytes(i) == Some(elem)
                            && matches!(element_index(i.operand(1), base, elem),
                                Some(Index::Var(x)) if x.strip_int_ext() == iv)
                        {
                            out[k] = Some((Bound::Const(start), end));
                        }
                    }
                }
            }
        }
        self.coverage.insert(l, out.clone());
        out
    }
}

/// Whether pointer `p` may point into the region whose pointer is the
/// parameter `base`: through `base` itself, or through a pointer of unknown
/// origin (other parameters point elsewhere, see
/// [`crate::frontend::loops::CHECKPOINT_EXTENTS`]; locals and globals are
/// no region reached through a parameter).
fn may_point_into(p: Value, base: Value) -> bool {
    if !p.ty().is_pointer() {
        return false;
    }
    underlying_objects(p).into_iter().any(|o| {
        o == base
            || !(o.is_argument()
                || o.is_global()
                || o.is_null_constant()
                || allocation_kind(o).is_some())
    })
}

/// `(param, predicate, constant)` of `icmp` `cond` between an integer
/// parameter and a constant (swapped to put the parameter first).
fn param_compare(cond: Value) -> Option<(Value, IntPredicate, i64)> {
    use IntPredicate::*;
    let (a, b) = (cond.operand(0), cond.operand(1));
    let pred = cond.icmp_predicate()?;
    if a.is_argument() && a.ty().is_integer() {
        return Some((a, pred, b.const_int()?));
    }
    if b.is_argument() && b.ty().is_integer() {
        let swapped = match pred {
            LLVMIntEQ => LLVMIntEQ,
            LLVMIntNE => LLVMIntNE,
            LLVMIntSLT => LLVMIntSGT,
            LLVMIntSLE => LLVMIntSGE,
            LLVMIntSGT => LLVMIntSLT,
            LLVMIntSGE => LLVMIntSLE,
            _ => return None,
        };
        return Some((b, swapped, a.const_int()?));
    }
    None
}

/// Narrows `path` by `p <pred> c` holding (`holds`) or not; false when
/// the edge cannot be taken. Unsigned compares say nothing here.
fn narrow(path: &mut Path, p: Value, pred: IntPredicate, c: i64, holds: bool) -> bool {
    use IntPredicate::*;
    let (min, max) = (i64::MIN, i64::MAX);
    let pred = if holds {
        pred
    } else {
        match pred {
            LLVMIntEQ => LLVMIntNE,
            LLVMIntNE => LLVMIntEQ,
            LLVMIntSLT => LLVMIntSGE,
            LLVMIntSLE => LLVMIntSGT,
            LLVMIntSGT => LLVMIntSLE,
            LLVMIntSGE => LLVMIntSLT,
            _ => return true,
        }
    };
    // (an i32 parameter's range is within i64's: the constants are its
    // sign-extended values)
    match pred {
        LLVMIntEQ => path.narrow(p, c, c, None),
        LLVMIntNE => path.narrow(p, min, max, Some(c)),
        LLVMIntSLT => c != min && path.narrow(p, min, c - 1, None),
        LLVMIntSLE => path.narrow(p, min, c, None),
        LLVMIntSGT => c != max && path.narrow(p, c + 1, max, None),
        LLVMIntSGE => path.narrow(p, c, max, None),
        _ => true,
    }
}

/// A loop bound as a [`Bound`]: a constant, or a parameter (possibly
/// extended) plus a constant.
fn bound_of(v: Value) -> Option<Bound> {
    if let Some(c) = v.const_int() {
        return Some(Bound::Const(c));
    }
    let v = v.strip_int_ext();
    if v.is_argument() && v.ty().is_integer() {
        return Some(Bound::Param(v, 0));
    }
    if v.is_instruction() && v.opcode() == Opcode::LLVMAdd {
        let (a, c) = (v.operand(0).strip_int_ext(), v.operand(1).const_int()?);
        if a.is_argument() && a.ty().is_integer() {
            return Some(Bound::Param(a, c));
        }
    }
    None
}

/// For a counted loop `l` — an induction `iv = phi [c, outside], [iv + 1,
/// inside]` with a constant start, one exiting block (the latch, testing
/// `iv + 1`, or the header, testing `iv`) that leaves when the tested
/// value reaches a loop-invariant bound `n` (`==`, or `<` failing) — `(iv,
/// c, n, latch)`: its body (blocks that dominate the latch) runs for every
/// `iv` in `c .. n`.
fn counted(loops: &Loops, l: LoopId) -> Option<(Value, i64, Bound, Block)> {
    use IntPredicate::*;
    let lo = loops.get(l);
    let [latch] = lo.latches.as_slice() else {
        return None;
    };
    let exiting: Vec<Block> = lo
        .blocks
        .iter()
        .copied()
        .filter(|b| b.successors().iter().any(|s| !lo.blocks.contains(s)))
        .collect();
    let [e] = exiting.as_slice() else {
        return None;
    };
    if *e != *latch && *e != lo.header {
        return None;
    }
    let br = e.terminator()?;
    let succ = e.successors();
    if br.opcode() != Opcode::LLVMBr || succ.len() != 2 {
        return None;
    }
    let cond = br.operand(0);
    if !cond.is_instruction() || cond.opcode() != Opcode::LLVMICmp {
        return None;
    }
    // the edge taken when the compare holds stays in the loop?
    let stay_if = lo.blocks.contains(&succ[0]);
    for iv in lo.header.phis() {
        if !iv.ty().is_integer() {
            continue;
        }
        let inc = iv.incoming();
        let (Some(&(start, _)), Some(&(next, _))) = (
            inc.iter().find(|(_, b)| !lo.blocks.contains(b)),
            inc.iter().find(|(_, b)| lo.blocks.contains(b)),
        ) else {
            continue;
        };
        let (Some(c0), true) = (start.const_int(), inc.len() == 2) else {
            continue;
        };
        let steps_by_one = next.is_instruction()
            && next.opcode() == Opcode::LLVMAdd
            && ((next.operand(0) == iv && next.operand(1).const_int() == Some(1))
                || (next.operand(1) == iv && next.operand(0).const_int() == Some(1)));
        if !steps_by_one {
            continue;
        }
        let tested = if *e == *latch && *e != lo.header {
            next
        } else if *e == lo.header && *e != *latch {
            iv
        } else {
            // a one-block loop tests `iv + 1` at its latch
            next
        };
        let (a, b) = (cond.operand(0), cond.operand(1));
        let pred = cond.icmp_predicate()?;
        // (bound, whether the compare holding means "stay")
        let (n, stay) = match pred {
            LLVMIntEQ | LLVMIntNE if a == tested => (b, pred == LLVMIntNE),
            LLVMIntEQ | LLVMIntNE if b == tested => (a, pred == LLVMIntNE),
            LLVMIntSLT | LLVMIntULT if a == tested => (b, true),
            LLVMIntSGT | LLVMIntUGT if b == tested => (a, true),
            LLVMIntSGE | LLVMIntUGE if a == tested => (b, false),
            LLVMIntSLE | LLVMIntULE if b == tested => (a, false),
            _ => continue,
        };
        // (an unsigned compare from a negative start leaves at once)
        let unsigned = matches!(pred, LLVMIntULT | LLVMIntUGT | LLVMIntUGE | LLVMIntULE);
        if stay != stay_if || (unsigned && c0 < 0) {
            continue;
        }
        if n.is_instruction() && lo.blocks.contains(&n.parent()) {
            continue;
        }
        let Some(end) = bound_of(n) else { continue };
        return Some((iv, c0, end, *latch));
    }
    None
}

/// Bytes a store writes (its value's type size).
fn stored_bytes(store: Value) -> Option<i64> {
    let m = store.function_of().global_parent();
    Some(m.alloc_size(store.operand(0).ty()) as i64)
}

/// Where an address is, in elements from a region's start.
enum Index {
    Const(i64),
    Var(Value),
}

/// The element index `addr` is at from `base` in `elem`-byte elements:
/// `base` itself (0), `gep T, base, x` with `T` of `elem` bytes (`x`), or
/// `gep i8, base, c` with `c` a multiple of `elem`.
fn element_index(addr: Value, base: Value, elem: i64) -> Option<Index> {
    if addr == base {
        return Some(Index::Const(0));
    }
    if !addr.is_instruction()
        || addr.opcode() != Opcode::LLVMGetElementPtr
        || addr.num_operands() != 2
        || addr.operand(0) != base
    {
        return None;
    }
    let m = addr.function_of().global_parent();
    let size = m.alloc_size(addr.gep_source_element_type()?) as i64;
    let idx = addr.operand(1);
    match idx.const_int() {
        Some(c) if size == elem => Some(Index::Const(c)),
        Some(c) if size == 1 && c % elem == 0 => Some(Index::Const(c / elem)),
        None if size == elem => Some(Index::Var(idx)),
        _ => None,
    }
}

/// The interval a store, `memset` or `memcpy` `i` outside the step's
/// loops writes of the region at parameter `base`, of `elem`-byte
/// elements: one element at a constant index, or a fill or copy of
/// `c * elem` bytes (`c` a constant or a parameter) from the start.
fn written_interval(i: Value, base: Value, elem: i64) -> Option<(Bound, Bound)> {
    if i.opcode() == Opcode::LLVMStore {
        if i.is_volatile_or_atomic() || stored_bytes(i) != Some(elem) {
            return None;
        }
        return match element_index(i.operand(1), base, elem)? {
            Index::Const(c) => Some((Bound::Const(c), Bound::Const(c.checked_add(1)?))),
            Index::Var(_) => None,
        };
    }
    if !i.is_call() {
        return None;
    }
    let name = i.called_name();
    if !ferment_activity_analysis::is_memcpy_like(&name)
        && !ferment_activity_analysis::is_memset_like(&name)
    {
        return None;
    }
    let args = i.call_args();
    if args.len() < 3 || !matches!(element_index(args[0], base, elem)?, Index::Const(0)) {
        return None;
    }
    let len = args[2];
    let end = if let Some(l) = len.const_int() {
        (l % elem == 0).then_some(Bound::Const(l / elem))?
    } else {
        let len = len.strip_int_ext();
        if !len.is_instruction() {
            return None;
        }
        let (x, c) = (len.operand(0), len.operand(1));
        let n = match len.opcode() {
            Opcode::LLVMMul if c.const_int() == Some(elem) => x,
            Opcode::LLVMMul if x.const_int() == Some(elem) => c,
            Opcode::LLVMShl
                if c.const_int()
                    .is_some_and(|s| (0..16).contains(&s) && 1i64 << s == elem) =>
            {
                x
            }
            _ => return None,
        };
        match bound_of(n)? {
            b @ Bound::Param(_, 0) => b,
            _ => return None,
        }
    };
    Some((Bound::Const(0), end))
}
