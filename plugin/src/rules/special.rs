//! Building blocks for the derivatives of special functions: digamma (the
//! derivative of `lgamma`, with `tgamma' = tgamma * digamma`), calls of libm
//! functions of the operand's precision (Bessel derivatives are other Bessel
//! functions), and the sign of a value by its sign bit.
//!
//! Everything here is straight-line IR at the builder's insertion point, so a
//! rule using it stays a pure expression of the primal operands (the reverse
//! sweep may evaluate it anywhere).

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

/// The digamma function psi(x) = d/dx ln|Gamma(x)|, evaluated inline:
/// reflection `psi(x) = psi(1 - x) - pi / tan(pi x)` for negative x, the
/// recurrence `psi(z) = psi(z + 6) - sum_{k<6} 1 / (z + k)`, and the
/// asymptotic series at `w = z + 6 >= 6` through the w^-14 term (relative
/// error about 1e-13 in double). Poles (0, -1, -2, ...) give infinities.
pub fn digamma(s: &Site, x: Value) -> Value {
    let b = s.b;
    let c = |v: f64| s.num(x, v);
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
    let psi_z = b.fsub(series, shift);
    // pi / tan(pi x) with the integer part of x removed first (exactly), so
    // the argument of tan stays small for large |x|.
    let frac = b.fsub(x, b.unary_intrinsic("llvm.trunc", x));
    let cot = b.fdiv(c(PI), b.unary_intrinsic("llvm.tan", b.fmul(c(PI), frac)));
    b.select(neg, b.fsub(psi_z, cot), psi_z)
}
