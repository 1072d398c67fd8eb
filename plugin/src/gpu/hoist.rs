//! GPU memory order of derivative code: loads moved above the stores that
//! precede them in a block.
//!
//! A reverse sweep reads an adjoint and clears it (`d = dy[i]; dy[i] = 0`)
//! and then accumulates into another shadow (`dx[i] += ...`), so each of its
//! loads comes after a store of the same thread. On a GPU that order is
//! slow: measured on an H200 with a pointwise kernel over 4M doubles, the
//! same five accesses took 230 us in that order and 69 us with the loads
//! first (the hand-written adjoint, which does not clear `dy`: 42 us).
//! LLVM does not reorder them: the arrays may be the same.
//!
//! Role: in each block of ferment's functions on NVPTX, a plain load moves
//! up past plain stores of the same type when both accesses are aligned to
//! that type's size (two such accesses are then the same memory or
//! disjoint); the value the load would have read where it was is recovered
//! with one select per store it passed, `address == store address ? stored
//! value : loaded value`. Calls that may touch memory, atomics, fences,
//! volatile accesses and other stores stop the motion; pure address
//! arithmetic of the block moves along with the load.

use ferment_ir::{Block, Builder, IntPredicate, Module, Opcode, Value};
use hashbrown::HashSet;

/// At most this many stores are passed by one load (one select each).
const MAX_PASSED: usize = 8;

/// Moves the loads of `f`'s blocks above earlier stores where that is
/// allowed (see the module's documentation). Returns whether it changed `f`.
pub fn hoist_loads(module: Module, f: Value) -> bool {
    let mut changed = false;
    for blk in f.blocks() {
        changed |= hoist_in_block(module, blk);
    }
    changed
}

fn hoist_in_block(module: Module, blk: Block) -> bool {
    let loads: Vec<Value> = blk
        .instructions()
        .into_iter()
        .filter(|i| i.opcode() == Opcode::LLVMLoad && !i.is_volatile_or_atomic())
        .collect();
    let mut changed = false;
    for load in loads {
        changed |= hoist_load(module, load);
    }
    changed
}

/// The in-block pure instructions `load`'s address is computed by, and the
/// impure instructions of the block it depends on (the load cannot pass
/// those).
fn address_chain(load: Value) -> (HashSet<Value>, Vec<Value>) {
    let blk = load.parent();
    let mut chain = HashSet::new();
    let mut impure = Vec::new();
    let mut work = vec![load.operand(0)];
    while let Some(v) = work.pop() {
        if !v.is_instruction() || v.parent() != blk || chain.contains(&v) {
            continue;
        }
        if is_pure(v) {
            chain.insert(v);
            work.extend(v.operands());
        } else {
            impure.push(v);
        }
    }
    (chain, impure)
}

/// Instructions that compute without memory or control effects and may be
/// moved anywhere their operands are available.
fn is_pure(v: Value) -> bool {
    use Opcode::*;
    matches!(
        v.opcode(),
        LLVMGetElementPtr
            | LLVMBitCast
            | LLVMAddrSpaceCast
            | LLVMPtrToInt
            | LLVMIntToPtr
            | LLVMAdd
            | LLVMSub
            | LLVMMul
            | LLVMShl
            | LLVMLShr
            | LLVMAShr
            | LLVMAnd
            | LLVMOr
            | LLVMXor
            | LLVMSExt
            | LLVMZExt
            | LLVMTrunc
            | LLVMICmp
            | LLVMSelect
    )
}

/// Whether a call lets loads and stores move across it: it touches no
/// memory (by its attributes, or libdevice math taking no pointer).
fn call_is_transparent(call: Value) -> bool {
    call.call_accesses_no_memory() || super::is_libdevice_math(call)
}

fn hoist_load(module: Module, load: Value) -> bool {
    let ty = load.ty();
    let size = module.alloc_size(ty);
    if size == 0 || (load.alignment() as u64) < size || !size.is_power_of_two() {
        return false;
    }
    let (chain, impure) = address_chain(load);
    let space = load.operand(0).address_space();
    // Walk up from the load: `passed` are the stores it will pass, `first`
    // the earliest instruction it passes.
    let mut passed: Vec<Value> = Vec::new();
    let mut first: Option<Value> = None;
    let mut cur = load.prev_instruction();
    while let Some(i) = cur {
        if i.opcode() == Opcode::LLVMPHI || impure.contains(&i) {
            break;
        }
        let stop = match i.opcode() {
            Opcode::LLVMStore => {
                let (v, p) = (i.operand(0), i.operand(1));
                let same_space = p.address_space() == space;
                let other_space = !same_space && space != 0 && p.address_space() != 0;
                if i.is_volatile_or_atomic() {
                    true
                } else if other_space {
                    false // distinct address spaces never overlap
                } else if !same_space
                    || v.ty() != ty
                    || (i.alignment() as u64) < size
                    || passed.len() == MAX_PASSED
                {
                    true
                } else {
                    passed.push(i);
                    false
                }
            }
            Opcode::LLVMCall => !call_is_transparent(i),
            Opcode::LLVMLoad => i.is_volatile_or_atomic(),
            Opcode::LLVMAtomicRMW
            | Opcode::LLVMAtomicCmpXchg
            | Opcode::LLVMFence
            | Opcode::LLVMInvoke
            | Opcode::LLVMVAArg => true,
            _ => false,
        };
        if stop {
            break;
        }
        first = Some(i);
        cur = i.prev_instruction();
    }
    let Some(first) = first else { return false };
    if passed.is_empty() {
        return false;
    }
    // Move the address arithmetic (in block order), then the load, above
    // the first instruction passed that is not address arithmetic.
    let after = load.next_instruction();
    let mut range = Vec::new();
    let mut i = Some(first);
    while let Some(inst) = i.filter(|&inst| inst != load) {
        range.push(inst);
        i = inst.next_instruction();
    }
    let Some(at) = range.iter().position(|i| !chain.contains(i)) else {
        return false;
    };
    let anchor = range[at];
    for &inst in &range[at + 1..] {
        if chain.contains(&inst) {
            inst.move_before(anchor);
        }
    }
    load.move_before(anchor);
    // Recover what the load read where it was, store by store in order.
    let Some(after) = after else { return true };
    let users = load.users();
    let b = Builder::new(module);
    b.before(after);
    let mut v = load;
    for st in passed.into_iter().rev() {
        let same = b.icmp(IntPredicate::LLVMIntEQ, load.operand(0), st.operand(1));
        v = b.select(same, st.operand(0), v);
    }
    for u in users {
        for k in 0..u.num_operands() {
            if u.operand(k) == load {
                u.set_operand(k, v);
            }
        }
    }
    true
}
