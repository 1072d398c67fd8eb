//! A test next to each derivative rule: for every function in the rule
//! table, JIT-compile its primal and each partial derivative the rule
//! builds, and compare the partials with central finite differences of the
//! JIT-compiled primal at several points. The IR is built with inkwell; the
//! rule itself runs on ferment's builder over the same module.

use ferment::rules::{call_rule, Site};
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::targets::{InitializationConfig, Target};
use inkwell::types::AsTypeRef;
use inkwell::values::{AsValueRef, FunctionValue};
use inkwell::OptimizationLevel;

// Integration tests run outside any host: link LLVM into this binary.
#[link(name = "LLVM-22")]
extern "C" {}

/// (callee, arity, second argument is an i32, sample points)
struct Case {
    callee: &'static str,
    arity: usize,
    int_second: bool,
    points: &'static [[f64; 3]],
}

const P1: &[[f64; 3]] = &[[0.3, 0.0, 0.0], [-0.7, 0.0, 0.0], [0.55, 0.0, 0.0]];
const POS: &[[f64; 3]] = &[[0.3, 0.0, 0.0], [1.7, 0.0, 0.0], [4.2, 0.0, 0.0]];
const P2: &[[f64; 3]] = &[[0.3, 1.2, 0.0], [-0.7, 0.4, 0.0], [1.9, -0.8, 0.0]];
const P2POS: &[[f64; 3]] = &[[0.3, 1.2, 0.0], [1.7, 0.4, 0.0], [2.9, 2.5, 0.0]];
const P3: &[[f64; 3]] = &[[0.3, 1.2, -0.4], [-0.7, 0.4, 2.0], [1.9, -0.8, 0.1]];
const PI: &[[f64; 3]] = &[[0.8, 3.0, 0.0], [-1.3, 2.0, 0.0], [1.1, -2.0, 0.0]];

fn cases() -> Vec<Case> {
    let c = |callee, arity, int_second, points| Case {
        callee,
        arity,
        int_second,
        points,
    };
    vec![
        c("sin", 1, false, P1),
        c("cos", 1, false, P1),
        c("tan", 1, false, P1),
        c("asin", 1, false, P1),
        c("acos", 1, false, P1),
        c("atan", 1, false, P1),
        c("atan2", 2, false, P2),
        c("sinh", 1, false, P1),
        c("cosh", 1, false, P1),
        c("tanh", 1, false, P1),
        c("exp", 1, false, P1),
        c("exp2", 1, false, P1),
        c("expm1", 1, false, P1),
        c("log", 1, false, POS),
        c("log2", 1, false, POS),
        c("log10", 1, false, POS),
        c("log1p", 1, false, POS),
        c("sqrt", 1, false, POS),
        c("cbrt", 1, false, POS),
        c("pow", 2, false, P2POS),
        c("hypot", 2, false, P2),
        c("fabs", 1, false, P1),
        c("fmax", 2, false, P2),
        c("fmin", 2, false, P2),
        c("copysign", 2, false, P2),
        c("fma", 3, false, P3),
        c("erf", 1, false, P1),
        c("erfc", 1, false, P1),
        c("fmod", 2, false, P2POS),
        c("floor", 1, false, P1),
        c("ceil", 1, false, P1),
        c("trunc", 1, false, P1),
        c("round", 1, false, P1),
        c("llvm.powi.f64.i32", 2, true, PI),
        c("ldexp", 2, true, PI),
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
    for i in 0..case.arity {
        if i == 1 && case.int_second {
            args.push(fp_to_si(&b, params[1].as_value_ref(), i32t.as_type_ref()));
            callee_params.push(i32t.into());
        } else {
            args.push(ferment_ir::Value(params[i].as_value_ref()));
            callee_params.push(f64t.into());
        }
    }
    let callee_ty = f64t.fn_type(&callee_params, false);
    let callee = m
        .get_function(case.callee)
        .unwrap_or_else(|| m.add_function(case.callee, callee_ty, None));
    let primal = b.call_fn(ferment_ir::Value(callee.as_value_ref()), &args);
    let out = match partial {
        None => primal,
        Some(k) => {
            let rule =
                call_rule(case.callee).unwrap_or_else(|| panic!("no rule for {}", case.callee));
            let want: Vec<bool> = (0..case.arity).map(|i| i == k).collect();
            let result = || primal;
            let arg_at = |i: usize| args[i];
            let site = Site {
                b: &b,
                ops: args.clone(),
                arg_at: &arg_at,
                want,
                result: &result,
            };
            let partials = (rule.partials)(&site);
            partials[k].unwrap_or_else(|| panic!("{}: no partial for argument {k}", case.callee))
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
        let diff_args = if case.int_second { 1 } else { case.arity };
        for k in 0..diff_args {
            build(&ctx, &m, &case, &format!("partial{k}"), Some(k));
        }
        if let Err(e) = m.verify() {
            panic!("{}: invalid IR: {}", case.callee, e.to_string());
        }
        let ee = m
            .create_jit_execution_engine(OptimizationLevel::None)
            .expect("jit");
        let primal = unsafe { ee.get_function::<Fn3>("primal") }.expect("primal");
        for k in 0..diff_args {
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
