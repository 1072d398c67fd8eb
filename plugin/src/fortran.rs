//! flang's runtime assignment in a canonical copy, as IR ferment differentiates.
//!
//! Role: flang lowers an assignment to an allocatable (`y = x` with `y`
//! allocatable, scalar or array), and array assignments it does not inline at
//! -O0, to `_FortranAAssign(to, from, file, line)`: a runtime routine that
//! reads two array descriptors, (re)allocates `to` where needed and copies the
//! elements. ferment has no body for it, so each call in a canonical copy
//! becomes a call of `ferment.fortran.assign`, a helper built here that does
//! the same for the cases it understands, with loads, stores, `malloc` and
//! `free` that the generators differentiate like any other code (the shadow
//! of a reallocated left side is allocated and zeroed with it).
//!
//! A descriptor (flang's `ISO_Fortran_binding.h`) is `{ base_addr, elem_len
//! (i64), version (i32), rank (i8), type (i8), attribute (i8), extra (i8) }`
//! followed by `rank` dimensions `{ lower_bound, extent, sm }` (i64 each; `sm`
//! the byte stride). The helper handles: the same type code and rank and
//! element length on both sides; `real(4)`/`real(8)` (typed copies, which
//! carry derivatives) or integer, logical and character data (byte copies,
//! which carry none); a left side that is allocated with the right side's
//! shape, or an allocatable left side (default allocator) that is
//! unallocated or of another shape, which it (re)allocates with `malloc` and
//! the right side's bounds, as the runtime does; a scalar right side
//! (`v = 0`) is stored into every element of an allocated left side. Anything else (derived
//! types, complex, type conversion, overlapping sides, a pointer or
//! non-allocatable left side of another shape, a rank above 4) stops the program with a
//! message naming the assignment's file and line: never a wrong derivative.

use crate::error::{Error, Result};
use ferment_ir::{Builder, IntPredicate, Module, RealPredicate, Type, Value};

const ASSIGN: &str = "_FortranAAssign";
const HELPER: &str = "ferment.fortran.assign";

/// Byte offsets in a descriptor.
pub(crate) const ELEM_LEN: u64 = 8;
pub(crate) const RANK: u64 = 20;
pub(crate) const TYPE: u64 = 21;
const ATTRIBUTE: u64 = 22;
const EXTRA: u64 = 23;
pub(crate) const DIMS: u64 = 24;
pub(crate) const DIM_SIZE: u64 = 24;
/// Offsets in a dimension.
pub(crate) const LOWER: u64 = 0;
pub(crate) const EXTENT: u64 = 8;
pub(crate) const STRIDE: u64 = 16;

pub(crate) const CFI_TYPE_FLOAT: i64 = 27;
pub(crate) const CFI_TYPE_DOUBLE: i64 = 28;
pub(crate) const CFI_TYPE_FLOAT_COMPLEX: i64 = 34;
pub(crate) const CFI_TYPE_DOUBLE_COMPLEX: i64 = 35;
const CFI_ATTRIBUTE_ALLOCATABLE: i64 = 2;
/// The allocator index bits of `extra` (`_CFI_ALLOCATOR_IDX_MASK`): 0 is the
/// default allocator, `malloc`/`free`.
const ALLOCATOR_MASK: i64 = 0b1110;
/// `_CFI_ADDENDUM_FLAG`: the descriptor has an addendum (derived types).
const ADDENDUM_FLAG: i64 = 1;
const CFI_TYPE_STRUCT: i64 = 42;
/// The highest rank handled (each rank has its own copy, whose descriptor
/// fields sit at constant offsets); a higher one stops with the message.
const MAX_RANK: u64 = 4;

/// Type codes of data without derivatives: the C integer types (1..=24),
/// `_Bool`, `char` and the unsigned extensions.
pub(crate) const INACTIVE_TYPE_CODES: &[std::ops::RangeInclusive<i64>] =
    &[1..=24, 39..=40, 45..=49];

/// The direct calls (not `invoke`s) in `f` of the runtime routines
/// `classify` knows by name, with the number of arguments it gives for each:
/// (call, what `classify` said).
pub(crate) fn runtime_calls<T>(
    f: Value,
    classify: impl Fn(&str) -> Option<(T, usize)>,
) -> Vec<(Value, T)> {
    f.instructions()
        .into_iter()
        .filter(|i| i.is_call() && !i.is_invoke())
        .filter_map(|i| {
            let (what, arity) = classify(&i.called_function()?.name())?;
            (i.call_args().len() == arity).then_some((i, what))
        })
        .collect()
}

/// Replaces the runtime call `call` by a call of `helper` (checked by LLVM's
/// verifier first: an ill-formed helper is an error) with `args`, at the
/// call's place and debug location; the call's uses take the new value.
pub(crate) fn call_helper(b: &Builder, call: Value, helper: Value, args: &[Value]) -> Result<()> {
    crate::shim::verify_function(helper).map_err(|e| {
        Error::new(format!(
            "internal error: '{}' failed LLVM's verifier: {e}",
            helper.name()
        ))
    })?;
    b.before(call);
    b.set_debug_loc_from(call);
    let v = b.call_fn(helper, args);
    if !call.ty().is_void() {
        call.replace_all_uses_with(v);
    }
    call.erase();
    Ok(())
}

/// Rewrites the calls of `_FortranAAssign` in `f`; says whether it did any.
pub fn lower_assignments(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| {
            i.is_call()
                && !i.is_invoke()
                && i.called_function().is_some_and(|g| g.name() == ASSIGN)
                && i.call_args().len() == 4
        })
        .collect();
    if calls.is_empty() {
        return Ok(false);
    }
    let helpers: Vec<Value> = calls
        .iter()
        .map(|call| {
            // The element type where the IR shows it (the right side's, or
            // the left side's): the helper then has that kind's copy alone.
            // With every kind's, one descriptor's data would be read as
            // several types where its type code does not fold away (a
            // descriptor a runtime routine filled).
            let args = call.call_args();
            let only = crate::fortran_matrix::static_type_code(args[1], 0)
                .or_else(|| crate::fortran_matrix::static_type_code(args[0], 0));
            // Likewise the left side's rank where its declared type shows
            // it (-O0, where the rank loaded from a descriptor copied into
            // a derived-type component does not fold): the copies and fills
            // of the other ranks would read the memory after the descriptor
            // (the type's next components) as dimensions.
            assign_helper(module, only, static_rank(args[0]))
        })
        .collect();
    // Checked before anything inlines them: an ill-formed helper is an error.
    for g in module.functions() {
        if g.name().starts_with(HELPER) {
            crate::shim::verify_function(g).map_err(|e| {
                Error::new(format!(
                    "internal error: '{}' failed LLVM's verifier: {e}",
                    g.name()
                ))
            })?;
        }
    }
    let b = Builder::new(module);
    for (call, helper) in calls.into_iter().zip(helpers) {
        b.before(call);
        b.set_debug_loc_from(call);
        b.call_fn(helper, &call.call_args());
        call.erase();
    }
    Ok(true)
}

/// Whether a helper for the type code `only` (all kinds where `None`) has
/// the copy for element type `elem` (`None`: bytes of data without
/// derivatives) in `parts` parts (2: complex).
fn kind_allowed(only: Option<i64>, elem: Option<Type>, parts: u64) -> bool {
    let Some(c) = only else { return true };
    match elem {
        Some(t) => c == float_code(t, parts),
        None => INACTIVE_TYPE_CODES.iter().any(|r| r.contains(&c)),
    }
}

/// The type code of real (`parts` 1) or complex (2) data of kind `t`.
pub(crate) fn float_code(t: Type, parts: u64) -> i64 {
    match (t.float_bits() == 32, parts == 2) {
        (true, false) => CFI_TYPE_FLOAT,
        (false, false) => CFI_TYPE_DOUBLE,
        (true, true) => CFI_TYPE_FLOAT_COMPLEX,
        (false, true) => CFI_TYPE_DOUBLE_COMPLEX,
    }
}

/// The name suffix of a copy of `elem` in `parts` parts.
fn elem_suffix(elem: Option<Type>, parts: u64) -> &'static str {
    match (elem.map(|t| t.float_bits() == 32), parts == 2) {
        (None, _) => "bytes",
        (Some(true), false) => "f32",
        (Some(false), false) => "f64",
        (Some(true), true) => "c32",
        (Some(false), true) => "c64",
    }
}

/// The element kinds an assignment or fill handles: block name, type code,
/// element type (`None`: bytes) and parts.
fn float_kinds(ctx: llvm_sys::prelude::LLVMContextRef) -> [(&'static str, i64, Type, u64); 4] {
    [
        ("real4", CFI_TYPE_FLOAT, Type::f32(ctx), 1),
        ("real8", CFI_TYPE_DOUBLE, Type::f64(ctx), 1),
        ("complex4", CFI_TYPE_FLOAT_COMPLEX, Type::f32(ctx), 2),
        ("complex8", CFI_TYPE_DOUBLE_COMPLEX, Type::f64(ctx), 2),
    ]
}

/// The rank of the descriptor `desc` points to where the IR's types show
/// it: an `alloca` of flang's descriptor type, or a typed `getelementptr` to
/// such a field of a derived type (as flang emits at -O0), whose dimension
/// array `[r x [3 x i64]]` gives the declared rank `r` (1 to `MAX_RANK`).
/// A Fortran array's rank does not change; the helper still checks it and
/// stops on another.
pub(crate) fn static_rank(desc: Value) -> Option<u64> {
    let v = desc.strip_casts();
    if !v.is_instruction() {
        return None;
    }
    let ty = if v.opcode() == ferment_ir::Opcode::LLVMAlloca {
        v.allocated_type()
    } else if let Some(mut t) = v.gep_source_element_type() {
        // The first index steps over whole objects; the others go into it.
        for k in 2..v.num_operands() {
            if t.is_struct() {
                let i = usize::try_from(v.operand(k).const_int()?).ok()?;
                t = *t.struct_fields().get(i)?;
            } else if t.is_array() {
                t = t.element_type();
            } else {
                return None;
            }
        }
        t
    } else {
        return None;
    };
    if !ty.is_struct() {
        return None;
    }
    let fields = ty.struct_fields();
    // { base_addr, elem_len, version, rank, type, attribute, extra, dims, ... }
    let header_ok = fields.len() >= 8
        && fields[0].is_pointer()
        && fields[1].is_integer()
        && fields[1].int_width() == 64
        && fields[2].is_integer()
        && fields[2].int_width() == 32
        && fields[3..7]
            .iter()
            .all(|f| f.is_integer() && f.int_width() == 8);
    let dims = fields.get(7)?;
    if !header_ok || !dims.is_array() {
        return None;
    }
    let dim = dims.element_type();
    let dim_ok = dim.is_array()
        && dim.array_len() == 3
        && dim.element_type().is_integer()
        && dim.element_type().int_width() == 64;
    let r = dims.array_len();
    (dim_ok && (1..=MAX_RANK).contains(&r)).then_some(r)
}

/// `ferment.fortran.assign(to, from, file, line)`: checks the descriptors and
/// calls the copy for the element type, or stops; `.k<code>` with the copy
/// for type code `only` alone, `.r<rank>` with the copies and fills of the
/// left side's rank `rank` alone.
fn assign_helper(module: Module, only: Option<i64>, rank_only: Option<u64>) -> Value {
    let mut name = match only {
        Some(c) => format!("{HELPER}.k{c}"),
        None => HELPER.to_string(),
    };
    if let Some(r) = rank_only {
        name = format!("{name}.r{r}");
    }
    if let Some(f) = module.function(&name) {
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
    let f = module.add_function(&name, Type::function(void, &[ptr, ptr, ptr, i32t], false));
    f.set_internal();
    let p = f.params();
    let (to, from, file, line) = (p[0], p[1], p[2], p[3]);
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let dispatch = f.append_block("dispatch");
    let kinds: Vec<(ferment_ir::Block, i64, Option<Type>, u64)> = float_kinds(ctx)
        .into_iter()
        .map(|(n, c, t, parts)| (f.append_block(n), c, Some(t), parts))
        .collect();
    let bytes = f.append_block("bytes");
    let check_bytes = f.append_block("check.bytes");
    let bad = f.append_block("unsupported");
    b.at_end(entry);
    let ttype = b.load(i8t, b.gep_i8(to, TYPE));
    let ftype = b.load(i8t, b.gep_i8(from, TYPE));
    let trank = b.load(i8t, b.gep_i8(to, RANK));
    let frank = b.load(i8t, b.gep_i8(from, RANK));
    let tlen = b.load(i64t, b.gep_i8(to, ELEM_LEN));
    let flen = b.load(i64t, b.gep_i8(from, ELEM_LEN));
    let same_kind = b.and_int(
        b.icmp(IntPredicate::LLVMIntEQ, ttype, ftype),
        b.icmp(IntPredicate::LLVMIntEQ, tlen, flen),
    );
    let same = b.and_int(same_kind, b.icmp(IntPredicate::LLVMIntEQ, trank, frank));
    // A scalar assigned to an array (`v = 0`) is broadcast.
    let broadcast = f.append_block("broadcast");
    let check_broadcast = f.append_block("check.broadcast");
    b.cond_br(same, dispatch, check_broadcast);
    b.at_end(check_broadcast);
    let scalar = b.and_int(
        b.icmp(IntPredicate::LLVMIntEQ, frank, b.const_int(i8t, 0)),
        b.icmp(IntPredicate::LLVMIntNE, trank, b.const_int(i8t, 0)),
    );
    b.cond_br(b.and_int(same_kind, scalar), broadcast, bad);
    b.at_end(dispatch);
    let code = b.int_cast(ftype, i64t, false);
    let rank = b.int_cast(frank, i64t, false);
    let cases: Vec<(Value, ferment_ir::Block)> = kinds
        .iter()
        .map(|&(block, c, _, _)| (b.const_int(i64t, c), block))
        .collect();
    b.switch(code, check_bytes, &cases);
    broadcast_dispatch(
        &b,
        f,
        broadcast,
        (to, from),
        (ftype, trank),
        bad,
        (only, rank_only),
    );
    b.at_end(check_bytes);
    b.cond_br(inactive_code(&b, code), bytes, bad);
    for (block, _, elem, parts) in kinds.into_iter().chain([(bytes, 0, None, 1)]) {
        b.at_end(block);
        if !kind_allowed(only, elem, parts) {
            b.br(bad);
            continue;
        }
        let mut cases = Vec::new();
        let done = f.append_block("done");
        for r in (0..=MAX_RANK).filter(|&r| rank_only.is_none_or(|k| k == r)) {
            let at_rank = f.append_block("rank");
            b.at_end(at_rank);
            let copy = copy_helper(module, elem, parts, r);
            let ok = b.call_fn(copy, &[to, from]);
            let ok = b.icmp(IntPredicate::LLVMIntNE, ok, b.const_int(i8t, 0));
            b.cond_br(ok, done, bad);
            cases.push((b.const_int(i64t, r as i64), at_rank));
        }
        b.at_end(block);
        b.switch(rank, bad, &cases);
        b.at_end(done);
        b.ret_void();
    }
    b.at_end(bad);
    stop(
        &b,
        &format!("{name}.msg"),
        "this Fortran assignment (flang runtime _FortranAAssign) is not differentiated by ferment: it handles real(4), real(8), complex(4), complex(8), integer, logical and character data of the same type and rank (at most 4) on both sides, or a scalar assigned to every element of an allocated array, assigned to an allocated left side of the same shape or to an allocatable, without overlap",
        file,
        line,
    );
    f
}

/// Whether type code `code` (i64) is one of data without derivatives.
pub(crate) fn inactive_code(b: &Builder, code: Value) -> Value {
    let i64t = b.i64();
    let mut inactive = b.const_int(Type::int(b.context(), 1), 0);
    for r in INACTIVE_TYPE_CODES {
        let lo = b.icmp(
            IntPredicate::LLVMIntSGE,
            code,
            b.const_int(i64t, *r.start()),
        );
        let hi = b.icmp(IntPredicate::LLVMIntSLE, code, b.const_int(i64t, *r.end()));
        inactive = b.or_int(inactive, b.and_int(lo, hi));
    }
    inactive
}

/// From block `at` (the types and element lengths agree, `from` is a
/// scalar, `to` an array): calls the fill for the element type and `to`'s
/// rank (`rank_only`'s alone where given), or goes to `bad`.
fn broadcast_dispatch(
    b: &Builder,
    f: Value,
    at: ferment_ir::Block,
    (to, from): (Value, Value),
    (ftype, trank): (Value, Value),
    bad: ferment_ir::Block,
    (only, rank_only): (Option<i64>, Option<u64>),
) {
    let module = b.module();
    let ctx = module.context();
    let (i8t, i64t) = (Type::int(ctx, 8), Type::int(ctx, 64));
    b.at_end(at);
    let code = b.int_cast(ftype, i64t, false);
    let rank = b.int_cast(trank, i64t, false);
    let kinds: Vec<(ferment_ir::Block, i64, Option<Type>, u64)> = float_kinds(ctx)
        .into_iter()
        .map(|(_, c, t, parts)| (f.append_block("fill.kind"), c, Some(t), parts))
        .collect();
    let check_bytes = f.append_block("fill.check.bytes");
    let bytes = f.append_block("fill.bytes");
    let cases: Vec<(Value, ferment_ir::Block)> = kinds
        .iter()
        .map(|&(block, c, _, _)| (b.const_int(i64t, c), block))
        .collect();
    b.switch(code, check_bytes, &cases);
    b.at_end(check_bytes);
    b.cond_br(inactive_code(b, code), bytes, bad);
    for (block, _, elem, parts) in kinds.into_iter().chain([(bytes, 0, None, 1)]) {
        if !kind_allowed(only, elem, parts) {
            b.at_end(block);
            b.br(bad);
            continue;
        }
        let done = f.append_block("fill.done");
        let mut cases = Vec::new();
        for r in (1..=MAX_RANK).filter(|&r| rank_only.is_none_or(|k| k == r)) {
            let at_rank = f.append_block("fill.rank");
            b.at_end(at_rank);
            let ok = b.call_fn(fill_helper(module, elem, parts, r), &[to, from]);
            let ok = b.icmp(IntPredicate::LLVMIntNE, ok, b.const_int(i8t, 0));
            b.cond_br(ok, done, bad);
            cases.push((b.const_int(i64t, r as i64), at_rank));
        }
        b.at_end(block);
        b.switch(rank, bad, &cases);
        b.at_end(done);
        b.ret_void();
    }
}

/// `ferment.fortran.fill.<elem>.r<rank>(to, from) -> i8`: stores the scalar
/// `from` into every element of the allocated array `to` (1), or does
/// nothing when `to` is not allocated (0).
fn fill_helper(module: Module, elem: Option<Type>, parts: u64, rank: u64) -> Value {
    let suffix = elem_suffix(elem, parts);
    let name = format!("ferment.fortran.fill.{suffix}.r{rank}");
    if let Some(f) = module.function(&name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i8t, i64t) = (Type::ptr(ctx), Type::int(ctx, 8), Type::int(ctx, 64));
    let f = module.add_function(&name, Type::function(i8t, &[ptr, ptr], false));
    f.set_internal();
    descriptor_param(f, 0, rank, elem.is_none());
    descriptor_param(f, 1, 0, elem.is_none());
    let p = f.params();
    let (to, from) = (p[0], p[1]);
    let b = Builder::new(module);
    let zero = b.const_int(i64t, 0);
    let one = b.const_int(i64t, 1);
    let field = |desc: Value, d: u64, at: u64| b.gep_i8(desc, DIMS + d * DIM_SIZE + at);
    let entry = f.append_block("entry");
    let allocated = f.append_block("allocated");
    let elements = f.append_block("elements");
    let exit = f.append_block("exit");
    let refuse = f.append_block("refuse");
    b.at_end(entry);
    let tbase = b.load(ptr, to);
    let unallocated = b.icmp(IntPredicate::LLVMIntEQ, b.ptr_to_int(tbase, i64t), zero);
    b.cond_br(unallocated, refuse, allocated);
    b.at_end(allocated);
    let elen = b.load(i64t, b.gep_i8(from, ELEM_LEN));
    let fbase = b.load(ptr, from);
    let ext: Vec<Value> = (0..rank)
        .map(|d| b.load(i64t, field(to, d, EXTENT)))
        .collect();
    let sm: Vec<Value> = (0..rank)
        .map(|d| b.load(i64t, field(to, d, STRIDE)))
        .collect();
    let mut n = one;
    for &e in &ext {
        n = b.mul_int(n, e);
    }
    let value: Option<Vec<Value>> = elem.map(|t| {
        (0..parts)
            .map(|k| b.load(t, b.gep_i8(fbase, k * u64::from(t.float_bits() / 8))))
            .collect()
    });
    b.cond_br(b.icmp(IntPredicate::LLVMIntSGT, n, zero), elements, exit);
    b.at_end(elements);
    let e = b.phi(i64t, "e");
    let mut rest = e;
    let mut off = zero;
    for d in 0..rank as usize {
        let q = b.udiv_int(rest, ext[d]);
        let i = b.sub_int(rest, b.mul_int(q, ext[d]));
        off = b.add_int(off, b.mul_int(i, sm[d]));
        rest = q;
    }
    let dst = b.gep(i8t, tbase, &[off]);
    match (elem, value) {
        (Some(t), Some(parts)) => {
            for (k, v) in parts.into_iter().enumerate() {
                b.store(v, b.gep_i8(dst, k as u64 * u64::from(t.float_bits() / 8)));
            }
        }
        _ => copy_bytes(&b, f, dst, fbase, elen),
    }
    let latch = b.insert_block();
    let e1 = b.add_int(e, one);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, e1, n), elements, exit);
    e.add_incoming(zero, allocated);
    e.add_incoming(e1, latch);
    b.at_end(exit);
    b.ret(b.const_int(i8t, 1));
    b.at_end(refuse);
    b.ret(b.const_int(i8t, 0));
    f
}

/// Ends the current block: prints `ferment: FILE:LINE: what` on stderr and
/// aborts (the runtime call's source position: `file`, `line`).
pub(crate) fn stop(b: &Builder, name: &str, what: &str, file: Value, line: Value) {
    let module = b.module();
    let ctx = module.context();
    let (ptr, i32t) = (Type::ptr(ctx), Type::int(ctx, 32));
    let msg = match module.global(name) {
        Some(g) => g,
        None => module.add_string_constant(name, &format!("ferment: %s:%d: {what}\n")),
    };
    let dprintf = module.function("dprintf").unwrap_or_else(|| {
        module.add_function("dprintf", Type::function(i32t, &[i32t, ptr], true))
    });
    b.call_fn(dprintf, &[b.const_int(i32t, 2), msg, file, line]);
    let abort = module.function("abort").unwrap_or_else(|| {
        module.add_function("abort", Type::function(Type::void(ctx), &[], false))
    });
    b.call_fn(abort, &[]);
    b.unreachable();
}

/// The reductions rewritten: flang's `SUM` and `DOT_PRODUCT` of real(4)
/// and real(8) arrays (the other kinds and types carry no derivative here
/// or stay errors).
fn reduction(name: &str) -> Option<(Reduction, u32)> {
    Some(match name {
        "_FortranASumReal4" => (Reduction::Sum, 32),
        "_FortranASumReal8" => (Reduction::Sum, 64),
        "_FortranAProductReal4" => (Reduction::Product, 32),
        "_FortranAProductReal8" => (Reduction::Product, 64),
        "_FortranADotProductReal4" => (Reduction::Dot, 32),
        "_FortranADotProductReal8" => (Reduction::Dot, 64),
        "_FortranANorm2_4" => (Reduction::Norm2, 32),
        "_FortranANorm2_8" => (Reduction::Norm2, 64),
        "_FortranAMaxvalReal4" => (Reduction::Maxval, 32),
        "_FortranAMaxvalReal8" => (Reduction::Maxval, 64),
        "_FortranAMinvalReal4" => (Reduction::Minval, 32),
        "_FortranAMinvalReal8" => (Reduction::Minval, 64),
        _ => return None,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Reduction {
    /// `SumRealK(array, file, line, dim, mask)`: the whole-array sum
    /// (`dim` 0, no mask).
    Sum,
    /// `ProductRealK(array, file, line, dim, mask)`: the whole-array product.
    Product,
    /// `DotProductRealK(x, y, file, line)`: two rank-1 arrays.
    Dot,
    /// `Norm2_K(array, file, line, dim)`: the whole array's Euclidean norm
    /// (`dim` 0).
    Norm2,
    /// `MaxvalRealK(array, file, line, dim, mask)`: the largest element, the
    /// first of equal ones (its derivative goes there); `-huge` when empty.
    Maxval,
    /// `MinvalRealK`: the smallest, likewise; `huge` when empty.
    Minval,
}

impl Reduction {
    fn arity(self) -> usize {
        match self {
            Reduction::Sum | Reduction::Product | Reduction::Maxval | Reduction::Minval => 5,
            Reduction::Dot | Reduction::Norm2 => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Reduction::Sum => "sum",
            Reduction::Product => "product",
            Reduction::Dot => "dot",
            Reduction::Norm2 => "norm2",
            Reduction::Maxval => "maxval",
            Reduction::Minval => "minval",
        }
    }
}

/// Rewrites the calls of flang's `SUM`/`DOT_PRODUCT` runtime routines for
/// real arrays in `f` into `ferment.fortran.sum.*`/`ferment.fortran.dot.*`;
/// says whether it did any.
pub fn lower_reductions(f: Value) -> Result<bool> {
    let complex = crate::fortran_complex::lower_complex_reductions(f)?;
    let module = f.global_parent();
    let calls = runtime_calls(f, |name| {
        let (r, bits) = reduction(name)?;
        Some(((r, bits), r.arity()))
    });
    let b = Builder::new(module);
    let mut changed = complex;
    for (call, (r, bits)) in calls.into_iter().filter(|(i, _)| i.ty().is_float()) {
        // A MASK argument (not a null constant): the masked variant.
        let masked = r.arity() == 5 && !call.call_args()[4].is_null_constant();
        let helper = reduction_helper(module, r, bits, masked);
        call_helper(&b, call, helper, &call.call_args())?;
        changed = true;
    }
    Ok(changed)
}

/// `ferment.fortran.{sum,dot}.f{bits}`: the runtime routine's signature;
/// sums in double precision (as the runtime does for real(4)) over the
/// elements in array element order, ranks 1 to 4 for `SUM`.
fn reduction_helper(module: Module, r: Reduction, bits: u32, masked: bool) -> Value {
    let suffix = if masked { ".masked" } else { "" };
    let name = format!("ferment.fortran.{}.f{bits}{suffix}", r.name());
    if let Some(f) = module.function(&name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let elem = if bits == 32 {
        Type::f32(ctx)
    } else {
        Type::f64(ctx)
    };
    let acc_ty = Type::f64(ctx);
    let params: Vec<Type> = match r {
        Reduction::Sum | Reduction::Product | Reduction::Maxval | Reduction::Minval => {
            vec![ptr, ptr, i32t, i32t, ptr]
        }
        Reduction::Norm2 => vec![ptr, ptr, i32t, i32t],
        Reduction::Dot => vec![ptr, ptr, ptr, i32t],
    };
    let f = module.add_function(&name, Type::function(elem, &params, false));
    f.set_internal();
    let p = f.params();
    let (file, line) = match r {
        Reduction::Dot => (p[2], p[3]),
        _ => (p[1], p[2]),
    };
    let arrays: Vec<Value> = match r {
        Reduction::Dot => vec![p[0], p[1]],
        _ => vec![p[0]],
    };
    let b = Builder::new(module);
    let zero = b.const_int(i64t, 0);
    let one = b.const_int(i64t, 1);
    let field = |desc: Value, d: u64, at: u64| b.gep_i8(desc, DIMS + d * DIM_SIZE + at);
    let entry = f.append_block("entry");
    let bad = f.append_block("unsupported");
    b.at_end(entry);
    // The type codes say real(bits/8) (a Sum of another type never reaches
    // here; checked anyway), the ranks are known.
    let code = if bits == 32 {
        CFI_TYPE_FLOAT
    } else {
        CFI_TYPE_DOUBLE
    };
    let mut ok = b.const_int(Type::int(ctx, 1), 1);
    for &a in &arrays {
        let t = b.int_cast(b.load(i8t, b.gep_i8(a, TYPE)), i64t, false);
        ok = b.and_int(
            ok,
            b.icmp(IntPredicate::LLVMIntEQ, t, b.const_int(i64t, code)),
        );
    }
    if r != Reduction::Dot {
        ok = b.and_int(
            ok,
            b.icmp(IntPredicate::LLVMIntEQ, p[3], b.const_int(i32t, 0)),
        );
    }
    // MASK (SUM, PRODUCT, MAXVAL, MINVAL; the masked variant): a logical
    // array of the array's shape, or a scalar.
    let mask = masked.then(|| {
        let (fits, len) = mask_length(&b, p[4]);
        ok = b.and_int(ok, fits);
        (p[4], len)
    });
    let rank = b.int_cast(b.load(i8t, b.gep_i8(arrays[0], RANK)), i64t, false);
    let ranks: Vec<u64> = match r {
        Reduction::Dot => vec![1],
        _ => (1..=MAX_RANK).collect(),
    };
    let huge = if bits == 32 {
        f32::MAX as f64
    } else {
        f64::MAX
    };
    let initial = match r {
        Reduction::Maxval => -huge,
        Reduction::Minval => huge,
        Reduction::Product => 1.0,
        _ => 0.0,
    };
    let checked = f.append_block("checked");
    b.cond_br(ok, checked, bad);
    b.at_end(checked);
    let mut cases = Vec::new();
    for &rk in &ranks {
        let block = f.append_block("rank");
        cases.push((b.const_int(i64t, rk as i64), block));
    }
    b.switch(rank, bad, &cases);
    for (&rk, &(_, block)) in ranks.iter().zip(&cases) {
        b.at_end(block);
        // Extents (of the first array; a dot product needs equal ones).
        let ext: Vec<Value> = (0..rk)
            .map(|d| b.load(i64t, field(arrays[0], d, EXTENT)))
            .collect();
        let mut n = one;
        for &e in &ext {
            n = b.mul_int(n, e);
        }
        let mut same = b.const_int(Type::int(ctx, 1), 1);
        for &a in &arrays[1..] {
            let rank_a = b.int_cast(b.load(i8t, b.gep_i8(a, RANK)), i64t, false);
            same = b.and_int(same, b.icmp(IntPredicate::LLVMIntEQ, rank_a, rank));
            for (d, &e) in ext.iter().enumerate() {
                let ea = b.load(i64t, field(a, d as u64, EXTENT));
                same = b.and_int(same, b.icmp(IntPredicate::LLVMIntEQ, ea, e));
            }
        }
        // The mask's shape is the array's, or it is a scalar (read at offset
        // 0 for every element).
        let mask = mask.map(|(m, len)| {
            let (conform, strides) = conformable_strides(&b, f, m, &ext);
            same = b.and_int(same, conform);
            (b.load(ptr, m), len, strides)
        });
        let bases: Vec<Value> = arrays.iter().map(|&a| b.load(ptr, a)).collect();
        let mut strides: Vec<Vec<Value>> = arrays
            .iter()
            .map(|&a| (0..rk).map(|d| b.load(i64t, field(a, d, STRIDE))).collect())
            .collect();
        if let Some((_, _, ms)) = &mask {
            strides.push(ms.clone());
        }
        let head = f.append_block("loop.entry");
        let body = f.append_block("elements");
        let exit = f.append_block("exit");
        b.cond_br(same, head, bad);
        b.at_end(head);
        b.cond_br(b.icmp(IntPredicate::LLVMIntSGT, n, zero), body, exit);
        b.at_end(body);
        let e = b.phi(i64t, "e");
        let acc = b.phi(acc_ty, "acc");
        let mut rest = e;
        let mut offs = vec![zero; strides.len()];
        for (d, &x) in ext.iter().enumerate() {
            let q = b.udiv_int(rest, x);
            let i = b.sub_int(rest, b.mul_int(q, x));
            for (k, off) in offs.iter_mut().enumerate() {
                *off = b.add_int(*off, b.mul_int(i, strides[k][d]));
            }
            rest = q;
        }
        let mut term: Option<Value> = None;
        for (k, &base) in bases.iter().enumerate() {
            let v = b.load(elem, b.gep(i8t, base, &[offs[k]]));
            let v = b.fp_convert(v, acc_ty);
            term = Some(match term {
                None => v,
                Some(t) => b.fmul(t, v),
            });
        }
        let term = term.expect("one array at least");
        let acc1 = match r {
            Reduction::Sum | Reduction::Dot => b.fadd(acc, term),
            Reduction::Product => b.fmul(acc, term),
            Reduction::Norm2 => b.fadd(acc, b.fmul(term, term)),
            Reduction::Maxval => b.select(b.fcmp(RealPredicate::LLVMRealOGT, term, acc), term, acc),
            Reduction::Minval => b.select(b.fcmp(RealPredicate::LLVMRealOLT, term, acc), term, acc),
        };
        // A masked-out element leaves the accumulator as it was.
        let acc1 = match &mask {
            Some((mbase, selector, _)) => {
                let at = b.gep(i8t, *mbase, &[offs[arrays.len()]]);
                let counts = mask_element(&b, f, *selector, at);
                b.select(counts, acc1, acc)
            }
            None => acc1,
        };
        let latch = b.insert_block();
        let e1 = b.add_int(e, one);
        b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, e1, n), body, exit);
        e.add_incoming(zero, head);
        e.add_incoming(e1, latch);
        acc.add_incoming(b.const_real(acc_ty, initial), head);
        acc.add_incoming(acc1, latch);
        b.at_end(exit);
        let result = b.phi(acc_ty, "result");
        result.add_incoming(b.const_real(acc_ty, initial), head);
        result.add_incoming(acc1, latch);
        let result = if r == Reduction::Norm2 {
            b.unary_intrinsic("llvm.sqrt", result)
        } else {
            result
        };
        b.ret(b.fp_convert(result, elem));
    }
    b.at_end(bad);
    let what = match r {
        Reduction::Product => "this PRODUCT (flang runtime _FortranAProductReal*) is not differentiated by ferment: it handles the product of a whole real(4) or real(8) array of rank 1 to 4, with a MASK of its shape or none",
        Reduction::Sum => "this SUM (flang runtime _FortranASumReal*) is not differentiated by ferment: it handles the sum of a whole real(4) or real(8) array of rank 1 to 4, with a MASK of its shape or none",
        Reduction::Dot => "this DOT_PRODUCT (flang runtime _FortranADotProductReal*) is not differentiated by ferment: it handles two real(4) or real(8) vectors of the same size",
        Reduction::Norm2 => "this NORM2 (flang runtime _FortranANorm2_*) is not differentiated by ferment: it handles a whole real(4) or real(8) array of rank 1 to 4, without DIM",
        Reduction::Maxval | Reduction::Minval => "this MAXVAL/MINVAL (flang runtime _FortranAMaxvalReal*/_FortranAMinvalReal*) is not differentiated by ferment: it handles a whole real(4) or real(8) array of rank 1 to 4, with a MASK of its shape or none",
    };
    stop(&b, &format!("{name}.msg"), what, file, line);
    f
}

/// Whether the logical element at `at` is true, read as an integer of
/// `len` bytes (1, 2, 4 or 8; any other value, 0 where there is no mask:
/// true). Ends in a new block of `f`.
pub(crate) fn mask_element(b: &Builder, f: Value, len: Value, at: Value) -> Value {
    let ctx = b.context();
    let (i1, i64t) = (Type::int(ctx, 1), Type::int(ctx, 64));
    let from = b.insert_block();
    let join = f.append_block("mask.join");
    let mut cases = Vec::new();
    let mut incoming = Vec::new();
    for bytes in [1u32, 2, 4, 8] {
        let block = f.append_block("mask.read");
        cases.push((b.const_int(i64t, bytes as i64), block));
        b.at_end(block);
        let it = Type::int(ctx, bytes * 8);
        let v = b.load(it, at);
        incoming.push((
            b.icmp(IntPredicate::LLVMIntNE, v, b.const_int(it, 0)),
            block,
        ));
        b.br(join);
    }
    b.at_end(from);
    b.switch(len, join, &cases);
    b.at_end(join);
    let m = b.phi(i1, "counts");
    m.add_incoming(b.const_int(i1, 1), from);
    for (v, block) in incoming {
        m.add_incoming(v, block);
    }
    m
}

/// Tells the type analysis what parameter `i` of helper `f`, a rank-`rank`
/// descriptor, holds (an `enzyme_type` attribute): a base address, then
/// integer fields; with `integer_data`, the base address points to integers
/// (a byte copy's integer, logical or character data). Without it a field
/// copied from one descriptor to another (a lower bound) would be a
/// question in a helper left a call in a large function, where no caller's
/// descriptor is in sight. (An attribute, not an `__enzyme_integer` call,
/// which would keep the inlined helpers' dead paths for other types from
/// folding away.)
pub(crate) fn descriptor_param(f: Value, i: u32, rank: u64, integer_data: bool) {
    let mut entries = vec!["[-1]:Pointer".to_string(), "[-1,0]:Pointer".to_string()];
    if integer_data {
        entries.push("[-1,0,-1]:Integer".to_string());
    }
    for off in [ELEM_LEN, 16, RANK, TYPE, ATTRIBUTE, EXTRA] {
        entries.push(format!("[-1,{off}]:Integer"));
    }
    for d in 0..rank {
        for at in [LOWER, EXTENT, STRIDE] {
            entries.push(format!("[-1,{}]:Integer", DIMS + d * DIM_SIZE + at));
        }
    }
    f.add_param_string_attribute(i, "enzyme_type", &format!("{{{}}}", entries.join(", ")));
}

/// The byte strides with which to walk the array `desc` over the index
/// space of extents `ext` (its rank), or 0 for every dimension where `desc`
/// is a scalar (rank 0): a MASK or UNPACK's FIELD conformable with an
/// array; and whether it is (the same extents, or a scalar). The fields of
/// a scalar's descriptor, which has no dimensions, are not read (a branch,
/// not a `select` of two descriptors, which would make the activity
/// analysis take one's data for the other's). Ends in a new block of `f`.
pub(crate) fn conformable_strides(
    b: &Builder,
    f: Value,
    desc: Value,
    ext: &[Value],
) -> (Value, Vec<Value>) {
    let ctx = b.context();
    let (i1, i8t, i64t) = (Type::int(ctx, 1), Type::int(ctx, 8), Type::int(ctx, 64));
    let zero = b.const_int(i64t, 0);
    let rank = b.int_cast(b.load(i8t, b.gep_i8(desc, RANK)), i64t, false);
    let from = b.insert_block();
    let array = f.append_block("conform.array");
    let join = f.append_block("conform");
    b.cond_br(b.icmp(IntPredicate::LLVMIntEQ, rank, zero), join, array);
    b.at_end(array);
    let (dext, dsm) = crate::fortran_matrix::shape_of(b, desc, ext.len() as u64);
    let mut same = b.icmp(
        IntPredicate::LLVMIntEQ,
        rank,
        b.const_int(i64t, ext.len() as i64),
    );
    for (d, &e) in ext.iter().enumerate() {
        same = b.and_int(same, b.icmp(IntPredicate::LLVMIntEQ, dext[d], e));
    }
    b.br(join);
    b.at_end(join);
    let ok = b.phi(i1, "conforms");
    ok.add_incoming(b.const_int(i1, 1), from);
    ok.add_incoming(same, array);
    let sm = dsm
        .iter()
        .map(|&s| {
            let v = b.phi(i64t, "stride");
            v.add_incoming(zero, from);
            v.add_incoming(s, array);
            v
        })
        .collect();
    (ok, sm)
}

/// Whether the logical array `mask` has elements of 1, 2, 4 or 8 bytes
/// (what [`mask_element`] reads), and that length.
pub(crate) fn mask_length(b: &Builder, mask: Value) -> (Value, Value) {
    let i64t = b.i64();
    let len = b.load(i64t, b.gep_i8(mask, ELEM_LEN));
    let mut ok = b.const_int(Type::int(b.context(), 1), 0);
    for l in [1, 2, 4, 8] {
        ok = b.or_int(
            ok,
            b.icmp(IntPredicate::LLVMIntEQ, len, b.const_int(i64t, l)),
        );
    }
    (ok, len)
}

/// Copies the `len` bytes at `src` to `dst` one byte at a time: integer,
/// logical or character data, which a byte carries no float of (a
/// `memmove` of unknown length would leave the type analysis a question
/// where the helper is differentiated for other calls' real data). Ends in
/// a new block of `f`.
fn copy_bytes(b: &Builder, f: Value, dst: Value, src: Value, len: Value) {
    let (i8t, i64t) = (b.i8(), b.i64());
    let (zero, one) = (b.const_int(i64t, 0), b.const_int(i64t, 1));
    let pre = b.insert_block();
    let body = f.append_block("bytes");
    let done = f.append_block("bytes.done");
    b.cond_br(b.icmp(IntPredicate::LLVMIntSGT, len, zero), body, done);
    b.at_end(body);
    let k = b.phi(i64t, "k");
    let v = b.load(i8t, b.gep(i8t, src, &[k]));
    b.store(v, b.gep(i8t, dst, &[k]));
    let k1 = b.add_int(k, one);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, k1, len), body, done);
    k.add_incoming(zero, pre);
    k.add_incoming(k1, body);
    b.at_end(done);
}

/// `ferment.fortran.assign.<elem>.r<rank>(to, from) -> i8`: 1 when it
/// assigned, 0 when the case is not one it handles (nothing changed then).
/// `elem`: the element type of a typed copy, or `None` for a byte copy. Every
/// descriptor field is read at a constant offset (the rank is fixed), so the
/// type analysis sees which fields are integers and which the base address.
fn copy_helper(module: Module, elem: Option<Type>, parts: u64, rank: u64) -> Value {
    let suffix = elem_suffix(elem, parts);
    let name = format!("{HELPER}.{suffix}.r{rank}");
    if let Some(f) = module.function(&name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i8t, i64t) = (Type::ptr(ctx), Type::int(ctx, 8), Type::int(ctx, 64));
    let f = module.add_function(&name, Type::function(i8t, &[ptr, ptr], false));
    f.set_internal();
    descriptor_param(f, 0, rank, elem.is_none());
    descriptor_param(f, 1, rank, elem.is_none());
    let p = f.params();
    let (to, from) = (p[0], p[1]);
    let b = Builder::new(module);
    let zero = b.const_int(i64t, 0);
    let one = b.const_int(i64t, 1);
    let field = |desc: Value, d: u64, at: u64| b.gep_i8(desc, DIMS + d * DIM_SIZE + at);
    let dims = 0..rank;

    let entry = f.append_block("entry");
    let realloc = f.append_block("realloc");
    let can_realloc = f.append_block("can.realloc");
    let free_old = f.append_block("free.old");
    let allocate = f.append_block("allocate");
    let span = f.append_block("span");
    let check_identical = f.append_block("check.identical");
    let has_elements = f.append_block("has.elements");
    let elements = f.append_block("elements");
    let exit = f.append_block("exit");
    let refuse = f.append_block("refuse");

    // entry: the right side's shape and element count; whether the left
    // side is allocated with that shape.
    b.at_end(entry);
    let elen = b.load(i64t, b.gep_i8(from, ELEM_LEN));
    let fext: Vec<Value> = dims
        .clone()
        .map(|d| b.load(i64t, field(from, d, EXTENT)))
        .collect();
    let mut n = one;
    let mut mismatch = b.const_int(Type::int(ctx, 1), 0);
    for d in dims.clone() {
        n = b.mul_int(n, fext[d as usize]);
        let te = b.load(i64t, field(to, d, EXTENT));
        mismatch = b.or_int(
            mismatch,
            b.icmp(IntPredicate::LLVMIntNE, fext[d as usize], te),
        );
    }
    let old = b.load(ptr, to);
    let unallocated = b.icmp(IntPredicate::LLVMIntEQ, b.ptr_to_int(old, i64t), zero);
    b.cond_br(b.or_int(unallocated, mismatch), realloc, span);

    // realloc: only an allocatable with the default allocator.
    b.at_end(realloc);
    let attr = b.int_cast(b.load(i8t, b.gep_i8(to, ATTRIBUTE)), i64t, false);
    let extra = b.int_cast(b.load(i8t, b.gep_i8(to, EXTRA)), i64t, false);
    let allocatable = b.icmp(
        IntPredicate::LLVMIntEQ,
        attr,
        b.const_int(i64t, CFI_ATTRIBUTE_ALLOCATABLE),
    );
    let default_allocator = b.icmp(
        IntPredicate::LLVMIntEQ,
        b.and_int(extra, b.const_int(i64t, ALLOCATOR_MASK)),
        zero,
    );
    b.cond_br(
        b.and_int(allocatable, default_allocator),
        can_realloc,
        refuse,
    );
    b.at_end(can_realloc);
    b.cond_br(unallocated, allocate, free_old);
    b.at_end(free_old);
    let free = crate::reverse::tape::declare(module, "free", Type::void(ctx), &[ptr]);
    b.call_fn(free, &[old]);
    b.br(allocate);
    // allocate: `malloc` (what flang's ALLOCATE and the runtime use by
    // default), the right side's bounds, contiguous byte strides.
    b.at_end(allocate);
    let malloc = module
        .function("malloc")
        .unwrap_or_else(|| module.add_function("malloc", Type::function(ptr, &[i64t], false)));
    let size = b.mul_int(n, elen);
    let size = b.select(b.icmp(IntPredicate::LLVMIntEQ, size, zero), one, size);
    let fresh = b.call_fn(malloc, &[size]);
    b.store(fresh, to);
    let mut sm = elen;
    for d in dims.clone() {
        let lower = b.load(i64t, field(from, d, LOWER));
        b.store(lower, field(to, d, LOWER));
        b.store(fext[d as usize], field(to, d, EXTENT));
        b.store(sm, field(to, d, STRIDE));
        sm = b.mul_int(sm, fext[d as usize]);
    }
    b.br(span);

    // span: the byte ranges both sides cover; disjoint ones copy, the very
    // same elements need nothing, other overlaps are refused.
    b.at_end(span);
    let tbase = b.load(ptr, to);
    let fbase = b.load(ptr, from);
    let tsm: Vec<Value> = dims
        .clone()
        .map(|d| b.load(i64t, field(to, d, STRIDE)))
        .collect();
    let fsm: Vec<Value> = dims
        .clone()
        .map(|d| b.load(i64t, field(from, d, STRIDE)))
        .collect();
    let taddr = b.ptr_to_int(tbase, i64t);
    let faddr = b.ptr_to_int(fbase, i64t);
    let (mut tlo, mut thi, mut flo, mut fhi) =
        (taddr, b.add_int(taddr, elen), faddr, b.add_int(faddr, elen));
    let mut same_strides = b.const_int(Type::int(ctx, 1), 1);
    for d in dims.clone() {
        let e1 = b.sub_int(fext[d as usize], one);
        for (s, lo, hi) in [
            (tsm[d as usize], &mut tlo, &mut thi),
            (fsm[d as usize], &mut flo, &mut fhi),
        ] {
            let r = b.mul_int(e1, s);
            let neg = b.icmp(IntPredicate::LLVMIntSLT, r, zero);
            *lo = b.add_int(*lo, b.select(neg, r, zero));
            *hi = b.add_int(*hi, b.select(neg, zero, r));
        }
        same_strides = b.and_int(
            same_strides,
            b.icmp(IntPredicate::LLVMIntEQ, tsm[d as usize], fsm[d as usize]),
        );
    }
    let disjoint = b.or_int(
        b.icmp(IntPredicate::LLVMIntULE, thi, flo),
        b.icmp(IntPredicate::LLVMIntULE, fhi, tlo),
    );
    b.cond_br(disjoint, has_elements, check_identical);
    b.at_end(check_identical);
    let identical = b.and_int(b.icmp(IntPredicate::LLVMIntEQ, taddr, faddr), same_strides);
    b.cond_br(identical, exit, refuse);
    b.at_end(has_elements);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSGT, n, zero), elements, exit);

    // elements: element e, its indices in array element order.
    b.at_end(elements);
    let e = b.phi(i64t, "e");
    let mut rest = e;
    let (mut toff, mut foff) = (zero, zero);
    for d in dims {
        let ext = fext[d as usize];
        let q = b.udiv_int(rest, ext);
        let i = b.sub_int(rest, b.mul_int(q, ext));
        toff = b.add_int(toff, b.mul_int(i, tsm[d as usize]));
        foff = b.add_int(foff, b.mul_int(i, fsm[d as usize]));
        rest = q;
    }
    let dst = b.gep(i8t, tbase, &[toff]);
    let src = b.gep(i8t, fbase, &[foff]);
    match elem {
        Some(t) => {
            // A complex element: its real and imaginary parts.
            for k in 0..parts {
                let at = k * u64::from(t.float_bits() / 8);
                let v = b.load(t, b.gep_i8(src, at));
                b.store(v, b.gep_i8(dst, at));
            }
        }
        None => copy_bytes(&b, f, dst, src, elen),
    }
    let latch = b.insert_block();
    let e1 = b.add_int(e, one);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, e1, n), elements, exit);
    e.add_incoming(zero, has_elements);
    e.add_incoming(e1, latch);

    b.at_end(exit);
    b.ret(b.const_int(i8t, 1));
    b.at_end(refuse);
    b.ret(b.const_int(i8t, 0));
    f
}

/// flang's runtime ALLOCATE and DEALLOCATE of allocatables (what it calls
/// with `STAT=` or `ERRMSG=`), as the generators know them: `malloc` and
/// `free` on the descriptor's base address (the runtime's default
/// allocator).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Allocation {
    /// `AllocatableSetBounds(desc, dim, lower, upper)`: one dimension's
    /// bounds, before the allocation.
    SetBounds,
    /// `AllocatableAllocate(desc, async, hasStat, errmsg, file, line, memcpy)`.
    Allocate,
    /// `AllocatableDeallocate(desc, hasStat, errmsg, file, line)`.
    Deallocate,
    /// `PointerAllocate(desc, hasStat, errmsg, file, line, source)`: a new
    /// target for a pointer, whatever it was associated with (bounds set by
    /// `PointerSetBounds`, which is `SetBounds`), from the runtime's
    /// `AllocateValidatedPointerPayload` (`malloc` and a footer that
    /// DEALLOCATE checks; the generators know it as an allocation).
    PointerAllocate,
    /// `PointerDeallocate(desc, hasStat, errmsg, file, line)`: the target,
    /// checked by the runtime's `ValidatePointerPayload`, given back with
    /// `free`.
    PointerDeallocate,
    /// `AllocatableAllocateSource(desc, source, hasStat, errmsg, file,
    /// line)` (`allocate(b, source=a)`, bounds set before): `Allocate`, then
    /// the assignment of `source` (`ferment.fortran.assign`).
    AllocateSource,
    /// `AllocatableApplyMold(desc, mold, rank)` (`allocate(b, mold=a)`,
    /// before `Allocate`): the mold's element length, type code, rank and
    /// bounds, for a constant rank up to 4 (a derived type's addendum is not
    /// copied: the ALLOCATE helper then stops).
    ApplyMold,
}

fn allocation(name: &str) -> Option<(Allocation, usize)> {
    Some(match name {
        "_FortranAAllocatableSetBounds" => (Allocation::SetBounds, 4),
        "_FortranAAllocatableAllocate" => (Allocation::Allocate, 7),
        "_FortranAAllocatableDeallocate" => (Allocation::Deallocate, 5),
        "_FortranAPointerSetBounds" => (Allocation::SetBounds, 4),
        "_FortranAPointerAllocate" => (Allocation::PointerAllocate, 6),
        "_FortranAPointerDeallocate" => (Allocation::PointerDeallocate, 5),
        "_FortranAAllocatableAllocateSource" => (Allocation::AllocateSource, 6),
        "_FortranAAllocatableApplyMold" => (Allocation::ApplyMold, 3),
        _ => return None,
    })
}

/// Rewrites flang's runtime allocation calls for allocatables in `f`;
/// says whether it did any. A `SetBounds` of a dimension that is not a
/// constant stays (an error where it matters).
pub fn lower_allocations(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls = runtime_calls(f, allocation);
    // The ALLOCATE and DEALLOCATE of a polymorphic allocatable that
    // `fortran_derived` left to the runtime stay runtime calls.
    let runtime_owned = crate::fortran_derived::runtime_derived_descriptors(f);
    let ctx = module.context();
    let i64t = Type::int(ctx, 64);
    let b = Builder::new(module);
    let mut changed = false;
    for (call, a) in calls {
        let args = call.call_args();
        if runtime_owned.contains(&args[0].strip_casts()) {
            continue;
        }
        b.before(call);
        b.set_debug_loc_from(call);
        match a {
            Allocation::SetBounds => {
                let Some(dim) = args[1].const_int() else {
                    continue;
                };
                let (desc, lower, upper) = (args[0], args[2], args[3]);
                let at = |field: u64| b.gep_i8(desc, DIMS + dim as u64 * DIM_SIZE + field);
                let extent = b.add_int(b.sub_int(upper, lower), b.const_int(i64t, 1));
                let empty = b.icmp(IntPredicate::LLVMIntSLT, extent, b.const_int(i64t, 0));
                let extent = b.select(empty, b.const_int(i64t, 0), extent);
                b.store(lower, at(LOWER));
                b.store(extent, at(EXTENT));
            }
            Allocation::ApplyMold => {
                let Some(rank) = args[2]
                    .const_int()
                    .filter(|r| (0..=MAX_RANK as i64).contains(r))
                else {
                    continue;
                };
                let (desc, mold) = (args[0], args[1]);
                let i8t = Type::int(ctx, 8);
                let copy = |ty: Type, off: u64| {
                    b.store(b.load(ty, b.gep_i8(mold, off)), b.gep_i8(desc, off));
                };
                copy(i64t, ELEM_LEN);
                copy(i8t, TYPE);
                b.store(b.const_int(i8t, rank), b.gep_i8(desc, RANK));
                for d in 0..rank as u64 {
                    copy(i64t, DIMS + d * DIM_SIZE + LOWER);
                    copy(i64t, DIMS + d * DIM_SIZE + EXTENT);
                }
            }
            Allocation::AllocateSource => {
                let (desc, source, file, line) = (args[0], args[1], args[4], args[5]);
                let allocate = allocation_helper(module, Allocation::Allocate);
                crate::shim::verify_function(allocate).map_err(|e| {
                    Error::new(format!(
                        "internal error: '{}' failed LLVM's verifier: {e}",
                        allocate.name()
                    ))
                })?;
                let only = crate::fortran_matrix::static_type_code(source, 0)
                    .or_else(|| crate::fortran_matrix::static_type_code(desc, 0));
                let assign = assign_helper(module, only, static_rank(desc));
                crate::shim::verify_function(assign).map_err(|e| {
                    Error::new(format!(
                        "internal error: '{}' failed LLVM's verifier: {e}",
                        assign.name()
                    ))
                })?;
                let stat = b.call_fn(allocate, &[desc, file, line]);
                b.call_fn(assign, &[desc, source, file, line]);
                call.replace_all_uses_with(stat);
            }
            _ => {
                // ALLOCATE(p, SOURCE=...) copies a value in: the runtime's.
                if a == Allocation::PointerAllocate && !args[5].is_null_constant() {
                    continue;
                }
                let (file, line) = match a {
                    Allocation::Allocate => (args[4], args[5]),
                    _ => (args[3], args[4]),
                };
                let helper = allocation_helper(module, a);
                call_helper(&b, call, helper, &[args[0], file, line])?;
                changed = true;
                continue;
            }
        }
        call.erase();
        changed = true;
    }
    Ok(changed)
}

/// `ferment.fortran.{allocate,deallocate}(desc, file, line) -> i32` (0: the
/// status of success). Allocate: contiguous byte strides for the bounds set
/// before, `malloc` of the size (at least a byte), the base address stored.
/// Deallocate: `free`, a null base address. Derived types (their
/// components need the runtime), other allocators, allocating an allocated
/// object or deallocating an unallocated one stop with a message.
fn allocation_helper(module: Module, a: Allocation) -> Value {
    allocation_helper_of(module, a)
}

/// The ALLOCATE (`deallocate` false) or DEALLOCATE helper of
/// `allocation_helper` (intrinsic types), for `fortran_derived`'s helpers of
/// derived-type components, which call it for a descriptor of another type.
pub(crate) fn intrinsic_allocation_helper(module: Module, deallocate: bool) -> Value {
    let a = if deallocate {
        Allocation::Deallocate
    } else {
        Allocation::Allocate
    };
    allocation_helper_of(module, a)
}

fn allocation_helper_of(module: Module, a: Allocation) -> Value {
    let name = match a {
        Allocation::Allocate => "ferment.fortran.allocate",
        Allocation::PointerAllocate => "ferment.fortran.pointer.allocate",
        Allocation::PointerDeallocate => "ferment.fortran.pointer.deallocate",
        _ => "ferment.fortran.deallocate",
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
    let f = module.add_function(name, Type::function(i32t, &[ptr, ptr, i32t], false));
    f.set_internal();
    let p = f.params();
    let (desc, file, line) = (p[0], p[1], p[2]);
    let b = Builder::new(module);
    let zero = b.const_int(i64t, 0);
    let entry = f.append_block("entry");
    let bad = f.append_block("unsupported");
    b.at_end(entry);
    let code = b.int_cast(b.load(i8t, b.gep_i8(desc, TYPE)), i64t, false);
    let extra = b.int_cast(b.load(i8t, b.gep_i8(desc, EXTRA)), i64t, false);
    let plain_type = b.icmp(
        IntPredicate::LLVMIntNE,
        code,
        b.const_int(i64t, CFI_TYPE_STRUCT),
    );
    let plain_extra = b.icmp(
        IntPredicate::LLVMIntEQ,
        b.and_int(extra, b.const_int(i64t, ALLOCATOR_MASK | ADDENDUM_FLAG)),
        zero,
    );
    let base = b.load(ptr, desc);
    let null = b.icmp(IntPredicate::LLVMIntEQ, b.ptr_to_int(base, i64t), zero);
    let state_ok = match a {
        Allocation::Allocate => null,
        // A pointer gets a new target whatever it pointed to.
        Allocation::PointerAllocate => b.const_int(Type::int(ctx, 1), 1),
        Allocation::PointerDeallocate => {
            let validate = module
                .function("ValidatePointerPayload")
                .unwrap_or_else(|| {
                    module.add_function(
                        "ValidatePointerPayload",
                        Type::function(Type::int(ctx, 1), &[ptr], false),
                    )
                });
            let checked = f.append_block("associated");
            let after = f.append_block("validated");
            b.cond_br(null, bad, checked);
            b.at_end(checked);
            let valid = b.call_fn(validate, &[desc]);
            b.br(after);
            b.at_end(after);
            valid
        }
        _ => b.not(null),
    };
    let ok = b.and_int(b.and_int(plain_type, plain_extra), state_ok);
    let go = f.append_block("go");
    b.cond_br(ok, go, bad);
    b.at_end(go);
    match a {
        Allocation::Allocate | Allocation::PointerAllocate => {
            let rank = b.int_cast(b.load(i8t, b.gep_i8(desc, RANK)), i64t, false);
            let elen = b.load(i64t, b.gep_i8(desc, ELEM_LEN));
            let malloc = module.function("malloc").unwrap_or_else(|| {
                module.add_function("malloc", Type::function(ptr, &[i64t], false))
            });
            let mut cases = Vec::new();
            for r in 0..=MAX_RANK {
                let block = f.append_block("rank");
                cases.push((b.const_int(i64t, r as i64), block));
            }
            b.switch(rank, bad, &cases);
            for (r, &(_, block)) in cases.iter().enumerate() {
                b.at_end(block);
                let mut sm = elen;
                for d in 0..r as u64 {
                    let at = |field: u64| b.gep_i8(desc, DIMS + d * DIM_SIZE + field);
                    b.store(sm, at(STRIDE));
                    sm = b.mul_int(sm, b.load(i64t, at(EXTENT)));
                }
                let one = b.const_int(i64t, 1);
                let size = b.select(b.icmp(IntPredicate::LLVMIntEQ, sm, zero), one, sm);
                let fresh = match a {
                    Allocation::PointerAllocate => {
                        let payload = module
                            .function("AllocateValidatedPointerPayload")
                            .unwrap_or_else(|| {
                                module.add_function(
                                    "AllocateValidatedPointerPayload",
                                    Type::function(ptr, &[i64t, i32t], false),
                                )
                            });
                        b.call_fn(payload, &[sm, b.const_int(i32t, 0)])
                    }
                    _ => b.call_fn(malloc, &[size]),
                };
                b.store(fresh, desc);
                b.ret(b.const_int(i32t, 0));
            }
        }
        _ => {
            let free = crate::reverse::tape::declare(module, "free", Type::void(ctx), &[ptr]);
            b.call_fn(free, &[base]);
            b.store(b.zero(ptr), desc);
            b.ret(b.const_int(i32t, 0));
        }
    }
    b.at_end(bad);
    let what = match a {
        Allocation::Allocate => "this ALLOCATE (flang runtime _FortranAAllocatableAllocate) is not differentiated by ferment: it handles an unallocated allocatable of intrinsic type and rank at most 4 with the default allocator",
        Allocation::PointerAllocate => "this ALLOCATE of a pointer (flang runtime _FortranAPointerAllocate) is not differentiated by ferment: it handles a pointer of intrinsic type and rank at most 4 with the default allocator, without SOURCE",
        Allocation::PointerDeallocate => "this DEALLOCATE of a pointer (flang runtime _FortranAPointerDeallocate) is not differentiated by ferment: it handles a pointer of intrinsic type with the default allocator whose target an ALLOCATE made",
        _ => "this DEALLOCATE (flang runtime _FortranAAllocatableDeallocate) is not differentiated by ferment: it handles an allocated allocatable of intrinsic type with the default allocator",
    };
    stop(&b, &format!("{name}.msg"), what, file, line);
    f
}

/// Whether `t` has the LLVM shape of an array descriptor: `{ ptr, i64, i32,
/// i8, i8, i8, i8, ... }`.
fn is_descriptor_type(t: Type) -> bool {
    if !t.is_struct() {
        return false;
    }
    let f = t.struct_fields();
    f.len() >= 7
        && f[0].is_pointer()
        && f[1].is_integer()
        && f[1].int_width() == 64
        && f[2].is_integer()
        && f[2].int_width() == 32
        && f[3..7].iter().all(|x| x.is_integer() && x.int_width() == 8)
}

/// The paths (field indices) of the descriptors inside a derived type's LLVM
/// struct `t` (allocatable and pointer components, nested derived types
/// followed), or `None` where a component is an array of derived types
/// holding descriptors (its elements would need the runtime).
fn descriptor_paths(t: Type, at: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) -> Option<()> {
    if is_descriptor_type(t) {
        out.push(at.clone());
        return Some(());
    }
    if t.is_struct() {
        for (i, ft) in t.struct_fields().into_iter().enumerate() {
            at.push(i as u32);
            descriptor_paths(ft, at, out)?;
            at.pop();
        }
    } else if t.is_array() {
        let mut inner = Vec::new();
        descriptor_paths(t.element_type(), &mut Vec::new(), &mut inner)?;
        if !inner.is_empty() {
            return None;
        }
    }
    Some(())
}

/// The object a scalar descriptor built at -O0 points to: the `alloca`
/// written once with an aggregate whose base address field was inserted.
fn described_object(desc: Value) -> Option<Value> {
    let slot = desc.strip_casts();
    if !slot.is_instruction() || slot.opcode() != ferment_ir::Opcode::LLVMAlloca {
        return None;
    }
    let stores: Vec<Value> = slot
        .users()
        .into_iter()
        .filter(|u| u.opcode() == ferment_ir::Opcode::LLVMStore && u.operand(1) == slot)
        .collect();
    // Optimized code stores the fields one by one: the base address at
    // offset 0, the rank in the byte at `RANK` (alone or in a vector of
    // the four byte fields).
    if stores.iter().all(|s| s.operand(0).ty().is_pointer()) {
        let [store] = stores.as_slice() else {
            return None;
        };
        let mut rank = None;
        for g in slot.users() {
            let is_rank_field = g.opcode() == ferment_ir::Opcode::LLVMGetElementPtr
                && g.num_operands() == 2
                && g.operand(1).const_int() == Some(RANK as i64);
            if !is_rank_field {
                continue;
            }
            for st in g.users() {
                if st.opcode() != ferment_ir::Opcode::LLVMStore || st.operand(1) != g {
                    continue;
                }
                let v = st.operand(0);
                let r = if v.ty().is_vector() {
                    unsafe { llvm_sys::core::LLVMGetAggregateElement(v.0, 0) }
                } else {
                    v.0
                };
                if r.is_null() {
                    return None;
                }
                rank = Value(r).const_int();
            }
        }
        (rank == Some(0)).then_some(())?;
        let obj = store.operand(0).strip_casts();
        return (obj.is_instruction() && obj.opcode() == ferment_ir::Opcode::LLVMAlloca)
            .then_some(obj);
    }
    let [store] = stores.as_slice() else {
        return None;
    };
    let mut v = store.operand(0);
    let mut base = None;
    let mut rank = None;
    while v.is_instruction() && v.opcode() == ferment_ir::Opcode::LLVMInsertValue {
        match v.extract_indices().as_slice() {
            [0] if base.is_none() => base = Some(v.operand(1)),
            [3] if rank.is_none() => rank = v.operand(1).const_int(),
            _ => {}
        }
        v = v.operand(0);
    }
    if rank.is_none() && v.is_constant() && v.num_operands() > 3 {
        rank = v.operand(3).const_int();
    }
    (rank == Some(0)).then_some(())?;
    let obj = base?.strip_casts();
    (obj.is_instruction() && obj.opcode() == ferment_ir::Opcode::LLVMAlloca).then_some(obj)
}

/// Rewrites flang's `_FortranADestroy(desc)` of a local scalar of derived
/// type (the end of its scope) into what it does for the allocatable
/// components found in the object's LLVM type: `free` of an allocated base
/// address, then a null one (pointer components are left alone; the
/// allocatable components of an allocatable component of derived type are
/// not visited, so their memory leaks). Says whether it did any; a call it
/// cannot place stays (an error where it matters).
pub fn lower_destroys(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| {
            i.is_call()
                && !i.is_invoke()
                && i.called_function()
                    .is_some_and(|g| g.name() == "_FortranADestroy")
                && i.call_args().len() == 1
        })
        .collect();
    let ctx = module.context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let b = Builder::new(module);
    let mut changed = false;
    for call in calls {
        let Some(obj) = described_object(call.call_args()[0]) else {
            continue;
        };
        let ty = obj.allocated_type();
        let mut paths = Vec::new();
        if descriptor_paths(ty, &mut Vec::new(), &mut paths).is_none() {
            continue;
        }
        let free = crate::reverse::tape::declare(module, "free", Type::void(ctx), &[ptr]);
        b.before(call);
        b.set_debug_loc_from(call);
        for path in paths {
            let mut idx = vec![b.const_int(i32t, 0)];
            idx.extend(path.iter().map(|&i| b.const_int(i32t, i as i64)));
            let desc = b.gep(ty, obj, &idx);
            let base = b.load(ptr, desc);
            let attr = b.load(i8t, b.gep_i8(desc, ATTRIBUTE));
            let allocated = b.and_int(
                b.icmp(
                    IntPredicate::LLVMIntEQ,
                    attr,
                    b.const_int(i8t, CFI_ATTRIBUTE_ALLOCATABLE),
                ),
                b.icmp(
                    IntPredicate::LLVMIntNE,
                    b.ptr_to_int(base, i64t),
                    b.const_int(i64t, 0),
                ),
            );
            // free(NULL) does nothing: no control flow is needed.
            let null = b.zero(ptr);
            b.call_fn(free, &[b.select(allocated, base, null)]);
            b.store(b.select(allocated, null, base), desc);
        }
        call.erase();
        changed = true;
    }
    Ok(changed)
}

/// Rewrites flang's `_FortranAInitialize(desc, file, line)` (default
/// initialization of a scalar of derived type) where the object is a traced
/// local: a copy of the type's initial value (`_QQ<type>XDerivedInit`, the
/// constant flang emits for types with default initialization), or nothing
/// for a type without such a constant and without allocatable or pointer
/// components. Says whether it did any; other calls stay (an error where
/// it matters).
pub fn lower_initializes(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| {
            i.is_call()
                && !i.is_invoke()
                && i.called_function()
                    .is_some_and(|g| g.name() == "_FortranAInitialize")
                && i.call_args().len() == 3
        })
        .collect();
    let b = Builder::new(module);
    let mut changed = false;
    for call in calls {
        let Some(obj) = described_object(call.call_args()[0]) else {
            continue;
        };
        let ty = obj.allocated_type();
        let name = unsafe {
            let p = llvm_sys::core::LLVMGetStructName(ty.0);
            if p.is_null() {
                continue;
            }
            std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
        };
        let init = module.global(&format!("_QQ{name}XDerivedInit"));
        match init {
            Some(g) if g.global_value_type() == ty => {
                b.before(call);
                b.set_debug_loc_from(call);
                let size = module.alloc_size(ty);
                b.memmove(obj, g, b.const_int(b.i64(), size as i64));
            }
            Some(_) => continue,
            None => {
                let mut paths = Vec::new();
                if !ty.is_struct()
                    || descriptor_paths(ty, &mut Vec::new(), &mut paths).is_none()
                    || !paths.is_empty()
                {
                    continue;
                }
            }
        }
        call.erase();
        changed = true;
    }
    Ok(changed)
}
