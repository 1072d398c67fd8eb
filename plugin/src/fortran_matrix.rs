//! flang's runtime MATMUL and TRANSPOSE in a canonical copy, as IR ferment
//! differentiates.
//!
//! Role: at -O0 flang lowers `matmul(a, b)` to
//! `_FortranAMatmulRealKRealK(result, a, b, file, line)` and `transpose(a)`
//! to `_FortranATranspose(result, a, file, line)`: runtime routines that
//! allocate the unallocated allocatable `result` descriptor and fill it
//! (flang frees its base address with `free` once the value is used). Each
//! call in a canonical copy becomes a call of a helper built here that does
//! the same with loads, stores and `malloc`, which the generators
//! differentiate like any other code. Handled: real(4) or real(8) operands
//! of one kind, MATMUL of rank 2 × rank 2, rank 2 × rank 1 and rank 1 ×
//! rank 2 with equal inner extents, TRANSPOSE of a rank-2 array; anything
//! else stops the program with a message naming the call's file and line.
//! (At -O1 and above flang inlines both, and no runtime call is left.)
//!
//! The descriptor layout is the one `fortran.rs` reads.

use crate::error::{Error, Result};
use crate::fortran::{
    stop, CFI_TYPE_DOUBLE, CFI_TYPE_FLOAT, DIMS, DIM_SIZE, ELEM_LEN, EXTENT, LOWER, RANK, STRIDE,
    TYPE,
};
use ferment_ir::{Block, Builder, IntPredicate, Module, Type, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Matmul,
    Transpose,
}

fn matrix_op(name: &str) -> Option<(Op, Option<u32>)> {
    Some(match name {
        "_FortranAMatmulReal4Real4" => (Op::Matmul, Some(32)),
        "_FortranAMatmulReal8Real8" => (Op::Matmul, Some(64)),
        "_FortranATranspose" => (Op::Transpose, None),
        _ => return None,
    })
}

/// Rewrites flang's MATMUL and TRANSPOSE runtime calls in `f`; says whether
/// it did any.
pub fn lower_matrix_ops(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls: Vec<(Value, Op, Option<u32>)> = f
        .instructions()
        .into_iter()
        .filter(|i| i.is_call() && !i.is_invoke())
        .filter_map(|i| {
            let (op, bits) = matrix_op(&i.called_function()?.name())?;
            let arity = if op == Op::Matmul { 5 } else { 4 };
            (i.call_args().len() == arity).then_some((i, op, bits))
        })
        .collect();
    if calls.is_empty() {
        return Ok(false);
    }
    let b = Builder::new(module);
    for (call, op, bits) in calls {
        let helper = match op {
            Op::Matmul => matmul_helper(module, bits.unwrap_or(64)),
            Op::Transpose => transpose_helper(module),
        };
        crate::shim::verify_function(helper).map_err(|e| {
            Error::new(format!(
                "internal error: '{}' failed LLVM's verifier: {e}",
                helper.name()
            ))
        })?;
        b.before(call);
        b.set_debug_loc_from(call);
        b.call_fn(helper, &call.call_args());
        call.erase();
    }
    Ok(true)
}

/// A loop `for i in 0..n` around what `body` emits; the builder ends in the
/// loop's exit block.
fn counted_loop(b: &Builder, f: Value, n: Value, body: impl FnOnce(Value)) {
    let i64t = b.i64();
    let (zero, one) = (b.const_int(i64t, 0), b.const_int(i64t, 1));
    let pre = b.insert_block();
    let head = f.append_block("loop");
    let exit = f.append_block("loop.exit");
    b.cond_br(b.icmp(IntPredicate::LLVMIntSGT, n, zero), head, exit);
    b.at_end(head);
    let i = b.phi(i64t, "i");
    body(i);
    let latch = b.insert_block();
    let next = b.add_int(i, one);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, next, n), head, exit);
    i.add_incoming(zero, pre);
    i.add_incoming(next, latch);
    b.at_end(exit);
}

/// Field `at` of dimension `d` of descriptor `desc`.
fn dim_field(b: &Builder, desc: Value, d: u64, at: u64) -> Value {
    b.gep_i8(desc, DIMS + d * DIM_SIZE + at)
}

/// Allocates `result` (unallocated, checked before) for `extents` elements of
/// `elen` bytes: `malloc` of at least a byte, lower bounds 1, contiguous
/// byte strides.
fn allocate_result(b: &Builder, result: Value, extents: &[Value], elen: Value, code: i64) {
    let module = b.module();
    let ctx = module.context();
    let (ptr, i8t, i64t) = (Type::ptr(ctx), Type::int(ctx, 8), Type::int(ctx, 64));
    let (zero, one) = (b.const_int(i64t, 0), b.const_int(i64t, 1));
    let mut size = elen;
    for &e in extents {
        size = b.mul_int(size, e);
    }
    let size = b.select(b.icmp(IntPredicate::LLVMIntEQ, size, zero), one, size);
    let malloc = module
        .function("malloc")
        .unwrap_or_else(|| module.add_function("malloc", Type::function(ptr, &[i64t], false)));
    let fresh = b.call_fn(malloc, &[size]);
    b.store(fresh, result);
    b.store(elen, b.gep_i8(result, ELEM_LEN));
    b.store(
        b.const_int(i8t, extents.len() as i64),
        b.gep_i8(result, RANK),
    );
    b.store(b.const_int(i8t, code), b.gep_i8(result, TYPE));
    let mut sm = elen;
    for (d, &e) in extents.iter().enumerate() {
        b.store(one, dim_field(b, result, d as u64, LOWER));
        b.store(e, dim_field(b, result, d as u64, EXTENT));
        b.store(sm, dim_field(b, result, d as u64, STRIDE));
        sm = b.mul_int(sm, e);
    }
}

/// Whether `desc` holds elements of type code `code` and rank `rank`.
fn is_kind(b: &Builder, desc: Value, code: i64, rank: i64) -> Value {
    let (i8t, i64t) = (b.i8(), b.i64());
    let t = b.int_cast(b.load(i8t, b.gep_i8(desc, TYPE)), i64t, false);
    let r = b.int_cast(b.load(i8t, b.gep_i8(desc, RANK)), i64t, false);
    b.and_int(
        b.icmp(IntPredicate::LLVMIntEQ, t, b.const_int(i64t, code)),
        b.icmp(IntPredicate::LLVMIntEQ, r, b.const_int(i64t, rank)),
    )
}

/// Whether `result` is unallocated (a null base address), as the runtime
/// requires.
fn unallocated(b: &Builder, result: Value) -> Value {
    let ptr = Type::ptr(b.context());
    let base = b.load(ptr, result);
    b.icmp(
        IntPredicate::LLVMIntEQ,
        b.ptr_to_int(base, b.i64()),
        b.const_int(b.i64(), 0),
    )
}

/// `ferment.fortran.matmul.f{bits}(result, a, b, file, line)`.
fn matmul_helper(module: Module, bits: u32) -> Value {
    let name = format!("ferment.fortran.matmul.f{bits}");
    if let Some(f) = module.function(&name) {
        return f;
    }
    let ctx = module.context();
    let (void, ptr, i32t, i64t) = (
        Type::void(ctx),
        Type::ptr(ctx),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let (elem, code) = if bits == 32 {
        (Type::f32(ctx), CFI_TYPE_FLOAT)
    } else {
        (Type::f64(ctx), CFI_TYPE_DOUBLE)
    };
    let f = module.add_function(
        &name,
        Type::function(void, &[ptr, ptr, ptr, ptr, i32t], false),
    );
    f.set_internal();
    let p = f.params();
    let (result, x, y, file, line) = (p[0], p[1], p[2], p[3], p[4]);
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let bad = f.append_block("unsupported");
    b.at_end(entry);
    let elen = b.const_int(i64t, (bits / 8) as i64);
    let free = unallocated(&b, result);
    // (rank of a, rank of b): the shapes MATMUL takes.
    let shapes = [(2, 2), (2, 1), (1, 2)];
    let mut next: Option<Block> = None;
    for (k, &(ra, rb)) in shapes.iter().enumerate() {
        if let Some(n) = next {
            b.at_end(n);
        }
        let ok = b.and_int(
            free,
            b.and_int(is_kind(&b, x, code, ra), is_kind(&b, y, code, rb)),
        );
        let case = f.append_block("shape");
        let otherwise = if k + 1 < shapes.len() {
            f.append_block("next.shape")
        } else {
            bad
        };
        b.cond_br(ok, case, otherwise);
        next = Some(otherwise);
        b.at_end(case);
        let zero = b.const_int(i64t, 0);
        let one = b.const_int(i64t, 1);
        let ext = |d: &Value, i: u64| b.load(i64t, dim_field(&b, *d, i, EXTENT));
        let sm = |d: &Value, i: u64| b.load(i64t, dim_field(&b, *d, i, STRIDE));
        // a is m × k, b is k × n (a row or a column where rank 1).
        let (m, sa_i, k_a, sa_l) = if ra == 2 {
            (ext(&x, 0), sm(&x, 0), ext(&x, 1), sm(&x, 1))
        } else {
            (one, zero, ext(&x, 0), sm(&x, 0))
        };
        let (k_b, sb_l, n, sb_j) = if rb == 2 {
            (ext(&y, 0), sm(&y, 0), ext(&y, 1), sm(&y, 1))
        } else {
            (ext(&y, 0), sm(&y, 0), one, zero)
        };
        let compute = f.append_block("compute");
        b.cond_br(b.icmp(IntPredicate::LLVMIntEQ, k_a, k_b), compute, bad);
        b.at_end(compute);
        let extents: Vec<Value> = match (ra, rb) {
            (2, 2) => vec![m, n],
            (2, 1) => vec![m],
            _ => vec![n],
        };
        allocate_result(&b, result, &extents, elen, code);
        let out = b.load(ptr, result);
        let abase = b.load(ptr, x);
        let bbase = b.load(ptr, y);
        let i8t = Type::int(ctx, 8);
        counted_loop(&b, f, n, |j| {
            counted_loop(&b, f, m, |i| {
                let at = b.mul_int(b.add_int(i, b.mul_int(j, m)), elen);
                let dst = b.gep(i8t, out, &[at]);
                b.store(b.const_real(elem, 0.0), dst);
                counted_loop(&b, f, k_a, |l| {
                    let ao = b.add_int(b.mul_int(i, sa_i), b.mul_int(l, sa_l));
                    let bo = b.add_int(b.mul_int(l, sb_l), b.mul_int(j, sb_j));
                    let av = b.load(elem, b.gep(i8t, abase, &[ao]));
                    let bv = b.load(elem, b.gep(i8t, bbase, &[bo]));
                    let acc = b.load(elem, dst);
                    b.store(b.fadd(acc, b.fmul(av, bv)), dst);
                });
            });
        });
        b.ret_void();
    }
    b.at_end(bad);
    stop(
        &b,
        &format!("{name}.msg"),
        "this MATMUL (flang runtime _FortranAMatmulReal*) is not differentiated by ferment: it handles two real(4) or two real(8) operands of ranks 2 and 2, 2 and 1, or 1 and 2 with matching inner extents",
        file,
        line,
    );
    f
}

/// `ferment.fortran.transpose(result, a, file, line)`: real(4) and real(8)
/// arrays of rank 2.
fn transpose_helper(module: Module) -> Value {
    let name = "ferment.fortran.transpose";
    if let Some(f) = module.function(name) {
        return f;
    }
    let ctx = module.context();
    let (void, ptr, i8t, i32t, i64t) = (
        Type::void(ctx),
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let f = module.add_function(name, Type::function(void, &[ptr, ptr, ptr, i32t], false));
    f.set_internal();
    let p = f.params();
    let (result, x, file, line) = (p[0], p[1], p[2], p[3]);
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let real4 = f.append_block("real4");
    let not4 = f.append_block("not.real4");
    let real8 = f.append_block("real8");
    let bad = f.append_block("unsupported");
    b.at_end(entry);
    let free = unallocated(&b, result);
    b.cond_br(
        b.and_int(free, is_kind(&b, x, CFI_TYPE_FLOAT, 2)),
        real4,
        not4,
    );
    b.at_end(not4);
    b.cond_br(
        b.and_int(free, is_kind(&b, x, CFI_TYPE_DOUBLE, 2)),
        real8,
        bad,
    );
    for (block, elem, code) in [
        (real4, Type::f32(ctx), CFI_TYPE_FLOAT),
        (real8, Type::f64(ctx), CFI_TYPE_DOUBLE),
    ] {
        b.at_end(block);
        let elen = b.const_int(i64t, (elem.float_bits() / 8) as i64);
        let m = b.load(i64t, dim_field(&b, x, 0, EXTENT));
        let n = b.load(i64t, dim_field(&b, x, 1, EXTENT));
        let s0 = b.load(i64t, dim_field(&b, x, 0, STRIDE));
        let s1 = b.load(i64t, dim_field(&b, x, 1, STRIDE));
        allocate_result(&b, result, &[n, m], elen, code);
        let out = b.load(ptr, result);
        let base = b.load(ptr, x);
        counted_loop(&b, f, m, |i| {
            counted_loop(&b, f, n, |j| {
                let src = b.add_int(b.mul_int(i, s0), b.mul_int(j, s1));
                let dst = b.mul_int(b.add_int(j, b.mul_int(i, n)), elen);
                let v = b.load(elem, b.gep(i8t, base, &[src]));
                b.store(v, b.gep(i8t, out, &[dst]));
            });
        });
        b.ret_void();
    }
    b.at_end(bad);
    stop(
        &b,
        "ferment.fortran.transpose.msg",
        "this TRANSPOSE (flang runtime _FortranATranspose) is not differentiated by ferment: it handles real(4) and real(8) arrays of rank 2",
        file,
        line,
    );
    f
}
