//! flang-22's inlined `CSHIFT` marks signed arithmetic `nuw`: cleared before any optimization.
//!
//! Role: at -O1 and up flang expands `CSHIFT` (and the `MODULO` of its shift) inline. It
//! reduces the shift with `srem` and then, when the remainder is negative, adds the extent back
//! with an `add nuw nsw`; the offsets built from the result (`n - s`, `s - n`, `i + (s - n)`)
//! carry `nuw` as well. A negative remainder plus the extent wraps as unsigned arithmetic, so
//! that `add nuw` is poison exactly when the shift is negative (and `s - n` always is): LLVM's
//! -O2 pipeline then folds the shift to a wrong constant and the program reads outside the
//! array. The primal itself is wrong (`sum(cshift(x, -1) * x)` reads `x(0)`), and so is any
//! derivative of it or finite difference through it.
//!
//! ferment runs [`repair_signed_remainder_flags`] on every module at the start of the host
//! pipeline (and at the start of its own pass, for `opt -passes=enzyme`): every value computed
//! from a signed remainder through integer arithmetic, casts, selects and phis loses `nuw`
//! (and `nneg` on `zext`/`uitofp`). Clearing a flag never changes a defined result (it only
//! removes poison), so this is sound on any module; what it costs is the rare optimization
//! that needed `nuw` on arithmetic over a remainder. `nsw` stays: the values do not wrap as
//! signed integers.

use ferment_ir::{Module, Opcode, Value};
use hashbrown::HashSet;

/// Clears `nuw`/`nneg` on every instruction computed from an `srem` (see the module comment).
/// Returns whether a flag changed.
pub fn repair_signed_remainder_flags(module: Module) -> bool {
    let mut tainted: HashSet<Value> = HashSet::new();
    let mut work: Vec<Value> = Vec::new();
    for f in module.functions() {
        if f.is_declaration() {
            continue;
        }
        for i in f.instructions() {
            if i.opcode() == Opcode::LLVMSRem && tainted.insert(i) {
                work.push(i);
            }
        }
    }
    let mut changed = false;
    while let Some(v) = work.pop() {
        for u in v.users() {
            if !u.is_instruction() || tainted.contains(&u) {
                continue;
            }
            if u.opcode() == Opcode::LLVMUIToFP {
                if u.has_nneg() {
                    u.set_nneg(false);
                    changed = true;
                }
                continue;
            }
            let carries = match u.opcode() {
                Opcode::LLVMAdd
                | Opcode::LLVMSub
                | Opcode::LLVMMul
                | Opcode::LLVMShl
                | Opcode::LLVMSExt
                | Opcode::LLVMZExt
                | Opcode::LLVMTrunc
                | Opcode::LLVMFreeze
                | Opcode::LLVMPHI => true,
                // The condition of a select chooses; its arms are the value.
                Opcode::LLVMSelect => u.operand(0) != v || u.operand(1) == v || u.operand(2) == v,
                _ => false,
            };
            if !carries {
                continue;
            }
            match u.opcode() {
                Opcode::LLVMAdd
                | Opcode::LLVMSub
                | Opcode::LLVMMul
                | Opcode::LLVMShl
                | Opcode::LLVMTrunc
                    if u.has_nuw() =>
                {
                    u.set_nuw(false);
                    changed = true;
                }
                Opcode::LLVMZExt if u.has_nneg() => {
                    u.set_nneg(false);
                    changed = true;
                }
                _ => {}
            }
            tainted.insert(u);
            work.push(u);
        }
    }
    changed
}
