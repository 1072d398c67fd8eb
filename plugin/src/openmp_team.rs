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
//! plain read-modify-write. Adds into adjacent elements of one object
//! (`x[3j]`, `x[3j+1]`, `x[3j+2]` in one block: [`adjacent_groups`]) share
//! one check of their whole range.
//!
//! Private ranges (`claim_private_ranges`): where the copy merges nowhere
//! but at its return (no barrier, critical section or call in the region)
//! and the address of every atomic add is affine in its loops with a
//! trip count known before them (a static-schedule worksharing loop:
//! `shim::site_ranges`), each thread needs every thread's address range of
//! every add. Where those ranges are computed from the tape frame, the
//! captures and constants alone (`frame_computable`; omp_stencil's and
//! omp_particles' regions), each thread computes them for every thread at
//! its entry from that thread's frame (`claim_helper`: the frames stay in
//! the tape array until the join, which frees them, `defer_free_helper`),
//! without a barrier; a thread whose frame says it reaches no add (an idle
//! thread, whose range fields were never written: `reach_conditions`)
//! claims no range. Otherwise (`-ferment-omp-publish-ranges` always) each
//! thread writes its ranges into a thread-local table, publishes it on the
//! board and waits at a barrier. Each buffered site then keeps the part of its own range that
//! no other thread's range meets (a contiguous block of iterations: all
//! of it but a few elements at the ends) and adds there plainly, straight
//! into shadow memory; outside it atomically (or through its buffer where
//! that part is under half its range). When no thread has such a site
//! with an empty part (every thread computes this from the same tables),
//! no buffer was used and the team skips the merge at the return, with
//! its barriers. Each loop whose adds all have such ranges is then split
//! (`shim::split_private_loops`): the block of iterations where every add
//! is private runs in a copy of the loop without the tests, and without the
//! checks of plain shadow accesses against buffers (no test fails there, so
//! no buffer grows: the checks are decided once, before the loop, on the
//! buffers' state at its entry); the few iterations before and after it in
//! copies that keep them. A plain add cannot race: another thread adding there
//! would have that address in its range, and a plain access of shadow
//! memory by another thread there would be the reverse of a store into
//! memory this thread loaded in the same region, a race in the primal.
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
                yes(!(harmless_intrinsic
                    || pure_math
                    || frees_own
                    || n.starts_with("ferment.tape.release")))
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
    let slot = |name: &str| module.zeroed_global(name, ptr, Value::set_thread_local);
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
    // What comes after the allocas added here (`site_ranges` may put casts
    // of parameters at the very start of the entry).
    let first = entry.first_instruction().expect("entry terminator");
    let mut groups: HashMap<(Value, bool), usize> = HashMap::new();
    let mut descs: Vec<Desc> = Vec::new();
    let mut site_desc: Vec<usize> = Vec::new();
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
        site_desc.push(k);
    }
    // Private ranges (see `claim_private_ranges`): only where nothing but
    // the return merges, and every atomic add's addresses are known.
    let only_return = merges.iter().all(|m| m.opcode() == Opcode::LLVMRet);
    let all_adds: Vec<Value> = insts
        .iter()
        .copied()
        .filter(|i| i.opcode() == Opcode::LLVMAtomicRMW)
        .collect();
    let ranges = if only_return {
        crate::shim::site_ranges(f, &all_adds)
    } else {
        None
    };
    // Where every thread can compute every other thread's ranges from its
    // tape frame, no thread publishes its own at a barrier.
    // A thread whose frame says it reaches no add (an idle thread of a
    // worksharing loop, whose frame fields the ranges are computed from may
    // be unwritten) claims nothing: its flag is that condition.
    let from_frames = ranges
        .as_ref()
        .filter(|_| !crate::shim::omp_publish_ranges())
        .and_then(|(at, r)| {
            let reach: Vec<(Value, bool)> = reach_conditions(f, *at, &all_adds)
                .into_iter()
                .filter(|&(c, _)| frame_computable(f, places.frame, &[(c, c)]).is_some())
                .collect();
            let mut all = r.clone();
            all.extend(reach.iter().map(|&(c, _)| (c, c)));
            frame_computable(f, places.frame, &all).map(|o| (o, reach))
        });
    // The descriptors start empty (after the allocas, before anything
    // else), and the board and ident are read before anything can fork.
    // After them, in the published array: the private-range table (a flag,
    // set once the thread published its ranges, and `[lo, hi)` per add).
    let table_at = descs.len() as i64 * DESC_BYTES;
    let words = 3 * descs.len() as u64 + 1 + 2 * all_adds.len() as u64 + 2 * sites.len() as u64;
    let published = if ranges.is_some() {
        // Thread-local, not on the stack: other threads read the table
        // until every thread has left the copy (the fork's join), and a
        // thread may leave before the others finish reading when nothing
        // needs merging.
        let g =
            module.add_zeroed_global(&format!("{}.table", f.name()), Type::array(b.i64(), words));
        g.set_thread_local();
        g.set_internal();
        g
    } else {
        top.alloca(Type::array(b.i64(), words), "omp.team.descs")
    };
    let slots: Vec<(Value, Value)> = match ranges {
        Some(_) => sites
            .iter()
            .map(|_| {
                (
                    top.alloca(b.i64(), "omp.team.private.lo"),
                    top.alloca(b.i64(), "omp.team.private.span"),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let init = Builder::new(module);
    init.before(first);
    for d in &descs {
        init.store(init.const_int(init.i64(), 0), d.lo);
        init.store(init.const_int(init.i64(), 0), d.span);
        init.store(init.zero(ptr), d.buf);
    }
    init.store(
        init.const_int(init.i64(), 0),
        init.gep_i8(published, table_at as u64),
    );
    let (board_slot, ident_slot) = team_slots(module);
    let board = init.load(ptr, board_slot);
    let ident = init.load(ptr, ident_slot);
    let mut frame_claim: Option<(Value, Value)> = None;
    let private: Vec<Option<(Value, Value)>> = match &ranges {
        Some((at, r)) => {
            for &(lo, span) in &slots {
                init.store(init.const_int(init.i64(), 0), lo);
                init.store(init.const_int(init.i64(), 0), span);
            }
            // The buffered sites, after the ranges: (range index, bytes).
            let list_at = table_at + 8 + 16 * all_adds.len() as i64;
            for (k, s) in sites.iter().enumerate() {
                let j = all_adds
                    .iter()
                    .position(|a| a == s)
                    .expect("site is an add");
                let size = module.alloc_size(s.operand(1).ty()) as i64;
                let at = (list_at + 16 * k as i64) as u64;
                init.store(
                    init.const_int(init.i64(), j as i64),
                    init.gep_i8(published, at),
                );
                init.store(
                    init.const_int(init.i64(), size),
                    init.gep_i8(published, at + 8),
                );
            }
            let index: Vec<usize> = sites
                .iter()
                .map(|s| {
                    all_adds
                        .iter()
                        .position(|a| a == s)
                        .expect("site is an add")
                })
                .collect();
            let sizes: Vec<i64> = sites
                .iter()
                .map(|s| module.alloc_size(s.operand(1).ty()) as i64)
                .collect();
            match &from_frames {
                Some((order, reach)) => {
                    let list: Vec<(i64, i64)> = index
                        .iter()
                        .zip(&sizes)
                        .map(|(&i, &s)| (i as i64, s))
                        .collect();
                    let width = 8 + 16 * (r.len() + list.len()) as i64;
                    let claim = claim_helper(f, places.frame, order, reach, r, &list, width);
                    let (tables, own) = frame_tables(
                        &init,
                        claim,
                        board,
                        &params,
                        width,
                        r.len() as i64,
                        &index,
                        &sizes,
                        &slots,
                    );
                    frame_claim = Some((tables, own));
                }
                None => claim_private_ranges(
                    &b, *at, r, board, ident, published, table_at, &index, &sizes, &slots,
                ),
            }
            slots.into_iter().map(Some).collect()
        }
        None => vec![None; sites.len()],
    };
    let mut tests = Vec::new();
    let mut grouped = vec![false; sites.len()];
    for group in adjacent_groups(&sites, &site_desc, &private) {
        let members: Vec<(Value, i64)> = group.iter().map(|&(k, off)| (sites[k], off)).collect();
        accumulate_adjacent(&b, descs[site_desc[group[0].0]], &members);
        for (k, _) in group {
            grouped[k] = true;
        }
    }
    for (k, &s) in sites.iter().enumerate() {
        if !grouped[k] {
            tests.extend(accumulate(&b, descs[site_desc[k]], s, private[k]));
        }
    }
    let mut touches = Vec::new();
    for i in checks {
        touches.extend(check(&b, &descs, i));
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
        if let Some((tables, own)) = frame_claim {
            // Every thread computed every thread's table from the frames.
            let c64 = |v: i64| b.const_int(b.i64(), v);
            let any = b.call_fn(
                any_shared_helper(module),
                &[
                    tables,
                    own,
                    c64(0),
                    c64(all_adds.len() as i64),
                    c64(sites.len() as i64),
                ],
            );
            let then_end = crate::shim::if_then_after(any);
            b.before(then_end);
        } else if ranges.is_some() {
            // A thread that did not claim its private ranges (it took no
            // path through the block that does) meets the others' barrier
            // here, with its flag clear.
            let flag = b.load(b.i64(), b.gep_i8(published, table_at as u64));
            let unclaimed = b.icmp(IntPredicate::LLVMIntEQ, flag, b.const_int(b.i64(), 0));
            let then_end = crate::shim::if_then_after(unclaimed);
            let tb = Builder::new(module);
            tb.before(then_end);
            tb.call_fn(sync_helper(module, true), &[board, ident, published]);
            // Every thread sees the same tables: when no thread's buffered
            // site has an empty private part, no buffer holds anything and
            // the team skips the merge together.
            b.before(m);
            let c64 = |v: i64| b.const_int(b.i64(), v);
            let any = b.call_fn(
                any_shared_helper(module),
                &[
                    board,
                    published,
                    c64(table_at),
                    c64(all_adds.len() as i64),
                    c64(sites.len() as i64),
                ],
            );
            let then_end = crate::shim::if_then_after(any);
            b.before(then_end);
        }
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
    // Other threads read this thread's frame until the join: the caller
    // frees it then.
    if frame_claim.is_some() {
        for i in f.instructions() {
            let frees_frame = i.opcode() == Opcode::LLVMCall
                && i.called_function().is_some_and(|g| g.name() == "free")
                && i.call_args().first() == Some(&places.frame);
            if frees_frame {
                b.before(i);
                b.call_fn(defer_free_helper(module), &[board, places.frame]);
                i.erase();
            }
        }
    }
    // The descriptors' slots become registers: the adds' fast path reads
    // no memory.
    let _ = crate::shim::run_function_pipeline(f, "sroa");
    // The private-range tests of a loop hold on a block of its iterations
    // (all but a few at the ends of a thread's static chunk): that block
    // runs in a copy of the loop without them (plain adds, no branches).
    // With every site tested (private ranges), only a failed test grows a
    // buffer: where all tests hold, the buffers keep what they held at the
    // loop's entry and the plain accesses' checks against them are known.
    // The dead paths go at once: the host pipeline's loop-load elimination
    // (which carries the element added to in one iteration into the next
    // in a register) runs before its own clean-up, and gives up on a loop
    // with calls in it.
    if !tests.is_empty()
        && tests.len() == sites.len()
        && crate::shim::split_private_loops(f, &tests, &touches) > 0
    {
        let _ =
            crate::shim::run_function_pipeline(f, "instcombine<no-verify-fixpoint>,simplifycfg");
    }
    true
}

/// Replaces the atomic add `site` (`*p += d`) by a plain add into the
/// thread's buffer `desc`, calling the buffer's `ensure` helper first when
/// `p` lies outside it.
///
/// With `private` (the slots of the thread's private range for the site,
/// `[lo, lo + span + size - 1)`, see `claim_private_ranges`): an address
/// in that range is added to plainly where it is; another is added
/// atomically when the range is not empty (a few shared elements at its
/// ends), else through the buffer. Returns that test (`a - lo < span`).
fn accumulate(
    b: &Builder,
    desc: Desc,
    site: Value,
    private: Option<(Value, Value)>,
) -> Option<Value> {
    let module = b.module();
    let (p, d) = (site.operand(0), site.operand(1));
    let ty = d.ty();
    let size = module.alloc_size(ty) as i64;
    let i64t = b.i64();
    let mut test = None;
    if let Some((plo, pspan)) = private {
        b.before(site);
        let pi = b.ptr_to_int(p, i64t);
        let off = b.sub_int(pi, b.load(i64t, plo));
        let span = b.load(i64t, pspan);
        let mine = b.icmp(IntPredicate::LLVMIntULT, off, span);
        let (own, other) = crate::shim::if_then_else_after(mine);
        let ob = Builder::new(module);
        ob.before(own);
        let old = ob.load(ty, p);
        ob.set_alignment(old, size as u32);
        let st = ob.store(ob.fadd_acc(old, d), p);
        ob.set_alignment(st, size as u32);
        let eb = Builder::new(module);
        eb.before(other);
        let some = eb.icmp(IntPredicate::LLVMIntNE, span, eb.const_int(i64t, 0));
        let (atomic, buffered) = crate::shim::if_then_else_after(some);
        let ab = Builder::new(module);
        ab.before(atomic);
        ab.atomic_fadd(p, d);
        site.move_before(buffered);
        test = Some(mine);
    }
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
    grow_to(&tb, desc, pi);
    add_into_buffer(b, desc, site, pi);
    test
}

/// Grows the thread's buffer `desc` to hold address `pi` (its `ensure`
/// helper; the buffer may start afresh around `pi`).
fn grow_to(b: &Builder, desc: Desc, pi: Value) {
    let (lo, span, buf) = desc.values(b);
    let r = b.call_fn(
        helper(b.module(), desc.ty, Helper::Ensure),
        &[lo, span, buf, pi],
    );
    b.store(b.extract_value(r, 0), desc.lo);
    b.store(b.extract_value(r, 1), desc.span);
    b.store(b.extract_value(r, 2), desc.buf);
}

/// Replaces the atomic add `site` (`*p += d`, `pi` the address of `p` as an
/// integer) by a plain add into the thread's buffer `desc`, which holds
/// that address (checked before).
fn add_into_buffer(b: &Builder, desc: Desc, site: Value, pi: Value) {
    let module = b.module();
    let d = site.operand(1);
    let (ty, size) = (d.ty(), module.alloc_size(d.ty()) as u32);
    b.before(site);
    let lo = b.load(b.i64(), desc.lo);
    let buf = b.load(Type::ptr(module.context()), desc.buf);
    let q = b.gep(b.i8(), buf, &[b.sub_int(pi, lo)]);
    let old = b.load(ty, q);
    b.set_alignment(old, size);
    let st = b.store(b.fadd_acc(old, d), q);
    b.set_alignment(st, size);
    site.erase();
}

/// Most bytes a group of adjacent adds may span (far below `FIRST_REACH`,
/// so a buffer started afresh at one end holds the other).
const GROUP_BYTES: i64 = 64;
const _: () = assert!(GROUP_BYTES < FIRST_REACH);

/// The address `p` as `base + index * scale + offset` (bytes, modulo 2^64):
/// `(base, index and scale, offset)`, through GEPs of one i64 index (a
/// constant, at most one variable index, which may carry a constant
/// addend).
fn split_address(module: Module, mut p: Value) -> (Value, Option<(Value, i64)>, i64) {
    let mut index = None;
    let mut offset = 0i64;
    for _ in 0..8 {
        if !p.is_instruction() || p.opcode() != Opcode::LLVMGetElementPtr || p.num_operands() != 2 {
            break;
        }
        let Some(src) = p.gep_source_element_type() else {
            break;
        };
        let scale = module.alloc_size(src) as i64;
        let i = p.operand(1);
        if !i.ty().is_integer() || i.ty().int_width() > 64 {
            break;
        }
        if let Some(c) = i.const_int() {
            offset = offset.wrapping_add(c.wrapping_mul(scale));
        } else if index.is_none() && i.ty() == Type::int(module.context(), 64) {
            let addend = i.is_instruction()
                && (i.opcode() == Opcode::LLVMAdd
                    || (i.opcode() == Opcode::LLVMOr
                        && unsafe { llvm_sys::core::LLVMGetIsDisjoint(i.0) } != 0));
            let (x, c) = match addend.then(|| i.operand(1).const_int()).flatten() {
                Some(c) => (i.operand(0), c),
                None => (i, 0),
            };
            offset = offset.wrapping_add(c.wrapping_mul(scale));
            index = Some((x, scale));
        } else {
            break;
        }
        p = p.operand(0);
    }
    (p, index, offset)
}

/// Groups of buffered sites (no private range) that add to adjacent
/// elements of one buffer: in one block, one after another among the
/// sites of that buffer, at one base address plus constant offsets that
/// are multiples of the element size, within `GROUP_BYTES`. Each group
/// (two sites or more, in program order) is `(site index, offset)`.
fn adjacent_groups(
    sites: &[Value],
    site_desc: &[usize],
    private: &[Option<(Value, Value)>],
) -> Vec<Vec<(usize, i64)>> {
    let Some(&first) = sites.first() else {
        return Vec::new();
    };
    let module = first.parent().parent().global_parent();
    let index: HashMap<Value, usize> = sites.iter().enumerate().map(|(k, &s)| (s, k)).collect();
    let mut blocks: Vec<Block> = Vec::new();
    for s in sites {
        if !blocks.contains(&s.parent()) {
            blocks.push(s.parent());
        }
    }
    let mut groups = Vec::new();
    for block in blocks {
        // The run of each buffer's sites being grown: its address key and
        // members.
        type Key = (Value, Option<(Value, i64)>);
        let mut runs: HashMap<usize, (Key, Vec<(usize, i64)>)> = HashMap::new();
        let mut close = |run: Option<(Key, Vec<(usize, i64)>)>| {
            if let Some((_, members)) = run.filter(|(_, m)| m.len() > 1) {
                groups.push(members);
            }
        };
        for inst in block.instructions() {
            let Some(&k) = index.get(&inst) else {
                continue;
            };
            let desc = site_desc[k];
            if private[k].is_some() {
                close(runs.remove(&desc));
                continue;
            }
            let size = module.alloc_size(inst.operand(1).ty()) as i64;
            let (base, var, offset) = split_address(module, inst.operand(0));
            let key = (base, var);
            let fits = |members: &[(usize, i64)]| {
                let lo = members
                    .iter()
                    .map(|m| m.1)
                    .min()
                    .unwrap_or(offset)
                    .min(offset);
                let hi = members
                    .iter()
                    .map(|m| m.1)
                    .max()
                    .unwrap_or(offset)
                    .max(offset);
                hi.checked_sub(lo).is_some_and(|d| d <= GROUP_BYTES - size)
                    && members
                        .iter()
                        .all(|m| offset.wrapping_sub(m.1).rem_euclid(size) == 0)
            };
            let extends =
                matches!(runs.get(&desc), Some((k0, members)) if *k0 == key && fits(members));
            match runs.get_mut(&desc) {
                Some((_, members)) if extends => members.push((k, offset)),
                _ => close(runs.insert(desc, (key, vec![(k, offset)]))),
            }
        }
        // In buffer order: the rewrite does not depend on hashing.
        let mut left: Vec<_> = runs.drain().collect();
        left.sort_by_key(|(desc, _)| *desc);
        for (_, run) in left {
            close(Some(run));
        }
    }
    groups
}

/// Replaces the atomic adds `members` (`(site, offset)` in program order,
/// one block, addresses `base + offset` for one base) by plain adds into
/// the thread's buffer `desc`, with one check before the first that the
/// buffer holds the group's whole range `[lowest, highest + size)`: on a
/// miss, the buffer is grown to the lowest address, then to the highest if
/// it still lacks it (a buffer started afresh at one end holds the other:
/// the group spans at most `GROUP_BYTES`). Nothing between the adds grows
/// the buffer (no other site of it lies between them), and merges keep its
/// range.
fn accumulate_adjacent(b: &Builder, desc: Desc, members: &[(Value, i64)]) {
    let module = b.module();
    let i64t = b.i64();
    let (first, first_off) = members[0];
    let size = module.alloc_size(first.operand(1).ty()) as i64;
    let lowest = members.iter().map(|m| m.1).min().unwrap_or(first_off);
    let highest = members.iter().map(|m| m.1).max().unwrap_or(first_off);
    b.before(first);
    let first_pi = b.ptr_to_int(first.operand(0), i64t);
    let pi_at =
        |b: &Builder, off: i64| b.add_int(first_pi, b.const_int(i64t, off.wrapping_sub(first_off)));
    let (low_pi, high_pi) = (pi_at(b, lowest), pi_at(b, highest));
    let outside = |b: &Builder, pi: Value| {
        let off = b.sub_int(pi, b.load(i64t, desc.lo));
        (
            off,
            b.icmp(IntPredicate::LLVMIntUGE, off, b.load(i64t, desc.span)),
        )
    };
    let (low_off, low_out) = outside(b, low_pi);
    let (_, high_out) = outside(b, high_pi);
    let misaligned = b.icmp(
        IntPredicate::LLVMIntNE,
        b.and_int(low_off, b.const_int(i64t, size - 1)),
        b.const_int(i64t, 0),
    );
    let miss = b.or_int(b.or_int(low_out, high_out), misaligned);
    let then_end = crate::shim::if_then_after(miss);
    let tb = Builder::new(module);
    tb.before(then_end);
    grow_to(&tb, desc, low_pi);
    let (_, still_out) = outside(&tb, high_pi);
    let again_end = crate::shim::if_then_after(still_out);
    let ab = Builder::new(module);
    ab.before(again_end);
    grow_to(&ab, desc, high_pi);
    for &(site, _) in members {
        b.before(site);
        let pi = b.ptr_to_int(site.operand(0), i64t);
        add_into_buffer(b, desc, site, pi);
    }
}

/// At `at` (the terminator of a block that dominates every adjoint add of
/// the copy and lies on no cycle; the copy merges nowhere but at its
/// return, so nothing else in it synchronizes threads): the thread writes
/// the address range `[lo, hi)` each add covers (`ranges`, from
/// `shim::site_ranges`) into its published array at `table_at` (after a
/// flag it sets), publishes the array and waits at a barrier (a thread that
/// does not pass `at` meets this barrier at the return, flag clear: it
/// adds nothing). Then, for each buffered site `k` (`index[k]`: its range,
/// `sizes[k]`: bytes added), the `private` helper takes the site's range
/// minus every other thread's ranges: no other thread adds there (nor
/// reads or writes there plainly, as the primal program is race-free: a
/// load's adjoint is added where no other thread stored in the same
/// region), so the thread's adds there need neither atomics nor a buffer.
/// The result goes to `slots[k]`: `(lo, span)`, an address `a` being
/// private when `a - lo < span` (unsigned), `span` zero when the private
/// part is under half the site's range (its adds then go through the
/// buffer as before).
#[allow(clippy::too_many_arguments)]
fn claim_private_ranges(
    b: &Builder,
    at: Value,
    ranges: &[(Value, Value)],
    board: Value,
    ident: Value,
    published: Value,
    table_at: i64,
    index: &[usize],
    sizes: &[i64],
    slots: &[(Value, Value)],
) {
    let module = b.module();
    let i64t = b.i64();
    let k = |v: i64| b.const_int(i64t, v);
    b.before(at);
    for (j, (lo, hi)) in ranges.iter().enumerate() {
        b.store(
            *lo,
            b.gep_i8(published, (table_at + 8 + 16 * j as i64) as u64),
        );
        b.store(
            *hi,
            b.gep_i8(published, (table_at + 16 + 16 * j as i64) as u64),
        );
    }
    b.store(k(1), b.gep_i8(published, table_at as u64));
    b.call_fn(sync_helper(module, true), &[board, ident, published]);
    let helper = private_helper(module);
    let i32t = Type::int(module.context(), 32);
    let tid = b.call_fn(
        declare(
            module,
            "omp_get_thread_num",
            Type::function(i32t, &[], false),
        ),
        &[],
    );
    let tid = b.int_cast(tid, i64t, false);
    for (s, slot) in slots.iter().enumerate() {
        let r = b.call_fn(
            helper,
            &[
                board,
                published,
                tid,
                k(table_at),
                k(ranges.len() as i64),
                k(index[s] as i64),
                k(sizes[s]),
            ],
        );
        b.store(b.extract_value(r, 0), slot.0);
        b.store(b.extract_value(r, 1), slot.1);
    }
}

/// `{i64 lo, i64 span} private(board, own, i64 me, i64 table, i64 count,
/// i64 k, i64 size)`: the part of range `k` of thread `me`'s table (at byte
/// `table` of its published array `own`: a flag, then `count` ranges
/// `[lo, hi)`) that no range of another thread's table (a flag set) meets; where a
/// range falls inside it, the larger side is kept. `span` counts the
/// addresses where an element of `size` bytes fits in that part, zero when
/// the part is under half of range `k`, there is no board, or `own`'s flag
/// is clear (a thread that reaches no add, see [`claim_helper`]).
fn private_helper(module: Module) -> Value {
    let name = "ferment.omp.team.private";
    if let Some(f) = module.function(name) {
        return f;
    }
    let c = module.context();
    let (ptr, i32t, i64t) = (Type::ptr(c), Type::int(c, 32), Type::int(c, 64));
    let pair = Type::literal_struct(c, &[i64t, i64t]);
    let f = module.add_function(
        name,
        Type::function(pair, &[ptr, ptr, i64t, i64t, i64t, i64t, i64t], false),
    );
    f.set_internal();
    let p = f.params();
    let (board, own, tid, table, count, which, size) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    let b = Builder::new(module);
    let k = |v: i64| b.const_int(i64t, v);
    let ult = |b: &Builder, x: Value, y: Value| b.icmp(IntPredicate::LLVMIntULT, x, y);
    let ule = |b: &Builder, x: Value, y: Value| b.icmp(IntPredicate::LLVMIntULE, x, y);
    let block = |name: &str| f.append_block(name);
    let (entry, none, team, thread) = (
        block("entry"),
        block("none"),
        block("team"),
        block("thread"),
    );
    let (ranges, range, next, done) = (
        block("ranges"),
        block("range"),
        block("next.thread"),
        block("done"),
    );
    let result = |b: &Builder, lo: Value, span: Value| {
        let r = b.insert_value(b.undef(pair), lo, 0);
        b.ret(b.insert_value(r, span, 1));
    };
    // Range j of the table of the array at `arr`: (lo, hi).
    let range_of = |b: &Builder, arr: Value, j: Value| {
        let off = b.add_int(b.add_int(table, k(8)), b.mul_int(j, k(16)));
        let e = b.gep(b.i8(), arr, &[off]);
        (b.load(i64t, e), b.load(i64t, b.gep_i8(e, 8)))
    };
    b.at_end(entry);
    let no_board = b.icmp(IntPredicate::LLVMIntEQ, board, b.zero(ptr));
    b.cond_br(no_board, none, team);
    b.at_end(none);
    result(&b, k(0), k(0));
    b.at_end(team);
    let own_flag = b.load(i64t, b.gep(b.i8(), own, &[table]));
    let claims = block("claims");
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntEQ, own_flag, k(0)),
        none,
        claims,
    );
    b.at_end(claims);
    let call = |name: &str| {
        let g = declare(module, name, Type::function(i32t, &[], false));
        b.int_cast(b.call_fn(g, &[]), i64t, false)
    };
    let nth = call("omp_get_num_threads");
    let (lo0, hi0) = range_of(&b, own, which);
    b.br(thread);
    // Each other thread with its flag set.
    b.at_end(thread);
    let t = b.phi(i64t, "t");
    let lo_t = b.phi(i64t, "lo");
    let hi_t = b.phi(i64t, "hi");
    let arr = b.load(ptr, b.gep(ptr, board, &[t]));
    let flag = b.load(i64t, b.gep(b.i8(), arr, &[table]));
    let other = b.icmp(IntPredicate::LLVMIntNE, t, tid);
    let set = b.icmp(IntPredicate::LLVMIntNE, flag, k(0));
    let some = b.icmp(IntPredicate::LLVMIntNE, count, k(0));
    b.cond_br(b.and_int(b.and_int(other, set), some), ranges, next);
    b.at_end(ranges);
    b.br(range);
    b.at_end(range);
    let j = b.phi(i64t, "j");
    let lo = b.phi(i64t, "lo");
    let hi = b.phi(i64t, "hi");
    let (a, e) = range_of(&b, arr, j);
    // [a, e) against [lo, hi): apart, covering the low end, the high end,
    // or inside (keep the larger side).
    let apart = b.or_int(b.or_int(ule(&b, e, lo), ule(&b, hi, a)), ule(&b, e, a));
    let low = ule(&b, a, lo);
    let high = ule(&b, hi, e);
    let keep_low = ule(&b, b.sub_int(hi, e), b.sub_int(a, lo));
    let cut_low = b.and_int(
        b.not(apart),
        b.or_int(low, b.and_int(b.not(high), b.not(keep_low))),
    );
    let cut_high = b.and_int(
        b.and_int(b.not(apart), b.not(low)),
        b.or_int(high, keep_low),
    );
    let lo2 = b.select(cut_low, e, lo);
    let hi2 = b.select(cut_high, a, hi);
    let j2 = b.add_int(j, k(1));
    let range_end = b.insert_block();
    crate::shim::keep_loop_rolled(b.cond_br(ult(&b, j2, count), range, next));
    j.add_incoming(k(0), ranges);
    j.add_incoming(j2, range_end);
    lo.add_incoming(lo_t, ranges);
    lo.add_incoming(lo2, range_end);
    hi.add_incoming(hi_t, ranges);
    hi.add_incoming(hi2, range_end);
    b.at_end(next);
    let lo_n = b.phi(i64t, "lo");
    let hi_n = b.phi(i64t, "hi");
    lo_n.add_incoming(lo_t, thread);
    lo_n.add_incoming(lo2, range_end);
    hi_n.add_incoming(hi_t, thread);
    hi_n.add_incoming(hi2, range_end);
    let t2 = b.add_int(t, k(1));
    let next_end = b.insert_block();
    crate::shim::keep_loop_rolled(b.cond_br(ult(&b, t2, nth), thread, done));
    t.add_incoming(k(0), claims);
    t.add_incoming(t2, next_end);
    lo_t.add_incoming(lo0, claims);
    lo_t.add_incoming(lo_n, next_end);
    hi_t.add_incoming(hi0, claims);
    hi_t.add_incoming(hi_n, next_end);
    b.at_end(done);
    // Where an element fits: [lo, hi - size]; at least half the range.
    let whole = b.sub_int(hi0, lo0);
    let part = b.select(ult(&b, lo_n, hi_n), b.sub_int(hi_n, lo_n), k(0));
    let fits = ule(&b, size, part);
    let half = ule(&b, b.udiv_int(whole, k(2)), part);
    let span = b.select(
        b.and_int(fits, half),
        b.add_int(b.sub_int(part, size), k(1)),
        k(0),
    );
    result(&b, lo_n, span);
    f
}

/// `i1 any_shared(board, own, i64 table, i64 count, i64 sites)`: whether
/// some thread with its flag set has a buffered site (the list of `sites`
/// (range index, bytes) pairs after the ranges of the table in `own`)
/// whose private part (`private`) is empty, i.e. whose adds may have gone
/// to its buffer; true without a board.
fn any_shared_helper(module: Module) -> Value {
    let name = "ferment.omp.team.any_shared";
    if let Some(f) = module.function(name) {
        return f;
    }
    let c = module.context();
    let (ptr, i1t, i32t, i64t) = (
        Type::ptr(c),
        Type::int(c, 1),
        Type::int(c, 32),
        Type::int(c, 64),
    );
    let f = module.add_function(
        name,
        Type::function(i1t, &[ptr, ptr, i64t, i64t, i64t], false),
    );
    f.set_internal();
    let p = f.params();
    let (board, own, table, count, nsites) = (p[0], p[1], p[2], p[3], p[4]);
    let b = Builder::new(module);
    let k = |v: i64| b.const_int(i64t, v);
    let ult = |b: &Builder, x: Value, y: Value| b.icmp(IntPredicate::LLVMIntULT, x, y);
    let block = |name: &str| f.append_block(name);
    let (entry, yes, team, thread) = (block("entry"), block("yes"), block("team"), block("thread"));
    let (site, site_next, next, no) = (
        block("site"),
        block("site.next"),
        block("next.thread"),
        block("no"),
    );
    b.at_end(entry);
    let no_board = b.icmp(IntPredicate::LLVMIntEQ, board, b.zero(ptr));
    b.cond_br(no_board, yes, team);
    b.at_end(yes);
    b.ret(b.const_int(i1t, 1));
    b.at_end(team);
    let g = declare(
        module,
        "omp_get_num_threads",
        Type::function(i32t, &[], false),
    );
    let nth = b.int_cast(b.call_fn(g, &[]), i64t, false);
    let list = b.add_int(b.add_int(table, k(8)), b.mul_int(count, k(16)));
    let any_site = b.icmp(IntPredicate::LLVMIntNE, nsites, k(0));
    b.cond_br(any_site, thread, no);
    b.at_end(thread);
    let t = b.phi(i64t, "t");
    let arr = b.load(ptr, b.gep(ptr, board, &[t]));
    let flag = b.load(i64t, b.gep(b.i8(), arr, &[table]));
    let set = b.icmp(IntPredicate::LLVMIntNE, flag, k(0));
    b.cond_br(set, site, next);
    b.at_end(site);
    let s = b.phi(i64t, "s");
    let e = b.gep(b.i8(), own, &[b.add_int(list, b.mul_int(s, k(16)))]);
    let idx = b.load(i64t, e);
    let size = b.load(i64t, b.gep_i8(e, 8));
    let r = b.call_fn(
        private_helper(module),
        &[board, arr, t, table, count, idx, size],
    );
    let empty = b.icmp(IntPredicate::LLVMIntEQ, b.extract_value(r, 1), k(0));
    b.cond_br(empty, yes, site_next);
    b.at_end(site_next);
    let s2 = b.add_int(s, k(1));
    crate::shim::keep_loop_rolled(b.cond_br(ult(&b, s2, nsites), site, next));
    s.add_incoming(k(0), thread);
    s.add_incoming(s2, site_next);
    b.at_end(next);
    let t2 = b.add_int(t, k(1));
    crate::shim::keep_loop_rolled(b.cond_br(ult(&b, t2, nth), thread, no));
    t.add_incoming(k(0), team);
    t.add_incoming(t2, next);
    b.at_end(no);
    b.ret(b.const_int(i1t, 0));
    f
}

/// Before the plain access `inst` of shadow memory: for each buffer whose
/// range it overlaps (rare: only where the adjoint it reads or writes is one
/// this thread also added to), the `touch` helper merges what the buffer
/// holds there.
/// Returns the tests (`[p, p + size)` meets a buffer's range).
fn check(b: &Builder, descs: &[Desc], inst: Value) -> Vec<Value> {
    let module = b.module();
    let (p, ty) = match inst.opcode() {
        Opcode::LLVMStore => (inst.operand(1), inst.operand(0).ty()),
        _ => (inst.operand(0), inst.ty()),
    };
    let size = module.alloc_size(ty) as i64;
    let i64t = b.i64();
    let mut tests = Vec::new();
    for d in descs {
        b.before(inst);
        let pi = b.ptr_to_int(p, i64t);
        let lo = b.load(i64t, d.lo);
        let span = b.load(i64t, d.span);
        // [pi, pi + size) meets [lo, lo + span)
        let last = b.add_int(b.sub_int(pi, lo), b.const_int(i64t, size - 1));
        let reach = b.add_int(span, b.const_int(i64t, size - 1));
        let meets = b.icmp(IntPredicate::LLVMIntULT, last, reach);
        tests.push(meets);
        let then_end = crate::shim::if_then_after(meets);
        let tb = Builder::new(module);
        tb.before(then_end);
        let (lo, span, buf) = d.values(&tb);
        tb.call_fn(
            helper(module, d.ty, Helper::Touch),
            &[lo, span, buf, pi, tb.const_int(i64t, size)],
        );
    }
    tests
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

/// The instructions that compute `ranges` (operands first) when every
/// thread of the team can compute them for every other thread from that
/// thread's tape frame: each is a pure computation (integer arithmetic,
/// casts, compares, selects, constant-index address arithmetic,
/// `min`/`max` intrinsics) of constants, the captures and shadows (the same
/// in every thread), and loads at constant offsets of the frame, which
/// nothing in `f` writes (or passes to a call other than its `free`).
/// `None` otherwise: the threads then publish their ranges at a barrier.
fn frame_computable(f: Value, frame: Value, ranges: &[(Value, Value)]) -> Option<Vec<Value>> {
    let params = f.params();
    let touches_frame =
        |p: Value| ferment_activity_analysis::underlying_objects(p).contains(&frame);
    for i in f.instructions() {
        let writes = match i.opcode() {
            Opcode::LLVMStore => touches_frame(i.operand(1)),
            Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => touches_frame(i.operand(0)),
            Opcode::LLVMCall => {
                let frees_frame = i.called_function().is_some_and(|g| g.name() == "free")
                    && i.call_args().first() == Some(&frame);
                !frees_frame
                    && i.call_args()
                        .iter()
                        .any(|a| a.ty().is_pointer() && touches_frame(*a))
            }
            _ => false,
        };
        if writes {
            return None;
        }
    }
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    let mut work: Vec<(Value, bool)> = ranges
        .iter()
        .flat_map(|&(lo, hi)| [(lo, false), (hi, false)])
        .collect();
    while let Some((v, expanded)) = work.pop() {
        if expanded {
            order.push(v);
            continue;
        }
        if !seen.insert(v) {
            continue;
        }
        if v.is_argument() {
            // Not the thread-number pointers: they differ between threads.
            if params[..2].contains(&v) || !params.contains(&v) {
                return None;
            }
            continue;
        }
        if !v.is_instruction() {
            if v.is_constant() && !v.is_global_value() && !v.is_constant_expr() {
                continue;
            }
            return None;
        }
        if v.parent().parent() != f {
            return None;
        }
        let operands: Vec<Value> = match v.opcode() {
            Opcode::LLVMLoad => {
                let p = v.operand(0);
                let at_frame = p == frame
                    || (p.is_instruction()
                        && p.opcode() == Opcode::LLVMGetElementPtr
                        && p.operand(0) == frame
                        && p.operands()[1..]
                            .iter()
                            .all(|x| x.is_constant() && !x.is_constant_expr()));
                if v.is_volatile_or_atomic() || !at_frame {
                    return None;
                }
                vec![p]
            }
            Opcode::LLVMAdd
            | Opcode::LLVMSub
            | Opcode::LLVMMul
            | Opcode::LLVMShl
            | Opcode::LLVMLShr
            | Opcode::LLVMAShr
            | Opcode::LLVMAnd
            | Opcode::LLVMOr
            | Opcode::LLVMXor
            | Opcode::LLVMTrunc
            | Opcode::LLVMZExt
            | Opcode::LLVMSExt
            | Opcode::LLVMPtrToInt
            | Opcode::LLVMIntToPtr
            | Opcode::LLVMBitCast
            | Opcode::LLVMICmp
            | Opcode::LLVMSelect
            | Opcode::LLVMGetElementPtr
            | Opcode::LLVMFreeze => v.operands(),
            Opcode::LLVMCall => {
                let pure = v.called_function().is_some_and(|g| {
                    let n = g.name();
                    ["llvm.umin.", "llvm.umax.", "llvm.smin.", "llvm.smax."]
                        .iter()
                        .any(|p| n.starts_with(p))
                });
                if !pure {
                    return None;
                }
                v.call_args()
            }
            _ => return None,
        };
        work.push((v, true));
        work.extend(operands.into_iter().map(|o| (o, false)));
    }
    Some(order)
}

/// Conditions each necessary for `f` to reach `sites` from the block
/// `site_ranges` computes their ranges in (`at`: its terminator, which
/// dominates them all): `at`'s own when it is a conditional branch one side
/// of which reaches none of them, then, going up from that block while it
/// has a single predecessor ending in a conditional branch with two
/// targets, the condition of that edge. Each is `(condition, negated)`.
fn reach_conditions(f: Value, at: Value, sites: &[Value]) -> Vec<(Value, bool)> {
    let mut preds: HashMap<Block, Vec<Block>> = HashMap::new();
    for b in f.blocks() {
        if let Some(t) = b.terminator() {
            for s in t.successors() {
                preds.entry(s).or_default().push(b);
            }
        }
    }
    let conditional = |t: Value| t.opcode() == Opcode::LLVMBr && t.num_operands() == 3;
    let mut out = Vec::new();
    if conditional(at) {
        let targets: HashSet<Block> = sites.iter().map(|s| s.parent()).collect();
        let reaches = |from: Block| {
            let mut seen = HashSet::new();
            let mut work = vec![from];
            while let Some(b) = work.pop() {
                if targets.contains(&b) {
                    return true;
                }
                if b == at.parent() || !seen.insert(b) {
                    continue;
                }
                if let Some(t) = b.terminator() {
                    work.extend(t.successors());
                }
            }
            false
        };
        let succ = at.successors();
        match (reaches(succ[0]), reaches(succ[1])) {
            (true, false) => out.push((at.operand(0), false)),
            (false, true) => out.push((at.operand(0), true)),
            _ => {}
        }
    }
    let mut block = at.parent();
    let mut seen = HashSet::new();
    while seen.insert(block) {
        let Some([p]) = preds.get(&block).map(|v| v.as_slice()) else {
            break;
        };
        let Some(t) = p.terminator().filter(|&t| conditional(t)) else {
            break;
        };
        let succ = t.successors();
        if succ[0] == succ[1] {
            break;
        }
        out.push((t.operand(0), succ[1] == block));
        block = *p;
    }
    out
}

/// `void <f>.claim(board, i64 nth, ptr tables, ptr segments, <f's
/// parameters>)`: for each thread `t` of the team, the table that
/// `claim_private_ranges` would have thread `t` publish, computed from
/// `t`'s tape frame (`frames[t]`, the first `nth` words before `board`):
/// at `segments + t * width` a flag (whether every condition of `reach`
/// holds, see [`reach_conditions`], each computed from `t`'s frame and
/// frozen; 1 without any: a thread with the flag clear reaches no add and
/// claims nothing, `private_helper`), the ranges of the copy's adds
/// (`order`'s instructions with `f`'s frame replaced by `t`'s), then the
/// buffered sites' list (`list`: range index and bytes); `tables[t]`
/// points there. Nothing without a board.
fn claim_helper(
    f: Value,
    frame: Value,
    order: &[Value],
    reach: &[(Value, bool)],
    ranges: &[(Value, Value)],
    list: &[(i64, i64)],
    width: i64,
) -> Value {
    let module = f.global_parent();
    let c = module.context();
    let (ptr, i64t, void) = (Type::ptr(c), Type::int(c, 64), Type::void(c));
    let params = f.params();
    let mut tys = vec![ptr, i64t, ptr, ptr];
    tys.extend(params.iter().map(|p| p.ty()));
    let h = module.add_function(
        &format!("{}.claim", f.name()),
        Type::function(void, &tys, false),
    );
    h.set_internal();
    let hp = h.params();
    let (board, nth, tables, segments) = (hp[0], hp[1], hp[2], hp[3]);
    let b = Builder::new(module);
    let k = |v: i64| b.const_int(i64t, v);
    let (entry, each, done) = (
        h.append_block("entry"),
        h.append_block("thread"),
        h.append_block("done"),
    );
    b.at_end(entry);
    let none = b.icmp(IntPredicate::LLVMIntEQ, board, b.zero(ptr));
    b.cond_br(none, done, each);
    b.at_end(each);
    let t = b.phi(i64t, "t");
    let frame_t = b.load(ptr, b.gep(ptr, board, &[b.sub_int(t, nth)]));
    let seg = b.gep(b.i8(), segments, &[b.mul_int(t, k(width))]);
    b.store(seg, b.gep(ptr, tables, &[t]));
    let mut map: HashMap<Value, Value> = HashMap::new();
    for (i, &p) in params.iter().enumerate() {
        map.insert(p, hp[4 + i]);
    }
    map.insert(frame, frame_t);
    for &v in order {
        let copy = v.clone_instruction();
        for i in 0..copy.num_operands() {
            if let Some(&m) = map.get(&copy.operand(i)) {
                copy.set_operand(i, m);
            }
        }
        b.insert(copy);
        map.insert(v, copy);
    }
    // A thread that ran no iteration may have left the fields its ranges
    // are computed from unwritten: frozen, its ranges are some fixed
    // addresses (every thread reads the same bytes), which at worst shrink
    // the others' private parts.
    let get = |v: Value| b.freeze(*map.get(&v).unwrap_or(&v));
    let mut flag = b.const_int(Type::int(c, 1), 1);
    for &(cond, negated) in reach {
        let v = get(cond);
        flag = b.and_int(flag, if negated { b.not(v) } else { v });
    }
    b.store(b.int_cast(flag, i64t, false), seg);
    for (j, &(lo, hi)) in ranges.iter().enumerate() {
        b.store(get(lo), b.gep_i8(seg, 8 + 16 * j as u64));
        b.store(get(hi), b.gep_i8(seg, 16 + 16 * j as u64));
    }
    let list_at = 8 + 16 * ranges.len() as u64;
    for (s, &(idx, size)) in list.iter().enumerate() {
        b.store(k(idx), b.gep_i8(seg, list_at + 16 * s as u64));
        b.store(k(size), b.gep_i8(seg, list_at + 16 * s as u64 + 8));
    }
    let t2 = b.add_int(t, k(1));
    let end = b.insert_block();
    crate::shim::keep_loop_rolled(b.cond_br(b.icmp(IntPredicate::LLVMIntULT, t2, nth), each, done));
    t.add_incoming(k(0), entry);
    t.add_incoming(t2, end);
    b.at_end(done);
    b.ret_void();
    h
}

/// `void defer_free(board, frame)`: instead of freeing its tape frame,
/// which other threads of the team read (`claim_helper`), a thread leaves
/// it at its number in the third part of the tape array (after the frames
/// and the board), which the caller frees after the join
/// (`openmp::free_tapes`); frees it without a board.
fn defer_free_helper(module: Module) -> Value {
    let name = "ferment.omp.team.defer_free";
    if let Some(f) = module.function(name) {
        return f;
    }
    let c = module.context();
    let (ptr, i32t, void) = (Type::ptr(c), Type::int(c, 32), Type::void(c));
    let f = module.add_function(name, Type::function(void, &[ptr, ptr], false));
    f.set_internal();
    let p = f.params();
    let b = Builder::new(module);
    let (entry, none, team) = (
        f.append_block("entry"),
        f.append_block("none"),
        f.append_block("team"),
    );
    b.at_end(entry);
    let no_board = b.icmp(IntPredicate::LLVMIntEQ, p[0], b.zero(ptr));
    b.cond_br(no_board, none, team);
    b.at_end(none);
    b.call_fn(free_fn(module), &[p[1]]);
    b.ret_void();
    b.at_end(team);
    let call = |name: &str| {
        let g = declare(module, name, Type::function(i32t, &[], false));
        b.int_cast(b.call_fn(g, &[]), b.i64(), false)
    };
    let nth = call("omp_get_num_threads");
    let tid = call("omp_get_thread_num");
    b.store(p[1], b.gep(ptr, p[0], &[b.add_int(nth, tid)]));
    b.ret_void();
    f
}

/// At the copy's entry (`b`): each thread's table of ranges for every
/// thread of the team (`claim`, see [`claim_helper`]: `width` bytes per
/// thread, on the stack) and the thread's private part of each buffered
/// site's range (`index[k]`: its range, `sizes[k]`: bytes added) into
/// `slots[k]`, as [`claim_private_ranges`] computes them but without a
/// barrier. Returns the array of tables (null without a board) and this
/// thread's table, for `any_shared` at the return.
#[allow(clippy::too_many_arguments)]
fn frame_tables(
    b: &Builder,
    claim: Value,
    board: Value,
    params: &[Value],
    width: i64,
    count: i64,
    index: &[usize],
    sizes: &[i64],
    slots: &[(Value, Value)],
) -> (Value, Value) {
    let module = b.module();
    let c = module.context();
    let (ptr, i32t, i64t) = (Type::ptr(c), Type::int(c, 32), Type::int(c, 64));
    let k = |v: i64| b.const_int(i64t, v);
    let call = |name: &str| {
        let g = declare(module, name, Type::function(i32t, &[], false));
        b.int_cast(b.call_fn(g, &[]), i64t, false)
    };
    let nth = call("omp_get_num_threads");
    let tid = call("omp_get_thread_num");
    let tables = b.alloca_n(ptr, nth, "omp.team.tables");
    let segments = b.alloca_n(b.i8(), b.mul_int(nth, k(width)), "omp.team.ranges");
    let mut args = vec![board, nth, tables, segments];
    args.extend_from_slice(params);
    b.call_fn(claim, &args);
    let none = b.icmp(IntPredicate::LLVMIntEQ, board, b.zero(ptr));
    let filled = tables;
    let tables = b.select(none, b.zero(ptr), tables);
    // Not read without a board (the helpers return first).
    let own = b.load(ptr, b.gep(ptr, filled, &[tid]));
    let helper = private_helper(module);
    for (s, slot) in slots.iter().enumerate() {
        let r = b.call_fn(
            helper,
            &[
                tables,
                own,
                tid,
                k(0),
                k(count),
                k(index[s] as i64),
                k(sizes[s]),
            ],
        );
        b.store(b.extract_value(r, 0), slot.0);
        b.store(b.extract_value(r, 1), slot.1);
    }
    (tables, own)
}

/// Alias scope of the loads of primal memory in a team-of-one copy.
const PRIMAL_SCOPE: &str = "ferment.omp.primal";

/// In `f`, the team-of-one copy of a region's reverse (`captures`: how
/// many captured values follow its two thread-id parameters): the loads
/// of primal memory (through the captures, or through pointers read from
/// primal memory: `Places::primal`) get an alias scope that the plain
/// adjoint accumulations `accumulations` (loads and stores of shadow
/// memory) are marked as not aliasing. Primal and shadow memory never
/// overlap (see the module's notes), and LLVM can then keep the captured
/// pointers and the elements a loop reads again (omp_particles' `x[i]` in
/// every pair) in registers across the adjoint stores.
pub fn scope_primal_reads(f: Value, captures: usize, accumulations: &[Value]) {
    let params = f.params();
    if accumulations.is_empty()
        || captures.checked_add(4).is_none_or(|n| params.len() < n)
        || !params[params.len() - 2].ty().is_pointer()
    {
        return;
    }
    let places = Places {
        frame: params[params.len() - 2],
        captured: params[2..2 + captures].to_vec(),
        function: f,
    };
    let mut any = false;
    for i in f.instructions() {
        if i.opcode() != Opcode::LLVMLoad || i.is_volatile_or_atomic() || accumulations.contains(&i)
        {
            continue;
        }
        let objs = ferment_activity_analysis::underlying_objects(i.operand(0));
        if !objs.is_empty() && objs.iter().all(|&o| places.primal(o, 4)) {
            i.set_alias_scope(PRIMAL_SCOPE, true);
            any = true;
        }
    }
    if any {
        for a in accumulations {
            a.set_alias_scope(PRIMAL_SCOPE, false);
        }
    }
}
