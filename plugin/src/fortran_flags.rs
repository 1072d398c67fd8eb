//! flang-22 marks signed index arithmetic `nuw`: cleared before any optimization.
//!
//! Role: at -O1 and up flang expands `CSHIFT` (and the `MODULO` of its shift) inline. It
//! reduces the shift with `srem` and then, when the remainder is negative, adds the extent back
//! with an `add nuw nsw`; the offsets built from the result (`n - s`, `s - n`, `i + (s - n)`)
//! carry `nuw` as well. A negative remainder plus the extent wraps as unsigned arithmetic, so
//! that `add nuw` is poison exactly when the shift is negative (and `s - n` always is): LLVM's
//! -O2 pipeline then folds the shift to a wrong constant and the program reads outside the
//! array. Likewise its index arithmetic over an array with a lower bound below 1
//! (`a(-1:n, 0:1)`: `i + (-2)` marked `nuw`, poison for every `i` from 2). The primal itself is
//! wrong (`sum(cshift(x, -1) * x)` reads `x(0)`), and so is any derivative of it or finite
//! difference through it.
//!
//! ferment runs [`repair_wrapping_flags`] on every module flang made (one with a `_Q`-mangled
//! procedure or a call into flang's runtime) at the start of the host pipeline:
//! every `srem` and every `add` of a negative constant, and every value computed from those
//! through integer arithmetic, casts, selects and phis, loses `nuw` (and `nneg` on
//! `zext`/`uitofp`). Clearing a flag never changes a defined result (it only removes poison), so
//! this is sound on any module; what it costs is the rare optimization that needed `nuw` there.
//! `nsw` stays: the values do not wrap as signed integers.

use ferment_ir::{Module, Opcode, Value};
use hashbrown::HashSet;

/// Clears `nuw`/`nneg` on every instruction computed from an `srem` or an
/// `add` of a negative constant (see the module comment). Returns whether a
/// flag changed.
pub fn repair_wrapping_flags(module: Module) -> bool {
    // Only flang's modules: its procedures are mangled `_QP...`,
    // `_QM...P...`, the main program `_QQmain`.
    if !module
        .functions()
        .into_iter()
        .any(|f| f.name().starts_with("_Q") || f.name().starts_with("_Fortran"))
    {
        return false;
    }
    let mut tainted: HashSet<Value> = HashSet::new();
    let mut work: Vec<Value> = Vec::new();
    let mut changed = false;
    for f in module.functions() {
        if f.is_declaration() {
            continue;
        }
        for i in f.instructions() {
            // An addition of a negative constant may well be negative: with
            // `nuw` it is poison for every operand at least the constant's
            // magnitude (flang's index arithmetic over a lower bound below 1).
            let negative_add = i.opcode() == Opcode::LLVMAdd
                && i.operands()
                    .iter()
                    .any(|o| o.const_int().is_some_and(|c| c < 0));
            if negative_add && i.has_nuw() {
                i.set_nuw(false);
                changed = true;
            }
            if (i.opcode() == Opcode::LLVMSRem || negative_add) && tainted.insert(i) {
                work.push(i);
            }
        }
    }
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
