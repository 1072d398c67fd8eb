//! Enzyme's runtime activity (`enzyme_runtime_activity`, or
//! `-enzyme-runtime-activity` for every request): a duplicated pointer
//! argument whose shadow is the primal pointer itself is inactive at run
//! time. Users pass `enzyme_dup, x, x` to hold `x` constant in one call
//! and `enzyme_dup, x, dx` in another without a second call site.
//!
//! The call becomes one call per subset of those arguments, each under the
//! condition that exactly that subset's shadows equal their primals; in a
//! call the subset's arguments are `enzyme_const` (a derivative of its own),
//! so no adjoint is added to, and no tangent read from, primal memory. At
//! most [`MAX_DISPATCHED`] such arguments are dispatched (2^k derivatives);
//! beyond that, and for the split and batched entry points (whose tapes and
//! lanes are shared between calls), an equal shadow stops the program with
//! a message naming the call and the argument instead of computing a wrong
//! derivative.

use super::request::{Activity, Part, Request};
use crate::error::Result;
use ferment_ir::{Builder, IntPredicate, Module, Value};

/// The most duplicated pointers whose activity is decided at run time by
/// one call (the call gets 2^k derivatives).
pub const MAX_DISPATCHED: usize = 4;

/// The duplicated pointer arguments of `req` whose shadow may equal the
/// primal (indices into `req.args`).
fn candidates(req: &Request) -> Vec<usize> {
    req.args
        .iter()
        .enumerate()
        // (a struct result's buffers, which ferment provides: never equal)
        .filter(|(i, _)| !(*i == 0 && req.sret_result.is_some()))
        .filter(|(_, a)| {
            a.activity.has_shadow()
                && a.primal.ty().is_pointer()
                && a.shadow.is_some_and(|s| s.ty().is_pointer())
        })
        .map(|(i, _)| i)
        .collect()
}

/// Lowers `req` honouring runtime activity when it asks for it; `None`
/// when the request has no runtime activity to honour (the caller lowers it
/// as usual). `lower` lowers one request with fixed activities.
pub fn lower(
    module: Module,
    req: &Request,
    every_request: bool,
    lower: &mut dyn FnMut(&Request) -> Result<()>,
) -> Option<Result<()>> {
    if !(req.runtime_activity || every_request) || req.part == Part::TapeSize {
        return None;
    }
    let dups = candidates(req);
    if dups.is_empty() {
        return None;
    }
    let call = req.call;
    let dispatch = req.part == Part::Whole
        && req.width <= 1
        && !req.fwdsplit
        && !call.is_invoke()
        && dups.len() <= MAX_DISPATCHED;
    let b = Builder::new(module);
    b.before(call);
    b.set_debug_loc_from(call);
    if !dispatch {
        guard_equal_shadows(module, &b, req, &dups);
        return Some(lower(req));
    }
    let slot = (!call.ty().is_void()).then(|| {
        let eb = Builder::new(module);
        eb.at_start(call.function_of().entry_block());
        eb.alloca(call.ty(), "ferment.runtime_activity.result")
    });
    let mut variants = Vec::new();
    for mask in 0u32..(1 << dups.len()) {
        b.before(call);
        let mut cond: Option<Value> = None;
        for (bit, &i) in dups.iter().enumerate() {
            let a = &req.args[i];
            let eq = b.icmp(IntPredicate::LLVMIntEQ, a.primal, a.shadow.unwrap());
            let term = if mask & (1 << bit) != 0 {
                eq
            } else {
                b.not(eq)
            };
            cond = Some(match cond {
                Some(c) => b.and_int(c, term),
                None => term,
            });
        }
        let cond = b.freeze(cond.expect("at least one candidate"));
        let end = crate::shim::if_then_after(cond);
        let arm = call.clone_instruction();
        b.before(end);
        b.insert(arm);
        if let Some(s) = slot {
            b.store(arm, s);
        }
        let mut variant = req.clone();
        variant.call = arm;
        variant.runtime_activity = false;
        for (bit, &i) in dups.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                variant.args[i].activity = Activity::Const;
                variant.args[i].shadow = None;
            }
        }
        variants.push(variant);
    }
    for (k, v) in variants.iter().enumerate() {
        let Err(e) = lower(v) else { continue };
        if k == 0 {
            // The call as written cannot be differentiated: no arm may run
            // with a wrong result (the caller's error path traps the
            // original call).
            for w in &variants {
                super::lower::replace_with_trap(module, w.call);
            }
            return Some(Err(e));
        }
        // Holding these arguments constant cannot be differentiated (an
        // active value is stored into one of them): that combination stops
        // the program with the reason.
        let held: Vec<String> = dups
            .iter()
            .enumerate()
            .filter(|(bit, _)| k & (1 << bit) != 0)
            .map(|(_, &i)| (i + 1).to_string())
            .collect();
        let why = format!(
            "argument(s) {} of '{}' passed with their primal pointer as shadow (inactive at run time) cannot be differentiated as constant: {}",
            held.join(", "),
            req.function.name(),
            e.message
        );
        let stop = Builder::new(module);
        stop.before(v.call);
        emit_located_stop(module, &stop, v.call, &why, "pass a shadow buffer for them");
        super::lower::replace_with_trap(module, v.call);
    }
    b.before(call);
    if let Some(s) = slot {
        let r = b.load(call.ty(), s);
        call.replace_all_uses_with(r);
    }
    call.erase();
    // The arms' lowering left the markers the original call still used.
    super::lower::remove_dead_markers(req);
    Some(Ok(()))
}

/// Before `req.call`: stops the program with a message when one of the
/// `dups` arguments' shadow equals its primal (runtime activity ferment does
/// not dispatch for this call).
fn guard_equal_shadows(module: Module, b: &Builder, req: &Request, dups: &[usize]) {
    let call = req.call;
    let why = if req.part != Part::Whole || req.fwdsplit {
        "in split mode (__enzyme_augmentfwd/__enzyme_reverse/__enzyme_fwdsplit)".to_string()
    } else if req.width > 1 {
        "in a batched (enzyme_width) call".to_string()
    } else if call.is_invoke() {
        "in a call that may throw (invoke)".to_string()
    } else {
        format!("for more than {MAX_DISPATCHED} duplicated pointers in one call")
    };
    for &i in dups {
        let a = &req.args[i];
        let eq = b.icmp(IntPredicate::LLVMIntEQ, a.primal, a.shadow.unwrap());
        let eq = b.freeze(eq);
        let end = crate::shim::if_then_after(eq);
        let stop = Builder::new(module);
        stop.before(end);
        let why = format!(
            "the shadow of argument {} of '{}' is its primal pointer (inactive at run time), which ferment does not support {why}",
            i + 1,
            req.function.name()
        );
        emit_located_stop(module, &stop, call, &why, "pass enzyme_const for it");
        b.before(call);
    }
}

/// Emits at `b` a run-time stop whose message names `call`'s source
/// location, says `why` and suggests `fix`.
fn emit_located_stop(module: Module, b: &Builder, call: Value, why: &str, fix: &str) {
    let where_ = call
        .source_location()
        .map(|l| format!("{l}: "))
        .unwrap_or_default();
    let message = format!("{where_}ferment: enzyme_runtime_activity: {why}; {fix}\n");
    let mut n = 0;
    let global = loop {
        let g = format!("ferment.runtime_activity.msg.{n}");
        if module.global(&g).is_none() {
            break g;
        }
        n += 1;
    };
    crate::reverse::tape::emit_stop(b, &global, &message);
}
