//! Which derivative loops `ferment::shim::no_runtime_unroll` keeps from the
//! host's runtime unroller: every loop that contains other loops (LLVM 22
//! runtime-unrolls small outer loops, copying their inner loops), an
//! innermost loop that carries a floating-point sum in source order inside a
//! small parent loop (Enzyme's forward-mode `hand`,
//! benches/repro/short_trip_unroll.c), and not the same sum with `reassoc`,
//! at the top level, inside a parent too large to unroll, or over a count that
//! grows with the parent's iterations (a triangular nest); those innermost
//! loops get a vectorizer followup instead, so that only the scalar loop the
//! vectorizer keeps beside a vectorized copy stays rolled.

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

/// The attribute names of the loop ID on the branch line containing `latch`
/// (`llvm.loop.vectorize.followup_epilogue` followed by its own attributes in
/// brackets).
fn loop_attrs(ir: &str, latch: &str) -> Vec<String> {
    let line = ir.lines().find(|l| l.contains(latch)).unwrap();
    let Some(at) = line.find("!llvm.loop ") else {
        return vec![];
    };
    let id = line[at + "!llvm.loop ".len()..].trim().to_string();
    let def = |n: &str| -> String {
        let head = format!("{n} = ");
        ir.lines().find(|l| l.starts_with(&head)).unwrap()[head.len()..].to_string()
    };
    let refs = |body: &str| -> Vec<String> {
        let inner = &body[body.find('{').unwrap() + 1..body.rfind('}').unwrap()];
        inner.split(", ").map(|x| x.trim().to_string()).collect()
    };
    let name = |n: &str| -> String {
        let body = def(n);
        let first = body.split('"').nth(1).unwrap_or("").to_string();
        if first == "llvm.loop.vectorize.followup_epilogue" {
            let sub: Vec<String> = refs(&body)[1..]
                .iter()
                .map(|r| def(r).split('"').nth(1).unwrap_or("").to_string())
                .collect();
            format!("{first}[{}]", sub.join(","))
        } else {
            first
        }
    };
    refs(&def(&id))[1..].iter().map(|r| name(r)).collect()
}

const RUNTIME_OFF: &str = "llvm.loop.unroll.runtime.disable";
const FOLLOWUP: &str =
    "llvm.loop.vectorize.followup_epilogue[llvm.loop.isvectorized,llvm.loop.unroll.runtime.disable]";

#[test]
fn ordered_sum_in_small_parent_stays_rolled() {
    let (_, ir) = marks(&nest("fadd", 0));
    let inner = loop_attrs(&ir, "br i1 %j.done");
    assert!(inner.iter().any(|a| a == RUNTIME_OFF), "{ir}");
    // the parent contains a loop: rolled too
    assert_eq!(
        loop_attrs(&ir, "br i1 %k.done"),
        vec![RUNTIME_OFF.to_string()],
        "{ir}"
    );
}

#[test]
fn reassociable_sum_flat_loop_and_large_parent_keep_unrolling() {
    for ir in [nest("fadd reassoc", 0), FLAT.to_string(), nest("fadd", 30)] {
        let (_, ir) = marks(&ir);
        // only the vectorizer's scalar copy stays rolled
        assert_eq!(
            loop_attrs(&ir, "br i1 %j.done"),
            vec![FOLLOWUP.to_string()],
            "{ir}"
        );
    }
}

#[test]
fn outer_loops_stay_rolled() {
    for add in ["fadd", "fadd reassoc"] {
        for pad in [0, 30] {
            let (n, ir) = marks(&nest(add, pad));
            assert!(n >= 2, "{ir}");
            assert_eq!(
                loop_attrs(&ir, "br i1 %k.done"),
                vec![RUNTIME_OFF.to_string()],
                "{ir}"
            );
        }
    }
}

/// The same nest made triangular: the sum runs over `j <= k`, a count that grows
/// with the parent's iterations (forward substitution, a factorization's
/// inner products), so it is not a short sum and keeps the host's unrolling.
#[test]
fn ordered_sum_of_a_triangular_nest_keeps_unrolling() {
    let ir = nest("fadd", 0)
        .replace(
            "  %base = mul i64 %k, %m\n",
            "  %base = mul i64 %k, %m\n  %k1 = add i64 %k, 1\n",
        )
        .replace(
            "%j.done = icmp eq i64 %j.next, %m",
            "%j.done = icmp eq i64 %j.next, %k1",
        );
    let (_, ir) = marks(&ir);
    assert_eq!(
        loop_attrs(&ir, "br i1 %j.done"),
        vec![FOLLOWUP.to_string()],
        "{ir}"
    );
    // the parent still contains a loop: rolled
    assert_eq!(
        loop_attrs(&ir, "br i1 %k.done"),
        vec![RUNTIME_OFF.to_string()],
        "{ir}"
    );
}
