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

use ferment_ir::{Builder, Opcode, Value};
use ferment_type_analysis::Layout;

/// Replaces loads of never-written bytes of the stack slots in `f` by
/// `undef`; returns how many.
pub fn undefine_unwritten_reads(f: Value) -> usize {
    let module = f.global_parent();
    let layout = Layout::new(module);
    let b = Builder::new(module);
    let mut count = 0;
    // Allocas only: the loads erased below are in the same list.
    let slots: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| i.opcode() == Opcode::LLVMAlloca)
        .collect();
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
                        return None;
                    }
                    work.push((u, off + g.offsets[0]));
                }
                Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast => work.push((u, off)),
                Opcode::LLVMLoad if !u.is_volatile_or_atomic() => {
                    let n = layout.store_size(u.ty());
                    acc.loads.push((u, off, off + n));
                }
                Opcode::LLVMStore if u.operand(1) == p && u.operand(0) != p => {
                    let n = layout.store_size(u.operand(0).ty());
                    acc.writes.push((off, off + n));
                }
                Opcode::LLVMCall => {
                    let name = u.called_function().map(|g| g.name()).unwrap_or_default();
                    let args = u.call_args();
                    if name.starts_with("llvm.lifetime.") {
                        continue;
                    }
                    let mem = name.starts_with("llvm.memcpy")
                        || name.starts_with("llvm.memmove")
                        || name.starts_with("llvm.memset");
                    let len = args.get(2).and_then(|l| l.const_int());
                    match (mem, len) {
                        // Read from: no write to this slot (a copy within
                        // the slot also writes through its destination,
                        // seen as that use).
                        (true, Some(_)) if name.starts_with("llvm.memset") => {
                            if args[0] != p {
                                return None;
                            }
                            acc.writes.push((off, off + len.unwrap_or(0)));
                        }
                        (true, Some(n)) => {
                            if args[0] == p {
                                acc.writes.push((off, off + n));
                            }
                            if args[0] != p && args[1] != p {
                                return None;
                            }
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }
    Some(acc)
}
