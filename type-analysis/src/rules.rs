//! Transfer rules: one case per instruction kind (calls are in `calls.rs`).
//!
//! Role: state what an instruction implies about its result and operands,
//! in both directions, by extending the solver's trees. Rules are local:
//! they read trees, never IR beyond the instruction itself, and never
//! decide which values are tracked.

use crate::analysis::Solver;
use crate::layout::{constant_offset_from, GepOffset};
use crate::tbaa;
use crate::tree::{BaseType, TypeTree};
use ferment_ir::{Opcode, Value};

const INTEGER: BaseType = BaseType::Integer;
const POINTER: BaseType = BaseType::Pointer;

/// Applies the rule of instruction or constant expression `v`.
pub(crate) fn visit(s: &mut Solver, v: Value) {
    use Opcode::*;
    match v.opcode() {
        LLVMLoad => load(s, v),
        LLVMStore => store(s, v),
        LLVMGetElementPtr => gep(s, v),
        LLVMAlloca => mark_int(s, v.operand(0), v),
        LLVMBitCast | LLVMAddrSpaceCast | LLVMPtrToInt | LLVMIntToPtr | LLVMFreeze => {
            same_bits(s, v)
        }
        LLVMZExt | LLVMSExt => {
            mark_int(s, v, v);
            mark_int(s, v.operand(0), v);
        }
        LLVMTrunc => {
            if root(s, v.operand(0)) == INTEGER {
                mark_int(s, v, v);
            }
            if root(s, v) == INTEGER {
                mark_int(s, v.operand(0), v);
            }
        }
        LLVMFPToSI | LLVMFPToUI => mark_int(s, v, v),
        LLVMSIToFP | LLVMUIToFP => mark_int(s, v.operand(0), v),
        LLVMPHI => phi(s, v),
        LLVMSelect => {
            mark_int(s, v.operand(0), v);
            for op in [v.operand(1), v.operand(2)] {
                flow_both(s, v, op);
            }
        }
        LLVMAdd | LLVMSub => add_sub(s, v),
        LLVMMul | LLVMUDiv | LLVMSDiv | LLVMURem | LLVMSRem => {
            for x in [v, v.operand(0), v.operand(1)] {
                mark_int(s, x, v);
            }
        }
        LLVMShl | LLVMLShr | LLVMAShr => {
            mark_int(s, v, v);
            mark_int(s, v.operand(1), v);
        }
        LLVMAnd | LLVMOr | LLVMXor => bitwise(s, v),
        LLVMICmp => {
            let (a, b) = (v.operand(0), v.operand(1));
            for (x, y) in [(a, b), (b, a)] {
                if y.const_int().is_some() {
                    continue;
                }
                let r = root(s, y);
                if matches!(r, INTEGER | POINTER) {
                    s.add(x, &TypeTree::scalar(r), v);
                }
            }
        }
        LLVMExtractValue => extract_value(s, v),
        LLVMInsertValue => insert_value(s, v),
        LLVMExtractElement => {
            flow_both(s, v, v.operand(0));
            mark_int(s, v.operand(1), v);
        }
        LLVMInsertElement => {
            flow_both(s, v, v.operand(0));
            flow_both(s, v, v.operand(1));
            mark_int(s, v.operand(2), v);
        }
        LLVMShuffleVector => {
            flow_both(s, v, v.operand(0));
            flow_both(s, v, v.operand(1));
        }
        LLVMRet if v.num_operands() == 1 => {
            let f = v.function_of();
            let op = v.operand(0);
            let t = s.tree(op);
            s.add_return(f, &t, v);
            let r = s.return_tree(f);
            s.add(op, &r, v);
        }
        LLVMAtomicRMW => {
            let (p, val) = (v.operand(0), v.operand(1));
            flow_both(s, v, val);
            memory_access(s, v, p, val);
        }
        _ => {}
    }
}

/// The root type of an operand; small integer constants count as Integer
/// (no pointer lives in the first page).
fn root(s: &Solver, v: Value) -> BaseType {
    match v.const_int() {
        Some(c) if c.unsigned_abs() < 4096 => INTEGER,
        Some(_) => BaseType::Unknown,
        None => s.tree(v).root(),
    }
}

fn mark_int(s: &mut Solver, v: Value, cause: Value) {
    s.add(v, &TypeTree::scalar(INTEGER), cause);
}

/// `a` and `b` hold the same thing (phi/select operands, vector lanes).
fn flow_both(s: &mut Solver, a: Value, b: Value) {
    if b.const_int().is_some() || b.is_undef() {
        return;
    }
    let tb = s.tree(b);
    s.add(a, &tb, a);
    let ta = s.tree(a);
    s.add(b, &ta, a);
}

/// Casts that keep the bits: the whole tree flows both ways; the root only
/// when both sides have scalars of one size (no `<2 x float>` to `double`).
fn same_bits(s: &mut Solver, v: Value) {
    let op = v.operand(0);
    let (from, to) = (op.ty(), v.ty());
    let roots_agree = s.layout.store_size(from.scalar()) == s.layout.store_size(to.scalar());
    let keep = |t: TypeTree| if roots_agree { t } else { t.without_roots() };
    let fwd = keep(s.tree(op));
    s.add(v, &fwd, v);
    let bwd = keep(s.tree(v));
    s.add(op, &bwd, v);
}

fn load(s: &mut Solver, v: Value) {
    let p = v.operand(0);
    if let Some(t) = tbaa::access_tree(v) {
        let mut ignored = Vec::new();
        let hinted = s
            .layout
            .value_from_memory(&t.map_first(|_| Some(0)), v.ty(), &mut ignored);
        s.add(v, &hinted, v);
    }
    string_fields(s, v, p);
    declared_integer(s, v, v);
    memory_access(s, v, p, v);
}

fn store(s: &mut Solver, v: Value) {
    let (val, p) = (v.operand(0), v.operand(1));
    if let Some(t) = tbaa::access_tree(v) {
        let mut ignored = Vec::new();
        let hinted = s
            .layout
            .value_from_memory(&t.map_first(|_| Some(0)), val.ty(), &mut ignored);
        s.add(val, &hinted, v);
    }
    string_fields(s, v, p);
    declared_integer(s, v, val);
    memory_access(s, v, p, val);
}

/// The metadata kind (`!{i64 1}`) of a load or store ferment made to move
/// a record's integer field (the plugin's `retype::split_record_copies`,
/// from the field's declared type): it moves an integer.
pub const DECLARED_INTEGER: &str = "ferment.integer_field";

/// A load or store marked [`DECLARED_INTEGER`]: its value is an integer.
fn declared_integer(s: &mut Solver, inst: Value, val: Value) {
    if val.ty().is_integer() && inst.md_int(DECLARED_INTEGER).is_some() {
        s.add(val, &TypeTree::scalar(BaseType::Integer), inst);
    }
}

/// A load or store that its `!tbaa` tag places inside a libstdc++
/// `std::string` (`tbaa::string_access`): `p` points into a string, whose
/// fields are known whatever the access reads: the data pointer, the
/// length, and 16 bytes holding either the short string's characters or
/// the capacity (integers both). Without it, the union's bytes (read and
/// written through `omnipotent char` tags) stay unknown in strings that
/// only move (`std::stable_sort` of structs holding strings).
fn string_fields(s: &mut Solver, inst: Value, p: Value) {
    let Some(off) = tbaa::string_access(inst) else {
        return;
    };
    let ptr = s.layout.pointer_size();
    let mut string = TypeTree::new();
    let _ = string.insert(&[0], POINTER);
    for at in [ptr, 2 * ptr, 2 * ptr + 8] {
        let _ = string.insert(&[at], INTEGER);
    }
    s.add(p, &TypeTree::pointer_to(&string.shift(-off)), inst);
}

/// `val` is read from or written to the memory at `p`: both trees agree.
fn memory_access(s: &mut Solver, inst: Value, p: Value, val: Value) {
    let ty = val.ty();
    let mem = s.layout.memory_from_value(&s.tree(val), ty);
    s.add(p, &TypeTree::pointer_to(&mem), inst);
    let mut conflicts = Vec::new();
    let loaded = s
        .layout
        .value_from_memory(&s.tree(p).pointee(), ty, &mut conflicts);
    s.add(val, &loaded, inst);
}

/// The metadata kind (`!{i64 1}`) of the zero-offset GEP the plugin puts
/// on the object pointer of each branch of a virtual call's dispatcher
/// (`dispatch::lower_class_views`): the object as one candidate class's
/// method sees it. Each branch's view gets its own tree, so the classes'
/// different fields at one offset (an `int` in one, a `double` in
/// another) do not meet in the methods' code; they still meet in the
/// dispatched pointer's own tree.
pub const CLASS_VIEW: &str = "ferment.class_view";

/// A GEP marked [`CLASS_VIEW`], or a call so marked (the plugin's marker
/// call that becomes such a GEP, as it stands in a dispatcher function):
/// a view of its first operand.
pub fn is_class_view(v: Value) -> bool {
    v.is_instruction()
        && matches!(v.opcode(), Opcode::LLVMGetElementPtr | Opcode::LLVMCall)
        && v.num_operands() >= 2
        && v.md_int(CLASS_VIEW).is_some()
}

/// A class view of `v.operand(0)`: what the branch's code needs goes back
/// to the object; what the caller knows comes in only once the views' own
/// facts are complete, and not where they disagree
/// (`Solver::forward_into_view`).
pub(crate) fn class_view(s: &mut Solver, v: Value) {
    let base = v.operand(0);
    s.add(v, &TypeTree::scalar(POINTER), v);
    let back = TypeTree::pointer_to(&s.tree(v).pointee());
    s.add(base, &back, v);
    if s.forward_views {
        s.forward_into_view(v, base);
    }
}

/// Smallest array stride the GEP rule treats as periodic memory (a byte
/// walker says nothing about the layout of what it walks).
const MIN_STRIDE: i64 = 2;
/// Bytes of periodic memory spelled out from a pointer into an array (the
/// widest vector access).
const STRIDE_WINDOW: i64 = 32;

/// GEP: the result's memory is the base's memory shifted by the offset.
/// With several candidate offsets (`select` of two fields), the result
/// sees only what all candidates agree on, and gives back only what lies
/// before the next candidate (otherwise each round would smear the fields
/// further apart).
fn gep(s: &mut Solver, v: Value) {
    let base = v.operand(0);
    if is_class_view(v) {
        class_view(s, v);
        return;
    }
    let GepOffset { offsets, .. } = s.layout.gep_offset(v);
    s.add(v, &TypeTree::scalar(POINTER), v);
    if let [off] = offsets[..] {
        match s
            .array_stride(base)
            .filter(|st| off != 0 && *st >= MIN_STRIDE)
        {
            // `base` walks an array: the elements around it look alike, so
            // `v` sees them rotated by `off` (also `p[-1]`, which `shift`
            // cannot say), and a cycle of such steps adds no entries
            // further out each round (they would crowd the trees)
            Some(st) => {
                let fwd = s
                    .tree(base)
                    .pointee()
                    .periodic_shift(off, st, STRIDE_WINDOW);
                s.add(v, &TypeTree::pointer_to(&fwd), v);
                let bwd = s.tree(v).pointee().periodic_shift(-off, st, STRIDE_WINDOW);
                s.add(base, &TypeTree::pointer_to(&bwd), v);
            }
            None => {
                let fwd = s.tree(base).pointee().shift(-off);
                s.add(v, &TypeTree::pointer_to(&fwd), v);
                let bwd = s.tree(v).pointee().shift(off);
                s.add(base, &TypeTree::pointer_to(&bwd), v);
            }
        }
    } else if offsets.len() > 1 {
        let data = s.tree(base).pointee();
        let views: Vec<TypeTree> = offsets.iter().map(|o| data.shift(-o)).collect();
        let agreed = views[0].filter(|p, t| views[1..].iter().all(|w| w.lookup(p) == t));
        s.add(v, &TypeTree::pointer_to(&agreed), v);
        let gap = offsets.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(1);
        let mine = s.tree(v).pointee().filter(|p, _| (0..gap).contains(&p[0]));
        for off in offsets {
            s.add(base, &TypeTree::pointer_to(&mine.shift(off)), v);
        }
    }
    for idx in v.operands().into_iter().skip(1) {
        if idx.const_int().is_none() && !idx.ty().is_vector() {
            mark_int(s, idx, v);
        }
    }
}

/// Phi: incoming values and the phi hold the same thing, except that a
/// pointer stepped by a constant each iteration (`p.next = gep p, 8`)
/// walks an array: its elements fold onto one stride of the phi's memory,
/// which keeps the fixed point finite.
fn phi(s: &mut Solver, v: Value) {
    for (inc, _) in v.incoming() {
        if inc.const_int().is_some() || inc.is_undef() {
            continue;
        }
        if v.ty().is_pointer() {
            if let Some(step) = constant_offset_from(&s.layout, inc, v).filter(|c| *c != 0) {
                let t = s.tree(inc);
                let one_stride = t.pointee().shift_range(0, Some(step.abs()), 0);
                let mut folded = TypeTree::pointer_to(&one_stride);
                let mut ignored = Vec::new();
                folded.merge_in(&t.roots_only(), &mut ignored);
                s.add(v, &folded, v);
                // and the next element looks like this one
                let here = s.tree(v).pointee().shift_range(0, Some(step.abs()), 0);
                s.add(inc, &TypeTree::pointer_to(&here), v);
                continue;
            }
        }
        flow_both(s, v, inc);
    }
}

/// Pointer arithmetic on integers: pointer ± integer is a pointer,
/// pointer − pointer and integer ± integer are integers.
fn add_sub(s: &mut Solver, v: Value) {
    let (a, b) = (v.operand(0), v.operand(1));
    let (ta, tb, tr) = (root(s, a), root(s, b), root(s, v));
    let is_sub = v.opcode() == Opcode::LLVMSub;
    // integers narrower than a pointer never carry one
    let scalar = v.ty().scalar();
    let narrow = scalar.is_integer() && s.layout.store_size(scalar) < s.layout.pointer_size();
    if narrow && (ta == INTEGER || tb == INTEGER || tr == INTEGER) {
        for x in [v, a, b] {
            mark_int(s, x, v);
        }
        return;
    }
    let result = match (ta, tb) {
        (POINTER, INTEGER) => POINTER,
        (INTEGER, POINTER) if !is_sub => POINTER,
        (POINTER, POINTER) if is_sub => INTEGER,
        (INTEGER, INTEGER) => INTEGER,
        _ => BaseType::Unknown,
    };
    s.add(v, &TypeTree::scalar(result), v);
    match tr {
        INTEGER if !is_sub => {
            mark_int(s, a, v);
            mark_int(s, b, v);
        }
        INTEGER if tb == INTEGER => mark_int(s, a, v),
        INTEGER if ta == INTEGER => mark_int(s, b, v),
        POINTER if is_sub => {
            s.add(a, &TypeTree::scalar(POINTER), v);
            mark_int(s, b, v);
        }
        POINTER if ta == INTEGER => s.add(b, &TypeTree::scalar(POINTER), v),
        POINTER if tb == INTEGER => s.add(a, &TypeTree::scalar(POINTER), v),
        _ => {}
    }
}

/// and/or/xor: integers stay integers; a mask applied to float bits
/// (fabs/fneg written with integers) keeps the float; `p & 7` is an
/// integer, `p & -8` a pointer.
fn bitwise(s: &mut Solver, v: Value) {
    let (a, b) = (v.operand(0), v.operand(1));
    let (ta, tb) = (root(s, a), root(s, b));
    if ta == INTEGER && tb == INTEGER {
        mark_int(s, v, v);
        return;
    }
    for (x, c) in [(a, b), (b, a)] {
        let Some(mask) = c.const_int() else { continue };
        let tx = s.tree(x).root();
        let small_and = v.opcode() == Opcode::LLVMAnd && (0..4096).contains(&mask);
        let r = match tx {
            BaseType::Float(_) => tx,
            POINTER if small_and => INTEGER,
            POINTER if v.opcode() == Opcode::LLVMAnd => POINTER,
            INTEGER => INTEGER,
            _ if small_and => INTEGER,
            _ => BaseType::Unknown,
        };
        s.add(v, &TypeTree::scalar(r), v);
    }
}

fn extract_value(s: &mut Solver, v: Value) {
    let agg = v.operand(0);
    let (off, fty) = s.layout.aggregate_field(agg.ty(), &v.extract_indices());
    let size = s.layout.alloc_size(fty);
    let part = s.tree(agg).shift_range(off, Some(size), -off);
    let mut conflicts = Vec::new();
    let fwd = s.layout.value_from_memory(&part, fty, &mut conflicts);
    s.add(v, &fwd, v);
    let bwd = s.layout.memory_from_value(&s.tree(v), fty).shift(off);
    s.add(agg, &bwd, v);
}

fn insert_value(s: &mut Solver, v: Value) {
    let (agg, elem) = (v.operand(0), v.operand(1));
    let (off, fty) = s.layout.aggregate_field(v.ty(), &v.extract_indices());
    let size = s.layout.alloc_size(fty);
    let rest = s.tree(agg).outside(off, size);
    s.add(v, &rest, v);
    let placed = s.layout.memory_from_value(&s.tree(elem), fty).shift(off);
    s.add(v, &placed, v);
    let back_rest = s.tree(v).outside(off, size);
    s.add(agg, &back_rest, v);
    let mut conflicts = Vec::new();
    let back_elem = s.layout.value_from_memory(
        &s.tree(v).shift_range(off, Some(size), -off),
        fty,
        &mut conflicts,
    );
    s.add(elem, &back_elem, v);
}
