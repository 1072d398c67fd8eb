//! Lane re-ordering of vectorized downward loops (`ferment::lanes`): the
//! rewritten function must compute bit for bit what the original computes
//! (it only moves lanes around), and the loop must keep fewer shuffles.
//! Both versions are JIT-compiled and run on the same inputs.

use ferment_ir::{Opcode, Value};
use inkwell::context::Context;
use inkwell::execution_engine::JitFunction;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::module::Module;
use inkwell::targets::{InitializationConfig, Target};
use inkwell::values::AsValueRef;
use inkwell::OptimizationLevel;

// Integration tests run outside any host: link LLVM into this binary.
#[link(name = "LLVM-22")]
extern "C" {}

/// A loop as LLVM's vectorizer leaves a reverse sweep: iterations run
/// downwards, lane k is iteration i-1-k, loads and stores reverse their
/// lanes, and `%prev` hands each lane the value of the iteration before it
/// (a first-order recurrence). Lane-wise intrinsics, a compare, a select, a
/// gather of scalar loads and a value used after the loop (LCSSA phi) are
/// all on the path.
const LOOP: &str = r#"
define double @ferment.test(ptr %x, ptr %y, ptr %z, i64 %n) {
entry:
  br label %body

body:
  %i = phi i64 [ %n, %entry ], [ %i.next, %body ]
  %carry = phi <4 x double> [ <double 0.0, double 0.0, double 0.0, double 0.25>, %entry ], [ %a, %body ]
  %lo = sub i64 %i, 4
  %px = getelementptr double, ptr %x, i64 %lo
  %ld = load <4 x double>, ptr %px, align 8
  %rev = shufflevector <4 x double> %ld, <4 x double> poison, <4 x i32> <i32 3, i32 2, i32 1, i32 0>
  %z0p = getelementptr double, ptr %z, i64 %lo
  %z1p = getelementptr double, ptr %z0p, i64 1
  %z2p = getelementptr double, ptr %z0p, i64 2
  %z3p = getelementptr double, ptr %z0p, i64 3
  %z0 = load double, ptr %z0p, align 8
  %z1 = load double, ptr %z1p, align 8
  %z2 = load double, ptr %z2p, align 8
  %z3 = load double, ptr %z3p, align 8
  %g0 = insertelement <4 x double> poison, double %z3, i64 0
  %g1 = insertelement <4 x double> %g0, double %z2, i64 1
  %g2 = insertelement <4 x double> %g1, double %z1, i64 2
  %g3 = insertelement <4 x double> %g2, double %z0, i64 3
  %m = fmul <4 x double> %rev, %g3
  %a = call <4 x double> @llvm.fmuladd.v4f64(<4 x double> %m, <4 x double> splat (double 0.5), <4 x double> %rev)
  %prev = shufflevector <4 x double> %carry, <4 x double> %a, <4 x i32> <i32 3, i32 4, i32 5, i32 6>
  %s = fsub <4 x double> %a, %prev
  %e = call <4 x double> @llvm.exp.v4f64(<4 x double> %s)
  %c = fcmp ogt <4 x double> %e, splat (double 1.0)
  %sel = select <4 x i1> %c, <4 x double> %e, <4 x double> %s
  %out = shufflevector <4 x double> %sel, <4 x double> poison, <4 x i32> <i32 3, i32 2, i32 1, i32 0>
  %py = getelementptr double, ptr %y, i64 %lo
  store <4 x double> %out, ptr %py, align 8
  %i.next = sub i64 %i, 4
  %done = icmp eq i64 %i.next, 0
  br i1 %done, label %exit, label %body

exit:
  %last = phi <4 x double> [ %sel, %body ]
  %carry.out = phi <4 x double> [ %a, %body ]
  %r0 = extractelement <4 x double> %last, i64 0
  %r1 = extractelement <4 x double> %carry.out, i64 3
  %r = fadd double %r0, %r1
  ret double %r
}

declare <4 x double> @llvm.fmuladd.v4f64(<4 x double>, <4 x double>, <4 x double>)
declare <4 x double> @llvm.exp.v4f64(<4 x double>)
"#;

type LoopFn = unsafe extern "C" fn(*const f64, *mut f64, *const f64, i64) -> f64;

fn parse<'c>(ctx: &'c Context, name: &str) -> Module<'c> {
    let buf = MemoryBuffer::create_from_memory_range_copy(LOOP.as_bytes(), name);
    ctx.create_module_from_ir(buf)
        .unwrap_or_else(|e| panic!("invalid IR: {e}"))
}

fn shuffles_in_loop(m: &Module) -> usize {
    let f = Value(m.get_function("ferment.test").unwrap().as_value_ref());
    f.blocks()
        .into_iter()
        .filter(|b| b.name() == "body")
        .flat_map(|b| b.instructions())
        .filter(|i| i.opcode() == Opcode::LLVMShuffleVector)
        .count()
}

fn run(f: &JitFunction<LoopFn>, x: &[f64], z: &[f64]) -> (f64, Vec<f64>) {
    let mut y = vec![0.0; x.len()];
    let r = unsafe { f.call(x.as_ptr(), y.as_mut_ptr(), z.as_ptr(), x.len() as i64) };
    (r, y)
}

#[test]
fn reordered_loop_computes_the_same_bits_with_fewer_shuffles() {
    Target::initialize_native(&InitializationConfig::default()).expect("native target");
    let ctx = Context::create();
    let original = parse(&ctx, "original");
    let rewritten = parse(&ctx, "rewritten");
    let f = Value(
        rewritten
            .get_function("ferment.test")
            .unwrap()
            .as_value_ref(),
    );
    assert!(
        ferment::lanes::reorder_lanes(f),
        "the loop was left as it was"
    );
    ferment::shim::verify_function(f)
        .unwrap_or_else(|e| panic!("broken IR: {e}\n{}", f.describe()));
    let (before, after) = (shuffles_in_loop(&original), shuffles_in_loop(&rewritten));
    assert!(
        after < before,
        "shuffles in the loop: {before} before, {after} after\n{}",
        f.describe()
    );
    let ee0 = original
        .create_jit_execution_engine(OptimizationLevel::None)
        .expect("JIT");
    let ee1 = rewritten
        .create_jit_execution_engine(OptimizationLevel::None)
        .expect("JIT");
    let f0: JitFunction<LoopFn> = unsafe { ee0.get_function("ferment.test") }.expect("symbol");
    let f1: JitFunction<LoopFn> = unsafe { ee1.get_function("ferment.test") }.expect("symbol");
    for n in [4usize, 8, 32] {
        let x: Vec<f64> = (0..n).map(|k| (0.37 * k as f64).sin() - 0.2).collect();
        let z: Vec<f64> = (0..n).map(|k| 1.0 + 0.1 * (1.3 * k as f64).cos()).collect();
        let (r0, y0) = run(&f0, &x, &z);
        let (r1, y1) = run(&f1, &x, &z);
        assert_eq!(r0.to_bits(), r1.to_bits(), "n={n}: returned value");
        for k in 0..n {
            assert_eq!(y0[k].to_bits(), y1[k].to_bits(), "n={n}: y[{k}]");
        }
    }
}
