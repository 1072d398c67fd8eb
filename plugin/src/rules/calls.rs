//! Derivative rules for calls: LLVM math intrinsics and libm functions, in
//! every floating-point type (`sin`, `sinf`, `llvm.sin.f32`, `llvm.sin.v4f64`
//! all use the `sin` rule), plus the list of functions known to carry no
//! derivative at all.

use super::Site;
use ferment_ir::{RealPredicate as P, Value};

type PartialFn = fn(&Site) -> Vec<Option<Value>>;

/// How to differentiate one mathematical function.
pub struct CallRule {
    /// Canonical name (the double-precision libm name).
    pub name: &'static str,
    /// Number of arguments.
    pub arity: usize,
    pub partials: PartialFn,
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

static RULES: &[CallRule] = &[
    CallRule {
        name: "sin",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.unary_intrinsic("llvm.cos", x)),
    },
    CallRule {
        name: "cos",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fneg(s.b.unary_intrinsic("llvm.sin", x))),
    },
    CallRule {
        name: "tan",
        arity: 1,
        // 1 + tan^2
        partials: |s| {
            unary(s, |s, x| {
                let t = r(s);
                s.b.fadd(s.one(x), s.b.fmul(t, t))
            })
        },
    },
    CallRule {
        name: "asin",
        arity: 1,
        partials: |s| unary(s, inv_sqrt_one_minus_sq),
    },
    CallRule {
        name: "acos",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fneg(inv_sqrt_one_minus_sq(s, x))),
    },
    CallRule {
        name: "atan",
        arity: 1,
        partials: |s| {
            unary(s, |s, x| {
                s.b.fdiv(s.one(x), s.b.fadd(s.one(x), s.b.fmul(x, x)))
            })
        },
    },
    CallRule {
        name: "atan2",
        arity: 2,
        // atan2(y, x): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)
        partials: |s| {
            let (y, x) = (s.arg(0), s.arg(1));
            let b = s.b;
            let den = b.fadd(b.fmul(x, x), b.fmul(y, y));
            vec![s.p(0, || b.fdiv(x, den)), s.p(1, || b.fneg(b.fdiv(y, den)))]
        },
    },
    CallRule {
        name: "sinh",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.unary_intrinsic("llvm.cosh", x)),
    },
    CallRule {
        name: "cosh",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.unary_intrinsic("llvm.sinh", x)),
    },
    CallRule {
        name: "tanh",
        arity: 1,
        partials: |s| {
            unary(s, |s, x| {
                let t = r(s);
                s.b.fsub(s.one(x), s.b.fmul(t, t))
            })
        },
    },
    CallRule {
        name: "exp",
        arity: 1,
        partials: |s| unary(s, |s, _| r(s)),
    },
    CallRule {
        name: "exp2",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fmul(r(s), s.num(x, LN2))),
    },
    CallRule {
        name: "exp10",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fmul(r(s), s.num(x, LN10))),
    },
    CallRule {
        name: "expm1",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fadd(r(s), s.one(x))),
    },
    CallRule {
        name: "log",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fdiv(s.one(x), x)),
    },
    CallRule {
        name: "log2",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fdiv(s.one(x), s.b.fmul(x, s.num(x, LN2)))),
    },
    CallRule {
        name: "log10",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fdiv(s.one(x), s.b.fmul(x, s.num(x, LN10)))),
    },
    CallRule {
        name: "log1p",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fdiv(s.one(x), s.b.fadd(s.one(x), x))),
    },
    CallRule {
        name: "sqrt",
        arity: 1,
        partials: |s| unary(s, |s, x| s.b.fdiv(s.num(x, 0.5), r(s))),
    },
    CallRule {
        name: "cbrt",
        arity: 1,
        // d cbrt(x) = cbrt(x) / (3x)
        partials: |s| unary(s, |s, x| s.b.fdiv(r(s), s.b.fmul(x, s.num(x, 3.0)))),
    },
    CallRule {
        name: "pow",
        arity: 2,
        partials: |s| {
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
        },
    },
    CallRule {
        name: "powi",
        arity: 2,
        // n * powi(x, n - 1); the integer exponent is inactive.
        partials: |s| {
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
        },
    },
    CallRule {
        name: "ldexp",
        arity: 2,
        partials: |s| {
            let (x, n) = (s.arg(0), s.arg(1));
            vec![
                s.p(0, || {
                    s.b.intrinsic("llvm.ldexp", &[x.ty(), n.ty()], &[s.one(x), n])
                }),
                None,
            ]
        },
    },
    CallRule {
        name: "hypot",
        arity: 2,
        partials: |s| {
            let (x, y) = (s.arg(0), s.arg(1));
            vec![s.p(0, || s.b.fdiv(x, r(s))), s.p(1, || s.b.fdiv(y, r(s)))]
        },
    },
    CallRule {
        name: "fabs",
        arity: 1,
        partials: |s| {
            unary(s, |s, x| {
                let neg = s.b.fcmp(P::LLVMRealOLT, x, s.b.zero(x.ty()));
                s.b.select(neg, s.num(x, -1.0), s.one(x))
            })
        },
    },
    CallRule {
        name: "fmax",
        arity: 2,
        partials: |s| min_max(s, P::LLVMRealUGE),
    },
    CallRule {
        name: "fmin",
        arity: 2,
        partials: |s| min_max(s, P::LLVMRealULE),
    },
    CallRule {
        name: "copysign",
        arity: 2,
        // |x| * sign(y): d/dx = sign(x) * sign(y); d/dy = 0
        partials: |s| {
            let (x, y) = (s.arg(0), s.arg(1));
            let b = s.b;
            vec![
                s.p(0, || {
                    let sx = b.intrinsic("llvm.copysign", &[x.ty()], &[s.one(x), x]);
                    let sy = b.intrinsic("llvm.copysign", &[x.ty()], &[s.one(x), y]);
                    b.fmul(sx, sy)
                }),
                s.p(1, || b.zero(y.ty())),
            ]
        },
    },
    CallRule {
        name: "fma",
        arity: 3,
        partials: |s| {
            vec![
                s.p(0, || s.arg(1)),
                s.p(1, || s.arg(0)),
                s.p(2, || s.one(s.ops[2])),
            ]
        },
    },
    CallRule {
        name: "erf",
        arity: 1,
        partials: |s| unary(s, |s, x| gaussian(s, x, 2.0 / PI.sqrt())),
    },
    CallRule {
        name: "erfc",
        arity: 1,
        partials: |s| unary(s, |s, x| gaussian(s, x, -2.0 / PI.sqrt())),
    },
    CallRule {
        name: "fmod",
        arity: 2,
        partials: fmod_partials,
    },
    // Piecewise constant: zero derivative almost everywhere.
    CallRule {
        name: "floor",
        arity: 1,
        partials: zero_partials,
    },
    CallRule {
        name: "ceil",
        arity: 1,
        partials: zero_partials,
    },
    CallRule {
        name: "trunc",
        arity: 1,
        partials: zero_partials,
    },
    CallRule {
        name: "round",
        arity: 1,
        partials: zero_partials,
    },
    CallRule {
        name: "rint",
        arity: 1,
        partials: zero_partials,
    },
    CallRule {
        name: "nearbyint",
        arity: 1,
        partials: zero_partials,
    },
    CallRule {
        name: "roundeven",
        arity: 1,
        partials: zero_partials,
    },
];

/// `c * exp(-x^2)`
fn gaussian(s: &Site, x: Value, c: f64) -> Value {
    let b = s.b;
    let e = b.unary_intrinsic("llvm.exp", b.fneg(b.fmul(x, x)));
    b.fmul(s.num(x, c), e)
}

fn fmod_partials(s: &Site) -> Vec<Option<Value>> {
    let (a, d) = (s.arg(0), s.arg(1));
    let b = s.b;
    vec![
        s.p(0, || s.one(a)),
        s.p(1, || b.fneg(b.unary_intrinsic("llvm.trunc", b.fdiv(a, d)))),
    ]
}

/// max (pred = uge) / min (pred = ule): the first operand gets the whole
/// derivative when it is selected (ties and a NaN second operand included).
fn min_max(s: &Site, pred: P) -> Vec<Option<Value>> {
    let (x, y) = (s.arg(0), s.arg(1));
    let b = s.b;
    let first = b.fcmp(pred, x, y);
    vec![
        s.p(0, || b.select(first, s.one(x), b.zero(x.ty()))),
        s.p(1, || b.select(first, b.zero(y.ty()), s.one(y))),
    ]
}

/// Maps a callee name to its canonical rule name: `llvm.sin.f32` → `sin`,
/// `sinf` → `sin`, `llvm.maxnum.f64` → `fmax`, `llvm.fmuladd.f64` → `fma`.
fn canonical(name: &str) -> Option<&'static str> {
    let find = |n: &str| RULES.iter().find(|r| r.name == n).map(|r| r.name);
    // The stand-in of an `__enzyme_function_like` function: `__ferment_like_log1p.f`.
    if let Some(rest) = name.strip_prefix("__ferment_like_") {
        return find(rest.split('.').next().unwrap_or(""));
    }
    if let Some(rest) = name.strip_prefix("llvm.") {
        let base = rest.split('.').next().unwrap_or("");
        return match base {
            "maxnum" | "maximum" | "maximumnum" => Some("fmax"),
            "minnum" | "minimum" | "minimumnum" => Some("fmin"),
            "fmuladd" => Some("fma"),
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
    // float (`sinf`) and long double (`sinl`) variants.
    let stem = name.strip_suffix('f').or_else(|| name.strip_suffix('l'))?;
    find(stem)
}

/// The rule for a callee, by name.
pub fn call_rule(name: &str) -> Option<&'static CallRule> {
    let c = canonical(name)?;
    RULES.iter().find(|r| r.name == c)
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
    }

    #[test]
    fn inactive_functions() {
        assert!(is_known_inactive_function("printf"));
        assert!(is_known_inactive_function("llvm.dbg.value"));
        assert!(!is_known_inactive_function("sin"));
    }
}
