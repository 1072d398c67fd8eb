//! Forward mode of BLAS calls (rules in `rules/blas/`).
//!
//! The tangents of the arrays a BLAS call writes are computed right before
//! the call, while its inputs are still in place (so nothing is copied); the
//! tangent of a returned value (`dot`, `nrm2`, `asum`) right after it.

use super::TangentSweep;
use crate::error::{Error, Result};
use crate::rules::blas::{self, Derivs, Emit};
use ferment_ir::{Builder, Value};

/// Handles `inst` when it is a call to a supported BLAS routine.
pub(super) fn tangent_blas(t: &mut TangentSweep, inst: Value) -> Result<bool> {
    if blas::known_effects(inst).is_none() {
        return Ok(false);
    }
    // A call on constant data only stays in the primal, whatever its flags.
    if !t.activity.is_active_instruction(inst) && !t.is_active(inst) {
        return Ok(true);
    }
    let Some(dec) = blas::decode(inst)? else {
        return Ok(false);
    };
    if inst.is_invoke() {
        return Err(Error::at(
            inst,
            format!(
                "cannot differentiate call to '{}' where it may throw (an invoke)",
                dec.name()
            ),
        )
        .hint("declare the BLAS routine noexcept / nothrow, or call it outside the try block"));
    }
    let module = inst.function_of().global_parent();
    if let Some(p) = dec
        .array_pointers()
        .into_iter()
        .chain(dec.scalar_pointers())
        .find(|p| t.is_mixed(*p))
    {
        return Err(Error::at(
            inst,
            format!(
                "cannot differentiate call to '{}': operand {} may point to memory with or without derivatives, depending on the path taken",
                dec.name(),
                p.short()
            ),
        )
        .hint("give the BLAS call operands that are either always active or always constant"));
    }
    let b = Builder::new(module);
    b.before(inst);
    b.set_debug_loc_from(inst);
    let mut op = dec.op(module, &mut |p, ty| b.load(ty, p));
    dec.skip_query(&b, &mut op);
    let ft = op.prec.ty(module);
    let e = Emit {
        b: &b,
        module,
        prec: op.prec,
        int: op.int,
        cache: if t.tape_cache {
            // (scratch: never from the arena, see tape_cache_helpers)
            crate::reverse::tape::tape_cache_helpers(module, false)
        } else {
            None
        },
    };
    // (Tangents of packed scalars are extracted before the call.)
    t.b.before(inst);
    // Each lane: its tangents before the call (while the inputs are in
    // place), after it, and the result's.
    let lanes: Vec<Derivs> = (0..t.width)
        .map(|lane| {
            let shadows: Vec<Option<(Value, Value)>> = op
                .arrays
                .iter()
                .map(|a| t.memory_shadow(a.ptr, lane).map(|p| (p, a.stride)))
                .collect();
            let scalar_tangents: Vec<Option<Value>> = op
                .scalars
                .iter()
                .map(|sc| match sc.by_ref {
                    Some(p) => t.memory_shadow(p, lane).map(|sp| b.load(ft, sp)),
                    None => (t.is_active(sc.value) || t.has_tangent(sc.value))
                        .then(|| t.tangent(sc.value, lane)),
                })
                .collect();
            Derivs {
                col_sums: Vec::new(),
                shadows,
                scalars: Vec::new(),
                scalar_tangents,
                result: None,
                after: Vec::new(),
            }
        })
        .collect();
    for derivs in &lanes {
        blas::tangent(&e, &op, derivs, false);
    }
    b.after(inst);
    op.info = match dec.status(inst) {
        Some(blas::Status::Returned) => Some(inst),
        Some(blas::Status::ByRef(p)) => Some(b.load(op.int, p)),
        None => None,
    };
    for derivs in &lanes {
        blas::tangent(&e, &op, derivs, true);
    }
    if dec.returns() && t.is_active(inst) {
        b.after(inst);
        let d = lanes
            .iter()
            .map(|derivs| {
                blas::result_tangent(&e, &op, derivs, inst).unwrap_or_else(|| b.zero(inst.ty()))
            })
            .collect();
        t.tangents.insert(inst, d);
    }
    Ok(true)
}
