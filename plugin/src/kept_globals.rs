//! Mutable globals on both sides of a call that stays a call.
//!
//! A derivative gives each mutable global that holds active data an
//! implicit shadow global, zeroed when that derivative starts
//! ([`crate::shadow`]). A call that stays a call (recursion, a dispatch
//! target, a function past the inlining budget) gets a derivative of its
//! own, analyzed from its arguments alone: it does not know that its caller
//! stored active data into a global it reads, and it zeroes the shadow of
//! a global it writes before the caller has accumulated that global's
//! adjoint. Either way a derivative would be lost without a word, so such
//! a call is refused until a callee's derivative key carries the caller's
//! global shadows. Globals whose shadows do not depend on the derivative
//! (`!enzyme_shadow`, and any global under `enzyme_context`) are fine.

use crate::error::{Error, Result};
use ferment_activity_analysis::{allocation_kind, underlying_objects, Activity, AllocKind, Seeds};
use ferment_ir::{Opcode, Value};
use hashbrown::HashSet;

/// A global whose implicit shadow belongs to one derivative: mutable,
/// holding floats or pointers, not ferment's or LLVM's own, without a
/// user-given shadow and, under `enzyme_context`, not one of the context's.
fn per_derivative_global(g: Value, context: bool) -> bool {
    if allocation_kind(g) != Some(AllocKind::Global) || g.user_shadow().is_some() {
        return false;
    }
    let name = g.name();
    let ty = g.global_value_type();
    !name.starts_with("llvm.")
        && !name.contains("ferment.")
        && (ty.contains_float() || ty.contains_pointer())
        && !(context && ferment_activity_analysis::context_global(g))
}

/// Such globals used by `f` and the functions it calls directly,
/// transitively: `(used, stored into)`.
fn globals_of(f: Value, context: bool) -> (Vec<Value>, HashSet<Value>) {
    let mut used = Vec::new();
    let mut stored = HashSet::new();
    let mut seen = HashSet::new();
    let mut todo = vec![f];
    while let Some(f) = todo.pop() {
        if !seen.insert(f) || f.is_declaration() {
            continue;
        }
        for inst in f.instructions() {
            if let Some(callee) = inst.is_call().then(|| inst.called_function()).flatten() {
                todo.push(callee);
            }
            for o in inst.operands() {
                if !o.is_constant() || !o.ty().is_pointer() {
                    continue;
                }
                for g in underlying_objects(o) {
                    if g.is_global() && per_derivative_global(g, context) && !used.contains(&g) {
                        used.push(g);
                    }
                }
            }
            if inst.opcode() == Opcode::LLVMStore {
                for g in underlying_objects(inst.operand(1)) {
                    stored.insert(g);
                }
            }
        }
    }
    (used, stored)
}

/// The activity of `callee`'s own body under a call's seeds (calls in it
/// summarized as in a derivative, without type facts).
pub fn callee_activity(callee: Value, seeds: &Seeds) -> Activity {
    let inactive = crate::frontend::user_inactive_list();
    let summarize = |g: Value| !g.is_declaration() && !inactive.contains(&g);
    let actx = ferment_activity_analysis::Context::new(&crate::frontend::is_inactive_call)
        .interprocedural(&summarize)
        .with_known_calls(&crate::rules::known_effects)
        .context_globals(seeds.context_globals);
    Activity::analyze_with(callee, seeds, &actx)
}

/// Refuses `call` of `callee` (a call that stays a call) from a derivative
/// of `call`'s function under `activity` when a global crosses it: the
/// caller gives it a derivative and the callee uses it without one
/// (`callee_shadowed` says which globals the callee's derivative shadows
/// itself; forward mode passes none, since a callee's tangent derivative
/// starts from zeroed global shadows), or the callee stores into it and the
/// caller uses it too without a derivative.
pub fn check(
    call: Value,
    callee: Value,
    activity: &Activity,
    callee_shadowed: &dyn Fn(Value) -> bool,
) -> Result<()> {
    let context = activity.context_globals();
    let (used, stored) = globals_of(callee, context);
    if used.is_empty() {
        return Ok(());
    }
    let caller = call.function_of();
    let caller_uses = |g: Value| {
        caller.instructions().into_iter().any(|i| {
            i != call
                && i.operands().into_iter().any(|o| {
                    o.is_constant() && o.ty().is_pointer() && underlying_objects(o).contains(&g)
                })
        })
    };
    let shadowed_here = used
        .iter()
        .find(|g| !callee_shadowed(**g) && activity.is_shadowed(**g))
        .map(|g| {
            (
                *g,
                "holds data with a derivative here, and the callee reads or writes it",
            )
        });
    let written_there = || {
        used.iter()
            .find(|g| !callee_shadowed(**g) && stored.contains(*g) && caller_uses(**g))
            .map(|g| (*g, "is written by the callee and used here too"))
    };
    if let Some((g, why)) = shadowed_here.or_else(written_there) {
        let name = callee.name();
        let what = match name.strip_prefix(crate::frontend::loops::FIXED_POINT_PREFIX) {
            Some(rest) => format!(
                "the fixed-point loop of '{}' (__enzyme_fixed_point, differentiated as a whole in forward mode)",
                rest.split_once('.').map_or(rest, |(_, step)| step)
            ),
            None => format!(
                "the call of '{name}', which stays a call (recursion, an indirect call, -ferment-no-inline, or a function too large to inline)"
            ),
        };
        return Err(Error::at(
            call,
            format!(
                "cannot differentiate {what}: the global @{} {why}, and ferment does not yet carry a global's derivative across such a call",
                g.name()
            ),
        )
        .hint("pass the data as an argument (with its shadow), let ferment inline the callee (no recursion), or give the global a shadow of its own (`enzyme_context`, or `!enzyme_shadow`)"));
    }
    Ok(())
}
