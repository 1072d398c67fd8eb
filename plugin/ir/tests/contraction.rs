//! `Value::allows_fp_contraction`: the derivative's arithmetic may be fused
//! into FMAs only where the primal's may (clang's `llvm.fmuladd` under
//! `-ffp-contract=on`, the `contract` flag under `fast`), and the builder
//! marks its arithmetic accordingly.

use ferment_ir::{Builder, Module};
use llvm_sys::core::{
    LLVMContextCreate, LLVMCreateMemoryBufferWithMemoryRangeCopy, LLVMDisposeMemoryBuffer,
    LLVMGetFastMathFlags,
};
use llvm_sys::ir_reader::LLVMParseIRInContext2;

#[link(name = "LLVM-22")]
extern "C" {}

fn parse(text: &str) -> Module {
    unsafe {
        let ctx = LLVMContextCreate();
        let buf = LLVMCreateMemoryBufferWithMemoryRangeCopy(
            text.as_ptr().cast(),
            text.len(),
            c"contraction".as_ptr(),
        );
        let mut module = std::ptr::null_mut();
        let mut err = std::ptr::null_mut();
        let failed = LLVMParseIRInContext2(ctx, buf, &mut module, &mut err) != 0;
        LLVMDisposeMemoryBuffer(buf);
        assert!(!failed, "{}", ferment_ir::take_message(err));
        Module(module)
    }
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
    let f = m.function("strict").unwrap();
    let b = Builder::new(m);
    b.before(f.instructions()[0]);
    let p = f.params();
    let contract = llvm_sys::LLVMFastMathAllowContract;
    let plain = b.fmul(p[0], p[1]);
    assert_eq!(unsafe { LLVMGetFastMathFlags(plain.0) } & contract, 0);
    b.set_contract(true);
    let fused = b.fadd(b.fmul(p[0], p[1]), p[2]);
    assert_ne!(unsafe { LLVMGetFastMathFlags(fused.0) } & contract, 0);
    let acc = b.fadd_acc(p[0], p[2]);
    let flags = unsafe { LLVMGetFastMathFlags(acc.0) };
    assert_ne!(flags & contract, 0, "accumulation keeps contract");
    assert_ne!(flags & llvm_sys::LLVMFastMathAllowReassoc, 0);
}
