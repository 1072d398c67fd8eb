//! Writes of a parallel region into a derivative's local variable that
//! nobody reads afterwards.
//!
//! A derivative forks the augmented copy of a region with the same captured
//! variables as the primal. Where the primal returns a value the region
//! reduces into a local (`reduction(+: e)`, `e` returned), the derivative
//! usually does not need that value: it drops the load after the fork, but
//! the region still computes and writes it, because LLVM cannot see through
//! `__kmpc_fork_call`. That can be the whole cost of the augmented sweep
//! (a pair loop that computes an energy whose derivative recomputes
//! everything it needs).
//!
//! [`drop_unobserved_writes`] finds such a local: an `alloca` of a
//! derivative whose only uses there are stores into it, lifetime markers and
//! capture arguments of forks, whose regions (followed through calls of
//! internal functions called from one place only) only load from it and
//! store into it, and whose loaded values flow only (through arithmetic,
//! phis and selects) into those stores. The memory is then observed by
//! nothing but itself, and the stores are deleted; the computation that fed
//! them becomes dead code for the simplification that follows.

use ferment_ir::{Opcode, Value};
use std::collections::HashSet;

/// Longest chain of values followed from a load before giving up.
const MAX_CLOSURE: usize = 4096;

/// Deletes the unobserved writes described above in the derivatives
/// `functions`; returns the functions it changed.
pub fn drop_unobserved_writes(functions: &[Value]) -> Vec<Value> {
    let mut changed: Vec<Value> = Vec::new();
    for &f in functions {
        if f.is_declaration() {
            continue;
        }
        let locals: Vec<Value> = f
            .instructions()
            .into_iter()
            .filter(|i| i.opcode() == Opcode::LLVMAlloca)
            .collect();
        for local in locals {
            let Some(writes) = unobserved_writes(local) else {
                continue;
            };
            for w in writes {
                let owner = w.parent().parent();
                if !changed.contains(&owner) {
                    changed.push(owner);
                }
                w.erase();
            }
        }
    }
    changed
}

/// What a walk over the uses of the local's memory found.
#[derive(Default)]
struct Accesses {
    loads: Vec<Value>,
    writes: Vec<Value>,
    /// Functions whose parameter was followed (each at most once).
    visited: HashSet<(Value, usize)>,
}

/// The writes into `local` if its memory is observed by nothing else.
fn unobserved_writes(local: Value) -> Option<Vec<Value>> {
    let mut acc = Accesses::default();
    let mut forked = false;
    for u in local.users() {
        match u.opcode() {
            Opcode::LLVMStore if u.operand(1) == local && u.operand(0) != local => {
                if u.is_volatile_or_atomic() {
                    return None;
                }
                acc.writes.push(u);
            }
            Opcode::LLVMCall if is_lifetime(u) => {}
            Opcode::LLVMCall if crate::openmp::is_runtime_fork(u) => {
                let args = u.call_args();
                let microtask = args[2].strip_casts();
                if !microtask.is_function() || microtask.users().len() != 1 {
                    return None;
                }
                for (k, &a) in args.iter().enumerate() {
                    if a != local {
                        continue;
                    }
                    // Parameters of the microtask: the two thread-id
                    // pointers, then the captures.
                    if k < 3 {
                        return None;
                    }
                    follow_param(microtask, k - 1, &mut acc)?;
                }
                forked = true;
            }
            _ => return None,
        }
    }
    if !forked || !flows_only_into(&acc.loads, &acc.writes) {
        return None;
    }
    Some(acc.writes)
}

fn is_lifetime(call: Value) -> bool {
    call.called_function()
        .is_some_and(|f| f.name().starts_with("llvm.lifetime."))
}

/// Follows parameter `index` of `function` (a pointer into the local).
fn follow_param(function: Value, index: usize, acc: &mut Accesses) -> Option<()> {
    if function.is_declaration() {
        return None;
    }
    if !acc.visited.insert((function, index)) {
        return Some(());
    }
    let param = *function.params().get(index)?;
    follow_pointer(param, acc)
}

/// Records the loads and writes through `p` (a pointer into the local);
/// `None` where `p` goes anywhere else.
fn follow_pointer(p: Value, acc: &mut Accesses) -> Option<()> {
    for u in p.users() {
        match u.opcode() {
            Opcode::LLVMGetElementPtr if u.operand(0) == p => follow_pointer(u, acc)?,
            Opcode::LLVMLoad if !u.is_volatile_or_atomic() => acc.loads.push(u),
            Opcode::LLVMStore
                if u.operand(1) == p && u.operand(0) != p && !u.is_volatile_or_atomic() =>
            {
                acc.writes.push(u)
            }
            Opcode::LLVMCall if is_lifetime(u) => {}
            Opcode::LLVMCall => {
                let callee = u.called_function()?;
                // An internal function called from this one place: follow
                // the parameter (a wrapper passing the capture on).
                if callee.is_declaration() || callee.users().len() != 1 || u.called_operand() == p {
                    return None;
                }
                for (j, &a) in u.call_args().iter().enumerate() {
                    if a == p {
                        follow_param(callee, j, acc)?;
                    }
                }
            }
            _ => return None,
        }
    }
    Some(())
}

/// Whether the values of `loads` reach nothing but the `writes` (as the
/// stored value), through arithmetic, phis, selects and pure intrinsics.
fn flows_only_into(loads: &[Value], writes: &[Value]) -> bool {
    let writes: HashSet<Value> = writes.iter().copied().collect();
    let mut seen: HashSet<Value> = loads.iter().copied().collect();
    let mut work: Vec<Value> = loads.to_vec();
    while let Some(v) = work.pop() {
        if seen.len() > MAX_CLOSURE {
            return false;
        }
        for u in v.users() {
            let through = match u.opcode() {
                Opcode::LLVMStore => {
                    if writes.contains(&u) && u.operand(0) == v && u.operand(1) != v {
                        continue;
                    }
                    return false;
                }
                Opcode::LLVMSelect => u.operand(0) != v,
                Opcode::LLVMCall => u
                    .called_function()
                    .is_some_and(|f| f.name().starts_with("llvm.") && u.call_accesses_no_memory()),
                op => is_arithmetic(op),
            };
            if !through {
                return false;
            }
            if seen.insert(u) {
                work.push(u);
            }
        }
    }
    true
}

fn is_arithmetic(op: Opcode) -> bool {
    use Opcode::*;
    matches!(
        op,
        LLVMFAdd
            | LLVMFSub
            | LLVMFMul
            | LLVMFDiv
            | LLVMFRem
            | LLVMFNeg
            | LLVMAdd
            | LLVMSub
            | LLVMMul
            | LLVMAnd
            | LLVMOr
            | LLVMXor
            | LLVMShl
            | LLVMLShr
            | LLVMAShr
            | LLVMFPExt
            | LLVMFPTrunc
            | LLVMSIToFP
            | LLVMUIToFP
            | LLVMFPToSI
            | LLVMFPToUI
            | LLVMSExt
            | LLVMZExt
            | LLVMTrunc
            | LLVMBitCast
            | LLVMPHI
            | LLVMExtractValue
            | LLVMInsertValue
            | LLVMExtractElement
            | LLVMInsertElement
            | LLVMShuffleVector
    )
}
