//! flang's runtime ALLOCATE/DEALLOCATE of a polymorphic allocatable scalar
//! (`class(B), allocatable :: x; allocate(T :: x)`) in a canonical copy, as
//! IR ferment differentiates.
//!
//! Role: flang lowers `allocate(T :: x)` to
//! `_FortranAAllocatableInitDerivedForAllocate(desc, T's type info, rank,
//! corank)` (the descriptor takes T's size and type info, unless it is
//! allocated) and `_FortranAAllocatableAllocate(desc, ...)` (memory for the
//! element, then the default initialization of the dynamic type: default
//! values of components, unallocated descriptors of allocatable and pointer
//! components), and the end of `x`'s scope or `deallocate(x)` to
//! `_FortranAAllocatableDeallocatePolymorphic(desc, declared type info, ...)`
//! (or `_FortranAAllocatableDeallocate`): the allocatable components of the
//! dynamic type are freed, then the element, and the descriptor is given the
//! declared type again. A local `type(T), allocatable` scalar has no
//! InitDerivedForAllocate: flang stores T's type info into its descriptor,
//! where `stored_types` finds it. Where every type such a descriptor is given in the
//! function is a constant type-info table this module can read (components
//! of intrinsic type, allocatable, pointer and derived-type components,
//! default values that are constants; scalars, rank 0), the calls become
//! stores into the descriptor and helpers that do the same with `malloc`,
//! `free`, stores and copies of the default values: code the generators
//! differentiate like any other (the shadow descriptor takes the same dynamic
//! type; the shadow element is a zeroed allocation whose component
//! descriptors are initialized by the same stores). At run time the helper
//! picks the dynamic type by comparing the descriptor's type-info address
//! with those candidates; another one stops with a message naming the
//! statement. A descriptor with a type this module cannot read, or with two
//! types that hold floats and other data in the same bytes (which the type
//! analysis could not tell apart in the one allocation), keeps its
//! runtime calls (`fortran::lower_allocations` leaves its ALLOCATE and
//! DEALLOCATE to the runtime too), which work where no derivative reaches
//! the object and are a compile error (`frontend/validate.rs`) where one does.

use crate::error::Result;
use crate::fortran::{call_helper, stop, DIMS, ELEM_LEN, RANK, TYPE};
use ferment_ir::{Builder, IntPredicate, Module, Type, Value};

const INIT: &str = "_FortranAAllocatableInitDerivedForAllocate";
const ALLOCATE: &str = "_FortranAAllocatableAllocate";
const DEALLOCATE: &str = "_FortranAAllocatableDeallocate";
const DEALLOCATE_POLYMORPHIC: &str = "_FortranAAllocatableDeallocatePolymorphic";

const VERSION: u64 = 16;
const ATTRIBUTE: u64 = 22;
const EXTRA: u64 = 23;
const CFI_VERSION: i64 = 20240719;
const CFI_TYPE_STRUCT: i64 = 42;
const ALLOCATOR_MASK: i64 = 0b1110;

/// Fields of flang's type-info tables (`__fortran_type_info`): the derived
/// type's size in bytes and its component table (a descriptor); a
/// component's genre, category, kind, rank, offset, derived type (a
/// descriptor) and default value (a `c_ptr`).
const DT_SIZE: u32 = 2;
const DT_COMPONENTS: u32 = 6;
const C_GENRE: u32 = 1;
const C_CATEGORY: u32 = 2;
const C_KIND: u32 = 3;
const C_RANK: u32 = 4;
const C_OFFSET: u32 = 6;
const C_DERIVED: u32 = 8;
const C_INIT: u32 = 11;

const GENRE_DATA: i64 = 1;
const GENRE_POINTER: i64 = 2;
const GENRE_ALLOCATABLE: i64 = 3;
const CATEGORY_DERIVED: i64 = 6;

/// What the default initialization and the deallocation do at one byte
/// offset of an element of a derived type.
enum Part {
    /// A component's default value, copied from its constant.
    Copy { off: u64, from: Value, len: u64 },
    /// An allocatable (`allocatable`) or pointer component's descriptor,
    /// unallocated (disassociated); `derived` is its type info.
    Descriptor {
        off: u64,
        elem_len: u64,
        code: i64,
        rank: u64,
        allocatable: bool,
        derived: Option<Value>,
    },
}

/// What a component's bytes hold, for the layout comparison of the types
/// one descriptor may be given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Float,
    Descriptor,
    Other,
}

/// A derived type read from its type-info table.
struct Derived {
    info: Value,
    size: u64,
    parts: Vec<Part>,
    /// (offset, length, class) of every component, derived-type scalars
    /// followed; an array of unknown extent reaches the end of the type.
    leaves: Vec<(u64, u64, Class)>,
}

/// Whether two types one descriptor may be given hold different kinds of
/// data in overlapping bytes (`allocate(A :: x)` and `allocate(B :: x)` of
/// two extensions of one type adding a real and a descriptor at one
/// offset): the memory of the one allocation would hold floats for one
/// and pointers or integers for the other, which the type analysis cannot
/// tell apart.
fn layouts_conflict(a: &Derived, b: &Derived) -> bool {
    a.leaves.iter().any(|&(oa, la, ca)| {
        b.leaves.iter().any(|&(ob, lb, cb)| {
            let overlap = oa < ob + lb && ob < oa + la;
            overlap && (oa, la, ca) != (ob, lb, cb)
        })
    })
}

fn field(c: Value, i: u32) -> Option<Value> {
    c.aggregate_element(i)
}

fn int_field(c: Value, i: u32) -> Option<i64> {
    field(c, i)?.const_int()
}

/// The global a constant pointer (or `ptrtoint` of one, or null) names.
fn pointee(v: Value) -> Option<Option<Value>> {
    if v.is_null_constant() {
        return Some(None);
    }
    let v = if v.is_constant_expr() && v.ty().is_integer() {
        v.operand(0)
    } else {
        v
    };
    let g = v.strip_casts();
    g.is_global().then_some(Some(g))
}

/// Whether `g` is one of flang's derived-type type-info tables.
fn is_type_info(g: Value) -> bool {
    g.is_global()
        && g.global_value_type().struct_name().as_deref()
            == Some("_QM__fortran_type_infoTderivedtype")
}

/// The type infos flang's initialization of a non-polymorphic
/// `type(T), allocatable` scalar writes into its descriptor `slot` (an
/// `alloca`; see `stored_ranked_types`).
fn stored_types(slot: Value, depth: u32) -> Vec<Value> {
    stored_ranked_types(slot, 0..=0, depth)
}

/// The type infos flang's initialization of a `type(T), allocatable ::
/// a(:)` array (rank 1 to 4) writes into its descriptor `slot` (see
/// `stored_ranked_types`).
fn stored_array_types(slot: Value, depth: u32) -> Vec<Value> {
    stored_ranked_types(slot, 1..=4, depth)
}

/// The type infos flang's initialization of a derived-type allocatable
/// of a rank in `ranks` writes into its descriptor `slot` (an `alloca`): a
/// constant descriptor of type code 42 whose addendum, after the
/// dimensions (none for a scalar), is a type info (-O0, possibly copied
/// into `slot` from another `alloca` by `memcpy`), or a type info stored
/// at an addendum's offset (optimized code).
fn stored_ranked_types(
    slot: Value,
    ranks: std::ops::RangeInclusive<i64>,
    depth: u32,
) -> Vec<Value> {
    use ferment_ir::Opcode;
    let mut out = Vec::new();
    if depth > 3 || !slot.is_instruction() || slot.opcode() != Opcode::LLVMAlloca {
        return out;
    }
    let push = |g: Value, out: &mut Vec<Value>| {
        if is_type_info(g) && !out.contains(&g) {
            out.push(g);
        }
    };
    for u in slot.users() {
        match u.opcode() {
            Opcode::LLVMStore if u.operand(1) == slot => {
                let v = u.operand(0);
                // The addendum follows the dimensions array, which a
                // scalar's descriptor type does not have.
                let constant = v.is_constant() && v.ty().is_struct();
                let rank = constant
                    .then(|| int_field(v, 3))
                    .flatten()
                    .filter(|r| ranks.contains(r));
                let addendum = if rank == Some(0) { 7 } else { 8 };
                let shaped = rank.is_some()
                    && v.ty().struct_fields().len() > addendum as usize
                    && int_field(v, 4) == Some(CFI_TYPE_STRUCT);
                if let Some(Some(g)) = shaped
                    .then(|| field(v, addendum).and_then(pointee))
                    .flatten()
                {
                    push(g, &mut out);
                }
            }
            Opcode::LLVMGetElementPtr
                if u.num_operands() == 2
                    && u.operand(1)
                        .const_int()
                        .is_some_and(|o| ranks.clone().any(|r| o == DIMS as i64 + r * 24)) =>
            {
                for st in u.users() {
                    if st.opcode() == Opcode::LLVMStore && st.operand(1) == u {
                        if let Some(Some(g)) = pointee(st.operand(0)) {
                            push(g, &mut out);
                        }
                    }
                }
            }
            Opcode::LLVMCall
                if u.called_function()
                    .is_some_and(|c| c.name().starts_with("llvm.memcpy"))
                    && u.call_args()[0].strip_casts() == slot =>
            {
                for g in
                    stored_ranked_types(u.call_args()[1].strip_casts(), ranks.clone(), depth + 1)
                {
                    push(g, &mut out);
                }
            }
            _ => {}
        }
    }
    out
}

/// The size of a derived type from its type info.
fn derived_size(info: Value) -> Option<u64> {
    let init = info.global_initializer()?;
    u64::try_from(int_field(init, DT_SIZE)?).ok()
}

/// The element length and type code of an intrinsic type (category, kind):
/// integer, real and complex kinds whose codes ferment's helpers know.
fn intrinsic(category: i64, kind: i64) -> Option<(u64, i64)> {
    Some(match (category, kind) {
        (0, 1) => (1, 7),
        (0, 2) => (2, 8),
        (0, 4) => (4, 9),
        (0, 8) => (8, 10),
        (2, 4) => (4, 27),
        (2, 8) => (8, 28),
        (3, 4) => (8, 34),
        (3, 8) => (16, 35),
        _ => return None,
    })
}

/// Reads the derived type whose type info is the constant global `info`;
/// `None` where a component is one this module does not handle (automatic,
/// character or logical allocatables, arrays with default values or of
/// derived types that need initialization).
fn read_derived(info: Value, depth: u32) -> Option<Derived> {
    if depth > 8 || !is_type_info(info) {
        return None;
    }
    let init = info.global_initializer()?;
    let size = u64::try_from(int_field(init, DT_SIZE)?).ok()?;
    let table = field(init, DT_COMPONENTS)?;
    let mut parts = Vec::new();
    let mut leaves = Vec::new();
    if let Some(array) = pointee(field(table, 0)?)? {
        let dim = field(field(field(table, 7)?, 0)?, 1)?.const_int()?;
        let comps = array.global_initializer()?;
        for i in 0..u32::try_from(dim).ok()? {
            let c = field(comps, i)?;
            let genre = int_field(c, C_GENRE)?;
            let category = int_field(c, C_CATEGORY)?;
            let kind = int_field(c, C_KIND)?;
            let rank = u64::try_from(int_field(c, C_RANK)?).ok()?;
            let off = u64::try_from(int_field(c, C_OFFSET)?).ok()?;
            let derived = pointee(field(field(c, C_DERIVED)?, 0)?)?;
            let default = pointee(field(field(c, C_INIT)?, 0)?)?;
            let rest = size.checked_sub(off)?;
            let class = if category == 2 || category == 3 {
                Class::Float
            } else {
                Class::Other
            };
            match genre {
                GENRE_DATA if category == CATEGORY_DERIVED && rank == 0 => {}
                GENRE_DATA => match intrinsic(category, kind) {
                    Some((len, _)) if rank == 0 => leaves.push((off, len, class)),
                    _ => leaves.push((off, rest, class)),
                },
                _ => {
                    let addendum = if category == CATEGORY_DERIVED { 16 } else { 0 };
                    leaves.push((off, 24 * (rank + 1) + addendum, Class::Descriptor))
                }
            }
            if genre == GENRE_DATA && category == CATEGORY_DERIVED && rank == 0 {
                let d = derived.and_then(|d| read_derived(d, depth + 1))?;
                leaves.extend(d.leaves.iter().map(|&(o, l, c)| (o + off, l, c)));
            }
            match genre {
                GENRE_DATA => {
                    let sub = match derived {
                        Some(d) if category == CATEGORY_DERIVED => {
                            Some(read_derived(d, depth + 1)?)
                        }
                        None if category != CATEGORY_DERIVED => None,
                        _ => return None,
                    };
                    if let Some(from) = default {
                        if rank != 0 {
                            return None;
                        }
                        let len = match &sub {
                            Some(s) => s.size,
                            None => intrinsic(category, kind).map(|(l, _)| l)?,
                        };
                        parts.push(Part::Copy { off, from, len });
                    } else if let Some(s) = sub {
                        if rank != 0 {
                            if !s.parts.is_empty() {
                                return None;
                            }
                            continue;
                        }
                        parts.extend(s.parts.into_iter().map(|p| p.shifted(off)));
                    }
                }
                GENRE_POINTER | GENRE_ALLOCATABLE => {
                    if default.is_some() {
                        return None;
                    }
                    let (elem_len, code, derived) = match derived {
                        Some(d) if category == CATEGORY_DERIVED => {
                            (derived_size(d)?, CFI_TYPE_STRUCT, Some(d))
                        }
                        None if category != CATEGORY_DERIVED => {
                            let (l, c) = intrinsic(category, kind)?;
                            (l, c, None)
                        }
                        _ => return None,
                    };
                    parts.push(Part::Descriptor {
                        off,
                        elem_len,
                        code,
                        rank,
                        allocatable: genre == GENRE_ALLOCATABLE,
                        derived,
                    });
                }
                _ => return None,
            }
        }
    }
    Some(Derived {
        info,
        size,
        parts,
        leaves,
    })
}

impl Part {
    fn shifted(self, by: u64) -> Part {
        match self {
            Part::Copy { off, from, len } => Part::Copy {
                off: off + by,
                from,
                len,
            },
            Part::Descriptor {
                off,
                elem_len,
                code,
                rank,
                allocatable,
                derived,
            } => Part::Descriptor {
                off: off + by,
                elem_len,
                code,
                rank,
                allocatable,
                derived,
            },
        }
    }
}

/// Stores the fields of an unallocated descriptor at `at`.
#[allow(clippy::too_many_arguments)]
fn store_descriptor(
    b: &Builder,
    at: Value,
    elem_len: u64,
    code: i64,
    rank: u64,
    attribute: i64,
    derived: Option<Value>,
) {
    let ctx = b.module().context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    b.store(b.zero(ptr), at);
    b.store(b.const_int(i64t, elem_len as i64), b.gep_i8(at, ELEM_LEN));
    b.store(b.const_int(i32t, CFI_VERSION), b.gep_i8(at, VERSION));
    b.store(b.const_int(i8t, rank as i64), b.gep_i8(at, RANK));
    b.store(b.const_int(i8t, code), b.gep_i8(at, TYPE));
    b.store(b.const_int(i8t, attribute), b.gep_i8(at, ATTRIBUTE));
    b.store(
        b.const_int(i8t, i64::from(derived.is_some())),
        b.gep_i8(at, EXTRA),
    );
    for d in 0..rank {
        for f in 0..3 {
            b.store(b.const_int(i64t, 0), b.gep_i8(at, DIMS + d * 24 + f * 8));
        }
    }
    if let Some(info) = derived {
        let addendum = DIMS + rank * 24;
        b.store(info, b.gep_i8(at, addendum));
        b.store(b.const_int(i64t, 0), b.gep_i8(at, addendum + 8));
    }
}

/// The default initialization of an element of `t` at `p`.
fn initialize(b: &Builder, p: Value, t: &Derived) {
    let i64t = b.i64();
    for part in &t.parts {
        match *part {
            Part::Copy { off, from, len } => {
                b.memmove(b.gep_i8(p, off), from, b.const_int(i64t, len as i64));
            }
            Part::Descriptor {
                off,
                elem_len,
                code,
                rank,
                allocatable,
                derived,
            } => store_descriptor(
                b,
                b.gep_i8(p, off),
                elem_len,
                code,
                rank,
                if allocatable { 2 } else { 1 },
                derived,
            ),
        }
    }
}

/// `free` of the allocatable components of an element of `t` at `p`, and a
/// null base address in each (the allocatable components of an allocatable
/// component of derived type are not visited: their memory leaks, as in
/// `fortran::lower_destroys`).
fn free_components(b: &Builder, p: Value, t: &Derived) {
    let module = b.module();
    let ptr = Type::ptr(module.context());
    let free = crate::reverse::tape::declare(module, "free", Type::void(module.context()), &[ptr]);
    for part in &t.parts {
        if let Part::Descriptor {
            off,
            allocatable: true,
            ..
        } = *part
        {
            let desc = b.gep_i8(p, off);
            b.call_fn(free, &[b.load(ptr, desc)]);
            b.store(b.zero(ptr), desc);
        }
    }
}

/// The base address of the descriptor `desc`, and whether it describes
/// memory of derived type with an addendum and the default allocator that
/// is unallocated (`allocated` false) or allocated: the checks shared by
/// the scalar and the array helpers (which add their own rank check).
fn derived_descriptor_state(b: &Builder, desc: Value, allocated: bool) -> (Value, Value) {
    let ctx = b.module().context();
    let (ptr, i8t, i64t) = (Type::ptr(ctx), Type::int(ctx, 8), Type::int(ctx, 64));
    let zero = b.const_int(i64t, 0);
    let base = b.load(ptr, desc);
    let null = b.icmp(IntPredicate::LLVMIntEQ, b.ptr_to_int(base, i64t), zero);
    let state = if allocated { b.not(null) } else { null };
    let code = b.load(i8t, b.gep_i8(desc, TYPE));
    let extra = b.int_cast(b.load(i8t, b.gep_i8(desc, EXTRA)), i64t, false);
    let struct_code = b.icmp(
        IntPredicate::LLVMIntEQ,
        code,
        b.const_int(i8t, CFI_TYPE_STRUCT),
    );
    let default_allocator = b.icmp(
        IntPredicate::LLVMIntEQ,
        b.and_int(extra, b.const_int(i64t, ALLOCATOR_MASK | 1)),
        b.const_int(i64t, 1),
    );
    let ok = b.and_int(state, b.and_int(struct_code, default_allocator));
    (base, ok)
}

/// The checks shared by the helpers: a scalar of derived type with an
/// addendum and the default allocator, unallocated (`allocated` false) or
/// allocated; branches to `bad` otherwise. Returns the base address and the
/// type-info address.
fn check_descriptor(
    b: &Builder,
    f: Value,
    desc: Value,
    allocated: bool,
    bad: ferment_ir::Block,
) -> (Value, Value) {
    let ctx = b.module().context();
    let (ptr, i8t) = (Type::ptr(ctx), Type::int(ctx, 8));
    let (base, derived) = derived_descriptor_state(b, desc, allocated);
    let rank = b.load(i8t, b.gep_i8(desc, RANK));
    let ok = b.and_int(
        derived,
        b.icmp(IntPredicate::LLVMIntEQ, rank, b.const_int(i8t, 0)),
    );
    let go = f.append_block("go");
    b.cond_br(ok, go, bad);
    b.at_end(go);
    let info = b.load(ptr, b.gep_i8(desc, DIMS));
    (base, info)
}

/// Branches on the type info `info` to one block per candidate (filled by
/// `each`, which must end it), or to `bad`.
fn dispatch(
    b: &Builder,
    f: Value,
    info: Value,
    types: &[Derived],
    bad: ferment_ir::Block,
    mut each: impl FnMut(&Derived),
) {
    for t in types {
        let this = f.append_block("type");
        let next = f.append_block("next");
        b.cond_br(b.icmp(IntPredicate::LLVMIntEQ, info, t.info), this, next);
        b.at_end(this);
        each(t);
        b.at_end(next);
    }
    b.br(bad);
}

/// `ferment.fortran.allocate.derived.N(desc, file, line) -> i32`: `malloc`
/// of the element length, the base address stored, the default
/// initialization of the dynamic type.
fn allocate_helper(module: Module, types: &[Derived], id: usize) -> Value {
    let ctx = module.context();
    let (ptr, i32t, i64t) = (Type::ptr(ctx), Type::int(ctx, 32), Type::int(ctx, 64));
    let name = format!("ferment.fortran.allocate.derived.{id}");
    let f = module.add_function(&name, Type::function(i32t, &[ptr, ptr, i32t], false));
    f.set_internal();
    let p = f.params();
    let (desc, file, line) = (p[0], p[1], p[2]);
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let bad = f.append_block("unsupported");
    b.at_end(entry);
    let (_, info) = check_descriptor(&b, f, desc, false, bad);
    let malloc = module
        .function("malloc")
        .unwrap_or_else(|| module.add_function("malloc", Type::function(ptr, &[i64t], false)));
    let elen = b.load(i64t, b.gep_i8(desc, ELEM_LEN));
    let one = b.const_int(i64t, 1);
    let small = b.icmp(IntPredicate::LLVMIntULT, elen, one);
    let size = b.select(small, one, elen);
    dispatch(&b, f, info, types, bad, |t| {
        let fresh = b.call_fn(malloc, &[size]);
        b.store(fresh, desc);
        initialize(&b, fresh, t);
        b.ret(b.const_int(i32t, 0));
    });
    b.at_end(bad);
    stop(&b, "ferment.fortran.allocate.derived.msg", "this ALLOCATE of a polymorphic or derived-type allocatable (flang runtime _FortranAAllocatableAllocate) is not differentiated by ferment: it handles an unallocated scalar whose dynamic type is one the function's ALLOCATE statements name, with the default allocator", file, line);
    f
}

/// `ferment.fortran.deallocate.derived.N(desc, file, line) -> i32`: `free`
/// of the dynamic type's allocatable components and of the element, a null
/// base address; with `declared` (DeallocatePolymorphic), the descriptor
/// given the declared type's size and type info again.
fn deallocate_helper(
    module: Module,
    types: &[Derived],
    declared: Option<(Value, u64)>,
    id: usize,
) -> Value {
    let ctx = module.context();
    let (ptr, i32t, i64t) = (Type::ptr(ctx), Type::int(ctx, 32), Type::int(ctx, 64));
    let name = format!("ferment.fortran.deallocate.derived.{id}");
    let f = module.add_function(&name, Type::function(i32t, &[ptr, ptr, i32t], false));
    f.set_internal();
    let p = f.params();
    let (desc, file, line) = (p[0], p[1], p[2]);
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let bad = f.append_block("unsupported");
    let done = f.append_block("done");
    b.at_end(entry);
    let (base, info) = check_descriptor(&b, f, desc, true, bad);
    dispatch(&b, f, info, types, bad, |t| {
        free_components(&b, base, t);
        b.br(done);
    });
    b.at_end(done);
    let free = crate::reverse::tape::declare(module, "free", Type::void(ctx), &[ptr]);
    b.call_fn(free, &[base]);
    b.store(b.zero(ptr), desc);
    if let Some((info, size)) = declared {
        b.store(b.const_int(i64t, size as i64), b.gep_i8(desc, ELEM_LEN));
        b.store(info, b.gep_i8(desc, DIMS));
    }
    b.ret(b.const_int(i32t, 0));
    b.at_end(bad);
    stop(&b, "ferment.fortran.deallocate.derived.msg", "this DEALLOCATE of a polymorphic or derived-type allocatable (flang runtime _FortranAAllocatableDeallocate) is not differentiated by ferment: it handles an allocated scalar whose dynamic type is one the function's ALLOCATE statements name, with the default allocator", file, line);
    f
}

/// The type-info globals `v` may be: a global, or a `select` or `phi` of
/// them (optimized code merges the branches of `if (...) allocate(A :: x)
/// else allocate(B :: x)`).
fn candidates(v: Value, depth: u32) -> Option<Vec<Value>> {
    let v = v.strip_casts();
    if v.is_global() {
        return Some(vec![v]);
    }
    if depth > 4 || !v.is_instruction() {
        return None;
    }
    let from: Vec<Value> = match v.opcode() {
        ferment_ir::Opcode::LLVMSelect => vec![v.operand(1), v.operand(2)],
        ferment_ir::Opcode::LLVMPHI => v.operands(),
        _ => return None,
    };
    let mut out = Vec::new();
    for x in from {
        for g in candidates(x, depth + 1)? {
            if !out.contains(&g) {
                out.push(g);
            }
        }
    }
    Some(out)
}

/// Whether the descriptor of the runtime call `call` (its first argument)
/// is given, in `call`'s function, types whose layouts conflict (see
/// `layouts_conflict`): why `lower_polymorphic_allocations` left it.
pub(crate) fn types_conflict_at(call: Value) -> bool {
    let Some(root) = call.call_args().first().map(|a| a.strip_casts()) else {
        return false;
    };
    let mut infos = stored_types(root, 0);
    for i in call.function_of().instructions() {
        if callee_name(i).as_deref() == Some(INIT)
            && i.call_args().len() == 4
            && i.call_args()[0].strip_casts() == root
        {
            for g in candidates(i.call_args()[1], 0).unwrap_or_default() {
                if !infos.contains(&g) {
                    infos.push(g);
                }
            }
        }
    }
    let types: Vec<Derived> = infos
        .into_iter()
        .filter_map(|g| read_derived(g, 0))
        .collect();
    types
        .iter()
        .enumerate()
        .any(|(i, a)| types[i + 1..].iter().any(|b| layouts_conflict(a, b)))
}

fn callee_name(i: Value) -> Option<String> {
    (i.is_call() && !i.is_invoke()).then_some(())?;
    Some(i.called_function()?.name())
}

/// The descriptors (their `alloca`s, casts stripped) of the polymorphic
/// ALLOCATEs in `f` that stay runtime calls: `lower_allocations` leaves
/// their ALLOCATE and DEALLOCATE to the runtime.
pub(crate) fn runtime_derived_descriptors(f: Value) -> Vec<Value> {
    f.instructions()
        .into_iter()
        .filter_map(|i| {
            let n = callee_name(i)?;
            let root = i.call_args().first()?.strip_casts();
            let derived = match n.as_str() {
                INIT => true,
                ALLOCATE | DEALLOCATE => !stored_types(root, 0).is_empty(),
                _ => false,
            };
            derived.then_some(root)
        })
        .collect()
}

/// Rewrites the polymorphic ALLOCATEs in `f` (see the module comment) and
/// the ALLOCATE/DEALLOCATE calls on their descriptors; says whether it did
/// any.
pub fn lower_polymorphic_allocations(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls: Vec<(Value, String)> = f
        .instructions()
        .into_iter()
        .filter_map(|i| Some((i, callee_name(i)?)))
        .filter(|(_, n)| [INIT, ALLOCATE, DEALLOCATE, DEALLOCATE_POLYMORPHIC].contains(&n.as_str()))
        .collect();
    // Each descriptor with the types it may be given: those its
    // InitDerivedForAllocate calls name, or those flang's initialization
    // of a non-polymorphic `type(T), allocatable` stored into it.
    let mut roots: Vec<(Value, Vec<Value>)> = Vec::new();
    for (c, n) in &calls {
        let r = c.call_args()[0].strip_casts();
        if roots.iter().any(|(x, _)| *x == r) {
            continue;
        }
        let stored = stored_types(r, 0);
        if n == INIT || !stored.is_empty() {
            roots.push((r, stored));
        }
    }
    let ctx = module.context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let b = Builder::new(module);
    let mut changed = false;
    // The type infos of the allocatable scalar components of derived type
    // of the types lowered here (`type(layer), allocatable :: lay`).
    let mut component_infos: Vec<Value> = Vec::new();
    let lowered_roots: Vec<Value> = roots.iter().map(|(r, _)| *r).collect();
    'root: for (root, stored) in roots {
        let mine: Vec<&(Value, String)> = calls
            .iter()
            .filter(|(c, _)| c.call_args().first().map(|a| a.strip_casts()) == Some(root))
            .collect();
        let mut types: Vec<Derived> = Vec::new();
        for info in stored {
            match read_derived(info, 0) {
                Some(t) => types.push(t),
                None => continue 'root,
            }
        }
        for (c, n) in &mine {
            let args = c.call_args();
            let ok = match n.as_str() {
                INIT => {
                    args.len() == 4
                        && args[2].const_int() == Some(0)
                        && args[3].const_int() == Some(0)
                }
                ALLOCATE => args.len() == 7,
                DEALLOCATE => args.len() == 5,
                _ => args.len() == 6 && derived_size(args[1].strip_casts()).is_some(),
            };
            if !ok {
                continue 'root;
            }
            if n == INIT {
                let Some(infos) = candidates(args[1], 0) else {
                    continue 'root;
                };
                for info in infos {
                    if types.iter().any(|t| t.info == info) {
                        continue;
                    }
                    match read_derived(info, 0) {
                        Some(t) => types.push(t),
                        None => continue 'root,
                    }
                }
            }
        }
        let conflict = types
            .iter()
            .enumerate()
            .any(|(i, a)| types[i + 1..].iter().any(|b| layouts_conflict(a, b)));
        if conflict {
            continue 'root;
        }
        for t in &types {
            for p in &t.parts {
                if let Part::Descriptor {
                    rank: 0,
                    allocatable: true,
                    derived: Some(d),
                    ..
                } = p
                {
                    if !component_infos.contains(d) {
                        component_infos.push(*d);
                    }
                }
            }
        }
        let id = module
            .functions()
            .iter()
            .filter(|g| g.name().starts_with("ferment.fortran.allocate.derived."))
            .count();
        let mut allocate = None;
        let mut deallocate = None;
        let mut deallocate_to = None;
        for (c, n) in mine {
            let c = *c;
            let args = c.call_args();
            b.before(c);
            b.set_debug_loc_from(c);
            match n.as_str() {
                INIT => {
                    let desc = args[0];
                    let info = args[1];
                    let infos = candidates(info, 0).expect("read above");
                    let sizes: Vec<(Value, u64)> = types
                        .iter()
                        .filter(|t| infos.contains(&t.info))
                        .map(|t| (t.info, t.size))
                        .collect();
                    let (last, rest) = sizes.split_last().expect("one type at least");
                    let size =
                        rest.iter()
                            .fold(b.const_int(i64t, last.1 as i64), |acc, &(t, n)| {
                                let this = b.icmp(IntPredicate::LLVMIntEQ, info, t);
                                b.select(this, b.const_int(i64t, n as i64), acc)
                            });
                    let base = b.load(ptr, desc);
                    let allocated = b.icmp(
                        IntPredicate::LLVMIntNE,
                        b.ptr_to_int(base, i64t),
                        b.const_int(i64t, 0),
                    );
                    let keep = |v: Value, off: u64, ty: Type| {
                        let at = b.gep_i8(desc, off);
                        let old = b.load(ty, at);
                        b.store(b.select(allocated, old, v), at);
                    };
                    keep(size, ELEM_LEN, i64t);
                    keep(b.const_int(i32t, CFI_VERSION), VERSION, i32t);
                    keep(b.const_int(i8t, 0), RANK, i8t);
                    keep(b.const_int(i8t, CFI_TYPE_STRUCT), TYPE, i8t);
                    keep(b.const_int(i8t, 2), ATTRIBUTE, i8t);
                    keep(b.const_int(i8t, 1), EXTRA, i8t);
                    keep(info, DIMS, ptr);
                    keep(b.const_int(i64t, 0), DIMS + 8, i64t);
                    c.erase();
                }
                ALLOCATE => {
                    let h = *allocate.get_or_insert_with(|| allocate_helper(module, &types, id));
                    call_helper(&b, c, h, &[args[0], args[4], args[5]])?;
                }
                DEALLOCATE => {
                    let h = *deallocate
                        .get_or_insert_with(|| deallocate_helper(module, &types, None, id));
                    call_helper(&b, c, h, &[args[0], args[3], args[4]])?;
                }
                _ => {
                    let declared = args[1].strip_casts();
                    let size = derived_size(declared).expect("checked above");
                    let h = *deallocate_to.get_or_insert_with(|| {
                        deallocate_helper(module, &types, Some((declared, size)), id)
                    });
                    call_helper(&b, c, h, &[args[0], args[4], args[5]])?;
                }
            }
            changed = true;
        }
    }
    changed |= lower_derived_arrays(f)?;
    changed |= lower_component_allocations(f, &lowered_roots, &component_infos)?;
    Ok(changed)
}

/// The ALLOCATEs and DEALLOCATEs in `f` of allocatable arrays of derived
/// type (`type(particle), allocatable :: p(:)`, `stored_array_types`) whose
/// types this module reads and which have no allocatable components (whose
/// memory the DEALLOCATE would free): helpers that allocate the elements
/// with `malloc` and give each the type's default initialization, and
/// `free` them.
fn lower_derived_arrays(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let calls: Vec<(Value, bool)> = f
        .instructions()
        .into_iter()
        .filter_map(|i| {
            let n = callee_name(i)?;
            let deallocate = match (n.as_str(), i.call_args().len()) {
                (ALLOCATE, 7) => false,
                (DEALLOCATE, 5) => true,
                _ => return None,
            };
            Some((i, deallocate))
        })
        .collect();
    let mut roots: Vec<(Value, Vec<Derived>)> = Vec::new();
    'root: for &(c, _) in &calls {
        let r = c.call_args()[0].strip_casts();
        if roots.iter().any(|(x, _)| *x == r) || !stored_types(r, 0).is_empty() {
            continue;
        }
        let infos = stored_array_types(r, 0);
        if infos.is_empty() {
            continue;
        }
        let mut types = Vec::new();
        for info in infos {
            match read_derived(info, 0) {
                Some(t)
                    if !t.parts.iter().any(|p| {
                        matches!(
                            p,
                            Part::Descriptor {
                                allocatable: true,
                                ..
                            }
                        )
                    }) =>
                {
                    types.push(t)
                }
                _ => continue 'root,
            }
        }
        roots.push((r, types));
    }
    if roots.is_empty() {
        return Ok(false);
    }
    // Each root's calls, taken before any is replaced.
    let per_root: Vec<_> = roots
        .into_iter()
        .map(|(root, types)| {
            let mine: Vec<(Value, bool)> = calls
                .iter()
                .copied()
                .filter(|(c, _)| c.call_args()[0].strip_casts() == root)
                .collect();
            (mine, types)
        })
        .collect();
    let b = Builder::new(module);
    for (mine, types) in per_root {
        let id = module
            .functions()
            .iter()
            .filter(|g| g.name().starts_with("ferment.fortran.allocate.derived."))
            .count();
        let mut allocate = None;
        let mut deallocate = None;
        for (c, dealloc) in mine {
            let args = c.call_args();
            if dealloc {
                let h = *deallocate.get_or_insert_with(|| deallocate_array_helper(module));
                call_helper(&b, c, h, &[args[0], args[3], args[4]])?;
            } else {
                let h = *allocate.get_or_insert_with(|| allocate_array_helper(module, &types, id));
                call_helper(&b, c, h, &[args[0], args[4], args[5]])?;
            }
        }
    }
    Ok(true)
}

/// The checks of an array of derived type with an addendum and the default
/// allocator, unallocated (`allocated` false) or allocated, of rank 1 to 4:
/// branches to `bad` otherwise, else to one block per rank, returned.
fn check_array_descriptor(
    b: &Builder,
    f: Value,
    desc: Value,
    allocated: bool,
    bad: ferment_ir::Block,
) -> Vec<(u64, ferment_ir::Block)> {
    let ctx = b.module().context();
    let (i8t, i64t) = (Type::int(ctx, 8), Type::int(ctx, 64));
    let (_, ok) = derived_descriptor_state(b, desc, allocated);
    let go = f.append_block("go");
    b.cond_br(ok, go, bad);
    b.at_end(go);
    let rank = b.int_cast(b.load(i8t, b.gep_i8(desc, RANK)), i64t, false);
    let blocks: Vec<(u64, ferment_ir::Block)> =
        (1..=4).map(|r| (r, f.append_block("rank"))).collect();
    let cases: Vec<(Value, ferment_ir::Block)> = blocks
        .iter()
        .map(|&(r, bl)| (b.const_int(i64t, r as i64), bl))
        .collect();
    b.switch(rank, bad, &cases);
    blocks
}

/// `ferment.fortran.allocate.derived.array.N(desc, file, line) -> i32`:
/// contiguous byte strides for the bounds set before, `malloc` of the
/// elements (at least a byte), the base address stored, the default
/// initialization of each element for the type the addendum names.
fn allocate_array_helper(module: Module, types: &[Derived], id: usize) -> Value {
    let ctx = module.context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let name = format!("ferment.fortran.allocate.derived.array.{id}");
    let f = module.add_function(&name, Type::function(i32t, &[ptr, ptr, i32t], false));
    f.set_internal();
    let p = f.params();
    let (desc, file, line) = (p[0], p[1], p[2]);
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let bad = f.append_block("unsupported");
    b.at_end(entry);
    let malloc = module
        .function("malloc")
        .unwrap_or_else(|| module.add_function("malloc", Type::function(ptr, &[i64t], false)));
    let (zero, one) = (b.const_int(i64t, 0), b.const_int(i64t, 1));
    for (r, block) in check_array_descriptor(&b, f, desc, false, bad) {
        b.at_end(block);
        let elen = b.load(i64t, b.gep_i8(desc, ELEM_LEN));
        let mut sm = elen;
        let mut count = one;
        for d in 0..r {
            let at = |field: u64| b.gep_i8(desc, DIMS + d * 24 + field);
            b.store(sm, at(16));
            let extent = b.load(i64t, at(8));
            sm = b.mul_int(sm, extent);
            count = b.mul_int(count, extent);
        }
        let size = b.select(b.icmp(IntPredicate::LLVMIntEQ, sm, zero), one, sm);
        let fresh = b.call_fn(malloc, &[size]);
        b.store(fresh, desc);
        let info = b.load(ptr, b.gep_i8(desc, DIMS + r * 24));
        dispatch(&b, f, info, types, bad, |t| {
            let head = b.insert_block();
            let body = f.append_block("element");
            let done = f.append_block("initialized");
            b.cond_br(b.icmp(IntPredicate::LLVMIntSGT, count, zero), body, done);
            b.at_end(body);
            let i = b.phi(i64t, "i");
            initialize(&b, b.gep(i8t, fresh, &[b.mul_int(i, elen)]), t);
            let latch = b.insert_block();
            let next = b.add_int(i, one);
            b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, next, count), body, done);
            i.add_incoming(zero, head);
            i.add_incoming(next, latch);
            b.at_end(done);
            b.ret(b.const_int(i32t, 0));
        });
    }
    b.at_end(bad);
    stop(&b, "ferment.fortran.allocate.derived.array.msg", "this ALLOCATE of an array of derived type (flang runtime _FortranAAllocatableAllocate) is not differentiated by ferment: it handles an unallocated array of rank 1 to 4 of a type without allocatable components, with the default allocator", file, line);
    f
}

/// `ferment.fortran.deallocate.derived.array(desc, file, line) -> i32`:
/// `free` of the elements (of a type without allocatable components) and a
/// null base address.
fn deallocate_array_helper(module: Module) -> Value {
    let name = "ferment.fortran.deallocate.derived.array";
    if let Some(f) = module.function(name) {
        return f;
    }
    let ctx = module.context();
    let (ptr, i32t) = (Type::ptr(ctx), Type::int(ctx, 32));
    let f = module.add_function(name, Type::function(i32t, &[ptr, ptr, i32t], false));
    f.set_internal();
    let p = f.params();
    let (desc, file, line) = (p[0], p[1], p[2]);
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let bad = f.append_block("unsupported");
    let done = f.append_block("done");
    b.at_end(entry);
    for (_, block) in check_array_descriptor(&b, f, desc, true, bad) {
        b.at_end(block);
        b.br(done);
    }
    b.at_end(done);
    let free = crate::reverse::tape::declare(module, "free", Type::void(ctx), &[ptr]);
    b.call_fn(free, &[b.load(ptr, desc)]);
    b.store(b.zero(ptr), desc);
    b.ret(b.const_int(i32t, 0));
    b.at_end(bad);
    stop(&b, "ferment.fortran.deallocate.derived.array.msg", "this DEALLOCATE of an array of derived type (flang runtime _FortranAAllocatableDeallocate) is not differentiated by ferment: it handles an allocated array of rank 1 to 4 of a type without allocatable components, with the default allocator", file, line);
    f
}

/// The ALLOCATEs and DEALLOCATEs in `f` of descriptors other than `roots`
/// (reached through an object's base address: `allocate(o%lay)` of a
/// `type(layer), allocatable` component of an object lowered here), where
/// `infos` (the type infos of such components) are types this module reads
/// without conflict: helpers that allocate and initialize (free) the
/// dynamic type the descriptor's addendum names (written by the object's
/// default initialization) for a scalar of derived type, and call the
/// intrinsic types' helpers (`fortran::lower_allocations`') for another
/// descriptor.
fn lower_component_allocations(f: Value, roots: &[Value], infos: &[Value]) -> Result<bool> {
    if infos.is_empty() {
        return Ok(false);
    }
    let module = f.global_parent();
    let calls: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| {
            let n = callee_name(*i);
            let arity = match n.as_deref() {
                Some(ALLOCATE) => 7,
                Some(DEALLOCATE) => 5,
                _ => return false,
            };
            i.call_args().len() == arity && !roots.contains(&i.call_args()[0].strip_casts())
        })
        .collect();
    if calls.is_empty() {
        return Ok(false);
    }
    let mut types: Vec<Derived> = Vec::new();
    for &info in infos {
        match read_derived(info, 0) {
            Some(t) => types.push(t),
            None => return Ok(false),
        }
    }
    let conflict = types
        .iter()
        .enumerate()
        .any(|(i, a)| types[i + 1..].iter().any(|b| layouts_conflict(a, b)));
    if conflict {
        return Ok(false);
    }
    let id = module
        .functions()
        .iter()
        .filter(|g| g.name().starts_with("ferment.fortran.allocate.derived."))
        .count();
    let mut allocate = None;
    let mut deallocate = None;
    let b = Builder::new(module);
    for c in calls {
        let args = c.call_args();
        if callee_name(c).as_deref() == Some(ALLOCATE) {
            let h = *allocate.get_or_insert_with(|| {
                let derived = allocate_helper(module, &types, id);
                let intrinsic = crate::fortran::intrinsic_allocation_helper(module, false);
                component_helper(module, derived, intrinsic, "allocate", id)
            });
            call_helper(&b, c, h, &[args[0], args[4], args[5]])?;
        } else {
            let h = *deallocate.get_or_insert_with(|| {
                let derived = deallocate_helper(module, &types, None, id);
                let intrinsic = crate::fortran::intrinsic_allocation_helper(module, true);
                component_helper(module, derived, intrinsic, "deallocate", id)
            });
            call_helper(&b, c, h, &[args[0], args[3], args[4]])?;
        }
    }
    Ok(true)
}

/// `ferment.fortran.<what>.component.N(desc, file, line) -> i32`: `derived`
/// for a scalar of derived type (type code 42, rank 0), `intrinsic` for
/// another descriptor.
fn component_helper(
    module: Module,
    derived: Value,
    intrinsic: Value,
    what: &str,
    id: usize,
) -> Value {
    let ctx = module.context();
    let (ptr, i8t, i32t) = (Type::ptr(ctx), Type::int(ctx, 8), Type::int(ctx, 32));
    let name = format!("ferment.fortran.{what}.component.{id}");
    let f = module.add_function(&name, Type::function(i32t, &[ptr, ptr, i32t], false));
    f.set_internal();
    let p = f.params();
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let of_derived = f.append_block("derived");
    let other = f.append_block("intrinsic");
    b.at_end(entry);
    let desc = p[0];
    let rank = b.load(i8t, b.gep_i8(desc, RANK));
    let code = b.load(i8t, b.gep_i8(desc, TYPE));
    let is_derived = b.and_int(
        b.icmp(IntPredicate::LLVMIntEQ, rank, b.const_int(i8t, 0)),
        b.icmp(
            IntPredicate::LLVMIntEQ,
            code,
            b.const_int(i8t, CFI_TYPE_STRUCT),
        ),
    );
    b.cond_br(is_derived, of_derived, other);
    b.at_end(of_derived);
    b.ret(b.call_fn(derived, &[p[0], p[1], p[2]]));
    b.at_end(other);
    b.ret(b.call_fn(intrinsic, &[p[0], p[1], p[2]]));
    f
}
