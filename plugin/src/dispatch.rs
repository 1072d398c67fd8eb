//! Indirect calls in a canonical copy.
//!
//! Role: a call through a function pointer that optimization could not
//! resolve (a C++ virtual call, a callback kept in a struct field or a
//! global, an allocator reached through a pointer) has no callee the
//! generators can differentiate. Here such a call becomes a call of a
//! dispatcher, `ferment.dispatch.N`, that compares the pointer with every
//! function of the module whose address is taken and whose type is the
//! call's, and calls the one it equals directly. A C++ virtual call (a
//! function pointer loaded at a constant offset from a loaded pointer, the
//! object's vtable pointer) only compares with the functions at that slot
//! of the module's virtual tables ([`VtableSlots`]), besides those whose
//! address is also taken elsewhere. With few candidates the inliner then
//! brings their bodies in, so each target is differentiated like any direct
//! call, and the branch taken is ordinary control flow the reverse sweep
//! replays; with many ([`INLINE_CANDIDATES`]) the dispatcher and its
//! targets stay calls, each differentiated once however many call sites
//! use them. A pointer equal to none of them (a function of another
//! translation unit, not visible when the derivative was compiled) is
//! still called (marked [`UNSEEN`]); where that call could carry a
//! derivative, the generators replace it by a stop with a message
//! ([`stop_unseen_targets`]) rather than give a derivative without that
//! call's contribution.

use ferment_ir::{Builder, IntPredicate, Module, Opcode, Type, Value};
use ferment_type_analysis::Layout;
use hashbrown::HashMap;
use llvm_sys::core::*;

/// Call-site attribute of a dispatcher's call of a pointer that matched
/// no candidate.
pub const UNSEEN: &str = "ferment-unseen-target";

/// More candidates than this and the call is left alone (the validator
/// then names it).
const MAX_CANDIDATES: usize = 1024;

/// More candidates than this and the dispatcher stays a call whose targets
/// stay calls: inlining them at every call site would copy (and
/// differentiate) every candidate once per call site.
const INLINE_CANDIDATES: usize = 8;

/// What [`dispatch_indirect_calls`] made.
#[derive(Default)]
pub struct Dispatched {
    /// The functions the new dispatchers call.
    pub targets: Vec<Value>,
    /// Dispatchers with many targets, and those targets: they stay calls.
    pub kept: Vec<Value>,
}

/// Rewrites the indirect calls of `f` that may carry derivatives.
pub fn dispatch_indirect_calls(f: Value) -> Dispatched {
    let module = f.global_parent();
    let layout = Layout::new(module);
    let mut candidates: Option<(Vec<Value>, VtableSlots)> = None;
    let mut stored: HashMap<Value, bool> = HashMap::new();
    let mut out = Dispatched::default();
    for inst in f.instructions() {
        if !inst.is_call()
            || inst.called_function().is_some()
            || inst.has_call_string_attribute(UNSEEN)
            || !may_carry_derivatives(inst)
        {
            continue;
        }
        let callee = inst.called_operand();
        if unsafe { !LLVMIsAInlineAsm(callee.0).is_null() } {
            continue;
        }
        let (all, slots) = candidates.get_or_insert_with(|| {
            (
                address_taken_functions(module),
                VtableSlots::of(module, &layout),
            )
        });
        let fty = inst.called_fn_type();
        let slot = vtable_slot(&layout, callee);
        let through_vtable = may_read_vtable(callee);
        let from_memory = loaded_from_memory(callee);
        let matching: Vec<Value> = all
            .iter()
            .copied()
            .filter(|c| {
                c.global_value_type() == fty
                    && (through_vtable || !slots.only_in_vtables(*c))
                    && slots.may_be_at(*c, slot)
                    && (!from_memory || *stored.entry(*c).or_insert_with(|| may_be_stored(*c)))
            })
            .collect();
        if matching.is_empty() || matching.len() > MAX_CANDIDATES {
            continue;
        }
        let abi = abi_attributes(inst);
        // A C++ virtual call: each candidate sees the object as its class.
        let views = through_vtable && slot.is_some();
        let dispatcher = dispatcher(module, fty, &matching, &abi, views);
        if views {
            let marker = class_view_marker(module);
            if !out.kept.contains(&marker) {
                out.kept.push(marker);
            }
        }
        let b = Builder::new(module);
        b.before(inst);
        b.set_debug_loc_from(inst);
        let mut args = vec![callee];
        args.extend(inst.call_args());
        let call = b.call_like(inst, dispatcher, &args);
        for &(i, attr) in &abi {
            // The dispatcher's arguments are the call's, after the pointer.
            unsafe { LLVMAddCallSiteAttribute(call.0, i + 1, attr) };
        }
        if !inst.ty().is_void() {
            inst.replace_all_uses_with(call);
        }
        inst.erase();
        let many = matching.len() > INLINE_CANDIDATES;
        if many && !out.kept.contains(&dispatcher) {
            out.kept.push(dispatcher);
        }
        for t in matching {
            if !out.targets.contains(&t) {
                out.targets.push(t);
            }
            if many && !out.kept.contains(&t) {
                out.kept.push(t);
            }
        }
    }
    out
}

/// Whether the callee `callee` was loaded from memory other than a local
/// slot of the function (a field of an object, a global, a vtable).
fn loaded_from_memory(callee: Value) -> bool {
    callee.is_instruction()
        && callee.opcode() == Opcode::LLVMLoad
        && ferment_activity_analysis::underlying_objects(callee.operand(0))
            .iter()
            .all(|o| !(o.is_instruction() && o.opcode() == Opcode::LLVMAlloca))
}

/// Whether the address of `f` may reach memory other than local slots (a
/// store, a global's initializer, a call of a function not defined here):
/// only then can a pointer loaded from such memory be `f`. A function only
/// passed to functions of the module that call it (a finite-difference
/// helper handed to its checker, a comparator) is not.
fn may_be_stored(f: Value) -> bool {
    f.users()
        .into_iter()
        .any(|u| takes_address(f, u, 0) && !stays_local(f, u, 0))
}

/// Whether the use of the function pointer `v` by `user` keeps it out of
/// memory other than local slots: a call of it, a comparison, an argument
/// of a defined function whose parameter stays local, a store into a local
/// slot only loaded from (as at -O0), whose loads stay local.
fn stays_local(v: Value, user: Value, depth: u32) -> bool {
    if depth > 8 || !user.is_instruction() {
        return false;
    }
    match user.opcode() {
        Opcode::LLVMICmp => true,
        Opcode::LLVMCall | Opcode::LLVMInvoke => {
            let args = user.call_args();
            if !args.contains(&v) {
                return user.called_operand() == v;
            }
            let Some(callee) = user.called_function() else {
                return false;
            };
            if callee.is_declaration() {
                return callee.name().starts_with("llvm.lifetime");
            }
            let params = callee.params();
            args.iter().enumerate().all(|(i, a)| {
                *a != v
                    || params.get(i).is_some_and(|p| {
                        p.users().into_iter().all(|u| stays_local(*p, u, depth + 1))
                    })
            })
        }
        Opcode::LLVMStore => {
            let slot = user.operand(1);
            user.operand(0) == v
                && slot.is_instruction()
                && slot.opcode() == Opcode::LLVMAlloca
                && slot.users().into_iter().all(|u| {
                    (u.is_instruction() && u.opcode() == Opcode::LLVMStore && u.operand(1) == slot)
                        || (u.is_call()
                            && u.called_function()
                                .is_some_and(|c| c.name().starts_with("llvm.lifetime")))
                        || (u.is_instruction()
                            && u.opcode() == Opcode::LLVMLoad
                            && u.users().into_iter().all(|l| stays_local(u, l, depth + 1)))
                })
        }
        _ => false,
    }
}

/// Whether the function pointer `callee` may have been read from a virtual
/// table: it is loaded from an address derived (through GEPs, casts, phis
/// and selects) from a load that clang tagged "vtable pointer", or from a
/// load without a `!tbaa` tag (at -O0, or from code that has none). A
/// callback kept in an object (`std::function`'s invoker, a struct of
/// function pointers) is read through pointers with other tags, so
/// functions whose address only sits in vtables are not its candidates:
/// taking them as such mixed a virtual method's view of `this` into the
/// callback's argument (a wrong derivative: clang-tests
/// cpp/std_function_beside_virtual.cpp).
fn may_read_vtable(callee: Value) -> bool {
    if !(callee.is_instruction() && callee.opcode() == Opcode::LLVMLoad) {
        return true;
    }
    let mut seen = hashbrown::HashSet::new();
    let mut work = vec![callee.operand(0)];
    while let Some(v) = work.pop() {
        if !seen.insert(v) || !v.is_instruction() {
            continue;
        }
        if seen.len() > 64 {
            return true;
        }
        match v.opcode() {
            Opcode::LLVMLoad => match ferment_type_analysis::tbaa::access_base(v) {
                Some((name, _)) if name != "vtable pointer" => {}
                _ => return true,
            },
            Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast => {
                work.push(v.operand(0))
            }
            Opcode::LLVMPHI => work.extend((0..v.num_operands()).map(|i| v.operand(i))),
            Opcode::LLVMSelect => work.extend([v.operand(1), v.operand(2)]),
            _ => {}
        }
    }
    false
}

/// The byte offset from the loaded pointer at which `callee` was loaded,
/// when it was loaded at a constant offset from a pointer itself loaded
/// from memory: the shape of a C++ virtual call (`vptr = *obj; fn =
/// vptr[k]`). None for any other callee.
fn vtable_slot(layout: &Layout, callee: Value) -> Option<i64> {
    if !(callee.is_instruction() && callee.opcode() == Opcode::LLVMLoad) {
        return None;
    }
    let (base, offset) = ferment_type_analysis::base_and_offset(layout, callee.operand(0));
    (base.is_instruction() && base.opcode() == Opcode::LLVMLoad).then_some(offset)
}

/// The functions whose address the module only takes in C++ virtual
/// tables (constant `_ZTV` globals whose address points are all known),
/// with the byte offsets from an address point at which they sit. A call
/// through a vtable slot can only reach such a function at its slot; the
/// other functions (address taken elsewhere too, or in a table whose
/// address points are not known) may be reached by any call.
struct VtableSlots {
    slots: HashMap<Value, Vec<i64>>,
}

impl VtableSlots {
    fn of(module: Module, layout: &Layout) -> VtableSlots {
        let mut slots: HashMap<Value, Vec<i64>> = HashMap::new();
        let mut unknown: Vec<Value> = Vec::new();
        for g in module.globals() {
            if !is_vtable(g) {
                continue;
            }
            let Some(init) = g.global_initializer() else {
                continue;
            };
            let mut entries = Vec::new();
            functions_in(layout, init, 0, 0, &mut entries);
            let points = address_points(layout, g);
            for (f, at) in entries {
                match &points {
                    Some(points) => slots
                        .entry(f)
                        .or_default()
                        .extend(points.iter().map(|p| at - p)),
                    None => unknown.push(f),
                }
            }
        }
        slots.retain(|f, _| !unknown.contains(f) && only_in_vtables(*f));
        for offsets in slots.values_mut() {
            offsets.sort_unstable();
            offsets.dedup();
        }
        VtableSlots { slots }
    }

    /// Whether the module takes the address of `f` only in virtual tables
    /// (so only a call through a vtable can reach it).
    fn only_in_vtables(&self, f: Value) -> bool {
        self.slots.contains_key(&f)
    }

    /// Whether a call through slot `slot` (None: not a vtable slot) may
    /// reach `f`.
    fn may_be_at(&self, f: Value, slot: Option<i64>) -> bool {
        match (self.slots.get(&f), slot) {
            (Some(offsets), Some(slot)) => offsets.contains(&slot),
            _ => true,
        }
    }
}

/// A constant C++ virtual table (or construction table).
fn is_vtable(g: Value) -> bool {
    g.is_global() && g.name().starts_with("_ZTV") && unsafe { LLVMIsGlobalConstant(g.0) != 0 }
}

/// The functions in the constant `c` placed at byte `at`, with their byte
/// offsets (through nested structs and arrays).
fn functions_in(layout: &Layout, c: Value, at: i64, depth: u32, out: &mut Vec<(Value, i64)>) {
    let stripped = c.strip_casts();
    if stripped.is_function() {
        out.push((stripped, at));
        return;
    }
    let ty = c.ty();
    if depth > 4 || !(ty.is_struct() || ty.is_array()) {
        return;
    }
    let n = if ty.is_struct() {
        ty.struct_fields().len() as u32
    } else {
        ty.array_len() as u32
    };
    for i in 0..n {
        let Some(e) = c.aggregate_element(i) else {
            continue;
        };
        let offset = if ty.is_struct() {
            layout.field_offset(ty, i)
        } else {
            i as i64 * layout.alloc_size(ty.element_type())
        };
        functions_in(layout, e, at + offset, depth + 1, out);
    }
}

/// The byte offsets into the vtable `g` that the module uses (the address
/// points objects store, construction tables' entries); None when `g` is
/// used other than through constant offsets.
fn address_points(layout: &Layout, g: Value) -> Option<Vec<i64>> {
    let mut points = Vec::new();
    for u in g.users() {
        if !((u.is_instruction() || u.is_constant_expr())
            && u.opcode() == Opcode::LLVMGetElementPtr)
        {
            return None;
        }
        let (root, offset) = ferment_type_analysis::base_and_offset(layout, u);
        if root != g {
            return None;
        }
        points.push(offset);
    }
    Some(points)
}

/// Whether every use of `f` that takes its address is an element of a
/// virtual table's initializer.
fn only_in_vtables(f: Value) -> bool {
    let in_vtable = |c: Value| {
        c.users()
            .into_iter()
            .all(|g| is_vtable(g) && g.global_initializer() == Some(c))
    };
    f.users().into_iter().all(|u| {
        !takes_address(f, u, 0)
            || (is_constant_aggregate(u)
                && u.users().into_iter().all(|c| {
                    (is_vtable(c) && c.global_initializer() == Some(u))
                        || (is_constant_aggregate(c) && in_vtable(c))
                }))
    })
}

/// A constant struct or array (not an expression, a global or a function).
fn is_constant_aggregate(c: Value) -> bool {
    c.is_constant()
        && !c.is_constant_expr()
        && !c.is_global()
        && (c.ty().is_struct() || c.ty().is_array())
}

/// A call whose arguments or result could hold a derivative: a float, a
/// vector or aggregate of floats, or a pointer.
fn may_carry_derivatives(call: Value) -> bool {
    let carries = |t: Type| t.contains_float() || t.is_pointer();
    carries(call.ty()) || call.call_args().iter().any(|a| carries(a.ty()))
}

/// The attributes of `call`'s arguments passed in memory by the ABI
/// (`byval`, `sret`, `inalloca`, `preallocated`, which carry the type of
/// that memory), by attribute index (argument `i` is index `i + 1`): the
/// dispatcher's parameters and its calls carry them too.
fn abi_attributes(call: Value) -> Vec<(u32, llvm_sys::prelude::LLVMAttributeRef)> {
    const KINDS: [&str; 4] = ["byval", "sret", "inalloca", "preallocated"];
    let mut out = Vec::new();
    for i in 1..=call.num_call_args() as u32 {
        for k in KINDS {
            let attr = unsafe {
                let kind = LLVMGetEnumAttributeKindForName(k.as_ptr().cast(), k.len());
                LLVMGetCallSiteEnumAttribute(call.0, i, kind)
            };
            if !attr.is_null() {
                out.push((i, attr));
            }
        }
    }
    out
}

/// The ABI attributes of [`abi_attributes`] as text (kind, index and
/// memory type), for the dispatcher's name.
fn abi_key(abi: &[(u32, llvm_sys::prelude::LLVMAttributeRef)]) -> String {
    abi.iter()
        .map(|&(i, attr)| unsafe {
            let kind = LLVMGetEnumAttributeKind(attr);
            let ty = Type(LLVMGetTypeAttributeValue(attr));
            format!("{i}:{kind}:{}", ty.describe())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Functions of `module` whose address is used other than by calling them,
/// by ferment's markers or by annotation lists, in module order.
fn address_taken_functions(module: Module) -> Vec<Value> {
    module
        .functions()
        .into_iter()
        .filter(|f| {
            let name = f.name();
            !name.starts_with("llvm.")
                && !name.starts_with("ferment.")
                && !name.starts_with("__enzyme_")
                && !name.starts_with("__ferment_")
                && f.users().into_iter().any(|u| takes_address(*f, u, 0))
        })
        .collect()
}

/// Whether the use of `f` by `user` takes its address: anything but a call
/// of `f`, a call of an `__enzyme_*` entry point, and the annotation
/// globals (`llvm.used`, `llvm.global.annotations`, `__enzyme_*`).
fn takes_address(f: Value, user: Value, depth: u32) -> bool {
    if user.is_call() {
        if user.called_operand() == f && !user.call_args().contains(&f) {
            return false;
        }
        let callee = user.called_operand().strip_casts();
        // The C++ runtime's own callbacks: the destructor `throw` hands
        // `__cxa_throw` for the exception object, those registered for
        // static objects; the runtime calls them, never the module's
        // indirect calls.
        const RUNTIME_CALLBACKS: [&str; 4] = [
            "__cxa_throw",
            "__cxa_atexit",
            "__cxa_thread_atexit_impl",
            "atexit",
        ];
        return !(callee.is_function()
            && (callee.name().contains("__enzyme_")
                || RUNTIME_CALLBACKS.contains(&callee.name().as_str())));
    }
    if user.is_global() {
        let name = user.name();
        return !(name.starts_with("llvm.") || name.starts_with("__enzyme_"));
    }
    if user.is_instruction() {
        return true;
    }
    // A constant (a vtable's array, a struct of callbacks, a cast): its
    // own users decide.
    depth < 8
        && user
            .users()
            .into_iter()
            .any(|u| takes_address(user, u, depth + 1))
}

/// The function whose calls mark a dispatcher's object pointer in each
/// branch of a virtual call (`ptr f(ptr p) { return p; }`), until
/// [`lower_class_views`] makes them class views. A function rather than a
/// zero-offset GEP: the canonicalization pipeline after inlining would fold
/// that GEP away.
const CLASS_VIEW_MARKER: &str = "ferment.class_view.marker";

/// The class view marker, where the module has one.
pub fn existing_class_view_marker(module: Module) -> Option<Value> {
    module.function(CLASS_VIEW_MARKER)
}

fn class_view_marker(module: Module) -> Value {
    if let Some(f) = module.function(CLASS_VIEW_MARKER) {
        return f;
    }
    let ptr = Type::ptr(module.context());
    let f = module.add_function(CLASS_VIEW_MARKER, Type::function(ptr, &[ptr], false));
    f.set_internal();
    f.add_fn_enum_attribute("noinline");
    let b = Builder::new(module);
    b.at_end(f.append_block("entry"));
    b.ret(f.params()[0]);
    f
}

/// Replaces each call of the class view marker in `f` by a zero-offset GEP
/// marked [`ferment_type_analysis::rules::CLASS_VIEW`]: the object pointer
/// as one branch of a virtual call's dispatcher sees it (type analysis
/// gives it a tree of its own; to every other part of ferment it is the
/// pointer itself, and its shadow the pointer's). Run on a canonical copy
/// after its last LLVM pipeline.
pub fn lower_class_views(f: Value) {
    let module = f.global_parent();
    let Some(marker) = module.function(CLASS_VIEW_MARKER) else {
        return;
    };
    let calls: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| i.is_call() && i.called_function() == Some(marker))
        .collect();
    let b = Builder::new(module);
    for call in calls {
        b.before(call);
        b.set_debug_loc_from(call);
        let zero = b.const_int(b.i64(), 0);
        let view = b.gep(b.i8(), call.call_args()[0], &[zero]);
        view.set_md_int(ferment_type_analysis::rules::CLASS_VIEW, 1);
        call.replace_all_uses_with(view);
        call.erase();
    }
}

/// The dispatcher for calls of type `fty` among `targets` (one per set,
/// shared by every canonical copy of the module). With `views` (a virtual
/// call), each target gets the object pointer (its first pointer argument
/// not passed in memory by the ABI: `this`) through the class view marker.
fn dispatcher(
    module: Module,
    fty: Type,
    targets: &[Value],
    abi: &[(u32, llvm_sys::prelude::LLVMAttributeRef)],
    views: bool,
) -> Value {
    let mut key: Vec<String> = targets.iter().map(|t| t.name()).collect();
    if !abi.is_empty() {
        key.push(abi_key(abi));
    }
    // The argument the views are of (attribute index `j + 1` is argument `j`).
    let object = fty
        .fn_params()
        .into_iter()
        .enumerate()
        .find(|&(j, t)| t.is_pointer() && !abi.iter().any(|&(i, _)| i as usize == j + 1))
        .map(|(j, _)| j)
        .filter(|_| views);
    if object.is_some() {
        key.push("views".to_string());
    }
    let tag = format!("{:016x}", fnv1a(&key.join("\u{1}")));
    let name = format!("ferment.dispatch.{tag}");
    // The targets all have type `fty`, so the name fixes the type too.
    if let Some(f) = module.function(&name) {
        return f;
    }
    let ptr = Type::ptr(module.context());
    let mut params = vec![ptr];
    params.extend(fty.fn_params());
    let dty = Type::function(fty.fn_return(), &params, fty.fn_is_vararg());
    let d = module.add_function(&name, dty);
    d.set_internal();
    for &(i, attr) in abi {
        unsafe { LLVMAddAttributeAtIndex(d.0, i + 1, attr) };
    }
    let b = Builder::new(module);
    let entry = d.append_block("entry");
    let unknown = d.append_block("unknown");
    let p = d.params();
    let mut at = entry;
    for &t in targets {
        b.at_end(at);
        let hit = d.append_block("hit");
        let next = d.append_block("next");
        let same = b.icmp(IntPredicate::LLVMIntEQ, p[0], t);
        b.cond_br(same, hit, next);
        b.at_end(hit);
        let mut args = p[1..].to_vec();
        if let Some(j) = object {
            let marker = class_view_marker(module);
            let view = b.call(marker.global_value_type(), marker, &[args[j]]);
            view.add_call_enum_attribute("memory", 0);
            view.add_call_enum_attribute("nounwind", 0);
            view.add_call_enum_attribute("willreturn", 0);
            view.set_md_int(ferment_type_analysis::rules::CLASS_VIEW, 1);
            args[j] = view;
        }
        let r = b.call(fty, t, &args);
        for &(i, attr) in abi {
            unsafe { LLVMAddCallSiteAttribute(r.0, i, attr) };
        }
        if fty.fn_return().is_void() {
            b.ret_void();
        } else {
            b.ret(r);
        }
        at = next;
    }
    b.at_end(at);
    b.br(unknown);
    b.at_end(unknown);
    let r = b.call(fty, p[0], &p[1..]);
    for &(i, attr) in abi {
        unsafe { LLVMAddCallSiteAttribute(r.0, i, attr) };
    }
    r.add_call_string_attribute(UNSEEN, "");
    if fty.fn_return().is_void() {
        b.ret_void();
    } else {
        b.ret(r);
    }
    d
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, c| {
        (h ^ c as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Replaces each call of an unseen target in `f` that could carry a
/// derivative (`carries` holds for the call or one of its arguments) by a
/// stop with a message; returns whether it replaced any (the caller then
/// analyzes `f` again).
///
/// All calls are chosen before any is replaced: stopping an `invoke` ends
/// its block, and its successors' phis that are left with one incoming
/// value are erased, so a list of `f`'s instructions taken before a stop
/// may hold freed ones (reading one crashed the compiler now and then).
/// The chosen calls are calls and invokes, which no stop but their own
/// erases.
pub fn stop_unseen_targets(f: Value, carries: &dyn Fn(Value) -> bool) -> bool {
    let module = f.global_parent();
    let unseen: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|&inst| {
            inst.is_call()
                && inst.has_call_string_attribute(UNSEEN)
                && (carries(inst)
                    || inst.call_args().into_iter().any(carries)
                    || feeds(inst, carries, 0))
        })
        .collect();
    for &inst in &unseen {
        let b = Builder::new(module);
        b.before(inst);
        b.set_debug_loc_from(inst);
        // The call site, where debug information names it (a dispatcher
        // inlined at the call carries the call's location).
        let site = inst
            .source_location()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        let message = format!(
            "ferment: a differentiated function called a function through a pointer{site}, and \
             the function it reached was not visible when the derivative was compiled (define \
             it in the same translation unit, or build with -flto)\n"
        );
        crate::reverse::tape::emit_stop(
            &b,
            &format!("ferment.dispatch.message.{:016x}", fnv1a(&message)),
            &message,
        );
        if !inst.ty().is_void() {
            inst.replace_all_uses_with(b.poison(inst.ty()));
        }
        if inst.is_invoke() {
            // The block's terminator: nothing runs after the stop.
            crate::shim::change_to_unreachable(inst);
        } else {
            inst.erase();
        }
    }
    !unseen.is_empty()
}

/// Whether the pointer `v` reaches a value that carries a derivative
/// through phis, selects, address arithmetic and casts (a pointer merged
/// with shadowed ones would need a shadow it cannot have).
fn feeds(v: Value, carries: &dyn Fn(Value) -> bool, depth: u32) -> bool {
    v.ty().is_pointer()
        && depth < 8
        && v.users().into_iter().any(|u| {
            u.is_instruction()
                && matches!(
                    u.opcode(),
                    Opcode::LLVMPHI
                        | Opcode::LLVMSelect
                        | Opcode::LLVMGetElementPtr
                        | Opcode::LLVMBitCast
                        | Opcode::LLVMAddrSpaceCast
                        | Opcode::LLVMFreeze
                )
                && (carries(u) || feeds(u, carries, depth + 1))
        })
}
