//! What the analysis knows about memory: allocation functions and the
//! objects a pointer may point into.

use ferment_ir::{Block, Opcode, Value};
use hashbrown::{HashMap, HashSet};

/// How a memory object was created.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AllocKind {
    /// `alloca`
    Stack,
    /// `malloc(n)`, `operator new(n)`, `aligned_alloc(a, n)`... (size at the
    /// given argument)
    Heap { size_arg: usize },
    /// `calloc(n, m)`
    Calloc,
    /// `realloc(p, n)`: a new object holding the old one's contents.
    Realloc,
    /// `posix_memalign(&p, align, n)`: a new object whose address the call
    /// writes through its first argument (size at the given argument); the
    /// call itself returns a status.
    OutParam { size_arg: usize },
    /// A mutable global variable.
    Global,
}

/// Name prefix of the plugin's stand-in for a user allocation function
/// (`__enzyme_allocation_like`) in the code it differentiates:
/// `__ferment_alloc_like.<size argument>.<function>`.
pub const ALLOC_LIKE_PREFIX: &str = "__ferment_alloc_like.";
/// Name prefix of the stand-in for that allocator's deallocation function:
/// `__ferment_free_like.<arguments>.<allocation function>`, where
/// `<arguments>` lists what each argument of a deallocation call is, `_`
/// separated: `p` the pointer being freed, `k` argument `k` of the call
/// that allocated it (Enzyme's `"2,-1"` is `2_p`).
pub const FREE_LIKE_PREFIX: &str = "__ferment_free_like.";
/// Name prefix of the stand-in for a global the user declared inactive
/// (`__enzyme_inactive_global`): its memory never has a shadow.
pub const INACTIVE_GLOBAL_PREFIX: &str = "__ferment_inactive.";

/// Whether `name` is the stand-in of an inactive global.
pub fn is_inactive_global_stand_in(name: &str) -> bool {
    name.starts_with(INACTIVE_GLOBAL_PREFIX)
}

/// Whether global `v` takes its shadow from Enzyme's global-shadow context
/// in a derivative called with `enzyme_context`: a mutable global variable
/// defined in this module (not thread-local, not one of ferment's or
/// LLVM's own) whose type holds floats or pointers.
pub fn context_global(v: Value) -> bool {
    if allocation_kind(v) != Some(AllocKind::Global) || v.is_declaration() {
        return false;
    }
    let name = v.name();
    let ty = v.global_value_type();
    !name.starts_with("llvm.")
        && !name.contains("ferment.")
        && unsafe { llvm_sys::core::LLVMIsThreadLocal(v.0) == 0 }
        && v.address_space() == 0
        && (ty.contains_float() || ty.contains_pointer())
}

/// A global whose implicit shadow belongs to the derivatives of one
/// request (`NAME.ferment.shadow`), and which a call that stays a call
/// carries to its callee's derivative ([`crate::Seeds::shadow_globals`]):
/// mutable, holding floats or pointers, not LLVM's own nor ferment's
/// (except a derivative's shadow global, [`is_derivative_global_name`]), without a
/// user-given shadow and, under `enzyme_context`, not one of the context's.
pub fn carried_global(g: Value, context: bool) -> bool {
    if allocation_kind(g) != Some(AllocKind::Global) || g.user_shadow().is_some() {
        return false;
    }
    let name = g.name();
    let ty = g.global_value_type();
    !name.starts_with("llvm.")
        && (!name.contains("ferment.")
            || (is_derivative_global_name(&name) && g.address_space() == 0))
        && (ty.contains_float() || ty.contains_pointer())
        && !(context && context_global(g))
}

/// Whether `name` is that of a derivative's shadow global: a reverse-mode
/// adjoint global (`NAME.ferment.shadow[.<lane>]`) or a forward-mode tangent
/// global (`NAME.ferment.tangent[.<lane>]`), or one of a nested request's
/// derivatives (`NAME.ferment.shadow.levelL[.<lane>]`). To a derivative of a derivative
/// (forward or reverse mode over a gradient or a tangent) it is memory like
/// a user's global: with calls kept, one helper's derivative stores
/// derivatives into it and another's reads them back (the reverse function
/// of split mode reads an adjoint global whose address the augmented
/// function taped), so it must be carried across the calls like a user's
/// global (`clang-tests/cases/fuzz/fwd_over_split_adjoint_global_noinline.c`,
/// `fwd_over_rev_kept_global_pair_noinline.c`, `fwd_over_fwd_kept_global_pair_noinline.c`).
pub fn is_derivative_global_name(name: &str) -> bool {
    let base = match name.rsplit_once('.') {
        Some((b, l)) if !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()) => b,
        _ => name,
    };
    let base = match base.rsplit_once(".level") {
        Some((b, l)) if !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()) => b,
        _ => base,
    };
    base.ends_with(".ferment.shadow") || base.ends_with(".ferment.tangent")
}

/// The [`carried_global`]s `f` and the functions it calls directly or
/// names (callbacks) use, transitively, in order of first use.
pub fn carried_globals_of(f: Value, context: bool) -> Vec<Value> {
    let mut used = Vec::new();
    let mut seen = HashSet::new();
    let mut todo = vec![f];
    while let Some(f) = todo.pop() {
        if !seen.insert(f) || f.is_declaration() {
            continue;
        }
        for inst in f.instructions() {
            if let Some(callee) = inst.is_call().then(|| inst.called_function()).flatten() {
                todo.push(callee);
            }
            for o in inst.operands() {
                if !o.is_constant() || !o.ty().is_pointer() {
                    continue;
                }
                // A function whose address is taken here (a callback
                // passed on, a dispatch target) may be called from here.
                if o.strip_casts().is_function() {
                    todo.push(o.strip_casts());
                }
                for g in underlying_objects(o) {
                    if g.is_global() && carried_global(g, context) && !used.contains(&g) {
                        used.push(g);
                    }
                }
            }
        }
    }
    used
}

/// Whether every read of the global pointer variable `slot` in `insts` (a
/// function's instructions) reads what a store on every path to it wrote
/// there ([`stored_before`]), so that its shadow is the stored pointer's:
/// `slot` is used only by direct loads and stores, nothing between a load
/// and its stores may write `slot` (only loads, stores into stack slots or
/// other globals, and calls that access no memory or keep `slot`,
/// [`keeps_global`]), and no call here calls or passes on a function of
/// this module that uses `slot`.
pub fn set_before_every_read(slot: Value, insts: &[Value]) -> bool {
    if !slot.global_value_type().is_pointer() {
        return false;
    }
    let harmless_call =
        |c: Value| keeps_global(c, slot) || (c.is_call() && c.call_accesses_no_memory());
    let mut any = false;
    for &i in insts {
        // A function of this module called here, or passed on (an OpenMP region's
        // outlined body, a callback), that uses the variable may read it first.
        if i.is_call()
            && i.operands().into_iter().any(|o| {
                let f = o.strip_casts();
                f.is_function()
                    && !f.is_declaration()
                    && carried_globals_of(f, false).contains(&slot)
            })
        {
            return false;
        }
        if !i.operands().contains(&slot) {
            continue;
        }
        match i.opcode() {
            Opcode::LLVMStore if i.operand(1) == slot && i.operand(0) != slot => {}
            Opcode::LLVMLoad => {
                any = true;
                let found = stored_before(i, &harmless_call).is_some();
                if !found {
                    return false;
                }
            }
            _ => return false,
        }
    }
    any
}

/// Whether `inst` (a store or a call) leaves the global variable `g` as it
/// is, known because `g` has internal linkage and is only loaded, stored
/// and cleared (`memset`) directly (its address is never taken, so no
/// pointer reaches it): a store
/// through a pointer, a call of an external function without pointer
/// arguments (which cannot call back into this file) or of the C library's
/// heap functions ([`never_calls_back`]), or of a function of
/// this module that does not use `g` (nor any function it is passed) and
/// makes no indirect call.
pub fn keeps_global(inst: Value, g: Value) -> bool {
    // A `memset` of the variable itself (a derivative clearing a shadow
    // global on entry) writes it without taking its address.
    let clears = |u: &Value| {
        u.is_call()
            && u.operand(0) == g
            && u.operands().iter().filter(|o| **o == g).count() == 1
            && u.called_function()
                .is_some_and(|f| f.name().starts_with("llvm.memset."))
    };
    let private = g.is_global()
        && g.has_local_linkage()
        && g.users().iter().all(|u| {
            u.is_instruction()
                && ((matches!(u.opcode(), Opcode::LLVMLoad | Opcode::LLVMStore)
                    && u.operand(usize::from(u.opcode() == Opcode::LLVMStore)) == g)
                    || clears(u))
        });
    if !private {
        return false;
    }
    if inst.opcode() == Opcode::LLVMStore {
        return inst.operand(1) != g;
    }
    let call = inst;
    let Some(callee) = call.called_function() else {
        return false;
    };
    if callee.name().starts_with("llvm.") {
        return false;
    }
    if callee.is_declaration() {
        return call.call_args().iter().all(|a| !a.ty().is_pointer())
            || never_calls_back(&callee.name());
    }
    !calls_indirectly(callee)
        && !call.operands().into_iter().any(|o| {
            let f = o.strip_casts();
            f.is_function() && !f.is_declaration() && carried_globals_of(f, false).contains(&g)
        })
}

/// Whether the external function `name` is one of the C library's heap
/// functions, which take pointers but never call back into the program: a
/// derivative's tape blocks (`ferment.tape.take` is `realloc` in a copy
/// made for forward mode) and shadow blocks come and go through them.
fn never_calls_back(name: &str) -> bool {
    matches!(
        name,
        "malloc"
            | "calloc"
            | "realloc"
            | "free"
            | "aligned_alloc"
            | "posix_memalign"
            | "malloc_usable_size"
            | "madvise"
    )
}

/// Whether `f` or a function it calls directly, transitively, makes an
/// indirect call (through a pointer loaded from a table, say), whose target
/// [`carried_globals_of`] may not see.
fn calls_indirectly(f: Value) -> bool {
    let mut seen = HashSet::new();
    let mut todo = vec![f];
    while let Some(f) = todo.pop() {
        if f.is_declaration() || !seen.insert(f) {
            continue;
        }
        if seen.len() > 256 {
            return true;
        }
        for i in f.instructions() {
            if i.is_call() {
                match i.called_function() {
                    Some(c) => todo.push(c),
                    None => return true,
                }
            }
        }
    }
    false
}

/// The values `load` may read when, on every path from the function's entry
/// to it, a store to the same address wrote it, with nothing between that may
/// write there: only loads, stores into stack slots or globals other than
/// the load's objects, calls and other stores `harmless` accepts, and
/// instructions that write no memory. None where a path has no such store
/// (or the walk is too long).
pub fn stored_before(load: Value, harmless: &dyn Fn(Value) -> bool) -> Option<Vec<Value>> {
    let p = load.operand(0);
    let objects = underlying_objects(p);
    let function = load.parent().parent();
    let mut preds: HashMap<Block, Vec<Block>> = HashMap::new();
    for b in function.blocks() {
        for s in b.successors() {
            preds.entry(s).or_default().push(b);
        }
    }
    let mut values: Vec<Value> = Vec::new();
    let mut seen: HashSet<Block> = HashSet::new();
    let mut work = vec![(load.parent(), load.prev_instruction())];
    let mut steps = 0usize;
    while let Some((blk, start)) = work.pop() {
        let mut at = start;
        let mut stored = false;
        while let Some(i) = at {
            steps += 1;
            if steps > 100_000 {
                return None;
            }
            match i.opcode() {
                Opcode::LLVMStore if i.operand(1) == p => {
                    if i.operand(0).ty() != load.ty() {
                        return None;
                    }
                    if !values.contains(&i.operand(0)) {
                        values.push(i.operand(0));
                    }
                    stored = true;
                    break;
                }
                Opcode::LLVMStore => {
                    let theirs = underlying_objects(i.operand(1));
                    let apart = !theirs.is_empty()
                        && theirs.iter().all(|o| {
                            (o.is_global()
                                || (o.is_instruction() && o.opcode() == Opcode::LLVMAlloca))
                                && !objects.contains(o)
                        });
                    if !apart && !harmless(i) {
                        return None;
                    }
                }
                Opcode::LLVMCall if !harmless(i) => return None,
                Opcode::LLVMInvoke
                | Opcode::LLVMCallBr
                | Opcode::LLVMAtomicRMW
                | Opcode::LLVMAtomicCmpXchg
                | Opcode::LLVMFence
                | Opcode::LLVMVAArg => return None,
                _ => {}
            }
            at = i.prev_instruction();
        }
        if stored {
            continue;
        }
        // The block's start: every predecessor must store too (the entry has none).
        let ps = preds.get(&blk).filter(|ps| !ps.is_empty())?;
        for &pb in ps {
            if seen.insert(pb) {
                work.push((pb, pb.terminator()));
            }
        }
    }
    (!values.is_empty()).then_some(values)
}

/// Whether `v` calls the part of ferment's context run time that returns
/// memory holding derivatives: a context (`ferment.ctx.new`) or the shadow
/// of a global in one (`ferment.ctx.shadow`, `ferment.ctx.global`). Met in
/// code that uses contexts (a derivative called with one), whose forward
/// derivative carries their tangents in a second context.
pub fn context_runtime_pointer(v: Value) -> bool {
    v.is_call()
        && v.called_function().is_some_and(|f| {
            matches!(
                f.name().as_str(),
                "ferment.ctx.new" | "ferment.ctx.shadow" | "ferment.ctx.global"
            )
        })
}

/// Whether `v` is a call of a function of this module that returns memory
/// it (or a function it calls) allocated: an allocation wrapper such as
/// `std::allocator<double>::allocate`, kept a call. The callee's body is
/// read as the host left it: at -O0 (`optnone`) a wrapper returns a load
/// of its local's stack slot (`void *p = malloc(n); if (!p) abort();
/// return p;`), which stands for the values every path stores there first
/// ([`stored_before`]; `clang-tests/cases/memory/kept_void_wrapper_O0.c`).
pub fn returns_fresh_memory(v: Value) -> bool {
    fn loaded_from_slot(b: Value) -> bool {
        b.is_instruction() && b.opcode() == Opcode::LLVMLoad && {
            let objects = underlying_objects(b.operand(0));
            !objects.is_empty()
                && objects
                    .iter()
                    .all(|o| o.is_instruction() && o.opcode() == Opcode::LLVMAlloca)
        }
    }
    /// The objects `v` may point to, through loads of stack slots; None
    /// where a slot's value is not known.
    fn returned_objects(v: Value) -> Option<Vec<Value>> {
        let mut bases = underlying_objects(v);
        let mut hops = 0;
        while let Some(k) = bases.iter().position(|b| loaded_from_slot(*b)) {
            hops += 1;
            if hops > 8 {
                return None;
            }
            // A slot whose address goes nowhere but into its own loads and
            // stores is written only by those stores: at -O0 a factory
            // filling the node it returns (`L->f = calloc(..); L->next =
            // make(..); return L;`) writes through other pointers and
            // makes calls between the slot's store and its reload.
            let slots = underlying_objects(bases[k].operand(0));
            let private = slots.iter().all(|s| slot_stays_private(*s));
            let harmless = |i: Value| {
                private
                    && (i.opcode() != Opcode::LLVMStore
                        || underlying_objects(i.operand(1))
                            .iter()
                            .all(|o| !slots.contains(o)))
            };
            let stored = stored_before(bases[k], &harmless)?;
            bases.swap_remove(k);
            for s in stored {
                for o in underlying_objects(s) {
                    if !bases.contains(&o) {
                        bases.push(o);
                    }
                }
            }
        }
        Some(bases)
    }
    fn returns_fresh(f: Value, depth: u32) -> bool {
        if f.is_declaration() || depth > 6 || !f.global_value_type().fn_return().is_pointer() {
            return false;
        }
        let mut any = false;
        for r in f.instructions() {
            if r.opcode() != Opcode::LLVMRet || r.num_operands() != 1 {
                continue;
            }
            let Some(bases) = returned_objects(r.operand(0)) else {
                return false;
            };
            for base in bases {
                let fresh = matches!(
                    allocation_kind(base),
                    Some(AllocKind::Heap { .. } | AllocKind::Calloc | AllocKind::Realloc)
                ) || (base.is_call()
                    && base
                        .called_function()
                        .is_some_and(|g| g != f && returns_fresh(g, depth + 1)));
                if !fresh {
                    return false;
                }
                any = true;
            }
        }
        any
    }
    v.is_call()
        && allocation_kind(v).is_none()
        && v.called_function().is_some_and(|f| returns_fresh(f, 0))
}

/// Whether the stack slot `slot` (an `alloca`) is used only as the address
/// of loads and stores, directly or through GEPs and casts of it, and by
/// lifetime markers: its address is never stored, passed to a call or
/// compared, so no other instruction can write it.
fn slot_stays_private(slot: Value) -> bool {
    if !(slot.is_instruction() && slot.opcode() == Opcode::LLVMAlloca) {
        return false;
    }
    let mut work = vec![slot];
    let mut seen = HashSet::new();
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            if !u.is_instruction() {
                return false;
            }
            match u.opcode() {
                Opcode::LLVMLoad => {}
                Opcode::LLVMStore if u.operand(1) == v && u.operand(0) != v => {}
                Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast
                    if u.operand(0) == v =>
                {
                    work.push(u)
                }
                Opcode::LLVMCall if u.called_name().starts_with("llvm.lifetime") => {}
                _ => return false,
            }
        }
    }
    true
}

/// Whether `v` calls libstdc++'s `std::basic_string<...>::_M_create(size_t&
/// capacity, size_t old)` (defined in the shared library): it returns a
/// fresh heap block of `capacity + 1` characters (the capacity as the call
/// leaves it), from `operator new`, which the string frees with `operator
/// delete` where it disposes of its buffer. Such a block holds characters
/// only; where its pointer needs a shadow (stored into shadowed memory),
/// the shadow is a block of its own, freed where the primal one is.
pub fn is_string_create(v: Value) -> bool {
    v.is_call() && {
        let name = v.called_name();
        name.starts_with("_ZNSt7__cxx1112basic_string") && name.contains("9_M_createE")
    }
}

/// The allocation kind of `v`, when it creates a fresh object.
pub fn allocation_kind(v: Value) -> Option<AllocKind> {
    if v.is_global() {
        let constant = unsafe { llvm_sys::core::LLVMIsGlobalConstant(v.0) != 0 };
        let name = v.name();
        return (!constant
            && !name.starts_with("enzyme_")
            && !name.starts_with("__enzyme")
            && !is_inactive_global_stand_in(&name))
        .then_some(AllocKind::Global);
    }
    if !v.is_instruction() {
        return None;
    }
    if v.opcode() == Opcode::LLVMAlloca {
        return Some(AllocKind::Stack);
    }
    if !v.is_call() {
        return None;
    }
    let name = v.called_function()?.name();
    if let Some(rest) = name.strip_prefix(ALLOC_LIKE_PREFIX) {
        let size_arg = rest.split('.').next()?.parse().ok()?;
        return Some(AllocKind::Heap { size_arg });
    }
    match name.as_str() {
        // flang's runtime allocates a pointer's target with `malloc` and a
        // footer that its DEALLOCATE checks.
        "malloc"
        | "_Znwm"
        | "_Znam"
        | "_ZnwmRKSt9nothrow_t"
        | "_ZnamRKSt9nothrow_t"
        | "AllocateValidatedPointerPayload" => Some(AllocKind::Heap { size_arg: 0 }),
        "aligned_alloc" | "_ZnwmSt11align_val_t" | "_ZnamSt11align_val_t" => {
            Some(AllocKind::Heap {
                size_arg: if name == "aligned_alloc" { 1 } else { 0 },
            })
        }
        "calloc" => Some(AllocKind::Calloc),
        "realloc" => Some(AllocKind::Realloc),
        "posix_memalign" => Some(AllocKind::OutParam { size_arg: 2 }),
        _ => None,
    }
}

/// Whether `name` copies memory (`llvm.memcpy.*`, `memcpy`, `memmove`...).
pub fn is_memcpy_like(name: &str) -> bool {
    name.starts_with("llvm.memcpy")
        || name.starts_with("llvm.memmove")
        || name == "memcpy"
        || name == "memmove"
}

/// Whether `name` fills memory with a byte (`llvm.memset.*`, `memset`).
pub fn is_memset_like(name: &str) -> bool {
    name.starts_with("llvm.memset") || name == "memset"
}

/// For a user deallocation stand-in, what each argument of its calls is:
/// `None` the freed pointer, `Some(k)` argument `k` of the allocation.
pub fn free_like_arguments(name: &str) -> Option<Vec<Option<usize>>> {
    let rest = name.strip_prefix(FREE_LIKE_PREFIX)?;
    let (spec, _) = rest.split_once('.')?;
    spec.split('_')
        .map(|a| {
            if a == "p" {
                Some(None)
            } else {
                a.parse().ok().map(Some)
            }
        })
        .collect()
}

/// Which argument of a call of the deallocation function `name` is the
/// pointer it frees.
pub fn freed_pointer_argument(name: &str) -> usize {
    free_like_arguments(name)
        .and_then(|args| args.iter().position(|a| a.is_none()))
        .unwrap_or(0)
}

/// Whether `name` releases heap memory (`free`, `operator delete`...).
pub fn is_free_like(name: &str) -> bool {
    name.starts_with(FREE_LIKE_PREFIX)
        || matches!(
            name,
            "free"
                | "_ZdlPv"
                | "_ZdaPv"
                | "_ZdlPvm"
                | "_ZdaPvm"
                | "_ZdlPvSt11align_val_t"
                | "_ZdaPvSt11align_val_t"
                | "_ZdlPvmSt11align_val_t"
                | "_ZdaPvmSt11align_val_t"
        )
}

/// The objects (allocations, arguments, globals, loaded pointers) that `p`
/// may point into, looking through GEPs, casts, phis and selects.
pub fn underlying_objects(p: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut work = vec![p];
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        if v.is_instruction() || v.is_constant_expr() {
            match v.opcode() {
                Opcode::LLVMGetElementPtr
                | Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze => {
                    work.push(v.operand(0));
                    continue;
                }
                Opcode::LLVMPHI if v.is_instruction() => {
                    work.extend(v.operands());
                    continue;
                }
                Opcode::LLVMSelect => {
                    work.push(v.operand(1));
                    work.push(v.operand(2));
                    continue;
                }
                _ => {}
            }
        }
        out.push(v);
    }
    out
}
