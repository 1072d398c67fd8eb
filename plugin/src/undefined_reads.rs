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

use ferment_ir::{Block, Builder, Opcode, Value};
use ferment_type_analysis::Layout;
use hashbrown::HashMap;

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
                    let name = u.called_function().map(|g| g.name()).unwrap_or_default();
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
                        _ => Access::Opaque(u),
                    };
                    acc.push(access);
                }
                _ => acc.push(Access::Opaque(u)),
            }
        }
    }
    Some(acc)
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
                    // (it may keep the address, and a write through that
                    // may follow a lifetime marker)
                    Access::Opaque(u) if reach.can_precede(u, copy, slot, &[]) => known = false,
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
