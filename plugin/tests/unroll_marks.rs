//! Which derivative loops `ferment::shim::no_runtime_unroll` keeps from the
//! host's runtime unroller: an innermost loop that carries a floating-point
//! sum in source order inside a small parent loop (the parent is unrolled
//! instead: Enzyme's forward-mode `hand`, benches/repro/short_trip_unroll.c),
//! and not the same sum with `reassoc`, at the top level, or inside a parent
//! too large to unroll.

use ferment_ir::Value;
use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::values::AsValueRef;

// Integration tests run outside any host: link LLVM into this binary.
#[link(name = "LLVM-22")]
extern "C" {}

/// `out[k] = sum_j a[j] * b[j + k*m]` for k < n, with the sum's addition
/// given by `ADD` and `PAD` extra instructions in the parent loop's body.
fn nest(add: &str, pad: usize) -> String {
    let mut padding = String::new();
    for i in 0..pad {
        padding += &format!("  %pad{i} = fadd double %s, {i}.0\n  store double %pad{i}, ptr %o\n");
    }
    format!(
        r#"
define void @ferment.test(ptr %a, ptr %b, ptr %out, i64 %n, i64 %m) {{
entry:
  br label %outer

outer:
  %k = phi i64 [ 0, %entry ], [ %k.next, %outer.latch ]
  %base = mul i64 %k, %m
  br label %inner

inner:
  %j = phi i64 [ 0, %outer ], [ %j.next, %inner ]
  %acc = phi double [ 0.0, %outer ], [ %acc.next, %inner ]
  %pa = getelementptr double, ptr %a, i64 %j
  %idx = add i64 %j, %base
  %pb = getelementptr double, ptr %b, i64 %idx
  %x = load double, ptr %pa
  %y = load double, ptr %pb
  %p = fmul double %x, %y
  %acc.next = {add} double %acc, %p
  %j.next = add i64 %j, 1
  %j.done = icmp eq i64 %j.next, %m
  br i1 %j.done, label %outer.latch, label %inner

outer.latch:
  %s = phi double [ %acc.next, %inner ]
  %o = getelementptr double, ptr %out, i64 %k
  store double %s, ptr %o
{padding}  %k.next = add i64 %k, 1
  %k.done = icmp eq i64 %k.next, %n
  br i1 %k.done, label %exit, label %outer

exit:
  ret void
}}
"#
    )
}

/// A single loop with the same sum (no parent to unroll instead).
const FLAT: &str = r#"
define double @ferment.test(ptr %a, i64 %m) {
entry:
  br label %inner

inner:
  %j = phi i64 [ 0, %entry ], [ %j.next, %inner ]
  %acc = phi double [ 0.0, %entry ], [ %acc.next, %inner ]
  %pa = getelementptr double, ptr %a, i64 %j
  %x = load double, ptr %pa
  %acc.next = fadd double %acc, %x
  %j.next = add i64 %j, 1
  %j.done = icmp eq i64 %j.next, %m
  br i1 %j.done, label %exit, label %inner

exit:
  ret double %acc.next
}
"#;

/// How many loops `no_runtime_unroll` marks in `ir`, and the marked IR.
fn marks(ir: &str) -> (u32, String) {
    let ctx = Context::create();
    let buf = MemoryBuffer::create_from_memory_range_copy(ir.as_bytes(), "t");
    let m = ctx.create_module_from_ir(buf).expect("parse");
    let f = Value(m.get_function("ferment.test").unwrap().as_value_ref());
    let n = ferment::shim::no_runtime_unroll(f);
    m.verify().expect("verifies");
    (n, m.print_to_string().to_string())
}

#[test]
fn ordered_sum_in_small_parent_stays_rolled() {
    let (n, ir) = marks(&nest("fadd", 0));
    assert_eq!(n, 1, "{ir}");
    // on the inner loop's latch branch, not the outer one's
    let inner = ir.lines().find(|l| l.contains("br i1 %j.done")).unwrap();
    let outer = ir.lines().find(|l| l.contains("br i1 %k.done")).unwrap();
    assert!(inner.contains("!llvm.loop"), "{ir}");
    assert!(!outer.contains("!llvm.loop"), "{ir}");
    assert!(ir.contains("llvm.loop.unroll.runtime.disable"), "{ir}");
}

#[test]
fn reassociable_sum_flat_loop_and_large_parent_keep_unrolling() {
    assert_eq!(marks(&nest("fadd reassoc", 0)).0, 0);
    assert_eq!(marks(FLAT).0, 0);
    assert_eq!(marks(&nest("fadd", 30)).0, 0);
}
