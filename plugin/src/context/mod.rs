//! Enzyme's global-shadow contexts: `__enzyme_context(width)`,
//! `__enzyme_shadow(ctx, &global, lane)`, `__enzyme_zero_shadows(ctx)` and
//! the `enzyme_context, ctx` marker of a derivative call.
//!
//! Role: before any request is read, link the context run time
//! (`runtime.ll`, generated from `runtime.c`: internal `ferment.ctx.*`
//! functions) into a module that uses contexts, describe the module's
//! globals to it (a table of `ferment.ctx.global` descriptors: address,
//! size, kind, and the offsets of float bytes and pointers, from each
//! global's LLVM type), and rewrite the three calls into calls of the run
//! time. `__enzyme_shadow`'s address must be a global (or a constant
//! offset into one) known at compile time.
//!
//! A derivative called with a context (`DerivativeKey::context`) takes the
//! shadow of each mutable global from the context current when it runs
//! ([`global_shadow`], used by `shadow.rs`); the caller makes the context
//! current around the call ([`enter`] / [`leave`], which also check the
//! width). The activity analysis treats those globals' values as active
//! inputs (`Seeds::context_globals`).
//!
//! Touches the module's globals and the functions holding context calls;
//! knows nothing about how derivatives are generated.

use crate::error::{Error, Result};
use ferment_ir::{Builder, Module, Opcode, Type, Value};
use llvm_sys::core::*;

const RUNTIME: &str = include_str!("runtime.ll");
/// The module's table of global descriptors (`struct table` of runtime.c).
const TABLE: &str = "ferment.ctx.globals";
/// Its array of descriptor pointers.
const TABLE_ENTRIES: &str = "ferment.ctx.globals.list";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ContextCall {
    New,
    Shadow,
    Zero,
}

fn context_call(name: &str) -> Option<ContextCall> {
    if name.contains("__enzyme_context") {
        Some(ContextCall::New)
    } else if name.contains("__enzyme_zero_shadows") {
        Some(ContextCall::Zero)
    } else if name.contains("__enzyme_shadow") {
        Some(ContextCall::Shadow)
    } else {
        None
    }
}

/// Whether `name` is one of the context calls this module lowers.
pub fn is_context_call(name: &str) -> bool {
    context_call(name).is_some()
}

/// Lowers the context calls of `module` (and links the run time when the
/// module uses contexts). Returns whether the module changed, and errors.
pub fn lower(module: Module) -> (bool, Vec<Error>) {
    let mut calls = Vec::new();
    for f in module.functions() {
        if f.is_declaration() {
            continue;
        }
        for i in f.instructions() {
            if !i.is_call() {
                continue;
            }
            let callee = i.called_operand().strip_casts();
            if !callee.is_function() {
                continue;
            }
            if let Some(kind) = context_call(&callee.name()) {
                calls.push((i, kind));
            }
        }
    }
    // A module that only declares the marker (a Fortran `use ferment`, a
    // header) does not use contexts.
    let marker = module
        .global("enzyme_context")
        .is_some_and(|g| g.has_uses());
    if calls.is_empty() && !marker {
        return (false, Vec::new());
    }
    let mut errors = Vec::new();
    let at = calls.first().map(|c| c.0);
    if crate::gpu::is_gpu(module) {
        let msg = "global-shadow contexts (__enzyme_context, enzyme_context) in GPU code are not supported";
        errors.push(match at {
            Some(v) => Error::at(v, msg),
            None => Error::new(msg),
        });
        for (call, _) in calls {
            crate::frontend::lower::replace_with_trap(module, call);
        }
        return (true, errors);
    }
    if let Err(e) = link_runtime(module, at) {
        errors.push(e);
        for (call, _) in calls {
            crate::frontend::lower::replace_with_trap(module, call);
        }
        return (true, errors);
    }
    build_table(module);
    for (call, kind) in calls {
        if let Err(e) = lower_call(module, call, kind) {
            errors.push(e);
            crate::frontend::lower::replace_with_trap(module, call);
        }
    }
    for f in module.functions() {
        if f.is_declaration() && !f.has_uses() && is_context_call(&f.name()) {
            f.delete_function();
        }
    }
    (true, errors)
}

fn runtime_fn(module: Module, name: &str) -> Result<Value> {
    module
        .function(name)
        .ok_or_else(|| Error::new(format!("internal error: the context run time lacks {name}")))
}

fn lower_call(module: Module, call: Value, kind: ContextCall) -> Result<()> {
    let b = Builder::new(module);
    b.before(call);
    b.set_debug_loc_from(call);
    let args = call.call_args();
    let i64t = b.i64();
    let i32t = b.i32();
    let usage = match kind {
        ContextCall::New => "void *__enzyme_context(int width)",
        ContextCall::Shadow => "void *__enzyme_shadow(void *context, void *address, int lane)` or `void *__enzyme_shadow(void *address, int width, int lane)",
        ContextCall::Zero => "void __enzyme_zero_shadows(void *context)",
    };
    let shape_error = || {
        Error::at(
            call,
            format!("this call does not have the shape of `{usage}`"),
        )
        .hint(format!("declare it as `{usage};`"))
    };
    let replacement = match kind {
        ContextCall::New => {
            let [w] = args.as_slice() else {
                return Err(shape_error());
            };
            if !w.ty().is_integer() || !call.ty().is_pointer() {
                return Err(shape_error());
            }
            let table = module.global(TABLE).ok_or_else(shape_error)?;
            let w = b.int_cast(*w, i32t, true);
            Some(b.call_fn(runtime_fn(module, "ferment.ctx.new")?, &[w, table]))
        }
        ContextCall::Shadow => {
            let [c, p, lane] = args.as_slice() else {
                return Err(shape_error());
            };
            // Enzyme's form without a context, `__enzyme_shadow(&g, width,
            // lane)`: the shadows ferment keeps for the module at that width.
            let (c, p, lane) = if c.ty().is_pointer() && p.ty().is_integer() {
                let Some(width) = p.const_int().filter(|w| (1..=MAX_WIDTH).contains(w)) else {
                    return Err(Error::at(
                        call,
                        "__enzyme_shadow(address, width, lane): the width must be a constant from 1 to 64",
                    ));
                };
                let ctx = b.call_fn(default_context_getter(module, width)?, &[]);
                (ctx, *c, *lane)
            } else {
                (*c, *p, *lane)
            };
            let (c, p, lane) = (&c, &p, &lane);
            if !c.ty().is_pointer()
                || !p.ty().is_pointer()
                || !lane.ty().is_integer()
                || !call.ty().is_pointer()
            {
                return Err(shape_error());
            }
            let (g, offset) = global_and_offset(*p).ok_or_else(|| {
                Error::at(
                    call,
                    "__enzyme_shadow: the address is not a global variable (or a constant offset into one) known at compile time",
                )
                .hint("pass the address of a global or of one of its members, e.g. `__enzyme_shadow(ctx, &g.field, 0)`")
            })?;
            let desc =
                descriptor(module, g).filter(|_| ferment_activity_analysis::context_global(g));
            let Some(desc) = desc else {
                return Err(Error::at(
                    call,
                    format!(
                        "__enzyme_shadow: @{} is not a mutable global variable of this translation unit holding floating-point data or pointers",
                        g.name()
                    ),
                )
                .hint("contexts hold the shadows of globals defined in this file; constants and thread-local variables have none"));
            };
            let lane = b.int_cast(*lane, i64t, true);
            let base = b.call_fn(runtime_fn(module, "ferment.ctx.shadow")?, &[*c, desc, lane]);
            Some(if offset == 0 {
                base
            } else {
                b.gep(b.i8(), base, &[b.const_int(i64t, offset)])
            })
        }
        ContextCall::Zero => {
            let [c] = args.as_slice() else {
                return Err(shape_error());
            };
            if !c.ty().is_pointer() {
                return Err(shape_error());
            }
            b.call_fn(runtime_fn(module, "ferment.ctx.zero")?, &[*c]);
            None
        }
    };
    if let Some(r) = replacement {
        call.replace_all_uses_with(r);
    }
    if call.is_invoke() {
        if let Some(normal) = call.successors().first() {
            b.br(*normal);
        }
    }
    if call.has_uses() {
        call.replace_all_uses_with(b.poison(call.ty()));
    }
    call.erase();
    Ok(())
}

const MAX_WIDTH: i64 = crate::frontend::request::MAX_WIDTH;

/// Name of the function returning the module's own context of width `w`
/// (created on first use).
fn default_getter_name(width: i64) -> String {
    format!("ferment.ctx.default.{width}")
}

/// The context every derivative of width `width` in `module` uses when the
/// module reads Enzyme's own shadows of globals with the context-free
/// `__enzyme_shadow(&g, width, lane)`: a call returning it, inserted
/// before `at`, or None when the module never does.
pub fn default_context(module: Module, width: u32, at: Value) -> Option<Value> {
    let getter = module.function(&default_getter_name(i64::from(width)))?;
    let b = Builder::new(module);
    b.before(at);
    Some(b.call_fn(getter, &[]))
}

/// Whether `module` reads its own shadows of width `width` (see
/// [`default_context`]).
pub fn has_default_context(module: Module, width: u32) -> bool {
    module
        .function(&default_getter_name(i64::from(width)))
        .is_some()
}

/// `ferment.ctx.default.W()`: the module's context of width `W`, kept in a
/// global and created by its first call.
fn default_context_getter(module: Module, width: i64) -> Result<Value> {
    let name = default_getter_name(width);
    if let Some(f) = module.function(&name) {
        return Ok(f);
    }
    let table = module
        .global(TABLE)
        .ok_or_else(|| Error::new("internal error: the context table is missing"))?;
    let new = runtime_fn(module, "ferment.ctx.new")?;
    let ptr = Type::ptr(module.context());
    let slot = module.add_zeroed_global(&format!("{name}.slot"), ptr);
    let f = module.add_function(&name, Type::function(ptr, &[], false));
    f.set_internal();
    let b = Builder::new(module);
    let (entry, create, done) = (
        f.append_block("entry"),
        f.append_block("create"),
        f.append_block("done"),
    );
    b.at_end(entry);
    let old = b.load(ptr, slot);
    let missing = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, old, b.zero(ptr));
    b.cond_br(missing, create, done);
    b.at_end(create);
    let made = b.call_fn(new, &[b.const_int(b.i32(), width), table]);
    b.store(made, slot);
    b.br(done);
    b.at_end(done);
    let ctx = b.phi(ptr, "ctx");
    ctx.add_incoming(old, entry);
    ctx.add_incoming(made, create);
    b.ret(ctx);
    Ok(f)
}

/// `p` as a global variable and a constant byte offset into it.
fn global_and_offset(p: Value) -> Option<(Value, i64)> {
    let mut v = p;
    let mut offset = 0i64;
    for _ in 0..16 {
        if v.is_global() {
            return Some((v, offset));
        }
        if v.is_instruction() && v.opcode() == Opcode::LLVMLoad {
            // -O0: the address went through a local (an inlined C++
            // helper's parameter); follow the one value stored there.
            v = stored_once(v)?;
            continue;
        }
        if !v.is_constant_expr() {
            return None;
        }
        match v.opcode() {
            Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast => v = v.operand(0),
            Opcode::LLVMGetElementPtr => {
                offset += constant_gep_offset(v)?;
                v = v.operand(0);
            }
            _ => return None,
        }
    }
    None
}

/// The single value stored to the local slot `load` reads (an `alloca`
/// written once in its function).
fn stored_once(load: Value) -> Option<Value> {
    let slot = load.operand(0).strip_casts();
    if !slot.is_instruction() || slot.opcode() != Opcode::LLVMAlloca {
        return None;
    }
    let mut stored = None;
    for u in slot.users() {
        match u.opcode() {
            Opcode::LLVMLoad => {}
            Opcode::LLVMStore if u.operand(1) == slot && stored.is_none() => {
                stored = Some(u.operand(0))
            }
            _ => return None,
        }
    }
    stored
}

/// The byte offset a constant GEP expression adds to its base.
fn constant_gep_offset(gep: Value) -> Option<i64> {
    let module = Module(unsafe { LLVMGetGlobalParent(gep.operand(0).strip_casts().0) });
    let dl = unsafe { llvm_sys::target::LLVMGetModuleDataLayout(module.0) };
    let mut ty = Type(unsafe { LLVMGetGEPSourceElementType(gep.0) });
    let ops = gep.operands();
    let first = ops.get(1)?.const_int()?;
    let mut offset = first * module.alloc_size(ty) as i64;
    for idx in &ops[2..] {
        let k = idx.const_int()?;
        if ty.is_struct() {
            offset += unsafe { llvm_sys::target::LLVMOffsetOfElement(dl, ty.0, k as u32) } as i64;
            ty = *ty.struct_fields().get(k as usize)?;
        } else if ty.is_array() || ty.is_vector() {
            ty = ty.element_type();
            offset += k * module.alloc_size(ty) as i64;
        } else {
            return None;
        }
    }
    Some(offset)
}

/// The width of the context `v`, when it can be traced to its creation
/// (`__enzyme_context(N)` with a constant `N`, possibly stored in a local
/// at -O0).
pub fn traced_width(v: Value) -> Option<i64> {
    let mut v = v.strip_casts();
    for _ in 0..8 {
        if v.is_call() {
            let callee = v.called_operand().strip_casts();
            let name = callee.name();
            let ours = name == "ferment.ctx.new" || context_call(&name) == Some(ContextCall::New);
            return ours.then(|| v.call_args().first()?.const_int()).flatten();
        }
        if !(v.is_instruction() && v.opcode() == Opcode::LLVMLoad) {
            return None;
        }
        let slot = v.operand(0).strip_casts();
        if !(slot.is_instruction() && slot.opcode() == Opcode::LLVMAlloca) {
            return None;
        }
        let stores: Vec<Value> = slot
            .users()
            .into_iter()
            .filter(|u| u.is_instruction() && u.opcode() == Opcode::LLVMStore)
            .collect();
        match stores.as_slice() {
            [s] if s.operand(1) == slot => v = s.operand(0).strip_casts(),
            _ => return None,
        }
    }
    None
}

/// Parses the run time into the module's context and links it in.
fn link_runtime(module: Module, at: Option<Value>) -> Result<()> {
    if module.function("ferment.ctx.new").is_some() {
        return Ok(());
    }
    let fail = |what: String| {
        let msg = format!("internal error: the context run time does not {what}");
        match at {
            Some(v) => Error::at(v, msg),
            None => Error::new(msg),
        }
    };
    link_ir(module, RUNTIME, c"ferment.context.runtime").map_err(fail)?;
    for f in module.functions() {
        if f.name().starts_with("ferment.ctx.") {
            f.set_internal();
        }
    }
    Ok(())
}

/// Parses textual IR (a run time ferment embeds) into the module's context
/// and links it in; the error says which step failed.
pub(crate) fn link_ir(
    module: Module,
    text: &str,
    name: &std::ffi::CStr,
) -> std::result::Result<(), String> {
    unsafe {
        let buf = llvm_sys::core::LLVMCreateMemoryBufferWithMemoryRangeCopy(
            text.as_ptr().cast(),
            text.len(),
            name.as_ptr(),
        );
        let mut runtime = std::ptr::null_mut();
        let mut err = std::ptr::null_mut();
        // clang's context drops value names, and LLVM's IR reader refuses
        // such a context: names are kept while the run time is read.
        let discard = LLVMContextShouldDiscardValueNames(module.context());
        LLVMContextSetDiscardValueNames(module.context(), 0);
        let failed = llvm_sys::ir_reader::LLVMParseIRInContext2(
            module.context(),
            buf,
            &mut runtime,
            &mut err,
        ) != 0;
        LLVMContextSetDiscardValueNames(module.context(), discard);
        LLVMDisposeMemoryBuffer(buf);
        if failed {
            let msg = std::ffi::CStr::from_ptr(err).to_string_lossy().into_owned();
            LLVMDisposeMessage(err);
            return Err(format!("parse: {msg}"));
        }
        LLVMSetDataLayout(runtime, LLVMGetDataLayoutStr(module.0));
        LLVMSetTarget(runtime, LLVMGetTarget(module.0));
        if llvm_sys::linker::LLVMLinkModules2(module.0, runtime) != 0 {
            return Err("link".into());
        }
    }
    Ok(())
}

/// Where a global's float bytes and pointers lie: `(offset, kind, length)`
/// with kind 0 for float bytes, 1 for a pointer (runtime.c's `struct
/// field`); adjacent float ranges merged.
fn fields_of(module: Module, ty: Type, base: u64, out: &mut Vec<(u64, u64, u64)>) {
    let dl = unsafe { llvm_sys::target::LLVMGetModuleDataLayout(module.0) };
    if ty.is_pointer() {
        out.push((base, 1, module.alloc_size(ty)));
    } else if ty.is_float() {
        let size = module.alloc_size(ty);
        match out.last_mut() {
            Some((o, 0, len)) if *o + *len == base => *len += size,
            _ => out.push((base, 0, size)),
        }
    } else if ty.is_struct() {
        for (k, f) in ty.struct_fields().into_iter().enumerate() {
            let off = unsafe { llvm_sys::target::LLVMOffsetOfElement(dl, ty.0, k as u32) };
            fields_of(module, f, base + off, out);
        }
    } else if ty.is_array() || ty.is_vector() {
        let elem = ty.element_type();
        if !(elem.contains_float() || elem.contains_pointer()) {
            return;
        }
        let n = if ty.is_array() {
            ty.array_len()
        } else {
            ty.vector_len() as u64
        };
        let size = module.alloc_size(elem);
        for k in 0..n {
            fields_of(module, elem, base + k * size, out);
        }
    }
}

/// Builds the module's table of global descriptors (once).
fn build_table(module: Module) {
    if module.global(TABLE).is_some() {
        return;
    }
    let ctx = module.context();
    let i64t = Type::int(ctx, 64);
    let ptr = Type::ptr(ctx);
    let int = |v: u64| Value(unsafe { LLVMConstInt(i64t.0, v, 0) });
    let field_ty = Type::literal_struct(ctx, &[i64t, i64t, i64t]);
    let desc_ty = Type::literal_struct(ctx, &[ptr, i64t, i64t, i64t, ptr]);
    let mut descs = Vec::new();
    let mut add = |g: Value, size: u64, kind: u64, fields: &[(u64, u64, u64)]| unsafe {
        let mut raw: Vec<_> = fields
            .iter()
            .map(|&(o, k, l)| {
                let mut e = [int(o).0, int(k).0, int(l).0];
                LLVMConstStructInContext(ctx, e.as_mut_ptr(), 3, 0)
            })
            .collect();
        let fields_ptr = if raw.is_empty() {
            LLVMConstNull(ptr.0)
        } else {
            let arr_ty = Type::array(field_ty, raw.len() as u64);
            let init = LLVMConstArray2(field_ty.0, raw.as_mut_ptr(), raw.len() as u64);
            let fg = LLVMAddGlobal(module.0, arr_ty.0, c"ferment.ctx.fields".as_ptr());
            LLVMSetInitializer(fg, init);
            LLVMSetGlobalConstant(fg, 1);
            LLVMSetLinkage(fg, llvm_sys::LLVMLinkage::LLVMPrivateLinkage);
            fg
        };
        let mut e = [
            g.0,
            int(size).0,
            int(kind).0,
            int(fields.len() as u64).0,
            fields_ptr,
        ];
        let init = LLVMConstStructInContext(ctx, e.as_mut_ptr(), 5, 0);
        let dg = LLVMAddGlobal(module.0, desc_ty.0, c"ferment.ctx.global".as_ptr());
        LLVMSetInitializer(dg, init);
        LLVMSetGlobalConstant(dg, 1);
        LLVMSetLinkage(dg, llvm_sys::LLVMLinkage::LLVMPrivateLinkage);
        descs.push(dg);
    };
    for g in module.globals() {
        let name = g.name();
        if !belongs_to_user(&name) || g.address_space() != 0 {
            continue;
        }
        // An unused declaration stays out: naming it would make the object
        // need a definition the program may not link (flang declares every
        // constant of a used module).
        if g.is_declaration() && !g.has_uses() {
            continue;
        }
        let ty = g.global_value_type();
        if unsafe { LLVMTypeIsSized(ty.0) } == 0 {
            continue;
        }
        let size = module.alloc_size(ty);
        if ferment_activity_analysis::context_global(g) {
            let mut fields = Vec::new();
            fields_of(module, ty, 0, &mut fields);
            add(g, size, 0, &fields);
        } else if unsafe { LLVMIsThreadLocal(g.0) } == 0 {
            add(g, size, 2, &[]);
        }
    }
    // Functions a pointer may hold: those whose address is taken.
    for f in module.functions() {
        let taken = f
            .users()
            .into_iter()
            .any(|u| !(u.is_call() && u.called_operand() == f));
        if belongs_to_user(&f.name()) && taken {
            add(f, 1, 1, &[]);
        }
    }
    unsafe {
        let n = descs.len() as u64;
        let mut raw: Vec<_> = descs.clone();
        let list_name = std::ffi::CString::new(TABLE_ENTRIES).unwrap_or_default();
        let list = LLVMAddGlobal(module.0, Type::array(ptr, n).0, list_name.as_ptr());
        LLVMSetInitializer(list, LLVMConstArray2(ptr.0, raw.as_mut_ptr(), n));
        LLVMSetGlobalConstant(list, 1);
        LLVMSetLinkage(list, llvm_sys::LLVMLinkage::LLVMInternalLinkage);
        let mut e = [int(n).0, list];
        let init = LLVMConstStructInContext(ctx, e.as_mut_ptr(), 2, 0);
        let table_ty = Type::literal_struct(ctx, &[i64t, ptr]);
        let c = std::ffi::CString::new(TABLE).unwrap_or_default();
        let t = LLVMAddGlobal(module.0, table_ty.0, c.as_ptr());
        LLVMSetInitializer(t, init);
        LLVMSetGlobalConstant(t, 1);
        LLVMSetLinkage(t, llvm_sys::LLVMLinkage::LLVMInternalLinkage);
    }
}

/// Whether a global or function named `name` is the user's (not LLVM's,
/// ferment's or Enzyme's interface).
fn belongs_to_user(name: &str) -> bool {
    !(name.starts_with("llvm.")
        || name.contains("ferment.")
        || name.starts_with("enzyme_")
        || name.contains("__enzyme"))
}

/// The descriptor of global `g` in the module's table.
fn descriptor(module: Module, g: Value) -> Option<Value> {
    let list = module.global(TABLE_ENTRIES)?.global_initializer()?;
    list.operands().into_iter().find(|d| {
        d.global_initializer()
            .is_some_and(|init| init.operand(0) == g)
    })
}

/// Inside a derivative called with a context, at `b`: the shadow of global
/// `g` in `lane`, from the context current when the derivative runs.
pub fn global_shadow(
    module: Module,
    b: &Builder,
    g: Value,
    lane: usize,
    at: Value,
) -> Result<Value> {
    let desc = descriptor(module, g).ok_or_else(|| {
        Error::at(
            at,
            format!(
                "internal error: the global @{} has no descriptor for enzyme_context",
                g.name()
            ),
        )
    })?;
    let lane = b.const_int(b.i64(), lane as i64);
    Ok(b.call_fn(runtime_fn(module, "ferment.ctx.global")?, &[desc, lane]))
}

/// Before a derivative call with `enzyme_context, c` (at `b`): makes `c`
/// current after checking its width; returns the context to restore.
pub fn enter(module: Module, b: &Builder, c: Value, width: u32) -> Result<Value> {
    let w = b.const_int(b.i64(), width as i64);
    Ok(b.call_fn(runtime_fn(module, "ferment.ctx.enter")?, &[c, w]))
}

/// After that call: restores the context current before it.
pub fn leave(module: Module, b: &Builder, previous: Value) -> Result<()> {
    b.call_fn(runtime_fn(module, "ferment.ctx.leave")?, &[previous]);
    Ok(())
}

/// Reverse mode over code that uses a context: in the reverse sweep, at
/// the `ferment.ctx.zero` of a context, clears the adjoints of its shadows
/// held by `twin` (the second context [`tangent_twin`] made for it).
pub fn zero_adjoints(module: Module, b: &Builder, twin: Value) -> Result<()> {
    b.call_fn(runtime_fn(module, "ferment.ctx.zero")?, &[twin]);
    Ok(())
}

/// Reverse mode over code that creates a context: when the reverse sweep
/// passes `new` (a `ferment.ctx.new` call), releases `twin`, the second
/// context that held the adjoints of its shadows, unless the context may
/// outlive the derivative where the twin could be found again (returned,
/// stored outside a mutable global, passed to another function, or stored
/// into a global while the derivative runs with an outer context, whose
/// shadow of that global keeps the twin).
pub fn free_adjoints(
    module: Module,
    b: &Builder,
    new: Value,
    twin: Value,
    outer_context: bool,
) -> Result<()> {
    if may_be_kept(new, outer_context, 0) {
        return Ok(());
    }
    b.call_fn(runtime_fn(module, "ferment.ctx.free")?, &[twin]);
    Ok(())
}

/// Whether the context `v` points to may be found after the derivative
/// returns (see [`free_adjoints`]).
fn may_be_kept(v: Value, outer_context: bool, depth: u32) -> bool {
    if depth > 8 {
        return true;
    }
    v.users().into_iter().any(|u| {
        if !u.is_instruction() {
            return true;
        }
        match u.opcode() {
            Opcode::LLVMBitCast
            | Opcode::LLVMAddrSpaceCast
            | Opcode::LLVMPHI
            | Opcode::LLVMSelect => may_be_kept(u, outer_context, depth + 1),
            Opcode::LLVMStore => {
                u.operand(0) == v
                    && (outer_context
                        || !ferment_activity_analysis::underlying_objects(u.operand(1))
                            .iter()
                            .all(|o| o.is_global()))
            }
            Opcode::LLVMCall | Opcode::LLVMInvoke => !is_runtime_call(u),
            Opcode::LLVMICmp => false,
            _ => true,
        }
    })
}

/// Whether `call` calls the context run time: a function being
/// differentiated that creates or uses a context (nested use) is not
/// supported.
pub fn is_runtime_call(call: Value) -> bool {
    call.is_call() && {
        let callee = call.called_operand().strip_casts();
        callee.is_function() && callee.name().starts_with("ferment.ctx.")
    }
}

/// Whether `v` is the shadow of a global taken from a context
/// ([`global_shadow`]) or an address inside one.
pub fn is_global_shadow(v: Value) -> bool {
    let mut v = v;
    while v.is_instruction()
        && matches!(
            v.opcode(),
            Opcode::LLVMGetElementPtr | Opcode::LLVMAddrSpaceCast | Opcode::LLVMBitCast
        )
    {
        v = v.operand(0);
    }
    is_runtime_call(v)
}

/// Forward or reverse mode over code that uses the context run time: emits
/// after `call` its tangent twin, and returns the shadow of its result where
/// it is a pointer to derivative memory. (In reverse mode the second context
/// holds the adjoints of the first one's shadows; the reverse sweep clears
/// them where the code zeroes the first one, [`zero_adjoints`].) The tangent of a context is a second
/// context (`ferment.ctx.new` again), whose shadows hold the tangents of
/// the first one's (both start with zero floats, and pointers into
/// shadows or heap blocks are followed the same way); entering a context
/// enters its tangent beside it (`ferment.ctx.enter_tangent`), where the
/// code's `ferment.ctx.global` calls find their tangents
/// (`ferment.ctx.tangent_global`). `entries` pairs each `enter` with what
/// its twin returned, for the matching `leave`.
pub fn tangent_twin(
    module: Module,
    b: &Builder,
    call: Value,
    lane: usize,
    shadows: &crate::shadow::Shadows,
    entries: &mut hashbrown::HashMap<Value, Value>,
) -> Result<Option<Value>> {
    let name = call.called_operand().strip_casts().name();
    let args = call.call_args();
    let shadow_of = |v: Value| {
        shadows.of(b, v).ok_or_else(|| {
            let user = match name.as_str() {
                "ferment.ctx.shadow" => "__enzyme_shadow",
                "ferment.ctx.zero" => "__enzyme_zero_shadows",
                _ => "a derivative called with enzyme_context",
            };
            Error::at(
                call,
                format!("{user} uses a global-shadow context that the function being differentiated receives from outside (an argument or a value read from memory): ferment keeps the derivatives of a context's shadows in a second context it creates beside the context, so the context must be created (__enzyme_context) inside the differentiated code"),
            )
            .hint("create the context with __enzyme_context inside the function being differentiated")
        })
    };
    b.after(call);
    b.set_debug_loc_from(call);
    let twin = |f: &str, a: &[Value]| -> Result<Value> { Ok(b.call_fn(runtime_fn(module, f)?, a)) };
    // The tangent lane (batched forward mode: one tangent context each).
    let k = b.const_int(b.i64(), lane as i64);
    Ok(match name.as_str() {
        "ferment.ctx.new" => Some(twin("ferment.ctx.new", &args)?),
        "ferment.ctx.shadow" => {
            let c = shadow_of(args[0])?;
            Some(twin("ferment.ctx.shadow", &[c, args[1], args[2]])?)
        }
        "ferment.ctx.global" => Some(twin("ferment.ctx.tangent_global", &[args[0], args[1], k])?),
        "ferment.ctx.zero" => {
            let c = shadow_of(args[0])?;
            twin("ferment.ctx.zero", &[c])?;
            None
        }
        "ferment.ctx.enter" => {
            let c = shadow_of(args[0])?;
            let old = twin("ferment.ctx.enter_tangent", &[c, k])?;
            entries.insert(call, old);
            None
        }
        "ferment.ctx.leave" => {
            let Some(old) = entries.get(&args[0]).copied() else {
                return Err(Error::at(
                    call,
                    "forward mode over a context left in another place than it was entered is not supported",
                ));
            };
            twin("ferment.ctx.leave_tangent", &[old, k])?;
            None
        }
        other => {
            return Err(Error::at(
                call,
                format!("internal error: no tangent for the context run time's {other}"),
            ))
        }
    })
}
