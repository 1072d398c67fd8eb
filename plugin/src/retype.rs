//! Typed memory accesses, from type analysis.
//!
//! Role: before activity analysis, rewrite memory accesses whose IR type
//! hides what they move. At -O2, LLVM turns small `memcpy`s and struct
//! copies into integer loads and stores (`load i64` of a `double`); a
//! derivative must know the bytes are a `double` (or a pointer, whose
//! shadow must travel along). Where type analysis proves the memory holds
//! one float or pointer of the access's size, the access is rewritten to
//! that type. Integer accesses that stay ambiguous are reported by
//! [`check_integer_copies`] rather than differentiated wrongly.

use crate::error::{Error, Result};
use crate::frontend::request::DerivativeKey;
use ferment_ir::{Builder, Module, Opcode, Type, Value};
use ferment_type_analysis::{BaseType, FloatKind, FunctionTypes, TypeConflict, TypeTree};

/// The IR type of a float kind.
fn float_type(ctx: llvm_sys::prelude::LLVMContextRef, k: FloatKind) -> Option<Type> {
    use llvm_sys::core::*;
    Some(Type(unsafe {
        match k {
            FloatKind::Half => LLVMHalfTypeInContext(ctx),
            FloatKind::BFloat => LLVMBFloatTypeInContext(ctx),
            FloatKind::Float => LLVMFloatTypeInContext(ctx),
            FloatKind::Double => LLVMDoubleTypeInContext(ctx),
            FloatKind::X86Fp80 => LLVMX86FP80TypeInContext(ctx),
            FloatKind::Fp128 => LLVMFP128TypeInContext(ctx),
            FloatKind::PpcFp128 => return None,
        }
    }))
}

/// The IR float type of a base type, when it is a float.
pub fn ir_float(module: Module, t: BaseType) -> Option<Type> {
    match t {
        BaseType::Float(k) => float_type(module.context(), k),
        _ => None,
    }
}

/// What the `bytes` bytes at `p` hold, when it is one scalar of that size.
fn scalar_at(module: Module, types: &FunctionTypes, p: Value, bytes: u64) -> Option<Type> {
    let ctx = module.context();
    match types.memory_at(p, 0) {
        BaseType::Float(k) if k.store_size() == bytes => float_type(ctx, k),
        BaseType::Pointer if bytes == 8 => Some(Type::ptr(ctx)),
        _ => None,
    }
}

/// A recorded contradiction about the memory `p` reaches (through `p` or
/// the objects it is derived from) in which one side is a float: the
/// analysis kept one of the two types, so the other reading may be wrong.
pub fn float_conflict(types: &FunctionTypes, p: Value) -> Option<&TypeConflict> {
    let objects = conflict_objects(p);
    types.conflicts().iter().find(|c| {
        let t = &c.conflict;
        t.path.len() >= 2
            && (t.existing.is_float() || t.incoming.is_float())
            && objects.contains(&c.value)
    })
}

/// The class view ([`ferment_type_analysis::rules::CLASS_VIEW`]) that `p`
/// is a constant offset from (through GEPs and casts), if any: the object
/// as one branch of a virtual call's dispatcher sees it.
fn class_view_of(p: Value) -> Option<Value> {
    let mut v = p;
    for _ in 0..32 {
        if ferment_type_analysis::rules::is_class_view(v) {
            return Some(v);
        }
        let steps = (v.is_instruction() || v.is_constant_expr())
            && matches!(
                v.opcode(),
                Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast
            );
        if !steps {
            return None;
        }
        v = v.operand(0);
    }
    None
}

/// The values whose recorded contradictions doubt the memory at `p`: `p`
/// and the objects it is derived from; for memory reached from a class
/// view, the view instead of the object pointer it views (whose tree joins
/// every candidate class's fields: the contradictions that concern one
/// class are recorded on its view, `Solver::view_conflicts`).
fn conflict_objects(p: Value) -> Vec<Value> {
    if let Some(view) = class_view_of(p) {
        return vec![view, p];
    }
    let mut objects = ferment_activity_analysis::underlying_objects(p);
    objects.push(p);
    objects
}

/// [`float_conflict`] for a load of `bytes` bytes at `p` whose type is
/// `known` to be an integer or a pointer: a conflict in the object's own
/// bytes counts where it may overlap those read (a constant offset from
/// the object apart from them does not), and a deeper one (memory reached
/// through a pointer stored in the object) only when the bytes read are
/// not known (a hash table's bucket points either at a node or at the
/// table's own `_M_before_begin`, beyond which lie the table's fields, so
/// the node's double and the table's float meet there).
fn float_conflict_over(
    module: Module,
    types: &FunctionTypes,
    p: Value,
    bytes: i64,
    known: bool,
) -> Option<&TypeConflict> {
    let objects = conflict_objects(p);
    let layout = ferment_type_analysis::Layout::new(module);
    let (root, off) = ferment_type_analysis::base_and_offset(&layout, p);
    let root = class_view_of(p).unwrap_or(root);
    types.conflicts().iter().find(|c| {
        let t = &c.conflict;
        let float = t.path.len() >= 2
            && (t.existing.is_float() || t.incoming.is_float())
            && objects.contains(&c.value);
        if !float || !known {
            return float;
        }
        match t.path[..] {
            [_, at] if root == c.value && at != ferment_type_analysis::tree::ANY => {
                // a float recorded at its first byte spans at most 16
                at < off + bytes && off < at + 16
            }
            [_, _] => true,
            _ => false,
        }
    })
}

/// The float type that loose typing assumes for an untyped `bytes`-byte
/// scalar.
fn loose_float(module: Module, bytes: u64) -> Option<Type> {
    let kind = match bytes {
        8 => FloatKind::Double,
        4 => FloatKind::Float,
        2 => FloatKind::Half,
        _ => return None,
    };
    float_type(module.context(), kind)
}

/// Under `-enzyme-loose-types`: the float type to read an integer copy
/// from `p` as, when the memory's type is unknown or contradictory.
fn loose_copy_type(module: Module, types: &FunctionTypes, p: Value, bytes: u64) -> Option<Type> {
    let held = types.memory_at(p, 0);
    let doubtful = matches!(held, BaseType::Unknown | BaseType::Anything)
        || float_conflict(types, p).is_some();
    if doubtful {
        loose_float(module, bytes)
    } else {
        None
    }
}

/// What is known about the memory behind the parameters of `f`, whose
/// body is the canonical copy of `key.function`: from the calling
/// derivative (`key.arg_types`), or else from the original function's own
/// context (its callers and the `__enzyme_*` call sites).
fn parameter_seeds(module: Module, f: Value, key: &DerivativeKey) -> Vec<(Value, TypeTree)> {
    let params = f.params();
    let n = key.activities.len().min(params.len());
    let mut seeds = Vec::new();
    if !key.arg_types.is_empty() {
        for (i, text) in key.arg_types.iter().enumerate().take(n) {
            if let Ok(t) = text.parse::<TypeTree>() {
                seeds.push((params[i], t));
            }
        }
        return seeds;
    }
    if key.function.is_declaration() {
        return seeds;
    }
    let outer = outer_types(module, key.function);
    for (i, p) in key.function.params().into_iter().enumerate().take(n) {
        if p.ty().is_pointer() {
            let t = crate::derive::argument_memory(&outer.tree(p));
            if !t.is_empty() {
                seeds.push((params[i], t));
            }
        }
    }
    seeds
}

/// An analysis [`outer_types`] keeps, with a handle on each function it
/// covers.
struct Outer {
    module: Module,
    types: std::rc::Rc<FunctionTypes>,
    functions: Vec<crate::shim::Watched>,
}

thread_local! {
    /// Analyses of original functions in their own context, made during
    /// one module run (see [`outer_types`]). One whose functions are not all
    /// alive any more is dropped before a look-up: the run deletes
    /// functions (analysis copies, helpers, derivatives of failed requests)
    /// and a new function made at a deleted one's address would count as
    /// covered by an analysis that never saw it.
    static OUTER: std::cell::RefCell<Vec<Outer>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Forgets the analyses [`outer_types`] kept (at the start and end of a
/// module run: the IR they describe changes between runs).
pub fn forget_outer_types() {
    OUTER.with(|c| c.borrow_mut().clear());
}

/// Type analysis of the original function `f` with its callees and the
/// functions that call it or request its derivative. One analysis covers
/// every function whose context it contains (`f` and each function using
/// it): a derivative's callees mostly lie inside the closure of the
/// function that calls them, and at -O0 (Eigen) analyzing each callee's
/// closure again took most of the compile time. The analysis is
/// context-insensitive, so a larger closure only adds call sites whose
/// facts agree with the ones already there.
fn outer_types(module: Module, f: Value) -> std::rc::Rc<FunctionTypes> {
    let users: Vec<Value> = f
        .users()
        .into_iter()
        .filter(|u| u.is_instruction())
        .map(|u| u.function_of())
        .collect();
    let found = OUTER.with(|c| {
        let mut c = c.borrow_mut();
        c.retain(|o| o.functions.iter().all(|w| w.alive()));
        c.iter()
            .find(|o| {
                o.module == module && o.types.covers(f) && users.iter().all(|&u| o.types.covers(u))
            })
            .map(|o| o.types.clone())
    });
    if let Some(t) = found {
        return t;
    }
    let t = std::rc::Rc::new(ferment_type_analysis::TypeAnalysis::run(module, f));
    let functions = t
        .functions()
        .iter()
        .map(|&g| crate::shim::Watched::new(g))
        .collect();
    OUTER.with(|c| {
        c.borrow_mut().push(Outer {
            module,
            types: t.clone(),
            functions,
        })
    });
    t
}

fn analyze(module: Module, f: Value, seeds: &[(Value, TypeTree)]) -> FunctionTypes {
    let mut ta = ferment_type_analysis::TypeAnalysis::new(module).root(f);
    for (v, t) in seeds {
        ta = ta.seed(*v, t.clone());
    }
    // BLAS and LAPACK arrays hold floats of the routine's precision
    for blk in f.blocks() {
        for inst in blk.instructions() {
            let Some((prec, arrays)) = crate::rules::blas::float_arrays(inst) else {
                continue;
            };
            let kind = match prec {
                crate::rules::blas::Prec::S => FloatKind::Float,
                crate::rules::blas::Prec::D => FloatKind::Double,
            };
            let elems = TypeTree::leaf(&[ferment_type_analysis::tree::ANY], BaseType::Float(kind));
            for a in arrays {
                ta = ta.seed(a, TypeTree::pointer_to(&elems));
            }
        }
    }
    ta.solve()
}

/// Type analysis of `f` (the body of the derivative for `key`), after
/// rewriting integer copies into typed ones. With `loose`
/// (`-enzyme-loose-types`), copies of memory whose type is unknown or
/// contradictory are taken to move floats, with a warning.
pub fn analyze_and_retype(
    module: Module,
    f: Value,
    key: &DerivativeKey,
    loose: bool,
) -> FunctionTypes {
    let _t = crate::timing::scope("type analysis");
    let started = crate::timing::enabled().then(std::time::Instant::now);
    let seeds = parameter_seeds(module, f, key);
    let types = analyze(module, f, &seeds);
    let types = if retype_integer_copies(module, f, &types, loose) > 0 {
        analyze(module, f, &seeds)
    } else {
        types
    };
    if let Some(started) = started {
        crate::timing::note(|| {
            format!(
                "type analysis of {}: {:.1} ms, {} functions, {} visits, largest tree {}",
                f.name(),
                started.elapsed().as_secs_f64() * 1e3,
                types.functions().len(),
                types.visits(),
                types.largest_tree()
            )
        });
    }
    types
}

/// Rewrites integer loads that only feed stores (pure copies), and integer
/// constants stored, into accesses of the type the memory holds.
pub fn retype_integer_copies(
    module: Module,
    f: Value,
    types: &FunctionTypes,
    loose: bool,
) -> usize {
    let b = Builder::new(module);
    let mut changed = 0;
    let mut erased = hashbrown::HashSet::new();
    for inst in f.instructions() {
        if erased.contains(&inst) {
            continue;
        }
        match inst.opcode() {
            Opcode::LLVMLoad if inst.ty().is_integer() && inst.ty().int_width() >= 16 => {
                let users = inst.users();
                let copies = !users.is_empty()
                    && users
                        .iter()
                        .all(|u| u.opcode() == Opcode::LLVMStore && u.operand(0) == inst);
                if !copies {
                    continue;
                }
                let bytes = u64::from(inst.ty().int_width() / 8);
                let src = inst.operand(0);
                // A pointer copy carries the pointer's shadow: only a
                // conflict in the bytes copied stops it, not one in the
                // memory it points to (the elements of a vector of
                // `unique_ptr`s to different layer classes, relocated to a
                // grown buffer, point to a double or a pointer at the same
                // offset).
                let conflict = |ty: Type| {
                    if ty.is_pointer() {
                        float_conflict_over(module, types, src, bytes as i64, true).is_some()
                    } else {
                        float_conflict(types, src).is_some()
                    }
                };
                let ty = match scalar_at(module, types, src, bytes) {
                    Some(ty) if !conflict(ty) => ty,
                    _ if loose => match loose_copy_type(module, types, src, bytes) {
                        Some(ty) => {
                            let msg = format!(
                                "treating the {bytes}-byte integer copy '{}' as a copy of {} (-enzyme-loose-types: the memory's type is {})",
                                show(inst),
                                ty.describe(),
                                describe_doubt(types, src)
                            );
                            crate::shim::report_warning(module, &Error::at(inst, msg).to_string());
                            ty
                        }
                        None => continue,
                    },
                    // Contradictory memory stays an integer copy (reported
                    // by `check_integer_copies` when it matters).
                    _ => continue,
                };
                // The destinations must not be known to hold something else.
                if !loose
                    && users.iter().any(|s| {
                        let t = types.memory_at(s.operand(1), 0);
                        t.is_concrete() && scalar_at(module, types, s.operand(1), bytes) != Some(ty)
                    })
                {
                    continue;
                }
                b.before(inst);
                let typed = b.load_like(ty, inst.operand(0), inst);
                crate::fwdsplit::carry_number(inst, typed);
                for s in users {
                    b.before(s);
                    let typed_store = b.store_like(typed, s.operand(1), s);
                    crate::fwdsplit::carry_number(s, typed_store);
                    erased.insert(s);
                    s.erase();
                }
                inst.erase();
                changed += 1;
            }
            // A packet of floats moved through an integer vector (SSE's
            // integer shuffles on `double` data): loaded as the floats the
            // memory holds when every use moves whole floats.
            Opcode::LLVMLoad if inst.ty().is_vector() && inst.ty().scalar().is_integer() => {
                let src = inst.operand(0);
                let BaseType::Float(k) = types.memory_at(src, 0) else {
                    continue;
                };
                let Some(elem) = float_type(module.context(), k) else {
                    continue;
                };
                let bits = u64::from(inst.ty().vector_len() * inst.ty().scalar().int_width());
                let size = k.store_size() * 8;
                if float_conflict(types, src).is_some() || size == 0 || bits % size != 0 {
                    continue;
                }
                let vty =
                    Type(unsafe { llvm_sys::core::LLVMVectorType(elem.0, (bits / size) as u32) });
                if reinterpreted_as_float(inst, Some(vty)) != Some(vty) {
                    continue;
                }
                // What `retype_uses` may erase, three levels of users deep
                // (a shuffle, its integer view or sign operation, their users):
                // the deepest ones it keeps use floats, which no case here takes.
                for u in inst.users() {
                    erased.insert(u);
                    for c in u.users() {
                        erased.insert(c);
                        erased.extend(c.users());
                    }
                }
                b.before(inst);
                let typed = b.load_like(vty, src, inst);
                crate::fwdsplit::carry_number(inst, typed);
                retype_uses(&b, inst, typed);
                changed += 1;
            }
            // A float moved as an integer merged by a phi (at -O2, a copy
            // of a double on one branch, a double stored on the other:
            // `phi i64 [load i64 %src], [bitcast double %x]` stored into
            // memory holding doubles): the phi of the floats.
            Opcode::LLVMPHI if inst.ty().is_integer() && inst.ty().int_width() >= 16 => {
                let Some(web) = retype_integer_phi(module, types, &b, inst) else {
                    continue;
                };
                let mut incoming_loads = Vec::new();
                for &(old, typed) in &web {
                    for s in old.users() {
                        if s.opcode() != Opcode::LLVMStore {
                            continue;
                        }
                        b.before(s);
                        let typed_store = b.store_like(typed, s.operand(1), s);
                        crate::fwdsplit::carry_number(s, typed_store);
                        erased.insert(s);
                        s.erase();
                    }
                    incoming_loads.extend(old.incoming().into_iter().map(|(v, _)| v));
                }
                // The old phis now only use each other.
                for &(old, _) in &web {
                    old.replace_all_uses_with(b.poison(old.ty()));
                }
                for &(old, _) in &web {
                    erased.insert(old);
                    old.erase();
                }
                for v in incoming_loads {
                    if v.is_instruction()
                        && matches!(v.opcode(), Opcode::LLVMLoad | Opcode::LLVMBitCast)
                        && v.users().is_empty()
                        && !erased.contains(&v)
                    {
                        erased.insert(v);
                        v.erase();
                    }
                }
                changed += 1;
            }
            Opcode::LLVMStore => {
                let v = inst.operand(0);
                if !v.ty().is_integer() || !v.is_constant() || v.ty().int_width() < 16 {
                    continue;
                }
                let bytes = u64::from(v.ty().int_width() / 8);
                let Some(ty) = scalar_at(module, types, inst.operand(1), bytes) else {
                    continue;
                };
                if !ty.is_float() {
                    continue;
                }
                b.before(inst);
                let typed = Value(unsafe { llvm_sys::core::LLVMConstBitCast(v.0, ty.0) });
                let typed_store = b.store_like(typed, inst.operand(1), inst);
                crate::fwdsplit::carry_number(inst, typed_store);
                inst.erase();
                changed += 1;
            }
            _ => {}
        }
    }
    changed
}

/// The float phis standing for the integer phi `phi` and the integer phis
/// it is merged with (a loop-carried copy of a double kept in a register at
/// -O2: `phi i64 [bitcast double %x], [phi i64 ...]`), when they only carry
/// one float's bits into memory type analysis knows holds that float: every
/// use is a store there or another phi of the web, and every incoming value
/// is a phi of the web, the float bitcast to an integer, an integer load
/// used by the web alone (of memory not known to hold anything else), or a
/// constant. Returns the pairs (old, new), the new phis filled in, or None
/// (and changes nothing) otherwise.
fn retype_integer_phi(
    module: Module,
    types: &FunctionTypes,
    b: &Builder,
    phi: Value,
) -> Option<Vec<(Value, Value)>> {
    let is_int_phi =
        |v: Value| v.is_instruction() && v.opcode() == Opcode::LLVMPHI && v.ty() == phi.ty();
    // The web: phis reached through uses and incoming values.
    let mut web = vec![phi];
    let mut k = 0;
    while k < web.len() {
        let p = web[k];
        k += 1;
        let next = p
            .users()
            .into_iter()
            .chain(p.incoming().into_iter().map(|(v, _)| v))
            .filter(|&v| is_int_phi(v));
        for v in next {
            if !web.contains(&v) {
                if web.len() >= 64 {
                    return None;
                }
                web.push(v);
            }
        }
    }
    let mut stores = Vec::new();
    for &p in &web {
        for u in p.users() {
            if web.contains(&u) {
                continue;
            }
            if u.opcode() != Opcode::LLVMStore || u.operand(0) != p {
                return None;
            }
            stores.push(u);
        }
    }
    let first = stores.first()?;
    let bytes = u64::from(phi.ty().int_width() / 8);
    let ty = scalar_at(module, types, first.operand(1), bytes).filter(|t| t.is_float())?;
    if stores.iter().any(|s| {
        scalar_at(module, types, s.operand(1), bytes) != Some(ty)
            || float_conflict(types, s.operand(1)).is_some()
    }) {
        return None;
    }
    let fits = |v: Value| {
        if v.is_constant() {
            return !v.is_constant_expr();
        }
        if !v.is_instruction() {
            return false;
        }
        match v.opcode() {
            Opcode::LLVMPHI => web.contains(&v),
            Opcode::LLVMBitCast => v.operand(0).ty() == ty,
            Opcode::LLVMLoad => {
                let src = v.operand(0);
                let held = types.memory_at(src, 0);
                v.users().iter().all(|u| web.contains(u))
                    && (!held.is_concrete() || scalar_at(module, types, src, bytes) == Some(ty))
                    && float_conflict(types, src).is_none()
            }
            _ => false,
        }
    };
    if !web
        .iter()
        .all(|p| p.incoming().iter().all(|(v, _)| fits(*v)))
    {
        return None;
    }
    let pairs: Vec<(Value, Value)> = web
        .iter()
        .map(|&p| {
            b.before(p);
            (p, b.phi(ty, "float.bits"))
        })
        .collect();
    let typed_of = |v: Value| pairs.iter().find(|(o, _)| *o == v).map(|(_, t)| *t);
    for &(old, typed) in &pairs {
        for (v, blk) in old.incoming() {
            let tv = if let Some(t) = typed_of(v) {
                t
            } else if v.is_constant() {
                Value(unsafe { llvm_sys::core::LLVMConstBitCast(v.0, ty.0) })
            } else if v.opcode() == Opcode::LLVMBitCast {
                v.operand(0)
            } else {
                b.before(v);
                let load = b.load_like(ty, v.operand(0), v);
                crate::fwdsplit::carry_number(v, load);
                load
            };
            typed.add_incoming(tv, blk);
        }
    }
    Some(pairs)
}

/// SIMD code that moves floating-point packets as integer vectors (Eigen
/// loads `double` packets with integer loads and bitcasts them): an
/// integer load whose every use reinterprets it as one floating-point type
/// becomes a load of that type, and a floating-point value bitcast to
/// integers for a store is stored as it is, as is a pointer stored as the
/// integer of its address; an `and`/`xor`/`or` of such integers with the
/// sign mask (SSE2's `pabs`/`pnegate`) becomes `fabs`/`fneg` of the floats.
/// Run on a canonical copy before
/// it is simplified (which would fold the bitcasts into integer shuffles).
pub fn retype_reinterpreted_memory(f: Value) -> usize {
    let module = f.global_parent();
    let b = Builder::new(module);
    // Decided first, rewritten after: a rewrite erases later instructions.
    let mut loads = Vec::new();
    let mut casts = Vec::new();
    let mut stores = Vec::new();
    for inst in f.instructions() {
        match inst.opcode() {
            Opcode::LLVMLoad => {
                if let Some(ty) = reinterpreted_as_float(inst, None) {
                    loads.push((inst, ty));
                }
            }
            // Floats viewed as integers only to be shuffled and viewed as
            // the same floats again (SSE's `_mm_shuffle_epi32` on a
            // `double` packet).
            Opcode::LLVMBitCast
                if inst.operand(0).ty().is_fp_like()
                    && inst.ty().scalar().is_integer()
                    && reinterpreted_as_float(inst, Some(inst.operand(0).ty()))
                        == Some(inst.operand(0).ty()) =>
            {
                casts.push(inst);
            }
            Opcode::LLVMStore => {
                let v = inst.operand(0);
                // (A cast taken above has its stores rewritten with it.)
                if v.is_instruction()
                    && v.opcode() == Opcode::LLVMBitCast
                    && v.ty().scalar().is_integer()
                    && v.operand(0).ty().is_fp_like()
                    && !casts.contains(&v)
                {
                    stores.push(inst);
                }
                // A pointer stored as the integer of its address (a
                // `std::unique_ptr` moved into a vector's new buffer): the
                // memory holds that pointer, whose shadow must be stored
                // beside it.
                if v.is_instruction()
                    && v.opcode() == Opcode::LLVMPtrToInt
                    && v.operand(0).ty().is_pointer()
                    && !v.ty().is_vector()
                    && u64::from(v.ty().int_width()) == 8 * module.alloc_size(v.operand(0).ty())
                {
                    stores.push(inst);
                }
            }
            _ => {}
        }
    }
    // A store laid out before its cast's block was taken before the cast was:
    // the cast's rewrite erases it.
    stores.retain(|s| !casts.contains(&s.operand(0)));
    let changed = loads.len() + casts.len() + stores.len();
    for (inst, ty) in loads {
        b.before(inst);
        let typed = b.load_like(ty, inst.operand(0), inst);
        crate::fwdsplit::carry_number(inst, typed);
        retype_uses(&b, inst, typed);
    }
    for inst in casts {
        retype_uses(&b, inst, inst.operand(0));
    }
    for inst in stores {
        let v = inst.operand(0);
        b.before(inst);
        let typed_store = b.store_like(v.operand(0), inst.operand(1), inst);
        crate::fwdsplit::carry_number(inst, typed_store);
        inst.erase();
        if !v.has_uses() {
            v.erase();
        }
    }
    changed
}

/// Replaces `inst` (integers that every use reinterprets as floats, see
/// [`reinterpreted_as_float`]) by `typed`, the same bits as floats: its
/// bitcasts become `typed`, its shuffles of whole float-sized groups the
/// same shuffles of the floats; `inst` is erased.
fn retype_uses(b: &Builder, inst: Value, typed: Value) {
    let module = b.module();
    let ty = typed.ty();
    let ratio = (module.alloc_size(ty.scalar()) as u32 * 8 / inst.ty().scalar().int_width()) as i32;
    for u in inst.users() {
        if u.opcode() == Opcode::LLVMBitCast {
            u.replace_all_uses_with(typed);
            u.erase();
            continue;
        }
        if let Some((op, which)) = sign_op(u, inst) {
            retype_sign_op(b, u, typed, op, &which);
            continue;
        }
        if u.opcode() == Opcode::LLVMStore {
            b.before(u);
            let typed_store = b.store_like(typed, u.operand(1), u);
            crate::fwdsplit::carry_number(u, typed_store);
            u.erase();
            continue;
        }
        b.before(u);
        let lanes: Vec<i32> = u
            .shuffle_mask()
            .chunks(ratio as usize)
            .map(|g| if g[0] < 0 { -1 } else { g[0] / ratio })
            .collect();
        let shuffled = b.shuffle(typed, b.poison(ty), b.const_mask(&lanes));
        for c in u.users() {
            if let Some((op, which)) = sign_op(c, u) {
                retype_sign_op(b, c, shuffled, op, &which);
                continue;
            }
            // Integers as wide as the floats (`regrouped_as_floats`).
            if c.opcode() == Opcode::LLVMBitCast && c.ty().scalar().is_integer() {
                for d in c.users() {
                    if let Some((op, which)) = sign_op(d, c) {
                        retype_sign_op(b, d, shuffled, op, &which);
                    } else {
                        d.replace_all_uses_with(shuffled);
                        d.erase();
                    }
                }
                c.erase();
                continue;
            }
            if c.opcode() == Opcode::LLVMStore {
                b.before(c);
                let typed_store = b.store_like(shuffled, c.operand(1), c);
                crate::fwdsplit::carry_number(c, typed_store);
            } else {
                c.replace_all_uses_with(shuffled);
            }
            c.erase();
        }
        u.erase();
    }
    inst.erase();
}

/// What an `and`/`xor`/`or` of an integer view of floats does to their sign.
#[derive(Clone, Copy)]
enum SignOp {
    /// `and` with every bit but the sign: `fabs`.
    Abs,
    /// `xor` with the sign bit: `fneg`.
    Negate,
    /// `or` with the sign bit: `-fabs`.
    NegativeAbs,
}

/// The sign operation `op` applies to `x` (one of its operands), and the
/// lanes it applies to: the other operand is a constant whose every lane is
/// the sign mask of the lane width or the operation's identity.
fn sign_op(op: Value, x: Value) -> Option<(SignOp, Vec<bool>)> {
    if !op.is_instruction() || op.num_operands() != 2 {
        return None;
    }
    let mask = match (op.operand(0), op.operand(1)) {
        (a, m) if a == x => m,
        (m, a) if a == x => m,
        _ => return None,
    };
    let width = x.ty().scalar().int_width();
    if !(16..=64).contains(&width) || !mask.is_constant() {
        return None;
    }
    let sign = i64::MIN >> (64 - width);
    let lane = |c: Value| -> Option<i64> { c.const_int() };
    let lanes: Vec<i64> = if x.ty().is_vector() {
        (0..x.ty().vector_len())
            .map(|i| mask.aggregate_element(i).and_then(lane))
            .collect::<Option<_>>()?
    } else {
        vec![lane(mask)?]
    };
    // Each lane is the operation's mask or its identity (a lane left as it
    // is: Eigen's `pnegate` of one lane of a packet, `{0, sign}`); at least
    // one lane is the mask.
    let (kind, active, identity) = match op.opcode() {
        Opcode::LLVMAnd => (SignOp::Abs, !sign, -1),
        Opcode::LLVMXor => (SignOp::Negate, sign, 0),
        Opcode::LLVMOr => (SignOp::NegativeAbs, sign, 0),
        _ => return None,
    };
    if !lanes.iter().all(|&l| l == active || l == identity) || !lanes.contains(&active) {
        return None;
    }
    let which = lanes.iter().map(|&l| l == active).collect();
    Some((kind, which))
}

/// The floats `typed` after the sign operation `op` of [`sign_op`] on the
/// lanes `which` marks (the others as they are), built before `at`.
fn signed_floats(b: &Builder, at: Value, typed: Value, op: SignOp, which: &[bool]) -> Value {
    let ty = typed.ty();
    b.before(at);
    b.set_debug_loc_from(at);
    let abs = || b.intrinsic("llvm.fabs", &[ty], &[typed]);
    let signed = match op {
        SignOp::Abs => abs(),
        SignOp::Negate => b.fneg(typed),
        SignOp::NegativeAbs => b.fneg(abs()),
    };
    if which.iter().all(|&w| w) {
        return signed;
    }
    // Some lanes only: take the others from `typed`.
    let n = which.len() as i32;
    let lanes: Vec<i32> = which
        .iter()
        .enumerate()
        .map(|(i, &w)| if w { n + i as i32 } else { i as i32 })
        .collect();
    b.shuffle(typed, signed, b.const_mask(&lanes))
}

/// Replaces the sign operation `u` (see [`sign_op`]) on an integer view of
/// `typed` and the bitcasts of its result to floats by those floats after
/// the operation; `u` is erased.
fn retype_sign_op(b: &Builder, u: Value, typed: Value, op: SignOp, which: &[bool]) {
    let signed = signed_floats(b, u, typed, op, which);
    for c in u.users() {
        c.replace_all_uses_with(signed);
        c.erase();
    }
    u.erase();
}

/// Whether every use of `op`, a sign operation on integer lanes of type
/// `int` (see [`sign_op`]), bitcasts its result to floats as wide as those
/// lanes, of the type `agree` accepts (and records).
fn viewed_as_floats(op: Value, int: Type, agree: &mut impl FnMut(Type) -> bool) -> bool {
    let casts = op.users();
    !casts.is_empty()
        && casts.iter().all(|c| {
            c.is_instruction()
                && c.opcode() == Opcode::LLVMBitCast
                && agree(c.ty())
                && c.ty().scalar().float_bits() == int.int_width()
        })
}

/// Whether every use of `c`, a bitcast of shuffled integer lanes to
/// integer lanes of another width, views them as floats as wide as its
/// lanes (of the type `agree` accepts): directly by a bitcast or after a
/// sign operation ([`sign_op`]).
fn regrouped_as_floats(c: Value, agree: &mut impl FnMut(Type) -> bool) -> bool {
    let int = c.ty().scalar();
    if c.opcode() != Opcode::LLVMBitCast
        || !int.is_integer()
        || c.ty().is_vector() != c.operand(0).ty().is_vector()
    {
        return false;
    }
    let users = c.users();
    !users.is_empty()
        && users.iter().all(|d| {
            d.is_instruction()
                && ((d.opcode() == Opcode::LLVMBitCast
                    && agree(d.ty())
                    && d.ty().scalar().float_bits() == int.int_width())
                    || (sign_op(*d, c).is_some() && viewed_as_floats(*d, int, agree)))
        })
}

/// The floating-point type an integer (or integer vector) load `inst` holds
/// when every use reinterprets it as that type: directly by a bitcast, or
/// after a shuffle that moves whole float-sized groups of its lanes (then
/// bitcast to floats of the same element type).
fn reinterpreted_as_float(inst: Value, known: Option<Type>) -> Option<Type> {
    let int = inst.ty().scalar();
    if !int.is_integer() || int.int_width() == 0 {
        return None;
    }
    let mut float: Option<Type> = known;
    let mut agree = |t: Type| -> bool {
        if !t.is_fp_like() || t.is_vector() != inst.ty().is_vector() {
            return false;
        }
        match float {
            Some(f) => f.scalar() == t.scalar(),
            None => {
                float = Some(t);
                true
            }
        }
    };
    let users = inst.users();
    if users.is_empty() {
        return None;
    }
    for u in &users {
        if !u.is_instruction() {
            return None;
        }
        match u.opcode() {
            Opcode::LLVMBitCast if agree(u.ty()) => {}
            // Stored as it is: a copy of the bytes.
            Opcode::LLVMStore if u.operand(0) == inst => {}
            // Eigen's `pabs`/`pnegate` on an integer view of a packet:
            // `and` with all bits but the sign, `xor`/`or` with the sign
            // bit, viewed as floats again.
            Opcode::LLVMAnd | Opcode::LLVMXor | Opcode::LLVMOr if sign_op(*u, inst).is_some() => {
                if !viewed_as_floats(*u, int, &mut agree) {
                    return None;
                }
            }
            Opcode::LLVMShuffleVector if u.operand(0) == inst && u.operand(1).is_undef() => {
                // Viewed as floats again, or stored as they are (the same
                // bytes, so the same floats in memory), or a sign operation
                // on lanes as wide as the floats viewed as floats (SSE2's
                // `_mm_shuffle_epi32` splat of a `double` then `pnegate`
                // of one lane, in Eigen's 2x2 inverse), also after a
                // bitcast to integers as wide as the floats (that shuffle
                // in 32-bit lanes, then `_mm_xor_pd`'s 64-bit lanes).
                let casts = u.users();
                if casts.is_empty()
                    || !casts.iter().all(|c| {
                        c.is_instruction()
                            && ((c.opcode() == Opcode::LLVMBitCast && agree(c.ty()))
                                || (c.opcode() == Opcode::LLVMStore && c.operand(0) == *u)
                                || (sign_op(*c, *u).is_some()
                                    && viewed_as_floats(*c, int, &mut agree))
                                || regrouped_as_floats(*c, &mut agree))
                    })
                {
                    return None;
                }
            }
            _ => return None,
        }
    }
    // The load's own float type: as many floats as fit in its bits, and
    // shuffles that move whole floats.
    let elem = float?.scalar();
    let module = inst.function_of().global_parent();
    let bits = module.alloc_size(elem) as u32 * 8;
    let total = inst.ty().vector_len().max(1) * int.int_width();
    if !bits.is_multiple_of(int.int_width()) || !total.is_multiple_of(bits) {
        return None;
    }
    let ratio = (bits / int.int_width()) as usize;
    let whole = users.iter().all(|u| {
        u.opcode() != Opcode::LLVMShuffleVector
            || u.shuffle_mask().chunks(ratio).all(|g| {
                g.len() == ratio
                    && (g.iter().all(|&l| l < 0)
                        || (g[0] >= 0
                            && g[0] % ratio as i32 == 0
                            && g.iter().enumerate().all(|(k, &l)| l == g[0] + k as i32)))
            })
    });
    if !whole {
        return None;
    }
    let n = total / bits;
    Some(if inst.ty().is_vector() {
        Type(unsafe { llvm_sys::core::LLVMVectorType(elem.0, n) })
    } else {
        elem
    })
}

/// Whether the load `inst` of `src` reads, at a constant offset, past the
/// end of the stack slot `src` points into: such a load never runs in a
/// program without undefined behaviour (it is a path for another rank in
/// flang's descriptor helpers, inlined where the descriptor's rank is
/// another), so no derivative moves through it.
fn past_stack_slot(module: Module, inst: Value, src: Value) -> bool {
    let layout = ferment_type_analysis::Layout::new(module);
    let (base, off) = ferment_type_analysis::base_and_offset(&layout, src);
    base.is_instruction()
        && base.opcode() == Opcode::LLVMAlloca
        && base.operand(0).const_int() == Some(1)
        && off + layout.store_size(inst.ty()) > layout.alloc_size(base.allocated_type())
}

/// Whether the bytes the integer load `inst` reads at `src`, a constant
/// offset into a stack slot, only ever hold integers: every store into the
/// slot that may write one of them (at a constant offset, or at offsets
/// scalar evolution bounds) stores an integer constant or a value type
/// analysis knows to be an integer, and the slot's address goes nowhere
/// else (no call, copy or escape may write it). The padding of a struct
/// copied field by field (`struct { double a[4]; int n; }`: four bytes
/// after `n`, zeroed by its initializer) is such memory, even while a loop
/// writes the array at variable indices before it.
fn written_as_integers_only(
    module: Module,
    types: &FunctionTypes,
    inst: Value,
    src: Value,
) -> bool {
    let layout = ferment_type_analysis::Layout::new(module);
    let (root, off) = ferment_type_analysis::base_and_offset(&layout, src);
    if !(root.is_instruction()
        && root.opcode() == Opcode::LLVMAlloca
        && root.operand(0).const_int() == Some(1))
    {
        return false;
    }
    let end = off + layout.store_size(inst.ty());
    let mut pointers = vec![root];
    let mut stores = Vec::new();
    let mut k = 0;
    while k < pointers.len() {
        let p = pointers[k];
        k += 1;
        for u in p.users() {
            if !u.is_instruction() {
                return false;
            }
            match u.opcode() {
                Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast
                    if u.operand(0) == p =>
                {
                    if !pointers.contains(&u) {
                        pointers.push(u);
                    }
                }
                Opcode::LLVMLoad => {}
                Opcode::LLVMStore if u.operand(1) == p && u.operand(0) != p => stores.push(u),
                Opcode::LLVMCall if u.called_name().starts_with("llvm.lifetime.") => {}
                _ => return false,
            }
        }
    }
    let addresses: Vec<Value> = stores.iter().map(|st| st.operand(1)).collect();
    let ranges = crate::shim::offset_ranges(inst.function_of(), root, &addresses);
    stores.iter().zip(ranges).all(|(st, range)| {
        let v = st.operand(0);
        let size = layout.store_size(v.ty());
        let (base, at) = ferment_type_analysis::base_and_offset(&layout, st.operand(1));
        let (lo, hi) = match (base == root).then_some(at) {
            Some(o) => (o, o + size),
            None => match range {
                Some((lo, hi)) => (lo, hi.saturating_add(size)),
                None => return false,
            },
        };
        let apart = hi <= off || end <= lo;
        apart
            || (v.ty().is_integer()
                && (v.const_int().is_some() || types.tree(v).root() == BaseType::Integer))
    })
}

/// Reverse mode cannot move adjoints through integers: an integer copy
/// between shadowed memory that type analysis says (or cannot rule out)
/// holds floats is an error, never a silently dropped derivative.
/// With `loose` (`-enzyme-loose-types`) such a read is a warning instead:
/// the copies were already taken as floats, and what is left reads bits
/// for integer arithmetic, through which no derivative flows.
pub fn check_integer_copies(
    module: Module,
    f: Value,
    types: &FunctionTypes,
    is_shadowed: &dyn Fn(Value) -> bool,
    loose: bool,
) -> Result<()> {
    for inst in f.instructions() {
        let scalar = inst.ty().scalar();
        if inst.opcode() != Opcode::LLVMLoad || !scalar.is_integer() || scalar.int_width() < 32 {
            continue;
        }
        let src = inst.operand(0);
        if !is_shadowed(src) || past_stack_slot(module, inst, src) {
            continue;
        }
        // Bits that are only compared, or counted with (a container's
        // size: `n + 1`, `n * 8`), carry no derivative: no float's bits
        // leave the load unchanged.
        if only_counted(inst, src, &mut Vec::new()) {
            continue;
        }
        let feeds_shadowed_store = inst.users().iter().any(|u| {
            u.opcode() == Opcode::LLVMStore && u.operand(0) == inst && is_shadowed(u.operand(1))
        });
        let held = types.memory_at(src, 0);
        let float_bits = held.is_float();
        // A conflict deeper than the object's own bytes is about memory
        // reached through a pointer stored in it (a hash table's bucket
        // pointing either at a node or at the table's own `_M_before_begin`,
        // beyond which lie the table's fields): it does not doubt bytes
        // known to hold an integer or a pointer.
        let known = matches!(held, BaseType::Integer | BaseType::Pointer);
        let bytes = module.alloc_size(inst.ty()) as i64;
        let conflict = float_conflict_over(module, types, src, bytes, known);
        if float_bits
            || conflict.is_some()
            || (feeds_shadowed_store
                && !matches!(held, BaseType::Integer | BaseType::Pointer)
                && !written_as_integers_only(module, types, inst, src))
        {
            let what = format!(
                "'{}' reads memory that may hold floating-point data as an integer (the memory's type is {})",
                show(inst),
                describe_doubt(types, src)
            );
            if loose {
                let msg = format!("{what}; no derivative flows through it (-enzyme-loose-types)");
                crate::shim::report_warning(module, &Error::at(inst, msg).to_string());
                continue;
            }
            return Err(Error::at(
                inst,
                format!("{what}; its derivative would be lost"),
            )
            .hint("copy floating-point data with typed assignments (or memcpy of whole arrays), not through integer types; or, if this memory holds floats, pass -mllvm -enzyme-loose-types to treat it as such"));
        }
    }
    Ok(())
}

/// Whether every use of integer `v`, read from `from` (through phis and
/// selects), treats it as a number (see [`counts_with`]) or puts it back
/// where it was read.
fn only_counted(v: Value, from: Value, seen: &mut Vec<Value>) -> bool {
    if seen.contains(&v) {
        return true;
    }
    seen.push(v);
    v.users().into_iter().all(|u| match u.opcode() {
        // Width changes keep it a number; what the wider or narrower value
        // is used for is checked in turn.
        Opcode::LLVMPHI | Opcode::LLVMSExt | Opcode::LLVMZExt | Opcode::LLVMTrunc => {
            only_counted(u, from, seen)
        }
        Opcode::LLVMSelect if u.operand(0) != v => only_counted(u, from, seen),
        Opcode::LLVMStore => u.operand(0) == v && u.operand(1) == from,
        _ => counts_with(u, v),
    })
}

/// Whether `u` uses integer `v` as a number (a comparison, or arithmetic
/// that changes it), not as bits to move.
fn counts_with(u: Value, v: Value) -> bool {
    let other = |u: Value| {
        let ops = u.operands();
        if ops.first() == Some(&v) {
            ops.get(1).copied()
        } else {
            ops.first().copied()
        }
    };
    match u.opcode() {
        // Comparisons, and numeric conversions (`(double)l.size()`).
        Opcode::LLVMICmp | Opcode::LLVMSwitch | Opcode::LLVMUIToFP | Opcode::LLVMSIToFP => true,
        Opcode::LLVMAdd | Opcode::LLVMSub => other(u).is_some_and(|o| o.const_int() != Some(0)),
        Opcode::LLVMMul | Opcode::LLVMUDiv | Opcode::LLVMSDiv => {
            other(u).is_some_and(|o| o.const_int() != Some(1))
        }
        _ => false,
    }
}

/// An instruction as messages show it (without metadata).
fn show(v: Value) -> String {
    let d = v.describe();
    d.split(", !").next().unwrap_or(&d).trim().to_string()
}

/// What type analysis says about the memory at `p`, for messages.
fn describe_doubt(types: &FunctionTypes, p: Value) -> String {
    match float_conflict(types, p) {
        Some(c) => format!("contradictory: {c}"),
        None => format!("{}", types.memory_at(p, 0)),
    }
}

/// What a `memcpy`/`memmove` moves, as far as derivatives care.
#[derive(Clone, Debug, PartialEq)]
pub enum CopyLayout {
    /// Floats of one type only (arrays): adjoints move element by element.
    Floats(Type),
    /// A constant-size copy of mixed fields: floats (with their type) and
    /// pointers at these byte offsets.
    Fields {
        floats: Vec<(u64, Type)>,
        pointers: Vec<u64>,
    },
    /// No floats at all; `pointers` when some bytes are pointers (whose
    /// shadows must be copied along).
    NoFloats { pointers: bool },
    /// Type analysis knows nothing.
    Unknown,
    /// Pointers and floats are known, but not what the bytes from offset
    /// `at` hold (an array element or a field the function never reads).
    Ambiguous { at: u64 },
}

/// A constant-size `memcpy`/`memmove` between fields of C or C++ records,
/// addressed by clang's struct GEPs (at -O0, the implicit copy or move
/// constructor copies a run of trivially copyable fields, `{double v, w}`
/// after a `std::string`, with one `memcpy`), becomes a typed load and
/// store per field: the canonicalization pipeline turns those GEPs into
/// byte offsets, after which nothing tells what the copied bytes hold
/// when no other access in the function reads them. All loads come
/// before the stores (as a `memmove`). Only copies that hold a float and
/// cover whole scalar fields of records without unions change.
pub fn split_record_copies(f: Value) -> usize {
    let module = f.global_parent();
    let mut copies = Vec::new();
    for inst in f.instructions() {
        if !inst.is_call() {
            continue;
        }
        let name = inst.called_name();
        if !(name.starts_with("llvm.memcpy.") || name.starts_with("llvm.memmove."))
            || name.starts_with("llvm.memcpy.inline")
        {
            continue;
        }
        let args = inst.call_args();
        let (Some(n), Some(0)) = (args[2].const_int(), args[3].const_int()) else {
            continue;
        };
        if n <= 0 {
            continue;
        }
        let fields = record_copy_fields(module, inst, n as u64).or_else(|| {
            let ctx = module.context();
            let tag = inst.md_ints(RECORD_COPY_TAG)?;
            let fields: Option<Vec<(u64, Type)>> = tag
                .chunks(2)
                .map(|c| match *c {
                    [off, code] if off >= 0 && off < n => {
                        Some((off as u64, type_of_code(ctx, code)?))
                    }
                    _ => None,
                })
                .collect();
            fields.filter(|f| !f.is_empty())
        });
        if let Some(fields) = fields {
            copies.push((inst, fields));
        }
    }
    let b = Builder::new(module);
    for (inst, fields) in &copies {
        let args = inst.call_args();
        let (dst_align, src_align) = (inst.call_arg_align(0).max(1), inst.call_arg_align(1).max(1));
        b.before(*inst);
        b.set_debug_loc_from(*inst);
        let align = |base: u64, off: u64| -> u32 {
            let a = if off == 0 {
                base
            } else {
                base.min(1 << off.trailing_zeros())
            };
            a.min(1 << 16) as u32
        };
        let values: Vec<Value> = fields
            .iter()
            .map(|(off, ty)| {
                let l = b.load(*ty, b.gep_i8(args[1], *off));
                b.set_alignment(l, align(src_align, *off));
                l
            })
            .collect();
        for ((off, ty), v) in fields.iter().zip(values) {
            let st = b.store(v, b.gep_i8(args[0], *off));
            b.set_alignment(st, align(dst_align, *off));
            if ty.is_integer() {
                // (an integer access alone does not say the memory holds
                // no float)
                v.set_md_int(ferment_type_analysis::rules::DECLARED_INTEGER, 1);
                st.set_md_int(ferment_type_analysis::rules::DECLARED_INTEGER, 1);
            }
        }
        inst.erase();
    }
    copies.len()
}

/// The metadata kind under which [`tag_record_copies`] records a copy's
/// fields: pairs of byte offset and [`type_code`].
const RECORD_COPY_TAG: &str = "ferment.fields";

/// The fields a constant-size copy `inst` of `len` bytes moves, by the
/// record types its GEPs name ([`declared_fields`]), when one is a float.
fn record_copy_fields(module: Module, inst: Value, len: u64) -> Option<Vec<(u64, Type)>> {
    let args = inst.call_args();
    let d = declared_fields(module, args[0], len);
    let s = declared_fields(module, args[1], len);
    let fields = match (d, s) {
        (Some(a), Some(b)) if a != b => return None,
        (a, b) => a.or(b)?,
    };
    fields.iter().any(|(_, t)| t.is_float()).then_some(fields)
}

/// A scalar type as a number: its bit width for an integer, 0 for a
/// pointer, minus its width for a float (-17 for bfloat).
fn type_code(ty: Type) -> Option<i64> {
    if ty.is_integer() {
        Some(i64::from(ty.int_width()))
    } else if ty.is_pointer() {
        Some(0)
    } else if ty.kind() == llvm_sys::LLVMTypeKind::LLVMBFloatTypeKind {
        Some(-17)
    } else if ty.is_float() && ty.float_bits() > 0 && ty.float_bits() != 128 {
        Some(-i64::from(ty.float_bits()))
    } else {
        None
    }
}

/// The type [`type_code`] numbered `code`.
fn type_of_code(ctx: llvm_sys::prelude::LLVMContextRef, code: i64) -> Option<Type> {
    match code {
        0 => Some(Type::ptr(ctx)),
        1..=128 if code % 8 == 0 => Some(Type::int(ctx, code as u32)),
        -16 => float_type(ctx, FloatKind::Half),
        -17 => float_type(ctx, FloatKind::BFloat),
        -32 => float_type(ctx, FloatKind::Float),
        -64 => float_type(ctx, FloatKind::Double),
        -80 => float_type(ctx, FloatKind::X86Fp80),
        _ => None,
    }
}

/// At the start of the host pipeline (before optimization turns clang's
/// struct GEPs into byte offsets), records on each constant-size copy
/// between record fields that holds a float ([`record_copy_fields`]) what
/// those fields are, as `!ferment.fields` metadata that inlining and
/// optimization carry along; [`split_record_copies`] reads it when
/// ferment prepares a function. It touches nothing else.
pub fn tag_record_copies(module: Module) -> bool {
    if !crate::struct_params::needs_tags(module) {
        return false;
    }
    let mut changed = false;
    for f in module.functions() {
        if f.is_declaration() {
            continue;
        }
        for inst in f.instructions() {
            if !inst.is_call() {
                continue;
            }
            let name = inst.called_name();
            if !(name.starts_with("llvm.memcpy.p") || name.starts_with("llvm.memmove.p")) {
                continue;
            }
            let Some(n) = inst.call_args()[2].const_int().filter(|n| *n > 0) else {
                continue;
            };
            let Some(fields) = record_copy_fields(module, inst, n as u64) else {
                continue;
            };
            let codes: Option<Vec<i64>> = fields
                .iter()
                .map(|(o, t)| Some([*o as i64, type_code(*t)?]))
                .collect::<Option<Vec<_>>>()
                .map(|v| v.concat());
            if let Some(codes) = codes {
                inst.set_md_ints(RECORD_COPY_TAG, &codes);
                changed = true;
            }
        }
    }
    changed
}

/// The scalar fields (byte offset from `p`, type) in the `len` bytes at
/// `p`, by the LLVM type of the record `p` points into: `p` is a GEP with
/// constant indices into a named C or C++ struct or class (clang's record
/// types), or such a record whole ([`whole_record`]), and the bytes cover
/// whole scalar fields (padding aside, which the split copy skips). A
/// union anywhere in the record (whose LLVM type shows one member only),
/// or a field other than an integer, float or pointer, gives `None`.
fn declared_fields(module: Module, p: Value, len: u64) -> Option<Vec<(u64, Type)>> {
    fn record(ty: Type) -> bool {
        ty.struct_name()
            .is_some_and(|n| n.starts_with("struct.") || n.starts_with("class."))
    }
    /// The scalar leaves of `ty` at `base`; a union or a leaf of another
    /// type counts as opaque (`None`) over its whole size.
    fn leaves(
        layout: &ferment_type_analysis::Layout,
        ty: Type,
        base: i64,
        out: &mut Vec<(i64, i64, Option<Type>)>,
    ) {
        let opaque = (base, layout.alloc_size(ty), None);
        if ty.is_struct() {
            if ty.struct_name().is_some_and(|n| n.starts_with("union.")) {
                out.push(opaque);
                return;
            }
            for (i, f) in ty.struct_fields().into_iter().enumerate() {
                leaves(layout, f, base + layout.field_offset(ty, i as u32), out);
            }
        } else if ty.is_array() && ty.array_len() <= 256 {
            let stride = layout.alloc_size(ty.element_type());
            for i in 0..ty.array_len() {
                leaves(layout, ty.element_type(), base + i as i64 * stride, out);
            }
        } else if ty.is_float()
            || ty.is_pointer()
            || (ty.is_integer() && ty.int_width().is_multiple_of(8))
        {
            out.push((base, layout.store_size(ty), Some(ty)));
        } else {
            out.push(opaque);
        }
    }
    if len > 4096 {
        return None;
    }
    let layout = ferment_type_analysis::Layout::new(module);
    let (record_ty, off) = if p.is_instruction() && p.opcode() == Opcode::LLVMGetElementPtr {
        let at = layout.gep_offset(p);
        let [off] = at.offsets[..] else {
            return None;
        };
        if !at.exact {
            return None;
        }
        (p.gep_source_element_type(), off)
    } else {
        (whole_record(p), 0)
    };
    let record_ty = record_ty.filter(|t| record(*t))?;
    let size = layout.alloc_size(record_ty);
    if off < 0 || size <= 0 || size > 1 << 16 {
        return None;
    }
    // (a constant first index steps over whole records)
    let off = off % size;
    let mut all = Vec::new();
    leaves(&layout, record_ty, 0, &mut all);
    let end = off + len as i64;
    if end > size {
        return None;
    }
    let mut fields = Vec::new();
    for (o, bytes, t) in all {
        if o + bytes <= off || o >= end {
            continue;
        }
        match t {
            Some(t) if o >= off && o + bytes <= end => fields.push(((o - off) as u64, t)),
            _ => return None,
        }
    }
    (!fields.is_empty() && fields.len() <= 32).then_some(fields)
}

/// The record type of the whole object `p` is, as clang declares it: a
/// local variable (`alloca %struct.V`), or a parameter passed or returned
/// by value (`byval(%struct.V)`, `sret(%struct.V)`). Clang copies such
/// objects with one `memcpy` of their size (`v = step(v)`).
fn whole_record(p: Value) -> Option<Type> {
    if p.is_instruction() && p.opcode() == Opcode::LLVMAlloca {
        return (p.operand(0).const_int() == Some(1)).then(|| p.allocated_type());
    }
    if !p.is_argument() {
        return None;
    }
    let f = p.param_function();
    let i = f.params().iter().position(|q| *q == p)? as u32;
    f.param_type_attribute(i, "byval")
        .or_else(|| f.param_type_attribute(i, "sret"))
}

/// The layout of the bytes `memcpy(dst, src, len)` copies.
pub fn copy_layout(
    module: Module,
    types: &FunctionTypes,
    dst: Value,
    src: Value,
    len: Value,
) -> CopyLayout {
    let layout = layout_of_copy(module, types, dst, src, len);
    let size = len.const_int().filter(|n| *n > 0).map(|n| n as u64);
    let pointers: Vec<u64> = match &layout {
        CopyLayout::Fields { pointers, .. } => pointers.clone(),
        // (which slots hold the pointers is not said: any of them)
        CopyLayout::NoFloats { pointers: true } => {
            (0..size.unwrap_or(8).min(4096)).step_by(8).collect()
        }
        _ => return layout,
    };
    match pointer_float_conflict(module, types, [dst, src], &pointers, size) {
        Some(at) => CopyLayout::Ambiguous { at },
        None => layout,
    }
}

/// Where a copy thought to move pointers at `pointers` (offsets into the
/// copy) may move floats instead: type analysis recorded a contradiction
/// between a pointer and a float in the bytes copied of `ends`' objects and
/// kept the pointer. The same bytes then hold a pointer on some paths and
/// a float on others (a `std::function`'s `_Any_data`: a pointer to the
/// functor, or the doubles a lambda captured by value); moving shadow
/// pointers only would drop the float's adjoint, moving adjoints would add
/// shadow pointers as doubles. `size`: the bytes copied, where constant
/// (else every byte from the pointer on counts).
fn pointer_float_conflict(
    module: Module,
    types: &FunctionTypes,
    ends: [Value; 2],
    pointers: &[u64],
    size: Option<u64>,
) -> Option<u64> {
    if pointers.is_empty() {
        return None;
    }
    let layout = ferment_type_analysis::Layout::new(module);
    ends.into_iter().find_map(|p| {
        let (root, off) = ferment_type_analysis::base_and_offset(&layout, p);
        let root = class_view_of(p).unwrap_or(root);
        types.conflicts().iter().find_map(|c| {
            let t = &c.conflict;
            let kinds = (t.existing, t.incoming);
            let pointer_float = matches!(kinds, (BaseType::Pointer, BaseType::Float(_)))
                || matches!(kinds, (BaseType::Float(_), BaseType::Pointer));
            if !pointer_float || c.value != root {
                return None;
            }
            let [_, at] = t.path[..] else {
                return None;
            };
            let end = size.map_or(i64::MAX, |n| off.saturating_add(n as i64));
            if at != ferment_type_analysis::tree::ANY && !(off..end).contains(&at) {
                return None;
            }
            let copied = if at == ferment_type_analysis::tree::ANY {
                0
            } else {
                (at - off) as u64
            };
            // the pointer slot the float's bytes overlap
            pointers
                .iter()
                .copied()
                .find(|o| copied < o + 8 && *o < copied + 8)
                .or((at == ferment_type_analysis::tree::ANY).then_some(pointers[0]))
        })
    })
}

/// [`copy_layout`] before the check for pointers that may be floats.
fn layout_of_copy(
    module: Module,
    types: &FunctionTypes,
    dst: Value,
    src: Value,
    len: Value,
) -> CopyLayout {
    let size = len.const_int().filter(|n| *n > 0 && *n <= 4096);
    let span = size.unwrap_or(1 << 30);
    let mut entries: Vec<(i64, BaseType)> = types.memory_types(src, 0, span);
    entries.extend(types.memory_types(dst, 0, span));
    let ctx = module.context();
    let mut floats: Vec<(u64, Type)> = Vec::new();
    let mut pointers: Vec<u64> = Vec::new();
    let mut any_stride_float: Option<Type> = None;
    let mut any_stride_ptr = false;
    let mut known = false;
    let mut integers = false;
    let mut integer_offsets: Vec<u64> = Vec::new();
    for (off, t) in entries {
        match t {
            BaseType::Float(k) => {
                known = true;
                let Some(ty) = float_type(ctx, k) else {
                    continue;
                };
                if off < 0 {
                    any_stride_float = Some(ty);
                } else if !floats.iter().any(|(o, _)| *o == off as u64) {
                    floats.push((off as u64, ty));
                }
            }
            BaseType::Pointer => {
                known = true;
                if off < 0 {
                    any_stride_ptr = true;
                } else if !pointers.contains(&(off as u64)) {
                    pointers.push(off as u64);
                }
            }
            BaseType::Integer => {
                known = true;
                integers = true;
                if off >= 0 {
                    integer_offsets.push(off as u64);
                }
            }
            _ => {}
        }
    }
    if !known {
        return CopyLayout::Unknown;
    }
    let float_kinds: Vec<Type> = floats
        .iter()
        .map(|(_, t)| *t)
        .chain(any_stride_float)
        .collect();
    let has_ptr = any_stride_ptr || !pointers.is_empty();
    if float_kinds.is_empty() {
        // Only integers (or pointers) known, but not every slot of the
        // copy: a struct whose array field is written through a variable
        // index (which type analysis does not map back onto the struct)
        // next to an integer field. The floats the objects are used with
        // elsewhere (or a float reading the analysis dropped as
        // contradictory) fill the slots nothing is known about; moving a
        // zero adjoint where the bytes are something else is harmless.
        let conflict = [src, dst].into_iter().find_map(|p| {
            float_conflict(types, p).and_then(|c| {
                [c.conflict.existing, c.conflict.incoming]
                    .into_iter()
                    .find_map(|t| match t {
                        BaseType::Float(k) => float_type(ctx, k),
                        _ => None,
                    })
            })
        });
        let lost = conflict.or_else(|| crate::reverse::memory::guess_float_type(&[src, dst]));
        if let (Some(kind), Some(n), false) = (lost, size, any_stride_ptr) {
            let elem = module.alloc_size(kind).max(1);
            let starts: Vec<u64> = pointers.iter().chain(&integer_offsets).copied().collect();
            let gaps: Vec<u64> = (0..n as u64 / elem)
                .map(|k| k * elem)
                .filter(|o| !starts.iter().any(|st| (*o..*o + elem).contains(st)))
                .collect();
            if !gaps.is_empty() {
                if has_ptr {
                    return CopyLayout::Ambiguous { at: gaps[0] };
                }
                let floats = gaps.into_iter().map(|o| (o, kind)).collect();
                return CopyLayout::Fields {
                    floats,
                    pointers: Vec::new(),
                };
            }
        }
        return CopyLayout::NoFloats { pointers: has_ptr };
    }
    let one_kind = float_kinds.iter().all(|t| *t == float_kinds[0]);
    if !has_ptr && one_kind && (any_stride_float.is_some() || size.is_none()) {
        return CopyLayout::Floats(float_kinds[0]);
    }
    match size {
        Some(n) if !any_stride_ptr && any_stride_float.is_none() => {
            floats.retain(|(o, t)| *o + module.alloc_size(*t) <= n as u64);
            pointers.retain(|o| *o + 8 <= n as u64);
            if pointers.is_empty() && one_kind && !floats.is_empty() {
                // Constant-size copy of floats only.
                let elem = module.alloc_size(floats[0].1);
                let all_float = floats.len() as u64 * elem == n as u64;
                // Type analysis often knows only the first element of an array reached
                // through a variable index (`p[i]`): when the copied bytes hold nothing else
                // known (no integers, no pointers) and the floats sit at element-aligned
                // offsets, this copies an array of them. Copying only the known offsets would
                // drop the other elements' adjoints.
                let array_like = !integers
                    && elem > 0
                    && (n as u64).is_multiple_of(elem)
                    && floats.iter().all(|(o, _)| o.is_multiple_of(elem));
                if all_float || array_like {
                    return CopyLayout::Floats(floats[0].1);
                }
            }
            // Element slots nothing is known about: type analysis describes
            // an array field indexed by a variable (`s.a[i]`) by its first
            // element, so the others look like unknown bytes. With floats of
            // one kind and no pointers they are taken as such floats (moving
            // a zero adjoint where the bytes are something else is harmless);
            // next to pointers they are ambiguous.
            if let Some(&(_, kind)) = floats.first().filter(|_| one_kind) {
                let elem = module.alloc_size(kind).max(1);
                let starts: Vec<u64> = floats
                    .iter()
                    .map(|(o, _)| *o)
                    .chain(pointers.iter().copied())
                    .chain(integer_offsets.iter().copied())
                    .collect();
                let gaps: Vec<u64> = (0..n as u64 / elem)
                    .map(|k| k * elem)
                    .filter(|o| !starts.iter().any(|st| (*o..*o + elem).contains(st)))
                    .collect();
                if !gaps.is_empty() {
                    if !pointers.is_empty() {
                        return CopyLayout::Ambiguous { at: gaps[0] };
                    }
                    floats.extend(gaps.into_iter().map(|o| (o, kind)));
                }
            }
            floats.sort_by_key(|(o, _)| *o);
            pointers.sort();
            CopyLayout::Fields { floats, pointers }
        }
        _ => CopyLayout::Unknown,
    }
}
