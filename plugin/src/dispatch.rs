//! Indirect calls in a canonical copy.
//!
//! Role: a call through a function pointer that optimization could not
//! resolve (a C++ virtual call, a callback kept in a struct field or a
//! global, an allocator reached through a pointer) has no callee the
//! generators can differentiate. Here such a call becomes a call of a
//! dispatcher, `ferment.dispatch.N`, that compares the pointer with every
//! function of the module whose address is taken and whose type is the
//! call's, and calls the one it equals directly; the inliner then brings
//! the candidates' bodies in, so each target is differentiated like any
//! direct call, and the branch taken is ordinary control flow the reverse
//! sweep replays. A pointer equal to none of them (a function of another
//! translation unit, not visible when the derivative was compiled) is
//! still called (marked [`UNSEEN`]); where that call could carry a
//! derivative, the generators replace it by a stop with a message
//! ([`stop_unseen_targets`]) rather than give a derivative without that
//! call's contribution.

use ferment_ir::{Builder, IntPredicate, Module, Opcode, Type, Value};
use llvm_sys::core::*;

/// Call-site attribute of a dispatcher's call of a pointer that matched
/// no candidate.
pub const UNSEEN: &str = "ferment-unseen-target";

/// More candidates than this and the call is left alone (the validator
/// then names it): a dispatcher that large would inline most of the module.
const MAX_CANDIDATES: usize = 32;

/// Rewrites the indirect calls of `f` that may carry derivatives; returns
/// the functions the new dispatchers call (empty: nothing rewritten).
pub fn dispatch_indirect_calls(f: Value) -> Vec<Value> {
    let module = f.global_parent();
    let mut candidates: Option<Vec<Value>> = None;
    let mut targets: Vec<Value> = Vec::new();
    for inst in f.instructions() {
        if !inst.is_call()
            || inst.called_function().is_some()
            || inst.has_call_string_attribute(UNSEEN)
            || !may_carry_derivatives(inst)
        {
            continue;
        }
        let callee = inst.called_operand();
        if unsafe { !LLVMIsAInlineAsm(callee.0).is_null() } || has_abi_attributes(inst) {
            continue;
        }
        let all = candidates.get_or_insert_with(|| address_taken_functions(module));
        let fty = inst.called_fn_type();
        let matching: Vec<Value> = all
            .iter()
            .copied()
            .filter(|c| c.global_value_type() == fty)
            .collect();
        if matching.is_empty() || matching.len() > MAX_CANDIDATES {
            continue;
        }
        let dispatcher = dispatcher(module, fty, &matching);
        let b = Builder::new(module);
        b.before(inst);
        b.set_debug_loc_from(inst);
        let mut args = vec![callee];
        args.extend(inst.call_args());
        let call = b.call_like(inst, dispatcher, &args);
        if !inst.ty().is_void() {
            inst.replace_all_uses_with(call);
        }
        inst.erase();
        for t in matching {
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
    }
    targets
}

/// A call whose arguments or result could hold a derivative: a float, a
/// vector or aggregate of floats, or a pointer.
fn may_carry_derivatives(call: Value) -> bool {
    let carries = |t: Type| t.contains_float() || t.is_pointer();
    carries(call.ty()) || call.call_args().iter().any(|a| carries(a.ty()))
}

/// Arguments passed in memory by the ABI (`byval`, `sret`, `inalloca`,
/// `preallocated`) would need their attributes on the dispatcher too.
fn has_abi_attributes(call: Value) -> bool {
    const KINDS: [&str; 4] = ["byval", "sret", "inalloca", "preallocated"];
    (1..=call.num_call_args() as u32).any(|i| {
        KINDS.iter().any(|k| unsafe {
            let kind = LLVMGetEnumAttributeKindForName(k.as_ptr().cast(), k.len());
            !LLVMGetCallSiteEnumAttribute(call.0, i, kind).is_null()
        })
    })
}

/// Functions of `module` whose address is used other than by calling them,
/// by ferment's markers or by annotation lists, in module order.
fn address_taken_functions(module: Module) -> Vec<Value> {
    module
        .functions()
        .into_iter()
        .filter(|f| {
            let name = f.name();
            !name.starts_with("llvm.")
                && !name.starts_with("ferment.")
                && !name.starts_with("__enzyme_")
                && !name.starts_with("__ferment_")
                && f.users().into_iter().any(|u| takes_address(*f, u, 0))
        })
        .collect()
}

/// Whether the use of `f` by `user` takes its address: anything but a call
/// of `f`, a call of an `__enzyme_*` entry point, and the annotation
/// globals (`llvm.used`, `llvm.global.annotations`, `__enzyme_*`).
fn takes_address(f: Value, user: Value, depth: u32) -> bool {
    if user.is_call() {
        if user.called_operand() == f && !user.call_args().contains(&f) {
            return false;
        }
        let callee = user.called_operand().strip_casts();
        // The C++ runtime's own callbacks: the destructor `throw` hands
        // `__cxa_throw` for the exception object, those registered for
        // static objects; the runtime calls them, never the module's
        // indirect calls.
        const RUNTIME_CALLBACKS: [&str; 4] = [
            "__cxa_throw",
            "__cxa_atexit",
            "__cxa_thread_atexit_impl",
            "atexit",
        ];
        return !(callee.is_function()
            && (callee.name().contains("__enzyme_")
                || RUNTIME_CALLBACKS.contains(&callee.name().as_str())));
    }
    if user.is_global() {
        let name = user.name();
        return !(name.starts_with("llvm.") || name.starts_with("__enzyme_"));
    }
    if user.is_instruction() {
        return true;
    }
    // A constant (a vtable's array, a struct of callbacks, a cast): its
    // own users decide.
    depth < 8
        && user
            .users()
            .into_iter()
            .any(|u| takes_address(user, u, depth + 1))
}

/// The dispatcher for calls of type `fty` among `targets` (one per set,
/// shared by every canonical copy of the module).
fn dispatcher(module: Module, fty: Type, targets: &[Value]) -> Value {
    let key: Vec<String> = targets.iter().map(|t| t.name()).collect();
    let tag = format!("{:016x}", fnv1a(&key.join("\u{1}")));
    let name = format!("ferment.dispatch.{tag}");
    // The targets all have type `fty`, so the name fixes the type too.
    if let Some(f) = module.function(&name) {
        return f;
    }
    let ptr = Type::ptr(module.context());
    let mut params = vec![ptr];
    params.extend(fty.fn_params());
    let dty = Type::function(fty.fn_return(), &params, fty.fn_is_vararg());
    let d = module.add_function(&name, dty);
    d.set_internal();
    let b = Builder::new(module);
    let entry = d.append_block("entry");
    let unknown = d.append_block("unknown");
    let p = d.params();
    let mut at = entry;
    for &t in targets {
        b.at_end(at);
        let hit = d.append_block("hit");
        let next = d.append_block("next");
        let same = b.icmp(IntPredicate::LLVMIntEQ, p[0], t);
        b.cond_br(same, hit, next);
        b.at_end(hit);
        let r = b.call(fty, t, &p[1..]);
        if fty.fn_return().is_void() {
            b.ret_void();
        } else {
            b.ret(r);
        }
        at = next;
    }
    b.at_end(at);
    b.br(unknown);
    b.at_end(unknown);
    let r = b.call(fty, p[0], &p[1..]);
    r.add_call_string_attribute(UNSEEN, "");
    if fty.fn_return().is_void() {
        b.ret_void();
    } else {
        b.ret(r);
    }
    d
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, c| {
        (h ^ c as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Replaces each call of an unseen target in `f` that could carry a
/// derivative (`carries` holds for the call or one of its arguments) by a
/// stop with a message; returns whether it replaced any (the caller then
/// analyzes `f` again).
pub fn stop_unseen_targets(f: Value, carries: &dyn Fn(Value) -> bool) -> bool {
    let module = f.global_parent();
    let mut stopped = false;
    for inst in f.instructions() {
        if !inst.is_call()
            || !inst.has_call_string_attribute(UNSEEN)
            || !(carries(inst)
                || inst.call_args().into_iter().any(carries)
                || feeds(inst, carries, 0))
        {
            continue;
        }
        let b = Builder::new(module);
        b.before(inst);
        b.set_debug_loc_from(inst);
        crate::reverse::tape::emit_stop(
            &b,
            "ferment.dispatch.message",
            "ferment: a differentiated function called a function through a pointer, and the \
             function it reached was not visible when the derivative was compiled (define it \
             in the same translation unit, or build with -flto)\n",
        );
        if !inst.ty().is_void() {
            inst.replace_all_uses_with(b.poison(inst.ty()));
        }
        if inst.is_invoke() {
            // The block's terminator: nothing runs after the stop.
            crate::shim::change_to_unreachable(inst);
        } else {
            inst.erase();
        }
        stopped = true;
    }
    stopped
}

/// Whether the pointer `v` reaches a value that carries a derivative
/// through phis, selects, address arithmetic and casts (a pointer merged
/// with shadowed ones would need a shadow it cannot have).
fn feeds(v: Value, carries: &dyn Fn(Value) -> bool, depth: u32) -> bool {
    v.ty().is_pointer()
        && depth < 8
        && v.users().into_iter().any(|u| {
            u.is_instruction()
                && matches!(
                    u.opcode(),
                    Opcode::LLVMPHI
                        | Opcode::LLVMSelect
                        | Opcode::LLVMGetElementPtr
                        | Opcode::LLVMBitCast
                        | Opcode::LLVMAddrSpaceCast
                        | Opcode::LLVMFreeze
                )
                && (carries(u) || feeds(u, carries, depth + 1))
        })
}
