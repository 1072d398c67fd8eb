//! Mutable globals on both sides of a call that stays a call.
//!
//! A derivative gives each mutable global that holds active data an
//! implicit shadow global `NAME.ferment.shadow` ([`crate::shadow`]), one
//! per module. A call that stays a call (recursion, a dispatch target, a
//! function past the inlining budget, `-ferment-no-inline`) carries to its
//! callee's derivative the globals the callee uses that the caller
//! shadows ([`carried`], `DerivativeKey::globals`): the callee's analysis
//! treats them as holding derivatives on entry (like a duplicated
//! argument's memory), and its derivative reads and writes their shadows
//! without clearing them. The derivative that owns a request clears them:
//! a reverse-mode derivative on entry (every global it shadows, also those
//! only its callees use), forward mode once per request before its call.
//! The caller's analysis learns from the callee's summary which globals a
//! call stores active data into.
//!
//! An OpenMP region's derivative adds its adjoints into such shadows
//! atomically, like into any memory its threads share.
//!
//! Forward mode's fixed-point loop passes them on to its step's
//! derivative. [`check`] refuses what is still not carried: GPU shared
//! memory; and, as a safety net, a
//! global whose derivative the callee produces while the caller uses it
//! without one. Globals whose shadows do not depend on the derivative
//! (`!enzyme_shadow`, and any global under `enzyme_context`) are never
//! carried.

use crate::error::{Error, Result};
use ferment_activity_analysis::{carried_globals_of, underlying_objects, Activity, Seeds};
use ferment_ir::Value;

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

/// The globals a call of `callee` from a derivative analyzed as `activity`
/// carries to the callee's derivative: those the callee (or what it calls)
/// uses and the caller shadows.
pub fn carried(callee: Value, activity: &Activity) -> Vec<Value> {
    carried_globals_of(callee, activity.context_globals())
        .into_iter()
        .filter(|g| activity.is_shadowed(*g))
        .collect()
}

/// Refuses `call` of `callee` (a call that stays a call, carrying
/// `globals`) from a derivative of `call`'s function under `activity` when
/// a global's derivative cannot cross it (see the module comment).
/// `inner` is the callee's own activity under the call's seeds.
pub fn check(
    call: Value,
    callee: Value,
    activity: &Activity,
    globals: &[Value],
    inner: &Activity,
) -> Result<()> {
    let module = callee.global_parent();
    let name = callee.name();
    let fixed_point = name.strip_prefix(crate::frontend::loops::FIXED_POINT_PREFIX);
    let unsupported = globals.iter().find_map(|g| {
        if g.address_space() == crate::gpu::SHARED_SPACE && crate::gpu::is_gpu(module) {
            Some((
                *g,
                "is GPU shared memory with a derivative here, and the callee reads or writes it",
            ))
        } else {
            None
        }
    });
    let caller = call.function_of();
    let caller_uses = |g: Value| {
        caller.instructions().into_iter().any(|i| {
            i != call
                && i.operands().into_iter().any(|o| {
                    o.is_constant() && o.ty().is_pointer() && underlying_objects(o).contains(&g)
                })
        })
    };
    let written_there = || {
        carried_globals_of(callee, activity.context_globals())
            .into_iter()
            .find(|g| inner.is_shadowed(*g) && !activity.is_shadowed(*g) && caller_uses(*g))
            .map(|g| {
                (
                    g,
                    "receives data with a derivative in the callee and is used here without one",
                )
            })
    };
    if let Some((g, why)) = unsupported.or_else(written_there) {
        let what = match fixed_point {
            Some(rest) => format!(
                "the fixed-point loop of '{}' (__enzyme_fixed_point, differentiated as a whole in forward mode)",
                rest.split_once('.').map_or(rest, |(_, step)| step)
            ),
            None => format!(
                "the call of '{name}', which stays a call (recursion, an indirect call, an OpenMP region, -ferment-no-inline, or a function too large to inline)"
            ),
        };
        return Err(Error::at(
            call,
            format!(
                "cannot differentiate {what}: the global @{} {why}, and ferment does not carry a global's derivative across such a call",
                g.name()
            ),
        )
        .hint("pass the data as an argument (with its shadow), let ferment inline the callee, or give the global a shadow of its own (`enzyme_context`, or `!enzyme_shadow`)"));
    }
    Ok(())
}
