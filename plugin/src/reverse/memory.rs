//! Reverse of memory calls on shadowed memory: `memcpy`/`memmove` move
//! adjoints back from the destination to the source, `memset` clears the
//! adjoint of what it overwrote, and each shadow allocation made in the
//! forward sweep is freed when the reverse sweep passes its allocation.

use super::ReverseSweep;
use crate::error::{Error, Result};
use crate::retype::CopyLayout;
use crate::reverse::tape::declare;
use crate::shadow;
use ferment_activity_analysis::{allocation_kind, underlying_objects, AllocKind};
use ferment_ir::{Block, Builder, IntPredicate, Module, Opcode, Type, Value};
use hashbrown::{HashMap, HashSet};

/// Handles `inst` when it is a memory call; returns true if it did.
pub(super) fn reverse_call(s: &mut ReverseSweep, inst: Value) -> Result<bool> {
    let mut handled = false;
    for lane in 0..s.width {
        handled = reverse_call_lane(s, inst, lane)?;
        if !handled {
            break;
        }
    }
    Ok(handled)
}

/// [`reverse_call`] in one adjoint lane.
fn reverse_call_lane(s: &mut ReverseSweep, inst: Value, lane: usize) -> Result<bool> {
    let name = inst.called_name();
    let args = inst.call_args();
    if (shadow::is_memcpy(&name) || shadow::is_memset(&name))
        && shadow::integer_only_memory_call(s.module, Some(&s.types), inst)
    {
        // Integers copied or set: no derivative to move (and through a
        // pointer that may have no shadow, whose shadow is then the primal
        // memory, clearing the "shadow" would clear primal data).
        return Ok(true);
    }
    if shadow::is_memcpy(&name) {
        let (d, src, n) = (args[0], args[1], args[2]);
        let Some(sd) = s.shadow_in_reverse_lane(d, lane) else {
            return Ok(true);
        };
        // Where a shadow may equal its primal pointer at run time (the
        // caller passed the primal memory as its own shadow, or constant
        // data standing for its own shadow, `shadow::float_copy_from`), the
        // copy's reverse compares them: a destination that is its own
        // shadow holds primal data, no adjoint, and is left alone; a
        // source that is its own shadow is constant data, which receives
        // nothing (the destination's adjoints are only cleared).
        let own_dst = if shadow::shadow_from_caller(d) {
            let pd = s.primal(d);
            Some(s.b.icmp(IntPredicate::LLVMIntEQ, sd, pd))
        } else {
            None
        };
        match s.shadow_in_reverse_lane(src, lane) {
            Some(ss) => {
                // GPU: other threads may read (and so accumulate into) the
                // same source at the same time, unless it is this thread's
                // stack.
                let atomic = s.gpu_private.is_some()
                    && !ferment_activity_analysis::underlying_objects(src)
                        .iter()
                        .all(|o| {
                            ferment_activity_analysis::allocation_kind(*o) == Some(AllocKind::Stack)
                        });
                let layout = crate::retype::copy_layout(s.module, &s.types, d, src, n);
                let own_src = if s.first_shadows().is_some_and(|sh| sh.may_be_own(src))
                    || shadow::shadow_from_caller(src)
                {
                    let ps = s.primal(src);
                    Some(s.b.icmp(IntPredicate::LLVMIntEQ, ss, ps))
                } else {
                    None
                };
                match layout {
                    CopyLayout::NoFloats { .. } => {}
                    CopyLayout::Ambiguous { at } => {
                        let message = format!("cannot tell what bytes {at}.. of the memory '{}' copies hold (floats or pointers), so their derivatives cannot be moved", inst.describe());
                        // std::function's move/copy of its stored callable
                        // (`_Any_data`): a capture pointer in some callables,
                        // captured doubles in others, at the same bytes.
                        if copies_std_function(inst) {
                            return Err(Error::at(inst, format!("{message}: it is a std::function's copy of its stored callable (_Any_data), which holds a pointer for some lambdas and captured floating-point values for others")).hint("reverse mode needs one layout per copy: keep std::function objects whose callables capture different things out of one container (or pass the lambdas as template parameters), or use forward mode (__enzyme_fwddiff), which copies the bytes whatever they hold"));
                        }
                        return Err(Error::at(inst, message)
                        .hint("copy the structure field by field, or access that field with its type in the function"));
                    }
                    CopyLayout::Fields { floats, .. } => {
                        move_fields(s, sd, ss, &floats, atomic, own_dst, own_src)
                    }
                    CopyLayout::Floats(_)
                        if own_src.is_none()
                            && own_dst.is_none()
                            && s.tape.swap_shadows(&s.loops, &s.b, inst, lane) => {}
                    CopyLayout::Floats(_) | CopyLayout::Unknown => {
                        let ty = match layout {
                            CopyLayout::Floats(t) => Some(t),
                            _ => guess_float_type(&[d, src]),
                        }
                        .ok_or_else(|| {
                            Error::at(inst, format!("cannot tell which floating-point type '{}' copies", inst.describe()))
                                .hint("copy the data with a typed loop, or access it as double/float elsewhere in the function")
                        })?;
                        let size = s.module.alloc_size(ty);
                        if let Some(bytes) = n.const_int().filter(|b| {
                            size > 0
                                && *b > 0
                                && (*b as u64).is_multiple_of(size)
                                && *b as u64 / size <= INLINE_COPY_ELEMENTS
                        }) {
                            // A few elements: moved in place, without the
                            // helper's two vectorized loops.
                            let floats: Vec<(u64, Type)> =
                                (0..bytes as u64 / size).map(|k| (k * size, ty)).collect();
                            move_fields(s, sd, ss, &floats, atomic, own_dst, own_src);
                            return Ok(true);
                        }
                        let helper = memcpy_adjoint_helper(s.module, ty, atomic);
                        let n = s.primal(n);
                        let n64 = s.b.int_cast(n, s.b.i64(), false);
                        let zero = s.b.zero(n64.ty());
                        let skip = match (own_src, own_dst) {
                            (Some(a), Some(b)) => Some(s.b.or_int(a, b)),
                            (a, b) => a.or(b),
                        };
                        let moved = match skip {
                            Some(skip) => s.b.select(skip, zero, n64),
                            None => n64,
                        };
                        s.b.call_fn(helper, &[sd, ss, moved]);
                        if let Some(own) = own_src {
                            // constant source: the destination's adjoints
                            // are cleared, not moved
                            let clear = match own_dst {
                                Some(d_own) => s.b.and_int(own, s.b.not(d_own)),
                                None => own,
                            };
                            let cleared = s.b.select(clear, n64, zero);
                            s.b.memset(sd, s.b.const_int(s.b.i8(), 0), cleared);
                        }
                    }
                }
            }
            None => {
                let n = s.primal(n);
                let n = match own_dst {
                    Some(own) => s.b.select(own, s.b.zero(n.ty()), n),
                    None => n,
                };
                s.b.memset(sd, s.b.const_int(s.b.i8(), 0), n);
            }
        }
        return Ok(true);
    }
    if shadow::is_memset(&name) {
        if let Some(sd) = s.shadow_in_reverse_lane(args[0], lane) {
            let n = s.primal(args[2]);
            let n = if shadow::shadow_from_caller(args[0]) {
                // a destination that is its own shadow holds primal data
                let pd = s.primal(args[0]);
                let own = s.b.icmp(IntPredicate::LLVMIntEQ, sd, pd);
                s.b.select(own, s.b.zero(n.ty()), n)
            } else {
                n
            };
            s.b.memset(sd, s.b.const_int(s.b.i8(), 0), n);
        }
        return Ok(true);
    }
    if name == "ferment.ctx.new" {
        // The context was created here: nothing before this point in the
        // forward sweep used its second context.
        if let Some(twin) = s.shadow_in_reverse_lane(inst, lane) {
            let twin = match s.free_flag {
                // Split shape with `enzyme_nofree`: kept for another reverse
                // sweep (releasing null does nothing).
                Some(flag) => s.b.select(flag, twin, s.b.zero(twin.ty())),
                None => twin,
            };
            let outer = s.activity.context_globals();
            crate::context::free_adjoints(s.module, &s.b, inst, twin, outer)?;
        }
        return Ok(true);
    }
    if name == "ferment.ctx.zero" {
        // Zeroing a context's shadows overwrote them: the adjoints of the
        // values they held (in the second context, `context::tangent_twin`)
        // are cleared.
        if let Some(twin) = s.shadow_in_reverse_lane(args[0], lane) {
            crate::context::zero_adjoints(s.module, &s.b, twin)?;
        }
        return Ok(true);
    }
    if shadow::is_free(&name) {
        // The primal memory was freed in the forward sweep; its shadow is
        // released when the reverse sweep reaches the allocation.
        let arg = ferment_activity_analysis::freed_pointer_argument(&name);
        if let Some(&p) = args.get(arg) {
            reverse_free(s, inst, p, lane);
        }
        return Ok(true);
    }
    Ok(false)
}

/// Heap allocations of `f` whose shadows are freed only where the primal
/// memory was, decided before the sweep changes its blocks (combined
/// shape: the `ret`s become jumps into the reverse sweep, and a free no
/// longer lies on a path that returns).
#[derive(Default)]
pub(super) struct HeapFates {
    /// Memory the function hands to its caller on some paths and frees
    /// with a free-like call on others that return, by those frees:
    /// `std::unordered_map::emplace` builds a node, links it into the map
    /// when its key is new and frees it when the key is there already.
    /// Whether the primal memory was freed is known only at run time, so
    /// the reverse of each such free records the pointer it freed
    /// (`Adjoints::freed_slot`) and the reverse of the allocation frees the
    /// shadow only when that pointer is the allocation's: a shadow linked
    /// into the caller's shadow structure stays there. (Memory a `realloc`
    /// frees keeps the unconditional rule.)
    pub kept_frees: HashMap<Value, Vec<Value>>,
    pub kept: HashSet<Value>,
    /// Heap memory the function never frees on a path that returns and
    /// hands to its caller (returned, or stored where the caller reaches
    /// it), decided before the `ret`s return the augmented struct: in a
    /// derivative of a call that stays a call, its shadow goes to the
    /// caller with it, and is freed where the reverse sweep finds it freed
    /// later ([`super::handoffs`]).
    pub escaping: HashSet<Value>,
}

pub(super) fn heap_fates(f: Value) -> HeapFates {
    let returning = returning_blocks(f);
    let mut frees: HashMap<Value, Vec<Value>> = HashMap::new();
    let mut reallocated = HashSet::new();
    let mut heap = Vec::new();
    for i in f.instructions() {
        if !i.is_call() {
            continue;
        }
        if matches!(
            allocation_kind(i),
            Some(AllocKind::Heap { .. } | AllocKind::Calloc | AllocKind::Realloc)
        ) {
            heap.push(i);
        }
        if !returning.contains(&i.parent()) {
            continue;
        }
        let Some(name) = i.called_function().map(|f| f.name()) else {
            continue;
        };
        let free_like = ferment_activity_analysis::is_free_like(&name);
        let arg = if free_like {
            ferment_activity_analysis::freed_pointer_argument(&name)
        } else if name == "realloc" {
            0
        } else {
            continue;
        };
        let Some(&p) = i.call_args().get(arg) else {
            continue;
        };
        for o in underlying_objects(p) {
            if free_like {
                frees.entry(o).or_default().push(i);
            } else {
                reallocated.insert(o);
            }
        }
    }
    let mut fates = HeapFates::default();
    for o in heap {
        if reallocated.contains(&o)
            || !(reaches_caller(o) || (!frees.contains_key(&o) && handed_to_kept_call(o)))
        {
            continue;
        }
        if !frees.contains_key(&o) {
            fates.escaping.insert(o);
            continue;
        }
        fates.kept.insert(o);
        for &free in &frees[&o] {
            fates.kept_frees.entry(free).or_default().push(o);
        }
    }
    fates
}

/// Reverse of a free-like call `inst` of `p`: records the pointer it freed
/// for each allocation it may free whose shadow is freed only where the
/// primal was (`HeapFates::kept_frees`).
fn reverse_free(s: &mut ReverseSweep, inst: Value, p: Value, lane: usize) {
    if lane != 0 {
        return;
    }
    if s.key.handoffs && frees_foreign(p) && s.activity.is_shadowed(p) {
        // memory another function may have allocated and handed out:
        // its allocation's reverse, still to come, frees the shadow
        if let Some(h) = super::handoffs::helpers(s.module) {
            let freed = s.primal(p);
            s.b.call_fn(h.push, &[freed]);
        }
    }
    let Some(allocs) = s.heap_fates.kept_frees.get(&inst) else {
        return;
    };
    let allocs: Vec<Value> = allocs
        .iter()
        .copied()
        .filter(|&o| has_heap_shadow(s, o))
        .collect();
    if allocs.is_empty() {
        return;
    }
    let freed = s.primal(p);
    for o in allocs {
        let slot = s.adjoints.freed_slot(o);
        s.b.store(freed, slot);
    }
}

/// Whether a free of `p` may free memory its function did not allocate
/// itself: `p` may come from a call, from memory, or from an argument.
/// A pointer reloaded from a stack slot (-O0 code) is the function's own
/// when the slot only ever receives its own allocations, directly or
/// through other such slots, and no one else may write it (its address
/// goes nowhere).
fn frees_foreign(p: Value) -> bool {
    let mut seen = HashSet::new();
    underlying_objects(p)
        .into_iter()
        .any(|o| is_foreign(o, &mut seen))
}

fn is_foreign(o: Value, seen: &mut HashSet<Value>) -> bool {
    if o.is_constant()
        || matches!(
            allocation_kind(o),
            Some(AllocKind::Heap { .. } | AllocKind::Calloc | AllocKind::Realloc)
        )
    {
        return false;
    }
    if o.is_instruction() && o.opcode() == Opcode::LLVMLoad {
        let slot = o.operand(0);
        if slot.is_instruction() && slot.opcode() == Opcode::LLVMAlloca {
            // (a slot met again: judged by the stores already looked at)
            return seen.insert(slot) && !slot_holds_own(slot, seen);
        }
    }
    true
}

/// Whether every use of the stack slot `slot` loads from it or stores into
/// it a pointer to the function's own allocations.
fn slot_holds_own(slot: Value, seen: &mut HashSet<Value>) -> bool {
    slot.users().into_iter().all(|u| match u.opcode() {
        Opcode::LLVMLoad => true,
        Opcode::LLVMStore if u.operand(1) == slot && u.operand(0) != slot => {
            underlying_objects(u.operand(0))
                .into_iter()
                .all(|o| !is_foreign(o, seen))
        }
        _ => false,
    })
}

/// Whether the functions `root` may call (itself, and the functions with a
/// body it reaches through calls, or passes as arguments, other than
/// OpenMP parallel regions, which decide for themselves) may hand heap
/// memory from one function that allocates it to another that frees it
/// ([`super::handoffs`]): one has a heap allocation that may leave it, and
/// one frees memory it did not allocate. Judged on the user's functions
/// before their canonical copies exist (inlining into a copy only turns
/// such memory into its caller's own), through the stack slots of -O0
/// code ([`may_leave_function`]).
pub(crate) fn handoffs_needed(root: Value) -> bool {
    let (mut escaping, mut foreign) = (false, false);
    let mut work = vec![root];
    let mut seen = HashSet::new();
    seen.insert(root);
    while let Some(f) = work.pop() {
        for i in f.instructions() {
            if !i.is_call() {
                continue;
            }
            // callees, and functions handed to callees (a comparator)
            for g in i.called_function().into_iter().chain(i.call_args()) {
                if g.is_function()
                    && !g.is_declaration()
                    && walks_into(g)
                    && !crate::openmp::is_parallel_region(g)
                    && seen.insert(g)
                {
                    work.push(g);
                }
            }
            let Some(name) = i.called_function().map(|g| g.name()) else {
                continue;
            };
            if !escaping
                && matches!(
                    allocation_kind(i),
                    Some(AllocKind::Heap { .. } | AllocKind::Calloc | AllocKind::Realloc)
                )
                && may_leave_function(i)
            {
                escaping = true;
            }
            if !foreign && ferment_activity_analysis::is_free_like(&name) {
                let arg = ferment_activity_analysis::freed_pointer_argument(&name);
                foreign = i.call_args().get(arg).is_some_and(|&p| frees_foreign(p));
            }
            // (a `realloc` frees the block it grows)
            if !foreign && allocation_kind(i) == Some(AllocKind::Realloc) {
                foreign = i.call_args().first().is_some_and(|&p| frees_foreign(p));
            }
            if escaping && foreign {
                return true;
            }
        }
    }
    false
}

/// Whether [`handoffs_needed`] looks into `g`: the user's functions, their
/// specialized copies (`ferment.fnarg.`, `ferment.spec.`) and the
/// derivatives the user's code calls (an inner request's split-mode pair
/// hands its heap frame from the augmented function to the reverse one,
/// which frees it), but not ferment's own helpers.
fn walks_into(g: Value) -> bool {
    let name = g.name();
    !name.starts_with("ferment.")
        || [
            "ferment.fnarg.",
            "ferment.spec.",
            "ferment.augmented.",
            "ferment.reverse.",
            "ferment.diffe.",
            "ferment.fwddiffe.",
        ]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Whether a pointer based on `alloc` may leave its function, judged on
/// code as the user's compile left it (at -O0 every local lives in a stack
/// slot): returned, stored into memory other than the function's stack
/// slots, stored into a slot whose loads may leave, or passed to a function
/// with a body (or one that links it into a structure).
fn may_leave_function(alloc: Value) -> bool {
    let mut work = vec![alloc];
    let mut seen = HashSet::new();
    let is_slot = |o: &Value| o.is_instruction() && o.opcode() == Opcode::LLVMAlloca;
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            match u.opcode() {
                Opcode::LLVMGetElementPtr
                | Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze
                | Opcode::LLVMPHI
                | Opcode::LLVMSelect => work.push(u),
                Opcode::LLVMRet => return true,
                Opcode::LLVMStore if u.operand(0) == v => {
                    let slots = underlying_objects(u.operand(1));
                    if !slots.iter().all(is_slot) {
                        return true;
                    }
                    for slot in slots {
                        slot_loads(slot, &mut work);
                    }
                }
                Opcode::LLVMCall | Opcode::LLVMInvoke
                    if super::calls::callee_of(u).is_some_and(|c| !c.is_declaration())
                        || shadow::is_mirrored_structure_call(&u.called_name()) =>
                {
                    return true;
                }
                _ => {}
            }
        }
    }
    false
}

/// The pointer loads from the stack slot `slot` (at any offset, through
/// address arithmetic on it), pushed onto `out`.
fn slot_loads(slot: Value, out: &mut Vec<Value>) {
    let mut work = vec![slot];
    let mut seen = HashSet::new();
    while let Some(p) = work.pop() {
        if !seen.insert(p) {
            continue;
        }
        for u in p.users() {
            match u.opcode() {
                Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast => {
                    work.push(u)
                }
                Opcode::LLVMLoad if u.ty().is_pointer() => out.push(u),
                _ => {}
            }
        }
    }
}

/// Whether the function holding the allocation `alloc` frees it (a
/// free-like call, or a `realloc`, of a pointer based on it) where it may
/// still return: a free on a path that only unwinds (a `_Scoped_node`'s
/// cleanup in `std::unordered_map::operator[]`) runs in no call whose
/// reverse sweep runs.
fn freed_in_function(alloc: Value) -> bool {
    let f = alloc.function_of();
    let returning = returning_blocks(f);
    f.instructions().into_iter().any(|i| {
        if !i.is_call() || !returning.contains(&i.parent()) {
            return false;
        }
        let Some(name) = i.called_function().map(|f| f.name()) else {
            return false;
        };
        let arg = if ferment_activity_analysis::is_free_like(&name) {
            ferment_activity_analysis::freed_pointer_argument(&name)
        } else if name == "realloc" {
            0
        } else {
            return false;
        };
        i.call_args()
            .get(arg)
            .is_some_and(|&p| ferment_activity_analysis::underlying_objects(p).contains(&alloc))
    })
}

/// Whether the heap allocation `alloc` has a shadow (in the first lane;
/// the lanes agree).
fn has_heap_shadow(s: &ReverseSweep, alloc: Value) -> bool {
    s.shadows
        .first()
        .is_some_and(|sh| sh.heap.iter().any(|(p, _)| *p == alloc))
}

/// The blocks of `f` from which a `ret` can be reached: the `ret` blocks,
/// then their predecessors, walked backwards once.
fn returning_blocks(f: Value) -> HashSet<Block> {
    let mut preds: hashbrown::HashMap<Block, Vec<Block>> = hashbrown::HashMap::new();
    let mut work = Vec::new();
    for b in f.blocks() {
        for s in b.successors() {
            preds.entry(s).or_default().push(b);
        }
        if b.terminator()
            .is_some_and(|t| t.opcode() == Opcode::LLVMRet)
        {
            work.push(b);
        }
    }
    let mut out: HashSet<Block> = work.iter().copied().collect();
    while let Some(b) = work.pop() {
        for &p in preds.get(&b).map(Vec::as_slice).unwrap_or(&[]) {
            if out.insert(p) {
                work.push(p);
            }
        }
    }
    out
}

/// Whether a pointer based on `alloc` is returned or stored into memory the
/// caller may reach: memory based on an argument or a global, on a pointer
/// read from such memory (a hash table's bucket, a list's node reached from
/// the argument), on a pointer a call returned given such a pointer, or on
/// another allocation of the function that reaches the caller itself.
fn reaches_caller(alloc: Value) -> bool {
    reaches_caller_from(alloc, &mut HashSet::new())
}

fn reaches_caller_from(alloc: Value, seen: &mut HashSet<Value>) -> bool {
    let mut work = vec![alloc];
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            match u.opcode() {
                Opcode::LLVMGetElementPtr
                | Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze
                | Opcode::LLVMPHI
                | Opcode::LLVMSelect => work.push(u),
                Opcode::LLVMRet => return true,
                Opcode::LLVMStore
                    if u.operand(0) == v && may_be_caller_memory(u.operand(1), seen) =>
                {
                    return true;
                }
                // linked into a container the caller may reach by one of
                // libstdc++'s out-of-line node-linking functions
                // (`std::map`'s `_Rb_tree_insert_and_rebalance(node,
                // parent, header)`), which the shadows repeat
                Opcode::LLVMCall | Opcode::LLVMInvoke
                    if shadow::is_mirrored_structure_call(&u.called_name())
                        && u.call_args().into_iter().any(|a| {
                            a != v && a.ty().is_pointer() && may_be_caller_memory(a, seen)
                        }) =>
                {
                    return true;
                }
                _ => {}
            }
        }
    }
    false
}

/// Whether heap memory `alloc`, which its function never frees on a path
/// that returns, is handed to a function that stays a call and may keep it
/// (no `captures(none)`), where that function may store it into memory the
/// caller reaches (another of its pointer arguments) or return it to a use
/// that reaches the caller: `_Hashtable::_M_insert_unique_node(table, ..,
/// node, ..)` linking the node `try_emplace` built and returning it as the
/// iterator stored into the caller's out slot (-ferment-no-inline at -O2).
/// (Memory the function frees itself keeps the rule `reaches_caller` gives.)
fn handed_to_kept_call(alloc: Value) -> bool {
    let mut seen = HashSet::new();
    let mut work = vec![alloc];
    let mut derived = HashSet::new();
    while let Some(v) = work.pop() {
        if !derived.insert(v) {
            continue;
        }
        for u in v.users() {
            match u.opcode() {
                Opcode::LLVMGetElementPtr
                | Opcode::LLVMBitCast
                | Opcode::LLVMAddrSpaceCast
                | Opcode::LLVMFreeze
                | Opcode::LLVMPHI
                | Opcode::LLVMSelect => work.push(u),
                Opcode::LLVMCall | Opcode::LLVMInvoke
                    if kept_call_may_hand_out(u, v, &mut seen) =>
                {
                    return true;
                }
                _ => {}
            }
        }
    }
    false
}

/// `handed_to_kept_call`: whether the call `u` of a defined function, which
/// takes `v`, may store `v` where the caller reaches it or return it there.
fn kept_call_may_hand_out(u: Value, v: Value, seen: &mut HashSet<Value>) -> bool {
    let Some(callee) = super::calls::callee_of(u).filter(|c| !c.is_declaration()) else {
        return false;
    };
    let args = u.call_args();
    let captured = args
        .iter()
        .enumerate()
        .any(|(i, a)| *a == v && !callee.param_captures_none(i as u32));
    if !captured {
        return false;
    }
    if args
        .iter()
        .any(|&a| a != v && a.ty().is_pointer() && may_be_caller_memory(a, seen))
    {
        return true;
    }
    u.ty().is_pointer() && reaches_caller_from(u, seen)
}

/// Whether the pointer `p` may point into memory the caller can reach (see
/// `reaches_caller`). A stack slot is the function's own.
fn may_be_caller_memory(p: Value, seen: &mut HashSet<Value>) -> bool {
    underlying_objects(p).into_iter().any(|o| {
        if o.is_argument() || o.is_global() {
            return true;
        }
        if !o.is_instruction() {
            return false;
        }
        match o.opcode() {
            Opcode::LLVMAlloca => false,
            Opcode::LLVMLoad => seen.insert(o) && may_be_caller_memory(o.operand(0), seen),
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                if allocation_kind(o).is_some() {
                    return reaches_caller_from(o, seen);
                }
                if seen.contains(&o) {
                    return false;
                }
                // memory a function that stays a call returns may be heap
                // memory it handed out (a `malloc` wrapper's block): the
                // caller's like its own allocation
                if super::calls::callee_of(o).is_some_and(|c| !c.is_declaration())
                    && reaches_caller_from(o, seen)
                {
                    return true;
                }
                // or a pointer into memory one of its arguments reaches
                // (`_Rb_tree_increment` of a local tree's node)
                seen.insert(o);
                o.call_args()
                    .into_iter()
                    .any(|a| a.ty().is_pointer() && may_be_caller_memory(a, seen))
            }
            _ => true,
        }
    })
}

/// Reverse of an allocation with a heap shadow: free the shadow; and free
/// the primal memory whose free the forward sweep left to this point.
pub(super) fn reverse_allocation(s: &mut ReverseSweep, inst: Value) -> Result<bool> {
    let name = inst.called_name();
    if let Some(kind) = allocation_kind(inst) {
        if let Some(free) = s.deferred_frees.get(&inst).and_then(|f| f.first()).copied() {
            // (the end of a stack array's lifetime is dropped, not moved:
            // it takes the alloca itself, which the reverse sweep may see
            // only through the tape)
            let dealloc = free
                .called_function()
                .filter(|f| !f.name().starts_with("llvm.lifetime"));
            if let Some(dealloc) = dealloc {
                let mut args = vec![s.primal(inst)];
                for a in free.call_args().into_iter().skip(1) {
                    args.push(s.primal(a));
                }
                s.b.call_fn(dealloc, &args);
            }
        }
        // Memory the function never frees outlives it (returned, or stored
        // where the caller finds it, with its shadow beside it, as a
        // duplicated argument's shadow): its shadow outlives it too.
        // (Memory that is not kept that way keeps the rule decided here.)
        let kept = s.heap_fates.kept.contains(&inst) && has_heap_shadow(s, inst);
        // (a request's own derivative: what it returns goes to the user,
        // who gets no shadow with it; a callee's returned memory is decided
        // before its `ret`s return the augmented struct)
        let escapes = !kept
            && if s.key.seeds_finite {
                matches!(
                    kind,
                    AllocKind::Heap { .. } | AllocKind::Calloc | AllocKind::Realloc
                ) && !freed_in_function(inst)
                    && reaches_caller(inst)
            } else {
                s.heap_fates.escaping.contains(&inst)
            };
        // Memory handed out that a later free in another function may have
        // freed: its shadow is freed when the reverse of that free recorded
        // this very pointer. (A `realloc` too, once its carried-over
        // adjoints went back to the old shadow: the next growth's reverse,
        // or the caller's free, recorded the block it freed.)
        let freed_later = if (escapes || kept) && s.key.handoffs && has_heap_shadow(s, inst) {
            super::handoffs::helpers(s.module).map(|h| {
                let p = s.primal(inst);
                s.b.call_fn(h.take, &[p])
            })
        } else {
            None
        };
        // Freed on some paths, handed to the caller on others: the shadow
        // is freed where the reverse of a free recorded this very pointer.
        let freed_here = kept.then(|| {
            let slot = s.adjoints.freed_slot(inst);
            let freed = s.b.load(inst.ty(), slot);
            s.b.store(s.b.zero(inst.ty()), slot);
            let p = s.primal(inst);
            s.b.icmp(IntPredicate::LLVMIntEQ, freed, p)
        });
        let freed_here = match (freed_here, freed_later) {
            (Some(a), Some(b)) => Some(s.b.or_int(a, b)),
            (a, b) => a.or(b),
        };
        for lane in 0..s.width {
            // An escaping realloc still moves its carried-over adjoints
            // back: a kept `push(Pool *p, double x)` growing `p->v` wrote
            // the earlier elements into the old block, whose shadow their
            // stores' reverse reads (they were lost: a zero gradient).
            if escapes && kind != AllocKind::Realloc && freed_later.is_none() {
                break;
            }
            let heap_shadow = s
                .shadows
                .get(lane)
                .and_then(|sh| sh.heap.iter().find(|(p, _)| *p == inst).map(|&(_, sp)| sp));
            if let Some(sp) = heap_shadow {
                let sp = s.primal(sp);
                if kind == AllocKind::Realloc {
                    // The adjoints of the carried-over bytes go back to the
                    // old shadow.
                    let entry = s
                        .shadows
                        .get(lane)
                        .and_then(|sh| sh.reallocs.iter().find(|r| r.0 == inst).copied());
                    if let Some((_, old, keep)) = entry {
                        let old = s.primal(old);
                        let keep = s.primal(keep);
                        let ty = s
                            .types
                            .memory_types(inst, 0, 1 << 20)
                            .into_iter()
                            .find_map(|(_, t)| crate::retype::ir_float(s.module, t))
                            .or_else(|| guess_float_type(&[inst, inst.operand(0)]));
                        match ty {
                            Some(ty) => {
                                let helper = memcpy_adjoint_helper(s.module, ty, false);
                                s.b.call_fn(helper, &[sp, old, keep]);
                            }
                            None => return Err(Error::at(
                                inst,
                                "cannot tell which floating-point type this realloc'd memory holds",
                            )
                            .hint(
                                "access the reallocated memory as double/float in the function",
                            )),
                        }
                    }
                }
                // The escaping block's shadow outlives the function, like
                // the block (unless a later free recorded the pointer:
                // `freed_later`).
                if escapes && freed_later.is_none() {
                    continue;
                }
                let ptr = Type::ptr(s.module.context());
                let mut args = vec![sp];
                let f = match user_deallocator(s.module, &name) {
                    Some(f) => {
                        let spec = ferment_activity_analysis::free_like_arguments(&f.name())
                            .unwrap_or_default();
                        if spec.len() > 1 {
                            args = spec
                                .iter()
                                .map(|a| a.map_or(sp, |k| s.primal(inst.operand(k))))
                                .collect();
                        }
                        f
                    }
                    None => {
                        let dealloc = match name.as_str() {
                            _ if kind == AllocKind::Stack => "free",
                            "_Znwm" | "_ZnwmRKSt9nothrow_t" | "_ZnwmSt11align_val_t" => "_ZdlPv",
                            "_Znam" | "_ZnamRKSt9nothrow_t" | "_ZnamSt11align_val_t" => "_ZdaPv",
                            _ => "free",
                        };
                        declare(s.module, dealloc, Type::void(s.module.context()), &[ptr])
                    }
                };
                // Split shape with `enzyme_nofree`: keep it for another
                // reverse sweep (freeing null does nothing).
                let unguarded = sp;
                let sp = match s.free_flag {
                    Some(flag) => s.b.select(flag, sp, s.b.zero(ptr)),
                    None => sp,
                };
                let sp = match freed_here {
                    Some(freed) => s.b.select(freed, sp, s.b.zero(ptr)),
                    None => sp,
                };
                for a in args.iter_mut() {
                    if *a == unguarded {
                        *a = sp;
                    }
                }
                s.b.call_fn(f, &args);
            }
        }
        // A `realloc` frees its old block: like the reverse of a free of
        // memory another function may have allocated (a kept `push`
        // growing its caller's array: the previous growth's block), it
        // records the old pointer, after looking up its own above, so that
        // the reverse of the allocation that made the old block frees its
        // shadow.
        if kind == AllocKind::Realloc && s.key.handoffs {
            let old = inst.operand(0);
            if frees_foreign(old) && s.activity.is_shadowed(old) {
                if let Some(h) = super::handoffs::helpers(s.module) {
                    let freed = s.primal(old);
                    s.b.call_fn(h.push, &[freed]);
                }
            }
        }
        return Ok(true);
    }
    Ok(false)
}

/// The deallocation stand-in paired with a user allocator's stand-in
/// (`__enzyme_allocation_like`), declared when the request was read.
fn user_deallocator(module: ferment_ir::Module, alloc: &str) -> Option<Value> {
    let rest = alloc.strip_prefix(ferment_activity_analysis::ALLOC_LIKE_PREFIX)?;
    let (_, function) = rest.split_once('.')?;
    module.functions().into_iter().find(|f| {
        f.name()
            .strip_prefix(ferment_activity_analysis::FREE_LIKE_PREFIX)
            .and_then(|r| r.split_once('.'))
            .is_some_and(|(_, of)| of == function)
    })
}

/// The floating-point type stored in the objects `ptrs` point into, judged
/// from the loads and stores that access them; failing those, from the
/// accesses through the other loads of the same pointer (-O0 code reloads
/// `B->t` from `B`'s stack slot at each access, [`reloads`]).
pub fn guess_float_type(ptrs: &[Value]) -> Option<Type> {
    let objects: Vec<Value> = ptrs.iter().flat_map(|p| underlying_objects(*p)).collect();
    float_access(objects.clone()).or_else(|| {
        let again: Vec<Value> = objects
            .iter()
            .filter(|o| o.is_instruction() && o.opcode() == Opcode::LLVMLoad)
            .flat_map(|&o| reloads(o))
            .filter(|r| !objects.contains(r))
            .collect();
        (!again.is_empty()).then(|| float_access(again)).flatten()
    })
}

/// The type of the first float load or store met through the pointers
/// derived from `work`.
fn float_access(mut work: Vec<Value>) -> Option<Type> {
    let mut seen = HashSet::new();
    while let Some(v) = work.pop() {
        if !seen.insert(v) || seen.len() > 4096 {
            continue;
        }
        for u in v.users() {
            if !u.is_instruction() {
                continue;
            }
            match u.opcode() {
                Opcode::LLVMLoad if u.ty().scalar().is_float() => return Some(u.ty().scalar()),
                Opcode::LLVMStore if u.operand(1) == v && u.operand(0).ty().scalar().is_float() => {
                    return Some(u.operand(0).ty().scalar())
                }
                Opcode::LLVMGetElementPtr
                | Opcode::LLVMBitCast
                | Opcode::LLVMFreeze
                | Opcode::LLVMPHI
                | Opcode::LLVMSelect => work.push(u),
                _ => {}
            }
        }
    }
    None
}

/// The loads that read the same field as the load `load`: the same path of
/// loads and GEPs from the same stack object, an index that is not a
/// constant matching any (`B->t` reloaded from `B`'s slot at each access in
/// -O0 code; `blk[b].t` and `blk[c].t` of one array of structs once SROA
/// has promoted the slots): the same field of the same declared type.
fn reloads(load: Value) -> Vec<Value> {
    // the path from the slot, outermost step last
    let mut steps = Vec::new();
    let mut v = load;
    let slot = loop {
        match v.opcode() {
            Opcode::LLVMLoad => steps.push(v),
            Opcode::LLVMGetElementPtr => steps.push(v),
            Opcode::LLVMAlloca if v.is_instruction() && steps.len() > 1 => break v,
            _ => return Vec::new(),
        }
        if steps.len() > 6 {
            return Vec::new();
        }
        v = v.operand(0);
    };
    let mut frontier = vec![slot];
    for step in steps.iter().rev() {
        let mut next = Vec::new();
        for f in frontier {
            next.extend(f.users().into_iter().filter(|u| {
                u.is_instruction()
                    && u.opcode() == step.opcode()
                    && u.operand(0) == f
                    && u.ty() == step.ty()
                    && u.gep_source_element_type() == step.gep_source_element_type()
                    && same_indices(&u.operands()[1..], &step.operands()[1..])
            }));
        }
        if next.len() > 256 {
            return Vec::new();
        }
        frontier = next;
    }
    frontier
}

/// Whether two GEPs' indices may name the same field: equal, or one of
/// them not a constant (an element of an array).
fn same_indices(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || !x.is_constant() || !y.is_constant())
}

/// A copy of array elements up to this count with a constant size moves its
/// adjoints in place ([`move_fields`]) rather than through
/// [`memcpy_adjoint_helper`], whose two vectorized loops (with overlap
/// checks and remainder loops, ~220 instructions) the host would otherwise
/// optimize and compile in each file for a copy of three doubles.
const INLINE_COPY_ELEMENTS: u64 = 8;

/// The adjoint of a copy of the floats at `floats` (byte offset, type):
/// `t = d_dst.fields; d_dst.fields = 0; d_src.fields += t`, all reads
/// before any write, so a `memmove` whose source and destination overlap
/// (or coincide) moves each adjoint once.
fn move_fields(
    s: &mut ReverseSweep,
    sd: Value,
    ss: Value,
    floats: &[(u64, Type)],
    atomic: bool,
    own_dst: Option<Value>,
    own_src: Option<Value>,
) {
    // A destination that is its own shadow (run-time test `own_dst`) holds
    // primal data: nothing is read from or cleared in it; a source that is
    // its own shadow (`own_src`) is constant data: it receives nothing (the
    // adds go to a scratch slot). Those writes are never read back, so one
    // scratch slot per element type serves every field and both roles.
    let mut scratch: Vec<(Type, Value)> = Vec::new();
    let mut scratch_for =
        |s: &mut ReverseSweep, ty: Type| match scratch.iter().find(|(t, _)| *t == ty) {
            Some(&(_, slot)) => slot,
            None => {
                let slot = s.scratch_adjoint(ty);
                scratch.push((ty, slot));
                slot
            }
        };
    let mut moved = Vec::new();
    for &(off, ty) in floats {
        let pd = s.b.gep_i8(sd, off);
        let a = s.b.load(ty, pd);
        let a = match own_dst {
            Some(own) => s.b.select(own, s.b.zero(ty), a),
            None => a,
        };
        moved.push((off, ty, a));
    }
    for &(off, ty) in floats {
        let pd = s.b.gep_i8(sd, off);
        let pd = match own_dst {
            Some(own) => {
                let slot = scratch_for(s, ty);
                s.b.select(own, slot, pd)
            }
            None => pd,
        };
        s.b.store(s.b.zero(ty), pd);
    }
    for (off, ty, a) in moved {
        let ps = s.b.gep_i8(ss, off);
        let ps = match own_src {
            Some(own) => {
                let slot = scratch_for(s, ty);
                s.b.select(own, slot, ps)
            }
            None => ps,
        };
        if atomic {
            s.b.atomic_fadd(ps, a);
        } else {
            let c = s.b.load(ty, ps);
            let sum = s.b.fadd_acc(c, a);
            s.b.store(sum, ps);
        }
    }
}

/// The element type of `f` when it is a [`memcpy_adjoint_helper`] (met by
/// forward mode over a reverse derivative whose calls stay calls,
/// `-ferment-no-inline`).
pub(crate) fn memcpy_adjoint_element(f: Value) -> Option<Type> {
    if !f.name().starts_with("ferment.adjoint.memcpy.") {
        return None;
    }
    let load = f
        .instructions()
        .into_iter()
        .find(|i| i.opcode() == Opcode::LLVMLoad)?;
    Some(load.ty())
}

/// `void ferment.adjoint.memcpy.T(ptr dd, ptr ds, i64 bytes)`:
/// `ds[i] += dd[i]; dd[i] = 0` for each element of type `T`
/// (`ferment.adjoint.memcpy.atomic.T`: the additions are atomic).
/// The elements go in the order that keeps an overlapping `memmove` right:
/// from the last down when the destination lies below the source (so each
/// adjoint moves before its own element receives one), from the first up
/// otherwise; nothing happens when `dd == ds` (a copy onto itself). The two
/// orders are two loops with a plain counter each (not one loop whose
/// index is a `select` of the direction), so LLVM's vectorizer takes them:
/// its runtime overlap check sends a `memmove` whose ranges overlap to
/// the scalar loop, in the same order.
fn memcpy_adjoint_helper(module: Module, ty: Type, atomic: bool) -> Value {
    let kind = if atomic { "atomic." } else { "" };
    let name = format!("ferment.adjoint.memcpy.{kind}{}", ty.describe());
    if let Some(f) = module.function(&name) {
        return f;
    }
    let ctx = module.context();
    let ptr = Type::ptr(ctx);
    let i64t = Type::int(ctx, 64);
    let f = module.add_function(
        &name,
        Type::function(Type::void(ctx), &[ptr, ptr, i64t], false),
    );
    f.set_internal();
    let p = f.params();
    let (dd, ds, bytes) = (p[0], p[1], p[2]);
    let entry = f.append_block("entry");
    let pick = f.append_block("order");
    let up = f.append_block("up");
    let down = f.append_block("down");
    let exit = f.append_block("exit");
    let b = Builder::new(module);
    b.at_end(entry);
    let n = b.udiv_int(bytes, b.const_int(i64t, module.alloc_size(ty) as i64));
    let empty = b.icmp(IntPredicate::LLVMIntEQ, n, b.const_int(i64t, 0));
    let same = b.icmp(IntPredicate::LLVMIntEQ, dd, ds);
    b.cond_br(b.or_int(empty, same), exit, pick);
    b.at_end(pick);
    let below = b.icmp(IntPredicate::LLVMIntULT, dd, ds);
    b.cond_br(below, down, up);
    // one element: `ds[j] += dd[j]; dd[j] = 0`
    let element = |j: Value| {
        let pd = b.gep(ty, dd, &[j]);
        let ps = b.gep(ty, ds, &[j]);
        let a = b.load(ty, pd);
        if atomic {
            b.atomic_fadd(ps, a);
        } else {
            let c = b.load(ty, ps);
            b.store(b.fadd_acc(c, a), ps);
        }
        b.store(b.zero(ty), pd);
    };
    // from the first up
    b.at_end(up);
    let i = b.phi(i64t, "i");
    element(i);
    let i1 = b.add_int(i, b.const_int(i64t, 1));
    let more = b.icmp(IntPredicate::LLVMIntULT, i1, n);
    b.cond_br(more, up, exit);
    i.add_incoming(b.const_int(i64t, 0), pick);
    i.add_incoming(i1, up);
    // from the last down
    b.at_end(down);
    let k = b.phi(i64t, "k");
    let j = b.sub_int(k, b.const_int(i64t, 1));
    element(j);
    let more = b.icmp(IntPredicate::LLVMIntNE, j, b.const_int(i64t, 0));
    b.cond_br(more, down, exit);
    k.add_incoming(n, pick);
    k.add_incoming(j, down);
    b.at_end(exit);
    b.ret_void();
    f
}

/// Whether the copy `inst` is `std::function`'s copy of its stored
/// callable: by its source line (libstdc++'s `std_function.h`) where debug
/// information says so, or else by the function holding it (a
/// `std::function` member not inlined).
fn copies_std_function(inst: Value) -> bool {
    inst.source_location()
        .is_some_and(|l| l.contains("std_function.h:"))
        || {
            let name = inst.parent().parent().name();
            name.contains("_ZNSt8functionI") || name.contains("_ZNSt14_Function_base")
        }
}
