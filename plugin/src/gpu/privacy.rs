//! The proof that an adjoint accumulation is private to its thread (a plain
//! read-modify-write instead of an atomic one).

use ferment_ir::{Block, Opcode, Value};
use hashbrown::HashSet;

use super::SHARED_SPACE;

/// Whether `v` is the same in every thread of a launch: a kernel
/// parameter, a global, a constant, or a cast or constant offset of one.
pub fn is_uniform(v: Value) -> bool {
    let mut v = v;
    for _ in 0..8 {
        if v.is_constant() {
            return true;
        }
        if v.is_argument() {
            return v.param_function().is_kernel();
        }
        if !v.is_instruction() {
            return false;
        }
        match v.opcode() {
            Opcode::LLVMAddrSpaceCast | Opcode::LLVMBitCast => v = v.operand(0),
            Opcode::LLVMGetElementPtr if v.operands()[1..].iter().all(|o| o.is_constant()) => {
                v = v.operand(0)
            }
            _ => return false,
        }
    }
    false
}

fn sreg(v: Value) -> Option<String> {
    let v = v.strip_int_ext();
    if !v.is_call() {
        return None;
    }
    let n = v.called_function()?.name();
    n.strip_prefix("llvm.nvvm.read.ptx.sreg.")
        .map(str::to_string)
}

/// Whether `v` is the global thread index along x,
/// `threadIdx.x + blockIdx.x * blockDim.x` (in any order).
fn is_global_thread_index(v: Value) -> bool {
    let v = v.strip_int_ext();
    if !v.is_instruction() || !matches!(v.opcode(), Opcode::LLVMAdd | Opcode::LLVMOr) {
        return false;
    }
    let (a, c) = (v.operand(0), v.operand(1));
    let is_tid = |x: Value| sreg(x).as_deref() == Some("tid.x");
    let is_block_base = |x: Value| {
        let x = x.strip_int_ext();
        x.is_instruction()
            && x.opcode() == Opcode::LLVMMul
            && matches!(
                (sreg(x.operand(0)).as_deref(), sreg(x.operand(1)).as_deref()),
                (Some("ctaid.x"), Some("ntid.x")) | (Some("ntid.x"), Some("ctaid.x"))
            )
    };
    v.opcode() == Opcode::LLVMAdd
        && ((is_tid(a) && is_block_base(c)) || (is_tid(c) && is_block_base(a)))
}

/// `(base argument, index)` of an access `gep T, arg, idx` (through
/// address-space casts), if it has that form.
fn argument_element(p: Value) -> Option<(Value, Value)> {
    let mut p = p;
    while p.is_instruction() && p.opcode() == Opcode::LLVMAddrSpaceCast {
        p = p.operand(0);
    }
    if !p.is_instruction() || p.opcode() != Opcode::LLVMGetElementPtr || p.num_operands() != 2 {
        return None;
    }
    let mut base = p.operand(0);
    while base.is_instruction() && base.opcode() == Opcode::LLVMAddrSpaceCast {
        base = base.operand(0);
    }
    base.is_argument()
        .then(|| (base, p.operand(1).strip_int_ext()))
}

/// The loads whose adjoint may be accumulated with a plain read-modify-write
/// because no other thread can touch the address while the derivative runs.
///
/// The proof: the pointer arguments are the same in every thread
/// (`uniform_pointers`, checked at the call site); every access through an
/// argument is `arg[i]` with one index `i = threadIdx.x + blockIdx.x *
/// blockDim.x`; and the load's block also stores (non-atomically) to
/// `arg[i]`, so two threads running that block with the same `i` would race
/// in the primal program. Hence `i` is this thread's own and so are the
/// shadow elements it accumulates into. Anything else is accumulated
/// atomically.
pub fn private_loads(blocks: &[Block], uniform_pointers: bool) -> HashSet<Value> {
    let mut private = HashSet::new();
    if !uniform_pointers {
        return private;
    }
    let mut index: Option<Value> = None;
    let mut storing_blocks = HashSet::new();
    let mut loads = Vec::new();
    for &blk in blocks {
        for inst in blk.instructions() {
            let p = match inst.opcode() {
                Opcode::LLVMLoad => inst.operand(0),
                Opcode::LLVMStore => inst.operand(1),
                Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => inst.operand(0),
                _ if inst.is_call() => {
                    // A call may access argument memory in any pattern.
                    let name = inst.called_name();
                    let harmless = name.starts_with("llvm.nvvm.")
                        || name.starts_with("__nv_")
                        || name.starts_with("llvm.lifetime")
                        || name.starts_with("llvm.dbg")
                        || !inst.call_args().iter().any(|a| a.ty().is_pointer());
                    if harmless {
                        continue;
                    }
                    return private;
                }
                _ => continue,
            };
            // Memory of the thread (its stack) or of the block (`__shared__`)
            // is no argument's; anything else not known to be an argument
            // (a pointer loaded from memory, an ordinary global that an
            // argument may point into) could alias one.
            let objects = ferment_activity_analysis::underlying_objects(p);
            let own = |o: &Value| {
                ferment_activity_analysis::allocation_kind(*o)
                    == Some(ferment_activity_analysis::AllocKind::Stack)
                    || (o.is_global() && o.address_space() == SHARED_SPACE)
            };
            if objects.iter().all(own) {
                continue;
            }
            if !objects.iter().all(|o| o.is_argument()) {
                return private;
            }
            let Some((_, i)) = argument_element(p) else {
                return private;
            };
            if !is_global_thread_index(i) || index.is_some_and(|j| j != i) {
                return private;
            }
            index = Some(i);
            match inst.opcode() {
                Opcode::LLVMStore => {
                    storing_blocks.insert(blk);
                }
                Opcode::LLVMLoad => loads.push(inst),
                _ => return private,
            }
        }
    }
    private.extend(
        loads
            .into_iter()
            .filter(|l| storing_blocks.contains(&l.parent())),
    );
    private
}
