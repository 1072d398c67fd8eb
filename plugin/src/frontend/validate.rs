//! Up-front checks that every active construct of a function can be
//! differentiated, so a generator never emits a silently wrong derivative:
//! anything unsupported is a located error naming the construct.

use crate::error::{Error, Result};
use crate::rules;
use ferment_activity_analysis::Activity;
use ferment_ir::{Block, Opcode, Value};

/// Checks the reachable blocks of `f` under `activity`.
pub fn check_function(f: Value, blocks: &[Block], activity: &Activity) -> Result<()> {
    let _ = f;
    for &blk in blocks {
        for inst in blk.instructions() {
            check_instruction(inst, activity)?;
        }
    }
    Ok(())
}

fn varied_operand(inst: Value, activity: &Activity) -> Option<Value> {
    let ops = if inst.is_call() {
        inst.call_args()
    } else {
        inst.operands()
    };
    ops.into_iter().find(|o| activity.is_varied(*o))
}

fn check_instruction(inst: Value, activity: &Activity) -> Result<()> {
    let op = inst.opcode();
    let active = activity.is_active(inst);
    let Some(varied) = varied_operand(inst, activity) else {
        return Ok(());
    };
    match op {
        Opcode::LLVMFAdd
        | Opcode::LLVMFSub
        | Opcode::LLVMFMul
        | Opcode::LLVMFDiv
        | Opcode::LLVMFNeg
        | Opcode::LLVMFRem
        | Opcode::LLVMFPExt
        | Opcode::LLVMFPTrunc
        | Opcode::LLVMSelect
        | Opcode::LLVMPHI
        | Opcode::LLVMExtractValue
        | Opcode::LLVMInsertValue
        | Opcode::LLVMExtractElement
        | Opcode::LLVMInsertElement => Ok(()),
        // Derivative-free uses of an active value.
        Opcode::LLVMFCmp | Opcode::LLVMFPToSI | Opcode::LLVMFPToUI | Opcode::LLVMRet | Opcode::LLVMBr => Ok(()),
        Opcode::LLVMCall => check_call(inst, active, varied),
        Opcode::LLVMStore => Err(Error::at(
            inst,
            format!(
                "cannot differentiate a store of the active value {} to memory yet (shadow memory is not supported)",
                varied.short()
            ),
        )
        .hint("keep active values in local variables (they become registers), or pass them through return values")),
        Opcode::LLVMBitCast | Opcode::LLVMPtrToInt if !inst.ty().contains_float() => Err(Error::at(
            inst,
            format!("cannot differentiate through '{}': it reinterprets an active floating-point value as bits", inst.describe()),
        )
        .hint("avoid bit tricks on active values (use fabs/copysign instead of masking the sign bit)")),
        _ if !active && !inst.ty().contains_float() => Ok(()),
        _ => Err(Error::at(inst, format!("cannot differentiate instruction '{}' yet", inst.describe()))
            .hint("rewrite this operation with floating-point arithmetic or a libm function")),
    }
}

fn check_call(inst: Value, active: bool, varied: Value) -> Result<()> {
    let callee = inst.called_function();
    let name = callee.map(|f| f.name()).unwrap_or_default();
    if crate::frontend::is_inactive_call(inst) {
        return Ok(());
    }
    if let Some(rule) = rules::call_rule(&name) {
        let args = inst.call_args();
        if args.len() == rule.arity && inst.ty().is_fp_like() {
            return Ok(());
        }
        return Err(Error::at(
            inst,
            format!("cannot differentiate call to '{name}': its signature does not match the math function '{}'", rule.name),
        ));
    }
    // Calls whose result does not matter and that take the active value only
    // by value cannot propagate a derivative.
    if !active && !inst.ty().is_void() && !inst.call_args().iter().any(|a| a.ty().is_pointer()) {
        return Ok(());
    }
    let Some(callee) = callee else {
        return Err(Error::at(
            inst,
            format!(
                "cannot differentiate an indirect call receiving the active value {}",
                varied.short()
            ),
        )
        .hint("call the function directly, or register a custom derivative"));
    };
    let what = if callee.is_declaration() {
        "external function"
    } else {
        "function"
    };
    Err(Error::at(
        inst,
        format!("cannot differentiate call to {what} '{name}': ferment has no definition or derivative rule for it"),
    )
    .hint(format!(
        "define '{name}' in this translation unit (or build with -flto), or, if it does not affect the result, \
         mark it inactive: `void* __enzyme_inactivefn_{name}[1] = {{ (void*){name} }};`"
    )))
}
