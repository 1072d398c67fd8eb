//! Derivative rules for calls: LLVM math intrinsics and libm functions, in
//! every floating-point type (`sin`, `sinf`, `llvm.sin.f32`, `llvm.sin.v4f64`
//! all use the `sin` rule), plus the list of functions known to carry no
//! derivative at all. Helpers for special functions live in `special.rs`.

use super::special::{digamma, libm, sign_bit};
use super::Site;
use ferment_ir::{Builder, RealPredicate as P, Value};

type PartialFn = fn(&Site) -> Vec<Option<Value>>;

/// How to differentiate one mathematical function.
pub struct CallRule {
    /// Canonical name (the double-precision libm name, or `llvm.NAME` for an
    /// intrinsic without a libm twin of the same signature).
    pub name: &'static str,
    /// Number of arguments.
    pub arity: usize,
    pub partials: PartialFn,
    /// `Some(k)`: the call returns a struct whose field `k` is the result the
    /// partials are of; the other fields carry no derivative (`llvm.modf`
    /// returns `{ fractional, integral }`).
    pub result_field: Option<u32>,
    /// Pointer arguments the function writes a derivative-free value through
    /// (the exponent of `frexp`, the integral part of `modf`). The value
    /// written has derivative zero, which is right as long as that memory
    /// has no shadow; a call where it may have one is an error (the shadow
    /// would keep a stale derivative).
    pub writes: &'static [usize],
    /// The result is one of the operands or a constant (min/max, `fdim`):
    /// an operand may be computed and then discarded, so in reverse mode the
    /// values it is computed from get "strong zero" products.
    pub chooses: bool,
}

impl CallRule {
    const fn writing(self, writes: &'static [usize]) -> CallRule {
        CallRule { writes, ..self }
    }
    const fn choosing(self) -> CallRule {
        CallRule {
            chooses: true,
            ..self
        }
    }
    const fn result_field(self, k: u32) -> CallRule {
        CallRule {
            result_field: Some(k),
            ..self
        }
    }
}

const fn rule(name: &'static str, arity: usize, partials: PartialFn) -> CallRule {
    CallRule {
        name,
        arity,
        partials,
        result_field: None,
        writes: &[],
        chooses: false,
    }
}

const PI: f64 = std::f64::consts::PI;
const LN2: f64 = std::f64::consts::LN_2;
const LN10: f64 = std::f64::consts::LN_10;

fn r(s: &Site) -> Value {
    (s.result)()
}

/// d/dx of a unary function given by `f(site, x)`.
fn unary(s: &Site, f: impl FnOnce(&Site, Value) -> Value) -> Vec<Option<Value>> {
    vec![s.p(0, || f(s, s.arg(0)))]
}

fn zero_partials(s: &Site) -> Vec<Option<Value>> {
    s.ops
        .iter()
        .enumerate()
        .map(|(i, &a)| s.p(i, || s.b.zero(a.ty())))
        .collect()
}

/// 1 / sqrt(1 - x^2)
fn inv_sqrt_one_minus_sq(s: &Site, x: Value) -> Value {
    let b = s.b;
    let one = s.one(x);
    b.fdiv(
        one,
        b.unary_intrinsic("llvm.sqrt", b.fsub(one, b.fmul(x, x))),
    )
}

/// The rule table, by canonical name. Entries are data: the name, the
/// number of arguments, and a function building the partials.
static RULES: &[CallRule] = &[
    // ---- trigonometric and hyperbolic ----
    rule("sin", 1, |s| {
        vec![s.p(0, || match s.companion {
            Some(c) => c(),
            None => s.b.unary_intrinsic("llvm.cos", s.arg(0)),
        })]
    }),
    rule("cos", 1, |s| {
        vec![s.p(0, || {
            s.b.fneg(match s.companion {
                Some(c) => c(),
                None => s.b.unary_intrinsic("llvm.sin", s.arg(0)),
            })
        })]
    }),
    // 1 + tan^2
    rule("tan", 1, |s| {
        unary(s, |s, x| s.b.fadd(s.one(x), s.b.fmul(r(s), r(s))))
    }),
    rule("asin", 1, |s| unary(s, inv_sqrt_one_minus_sq)),
    rule("acos", 1, |s| {
        unary(s, |s, x| s.b.fneg(inv_sqrt_one_minus_sq(s, x)))
    }),
    rule("atan", 1, |s| {
        unary(s, |s, x| {
            s.b.fdiv(s.one(x), s.b.fadd(s.one(x), s.b.fmul(x, x)))
        })
    }),
    // atan2(y, x): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)
    rule("atan2", 2, |s| {
        let (y, x) = (s.arg(0), s.arg(1));
        let b = s.b;
        let den = b.fadd(b.fmul(x, x), b.fmul(y, y));
        vec![s.p(0, || b.fdiv(x, den)), s.p(1, || b.fneg(b.fdiv(y, den)))]
    }),
    rule("sinh", 1, |s| {
        unary(s, |s, x| s.b.unary_intrinsic("llvm.cosh", x))
    }),
    rule("cosh", 1, |s| {
        unary(s, |s, x| s.b.unary_intrinsic("llvm.sinh", x))
    }),
    rule("tanh", 1, |s| {
        unary(s, |s, x| s.b.fsub(s.one(x), s.b.fmul(r(s), r(s))))
    }),
    // 1 / sqrt(x^2 + 1)
    rule("asinh", 1, |s| {
        unary(s, |s, x| {
            let b = s.b;
            let q = b.fadd(b.fmul(x, x), s.one(x));
            b.fdiv(s.one(x), b.unary_intrinsic("llvm.sqrt", q))
        })
    }),
    // 1 / (sqrt(x - 1) sqrt(x + 1)): no cancellation in x^2 - 1 near 1
    rule("acosh", 1, |s| {
        unary(s, |s, x| {
            let b = s.b;
            let lo = b.unary_intrinsic("llvm.sqrt", b.fsub(x, s.one(x)));
            let hi = b.unary_intrinsic("llvm.sqrt", b.fadd(x, s.one(x)));
            b.fdiv(s.one(x), b.fmul(lo, hi))
        })
    }),
    // 1 / ((1 - x)(1 + x))
    rule("atanh", 1, |s| {
        unary(s, |s, x| {
            let b = s.b;
            let q = b.fmul(b.fsub(s.one(x), x), b.fadd(s.one(x), x));
            b.fdiv(s.one(x), q)
        })
    }),
    // ---- exponential and logarithmic ----
    rule("exp", 1, |s| unary(s, |s, _| r(s))),
    rule("exp2", 1, |s| {
        unary(s, |s, x| s.b.fmul(r(s), s.num(x, LN2)))
    }),
    rule("exp10", 1, |s| {
        unary(s, |s, x| s.b.fmul(r(s), s.num(x, LN10)))
    }),
    rule("expm1", 1, |s| unary(s, |s, x| s.b.fadd(r(s), s.one(x)))),
    rule("log", 1, |s| unary(s, |s, x| s.b.fdiv(s.one(x), x))),
    rule("log2", 1, |s| {
        unary(s, |s, x| s.b.fdiv(s.one(x), s.b.fmul(x, s.num(x, LN2))))
    }),
    rule("log10", 1, |s| {
        unary(s, |s, x| s.b.fdiv(s.one(x), s.b.fmul(x, s.num(x, LN10))))
    }),
    rule("log1p", 1, |s| {
        unary(s, |s, x| s.b.fdiv(s.one(x), s.b.fadd(s.one(x), x)))
    }),
    // The exponent of a float: piecewise constant.
    rule("logb", 1, zero_partials),
    // ---- powers and roots ----
    // 1 / (2 sqrt(x)), and 0 at x = 0 as Enzyme (so x * sqrt(x) has
    // derivative 0 there, not 0 * inf). Where the primal divides by sqrt(x)
    // (`m / sqrt(r2 + e2)`), built as 0.5 * (1 / sqrt(x)) (the same value:
    // halving is exact but for subnormal results), so its division is the
    // one the quotient's partials have, one division for both once CSE
    // merges them (a softened pair potential's reverse loop: 3 -> 2
    // divisions per pair); elsewhere 0.5 / sqrt(x), one instruction.
    rule("sqrt", 1, |s| {
        let shared = divides_by_sqrt_of(s.ops[0]);
        unary(s, |s, x| {
            let b = s.b;
            let at_zero = b.fcmp(P::LLVMRealOEQ, x, b.zero(x.ty()));
            let d = if shared {
                b.fmul(s.num(x, 0.5), b.fdiv(s.one(x), r(s)))
            } else {
                b.fdiv(s.num(x, 0.5), r(s))
            };
            b.select(at_zero, b.zero(x.ty()), d)
        })
    }),
    // cbrt(x) / (3x)
    rule("cbrt", 1, |s| {
        unary(s, |s, x| s.b.fdiv(r(s), s.b.fmul(x, s.num(x, 3.0))))
    }),
    rule("pow", 2, pow_partials),
    // n * powi(x, n - 1); the integer exponent is inactive.
    rule("powi", 2, |s| {
        let (x, n) = (s.arg(0), s.arg(1));
        let b = s.b;
        vec![
            s.p(0, || {
                let nm1 = b.sub_int(n, b.const_int(n.ty(), 1));
                let pw = b.intrinsic("llvm.powi", &[x.ty(), n.ty()], &[x, nm1]);
                b.fmul(b.sitofp(n, x.ty()), pw)
            }),
            None,
        ]
    }),
    rule("hypot", 2, |s| {
        let (x, y) = (s.arg(0), s.arg(1));
        vec![s.p(0, || s.b.fdiv(x, r(s))), s.p(1, || s.b.fdiv(y, r(s)))]
    }),
    rule("fma", 3, |s| {
        vec![
            s.p(0, || s.arg(1)),
            s.p(1, || s.arg(0)),
            s.p(2, || s.one(s.ops[2])),
        ]
    }),
    // ---- scaling by powers of two ----
    // x * 2^n: d/dx = 2^n; the integer exponent is inactive.
    rule("ldexp", 2, scale_partials),
    rule("scalbn", 2, scale_partials),
    rule("scalbln", 2, scale_partials),
    // frexp(x, &e) = x * 2^-e: d/dx = 2^-e (1 at x = 0); e is an integer.
    rule("frexp", 2, |s| unary(s, |s, x| mantissa_slope(s, x, r(s)))).writing(&[1]),
    // { mantissa, exponent } = llvm.frexp(x)
    rule("llvm.frexp", 1, |s| {
        unary(s, |s, x| inv_pow2(s, x, s.b.extract_value(r(s), 1)))
    })
    .result_field(0),
    // modf(x, &i) = x - trunc(x); the integral part i has derivative 0.
    rule("modf", 2, |s| vec![s.p(0, || s.one(s.ops[0])), None]).writing(&[1]),
    // { fractional, integral } = llvm.modf(x)
    rule("llvm.modf", 1, |s| unary(s, |s, x| s.one(x))).result_field(0),
    // The next float after x towards y: d/dx = 1, d/dy = 0.
    rule("nextafter", 2, next_partials),
    rule("nexttoward", 2, next_partials),
    // ---- kinks: derivatives at ties and signed zeros ----
    // sign(x) by the sign bit: +1 at +0.0, -1 at -0.0. (Enzyme's rule,
    // select(x < 0, -1, 1), gives +1 at -0.0; the sign bit keeps fabs equal
    // to copysign(x, 1.0), which LLVM folds into fabs, at every level.)
    rule("fabs", 1, |s| unary(s, sign_bit)),
    // |x| * sign(y): d/dx = sign(x) * sign(y) by sign bits; d/dy = 0
    rule("copysign", 2, |s| {
        let (x, y) = (s.arg(0), s.arg(1));
        vec![
            s.p(0, || s.b.fmul(sign_bit(s, x), sign_bit(s, y))),
            s.p(1, || s.b.zero(y.ty())),
        ]
    }),
    rule("fmax", 2, |s| extremum(s, MAXNUM)).choosing(),
    rule("fmin", 2, |s| extremum(s, MINNUM)).choosing(),
    rule("fmaximum", 2, |s| extremum(s, MAXIMUM)).choosing(),
    rule("fminimum", 2, |s| extremum(s, MINIMUM)).choosing(),
    rule("fmaximum_num", 2, |s| extremum(s, MAXIMUM_NUM)).choosing(),
    rule("fminimum_num", 2, |s| extremum(s, MINIMUM_NUM)).choosing(),
    // x - y if x > y, else +0: at a tie the result is the constant branch.
    rule("fdim", 2, |s| {
        let (x, y) = (s.arg(0), s.arg(1));
        let b = s.b;
        let above = b.fcmp(P::LLVMRealOGT, x, y);
        vec![
            s.p(0, || b.select(above, s.one(x), b.zero(x.ty()))),
            s.p(1, || b.select(above, s.num(y, -1.0), b.zero(y.ty()))),
        ]
    })
    .choosing(),
    // x - trunc(x / y) * y
    rule("fmod", 2, |s| remainder_partials(s, "llvm.trunc")),
    // x - n y with n = x / y rounded to nearest, ties to even
    rule("remainder", 2, |s| remainder_partials(s, "llvm.roundeven")),
    rule("remquo", 3, |s| remainder_partials(s, "llvm.roundeven")).writing(&[2]),
    // Fortran's MOD and MODULO of reals through flang's runtime (a, p, file,
    // line): a - trunc(a / p) p and a - floor(a / p) p.
    // Fortran's other real intrinsics that flang leaves to its runtime:
    // SCALE(x, n) = x 2^n, FRACTION(x) = x 2^-e(x), SET_EXPONENT(x, i) =
    // x 2^(i - e(x)) (e: the exponent frexp gives), SPACING piecewise
    // constant, ERFC_SCALED(x) = exp(x^2) erfc(x) with derivative
    // 2 x erfc_scaled(x) - 2 / sqrt(pi).
    rule("_FortranAScale4", 2, fortran_scale_partials),
    rule("_FortranAScale8", 2, fortran_scale_partials),
    rule("_FortranAFraction4", 1, |s| unary(s, fraction_slope)),
    rule("_FortranAFraction8", 1, |s| unary(s, fraction_slope)),
    rule("_FortranASetExponent4", 2, set_exponent_partials),
    rule("_FortranASetExponent8", 2, set_exponent_partials),
    rule("_FortranASpacing4", 1, zero_partials),
    rule("_FortranASpacing8", 1, zero_partials),
    rule("_FortranAErfcScaled4", 1, |s| unary(s, erfc_scaled_slope)),
    rule("_FortranAErfcScaled8", 1, |s| unary(s, erfc_scaled_slope)),
    rule("_FortranAModReal4", 4, |s| {
        remainder_partials(s, "llvm.trunc")
    }),
    rule("_FortranAModReal8", 4, |s| {
        remainder_partials(s, "llvm.trunc")
    }),
    rule("_FortranAModuloReal4", 4, |s| {
        remainder_partials(s, "llvm.floor")
    }),
    rule("_FortranAModuloReal8", 4, |s| {
        remainder_partials(s, "llvm.floor")
    }),
    // Piecewise constant: zero derivative almost everywhere.
    rule("floor", 1, zero_partials),
    rule("ceil", 1, zero_partials),
    rule("trunc", 1, zero_partials),
    rule("round", 1, zero_partials),
    rule("rint", 1, zero_partials),
    rule("nearbyint", 1, zero_partials),
    rule("roundeven", 1, zero_partials),
    // ---- special functions ----
    rule("erf", 1, |s| {
        unary(s, |s, x| gaussian(s, x, 2.0 / PI.sqrt()))
    }),
    rule("erfc", 1, |s| {
        unary(s, |s, x| gaussian(s, x, -2.0 / PI.sqrt()))
    }),
    // ln|Gamma(x)|' = digamma(x); lgamma_r also writes the sign of Gamma.
    rule("lgamma", 1, |s| unary(s, digamma)),
    rule("lgamma_r", 2, |s| {
        vec![s.p(0, || digamma(s, s.arg(0))), None]
    })
    .writing(&[1]),
    rule("tgamma", 1, |s| {
        unary(s, |s, x| s.b.fmul(r(s), digamma(s, x)))
    }),
    // Bessel functions: J0' = -J1, J1' = (J0 - J2) / 2, Jn' = (J(n-1) - J(n+1)) / 2;
    // the same for Y.
    rule("j0", 1, |s| {
        unary(s, |s, x| s.b.fneg(libm(s, "j1", x.ty(), &[x])))
    }),
    rule("j1", 1, |s| unary(s, |s, x| bessel_step(s, "j", x, None))),
    rule("jn", 2, |s| bessel_n(s, "j")),
    rule("y0", 1, |s| {
        unary(s, |s, x| s.b.fneg(libm(s, "y1", x.ty(), &[x])))
    }),
    rule("y1", 1, |s| unary(s, |s, x| bessel_step(s, "y", x, None))),
    rule("yn", 2, |s| bessel_n(s, "y")),
];

/// `c * exp(-x^2)`
fn gaussian(s: &Site, x: Value, c: f64) -> Value {
    let b = s.b;
    let e = b.unary_intrinsic("llvm.exp", b.fneg(b.fmul(x, x)));
    b.fmul(s.num(x, c), e)
}

fn pow_partials(s: &Site) -> Vec<Option<Value>> {
    let (x, y) = (s.arg(0), s.arg(1));
    let b = s.b;
    vec![
        // y * pow(x, y - 1)
        s.p(0, || {
            b.fmul(
                y,
                b.intrinsic("llvm.pow", &[x.ty()], &[x, b.fsub(y, s.one(y))]),
            )
        }),
        // pow(x, y) * log(x), taken as 0 where pow(x, y) == 0 (x = 0)
        s.p(1, || {
            let res = r(s);
            let d = b.fmul(res, b.unary_intrinsic("llvm.log", x));
            let is_zero = b.fcmp(P::LLVMRealOEQ, res, b.zero(res.ty()));
            b.select(is_zero, b.zero(res.ty()), d)
        }),
    ]
}

/// `ldexp(1, n)`: d/dx of `x * 2^n` (ldexp, scalbn, scalbln).
fn scale_partials(s: &Site) -> Vec<Option<Value>> {
    let (x, n) = (s.arg(0), s.arg(1));
    vec![
        s.p(0, || {
            s.b.intrinsic("llvm.ldexp", &[x.ty(), n.ty()], &[s.one(x), n])
        }),
        None,
    ]
}

/// Fortran's `SCALE(x, n)` through the runtime (`n` an i64): d/dx = 2^n.
fn fortran_scale_partials(s: &Site) -> Vec<Option<Value>> {
    let (x, n) = (s.arg(0), s.arg(1));
    let b = s.b;
    vec![
        s.p(0, || {
            let n32 = b.int_cast(n, b.i32(), true);
            b.intrinsic("llvm.ldexp", &[x.ty(), b.i32()], &[s.one(x), n32])
        }),
        None,
    ]
}

/// Fortran's `FRACTION(x)` = x 2^-e(x): d/dx = 2^-e(x).
fn fraction_slope(s: &Site, x: Value) -> Value {
    mantissa_slope(s, x, r(s))
}

/// 2^-e(x), the slope of the mantissa `m = x 2^-e(x)` that frexp gives, as
/// `m / x` (exact: the quotient is a power of two) and 1 at `x = 0`. Not a
/// second `llvm.frexp`: the vectorizers widen it, and LLVM 22's X86
/// instruction selection crashes on a vector `llvm.frexp`
/// (clang-tests fuzz/frexp_batched_split.c).
fn mantissa_slope(s: &Site, x: Value, m: Value) -> Value {
    let b = s.b;
    let zero = b.fcmp(P::LLVMRealOEQ, x, b.zero(x.ty()));
    b.select(zero, s.one(x), b.fdiv(m, x))
}

/// Fortran's `SET_EXPONENT(x, i)` = x 2^(i - e(x)): d/dx = 2^(i - e(x)).
fn set_exponent_partials(s: &Site) -> Vec<Option<Value>> {
    let (x, i) = (s.arg(0), s.arg(1));
    let b = s.b;
    vec![
        s.p(0, || {
            let parts = b.intrinsic("llvm.frexp", &[x.ty(), b.i32()], &[x]);
            let e = b.extract_value(parts, 1);
            let k = b.sub_int(b.int_cast(i, b.i32(), true), e);
            b.intrinsic("llvm.ldexp", &[x.ty(), b.i32()], &[s.one(x), k])
        }),
        None,
    ]
}

/// `2 x erfc_scaled(x) - 2 / sqrt(pi)`, from the result.
fn erfc_scaled_slope(s: &Site, x: Value) -> Value {
    let b = s.b;
    b.fsub(
        b.fmul(b.fmul(s.num(x, 2.0), x), r(s)),
        s.num(x, 2.0 / PI.sqrt()),
    )
}

/// `2^-e` in the type of `x`.
fn inv_pow2(s: &Site, x: Value, e: Value) -> Value {
    let b = s.b;
    let neg = b.sub_int(b.zero(e.ty()), e);
    b.intrinsic("llvm.ldexp", &[x.ty(), e.ty()], &[s.one(x), neg])
}

/// d/dx = 1; no partial for y (zero: `nexttoward`'s y is a long double,
/// of another type than the result).
fn next_partials(s: &Site) -> Vec<Option<Value>> {
    vec![s.p(0, || s.one(s.ops[0])), None]
}

/// `x - round(x / y) * y` where `round` is the intrinsic `rounding`: d/dx =
/// 1, d/dy = -round(x / y). A third argument (remquo's quotient pointer)
/// gets no partial.
fn remainder_partials(s: &Site, rounding: &str) -> Vec<Option<Value>> {
    let b = s.b;
    let mut out = vec![
        s.p(0, || s.one(s.ops[0])),
        s.p(1, || {
            let q = b.fdiv(s.arg(0), s.arg(1));
            b.fneg(b.unary_intrinsic(rounding, q))
        }),
    ];
    out.resize(s.ops.len(), None);
    out
}

/// `(F(n-1)(x) - F(n+1)(x)) / 2` for the Bessel family `f` ("j" or "y");
/// `n = None` is order 1 (then F0 - F2, with the order-0 function).
fn bessel_step(s: &Site, f: &str, x: Value, n: Option<Value>) -> Value {
    let b = s.b;
    let (lo, hi) = match n {
        None => {
            let two = b.const_int(b.i32(), 2);
            (
                libm(s, &format!("{f}0"), x.ty(), &[x]),
                libm(s, &format!("{f}n"), x.ty(), &[two, x]),
            )
        }
        Some(n) => {
            let one = b.const_int(n.ty(), 1);
            let fname = format!("{f}n");
            (
                libm(s, &fname, x.ty(), &[b.sub_int(n, one), x]),
                libm(s, &fname, x.ty(), &[b.add_int(n, one), x]),
            )
        }
    };
    b.fmul(s.num(x, 0.5), b.fsub(lo, hi))
}

/// `jn(n, x)` / `yn(n, x)`: the integer order is inactive.
fn bessel_n(s: &Site, f: &str) -> Vec<Option<Value>> {
    vec![None, s.p(1, || bessel_step(s, f, s.arg(1), Some(s.arg(0))))]
}

/// Which operand of a maximum or minimum receives the derivative.
#[derive(Clone, Copy)]
struct Extremum {
    max: bool,
    /// NaN in, NaN out (`llvm.maximum`); otherwise a NaN operand is
    /// ignored (`fmax`, `llvm.maxnum`).
    nan_propagates: bool,
    /// -0.0 < +0.0 (`llvm.maximum`, `llvm.maximumnum`).
    zero_ordered: bool,
}

const MAXNUM: Extremum = Extremum {
    max: true,
    nan_propagates: false,
    zero_ordered: false,
};
const MINNUM: Extremum = Extremum {
    max: false,
    ..MAXNUM
};
const MAXIMUM: Extremum = Extremum {
    max: true,
    nan_propagates: true,
    zero_ordered: true,
};
const MINIMUM: Extremum = Extremum {
    max: false,
    ..MAXIMUM
};
const MAXIMUM_NUM: Extremum = Extremum {
    nan_propagates: false,
    ..MAXIMUM
};
const MINIMUM_NUM: Extremum = Extremum {
    nan_propagates: false,
    ..MINIMUM
};

/// The extrema by the names of their rules in [`RULES`] (canonical names:
/// `llvm.maxnum.*` and `fmaxf` are `fmax`), for [`extremum_as_select`],
/// which sees a call rather than a rule's [`Site`].
const EXTREMA: [(&str, Extremum); 6] = [
    ("fmax", MAXNUM),
    ("fmin", MINNUM),
    ("fmaximum", MAXIMUM),
    ("fminimum", MINIMUM),
    ("fmaximum_num", MAXIMUM_NUM),
    ("fminimum_num", MINIMUM_NUM),
];

/// The whole derivative goes to the operand the function returns. At a tie
/// (x == y with equal signs) it follows Enzyme: the first operand of a
/// maximum, the second of a minimum. Where the function orders signed zeros
/// it goes to the zero returned; a NaN operand that is ignored gets nothing,
/// a NaN that is propagated gets it all.
///
/// Each partial is a `select` between the constants 1 and 0, so that it is
/// applied as a choice (`rules::times`): the operand not returned may carry
/// an infinite or NaN derivative, which must not leak through `0 * inf`.
fn extremum(s: &Site, e: Extremum) -> Vec<Option<Value>> {
    let (x, y) = (s.arg(0), s.arg(1));
    let b = s.b;
    let (one, zero) = (s.one(x), b.zero(x.ty()));
    let other = other_wins(b, x, y, e, false);
    let first = if e.max { zero } else { one };
    let second = if e.max { one } else { zero };
    let dx = || b.select(other, first, second);
    let dy = || b.select(other, second, first);
    vec![s.p(0, dx), s.p(1, dy)]
}

/// The operand whose NaN makes the "other" operand win ([`other_wins`]).
fn nan_side(x: Value, y: Value, e: Extremum) -> Value {
    if e.max != e.nan_propagates {
        x
    } else {
        y
    }
}

/// Whether the "other" operand of a maximum or minimum wins: y for a
/// maximum, x for a minimum. It follows from x < y, a NaN, and (ordered
/// zeros) -0 against +0; at a tie it is false (see [`extremum`]).
/// `nan_free`: the caller knows [`nan_side`] is never NaN, so its test is
/// left out (the same choice for every value it can take).
fn other_wins(b: &Builder, x: Value, y: Value, e: Extremum, nan_free: bool) -> Value {
    let side = nan_side(x, y, e);
    let nan = (!nan_free).then(|| b.fcmp(P::LLVMRealUNO, side, side));
    let mut other = nan;
    if e.zero_ordered {
        let sign =
            |v: Value| b.intrinsic("llvm.copysign", &[v.ty()], &[b.const_real(v.ty(), 1.0), v]);
        let neg_pos = b.fcmp(P::LLVMRealOLT, sign(x), sign(y));
        let tie = b.fcmp(P::LLVMRealOEQ, x, y);
        other = Some(match nan {
            Some(n) => b.select(tie, neg_pos, n),
            None => b.and_int(tie, neg_pos),
        });
    }
    let lt = b.fcmp(P::LLVMRealOLT, x, y);
    match other {
        Some(o) => b.or_int(lt, o),
        None => lt,
    }
}

/// Whether `call` is a maximum or minimum that ignores a NaN operand
/// (`fmax`, `llvm.minnum`, `llvm.maximumnum`...): its result, as
/// [`extremum_as_select`] computes it, is NaN only when both operands are.
pub fn nan_ignoring_extremum(call: Value) -> bool {
    let Some(rule) = call.called_function().and_then(|f| call_rule(&f.name())) else {
        return false;
    };
    call.call_args().len() == 2
        && call.ty().is_fp_like()
        && EXTREMA
            .iter()
            .any(|(name, e)| *name == rule.name && !e.nan_propagates)
}

/// A call of a maximum or minimum (`llvm.maxnum`, `fmin`, `llvm.minimum`...)
/// rewritten, at `b`, as the choice it makes: `select(c, x, y)` with `c`
/// computed by [`other_wins`]. Same value (where the call may return either
/// operand, at a tie of signed zeros, the select returns one of them) and,
/// differentiated as a select, the same derivative as the call's rule; but
/// the reverse sweep needs only the one-bit choice, not both operands (a
/// running minimum over a loop tapes a byte per step instead of two
/// doubles). `None` for any other call.
///
/// `never_nan` says which values are never NaN ([`nan_ignoring_extremum`]'s
/// running extrema started from a number): where the operand whose NaN
/// would make the other win is one of them, that test is left out, so a
/// running maximum `m = fmax(m, v)` compares `m < v` only (one compare on
/// the loop-carried chain instead of two and an `or`).
pub fn extremum_as_select(
    b: &Builder,
    call: Value,
    never_nan: &dyn Fn(Value) -> bool,
) -> Option<Value> {
    let rule = call_rule(&call.called_function()?.name())?;
    let &(_, e) = EXTREMA.iter().find(|(name, _)| *name == rule.name)?;
    let args = call.call_args();
    let (mut x, mut y) = (*args.first()?, *args.get(1)?);
    if args.len() != 2 || !x.ty().is_fp_like() || x.ty() != call.ty() || y.ty() != x.ty() {
        return None;
    }
    // The operands in the order LLVM's instcombine gives a min/max at -O2
    // (instructions first, then arguments, then constants), so that the
    // same operand wins a tie at every optimization level.
    let rank = |v: Value| {
        if v.is_instruction() {
            if v.opcode() == ferment_ir::Opcode::LLVMFNeg || v.is_cast() {
                4
            } else {
                5
            }
        } else if v.is_argument() {
            3
        } else if v.is_constant() {
            1
        } else {
            2
        }
    };
    if rank(x) < rank(y) {
        std::mem::swap(&mut x, &mut y);
    }
    let nan_free = !e.nan_propagates && never_nan(nan_side(x, y, e));
    let other = other_wins(b, x, y, e, nan_free);
    Some(if e.max {
        b.select(other, y, x)
    } else {
        b.select(other, x, y)
    })
}

/// Maps a callee name to its canonical rule name: `llvm.sin.f32` → `sin`,
/// `sinf` → `sin`, `llvm.maxnum.f64` → `fmax`, `llvm.fmuladd.f64` → `fma`.
/// Whether the primal has a `sqrt` of `x` that is the divisor of a division.
fn divides_by_sqrt_of(x: Value) -> bool {
    x.users().into_iter().any(|c| {
        c.is_call()
            && c.called_function()
                .is_some_and(|f| canonical(&f.name()) == Some("sqrt"))
            && c.users()
                .into_iter()
                .any(|w| w.opcode() == ferment_ir::Opcode::LLVMFDiv && w.operand(1) == c)
    })
}

fn canonical(name: &str) -> Option<&'static str> {
    let find = |n: &str| RULES.iter().find(|r| r.name == n).map(|r| r.name);
    // The stand-in of an `__enzyme_function_like` function: `__ferment_like_log1p.f`.
    if let Some(rest) = name.strip_prefix("__ferment_like_") {
        return find(rest.split('.').next().unwrap_or(""));
    }
    if let Some(rest) = name.strip_prefix("llvm.") {
        let base = rest.split('.').next().unwrap_or("");
        return match base {
            "maxnum" => Some("fmax"),
            "minnum" => Some("fmin"),
            "maximum" => Some("fmaximum"),
            "minimum" => Some("fminimum"),
            "maximumnum" => Some("fmaximum_num"),
            "minimumnum" => Some("fminimum_num"),
            "fmuladd" => Some("fma"),
            // struct-returning twins of libm functions with pointer outputs
            "frexp" => Some("llvm.frexp"),
            "modf" => Some("llvm.modf"),
            _ => find(base),
        };
    }
    // `__builtin_sin`, and CUDA's libdevice `__nv_sin` / `__nv_sinf`.
    let name = name
        .strip_prefix("__builtin_")
        .or_else(|| name.strip_prefix("__nv_"))
        .unwrap_or(name);
    if let Some(n) = find(name) {
        return Some(n);
    }
    // float (`sinf`) and long double (`sinl`) variants; `lgammaf_r`.
    if let Some(stem) = name
        .strip_suffix("f_r")
        .or_else(|| name.strip_suffix("l_r"))
    {
        return find(&format!("{stem}_r"));
    }
    let stem = name.strip_suffix('f').or_else(|| name.strip_suffix('l'))?;
    find(stem)
}

/// The rule for a callee, by name.
pub fn call_rule(name: &str) -> Option<&'static CallRule> {
    let c = canonical(name)?;
    RULES.iter().find(|r| r.name == c)
}

/// For a call of `sin` (`cos`), a call of `cos` (`sin`) of the same argument
/// and type in the same block, whose value is the first one's partial (up to
/// sign): the primal computes it anyway, so the derivative reads it (from the
/// tape in reverse mode) instead of calling a transcendental function again.
pub fn trig_companion(inst: Value) -> Option<Value> {
    let rule_of = |v: Value| {
        v.is_call()
            .then(|| v.called_function())
            .flatten()
            .and_then(|f| call_rule(&f.name()))
            .map(|r| r.name)
    };
    let want = match rule_of(inst)? {
        "sin" => "cos",
        "cos" => "sin",
        _ => return None,
    };
    let x = *inst.call_args().first()?;
    inst.parent().instructions().into_iter().find(|&i| {
        i != inst
            && i.ty() == inst.ty()
            && rule_of(i) == Some(want)
            && i.call_args().first() == Some(&x)
    })
}

/// Functions that never carry a derivative (I/O, timing, randomness, memory
/// bookkeeping intrinsics, debug info): calls to them are left in the
/// primal sweep only. The list lives with the activity analysis, which asks
/// the same question.
pub fn is_known_inactive_function(name: &str) -> bool {
    ferment_activity_analysis::is_known_inactive_function(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names() {
        assert_eq!(canonical("sin"), Some("sin"));
        assert_eq!(canonical("sinf"), Some("sin"));
        assert_eq!(canonical("erff"), Some("erf"));
        assert_eq!(canonical("erf"), Some("erf"));
        assert_eq!(canonical("llvm.sin.f32"), Some("sin"));
        assert_eq!(canonical("llvm.powi.f64.i32"), Some("powi"));
        assert_eq!(canonical("llvm.maxnum.v4f64"), Some("fmax"));
        assert_eq!(canonical("llvm.fmuladd.f64"), Some("fma"));
        assert_eq!(canonical("fmaf"), Some("fma"));
        assert_eq!(canonical("expm1f"), Some("expm1"));
        assert_eq!(canonical("mystery"), None);
        assert_eq!(canonical("f"), None);
        assert_eq!(canonical("__nv_sin"), Some("sin"));
        assert_eq!(canonical("__nv_expf"), Some("exp"));
        assert_eq!(canonical("llvm.maximum.f32"), Some("fmaximum"));
        assert_eq!(canonical("llvm.minimumnum.f64"), Some("fminimum_num"));
        assert_eq!(canonical("fminimum_numf"), Some("fminimum_num"));
        assert_eq!(canonical("llvm.modf.f64"), Some("llvm.modf"));
        assert_eq!(canonical("modff"), Some("modf"));
        assert_eq!(canonical("llvm.frexp.f32.i32"), Some("llvm.frexp"));
        assert_eq!(canonical("frexpl"), Some("frexp"));
        assert_eq!(canonical("lgammaf_r"), Some("lgamma_r"));
        assert_eq!(canonical("scalblnf"), Some("scalbln"));
        assert_eq!(canonical("jnf"), Some("jn"));
        assert_eq!(canonical("llvm.ldexp.f64.i32"), Some("ldexp"));
    }

    #[test]
    fn extrema_are_choosing_rules() {
        for (name, _) in EXTREMA {
            let r = RULES.iter().find(|r| r.name == name).expect(name);
            assert!(r.chooses && r.arity == 2, "{name}");
        }
    }

    #[test]
    fn table_is_consistent() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(
                RULES[..i].iter().all(|q| q.name != r.name),
                "duplicate rule {}",
                r.name
            );
            assert!(r.writes.iter().all(|&w| w < r.arity), "{}", r.name);
            // The activity analysis knows the same output pointers.
            for &w in r.writes {
                let f = match r.name.strip_suffix("_r") {
                    Some(stem) => format!("{stem}f_r"),
                    None => format!("{}f", r.name),
                };
                assert!(
                    ferment_activity_analysis::derivative_free_output(r.name, w)
                        && ferment_activity_analysis::derivative_free_output(&f, w),
                    "{} argument {w}",
                    r.name
                );
            }
        }
    }

    #[test]
    fn inactive_functions() {
        assert!(is_known_inactive_function("printf"));
        assert!(is_known_inactive_function("llvm.dbg.value"));
        assert!(!is_known_inactive_function("sin"));
    }
}
