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

use crate::error::Result;
use crate::fortran::{
    inactive_code, stop, CFI_TYPE_DOUBLE, CFI_TYPE_FLOAT, DIMS, DIM_SIZE, ELEM_LEN, EXTENT,
    INACTIVE_TYPE_CODES, LOWER, RANK, STRIDE, TYPE,
};
use ferment_ir::{Block, Builder, IntPredicate, Module, Type, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `MatmulRealKRealK(result, a, b, file, line)`.
    Matmul,
    /// `Transpose(result, a, file, line)`.
    Transpose,
    /// `Spread(result, source, dim, ncopies, file, line)`.
    Spread,
    /// `Reshape(result, source, shape, pad, order, file, line)`.
    Reshape,
    /// `SumDim`/`ProductDim`/`MaxvalDim`/`MinvalDim(result, array, dim,
    /// file, line, mask)`: a reduction along one dimension.
    ReduceDim(DimOp),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DimOp {
    Sum,
    Product,
    Maxval,
    Minval,
    /// `Norm2Dim(result, array, dim, file, line)`: no MASK.
    Norm2,
}

impl Op {
    fn arity(self) -> usize {
        match self {
            Op::Matmul => 5,
            Op::Transpose => 4,
            Op::ReduceDim(DimOp::Norm2) => 5,
            Op::Spread | Op::ReduceDim(_) => 6,
            Op::Reshape => 7,
        }
    }
}

fn matrix_op(name: &str) -> Option<(Op, Option<u32>)> {
    Some(match name {
        "_FortranAMatmulReal4Real4" => (Op::Matmul, Some(32)),
        "_FortranAMatmulReal8Real8" => (Op::Matmul, Some(64)),
        "_FortranATranspose" => (Op::Transpose, None),
        "_FortranASpread" => (Op::Spread, None),
        "_FortranAReshape" => (Op::Reshape, None),
        "_FortranASumDim" => (Op::ReduceDim(DimOp::Sum), None),
        "_FortranAProductDim" => (Op::ReduceDim(DimOp::Product), None),
        "_FortranAMaxvalDim" => (Op::ReduceDim(DimOp::Maxval), None),
        "_FortranAMinvalDim" => (Op::ReduceDim(DimOp::Minval), None),
        "_FortranANorm2Dim" => (Op::ReduceDim(DimOp::Norm2), None),
        _ => return None,
    })
}

/// Rewrites flang's MATMUL and TRANSPOSE runtime calls in `f`; says whether
/// it did any.
pub fn lower_matrix_ops(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls = crate::fortran::runtime_calls(f, |name| {
        let (op, bits) = matrix_op(name)?;
        Some(((op, bits), op.arity()))
    });
    let b = Builder::new(module);
    let mut changed = false;
    for (call, (op, bits)) in calls {
        // A SPREAD, RESHAPE or TRANSPOSE whose source is known (from the
        // descriptor flang built) to hold data without derivatives stays a
        // runtime call: the activity analysis knows it writes only its
        // result.
        if matches!(op, Op::Spread | Op::Reshape | Op::Transpose)
            && static_type_code(call.call_args()[1], 0)
                .is_some_and(|c| INACTIVE_TYPE_CODES.iter().any(|r| r.contains(&c)))
        {
            continue;
        }
        // Another type the IR shows (complex, derived): the runtime call
        // stays, a compile error where it carries derivatives.
        if matches!(op, Op::Spread | Op::Reshape | Op::Transpose)
            && static_type_code(call.call_args()[1], 0)
                .is_some_and(|c| c != CFI_TYPE_FLOAT && c != CFI_TYPE_DOUBLE)
        {
            continue;
        }
        // The source's element type where the IR shows it: the helper
        // then has that kind's path alone (with both, one descriptor's
        // data would be read as two types).
        let only = static_type_code(call.call_args()[1], 0)
            .filter(|&c| c == CFI_TYPE_FLOAT || c == CFI_TYPE_DOUBLE);
        let helper = match op {
            Op::Matmul => matmul_helper(module, bits.unwrap_or(64)),
            Op::Transpose => transpose_helper(module, only),
            Op::Spread => spread_helper(module, only),
            Op::Reshape => reshape_helper(module, only),
            Op::ReduceDim(r) => {
                let masked = call
                    .call_args()
                    .get(5)
                    .is_some_and(|m| !m.is_null_constant());
                reduce_dim_helper(module, r, only, masked)
            }
        };
        crate::fortran::call_helper(&b, call, helper, &call.call_args())?;
        changed = true;
    }
    Ok(changed)
}

/// The type code of the descriptor `desc` points to, where the IR shows it:
/// an `alloca` written once with an aggregate built from a constant (the way
/// flang fills a descriptor at -O0), or copied from such an `alloca`.
pub(crate) fn static_type_code(desc: Value, depth: u32) -> Option<i64> {
    let slot = desc.strip_casts();
    if depth > 4 || !slot.is_instruction() || slot.opcode() != ferment_ir::Opcode::LLVMAlloca {
        return None;
    }
    let mut found = None;
    for u in slot.users() {
        let code = if u.opcode() == ferment_ir::Opcode::LLVMStore
            && u.operand(1) == slot
            && !u.operand(0).ty().is_struct()
        {
            // The base address alone (the other fields stored one by one).
            continue;
        } else if u.opcode() == ferment_ir::Opcode::LLVMStore && u.operand(1) == slot {
            let mut v = u.operand(0);
            loop {
                if v.is_instruction() && v.opcode() == ferment_ir::Opcode::LLVMInsertValue {
                    if v.extract_indices() == [4] {
                        break v.operand(1).const_int();
                    }
                    v = v.operand(0);
                } else if v.is_constant() && v.num_operands() > 4 {
                    break v.operand(4).const_int();
                } else {
                    break None;
                }
            }
        } else if u.is_call()
            && u.called_function()
                .is_some_and(|f| f.name().starts_with("llvm.memcpy"))
            && u.call_args()[0].strip_casts() == slot
        {
            static_type_code(u.call_args()[1], depth + 1)
        } else if u.opcode() == ferment_ir::Opcode::LLVMGetElementPtr && u.operand(0) == slot {
            // Optimized code stores the fields one by one: the type code
            // byte at offset 21, alone or in a constant of the four bytes
            // from offset 20 (rank, type, attribute, extra).
            match field_store_code(u) {
                Some(code) => code,
                None => continue,
            }
        } else if u.is_call() || u.opcode() == ferment_ir::Opcode::LLVMStore {
            // Passed to a call (the one being rewritten, or another that may
            // write it) or stored elsewhere: only reads and this call.
            continue;
        } else {
            continue;
        };
        let code = code?;
        if found.is_some_and(|c| c != code) {
            return None;
        }
        found = Some(code);
    }
    found
}

/// Where `gep` is the field of a descriptor slot that holds the type code
/// (offset 21, or 20 for the four bytes from the rank on): `Some` of the
/// code its stores write when each is that constant (`Some(None)` when not
/// known); `None` for another field.
fn field_store_code(gep: Value) -> Option<Option<i64>> {
    let layout = ferment_type_analysis::Layout::new(gep.function_of().global_parent());
    let (_, offset) = ferment_type_analysis::base_and_offset(&layout, gep);
    if offset != 20 && offset != 21 {
        return None;
    }
    let mut found = None;
    for s in gep.users() {
        if s.opcode() != ferment_ir::Opcode::LLVMStore || s.operand(1) != gep {
            // A load, or the field passed on: nothing written here.
            continue;
        }
        let v = s.operand(0);
        let code = match offset {
            21 if v.ty().is_integer() && v.ty().int_width() == 8 => v.const_int(),
            20 if v.ty().is_vector() => v.aggregate_element(1).and_then(|e| e.const_int()),
            20 if v.ty().is_integer() && v.ty().int_width() >= 16 => {
                v.const_int().map(|c| (c >> 8) & 0xff)
            }
            // A store at offset 20 that does not reach the type code.
            20 => continue,
            _ => None,
        };
        let Some(c) = code else { return Some(None) };
        if found.is_some_and(|f| f != c) {
            return Some(None);
        }
        found = Some(c);
    }
    // No store here reached the type code (the rank's byte alone): another
    // field.
    found.map(Some)
}

/// `name`, with the type code of the one kind it handles when known.
pub(crate) fn kind_name(name: &str, only: Option<i64>) -> String {
    match only {
        Some(c) => format!("{name}.k{c}"),
        None => name.to_string(),
    }
}

/// Field `at` of dimension `d` of descriptor `desc`.
pub(crate) fn dim_field(b: &Builder, desc: Value, d: u64, at: u64) -> Value {
    b.gep_i8(desc, DIMS + d * DIM_SIZE + at)
}

/// Allocates `result` (unallocated, checked before) for `extents` elements of
/// `elen` bytes: `malloc` of at least a byte, lower bounds 1, contiguous
/// byte strides.
pub(crate) fn allocate_result(
    b: &Builder,
    result: Value,
    extents: &[Value],
    elen: Value,
    code: Value,
) {
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
    b.store(code, b.gep_i8(result, TYPE));
    let mut sm = elen;
    for (d, &e) in extents.iter().enumerate() {
        b.store(one, dim_field(b, result, d as u64, LOWER));
        b.store(e, dim_field(b, result, d as u64, EXTENT));
        b.store(sm, dim_field(b, result, d as u64, STRIDE));
        sm = b.mul_int(sm, e);
    }
}

/// Whether `desc` holds elements of type code `code` and rank `rank`.
pub(crate) fn is_kind(b: &Builder, desc: Value, code: i64, rank: i64) -> Value {
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
pub(crate) fn unallocated(b: &Builder, result: Value) -> Value {
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
        allocate_result(&b, result, &extents, elen, b.const_int(b.i8(), code));
        let out = b.load(ptr, result);
        let abase = b.load(ptr, x);
        let bbase = b.load(ptr, y);
        let i8t = Type::int(ctx, 8);
        b.counted_loop("loop", n, |j| {
            b.counted_loop("loop", m, |i| {
                let at = b.mul_int(b.add_int(i, b.mul_int(j, m)), elen);
                let dst = b.gep(i8t, out, &[at]);
                b.store(b.const_real(elem, 0.0), dst);
                b.counted_loop("loop", k_a, |l| {
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
fn transpose_helper(module: Module, only: Option<i64>) -> Value {
    let name = &kind_name("ferment.fortran.transpose", only);
    if let Some(f) = module.function(name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let (f, b, bad) = helper_shell(module, name, &[ptr, ptr, ptr, i32t], Type::void(ctx));
    let p = f.params();
    let (result, x, file, line) = (p[0], p[1], p[2], p[3]);
    let ok = b.and_int(
        unallocated(&b, result),
        b.icmp(
            IntPredicate::LLVMIntEQ,
            rank_of(&b, x),
            b.const_int(i64t, 2),
        ),
    );
    let go = f.append_block("go");
    b.cond_br(ok, go, bad);
    b.at_end(go);
    by_kind(&b, f, x, false, only, bad, |elem| {
        let elem = elem.expect("real kinds only");
        let (elen, code) = element_kind(&b, x, Some(elem));
        let (ext, sm) = shape_of(&b, x, 2);
        let (m, n) = (ext[0], ext[1]);
        allocate_result(&b, result, &[n, m], elen, code);
        let out = b.load(ptr, result);
        let base = b.load(ptr, x);
        b.counted_loop("loop", m, |i| {
            b.counted_loop("loop", n, |j| {
                let src = b.add_int(b.mul_int(i, sm[0]), b.mul_int(j, sm[1]));
                let dst = b.mul_int(b.add_int(j, b.mul_int(i, n)), elen);
                let v = b.load(elem, b.gep(i8t, base, &[src]));
                b.store(v, b.gep(i8t, out, &[dst]));
            });
        });
        b.ret_void();
    });
    b.at_end(bad);
    stop(
        &b,
        &format!("{name}.msg"),
        "this TRANSPOSE (flang runtime _FortranATranspose) is not differentiated by ferment: it handles real(4) and real(8) arrays of rank 2",
        file,
        line,
    );
    f
}

/// From the current block: branches on the element type of `desc` to one
/// block per kind: real(4), real(8), and where `bytes` data without
/// derivatives (moved as bytes); `emit(elem)` fills each kind's block and
/// ends it. Other types, and with `only` other type codes, go to `bad`.
pub(crate) fn by_kind(
    b: &Builder,
    f: Value,
    desc: Value,
    bytes: bool,
    only: Option<i64>,
    bad: Block,
    mut emit: impl FnMut(Option<Type>),
) {
    let ctx = b.context();
    let i64t = b.i64();
    let code = b.int_cast(b.load(b.i8(), b.gep_i8(desc, TYPE)), i64t, false);
    let real4 = f.append_block("real4");
    let real8 = f.append_block("real8");
    let other = f.append_block("other.type");
    b.switch(
        code,
        other,
        &[
            (b.const_int(i64t, CFI_TYPE_FLOAT), real4),
            (b.const_int(i64t, CFI_TYPE_DOUBLE), real8),
        ],
    );
    for (block, code, t) in [
        (real4, CFI_TYPE_FLOAT, Type::f32(ctx)),
        (real8, CFI_TYPE_DOUBLE, Type::f64(ctx)),
    ] {
        b.at_end(block);
        if only.is_none_or(|c| c == code) {
            emit(Some(t));
        } else {
            b.br(bad);
        }
    }
    b.at_end(other);
    if bytes {
        let data = f.append_block("bytes");
        b.cond_br(inactive_code(b, code), data, bad);
        b.at_end(data);
        emit(None);
    } else {
        b.br(bad);
    }
}

/// From the current block: branches on `rank` (i64) to one block per rank
/// in `ranks`; `emit(r)` fills each and ends it. Other ranks go to `bad`.
pub(crate) fn by_rank(
    b: &Builder,
    f: Value,
    rank: Value,
    ranks: &[u64],
    bad: Block,
    mut emit: impl FnMut(u64),
) {
    let i64t = b.i64();
    let blocks: Vec<Block> = ranks.iter().map(|_| f.append_block("rank")).collect();
    let cases: Vec<(Value, Block)> = ranks
        .iter()
        .zip(&blocks)
        .map(|(&r, &bl)| (b.const_int(i64t, r as i64), bl))
        .collect();
    b.switch(rank, bad, &cases);
    for (&r, &bl) in ranks.iter().zip(&blocks) {
        b.at_end(bl);
        emit(r);
    }
}

/// The rank of `desc`, as i64.
pub(crate) fn rank_of(b: &Builder, desc: Value) -> Value {
    b.int_cast(b.load(b.i8(), b.gep_i8(desc, RANK)), b.i64(), false)
}

/// The extents and byte strides of the first `rank` dimensions of `desc`.
pub(crate) fn shape_of(b: &Builder, desc: Value, rank: u64) -> (Vec<Value>, Vec<Value>) {
    let i64t = b.i64();
    (0..rank)
        .map(|d| {
            (
                b.load(i64t, dim_field(b, desc, d, EXTENT)),
                b.load(i64t, dim_field(b, desc, d, STRIDE)),
            )
        })
        .unzip()
}

/// A loop over every index of an index space of extents `ext`, in array
/// element order: `body(indices, linear index)`.
pub(crate) fn index_loop(b: &Builder, ext: &[Value], body: impl FnOnce(&[Value], Value)) {
    let mut n = b.const_int(b.i64(), 1);
    for &e in ext {
        n = b.mul_int(n, e);
    }
    b.counted_loop("loop", n, |e| {
        let mut rest = e;
        let mut idx = Vec::new();
        for &x in ext {
            let q = b.udiv_int(rest, x);
            idx.push(b.sub_int(rest, b.mul_int(q, x)));
            rest = q;
        }
        body(&idx, e);
    });
}

/// Copies one element: a typed load and store, or `elen` bytes (data
/// without derivatives).
fn move_element(b: &Builder, elem: Option<Type>, dst: Value, src: Value, elen: Value) {
    match elem {
        Some(t) => {
            let v = b.load(t, src);
            b.store(v, dst);
        }
        None => {
            b.memmove(dst, src, elen);
        }
    }
}

/// The byte length of an element of `desc` (of kind `elem`), and the type
/// code to give a result of that kind.
pub(crate) fn element_kind(b: &Builder, desc: Value, elem: Option<Type>) -> (Value, Value) {
    match elem {
        Some(t) => {
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
        None => (
            b.load(b.i64(), b.gep_i8(desc, ELEM_LEN)),
            b.load(b.i8(), b.gep_i8(desc, TYPE)),
        ),
    }
}

/// A function `name` of the runtime routine's parameters returning `ret`,
/// with internal linkage; its builder at the entry block, and a block for
/// the cases not handled.
pub(crate) fn helper_shell(
    module: Module,
    name: &str,
    params: &[Type],
    ret: Type,
) -> (Value, Builder, Block) {
    let f = module.add_function(name, Type::function(ret, params, false));
    f.set_internal();
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let bad = f.append_block("unsupported");
    b.at_end(entry);
    (f, b, bad)
}

/// `ferment.fortran.spread(result, source, dim, ncopies, file, line)`:
/// `ncopies` copies of a source of rank 0 to 3 along dimension `dim`.
fn spread_helper(module: Module, only: Option<i64>) -> Value {
    let ctx = module.context();
    let (ptr, i32t, i64t) = (Type::ptr(ctx), Type::int(ctx, 32), Type::int(ctx, 64));
    let params = [ptr, ptr, i32t, i64t, ptr, i32t];
    let what = "this SPREAD (flang runtime _FortranASpread) is not differentiated by ferment: it handles a real(4) or real(8) source of rank 0 to 3";
    by_kind_helper(
        module,
        "ferment.fortran.spread",
        only,
        &params,
        (4, 5),
        what,
        spread_kind_helper,
    )
}

/// The kind-specific part of [`spread_helper`].
fn spread_kind_helper(module: Module, name: &str, elem: Option<Type>) -> Value {
    if let Some(f) = module.function(name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let (f, b, bad) = helper_shell(module, name, &[ptr, ptr, i32t, i64t, ptr, i32t], i8t);
    let p = f.params();
    let (result, source, dim, ncopies) = (p[0], p[1], p[2], p[3]);
    let go = f.append_block("go");
    b.cond_br(unallocated(&b, result), go, bad);
    b.at_end(go);
    let zero = b.const_int(i64t, 0);
    let dimv = b.sub_int(b.int_cast(dim, i64t, true), b.const_int(i64t, 1));
    let nc = b.select(
        b.icmp(IntPredicate::LLVMIntSLT, ncopies, zero),
        zero,
        ncopies,
    );
    let rank = rank_of(&b, source);
    {
        let (elen, code) = element_kind(&b, source, elem);
        by_rank(&b, f, rank, &[0, 1, 2, 3], bad, |r| {
            let (ext, sm) = shape_of(&b, source, r);
            let fits = b.and_int(
                b.icmp(IntPredicate::LLVMIntSGE, dimv, zero),
                b.icmp(IntPredicate::LLVMIntSLE, dimv, b.const_int(i64t, r as i64)),
            );
            let body = f.append_block("spread");
            b.cond_br(fits, body, bad);
            b.at_end(body);
            // Result dimension d: source dimension d before `dim`, the
            // copies at `dim`, source dimension d - 1 after it.
            let mut rext = Vec::new();
            let mut rsm = Vec::new();
            for d in 0..=r as usize {
                let dc = b.const_int(i64t, d as i64);
                let before = b.icmp(IntPredicate::LLVMIntSLT, dc, dimv);
                let at = b.icmp(IntPredicate::LLVMIntEQ, dc, dimv);
                let (e_before, s_before) = if d < r as usize {
                    (ext[d], sm[d])
                } else {
                    (nc, zero)
                };
                let (e_after, s_after) = if d > 0 {
                    (ext[d - 1], sm[d - 1])
                } else {
                    (nc, zero)
                };
                rext.push(b.select(before, e_before, b.select(at, nc, e_after)));
                rsm.push(b.select(before, s_before, b.select(at, zero, s_after)));
            }
            allocate_result(&b, result, &rext, elen, code);
            let out = b.load(ptr, result);
            let base = b.load(ptr, source);
            index_loop(&b, &rext, |idx, e| {
                let mut off = zero;
                for (d, &i) in idx.iter().enumerate() {
                    off = b.add_int(off, b.mul_int(i, rsm[d]));
                }
                let dst = b.gep(i8t, out, &[b.mul_int(e, elen)]);
                move_element(&b, elem, dst, b.gep(i8t, base, &[off]), elen);
            });
            b.ret(b.const_int(i8t, 1));
        });
    }
    b.at_end(bad);
    b.ret(b.const_int(i8t, 0));
    f
}

/// `ferment.fortran.reshape(result, source, shape, pad, order, file, line)`:
/// without PAD and ORDER, a result of rank 1 to 3 from a source of rank 1
/// or 2 with at least as many elements.
fn reshape_helper(module: Module, only: Option<i64>) -> Value {
    let ctx = module.context();
    let (ptr, i32t) = (Type::ptr(ctx), Type::int(ctx, 32));
    let params = [ptr, ptr, ptr, ptr, ptr, ptr, i32t];
    let what = "this RESHAPE (flang runtime _FortranAReshape) is not differentiated by ferment: it handles a result of rank 1 to 3 from a source of rank 1 or 2 with enough elements, without PAD or ORDER";
    by_kind_helper(
        module,
        "ferment.fortran.reshape",
        only,
        &params,
        (5, 6),
        what,
        reshape_kind_helper,
    )
}

/// The kind-specific part of [`reshape_helper`].
fn reshape_kind_helper(module: Module, name: &str, elem: Option<Type>) -> Value {
    if let Some(f) = module.function(name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let (f, b, bad) = helper_shell(module, name, &[ptr, ptr, ptr, ptr, ptr, ptr, i32t], i8t);
    let p = f.params();
    let (result, source, shape, pad, order) = (p[0], p[1], p[2], p[3], p[4]);
    let zero = b.const_int(i64t, 0);
    let null = |v: Value| b.icmp(IntPredicate::LLVMIntEQ, b.ptr_to_int(v, i64t), zero);
    let selen = b.load(i64t, b.gep_i8(shape, ELEM_LEN));
    let mut ok = b.and_int(unallocated(&b, result), b.and_int(null(pad), null(order)));
    ok = b.and_int(
        ok,
        b.icmp(
            IntPredicate::LLVMIntEQ,
            rank_of(&b, shape),
            b.const_int(i64t, 1),
        ),
    );
    ok = b.and_int(
        ok,
        b.or_int(
            b.icmp(IntPredicate::LLVMIntEQ, selen, b.const_int(i64t, 4)),
            b.icmp(IntPredicate::LLVMIntEQ, selen, b.const_int(i64t, 8)),
        ),
    );
    let go = f.append_block("go");
    b.cond_br(ok, go, bad);
    b.at_end(go);
    let rrank = rank_of(&b, result);
    let srank = rank_of(&b, source);
    let shape_ext = b.load(i64t, dim_field(&b, shape, 0, EXTENT));
    let shape_sm = b.load(i64t, dim_field(&b, shape, 0, STRIDE));
    let shape_base = b.load(ptr, shape);
    {
        let (elen, code) = element_kind(&b, source, elem);
        by_rank(&b, f, rrank, &[1, 2, 3], bad, |rr| {
            let read = f.append_block("read.shape");
            b.cond_br(
                b.icmp(
                    IntPredicate::LLVMIntEQ,
                    shape_ext,
                    b.const_int(i64t, rr as i64),
                ),
                read,
                bad,
            );
            b.at_end(read);
            // The shape's values, integer(4) or integer(8).
            let mut rext = Vec::new();
            for i in 0..rr {
                let at = b.gep(
                    i8t,
                    shape_base,
                    &[b.mul_int(b.const_int(i64t, i as i64), shape_sm)],
                );
                let four = f.append_block("shape.i32");
                let eight = f.append_block("shape.i64");
                let join = f.append_block("shape.value");
                b.cond_br(
                    b.icmp(IntPredicate::LLVMIntEQ, selen, b.const_int(i64t, 4)),
                    four,
                    eight,
                );
                b.at_end(four);
                let v4 = b.int_cast(b.load(i32t, at), i64t, true);
                b.br(join);
                b.at_end(eight);
                let v8 = b.load(i64t, at);
                b.br(join);
                b.at_end(join);
                let v = b.phi(i64t, "extent");
                v.add_incoming(v4, four);
                v.add_incoming(v8, eight);
                rext.push(b.select(b.icmp(IntPredicate::LLVMIntSLT, v, zero), zero, v));
            }
            by_rank(&b, f, srank, &[1, 2], bad, |sr| {
                let (sext, ssm) = shape_of(&b, source, sr);
                let mut nres = b.const_int(i64t, 1);
                for &e in &rext {
                    nres = b.mul_int(nres, e);
                }
                let mut nsrc = b.const_int(i64t, 1);
                for &e in &sext {
                    nsrc = b.mul_int(nsrc, e);
                }
                let body = f.append_block("reshape");
                b.cond_br(b.icmp(IntPredicate::LLVMIntSLE, nres, nsrc), body, bad);
                b.at_end(body);
                allocate_result(&b, result, &rext, elen, code);
                let out = b.load(ptr, result);
                let base = b.load(ptr, source);
                b.counted_loop("loop", nres, |e| {
                    let mut rest = e;
                    let mut off = zero;
                    for (d, &x) in sext.iter().enumerate() {
                        let q = b.udiv_int(rest, x);
                        let i = b.sub_int(rest, b.mul_int(q, x));
                        off = b.add_int(off, b.mul_int(i, ssm[d]));
                        rest = q;
                    }
                    let dst = b.gep(i8t, out, &[b.mul_int(e, elen)]);
                    move_element(&b, elem, dst, b.gep(i8t, base, &[off]), elen);
                });
                b.ret(b.const_int(i8t, 1));
            });
        });
    }
    b.at_end(bad);
    b.ret(b.const_int(i8t, 0));
    f
}

/// `ferment.fortran.<op>dim(result, array, dim, file, line, mask)`: SUM,
/// PRODUCT, MAXVAL, MINVAL or NORM2 (no `mask` parameter) along dimension `dim` of a real(4) or real(8)
/// array of rank 2 or 3, with a MASK of the array's shape (or a scalar one)
/// or none; a masked-out element does not count.
fn reduce_dim_helper(module: Module, op: DimOp, only: Option<i64>, masked: bool) -> Value {
    let (name, what, runtime) = match op {
        DimOp::Sum => ("ferment.fortran.sumdim", "SUM", "SumDim"),
        DimOp::Product => ("ferment.fortran.productdim", "PRODUCT", "ProductDim"),
        DimOp::Maxval => ("ferment.fortran.maxvaldim", "MAXVAL", "MaxvalDim"),
        DimOp::Minval => ("ferment.fortran.minvaldim", "MINVAL", "MinvalDim"),
        DimOp::Norm2 => ("ferment.fortran.norm2dim", "NORM2", "Norm2Dim"),
    };
    let name = &kind_name(name, only);
    let name = &if masked {
        format!("{name}.masked")
    } else {
        name.clone()
    };
    if let Some(f) = module.function(name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let params: &[Type] = if op == DimOp::Norm2 {
        &[ptr, ptr, i32t, ptr, i32t]
    } else {
        &[ptr, ptr, i32t, ptr, i32t, ptr]
    };
    let (f, b, bad) = helper_shell(module, name, params, Type::void(ctx));
    let p = f.params();
    let (result, array, dim, file, line) = (p[0], p[1], p[2], p[3], p[4]);
    let mask = p.get(5).copied().unwrap_or_else(|| b.zero(ptr));
    let zero = b.const_int(i64t, 0);
    // MASK (the masked variant): a logical array of the array's shape, or a
    // scalar.
    let (mask_fits, melen) = if masked {
        crate::fortran::mask_length(&b, mask)
    } else {
        (b.const_int(Type::int(ctx, 1), 1), zero)
    };
    let go = f.append_block("go");
    b.cond_br(b.and_int(unallocated(&b, result), mask_fits), go, bad);
    b.at_end(go);
    let dimv = b.sub_int(b.int_cast(dim, i64t, true), b.const_int(i64t, 1));
    let rank = rank_of(&b, array);
    by_kind(&b, f, array, false, only, bad, |elem| {
        let t = elem.expect("real kinds only");
        let (elen, code) = element_kind(&b, array, elem);
        let huge = if t.float_bits() == 32 {
            f32::MAX as f64
        } else {
            f64::MAX
        };
        let initial = match op {
            DimOp::Sum | DimOp::Norm2 => 0.0,
            DimOp::Product => 1.0,
            DimOp::Maxval => -huge,
            DimOp::Minval => huge,
        };
        by_rank(&b, f, rank, &[2, 3], bad, |r| {
            let (ext, sm) = shape_of(&b, array, r);
            let mut fits = b.and_int(
                b.icmp(IntPredicate::LLVMIntSGE, dimv, zero),
                b.icmp(IntPredicate::LLVMIntSLT, dimv, b.const_int(i64t, r as i64)),
            );
            // The mask's byte strides (0 for a scalar mask).
            let msm: Vec<Value> = if masked {
                let (conform, msm) = crate::fortran::conformable_strides(&b, f, mask, &ext);
                fits = b.and_int(fits, conform);
                msm
            } else {
                vec![zero; r as usize]
            };
            let body = f.append_block("reduce");
            b.cond_br(fits, body, bad);
            b.at_end(body);
            // The reduced dimension's extent and stride; the others in order.
            let (mut kext, mut ksm, mut kmsm) = (zero, zero, zero);
            for d in 0..r as usize {
                let at = b.icmp(IntPredicate::LLVMIntEQ, b.const_int(i64t, d as i64), dimv);
                kext = b.select(at, ext[d], kext);
                ksm = b.select(at, sm[d], ksm);
                kmsm = b.select(at, msm[d], kmsm);
            }
            let mut rext = Vec::new();
            let mut rsm = Vec::new();
            let mut rmsm = Vec::new();
            for d in 0..(r - 1) as usize {
                let before = b.icmp(IntPredicate::LLVMIntSLT, b.const_int(i64t, d as i64), dimv);
                rext.push(b.select(before, ext[d], ext[d + 1]));
                rsm.push(b.select(before, sm[d], sm[d + 1]));
                rmsm.push(b.select(before, msm[d], msm[d + 1]));
            }
            allocate_result(&b, result, &rext, elen, code);
            let out = b.load(ptr, result);
            let base = b.load(ptr, array);
            let mbase = if masked {
                b.load(ptr, mask)
            } else {
                b.zero(ptr)
            };
            index_loop(&b, &rext, |idx, e| {
                let mut off = zero;
                let mut moff = zero;
                for (d, &i) in idx.iter().enumerate() {
                    off = b.add_int(off, b.mul_int(i, rsm[d]));
                    moff = b.add_int(moff, b.mul_int(i, rmsm[d]));
                }
                let dst = b.gep(i8t, out, &[b.mul_int(e, elen)]);
                b.store(b.const_real(t, initial), dst);
                b.counted_loop("loop", kext, |k| {
                    let at = b.add_int(off, b.mul_int(k, ksm));
                    let v = b.load(t, b.gep(i8t, base, &[at]));
                    let acc = b.load(t, dst);
                    let next = match op {
                        DimOp::Sum => b.fadd(acc, v),
                        DimOp::Norm2 => b.fadd(acc, b.fmul(v, v)),
                        DimOp::Product => b.fmul(acc, v),
                        DimOp::Maxval => b.select(
                            b.fcmp(ferment_ir::RealPredicate::LLVMRealOGT, v, acc),
                            v,
                            acc,
                        ),
                        DimOp::Minval => b.select(
                            b.fcmp(ferment_ir::RealPredicate::LLVMRealOLT, v, acc),
                            v,
                            acc,
                        ),
                    };
                    // A masked-out element leaves the accumulator as it was.
                    let next = if masked {
                        let mat = b.gep(i8t, mbase, &[b.add_int(moff, b.mul_int(k, kmsm))]);
                        let counts = crate::fortran::mask_element(&b, f, melen, mat);
                        b.select(counts, next, acc)
                    } else {
                        next
                    };
                    b.store(next, dst);
                });
                if op == DimOp::Norm2 {
                    let squares = b.load(t, dst);
                    b.store(b.unary_intrinsic("llvm.sqrt", squares), dst);
                }
            });
            b.ret_void();
        });
    });
    b.at_end(bad);
    stop(
        &b,
        &format!("{name}.msg"),
        &format!("this {what} with DIM (flang runtime _FortranA{runtime}) is not differentiated by ferment: it handles a real(4) or real(8) array of rank 2 or 3, with a MASK of its shape or none"),
        file,
        line,
    );
    f
}

/// A runtime routine's replacement `name` that dispatches on the element
/// type of its second parameter (the source) to one function per kind,
/// `make(module, name.kind, elem)`: real(4) and real(8). (A source of
/// integer, logical or character data found in the IR keeps the runtime
/// call, which the activity analysis knows; one found only at run time
/// stops: copying bytes of unknown type here would leave the type analysis
/// a question it cannot answer.) A kind function returns 1 when it
/// handled the call, 0 when not; then (or for another type) the program
/// stops with `what` at the call's `file` and `line` (parameter indices).
fn by_kind_helper(
    module: Module,
    name: &str,
    only: Option<i64>,
    params: &[Type],
    (file_at, line_at): (usize, usize),
    what: &str,
    make: fn(Module, &str, Option<Type>) -> Value,
) -> Value {
    let name = &kind_name(name, only);
    if let Some(f) = module.function(name) {
        return f;
    }
    let (f, b, bad) = helper_shell(module, name, params, Type::void(module.context()));
    let p = f.params();
    let i8t = b.i8();
    by_kind(&b, f, p[1], false, only, bad, |elem| {
        let suffix = match elem {
            Some(t) if t.float_bits() == 32 => "f32",
            Some(_) => "f64",
            None => "bytes",
        };
        let g = make(module, &format!("{name}.{suffix}"), elem);
        let ok = b.call_fn(g, &p);
        let done = f.append_block("done");
        b.cond_br(
            b.icmp(IntPredicate::LLVMIntNE, ok, b.const_int(i8t, 0)),
            done,
            bad,
        );
        b.at_end(done);
        b.ret_void();
    });
    b.at_end(bad);
    stop(&b, &format!("{name}.msg"), what, p[file_at], p[line_at]);
    f
}
