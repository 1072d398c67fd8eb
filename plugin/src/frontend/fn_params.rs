//! AD calls whose function argument is a parameter of the function they sit
//! in: `template <class F> auto jvp(F f, double x, double dx) { return
//! __enzyme_fwddiff<double>((void *)f, x, dx); }` called as `jvp(square, ..)`.
//!
//! Role: once optimization inlines such a helper, the function is known at
//! the AD call; at -O0 it is not. When every call of the helper in this
//! module passes a known function for that parameter, and the helper is
//! one this module may drop (internal, or a `linkonce` template or inline
//! function that every translation unit defines alike), each call goes to
//! a copy of the helper with the parameter replaced by its function
//! (`ferment.fnarg.<helper>.<i>=<function>`), and the helper, now unused,
//! goes. A helper another translation unit may call with other functions
//! (external linkage) is left alone: its request stays an error naming the
//! argument. Runs before requests are read; touches only such helpers and
//! their calls.

use super::request::{entry_kind, trace_function_of, trace_parameter_of};
use ferment_ir::{Module, Value};
use llvm_sys::LLVMLinkage;

/// How many helper levels (a helper calling a helper) are resolved.
const MAX_ROUNDS: u32 = 4;
/// How many function parameters of helpers are specialized per level.
const MAX_SPECIALIZATIONS: u32 = 16;

/// Specializes the helpers described above; returns whether it changed
/// the module.
pub fn specialize_function_parameters(module: Module) -> bool {
    let mut changed = false;
    // A specialization deletes the helper, and with it the other AD calls
    // it held (a helper taking two functions): the calls are collected
    // again after each one.
    for _ in 0..MAX_ROUNDS * MAX_SPECIALIZATIONS {
        let mut round = false;
        for (call, _) in super::find_ad_calls(module) {
            let Some(fn_arg) = function_operand(call) else {
                continue;
            };
            if trace_function_of(fn_arg).is_some() {
                continue;
            }
            let Some(param) = trace_parameter_of(fn_arg) else {
                continue;
            };
            let helper = call.function_of();
            let Some(index) = helper.params().iter().position(|p| *p == param) else {
                continue;
            };
            if specialize(module, helper, index, 0) {
                round = true;
                break;
            }
        }
        changed |= round;
        if !round {
            break;
        }
    }
    changed
}

/// The operand of an AD call that names the function (after a hidden
/// result pointer, if the call has one).
fn function_operand(call: Value) -> Option<Value> {
    let args = call.call_args();
    let skip = usize::from(!args.is_empty() && crate::shim::call_arg_is_sret(call, 0));
    args.get(skip).copied()
}

/// Sends every call of `helper` to a copy with parameter `index` replaced
/// by the function the call passes; false (nothing changed) unless every
/// use of `helper` is such a call and `helper` may be dropped. A call that
/// passes a parameter of its own function (a helper calling a helper)
/// specializes that function first, and the next round comes back here.
fn specialize(module: Module, helper: Value, index: usize, depth: u32) -> bool {
    if !droppable(helper) || entry_kind(&helper.name()).is_some() {
        return false;
    }
    let mut sites = Vec::new();
    for user in helper.users() {
        let direct = (user.is_call() || user.is_invoke())
            && user.called_operand() == helper
            && !user.call_args().contains(&helper);
        if !direct {
            return false;
        }
        let Some(arg) = user.call_args().get(index).copied() else {
            return false;
        };
        let Some(g) = trace_function_of(arg) else {
            let outer = user.function_of();
            let passed_on =
                trace_parameter_of(arg).and_then(|p| outer.params().iter().position(|q| *q == p));
            return match passed_on {
                Some(i) if depth < MAX_ROUNDS && outer != helper => {
                    specialize(module, outer, i, depth + 1)
                }
                _ => false,
            };
        };
        sites.push((user, g));
    }
    if sites.is_empty() {
        return false;
    }
    for (site, g) in sites {
        let name = format!("ferment.fnarg.{}.{index}={}", helper.name(), g.name());
        let copy = module.function(&name).unwrap_or_else(|| {
            let copy = crate::shim::clone_function(helper, &name);
            copy.set_internal();
            copy.params()[index].replace_all_uses_with(g);
            copy
        });
        let callee = site.operands().len() - 1;
        site.set_operand(callee, copy);
    }
    if !helper.has_uses() {
        helper.delete_function();
    }
    true
}

/// Whether no other translation unit can call this module's `f` with
/// other arguments: internal, or defined alike wherever it is used
/// (`linkonce`, as templates and inline functions are).
fn droppable(f: Value) -> bool {
    let linkage = unsafe { llvm_sys::core::LLVMGetLinkage(f.0) };
    matches!(
        linkage,
        LLVMLinkage::LLVMInternalLinkage
            | LLVMLinkage::LLVMPrivateLinkage
            | LLVMLinkage::LLVMLinkOnceAnyLinkage
            | LLVMLinkage::LLVMLinkOnceODRLinkage
    )
}
