//! OpenMP, reverse mode: the copy of a region's reverse function that a
//! team of several threads runs, with its adjoint accumulations into shared
//! shadow memory made thread-private.
//!
//! Role: in a region's reverse function the adjoint of a load from memory
//! outside the region's frame is an `atomicrmw fadd` (other threads may add
//! to the same element). A locked add costs several times a plain one, and
//! threads adding into the same cache lines make them bounce between cores
//! (omp_particles: every pair adds into the later particle's adjoint).
//! [`team_copy`] gives each group of such sites inside loops (one
//! underlying object, one type) a buffer of the running thread that
//! mirrors the addresses the thread added to (a range grown on demand),
//! adds into it plainly, and merges it into shadow memory (an atomic add of
//! each nonzero element) before anything that could read those adjoints or
//! let another thread read them: every call (barriers, critical sections,
//! callees) and every atomic access other than an adjoint add. At the
//! return, which every thread of the team reaches, the merge is the team's:
//! each thread publishes its buffers in the forward sweep's tape array (the
//! wrapper hands it over through a thread-local slot), waits at a barrier,
//! adds one slice of the union of all threads' buffers into shadow memory
//! with plain adds (no other thread writes that slice; one group of
//! buffers at a time, with a barrier between groups, since two groups may
//! mirror the same memory), and waits at a barrier before freeing its
//! buffers. A plain load or store of
//! shadow memory (the reverse of a store reads and clears the stored
//! element's adjoint) first checks whether its address lies in a buffer's
//! range, and if so merges what the buffer holds there (two pointers to one
//! array are caught this way). Accesses to primal memory reached through
//! the region's captures, the function's own stack, its tape frame and its
//! tape rows need neither. Where a merge point sits in a loop, no copy is
//! made (the atomic reverse stays: merging on every iteration would cost
//! more). The buffers' descriptors live in registers (the helpers take and
//! return them by value), so an add's fast path is a range check and a
//! plain read-modify-write.
//!
//! Primal memory and shadow memory never overlap: the re-reads of primal
//! memory in a reverse sweep already rely on it (adjoint adds would change
//! what they read otherwise).
//!
//! Touches: a clone of a simplified reverse function, and helper functions
//! `ferment.omp.team.*` it adds to the module.

use ferment_ir::{Block, Builder, IntPredicate, Module, Opcode, RealPredicate, Type, Value};
use hashbrown::{HashMap, HashSet};

/// Bytes a buffer first covers on each side of the first address added to.
const FIRST_REACH: i64 = 4096;
/// Largest buffer (bytes): beyond it the buffer is merged and restarted.
const MAX_SPAN: i64 = 1 << 28;

/// A team copy of `rev` (a region's reverse function, simplified) whose
/// shared adjoint adds go through per-thread buffers, or `None` when it
/// has no such adds in loops or would have to merge inside a loop.
/// `captures`: how many of the region's captured values follow `rev`'s two
/// thread-id parameters (then come shadows, the tape and a flag).
pub fn team_copy(rev: Value, captures: usize, name: &str) -> Option<Value> {
    let copy = crate::shim::clone_function(rev, name);
    match privatize(copy, captures) {
        true => Some(copy),
        false => {
            copy.delete_function();
            None
        }
    }
}

/// Whether block `b` lies on a cycle of its function.
fn in_cycle(b: Block) -> bool {
    let mut seen = HashSet::new();
    let mut work: Vec<Block> = b.successors();
    while let Some(x) = work.pop() {
        if x == b {
            return true;
        }
        if seen.insert(x) {
            work.extend(x.successors());
        }
    }
    false
}

/// What the copy knows of where its pointers point.
struct Places {
    frame: Value,
    captured: Vec<Value>,
    function: Value,
}

impl Places {
    /// Memory that holds no adjoint: the function's stack, its tape frame,
    /// the critical-section ticket counters, primal memory.
    fn adjoint_free(&self, o: Value) -> bool {
        if o == self.frame || self.primal(o, 4) {
            return true;
        }
        if o.is_global() {
            return o.name().starts_with("ferment.omp.ticket.");
        }
        o.is_instruction()
            && o.parent().parent() == self.function
            && o.opcode() == Opcode::LLVMAlloca
    }

    /// Primal memory: a capture, or a pointer read from primal memory (which
    /// holds primal pointers only; the stack and the frame may hold shadow
    /// pointers).
    fn primal(&self, o: Value, depth: u32) -> bool {
        if self.captured.contains(&o) {
            return true;
        }
        depth > 0
            && o.is_instruction()
            && o.parent().parent() == self.function
            && o.opcode() == Opcode::LLVMLoad
            && {
                let objs = ferment_activity_analysis::underlying_objects(o.operand(0));
                !objs.is_empty() && objs.iter().all(|&p| self.primal(p, depth - 1))
            }
    }

    /// What `inst` needs of the buffers: nothing, a check of its address,
    /// or a merge of all of them before it.
    fn need(&self, inst: Value) -> Need {
        let yes = |b: bool| if b { Need::Merge } else { Need::Nothing };
        match inst.opcode() {
            // An adjoint add left atomic (outside loops: `k`'s adjoint once
            // per thread) commutes with the buffered adds and orders
            // nothing (monotonic, result unused).
            Opcode::LLVMAtomicRMW
                if inst.atomic_float_add_sign().is_some()
                    && !inst.has_uses()
                    && unsafe { llvm_sys::core::LLVMGetOrdering(inst.0) }
                        == llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingMonotonic =>
            {
                Need::Nothing
            }
            // Other atomics (ticket counters) and atomic loads and stores
            // order threads or may touch the buffers' memory.
            Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => Need::Merge,
            Opcode::LLVMLoad | Opcode::LLVMStore if inst.is_volatile_or_atomic() => Need::Merge,
            Opcode::LLVMLoad | Opcode::LLVMStore => {
                if inst.in_alias_scope("ferment.tape") {
                    return Need::Nothing;
                }
                let p = match inst.opcode() {
                    Opcode::LLVMStore => inst.operand(1),
                    _ => inst.operand(0),
                };
                let objs = ferment_activity_analysis::underlying_objects(p);
                if !objs.is_empty() && objs.iter().all(|&o| self.adjoint_free(o)) {
                    Need::Nothing
                } else {
                    // Shadow memory, perhaps what a buffer holds: the
                    // element it touches is merged first, if it is there.
                    Need::Check
                }
            }
            Opcode::LLVMCall => {
                let Some(f) = inst.called_function() else {
                    return Need::Merge;
                };
                let n = f.name();
                let harmless_intrinsic = n.starts_with("llvm.")
                    && !n.starts_with("llvm.mem")
                    && !n.starts_with("llvm.masked")
                    && !n.contains("gather")
                    && !n.contains("scatter");
                // `free` may release shadow memory a buffer holds adds for,
                // unless it frees memory that holds no adjoint (the tape
                // frame of a forked region).
                let frees_own = n == "free" && {
                    let objs = ferment_activity_analysis::underlying_objects(inst.call_args()[0]);
                    !objs.is_empty() && objs.iter().all(|&o| self.adjoint_free(o))
                };
                // Math functions (sin, exp, pow...: those with a derivative
                // rule and no pointer argument) touch no memory a buffer
                // mirrors, nor let another thread read it.
                let pure_math = crate::rules::call_rule(&n).is_some()
                    && inst.call_args().iter().all(|a| !a.ty().is_pointer());
                yes(!(harmless_intrinsic || pure_math || frees_own || n == "ferment.tape.release"))
            }
            Opcode::LLVMInvoke
            | Opcode::LLVMCallBr
            | Opcode::LLVMFence
            | Opcode::LLVMVAArg
            | Opcode::LLVMRet => Need::Merge,
            _ => Need::Nothing,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Nothing,
    Check,
    Merge,
}

/// A buffer's descriptor: three slots of the copy's frame (promoted to
/// registers once the copy is rewritten): the buffer mirrors addresses
/// `[lo, lo + span)` at `buf`; `ty`: its elements' type.
#[derive(Clone, Copy)]
struct Desc {
    lo: Value,
    span: Value,
    buf: Value,
    ty: Type,
}

impl Desc {
    fn values(&self, b: &Builder) -> (Value, Value, Value) {
        let c = b.module().context();
        (
            b.load(b.i64(), self.lo),
            b.load(b.i64(), self.span),
            b.load(Type::ptr(c), self.buf),
        )
    }
}

/// Bytes of a published descriptor (`{i64 lo, i64 span, ptr buf}`).
const DESC_BYTES: i64 = 24;

/// The thread-local slots through which the wrapper of a region's reverse
/// hands the team copy what the merge at its return needs: the team's
/// board (an array with one pointer per thread: the forward sweep's tape
/// array, whose slot a thread no longer needs once it took its tape) and
/// the fork's `ident_t`.
pub fn team_slots(module: Module) -> (Value, Value) {
    let ptr = Type::ptr(module.context());
    let slot = |name: &str| {
        module.global(name).unwrap_or_else(|| {
            let g = module.add_zeroed_global(name, ptr);
            unsafe { llvm_sys::core::LLVMSetThreadLocal(g.0, 1) };
            g
        })
    };
    (
        slot("ferment.omp.team.board"),
        slot("ferment.omp.team.ident"),
    )
}

/// Rewrites the copy; false when it is not worth it or not possible.
fn privatize(f: Value, captures: usize) -> bool {
    let params = f.params();
    // (gtid, btid, captures..., shadows..., tape, flag): how `fork_reverse`
    // calls it.
    if captures.checked_add(4).is_none_or(|n| params.len() < n)
        || !params[params.len() - 2].ty().is_pointer()
    {
        return false;
    }
    let places = Places {
        frame: params[params.len() - 2],
        captured: params[2..2 + captures].to_vec(),
        function: f,
    };
    let module = f.global_parent();
    let c = module.context();
    let (f64t, f32t, ptr) = (Type::f64(c), Type::f32(c), Type::ptr(c));
    let insts = f.instructions();
    let sites: Vec<Value> = insts
        .iter()
        .copied()
        .filter(|i| {
            i.atomic_float_add_sign() == Some(1.0)
                && !i.has_uses()
                && (i.operand(1).ty() == f64t || i.operand(1).ty() == f32t)
        })
        .collect();
    // Adds outside loops stay atomic: a buffer would not pay for itself.
    let sites: Vec<Value> = sites.into_iter().filter(|s| in_cycle(s.parent())).collect();
    if sites.is_empty() {
        return false;
    }
    let site_set: HashSet<Value> = sites.iter().copied().collect();
    let merges: Vec<Value> = insts
        .iter()
        .copied()
        .filter(|i| !site_set.contains(i) && places.need(*i) == Need::Merge)
        .collect();
    let checks: Vec<Value> = insts
        .iter()
        .copied()
        .filter(|i| !site_set.contains(i) && places.need(*i) == Need::Check)
        .collect();
    if merges.iter().any(|m| in_cycle(m.parent())) {
        return false;
    }
    // One buffer per (underlying object, type); a site with several
    // possible objects has its own.
    let b = Builder::new(module);
    let entry = f.entry_block();
    let top = Builder::new(module);
    top.at_start(entry);
    let mut groups: HashMap<(Value, bool), usize> = HashMap::new();
    let mut descs: Vec<Desc> = Vec::new();
    for &s in &sites {
        let (p, d) = (s.operand(0), s.operand(1));
        let objs = ferment_activity_analysis::underlying_objects(p);
        let root = if objs.len() == 1 { objs[0] } else { s };
        let is_double = d.ty() == f64t;
        let k = *groups.entry((root, is_double)).or_insert_with(|| {
            descs.push(Desc {
                lo: top.alloca(b.i64(), "omp.team.lo"),
                span: top.alloca(b.i64(), "omp.team.span"),
                buf: top.alloca(ptr, "omp.team.buf"),
                ty: d.ty(),
            });
            descs.len() - 1
        });
        accumulate(&b, descs[k], s);
    }
    // The descriptors start empty (after the allocas, before anything
    // else), and the board and ident are read before anything can fork.
    let desc_ty = Type::literal_struct(c, &[b.i64(), b.i64(), ptr]);
    let published = top.alloca(Type::array(desc_ty, descs.len() as u64), "omp.team.descs");
    let init = Builder::new(module);
    let first = entry
        .instructions()
        .into_iter()
        .find(|i| i.opcode() != Opcode::LLVMAlloca)
        .expect("entry terminator");
    init.before(first);
    for d in &descs {
        init.store(init.const_int(init.i64(), 0), d.lo);
        init.store(init.const_int(init.i64(), 0), d.span);
        init.store(init.zero(ptr), d.buf);
    }
    let (board_slot, ident_slot) = team_slots(module);
    let board = init.load(ptr, board_slot);
    let ident = init.load(ptr, ident_slot);
    for i in checks {
        check(&b, &descs, i);
    }
    for m in merges {
        b.before(m);
        if m.opcode() != Opcode::LLVMRet {
            for d in &descs {
                let (lo, span, buf) = d.values(&b);
                b.call_fn(helper(module, d.ty, Helper::Merge), &[lo, span, buf]);
            }
            continue;
        }
        // The return: every thread of the team gets here; the threads
        // publish their buffers and each adds one slice of all of them into
        // shadow memory, with plain adds (no other thread writes there).
        for (k, d) in descs.iter().enumerate() {
            let (lo, span, buf) = d.values(&b);
            let at = k as u64 * DESC_BYTES as u64;
            b.store(lo, b.gep_i8(published, at));
            b.store(span, b.gep_i8(published, at + 8));
            b.store(buf, b.gep_i8(published, at + 16));
        }
        b.call_fn(sync_helper(module, true), &[board, ident, published]);
        for (k, d) in descs.iter().enumerate() {
            // Buffers of two groups may mirror the same memory (two
            // pointers to one array), and each group's slices follow its
            // own range: one group at a time.
            if k > 0 {
                b.call_fn(sync_helper(module, false), &[board, ident, published]);
            }
            let at = b.const_int(b.i64(), k as i64 * DESC_BYTES);
            let gather = helper(module, d.ty, Helper::Gather);
            // The target's features, so that its loop can be vectorized.
            if gather.string_attribute("target-cpu").is_none() {
                crate::shim::copy_fn_attributes(f, gather);
            }
            b.call_fn(gather, &[board, published, at]);
        }
        b.call_fn(sync_helper(module, false), &[board, ident, published]);
        for d in &descs {
            let buf = b.load(ptr, d.buf);
            b.call_fn(free_fn(module), &[buf]);
        }
    }
    // The descriptors' slots become registers: the adds' fast path reads
    // no memory.
    let _ = crate::shim::run_function_pipeline(f, "sroa");
    true
}

/// Replaces the atomic add `site` (`*p += d`) by a plain add into the
/// thread's buffer `desc`, calling the buffer's `ensure` helper first when
/// `p` lies outside it.
fn accumulate(b: &Builder, desc: Desc, site: Value) {
    let module = b.module();
    let (p, d) = (site.operand(0), site.operand(1));
    let ty = d.ty();
    let size = module.alloc_size(ty) as i64;
    let i64t = b.i64();
    b.before(site);
    let pi = b.ptr_to_int(p, i64t);
    let lo = b.load(i64t, desc.lo);
    let span = b.load(i64t, desc.span);
    let off = b.sub_int(pi, lo);
    let outside = b.icmp(IntPredicate::LLVMIntUGE, off, span);
    let misaligned = b.icmp(
        IntPredicate::LLVMIntNE,
        b.and_int(off, b.const_int(i64t, size - 1)),
        b.const_int(i64t, 0),
    );
    let miss = b.or_int(outside, misaligned);
    let then_end = crate::shim::if_then_after(miss);
    let tb = Builder::new(module);
    tb.before(then_end);
    let (lo0, span0, buf0) = desc.values(&tb);
    let r = tb.call_fn(helper(module, ty, Helper::Ensure), &[lo0, span0, buf0, pi]);
    tb.store(tb.extract_value(r, 0), desc.lo);
    tb.store(tb.extract_value(r, 1), desc.span);
    tb.store(tb.extract_value(r, 2), desc.buf);
    b.before(site);
    let lo = b.load(i64t, desc.lo);
    let buf = b.load(Type::ptr(module.context()), desc.buf);
    let q = b.gep(b.i8(), buf, &[b.sub_int(pi, lo)]);
    let old = b.load(ty, q);
    b.set_alignment(old, size as u32);
    let st = b.store(b.fadd(old, d), q);
    b.set_alignment(st, size as u32);
    site.erase();
}

/// Before the plain access `inst` of shadow memory: for each buffer whose
/// range it overlaps (rare: only where the adjoint it reads or writes is one
/// this thread also added to), the `touch` helper merges what the buffer
/// holds there.
fn check(b: &Builder, descs: &[Desc], inst: Value) {
    let module = b.module();
    let (p, ty) = match inst.opcode() {
        Opcode::LLVMStore => (inst.operand(1), inst.operand(0).ty()),
        _ => (inst.operand(0), inst.ty()),
    };
    let size = module.alloc_size(ty) as i64;
    let i64t = b.i64();
    for d in descs {
        b.before(inst);
        let pi = b.ptr_to_int(p, i64t);
        let lo = b.load(i64t, d.lo);
        let span = b.load(i64t, d.span);
        // [pi, pi + size) meets [lo, lo + span)
        let last = b.add_int(b.sub_int(pi, lo), b.const_int(i64t, size - 1));
        let reach = b.add_int(span, b.const_int(i64t, size - 1));
        let meets = b.icmp(IntPredicate::LLVMIntULT, last, reach);
        let then_end = crate::shim::if_then_after(meets);
        let tb = Builder::new(module);
        tb.before(then_end);
        let (lo, span, buf) = d.values(&tb);
        tb.call_fn(
            helper(module, d.ty, Helper::Touch),
            &[lo, span, buf, pi, tb.const_int(i64t, size)],
        );
    }
}

#[derive(Clone, Copy)]
enum Helper {
    /// `{i64, i64, ptr} ensure(lo, span, buf, i64 address)`: a buffer that
    /// covers the address, aligned like it (grown, or merged and restarted
    /// around it).
    Ensure,
    /// `void merge(lo, span, buf)`: adds each nonzero element into shadow
    /// memory atomically and zeroes it.
    Merge,
    /// `void touch(lo, span, buf, i64 address, i64 size)`: before a plain
    /// access of `size` bytes at the address, which overlaps the buffer:
    /// merges the element there (the access is one aligned element), else
    /// the buffer.
    Touch,
    /// `void gather(board, own, i64 offset)`: between the barriers of the
    /// return, adds this thread's slice of what all the team's buffers at
    /// `offset` of the published descriptors hold into shadow memory with
    /// plain adds. Without a board, or when the buffers' elements are not
    /// aligned alike, merges the thread's own buffer atomically.
    Gather,
}

/// Stops the program with a message when `p` (an allocation) is null;
/// `b` continues after the check.
fn out_of_memory(b: &Builder, p: Value) {
    let f = b.insert_block().parent();
    let (bad, ok) = (f.append_block("no.memory"), f.append_block("allocated"));
    let null = b.icmp(IntPredicate::LLVMIntEQ, p, b.zero(p.ty()));
    b.cond_br(null, bad, ok);
    b.at_end(bad);
    crate::reverse::tape::emit_stop(
        b,
        "ferment.omp.team.message",
        "ferment: out of memory for the per-thread adjoint buffers of an OpenMP region's reverse sweep\n",
    );
    b.unreachable();
    b.at_end(ok);
}

fn free_fn(module: Module) -> Value {
    let c = module.context();
    declare(
        module,
        "free",
        Type::function(Type::void(c), &[Type::ptr(c)], false),
    )
}

fn declare(module: Module, name: &str, ty: Type) -> Value {
    module
        .function(name)
        .unwrap_or_else(|| module.add_function(name, ty))
}

/// `void publish(board, ident, descs)` (`first`): stores this thread's
/// descriptors at its thread number in the board and waits at a barrier
/// for the team; `void done(board, ident, descs)`: waits at a barrier until
/// every thread has gathered (then the buffers may go). Both do nothing
/// without a board.
fn sync_helper(module: Module, first: bool) -> Value {
    let name = if first {
        "ferment.omp.team.publish"
    } else {
        "ferment.omp.team.done"
    };
    if let Some(f) = module.function(name) {
        return f;
    }
    let c = module.context();
    let (ptr, i32t, void) = (Type::ptr(c), Type::int(c, 32), Type::void(c));
    let f = module.add_function(name, Type::function(void, &[ptr, ptr, ptr], false));
    f.set_internal();
    let p = f.params();
    let b = Builder::new(module);
    let entry = f.append_block("entry");
    let go = f.append_block("team");
    let done = f.append_block("done");
    b.at_end(entry);
    let none = b.icmp(IntPredicate::LLVMIntEQ, p[0], b.zero(ptr));
    b.cond_br(none, done, go);
    b.at_end(go);
    if first {
        let tid = b.call_fn(
            declare(
                module,
                "omp_get_thread_num",
                Type::function(i32t, &[], false),
            ),
            &[],
        );
        let slot = b.gep(ptr, p[0], &[b.int_cast(tid, b.i64(), false)]);
        b.store(p[2], slot);
    }
    let gtid = b.call_fn(crate::openmp::global_thread_num_fn(module), &[p[1]]);
    b.call_fn(
        declare(
            module,
            "__kmpc_barrier",
            Type::function(void, &[ptr, i32t], false),
        ),
        &[p[1], gtid],
    );
    b.br(done);
    b.at_end(done);
    b.ret_void();
    f
}

/// The helper `which` for elements of type `ty` (double or float), defined
/// on first use.
fn helper(module: Module, ty: Type, which: Helper) -> Value {
    let size = module.alloc_size(ty) as i64;
    let tag = if size == 8 { "f64" } else { "f32" };
    let c = module.context();
    let (ptr, i64t, void) = (Type::ptr(c), Type::int(c, 64), Type::void(c));
    let desc_ty = Type::literal_struct(c, &[i64t, i64t, ptr]);
    let name = match which {
        Helper::Ensure => format!("ferment.omp.team.ensure.{tag}"),
        Helper::Merge => format!("ferment.omp.team.merge.{tag}"),
        Helper::Touch => format!("ferment.omp.team.touch.{tag}"),
        Helper::Gather => format!("ferment.omp.team.gather.{tag}"),
    };
    if let Some(f) = module.function(&name) {
        return f;
    }
    let (params, ret): (&[Type], Type) = match which {
        Helper::Ensure => (&[i64t, i64t, ptr, i64t], desc_ty),
        Helper::Merge => (&[i64t, i64t, ptr], void),
        Helper::Touch => (&[i64t, i64t, ptr, i64t, i64t], void),
        Helper::Gather => (&[ptr, ptr, i64t], void),
    };
    let f = module.add_function(&name, Type::function(ret, params, false));
    f.set_internal();
    let b = Builder::new(module);
    let p = f.params();
    let k = |v: i64| b.const_int(i64t, v);
    match which {
        Helper::Merge => {
            let (lo, span, buf) = (p[0], p[1], p[2]);
            let entry = f.append_block("entry");
            let head = f.append_block("element");
            let add = f.append_block("add");
            let next = f.append_block("next");
            let done = f.append_block("done");
            b.at_end(entry);
            let empty = b.icmp(IntPredicate::LLVMIntEQ, span, k(0));
            b.cond_br(empty, done, head);
            b.at_end(head);
            let at = b.phi(i64t, "at");
            let q = b.gep(b.i8(), buf, &[at]);
            let v = b.load(ty, q);
            let nonzero = b.fcmp(RealPredicate::LLVMRealUNE, v, b.const_real(ty, 0.0));
            b.cond_br(nonzero, add, next);
            b.at_end(add);
            let target = b.int_to_ptr(b.add_int(lo, at), ptr);
            b.atomic_fadd(target, v);
            b.store(b.const_real(ty, 0.0), q);
            b.br(next);
            b.at_end(next);
            let after = b.add_int(at, k(size));
            let more = b.icmp(IntPredicate::LLVMIntULT, after, span);
            crate::shim::keep_loop_rolled(b.cond_br(more, head, done));
            at.add_incoming(k(0), entry);
            at.add_incoming(after, next);
            b.at_end(done);
            b.ret_void();
        }
        Helper::Touch => {
            let (lo, span, buf, pi, bytes) = (p[0], p[1], p[2], p[3], p[4]);
            let entry = f.append_block("entry");
            let element = f.append_block("element");
            let add = f.append_block("add");
            let whole = f.append_block("whole");
            let done = f.append_block("done");
            b.at_end(entry);
            let off = b.sub_int(pi, lo);
            let same = b.icmp(IntPredicate::LLVMIntEQ, bytes, k(size));
            let aligned = b.icmp(IntPredicate::LLVMIntEQ, b.and_int(off, k(size - 1)), k(0));
            let inside = b.icmp(IntPredicate::LLVMIntULT, off, span);
            let one = b.and_int(b.and_int(same, aligned), inside);
            b.cond_br(one, element, whole);
            b.at_end(element);
            let q = b.gep(b.i8(), buf, &[off]);
            let v = b.load(ty, q);
            let nonzero = b.fcmp(RealPredicate::LLVMRealUNE, v, b.const_real(ty, 0.0));
            b.cond_br(nonzero, add, done);
            b.at_end(add);
            b.atomic_fadd(b.int_to_ptr(pi, ptr), v);
            b.store(b.const_real(ty, 0.0), q);
            b.br(done);
            b.at_end(whole);
            b.call_fn(helper(module, ty, Helper::Merge), &[lo, span, buf]);
            b.br(done);
            b.at_end(done);
            b.ret_void();
        }
        Helper::Ensure => {
            let (lo, span, buf, pi) = (p[0], p[1], p[2], p[3]);
            let entry = f.append_block("entry");
            let fresh = f.append_block("fresh");
            let used = f.append_block("used");
            let restart = f.append_block("restart");
            let grow = f.append_block("grow");
            let regrow = f.append_block("resize");
            let result = |b: &Builder, lo: Value, span: Value, buf: Value| {
                let r = b.insert_value(b.undef(desc_ty), lo, 0);
                let r = b.insert_value(r, span, 1);
                let r = b.insert_value(r, buf, 2);
                b.ret(r);
            };
            b.at_end(entry);
            let empty = b.icmp(IntPredicate::LLVMIntEQ, span, k(0));
            b.cond_br(empty, fresh, used);
            // An empty buffer: [pi - REACH, pi + REACH).
            b.at_end(fresh);
            let calloc = declare(module, "calloc", Type::function(ptr, &[i64t, i64t], false));
            let nb = b.call_fn(calloc, &[k(2 * FIRST_REACH), k(1)]);
            out_of_memory(&b, nb);
            result(&b, b.sub_int(pi, k(FIRST_REACH)), k(2 * FIRST_REACH), nb);
            // Misaligned against the buffer: merge it and start afresh.
            b.at_end(used);
            let off = b.sub_int(pi, lo);
            let misaligned = b.icmp(IntPredicate::LLVMIntNE, b.and_int(off, k(size - 1)), k(0));
            b.cond_br(misaligned, restart, grow);
            b.at_end(restart);
            b.call_fn(helper(module, ty, Helper::Merge), &[lo, span, buf]);
            b.call_fn(free_fn(module), &[buf]);
            b.br(fresh);
            // Outside: extend by at least the current span on that side.
            b.at_end(grow);
            let reach = b.select(
                b.icmp(IntPredicate::LLVMIntSGT, span, k(FIRST_REACH)),
                span,
                k(FIRST_REACH),
            );
            let below = b.icmp(IntPredicate::LLVMIntSLT, off, k(0));
            let new_lo = b.select(below, b.sub_int(pi, reach), lo);
            let new_hi = b.select(below, b.add_int(lo, span), b.add_int(pi, reach));
            let new_span = b.sub_int(new_hi, new_lo);
            let too_big = b.icmp(IntPredicate::LLVMIntUGT, new_span, k(MAX_SPAN));
            b.cond_br(too_big, restart, regrow);
            b.at_end(regrow);
            let nb = b.call_fn(calloc, &[new_span, k(1)]);
            out_of_memory(&b, nb);
            let memcpy = declare(
                module,
                "memcpy",
                Type::function(ptr, &[ptr, ptr, i64t], false),
            );
            let dst = b.gep(b.i8(), nb, &[b.sub_int(lo, new_lo)]);
            b.call_fn(memcpy, &[dst, buf, span]);
            b.call_fn(free_fn(module), &[buf]);
            result(&b, new_lo, new_span, nb);
        }
        Helper::Gather => gather_body(&b, f, ty, size),
    }
    f
}

/// The body of the `gather` helper `f` for elements of `size` bytes.
fn gather_body(b: &Builder, f: Value, ty: Type, size: i64) {
    let module = b.module();
    let c = module.context();
    let (ptr, i32t, i64t) = (Type::ptr(c), Type::int(c, 32), Type::int(c, 64));
    let p = f.params();
    let (board, own, at) = (p[0], p[1], p[2]);
    let k = |v: i64| b.const_int(i64t, v);
    let ult = |b: &Builder, x: Value, y: Value| b.icmp(IntPredicate::LLVMIntULT, x, y);
    let block = |name: &str| f.append_block(name);
    let (entry, solo, team) = (block("entry"), block("solo"), block("team"));
    let (scan, scanned, check, checked) = (
        block("scan"),
        block("scanned"),
        block("check"),
        block("checked"),
    );
    let (slice, outer, inner, add) = (block("slice"), block("outer"), block("inner"), block("add"));
    let (next_el, next_k, done) = (block("next.element"), block("next.thread"), block("done"));
    // Thread t's descriptor: (lo, span, buf).
    let desc_of = |b: &Builder, t: Value| {
        let d = b.load(ptr, b.gep(ptr, board, &[t]));
        let e = b.gep(b.i8(), d, &[at]);
        (
            b.load(i64t, e),
            b.load(i64t, b.gep_i8(e, 8)),
            b.load(ptr, b.gep_i8(e, 16)),
        )
    };
    b.at_end(entry);
    let none = b.icmp(IntPredicate::LLVMIntEQ, board, b.zero(ptr));
    b.cond_br(none, solo, team);
    // Alone, or elements aligned differently: the thread's own buffer,
    // atomically.
    b.at_end(solo);
    let e = b.gep(b.i8(), own, &[at]);
    let lo = b.load(i64t, e);
    let span = b.load(i64t, b.gep_i8(e, 8));
    let buf = b.load(ptr, b.gep_i8(e, 16));
    b.call_fn(helper(module, ty, Helper::Merge), &[lo, span, buf]);
    b.ret_void();
    b.at_end(team);
    let thread = |name: &str| {
        let f = declare(module, name, Type::function(i32t, &[], false));
        b.int_cast(b.call_fn(f, &[]), i64t, false)
    };
    let tid = thread("omp_get_thread_num");
    let nth = thread("omp_get_num_threads");
    b.br(scan);
    // The union of the buffers' ranges: [lo_min, hi_max).
    b.at_end(scan);
    let t = b.phi(i64t, "t");
    let lo_min = b.phi(i64t, "lo.min");
    let hi_max = b.phi(i64t, "hi.max");
    let (lo, span, _) = desc_of(b, t);
    let used = b.icmp(IntPredicate::LLVMIntNE, span, k(0));
    let hi = b.add_int(lo, span);
    let lo_min2 = b.select(b.and_int(used, ult(b, lo, lo_min)), lo, lo_min);
    let hi_max2 = b.select(b.and_int(used, ult(b, hi_max, hi)), hi, hi_max);
    let t2 = b.add_int(t, k(1));
    crate::shim::keep_loop_rolled(b.cond_br(ult(b, t2, nth), scan, scanned));
    t.add_incoming(k(0), team);
    t.add_incoming(t2, scan);
    lo_min.add_incoming(k(-1), team);
    lo_min.add_incoming(lo_min2, scan);
    hi_max.add_incoming(k(0), team);
    hi_max.add_incoming(hi_max2, scan);
    b.at_end(scanned);
    let empty = b.icmp(IntPredicate::LLVMIntEQ, hi_max2, k(0));
    b.cond_br(empty, done, check);
    // Every buffer's elements aligned like the first one's (else an element
    // of one could straddle two of another, in two threads' slices).
    b.at_end(check);
    let t = b.phi(i64t, "t");
    let bad = b.phi(Type::int(c, 1), "bad");
    let (lo, span, _) = desc_of(b, t);
    let used = b.icmp(IntPredicate::LLVMIntNE, span, k(0));
    let mis = b.icmp(
        IntPredicate::LLVMIntNE,
        b.and_int(b.sub_int(lo, lo_min2), k(size - 1)),
        k(0),
    );
    let bad2 = b.or_int(bad, b.and_int(used, mis));
    let t2 = b.add_int(t, k(1));
    crate::shim::keep_loop_rolled(b.cond_br(ult(b, t2, nth), check, checked));
    t.add_incoming(k(0), scanned);
    t.add_incoming(t2, check);
    bad.add_incoming(b.const_int(Type::int(c, 1), 0), scanned);
    bad.add_incoming(bad2, check);
    b.at_end(checked);
    b.cond_br(bad2, solo, slice);
    // This thread's slice [s, e) of the union, in whole cache lines: the
    // elements that start there.
    b.at_end(slice);
    let base = b.and_int(lo_min2, k(-64));
    let total = b.sub_int(hi_max2, base);
    let per = b.udiv_int(b.add_int(total, b.sub_int(nth, k(1))), nth);
    let chunk = b.and_int(b.add_int(per, k(63)), k(-64));
    let s = b.add_int(base, b.mul_int(tid, chunk));
    let e0 = b.add_int(s, chunk);
    let e = b.select(ult(b, e0, hi_max2), e0, hi_max2);
    b.cond_br(ult(b, s, e), outer, done);
    b.at_end(outer);
    let t = b.phi(i64t, "t");
    let (lo, span, buf) = desc_of(b, t);
    let used = b.icmp(IntPredicate::LLVMIntNE, span, k(0));
    let hi = b.add_int(lo, span);
    let a_lo = b.select(ult(b, s, lo), lo, s);
    let a_hi = b.select(ult(b, e, hi), e, hi);
    let first = b.and_int(b.add_int(b.sub_int(a_lo, lo), k(size - 1)), k(-size));
    let end = b.sub_int(a_hi, lo);
    let some = b.and_int(b.and_int(used, ult(b, a_lo, a_hi)), ult(b, first, end));
    let shadow = b.int_to_ptr(lo, ptr);
    b.cond_br(some, inner, next_k);
    b.at_end(inner);
    let o = b.phi(i64t, "offset");
    let q = b.gep(b.i8(), buf, &[o]);
    let v = b.load(ty, q);
    b.set_alignment(v, size as u32);
    let nonzero = b.fcmp(RealPredicate::LLVMRealUNE, v, b.const_real(ty, 0.0));
    b.cond_br(nonzero, add, next_el);
    b.at_end(add);
    let target = b.gep(b.i8(), shadow, &[o]);
    let old = b.load(ty, target);
    b.set_alignment(old, size as u32);
    let st = b.store(b.fadd(old, v), target);
    b.set_alignment(st, size as u32);
    b.br(next_el);
    b.at_end(next_el);
    let o2 = b.add_int(o, k(size));
    crate::shim::keep_loop_rolled(b.cond_br(ult(b, o2, end), inner, next_k));
    o.add_incoming(first, outer);
    o.add_incoming(o2, next_el);
    b.at_end(next_k);
    let t2 = b.add_int(t, k(1));
    crate::shim::keep_loop_rolled(b.cond_br(ult(b, t2, nth), outer, done));
    t.add_incoming(k(0), slice);
    t.add_incoming(t2, next_k);
    b.at_end(done);
    b.ret_void();
}
