//! Reads of stack bytes that nothing writes, in a canonical copy: they
//! become `undef` (what LLVM's own promotion of such a slot gives), and
//! stores of them go away. SROA splits a struct copy into one load and
//! store per field, padding and empty members included (Eigen's `Block`
//! copies an empty `variable_if_dynamic` member's eight bytes as an
//! `i64`); where the slot's other bytes stay in memory, such a load of
//! bytes no instruction writes stays too. Type analysis knows nothing of
//! those bytes, so the reverse sweep stopped on an integer copy that "may
//! hold floating-point data". No float was ever there: the bytes are
//! undefined.
//!
//! Only `alloca`s whose every use is understood take part: constant-offset
//! GEPs and casts, loads, stores into them (not of their address), memory
//! intrinsics with a constant length, lifetime markers. Any other use (a
//! call, a phi, the address stored or compared) may write anything and
//! leaves the slot alone.

use crate::cfg::Cfg;
use ferment_activity_analysis::{
    allocation_kind, is_free_like, is_memcpy_like, is_memset_like, underlying_objects, AllocKind,
    ALLOC_LIKE_PREFIX, FREE_LIKE_PREFIX,
};
use ferment_ir::{Block, Builder, Opcode, Value};
use ferment_type_analysis::Layout;
use hashbrown::{HashMap, HashSet};

/// The stack slots of `f`.
fn allocas(f: Value) -> Vec<Value> {
    f.instructions()
        .into_iter()
        .filter(|i| i.opcode() == Opcode::LLVMAlloca)
        .collect()
}

/// Replaces loads of never-written bytes of the stack slots in `f` by
/// `undef`; returns how many.
pub fn undefine_unwritten_reads(f: Value) -> usize {
    let module = f.global_parent();
    let layout = Layout::new(module);
    let b = Builder::new(module);
    let mut count = 0;
    // Allocas only: the loads erased below are in the same list.
    let slots = allocas(f);
    for slot in slots {
        let Some(accesses) = accesses(&layout, slot) else {
            continue;
        };
        let written = |lo: i64, hi: i64| accesses.writes.iter().any(|&(a, z)| a < hi && lo < z);
        for (load, lo, hi) in accesses.loads {
            if written(lo, hi) {
                continue;
            }
            for u in load.users() {
                if u.opcode() == Opcode::LLVMStore && u.operand(0) == load {
                    u.erase();
                }
            }
            load.replace_all_uses_with(b.undef(load.ty()));
            load.erase();
            count += 1;
        }
    }
    count
}

/// One use of a stack slot, at byte offsets from its start.
enum Access {
    /// A load of bytes `lo..hi`.
    Load(Value, i64, i64),
    /// A store, `memset` or copy into bytes `lo..hi`; `zero` for a
    /// `memset` to zero.
    Write {
        at: Value,
        lo: i64,
        hi: i64,
        zero: bool,
    },
    /// A `memcpy`/`memmove` of constant length reading from offset `lo`.
    CopySource(Value, i64),
    /// A use that may write anything (a call, a phi, the address stored
    /// or compared).
    Opaque(Value),
    /// `llvm.lifetime.start`/`end`: the bytes are undefined after it.
    Lifetime(Value),
}

/// Every use of `slot`, through constant-offset GEPs and casts; `None`
/// when a use is not an instruction or there are too many.
fn slot_uses(layout: &Layout, slot: Value) -> Option<Vec<Access>> {
    let mut acc = Vec::new();
    let mut work = vec![(slot, 0i64)];
    let mut seen = 0usize;
    while let Some((p, off)) = work.pop() {
        seen += 1;
        if seen > 4096 {
            return None;
        }
        for u in p.users() {
            if !u.is_instruction() {
                return None;
            }
            match u.opcode() {
                Opcode::LLVMGetElementPtr if u.operand(0) == p => {
                    let g = layout.gep_offset(u);
                    if !g.exact || g.offsets.len() != 1 {
                        acc.push(Access::Opaque(u));
                        continue;
                    }
                    work.push((u, off + g.offsets[0]));
                }
                Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast => work.push((u, off)),
                Opcode::LLVMLoad if !u.is_volatile_or_atomic() => {
                    let n = layout.store_size(u.ty());
                    acc.push(Access::Load(u, off, off + n));
                }
                Opcode::LLVMStore if u.operand(1) == p && u.operand(0) != p => {
                    let n = layout.store_size(u.operand(0).ty());
                    acc.push(Access::Write {
                        at: u,
                        lo: off,
                        hi: off + n,
                        zero: false,
                    });
                }
                Opcode::LLVMCall => {
                    let name = u.called_name();
                    let args = u.call_args();
                    if name.starts_with("llvm.lifetime.") {
                        acc.push(Access::Lifetime(u));
                        continue;
                    }
                    let len = args.get(2).and_then(|l| l.const_int());
                    let volatile = args
                        .get(3)
                        .and_then(|v| v.const_int())
                        .is_some_and(|v| v != 0);
                    let access = match len.filter(|_| !volatile) {
                        Some(n) if name.starts_with("llvm.memset") && args[0] == p => {
                            Access::Write {
                                at: u,
                                lo: off,
                                hi: off + n,
                                zero: args[1].const_int() == Some(0),
                            }
                        }
                        Some(n)
                            if (name.starts_with("llvm.memcpy")
                                || name.starts_with("llvm.memmove"))
                                && (args[0] == p || args[1] == p) =>
                        {
                            // a copy within the slot is both
                            if args[1] == p {
                                acc.push(Access::CopySource(u, off));
                            }
                            if args[0] != p {
                                continue;
                            }
                            Access::Write {
                                at: u,
                                lo: off,
                                hi: off + n,
                                zero: false,
                            }
                        }
                        _ => match callee_writes(layout, u, p, 0) {
                            // A defined callee that writes only known bytes
                            // through the address and keeps it nowhere.
                            Some(ranges) => {
                                acc.extend(ranges.into_iter().map(|(lo, hi)| Access::Write {
                                    at: u,
                                    lo: off + lo,
                                    hi: off + hi,
                                    zero: false,
                                }));
                                continue;
                            }
                            None => Access::Opaque(u),
                        },
                    };
                    acc.push(access);
                }
                _ => acc.push(Access::Opaque(u)),
            }
        }
    }
    Some(acc)
}

/// The byte ranges (from `p`) that the direct call `call` of a defined
/// function may write through its arguments equal to `p`; `None` when the
/// callee may keep the address (stores it anywhere but a stack slot it only
/// reads back, as -O0 spills parameters), return it, or write through it
/// at offsets not known, or calls what is not known in the same way
/// (`depth` levels of callees are followed).
fn callee_writes(layout: &Layout, call: Value, p: Value, depth: u32) -> Option<Vec<(i64, i64)>> {
    let f = call.called_function()?;
    if depth > 3 || f.is_declaration() || call.operand(call.num_operands() - 1) != f {
        return None;
    }
    let params = f.params();
    let args = call.call_args();
    let mut out = Vec::new();
    for (k, _) in args.iter().enumerate().filter(|(_, a)| **a == p) {
        out.extend(param_writes(layout, *params.get(k)?, depth)?);
    }
    Some(out)
}

/// The byte ranges a function may write through its parameter `param`
/// ([`callee_writes`]).
fn param_writes(layout: &Layout, param: Value, depth: u32) -> Option<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    let mut work = vec![(param, 0i64)];
    let mut seen = 0usize;
    while let Some((v, off)) = work.pop() {
        seen += 1;
        if seen > 512 {
            return None;
        }
        for u in v.users() {
            if !u.is_instruction() {
                return None;
            }
            match u.opcode() {
                Opcode::LLVMGetElementPtr if u.operand(0) == v => {
                    let g = layout.gep_offset(u);
                    if !g.exact || g.offsets.len() != 1 {
                        return None;
                    }
                    work.push((u, off + g.offsets[0]));
                }
                Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast => work.push((u, off)),
                Opcode::LLVMLoad if !u.is_volatile_or_atomic() => {}
                Opcode::LLVMICmp => {}
                Opcode::LLVMStore if u.is_volatile_or_atomic() => return None,
                Opcode::LLVMStore if u.operand(1) == v && u.operand(0) != v => {
                    out.push((off, off + layout.store_size(u.operand(0).ty())));
                }
                Opcode::LLVMStore if u.operand(0) == v && u.operand(1) != v => {
                    // Spilled to a stack slot that is only read back.
                    let slot = u.operand(1);
                    if slot.opcode() != Opcode::LLVMAlloca || !slot.is_instruction() {
                        return None;
                    }
                    for r in slot.users() {
                        if r == u {
                            continue;
                        }
                        if r.opcode() == Opcode::LLVMLoad
                            && !r.is_volatile_or_atomic()
                            && r.ty() == v.ty()
                        {
                            work.push((r, off));
                        } else if !(r.is_call()
                            && r.called_function()
                                .is_some_and(|g| g.name().starts_with("llvm.lifetime.")))
                        {
                            return None;
                        }
                    }
                }
                Opcode::LLVMCall => {
                    let name = u.called_name();
                    let a = u.call_args();
                    if name.starts_with("llvm.lifetime.") {
                        continue;
                    }
                    let len = a.get(2).and_then(|l| l.const_int());
                    let volatile = a.get(3).and_then(|x| x.const_int()).is_some_and(|x| x != 0);
                    let memset = name.starts_with("llvm.memset");
                    let copy = name.starts_with("llvm.memcpy") || name.starts_with("llvm.memmove");
                    match len.filter(|_| !volatile) {
                        Some(n) if (memset || copy) && a[0] == v && (memset || a[1] != v) => {
                            out.push((off, off + n))
                        }
                        Some(_) if copy && a[1] == v && a[0] != v => {}
                        _ => {
                            let inner = callee_writes(layout, u, v, depth + 1)?;
                            out.extend(inner.into_iter().map(|(lo, hi)| (off + lo, off + hi)));
                        }
                    }
                }
                _ => return None,
            }
        }
    }
    Some(out)
}

/// The byte ranges of a slot that its uses write, and its loads.
struct Accesses {
    writes: Vec<(i64, i64)>,
    loads: Vec<(Value, i64, i64)>,
}

/// Every access of `slot` at a constant offset, or `None` when some use
/// may write it in a way not tracked here.
fn accesses(layout: &Layout, slot: Value) -> Option<Accesses> {
    let mut acc = Accesses {
        writes: Vec::new(),
        loads: Vec::new(),
    };
    for a in slot_uses(layout, slot)? {
        match a {
            Access::Load(l, lo, hi) => acc.loads.push((l, lo, hi)),
            Access::Write { lo, hi, .. } => acc.writes.push((lo, hi)),
            Access::CopySource(..) | Access::Lifetime(_) => {}
            Access::Opaque(_) => return None,
        }
    }
    Some(acc)
}

/// Copies (`memcpy`/`memmove` of constant length) out of a stack slot
/// whose copied bytes no write that can run before the copy defines, or
/// only a `memset` to zero: those bytes are undefined or zero, so the
/// copy stores zeros there (a `memset`; undefined bytes may be taken as
/// any value) and copies only the rest. The bytes of a `std::function`
/// holding a captureless lambda (cleared, never written), or the padding
/// of an Eigen expression, carry no derivative; type analysis knows
/// nothing of them, so the reverse sweep could not tell whether their
/// adjoints were floats or pointers. Uses that may write anything (a call
/// taking the slot's address) count only where they can run before the
/// copy. Returns how many copies changed.
pub fn zero_unwritten_copies(f: Value) -> usize {
    let module = f.global_parent();
    let layout = Layout::new(module);
    let b = Builder::new(module);
    let mut count = 0;
    let slots = allocas(f);
    let mut reach = Reach::default();
    let cfg = Cfg::new(f);
    for slot in slots {
        let Some(uses) = slot_uses(&layout, slot) else {
            continue;
        };
        let kills: Vec<Value> = uses
            .iter()
            .filter_map(|a| match a {
                Access::Lifetime(l) => Some(*l),
                _ => None,
            })
            .collect();
        for a in &uses {
            let &Access::CopySource(copy, from) = a else {
                continue;
            };
            let Some(n) = copy.call_args()[2].const_int().filter(|n| *n > 0) else {
                continue;
            };
            let to = from + n;
            // The bytes some write that can run before the copy defines.
            let mut live: Vec<(i64, i64)> = Vec::new();
            let mut known = true;
            let mut quiet = None;
            for w in &uses {
                match *w {
                    Access::Write { at, lo, hi, zero } if lo < to && from < hi => {
                        if !zero && at != copy && reach.can_precede(at, copy, slot, &kills) {
                            live.push((lo.max(from), hi.min(to)));
                        } else if at == copy && !zero {
                            // a copy within the slot over its own source
                            known = false;
                        }
                    }
                    // It may keep the address, and a write through that may
                    // follow a lifetime marker: harmless only where every
                    // path from it to the copy passes a marker and nothing
                    // after the last marker may write through a kept address.
                    Access::Opaque(u)
                        if reach.can_precede(u, copy, slot, &[])
                            && (reach.can_precede(u, copy, slot, &kills)
                                || !*quiet.get_or_insert_with(|| {
                                    no_stray_writes(&cfg, copy, &kills)
                                })) =>
                    {
                        known = false
                    }
                    _ => {}
                }
            }
            if !known {
                continue;
            }
            let runs = runs_of(from, to, &mut live);
            if !runs.iter().any(|r| !r.2) || runs.len() > 8 {
                continue;
            }
            let args = copy.call_args();
            let is_move = copy
                .called_function()
                .is_some_and(|g| g.name().starts_with("llvm.memmove"));
            b.before(copy);
            for (lo, hi, defined) in runs {
                let at = (lo - from) as u64;
                let len = b.const_int(args[2].ty(), hi - lo);
                let dst = b.gep_i8(args[0], at);
                let new = if defined {
                    let src = b.gep_i8(args[1], at);
                    if is_move {
                        b.memmove(dst, src, len)
                    } else {
                        b.memcpy(dst, src, len)
                    }
                } else {
                    b.memset(dst, b.const_int(b.i8(), 0), len)
                };
                new.copy_debug_loc(copy);
            }
            copy.erase();
            count += 1;
        }
    }
    count
}

/// Whether no instruction that runs after the last of the `kills` (a stack
/// slot's lifetime markers) before `at` may write through an address a
/// call kept earlier: every write on a marker-free path into `at` goes
/// through a pointer into a stack slot, a parameter's or a global's memory
/// or a fresh allocation (none of which is an address read from memory
/// or returned by a call), and every call there is an allocation, a
/// deallocation or an intrinsic that writes nothing or only such memory.
fn no_stray_writes(cfg: &Cfg, at: Value, kills: &[Value]) -> bool {
    let known_target = |p: Value| {
        underlying_objects(p)
            .into_iter()
            .all(|o| o.is_argument() || o.is_global() || allocation_kind(o).is_some())
    };
    let harmless = |i: Value| -> bool {
        match i.opcode() {
            Opcode::LLVMStore => known_target(i.operand(1)),
            Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => known_target(i.operand(0)),
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                let name = i.called_name();
                let args = i.call_args();
                // The C and C++ allocators and deallocators themselves (not
                // user functions declared allocation- or free-like, which
                // may do anything, nor `posix_memalign`'s out-parameter).
                let user =
                    name.starts_with(ALLOC_LIKE_PREFIX) || name.starts_with(FREE_LIKE_PREFIX);
                let fresh = matches!(
                    allocation_kind(i),
                    Some(AllocKind::Heap { .. } | AllocKind::Calloc)
                );
                if !user && (fresh || is_free_like(&name)) {
                    return true;
                }
                if is_memset_like(&name) || is_memcpy_like(&name) {
                    return name.starts_with("llvm.") && known_target(args[0]);
                }
                name.starts_with("llvm.lifetime.")
                    || name.starts_with("llvm.dbg.")
                    || name == "llvm.assume"
                    || i.call_accesses_no_memory()
            }
            Opcode::LLVMVAArg | Opcode::LLVMCallBr => false,
            _ => true,
        }
    };
    // Backwards from `at`, through each block up to a marker.
    let start = at.parent();
    let mut work = vec![(start, at.prev_instruction())];
    let mut seen: HashSet<Block> = HashSet::new();
    while let Some((blk, mut cur)) = work.pop() {
        let mut open = true;
        while let Some(i) = cur {
            if kills.contains(&i) {
                open = false;
                break;
            }
            if !harmless(i) {
                return false;
            }
            cur = i.prev_instruction();
        }
        if !open {
            continue;
        }
        for &p in cfg.preds(blk) {
            if seen.insert(p) {
                work.push((p, p.terminator()));
            }
        }
    }
    true
}

/// `from..to` cut into runs `(lo, hi, defined)`: bytes inside one of the
/// `live` ranges (sorted here) are defined.
fn runs_of(from: i64, to: i64, live: &mut [(i64, i64)]) -> Vec<(i64, i64, bool)> {
    live.sort();
    let mut runs = Vec::new();
    let mut at = from;
    for &(lo, hi) in live.iter() {
        if hi <= at {
            continue;
        }
        if lo > at {
            runs.push((at, lo, false));
            at = lo;
        }
        match runs.last_mut() {
            Some(r) if r.2 && r.1 == at => r.1 = hi,
            _ => runs.push((at, hi, true)),
        }
        at = hi;
    }
    if at < to {
        runs.push((at, to, false));
    }
    runs
}

/// Which blocks reach which without passing a slot's lifetime marker
/// (memoized per slot).
#[derive(Default)]
struct Reach(HashMap<(Block, Block, Value, bool), bool>);

impl Reach {
    /// Whether `w` can run before `at` in one call of the function with the
    /// slot's bytes kept in between: on a path from `w` to `at` (later in
    /// its block, or through blocks reaching `at`'s) that passes none of the
    /// `kills` (the slot's lifetime markers, after which its bytes are
    /// undefined).
    fn can_precede(&mut self, w: Value, at: Value, slot: Value, kills: &[Value]) -> bool {
        let (wb, ab) = (w.parent(), at.parent());
        // from `w` to the end of its block
        let mut cur = w.next_instruction();
        while let Some(i) = cur {
            if i == at {
                return true;
            }
            if kills.contains(&i) {
                return false;
            }
            cur = i.next_instruction();
        }
        // from the start of `at`'s block to `at`
        let mut cur = ab.first_instruction();
        while let Some(i) = cur {
            if i == at {
                break;
            }
            if kills.contains(&i) {
                return false;
            }
            cur = i.next_instruction();
        }
        let killing = |b: Block| kills.iter().any(|k| k.parent() == b);
        *self
            .0
            .entry((wb, ab, slot, kills.is_empty()))
            .or_insert_with(|| {
                let mut seen = Vec::new();
                let mut work = wb.successors();
                while let Some(blk) = work.pop() {
                    if blk == ab {
                        return true;
                    }
                    if seen.contains(&blk) || killing(blk) {
                        continue;
                    }
                    seen.push(blk);
                    work.extend(blk.successors());
                }
                false
            })
    }
}
