//! A test next to each derivative rule: for every function in the rule
//! table, JIT-compile its primal and each partial derivative the rule
//! builds, and compare the partials with central finite differences of the
//! JIT-compiled primal at several points. The IR is built with inkwell; the
//! rule itself runs on ferment's builder over the same module.

use ferment::rules::{call_rule, Site};
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::targets::{InitializationConfig, Target};
use inkwell::types::{AsTypeRef, BasicMetadataTypeEnum};
use inkwell::values::{AsValueRef, FunctionValue};
use inkwell::OptimizationLevel;

// Integration tests run outside any host: link LLVM into this binary.
#[link(name = "LLVM-22")]
extern "C" {}

/// How the test passes each argument of the callee: a double (the only
/// kind with a partial), an integer converted from the double, or the
/// address of a scratch slot (an output the callee writes).
#[derive(Clone, Copy, PartialEq)]
enum K {
    F,
    I32,
    I64,
    Ptr,
}

/// (callee, argument kinds, sample points, `Some(k)`: the callee returns
/// `{ double, k }` and the first field is the result)
struct Case {
    callee: &'static str,
    kinds: &'static [K],
    points: &'static [[f64; 3]],
    ret_struct: Option<K>,
}

const P1: &[[f64; 3]] = &[[0.3, 0.0, 0.0], [-0.7, 0.0, 0.0], [0.55, 0.0, 0.0]];
const POS: &[[f64; 3]] = &[[0.3, 0.0, 0.0], [1.7, 0.0, 0.0], [4.2, 0.0, 0.0]];
const P2: &[[f64; 3]] = &[[0.3, 1.2, 0.0], [-0.7, 0.4, 0.0], [1.9, -0.8, 0.0]];
const P2POS: &[[f64; 3]] = &[[0.3, 1.2, 0.0], [1.7, 0.4, 0.0], [2.9, 2.5, 0.0]];
const P3: &[[f64; 3]] = &[[0.3, 1.2, -0.4], [-0.7, 0.4, 2.0], [1.9, -0.8, 0.1]];
const PI: &[[f64; 3]] = &[[0.8, 3.0, 0.0], [-1.3, 2.0, 0.0], [1.1, -2.0, 0.0]];
const ACOSH: &[[f64; 3]] = &[[1.3, 0.0, 0.0], [2.0, 0.0, 0.0], [4.5, 0.0, 0.0]];
const FREXP: &[[f64; 3]] = &[
    [0.3, 0.0, 0.0],
    [-0.7, 0.0, 0.0],
    [5.5, 0.0, 0.0],
    [1000.1, 0.0, 0.0],
];
const MODF: &[[f64; 3]] = &[
    [0.3, 0.0, 0.0],
    [-0.7, 0.0, 0.0],
    [2.55, 0.0, 0.0],
    [-7.2, 0.0, 0.0],
];
const REM: &[[f64; 3]] = &[
    [5.3, 2.0, 0.0],
    [-3.7, 1.5, 0.0],
    [2.2, -0.9, 0.0],
    [0.4, 3.0, 0.0],
];
const GAMMA: &[[f64; 3]] = &[
    [0.3, 0.0, 0.0],
    [1.7, 0.0, 0.0],
    [4.2, 0.0, 0.0],
    [12.5, 0.0, 0.0],
    [-0.5, 0.0, 0.0],
    [-2.3, 0.0, 0.0],
];
const BESSEL_N: &[[f64; 3]] = &[
    [2.0, 0.7, 0.0],
    [3.0, 2.5, 0.0],
    [0.0, 1.3, 0.0],
    [-1.0, 0.9, 0.0],
];

fn cases() -> Vec<Case> {
    use K::*;
    let c = |callee, kinds, points| Case {
        callee,
        kinds,
        points,
        ret_struct: None,
    };
    let st = |callee, ret, points| Case {
        callee,
        kinds: &[F],
        points,
        ret_struct: Some(ret),
    };
    let f1: &[K] = &[F];
    let f2: &[K] = &[F, F];
    vec![
        c("sin", f1, P1),
        c("cos", f1, P1),
        c("tan", f1, P1),
        c("asin", f1, P1),
        c("acos", f1, P1),
        c("atan", f1, P1),
        c("atan2", f2, P2),
        c("sinh", f1, P1),
        c("cosh", f1, P1),
        c("tanh", f1, P1),
        c("asinh", f1, P1),
        c("acosh", f1, ACOSH),
        c("atanh", f1, P1),
        c("exp", f1, P1),
        c("exp2", f1, P1),
        c("expm1", f1, P1),
        c("log", f1, POS),
        c("log2", f1, POS),
        c("log10", f1, POS),
        c("log1p", f1, POS),
        c("logb", f1, POS),
        c("sqrt", f1, POS),
        c("cbrt", f1, POS),
        c("pow", f2, P2POS),
        c("hypot", f2, P2),
        c("fabs", f1, P1),
        c("fmax", f2, P2),
        c("fmin", f2, P2),
        c("llvm.maximum.f64", f2, P2),
        c("llvm.minimum.f64", f2, P2),
        c("llvm.maximumnum.f64", f2, P2),
        c("llvm.minimumnum.f64", f2, P2),
        c("fdim", f2, P2),
        c("copysign", f2, P2),
        c("fma", &[F, F, F], P3),
        c("erf", f1, P1),
        c("erfc", f1, P1),
        c("fmod", f2, P2POS),
        c("remainder", f2, REM),
        c("remquo", &[F, F, Ptr], REM),
        c("floor", f1, P1),
        c("ceil", f1, P1),
        c("trunc", f1, P1),
        c("round", f1, P1),
        c("llvm.powi.f64.i32", &[F, I32], PI),
        c("ldexp", &[F, I32], PI),
        c("scalbn", &[F, I32], PI),
        c("scalbln", &[F, I64], PI),
        c("frexp", &[F, Ptr], FREXP),
        st("llvm.frexp.f64.i32", I32, FREXP),
        c("modf", &[F, Ptr], MODF),
        st("llvm.modf.f64", F, MODF),
        c("nextafter", f2, P2),
        c("lgamma", f1, GAMMA),
        c("lgamma_r", &[F, Ptr], GAMMA),
        c("tgamma", f1, GAMMA),
        c("j0", f1, POS),
        c("j1", f1, POS),
        c("jn", &[I32, F], BESSEL_N),
        c("y0", f1, POS),
        c("y1", f1, POS),
        c("yn", &[I32, F], BESSEL_N),
    ]
}

/// `double NAME(double a, double b, double c)` calling `callee` on the
/// first `arity` arguments; when `partial` is `Some(k)`, it returns the
/// rule's partial derivative with respect to argument `k` instead.
fn build<'c>(
    ctx: &'c Context,
    m: &Module<'c>,
    case: &Case,
    name: &str,
    partial: Option<usize>,
) -> FunctionValue<'c> {
    let f64t = ctx.f64_type();
    let i32t = ctx.i32_type();
    let i64t = ctx.i64_type();
    let fn_ty = f64t.fn_type(&[f64t.into(), f64t.into(), f64t.into()], false);
    let f = m.add_function(name, fn_ty, None);
    let entry = ctx.append_basic_block(f, "entry");
    let params: Vec<_> = (0..3)
        .map(|i| f.get_nth_param(i).unwrap().into_float_value())
        .collect();
    let ir_module = ferment_ir::Module(m.as_mut_ptr());
    let b = ferment_ir::Builder::new(ir_module);
    b.at_end(ferment_ir::Block(entry.as_mut_ptr()));
    let mut args: Vec<ferment_ir::Value> = Vec::new();
    let mut callee_params = Vec::new();
    let ptr_t = ctx.ptr_type(inkwell::AddressSpace::default());
    for (i, kind) in case.kinds.iter().enumerate() {
        let p = params[i].as_value_ref();
        let (arg, ty): (_, BasicMetadataTypeEnum) = match kind {
            K::F => (ferment_ir::Value(p), f64t.into()),
            K::I32 => (fp_to_si(&b, p, i32t.as_type_ref()), i32t.into()),
            K::I64 => (fp_to_si(&b, p, i64t.as_type_ref()), i64t.into()),
            K::Ptr => {
                let slot = b.alloca(ferment_ir::Type(i64t.as_type_ref()), "out");
                (slot, ptr_t.into())
            }
        };
        args.push(arg);
        callee_params.push(ty);
    }
    let callee_ty = match case.ret_struct {
        None => f64t.fn_type(&callee_params, false),
        Some(K::I32) => ctx
            .struct_type(&[f64t.into(), i32t.into()], false)
            .fn_type(&callee_params, false),
        Some(_) => ctx
            .struct_type(&[f64t.into(), f64t.into()], false)
            .fn_type(&callee_params, false),
    };
    let callee = m
        .get_function(case.callee)
        .unwrap_or_else(|| m.add_function(case.callee, callee_ty, None));
    let call = b.call_fn(ferment_ir::Value(callee.as_value_ref()), &args);
    let primal = if case.ret_struct.is_some() {
        b.extract_value(call, 0)
    } else {
        call
    };
    let out = match partial {
        None => primal,
        Some(k) => {
            let rule =
                call_rule(case.callee).unwrap_or_else(|| panic!("no rule for {}", case.callee));
            let want: Vec<bool> = (0..case.kinds.len()).map(|i| i == k).collect();
            let result = || call;
            let arg_at = |i: usize| args[i];
            let site = Site {
                b: &b,
                ops: args.clone(),
                arg_at: &arg_at,
                want,
                result: &result,
                companion: None,
                result_free: &|| false,
            };
            let partials = (rule.partials)(&site);
            // No partial: the rule says the derivative is zero.
            partials[k].unwrap_or_else(|| b.const_real(ferment_ir::Type(f64t.as_type_ref()), 0.0))
        }
    };
    b.ret(out);
    f
}

fn fp_to_si(
    b: &ferment_ir::Builder,
    v: llvm_sys::prelude::LLVMValueRef,
    ty: llvm_sys::prelude::LLVMTypeRef,
) -> ferment_ir::Value {
    b.fptosi(ferment_ir::Value(v), ferment_ir::Type(ty))
}

type Fn3 = unsafe extern "C" fn(f64, f64, f64) -> f64;

#[test]
fn every_rule_matches_finite_differences() {
    Target::initialize_native(&InitializationConfig::default()).expect("native target");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        let ctx = Context::create();
        let m = ctx.create_module("rules");
        build(&ctx, &m, &case, "primal", None);
        let diff_args: Vec<usize> = (0..case.kinds.len())
            .filter(|&i| case.kinds[i] == K::F)
            .collect();
        for &k in &diff_args {
            build(&ctx, &m, &case, &format!("partial{k}"), Some(k));
        }
        if let Err(e) = m.verify() {
            panic!("{}: invalid IR: {}", case.callee, e.to_string());
        }
        let ee = m
            .create_jit_execution_engine(OptimizationLevel::None)
            .expect("jit");
        let primal = unsafe { ee.get_function::<Fn3>("primal") }.expect("primal");
        for &k in &diff_args {
            let partial =
                unsafe { ee.get_function::<Fn3>(&format!("partial{k}")) }.expect("partial");
            for p in case.points {
                let got = unsafe { partial.call(p[0], p[1], p[2]) };
                let h = 1e-6 * p[k].abs().max(1.0);
                let (mut hi, mut lo) = (*p, *p);
                hi[k] += h;
                lo[k] -= h;
                let fd = unsafe {
                    (primal.call(hi[0], hi[1], hi[2]) - primal.call(lo[0], lo[1], lo[2]))
                        / (2.0 * h)
                };
                checked += 1;
                if (got - fd).abs() > 1e-5 * (1.0 + fd.abs()) {
                    failures.push(format!(
                        "{} d/darg{k} at {:?}: rule {got} vs finite differences {fd}",
                        case.callee, p
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 100);
}
