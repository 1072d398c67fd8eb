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
//! meeting an infinite partial further up the discarded computation; forward
//! mode guards the same way a zero tangent meeting a partial that may be
//! infinite (`cbrt(fmax(x, 0))` at `x < 0`), see `finite.rs`.

use ferment_ir::{Builder, Opcode, RealPredicate, Value};

/// `select(c, kx, ky)` with constant arms (splats for vectors): the
/// condition and the two constants.
fn selection(partial: Value) -> Option<(Value, f64, f64)> {
    if !partial.is_instruction() || partial.opcode() != Opcode::LLVMSelect {
        return None;
    }
    let kx = partial.operand(1).splat_float()?;
    let ky = partial.operand(2).splat_float()?;
    Some((partial.operand(0), kx, ky))
}

/// `partial * t`, as a selection when the partial selects between constants.
pub fn times(b: &Builder, partial: Value, t: Value) -> Value {
    if partial.splat_float() == Some(0.0) {
        // A constant zero partial (the floor family, logb, ...) passes
        // nothing back, even where `t` is infinite: the operand has no
        // influence at all, so its derivative is exactly zero.
        return b.zero(t.ty());
    }
    match selection(partial) {
        Some((c, kx, ky)) => b.select(c, scaled(b, kx, t), scaled(b, ky, t)),
        None => b.fmul(partial, t),
    }
}

/// `partial * t` for a scalar `partial` and a vector `t` (the tangent lanes
/// of batched forward mode): the partial is broadcast, or applied as a
/// selection like [`times`].
pub fn times_lanes(b: &Builder, partial: Value, t: Value) -> Value {
    if partial.splat_float() == Some(0.0) {
        return b.zero(t.ty());
    }
    match selection(partial) {
        Some((c, kx, ky)) => b.select(c, scaled(b, kx, t), scaled(b, ky, t)),
        None => b.fmul(splat(b, partial, t.ty().vector_len()), t),
    }
}

/// `<n x T>` with every lane `v`.
pub fn splat(b: &Builder, v: Value, n: u32) -> Value {
    let ty = ferment_ir::Type::vector(v.ty(), n);
    let zero = b.const_int(b.i32(), 0);
    let one = b.insert_element(b.poison(ty), v, zero);
    b.shuffle(one, b.poison(ty), b.const_mask(&vec![0; n as usize]))
}

/// `partial * d` that is exactly zero when the adjoint `d` is zero, whatever
/// the partial (Enzyme's "strong zero"), for values a `select` may discard.
/// A finite constant partial, or a selection between finite constants,
/// needs no guard.
pub fn guarded(b: &Builder, partial: Value, d: Value) -> Value {
    strong_zero(b, partial, d, times(b, partial, d))
}

/// The metadata kind that marks a guard of [`guarded`] that may test the
/// first zero test of its chain instead of its own adjoint (read by
/// `shim::share_guard_tests`). Only marked guards share: LLVM drops metadata
/// it does not know when it merges or rebuilds instructions, and a guard that
/// lost its mark keeps its own test, which costs a compare, never a NaN.
pub const SHARES_TEST: &str = "ferment.guard.shares";

/// Marks `g`, a result of [`guarded`], as a guard that may share the first
/// zero test of its chain of guards: its adjoint is zero only where the
/// chain started from zero, never a zero that a partial made (`atan'(q) = 0`
/// at `q = inf`, which the chain's first test does not see; the reverse
/// sweep leaves those guards unmarked, see `reverse::zeroed_by_partials`).
/// Nothing where `g` is not a guard's select. Returns `g`.
pub fn may_share_test(g: Value) -> Value {
    if g.is_instruction() && g.opcode() == Opcode::LLVMSelect {
        g.set_md_int(SHARES_TEST, 1);
    }
    g
}

/// `partial * d` where `finite` holds, else [`guarded`]: the guard for a
/// partial that may be infinite only where `finite` does not hold (a run-time
/// test, see `reverse::loaded_factor_guards`).
pub fn guarded_unless(b: &Builder, finite: Value, partial: Value, d: Value) -> Value {
    let product = times(b, partial, d);
    let g = strong_zero(b, partial, d, product);
    if g == product {
        return product;
    }
    b.select(finite, product, g)
}

/// [`guarded`] for a scalar `partial` and the vector `t` of tangent lanes
/// (batched forward mode, as [`times_lanes`]): each lane whose tangent is
/// zero stays zero.
pub fn guarded_lanes(b: &Builder, partial: Value, t: Value) -> Value {
    strong_zero(b, partial, t, times_lanes(b, partial, t))
}

/// `product` (of `partial` and `d`), or zero where `d` is zero unless the
/// partial is a finite constant or a selection between finite constants.
fn strong_zero(b: &Builder, partial: Value, d: Value, product: Value) -> Value {
    let finite_constant = partial.splat_float().is_some_and(f64::is_finite);
    let finite_selection =
        selection(partial).is_some_and(|(_, kx, ky)| kx.is_finite() && ky.is_finite());
    if finite_constant || finite_selection || product.is_constant() {
        return product;
    }
    let is_zero = b.fcmp(RealPredicate::LLVMRealOEQ, d, b.zero(d.ty()));
    b.select(is_zero, b.zero(d.ty()), product)
}

/// `product` (of `partial` and an adjoint or tangent that may be infinite,
/// see [`super::finite::infinite_adjoints`]), or zero where the partial is
/// zero: an operand that has no influence at this point passes nothing
/// back, even through an infinite adjoint (`cbrt(k * g)` at `k = 0`: `g`'s
/// partial `k` times `cbrt'(0) = inf`). A constant partial or a selection
/// between constants needs no test ([`times`] already gives an exact zero
/// for a zero constant). `product` may be a vector of lanes (batched forward
/// mode) for a scalar partial.
pub fn zero_partial_wins(b: &Builder, partial: Value, product: Value) -> Value {
    if partial.is_constant() || selection(partial).is_some() || product.is_constant() {
        return product;
    }
    let is_zero = b.fcmp(RealPredicate::LLVMRealOEQ, partial, b.zero(partial.ty()));
    b.select(is_zero, b.zero(product.ty()), product)
}

/// `product` (of a partial of `u` with respect to `v` and `u`'s adjoint
/// `d`), or NaN where `v` is infinite and `d` is not zero: the partial is
/// an exact zero there that vanishes as fast as the partial that made `v`
/// infinite grows (see [`super::finite::NonfinitePartials::indeterminate_partials`]),
/// and the chain rule's 0 * inf is indeterminate, not the strong zero a
/// guard before it would make of it. Where `d` is zero (the use of `v`
/// discarded) the product stays zero.
pub fn indeterminate_at_infinity(b: &Builder, v: Value, d: Value, product: Value) -> Value {
    let ty = v.ty();
    let abs = b.intrinsic("llvm.fabs", &[ty], &[v]);
    let infinite = b.fcmp(
        RealPredicate::LLVMRealOEQ,
        abs,
        b.const_real(ty, f64::INFINITY),
    );
    let used = b.fcmp(RealPredicate::LLVMRealUNE, d, b.zero(d.ty()));
    b.select(
        b.and_int(infinite, used),
        b.const_real(product.ty(), f64::NAN),
        product,
    )
}

fn scaled(b: &Builder, k: f64, t: Value) -> Value {
    if k == 0.0 {
        b.zero(t.ty())
    } else {
        b.fmul(b.const_real(t.ty(), k), t)
    }
}
