//! Building blocks for the derivatives of special functions: digamma (the
//! derivative of `lgamma`, with `tgamma' = tgamma * digamma`), calls of libm
//! functions of the operand's precision (Bessel derivatives are other Bessel
//! functions), and the sign of a value by its sign bit.
//!
//! Everything here is straight-line IR at the builder's insertion point (or a
//! call of a pure helper function, digamma's), so a rule using it stays a pure
//! expression of the primal operands (the reverse sweep may evaluate it
//! anywhere).

use super::Site;
use ferment_ir::{RealPredicate as P, Type, Value};

const PI: f64 = std::f64::consts::PI;

/// `copysign(1, x)`: +1 or -1 by the sign bit of `x` (so -1 at -0.0).
pub fn sign_bit(s: &Site, x: Value) -> Value {
    s.b.intrinsic("llvm.copysign", &[x.ty()], &[s.one(x), x])
}

/// Calls the libm function `base` in the precision of `ty` (`j1f` for
/// float, `j1` for double, `j1l` otherwise; CUDA's libdevice `__nv_j1f` on
/// NVPTX), declaring it when the module does not have it yet. `args` are
/// the call's arguments, whose types give the declaration's parameters.
pub fn libm(s: &Site, base: &str, ty: Type, args: &[Value]) -> Value {
    let m = s.b.module();
    let suffix = match ty.scalar().float_bits() {
        32 => "f",
        64 => "",
        _ => "l",
    };
    let name = if m.target_triple().starts_with("nvptx") {
        format!("__nv_{base}{suffix}")
    } else {
        format!("{base}{suffix}")
    };
    let f = m.function(&name).unwrap_or_else(|| {
        let params: Vec<Type> = args.iter().map(|a| a.ty()).collect();
        m.add_function(&name, Type::function(ty, &params, false))
    });
    s.b.call_fn(f, args)
}

/// The digamma function psi(x) = d/dx ln|Gamma(x)|: for a scalar float, a
/// call of the module's `ferment.digamma.<type>` (made on first use,
/// [`digamma_helper`]), whose reflection term (`tan`) runs only for negative
/// x; inline straight-line IR otherwise (vectors), where the reflection is
/// computed for every x and selected. Inline, the `tan` call was 17% of the
/// gradient of a negative-binomial log-likelihood (`lgamma(y + r)` per data
/// point, all arguments positive).
pub fn digamma(s: &Site, x: Value) -> Value {
    let ty = x.ty();
    if ty.is_vector() || !ty.is_float() {
        return digamma_inline(s.b, x);
    }
    s.b.call_fn(digamma_helper(s.b.module(), ty), &[x])
}

/// `ferment.digamma.<type>(x)`: [`digamma_body`] with the reflection behind a
/// branch on `x < 0`. Pure (`memory(none)`, `speculatable`: no trap for any
/// input), so the derivative's passes may hoist or drop a call like an
/// instruction.
fn digamma_helper(m: ferment_ir::Module, ty: Type) -> Value {
    let name = format!("ferment.digamma.{}", ty.describe());
    if let Some(f) = m.function(&name) {
        return f;
    }
    let f = m.add_function(&name, Type::function(ty, &[ty], false));
    f.set_internal();
    for a in [
        "memory",
        "nounwind",
        "willreturn",
        "speculatable",
        "nosync",
        "nofree",
    ] {
        f.add_fn_enum_attribute(a);
    }
    let x = f.params()[0];
    let b = ferment_ir::Builder::new(m);
    let entry = f.append_block("entry");
    let reflect = f.append_block("reflect");
    let done = f.append_block("done");
    b.at_end(entry);
    let (neg, psi_z) = digamma_body(&b, x);
    b.cond_br(neg, reflect, done);
    b.at_end(done);
    b.ret(psi_z);
    b.at_end(reflect);
    b.ret(b.fsub(psi_z, cot_pi(&b, x)));
    f
}

/// psi(x) as straight-line IR: the reflection computed for every x and
/// selected where x < 0.
fn digamma_inline(b: &ferment_ir::Builder, x: Value) -> Value {
    let (neg, psi_z) = digamma_body(b, x);
    b.select(neg, b.fsub(psi_z, cot_pi(b, x)), psi_z)
}

/// `(x < 0, psi(z))` with `z = 1 - x` for negative x, else `z = x`, so that
/// `psi(x) = psi(z) - pi / tan(pi x)` for negative x (reflection) and
/// `psi(z)` otherwise: the recurrence `psi(z) = psi(z + 6) - sum_{k<6} 1 / (z + k)`
/// and the asymptotic series at `w = z + 6 >= 6` through the w^-14 term
/// (relative error about 1e-13 in double). Poles (0, -1, -2, ...) give
/// infinities.
fn digamma_body(b: &ferment_ir::Builder, x: Value) -> (Value, Value) {
    let c = |v: f64| b.const_real(x.ty(), v);
    let neg = b.fcmp(P::LLVMRealOLT, x, c(0.0));
    let z = b.select(neg, b.fsub(c(1.0), x), x);
    let mut shift = b.fdiv(c(1.0), z);
    for k in 1..6 {
        shift = b.fadd(shift, b.fdiv(c(1.0), b.fadd(z, c(k as f64))));
    }
    let w = b.fadd(z, c(6.0));
    let u = b.fdiv(c(1.0), b.fmul(w, w));
    // -(u/12 - u^2/120 + u^3/252 - u^4/240 + u^5/132 - 691 u^6/32760 + u^7/12)
    let coeffs = [
        1.0 / 12.0,
        1.0 / 120.0,
        1.0 / 252.0,
        1.0 / 240.0,
        1.0 / 132.0,
        691.0 / 32760.0,
        1.0 / 12.0,
    ];
    let mut poly = c(coeffs[6]);
    for &k in coeffs[..6].iter().rev() {
        poly = b.fsub(c(k), b.fmul(u, poly));
    }
    let series = b.fsub(
        b.fsub(b.unary_intrinsic("llvm.log", w), b.fdiv(c(0.5), w)),
        b.fmul(u, poly),
    );
    (neg, b.fsub(series, shift))
}

/// pi / tan(pi x), with the integer part of x removed first (exactly), so
/// the argument of tan stays small for large |x|.
fn cot_pi(b: &ferment_ir::Builder, x: Value) -> Value {
    let pi = b.const_real(x.ty(), PI);
    let frac = b.fsub(x, b.unary_intrinsic("llvm.trunc", x));
    b.fdiv(pi, b.unary_intrinsic("llvm.tan", b.fmul(pi, frac)))
}
