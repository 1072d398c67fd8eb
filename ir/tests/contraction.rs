//! `Value::allows_fp_contraction`: the derivative's arithmetic may be fused
//! into FMAs only where the primal's may (clang's `llvm.fmuladd` under
//! `-ffp-contract=on`, the `contract` flag under `fast`), and the builder
//! marks its arithmetic accordingly.

use ferment_ir::{Builder, Module};
use llvm_sys::core::LLVMGetFastMathFlags;

#[link(name = "LLVM-22")]
extern "C" {}

fn parse(text: &str) -> Module {
    Module::parse_ir(text, "contraction.ll").unwrap_or_else(|e| panic!("invalid IR: {e}"))
}

const IR: &str = r#"
define double @fused(double %a, double %b, double %c) {
  %r = call double @llvm.fmuladd.f64(double %a, double %b, double %c)
  ret double %r
}
define double @fast(double %a, double %b, double %c) {
  %m = fmul contract double %a, %b
  %r = fadd contract double %m, %c
  ret double %r
}
define double @strict(double %a, double %b, double %c) {
  %m = fmul double %a, %b
  %r = fadd reassoc nsz double %m, %c
  %s = call double @llvm.fabs.f64(double %r)
  ret double %s
}
declare double @llvm.fmuladd.f64(double, double, double)
declare double @llvm.fabs.f64(double)
"#;

#[test]
fn contraction_follows_the_primal() {
    let m = parse(IR);
    assert!(m.function("fused").unwrap().allows_fp_contraction());
    assert!(m.function("fast").unwrap().allows_fp_contraction());
    assert!(!m.function("strict").unwrap().allows_fp_contraction());
}

#[test]
fn builder_marks_arithmetic_only_when_asked() {
    let m = parse(IR);
    let contract = llvm_sys::LLVMFastMathAllowContract;
    let flags = |v: ferment_ir::Value| unsafe { LLVMGetFastMathFlags(v.0) };
    // a builder following a strict primal leaves its arithmetic strict
    let strict = m.function("strict").unwrap();
    let b = Builder::following(m, strict);
    b.before(strict.instructions()[0]);
    let p = strict.params();
    let plain = b.fmul(p[0], p[1]);
    assert_eq!(flags(plain) & contract, 0);
    // one following a contracted primal marks it
    let fused_fn = m.function("fused").unwrap();
    let b = Builder::following(m, fused_fn);
    b.before(fused_fn.instructions()[0]);
    let p = fused_fn.params();
    let fused = b.fadd(b.fmul(p[0], p[1]), p[2]);
    assert_ne!(flags(fused) & contract, 0);
    let acc = b.fadd_acc(p[0], p[2]);
    assert_ne!(flags(acc) & contract, 0, "accumulation keeps contract");
    assert_ne!(flags(acc) & llvm_sys::LLVMFastMathAllowReassoc, 0);
}
