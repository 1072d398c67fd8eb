//! Which zero-adjoint guards `ferment::shim::share_guard_tests` lets test
//! the first zero test of their chain instead of their own adjoint: only
//! those the reverse sweep marked `!ferment.guard.shares`
//! (`rules::may_share_test`), or any guard whose adjoint is zero exactly
//! where the chain's first condition holds (a branch's adjoint `select(c,
//! k, 0)`). A guard whose mark LLVM dropped (GVN merging two equal guards,
//! instcombine rebuilding one) keeps its own test: at `p1 = 0`, `p2 = inf`
//! the chain `d1 = d0 == 0 ? 0 : p1 d0`, `d2 = d1 == 0 ? 0 : p2 d1` stays 0
//! where the shared test would give `inf * 0 = NaN`. Each function is run
//! (JIT) after the rewrite.

use ferment_ir::Value;
use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::targets::{InitializationConfig, Target};
use inkwell::values::AsValueRef;
use inkwell::OptimizationLevel;

// Integration tests run outside any host: link LLVM into this binary.
#[link(name = "LLVM-22")]
extern "C" {}

/// A chain of two guards over the adjoint `d0`; `MARK` is the second
/// guard's metadata (or nothing).
const CHAIN: &str = r#"
define double @ferment.test(double %d0, double %p1, double %p2) {
entry:
  %t0 = fcmp oeq double %d0, 0.0
  %m1 = fmul double %p1, %d0
  %d1 = select i1 %t0, double 0.0, double %m1, !ferment.guard.shares !0
  %t1 = fcmp oeq double %d1, 0.0
  %m2 = fmul double %p2, %d1
  %d2 = select i1 %t1, double 0.0, double %m2MARK
  ret double %d2
}
!0 = !{i64 1}
"#;

/// The chain started by a branch's adjoint `select(c, 2, 0)` (`c` as
/// `d0 != 0`), with an unmarked guard after it: its adjoint is zero exactly
/// where `c` fails.
const EXACT_ROOT: &str = r#"
define double @ferment.test(double %d0, double %p1, double %p2) {
entry:
  %c = fcmp une double %d0, 0.0
  %a = select i1 %c, double 2.0, double 0.0
  %n = fneg double %a
  %t1 = fcmp oeq double %n, 0.0
  %m = fmul double %p2, %n
  %d2 = select i1 %t1, double 0.0, double %m
  ret double %d2
}
"#;

type Fn3 = unsafe extern "C" fn(f64, f64, f64) -> f64;

/// How many guards `share_guard_tests` rewrote in `ir`, and the function's
/// values at `points` after the rewrite.
fn share_and_run(ir: &str, points: &[[f64; 3]]) -> (u32, Vec<f64>) {
    Target::initialize_native(&InitializationConfig::default()).expect("native target");
    let ctx = Context::create();
    let buf = MemoryBuffer::create_from_memory_range_copy(ir.as_bytes(), "t");
    let m = ctx.create_module_from_ir(buf).expect("parse");
    let f = Value(m.get_function("ferment.test").unwrap().as_value_ref());
    let n = ferment::shim::share_guard_tests(f);
    m.verify().expect("verifies");
    let ee = m
        .create_jit_execution_engine(OptimizationLevel::None)
        .expect("jit");
    let run = unsafe { ee.get_function::<Fn3>("ferment.test") }.expect("function");
    let values = points
        .iter()
        .map(|p| unsafe { run.call(p[0], p[1], p[2]) })
        .collect();
    (n, values)
}

#[test]
fn guard_without_mark_keeps_its_own_test() {
    // `p1 = 0` makes d1 zero, `p2 = inf` is the partial that meets it.
    let (n, v) = share_and_run(&CHAIN.replace("MARK", ""), &[[1.0, 0.0, f64::INFINITY]]);
    assert_eq!(n, 0);
    assert_eq!(v, vec![0.0]);
}

#[test]
fn marked_guard_tests_the_chain_root() {
    let ir = CHAIN.replace("MARK", ", !ferment.guard.shares !0");
    let (n, v) = share_and_run(&ir, &[[3.0, 2.0, 0.5], [0.0, 2.0, f64::INFINITY]]);
    assert_eq!(n, 1);
    // the chain rule's product where d0 is not zero, zero where it is
    assert_eq!(v, vec![3.0, 0.0]);
}

#[test]
fn exact_root_shares_without_mark() {
    let (n, v) = share_and_run(
        EXACT_ROOT,
        &[[1.0, 0.0, 0.5], [0.0, 0.0, f64::INFINITY], [1.0, 0.0, -3.0]],
    );
    assert_eq!(n, 1);
    assert_eq!(v, vec![-1.0, 0.0, 6.0]);
}
