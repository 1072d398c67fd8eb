//! How a partial derivative meets a tangent or an adjoint.
//!
//! A partial that is a choice between constants (`fmin`/`fmax` pick one
//! operand, `fabs` and `copysign` pick a sign) is applied as a choice
//! between scaled values, never as a multiplication: the operand that was
//! not picked may carry an infinite or NaN derivative (a guarded division
//! computed but discarded), and `0 * inf` would leak NaN into the result.
//!
//! In reverse mode an adjoint can be a run-time zero because a `select`
//! discarded the value it belongs to; [`guarded`] keeps such a zero from
//! meeting an infinite partial further up the discarded computation.

use ferment_ir::{Builder, Opcode, RealPredicate, Value};

/// `partial * t`, as a selection when the partial selects between constants.
pub fn times(b: &Builder, partial: Value, t: Value) -> Value {
    if partial.is_instruction() && partial.opcode() == Opcode::LLVMSelect {
        let (c, x, y) = (partial.operand(0), partial.operand(1), partial.operand(2));
        if let (Some(kx), Some(ky)) = (x.splat_float(), y.splat_float()) {
            return b.select(c, scaled(b, kx, t), scaled(b, ky, t));
        }
    }
    b.fmul(partial, t)
}

/// `partial * d` that is exactly zero when the adjoint `d` is zero, whatever
/// the partial (Enzyme's "strong zero"), for values a `select` may discard.
pub fn guarded(b: &Builder, partial: Value, d: Value) -> Value {
    let finite_constant = partial.splat_float().is_some_and(f64::is_finite);
    let selection = partial.is_instruction()
        && partial.opcode() == Opcode::LLVMSelect
        && partial.operand(1).splat_float().is_some_and(f64::is_finite)
        && partial.operand(2).splat_float().is_some_and(f64::is_finite);
    let p = times(b, partial, d);
    if finite_constant || selection || p.is_constant() {
        return p;
    }
    let is_zero = b.fcmp(RealPredicate::LLVMRealOEQ, d, b.zero(d.ty()));
    b.select(is_zero, b.zero(d.ty()), p)
}

fn scaled(b: &Builder, k: f64, t: Value) -> Value {
    if k == 0.0 {
        b.zero(t.ty())
    } else {
        b.fmul(b.const_real(t.ty(), k), t)
    }
}
