//! flang's runtime PACK, UNPACK and vector CSHIFT/EOSHIFT in a canonical
//! copy, as IR ferment differentiates.
//!
//! Role: flang lowers `pack(x, m)` and `unpack(v, m, f)` to
//! `_FortranAPack`/`_FortranAUnpack` at every -O, and `cshift(x, s)` and
//! `eoshift(x, s, b)` to `_FortranACshiftVector`/`_FortranAEoshiftVector`
//! (a vector) or `_FortranACshift`/`_FortranAEoshift` (along `DIM` of an
//! array) at -O0: runtime routines that allocate their
//! unallocated result descriptor and fill it (flang frees its base address
//! with `free` once the value is used). Each call in a canonical copy
//! becomes a call of a helper built here that does the same with loads,
//! stores and `malloc`, which the generators differentiate like any other
//! code. Handled: real(4) and real(8) data; PACK of a source of rank 1 to 3
//! with a MASK of its shape or a scalar one, with or without VECTOR; UNPACK
//! into the shape of a MASK of rank 1 to 3 with a FIELD of that shape or a
//! scalar one; CSHIFT and EOSHIFT (with or without BOUNDARY) of a vector,
//! and along any DIM of an array of rank 1 to 3, with a scalar SHIFT or one
//! per vector along DIM (an integer array of the other dimensions' shape, any
//! integer kind) and, for EOSHIFT, a scalar BOUNDARY or one of that shape
//! or none. Data the IR shows to be integer, logical or character keeps the
//! runtime call (the activity analysis knows it writes only its result);
//! anything else stops the program with a message naming the call's file and
//! line.
//!
//! The descriptor layout is the one `fortran.rs` reads.

use crate::error::Result;
use crate::fortran::{
    call_helper, conformable_strides, mask_element, mask_length, runtime_calls, stop,
    CFI_TYPE_DOUBLE, CFI_TYPE_FLOAT,
};
use crate::fortran_matrix::{
    allocate_result, by_kind, by_rank, helper_shell, index_loop, kind_name, rank_of, shape_of,
    static_type_code, unallocated,
};
use ferment_ir::{Builder, IntPredicate, Module, Type, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `Pack(result, source, mask, vector, file, line)`.
    Pack,
    /// `Unpack(result, vector, mask, field, file, line)`.
    Unpack,
    /// `CshiftVector(result, source, shift, file, line)`.
    Cshift,
    /// `EoshiftVector(result, source, shift, boundary, file, line)`.
    Eoshift,
    /// `Cshift(result, source, shift, dim, file, line)`: along `dim`, the
    /// shift a descriptor (scalar or of the other dimensions' shape).
    CshiftDim,
    /// `Eoshift(result, source, shift, boundary, dim, file, line)`.
    EoshiftDim,
}

fn pack_op(name: &str) -> Option<(Op, usize)> {
    Some(match name {
        "_FortranAPack" => (Op::Pack, 6),
        "_FortranAUnpack" => (Op::Unpack, 6),
        "_FortranACshiftVector" => (Op::Cshift, 5),
        "_FortranAEoshiftVector" => (Op::Eoshift, 6),
        "_FortranACshift" => (Op::CshiftDim, 6),
        "_FortranAEoshift" => (Op::EoshiftDim, 7),
        _ => return None,
    })
}

/// Rewrites flang's PACK, UNPACK and vector CSHIFT/EOSHIFT runtime calls of
/// real data in `f`; says whether it did any.
pub fn lower_pack_ops(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls = runtime_calls(f, pack_op);
    let b = Builder::new(module);
    let mut changed = false;
    for (call, op) in calls {
        // The data (PACK's and the shifts' source, UNPACK's vector), where
        // the IR shows its type: integer, logical or character data keeps
        // the runtime call; a real kind gets that kind's path alone.
        let code = static_type_code(call.call_args()[1], 0);
        if code.is_some_and(|c| {
            crate::fortran::INACTIVE_TYPE_CODES
                .iter()
                .any(|r| r.contains(&c))
        }) {
            continue;
        }
        // Another type the IR shows (complex, derived): the runtime call
        // stays, a compile error where it carries derivatives.
        if code.is_some_and(|c| c != CFI_TYPE_FLOAT && c != CFI_TYPE_DOUBLE) {
            continue;
        }
        let only = code;
        let helper = helper(module, op, only);
        call_helper(&b, call, helper, &call.call_args())?;
        changed = true;
    }
    Ok(changed)
}

/// The helper of `op` (for the one real kind `only` where known).
fn helper(module: Module, op: Op, only: Option<i64>) -> Value {
    let (name, what) = match op {
        Op::Pack => ("ferment.fortran.pack", "this PACK (flang runtime _FortranAPack) is not differentiated by ferment: it handles a real(4) or real(8) source of rank 1 to 3 with a MASK of its shape or a scalar one, and a VECTOR of the source's type at least as long as the elements packed, or none"),
        Op::Unpack => ("ferment.fortran.unpack", "this UNPACK (flang runtime _FortranAUnpack) is not differentiated by ferment: it handles a real(4) or real(8) VECTOR with as many elements as MASK (rank 1 to 3) has true ones at least, and a FIELD of its type of the mask's shape or a scalar one"),
        Op::Cshift => ("ferment.fortran.cshift", "this CSHIFT (flang runtime _FortranACshiftVector) is not differentiated by ferment: it handles a real(4) or real(8) vector"),
        Op::Eoshift => ("ferment.fortran.eoshift", "this EOSHIFT (flang runtime _FortranAEoshiftVector) is not differentiated by ferment: it handles a real(4) or real(8) vector, with a BOUNDARY of its type or none"),
        Op::CshiftDim => ("ferment.fortran.cshift.dim", "this CSHIFT (flang runtime _FortranACshift) is not differentiated by ferment: it handles a real(4) or real(8) array of rank 1 to 3 along DIM, with a scalar integer SHIFT or one of the other dimensions' shape"),
        Op::EoshiftDim => ("ferment.fortran.eoshift.dim", "this EOSHIFT (flang runtime _FortranAEoshift) is not differentiated by ferment: it handles a real(4) or real(8) array of rank 1 to 3 along DIM, with a scalar integer SHIFT or one of the other dimensions' shape, and a BOUNDARY of the array's type, scalar or of that shape, or none"),
    };
    let name = &kind_name(name, only);
    if let Some(f) = module.function(name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i32t, i64t) = (Type::ptr(ctx), Type::int(ctx, 32), Type::int(ctx, 64));
    let (params, (file_at, line_at)) = match op {
        Op::Pack | Op::Unpack => (vec![ptr, ptr, ptr, ptr, ptr, i32t], (4, 5)),
        Op::Eoshift => (vec![ptr, ptr, i64t, ptr, ptr, i32t], (4, 5)),
        Op::Cshift => (vec![ptr, ptr, i64t, ptr, i32t], (3, 4)),
        Op::CshiftDim => (vec![ptr, ptr, ptr, i32t, ptr, i32t], (4, 5)),
        Op::EoshiftDim => (vec![ptr, ptr, ptr, ptr, i32t, ptr, i32t], (5, 6)),
    };
    let (f, b, bad) = helper_shell(module, name, &params, Type::void(ctx));
    let count = b.alloca(i64t, "count");
    let p = f.params();
    let go = f.append_block("go");
    b.cond_br(unallocated(&b, p[0]), go, bad);
    b.at_end(go);
    by_kind(&b, f, p[1], false, only, bad, |elem| {
        let t = elem.expect("real kinds only");
        match op {
            Op::Pack => pack(&b, f, t, &p, count, bad),
            Op::Unpack => unpack(&b, f, t, &p, count, bad),
            Op::Cshift | Op::Eoshift => shift(&b, f, t, op, &p, bad),
            Op::CshiftDim | Op::EoshiftDim => shift_dim(&b, f, t, op, &p, bad),
        }
    });
    b.at_end(bad);
    stop(&b, &format!("{name}.msg"), what, p[file_at], p[line_at]);
    f
}

/// The byte length and type code of kind `t`, as constants.
fn kind_of(b: &Builder, t: Type) -> (Value, Value) {
    let code = if t.float_bits() == 32 {
        CFI_TYPE_FLOAT
    } else {
        CFI_TYPE_DOUBLE
    };
    (
        b.const_int(b.i64(), (t.float_bits() / 8) as i64),
        b.const_int(b.i8(), code),
    )
}

/// Whether `desc` holds data of the same type code as kind `t`.
fn same_kind(b: &Builder, desc: Value, t: Type) -> Value {
    let (_, code) = kind_of(b, t);
    let c = b.load(b.i8(), b.gep_i8(desc, crate::fortran::TYPE));
    b.icmp(IntPredicate::LLVMIntEQ, c, code)
}

/// The byte offset of index `idx` with byte strides `sm`.
fn offset(b: &Builder, idx: &[Value], sm: &[Value]) -> Value {
    let mut off = b.const_int(b.i64(), 0);
    for (&i, &s) in idx.iter().zip(sm) {
        off = b.add_int(off, b.mul_int(i, s));
    }
    off
}

/// The number of true elements of the mask over the index space `ext`.
fn count_true(
    b: &Builder,
    f: Value,
    ext: &[Value],
    mbase: Value,
    msm: &[Value],
    melen: Value,
    count: Value,
) -> Value {
    let i64t = b.i64();
    b.store(b.const_int(i64t, 0), count);
    index_loop(b, ext, |idx, _| {
        let at = b.gep(b.i8(), mbase, &[offset(b, idx, msm)]);
        let m = mask_element(b, f, melen, at);
        let c = b.load(i64t, count);
        b.store(b.add_int(c, b.int_cast(m, i64t, false)), count);
    });
    b.load(i64t, count)
}

/// PACK: the source's elements where the mask is true, in array element
/// order, then VECTOR's elements after as many (its length is the result's).
fn pack(b: &Builder, f: Value, t: Type, p: &[Value], count: Value, bad: ferment_ir::Block) {
    let (result, source, mask, vector) = (p[0], p[1], p[2], p[3]);
    let (ptr, i8t, i64t) = (Type::ptr(b.context()), b.i8(), b.i64());
    let zero = b.const_int(i64t, 0);
    let (elen, code) = kind_of(b, t);
    let has_vector = b.icmp(IntPredicate::LLVMIntNE, b.ptr_to_int(vector, i64t), zero);
    // Without VECTOR its fields are read from the source (and not used).
    let vdesc = b.select(has_vector, vector, source);
    by_rank(b, f, rank_of(b, source), &[1, 2, 3], bad, |r| {
        let (ext, sm) = shape_of(b, source, r);
        let (len_ok, melen) = mask_length(b, mask);
        let (conform, msm) = conformable_strides(b, f, mask, &ext);
        let mask_ok = b.and_int(len_ok, conform);
        let vector_ok = b.or_int(
            b.not(has_vector),
            b.and_int(
                same_kind(b, vdesc, t),
                b.icmp(
                    IntPredicate::LLVMIntEQ,
                    rank_of(b, vdesc),
                    b.const_int(i64t, 1),
                ),
            ),
        );
        let go = f.append_block("pack");
        b.cond_br(b.and_int(mask_ok, vector_ok), go, bad);
        b.at_end(go);
        let (sbase, mbase) = (b.load(ptr, source), b.load(ptr, mask));
        let n = count_true(b, f, &ext, mbase, &msm, melen, count);
        let (vext, vsm) = shape_of(b, vdesc, 1);
        let size = b.select(has_vector, vext[0], n);
        let fill = f.append_block("pack.fill");
        b.cond_br(b.icmp(IntPredicate::LLVMIntSLE, n, size), fill, bad);
        b.at_end(fill);
        allocate_result(b, result, &[size], elen, code);
        let out = b.load(ptr, result);
        b.store(zero, count);
        index_loop(b, &ext, |idx, _| {
            let m = mask_element(b, f, melen, b.gep(i8t, mbase, &[offset(b, idx, &msm)]));
            let put = f.append_block("pack.put");
            let next = f.append_block("pack.next");
            b.cond_br(m, put, next);
            b.at_end(put);
            let j = b.load(i64t, count);
            let v = b.load(t, b.gep(i8t, sbase, &[offset(b, idx, &sm)]));
            b.store(v, b.gep(i8t, out, &[b.mul_int(j, elen)]));
            b.store(b.add_int(j, b.const_int(i64t, 1)), count);
            b.br(next);
            b.at_end(next);
        });
        // VECTOR's tail (no iteration without VECTOR: size is n then).
        let vbase = b.load(ptr, vdesc);
        b.counted_loop("loop", b.sub_int(size, n), |k| {
            let j = b.add_int(n, k);
            let v = b.load(t, b.gep(i8t, vbase, &[b.mul_int(j, vsm[0])]));
            b.store(v, b.gep(i8t, out, &[b.mul_int(j, elen)]));
        });
        b.ret_void();
    });
}

/// UNPACK: the mask's shape; VECTOR's next element where the mask is true,
/// FIELD's element (or the scalar FIELD) where it is false.
fn unpack(b: &Builder, f: Value, t: Type, p: &[Value], count: Value, bad: ferment_ir::Block) {
    let (result, vector, mask, field) = (p[0], p[1], p[2], p[3]);
    let (ptr, i8t, i64t) = (Type::ptr(b.context()), b.i8(), b.i64());
    let (elen, code) = kind_of(b, t);
    by_rank(b, f, rank_of(b, mask), &[1, 2, 3], bad, |r| {
        let (ext, msm) = shape_of(b, mask, r);
        let (mask_ok, melen) = mask_length(b, mask);
        // FIELD: the mask's shape, or a scalar (strides 0).
        let (field_ok, fsm) = conformable_strides(b, f, field, &ext);
        let kinds_ok = b.and_int(
            same_kind(b, field, t),
            b.icmp(
                IntPredicate::LLVMIntEQ,
                rank_of(b, vector),
                b.const_int(i64t, 1),
            ),
        );
        let go = f.append_block("unpack");
        b.cond_br(b.and_int(b.and_int(mask_ok, field_ok), kinds_ok), go, bad);
        b.at_end(go);
        let (vbase, mbase, fbase) = (b.load(ptr, vector), b.load(ptr, mask), b.load(ptr, field));
        let (vext, vsm) = shape_of(b, vector, 1);
        let n = count_true(b, f, &ext, mbase, &msm, melen, count);
        let fill = f.append_block("unpack.fill");
        b.cond_br(b.icmp(IntPredicate::LLVMIntSLE, n, vext[0]), fill, bad);
        b.at_end(fill);
        allocate_result(b, result, &ext, elen, code);
        let out = b.load(ptr, result);
        b.store(b.const_int(i64t, 0), count);
        index_loop(b, &ext, |idx, e| {
            let m = mask_element(b, f, melen, b.gep(i8t, mbase, &[offset(b, idx, &msm)]));
            let dst = b.gep(i8t, out, &[b.mul_int(e, elen)]);
            let take = f.append_block("unpack.vector");
            let keep = f.append_block("unpack.field");
            let next = f.append_block("unpack.next");
            b.cond_br(m, take, keep);
            b.at_end(take);
            let j = b.load(i64t, count);
            b.store(b.load(t, b.gep(i8t, vbase, &[b.mul_int(j, vsm[0])])), dst);
            b.store(b.add_int(j, b.const_int(i64t, 1)), count);
            b.br(next);
            b.at_end(keep);
            b.store(b.load(t, b.gep(i8t, fbase, &[offset(b, idx, &fsm)])), dst);
            b.br(next);
            b.at_end(next);
        });
        b.ret_void();
    });
}

/// CSHIFT of a vector: `result(i) = source(1 + modulo(i - 1 + shift, n))`;
/// EOSHIFT: `source(i + shift)` where that is in the vector, else BOUNDARY
/// (or 0).
fn shift(b: &Builder, f: Value, t: Type, op: Op, p: &[Value], bad: ferment_ir::Block) {
    let (result, source, amount) = (p[0], p[1], p[2]);
    let (ptr, i8t, i64t) = (Type::ptr(b.context()), b.i8(), b.i64());
    let (zero, one) = (b.const_int(i64t, 0), b.const_int(i64t, 1));
    let (elen, code) = kind_of(b, t);
    let boundary = (op == Op::Eoshift).then(|| p[3]);
    let has_boundary = match boundary {
        Some(bd) => b.icmp(IntPredicate::LLVMIntNE, b.ptr_to_int(bd, i64t), zero),
        None => b.const_int(Type::int(b.context(), 1), 0),
    };
    // Without BOUNDARY its fields are read from the source (and not used).
    let bdesc = boundary.map(|bd| b.select(has_boundary, bd, source));
    let mut ok = b.icmp(IntPredicate::LLVMIntEQ, rank_of(b, source), one);
    if let Some(bd) = bdesc {
        ok = b.and_int(ok, b.or_int(b.not(has_boundary), same_kind(b, bd, t)));
    }
    let go = f.append_block("shift");
    b.cond_br(ok, go, bad);
    b.at_end(go);
    let (ext, sm) = shape_of(b, source, 1);
    let n = ext[0];
    allocate_result(b, result, &[n], elen, code);
    let out = b.load(ptr, result);
    let base = b.load(ptr, source);
    let bbase = bdesc.map(|bd| b.load(ptr, bd));
    // CSHIFT: the shift brought into 0..n (no elements: no loop).
    let s = modulo(b, amount, n);
    b.counted_loop("loop", n, |i| {
        let dst = b.gep(i8t, out, &[b.mul_int(i, elen)]);
        let v = match op {
            Op::Cshift => {
                let k = b.add_int(i, s);
                let k = b.select(b.icmp(IntPredicate::LLVMIntSGE, k, n), b.sub_int(k, n), k);
                b.load(t, b.gep(i8t, base, &[b.mul_int(k, sm[0])]))
            }
            _ => {
                // The element read is clamped into the vector; outside it the
                // boundary is taken instead.
                let k = b.add_int(i, amount);
                let inside = b.and_int(
                    b.icmp(IntPredicate::LLVMIntSGE, k, zero),
                    b.icmp(IntPredicate::LLVMIntSLT, k, n),
                );
                let k = b.select(inside, k, zero);
                let v = b.load(t, b.gep(i8t, base, &[b.mul_int(k, sm[0])]));
                let edge = b.load(t, bbase.expect("EOSHIFT's boundary"));
                let edge = b.select(has_boundary, edge, b.const_real(t, 0.0));
                b.select(inside, v, edge)
            }
        };
        b.store(v, dst);
    });
    b.ret_void();
}

/// `modulo(amount, n)`, in `0..n` (0 where `n` is not positive), without
/// signed division: the remainder of `|amount|`, turned back for a negative
/// amount.
fn modulo(b: &Builder, amount: Value, n: Value) -> Value {
    let i64t = b.i64();
    let (zero, one) = (b.const_int(i64t, 0), b.const_int(i64t, 1));
    let n1 = b.select(b.icmp(IntPredicate::LLVMIntSGT, n, zero), n, one);
    let forward = b.icmp(IntPredicate::LLVMIntSGE, amount, zero);
    let size = b.select(forward, amount, b.sub_int(zero, amount));
    let r = b.sub_int(size, b.mul_int(b.udiv_int(size, n1), n1));
    let back = b.select(
        b.icmp(IntPredicate::LLVMIntEQ, r, zero),
        zero,
        b.sub_int(n1, r),
    );
    b.select(forward, r, back)
}

/// The integer of `len` bytes (1, 2, 4 or 8) at `at`, sign-extended to 64
/// bits (0 for another length, which the caller rules out). Ends in a new
/// block of `f`.
fn int_element(b: &Builder, f: Value, len: Value, at: Value) -> Value {
    let ctx = b.context();
    let i64t = b.i64();
    let from = b.insert_block();
    let join = f.append_block("int.join");
    let mut cases = Vec::new();
    let mut incoming = Vec::new();
    for bytes in [1u32, 2, 4, 8] {
        let block = f.append_block("int.read");
        cases.push((b.const_int(i64t, bytes as i64), block));
        b.at_end(block);
        let v = b.load(Type::int(ctx, bytes * 8), at);
        incoming.push((b.int_cast(v, i64t, true), block));
        b.br(join);
    }
    b.at_end(from);
    b.switch(len, join, &cases);
    b.at_end(join);
    let v = b.phi(i64t, "int");
    v.add_incoming(b.const_int(i64t, 0), from);
    for (x, block) in incoming {
        v.add_incoming(x, block);
    }
    v
}

/// CSHIFT along `dim`: `result(.., j, ..) = source(.., 1 + modulo(j - 1 +
/// sh, n), ..)`, `sh` the shift (scalar, or its element at the other
/// indices); EOSHIFT: `source(.., j + sh, ..)` where that is in the array,
/// else BOUNDARY (scalar, or its element at the other indices; 0 without
/// one).
fn shift_dim(b: &Builder, f: Value, t: Type, op: Op, p: &[Value], bad: ferment_ir::Block) {
    let (result, source, shift) = (p[0], p[1], p[2]);
    let (boundary, dim) = match op {
        Op::EoshiftDim => (Some(p[3]), p[4]),
        _ => (None, p[3]),
    };
    let (ptr, i8t, i64t) = (Type::ptr(b.context()), b.i8(), b.i64());
    let zero = b.const_int(i64t, 0);
    let (elen, code) = kind_of(b, t);
    let dim = b.int_cast(dim, i64t, true);
    let has_boundary = match boundary {
        Some(bd) => b.icmp(IntPredicate::LLVMIntNE, b.ptr_to_int(bd, i64t), zero),
        None => b.const_int(Type::int(b.context(), 1), 0),
    };
    // Without BOUNDARY its fields are read from the source (and not used).
    let bdesc = boundary.map(|bd| b.select(has_boundary, bd, source));
    by_rank(b, f, rank_of(b, source), &[1, 2, 3], bad, |r| {
        let (ext, sm) = shape_of(b, source, r);
        let blocks: Vec<_> = (0..r).map(|_| f.append_block("shift.dim")).collect();
        let cases: Vec<(Value, ferment_ir::Block)> = blocks
            .iter()
            .enumerate()
            .map(|(d, &bl)| (b.const_int(i64t, d as i64 + 1), bl))
            .collect();
        b.switch(dim, bad, &cases);
        for (d, &bl) in blocks.iter().enumerate() {
            b.at_end(bl);
            let rest: Vec<Value> = (0..r as usize)
                .filter(|&k| k != d)
                .map(|k| ext[k])
                .collect();
            let (shift_ok, ssm) = conformable_strides(b, f, shift, &rest);
            let (len_ok, slen) = mask_length(b, shift);
            let mut ok = b.and_int(shift_ok, len_ok);
            let mut bsm = Vec::new();
            if let Some(bd) = bdesc {
                let (conform, sm) = conformable_strides(b, f, bd, &rest);
                let fits = b.and_int(conform, same_kind(b, bd, t));
                ok = b.and_int(ok, b.or_int(b.not(has_boundary), fits));
                bsm = sm;
            }
            let go = f.append_block("shift.go");
            b.cond_br(ok, go, bad);
            b.at_end(go);
            allocate_result(b, result, &ext, elen, code);
            let out = b.load(ptr, result);
            let (base, sbase) = (b.load(ptr, source), b.load(ptr, shift));
            let bbase = bdesc.map(|bd| b.load(ptr, bd));
            let n = ext[d];
            index_loop(b, &ext, |idx, e| {
                let others: Vec<Value> = (0..r as usize)
                    .filter(|&k| k != d)
                    .map(|k| idx[k])
                    .collect();
                let at = b.gep(i8t, sbase, &[offset(b, &others, &ssm)]);
                let sh = int_element(b, f, slen, at);
                let j = idx[d];
                let mut from: Vec<Value> = idx.to_vec();
                let v = match op {
                    Op::CshiftDim => {
                        let k = b.add_int(j, modulo(b, sh, n));
                        from[d] =
                            b.select(b.icmp(IntPredicate::LLVMIntSGE, k, n), b.sub_int(k, n), k);
                        b.load(t, b.gep(i8t, base, &[offset(b, &from, &sm)]))
                    }
                    _ => {
                        // The element read is clamped into the array; outside
                        // it the boundary is taken instead.
                        let k = b.add_int(j, sh);
                        let inside = b.and_int(
                            b.icmp(IntPredicate::LLVMIntSGE, k, zero),
                            b.icmp(IntPredicate::LLVMIntSLT, k, n),
                        );
                        from[d] = b.select(inside, k, zero);
                        let v = b.load(t, b.gep(i8t, base, &[offset(b, &from, &sm)]));
                        // Without BOUNDARY the source's first element is read
                        // (and not used).
                        let boff = b.select(has_boundary, offset(b, &others, &bsm), zero);
                        let bbase = bbase.expect("EOSHIFT's boundary");
                        let edge = b.load(t, b.gep(i8t, bbase, &[boff]));
                        let edge = b.select(has_boundary, edge, b.const_real(t, 0.0));
                        b.select(inside, v, edge)
                    }
                };
                b.store(v, b.gep(i8t, out, &[b.mul_int(e, elen)]));
            });
            b.ret_void();
        }
    });
}
