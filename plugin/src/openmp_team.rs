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
//! callees), every atomic access, and the return. A plain load or store of
//! shadow memory (the reverse of a store reads and clears the stored
//! element's adjoint) first checks whether its address lies in a buffer's
//! range, and if so merges what the buffer holds there (two pointers to one
//! array are caught this way). Accesses to primal memory reached through
//! the region's captures, the function's own stack, its tape frame and its
//! tape rows need neither. Where a merge point sits in a loop, no copy is
//! made (the atomic reverse stays: merging on every iteration would cost
//! more). The merges add each element once per thread instead of once per
//! use, and into cache lines other threads rarely share.
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
            // Other atomics (ticket counters, adds left atomic) and atomic
            // loads and stores order threads or may touch the buffers' memory.
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
                // `free` may release shadow memory a buffer holds adds for.
                yes(!(harmless_intrinsic || n == "ferment.tape.release"))
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
    let (f64t, f32t) = (Type::f64(c), Type::f32(c));
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
    let desc_ty = Type::literal_struct(c, &[b.i64(), b.i64(), Type::ptr(c)]);
    let entry = f.entry_block();
    let top = Builder::new(module);
    top.at_start(entry);
    let mut groups: HashMap<(Value, bool), Value> = HashMap::new();
    let mut descs: Vec<(Value, Type)> = Vec::new();
    for &s in &sites {
        let (p, d) = (s.operand(0), s.operand(1));
        let objs = ferment_activity_analysis::underlying_objects(p);
        let root = if objs.len() == 1 { objs[0] } else { s };
        let is_double = d.ty() == f64t;
        let desc = *groups.entry((root, is_double)).or_insert_with(|| {
            let a = top.alloca(desc_ty, "omp.team.buffer");
            descs.push((a, d.ty()));
            a
        });
        accumulate(&b, desc, s);
    }
    // The descriptors start empty (after the allocas, before anything else).
    let init = Builder::new(module);
    let first = entry
        .instructions()
        .into_iter()
        .find(|i| i.opcode() != Opcode::LLVMAlloca)
        .expect("entry terminator");
    init.before(first);
    for &(d, _) in &descs {
        init.store(init.zero(desc_ty), d);
    }
    for i in checks {
        check(&b, &descs, i);
    }
    for m in merges {
        b.before(m);
        for &(d, ty) in &descs {
            b.call_fn(helper(module, ty, Helper::Merge), &[d]);
            if m.opcode() == Opcode::LLVMRet {
                let buf = b.load(Type::ptr(c), b.gep_i8(d, 16));
                b.call_fn(free_fn(module), &[buf]);
            }
        }
    }
    true
}

/// Replaces the atomic add `site` (`*p += d`) by a plain add into the
/// thread's buffer `desc` (`{lo, span, buf}`: `buf` mirrors addresses
/// `[lo, lo + span)`), calling the buffer's `ensure` helper first when `p`
/// lies outside it.
fn accumulate(b: &Builder, desc: Value, site: Value) {
    let module = b.module();
    let (p, d) = (site.operand(0), site.operand(1));
    let ty = d.ty();
    let size = module.alloc_size(ty) as i64;
    let i64t = b.i64();
    b.before(site);
    let pi = b.ptr_to_int(p, i64t);
    let lo = b.load(i64t, desc);
    let span = b.load(i64t, b.gep_i8(desc, 8));
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
    tb.call_fn(helper(module, ty, Helper::Ensure), &[desc, pi]);
    b.before(site);
    let lo = b.load(i64t, desc);
    let buf = b.load(Type::ptr(module.context()), b.gep_i8(desc, 16));
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
fn check(b: &Builder, descs: &[(Value, Type)], inst: Value) {
    let module = b.module();
    let (p, ty) = match inst.opcode() {
        Opcode::LLVMStore => (inst.operand(1), inst.operand(0).ty()),
        _ => (inst.operand(0), inst.ty()),
    };
    let size = module.alloc_size(ty) as i64;
    let i64t = b.i64();
    for &(desc, elem) in descs {
        b.before(inst);
        let pi = b.ptr_to_int(p, i64t);
        let lo = b.load(i64t, desc);
        let span = b.load(i64t, b.gep_i8(desc, 8));
        // [pi, pi + size) meets [lo, lo + span)
        let last = b.add_int(b.sub_int(pi, lo), b.const_int(i64t, size - 1));
        let reach = b.add_int(span, b.const_int(i64t, size - 1));
        let meets = b.icmp(IntPredicate::LLVMIntULT, last, reach);
        let then_end = crate::shim::if_then_after(meets);
        let tb = Builder::new(module);
        tb.before(then_end);
        tb.call_fn(
            helper(module, elem, Helper::Touch),
            &[desc, pi, tb.const_int(i64t, size)],
        );
    }
}

#[derive(Clone, Copy)]
enum Helper {
    /// `void ensure(desc*, i64 address)`: the buffer covers the address,
    /// aligned like it (grown, or merged and restarted around it).
    Ensure,
    /// `void merge(desc*)`: adds each nonzero element into shadow memory
    /// atomically and zeroes it.
    Merge,
    /// `void touch(desc*, i64 address, i64 size)`: before a plain access of
    /// `size` bytes at the address, which overlaps the buffer: merges the
    /// element there (the access is one aligned element), else the buffer.
    Touch,
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

/// The helper `which` for elements of type `ty` (double or float), defined
/// on first use.
fn helper(module: Module, ty: Type, which: Helper) -> Value {
    let size = module.alloc_size(ty) as i64;
    let tag = if size == 8 { "f64" } else { "f32" };
    let c = module.context();
    let (ptr, i64t, void) = (Type::ptr(c), Type::int(c, 64), Type::void(c));
    let name = match which {
        Helper::Ensure => format!("ferment.omp.team.ensure.{tag}"),
        Helper::Merge => format!("ferment.omp.team.merge.{tag}"),
        Helper::Touch => format!("ferment.omp.team.touch.{tag}"),
    };
    if let Some(f) = module.function(&name) {
        return f;
    }
    let params: &[Type] = match which {
        Helper::Ensure => &[ptr, i64t],
        Helper::Merge => &[ptr],
        Helper::Touch => &[ptr, i64t, i64t],
    };
    let f = module.add_function(&name, Type::function(void, params, false));
    f.set_internal();
    let b = Builder::new(module);
    let p = f.params();
    let desc = p[0];
    let k = |v: i64| b.const_int(i64t, v);
    let span_at = |b: &Builder| b.gep_i8(desc, 8);
    let buf_at = |b: &Builder| b.gep_i8(desc, 16);
    match which {
        Helper::Merge => {
            let entry = f.append_block("entry");
            let head = f.append_block("element");
            let add = f.append_block("add");
            let next = f.append_block("next");
            let done = f.append_block("done");
            b.at_end(entry);
            let lo = b.load(i64t, desc);
            let span = b.load(i64t, span_at(&b));
            let buf = b.load(ptr, buf_at(&b));
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
            b.cond_br(more, head, done);
            at.add_incoming(k(0), entry);
            at.add_incoming(after, next);
            b.at_end(done);
            b.ret_void();
        }
        Helper::Touch => {
            let (pi, bytes) = (p[1], p[2]);
            let entry = f.append_block("entry");
            let element = f.append_block("element");
            let add = f.append_block("add");
            let whole = f.append_block("whole");
            let done = f.append_block("done");
            b.at_end(entry);
            let lo = b.load(i64t, desc);
            let span = b.load(i64t, span_at(&b));
            let off = b.sub_int(pi, lo);
            let same = b.icmp(IntPredicate::LLVMIntEQ, bytes, k(size));
            let aligned = b.icmp(IntPredicate::LLVMIntEQ, b.and_int(off, k(size - 1)), k(0));
            let inside = b.icmp(IntPredicate::LLVMIntULT, off, span);
            let one = b.and_int(b.and_int(same, aligned), inside);
            b.cond_br(one, element, whole);
            b.at_end(element);
            let buf = b.load(ptr, buf_at(&b));
            let q = b.gep(b.i8(), buf, &[off]);
            let v = b.load(ty, q);
            let nonzero = b.fcmp(RealPredicate::LLVMRealUNE, v, b.const_real(ty, 0.0));
            b.cond_br(nonzero, add, done);
            b.at_end(add);
            b.atomic_fadd(b.int_to_ptr(pi, ptr), v);
            b.store(b.const_real(ty, 0.0), q);
            b.br(done);
            b.at_end(whole);
            b.call_fn(helper(module, ty, Helper::Merge), &[desc]);
            b.br(done);
            b.at_end(done);
            b.ret_void();
        }
        Helper::Ensure => {
            let pi = p[1];
            let entry = f.append_block("entry");
            let fresh = f.append_block("fresh");
            let used = f.append_block("used");
            let restart = f.append_block("restart");
            let grow = f.append_block("grow");
            let regrow = f.append_block("resize");
            b.at_end(entry);
            let span = b.load(i64t, span_at(&b));
            let empty = b.icmp(IntPredicate::LLVMIntEQ, span, k(0));
            b.cond_br(empty, fresh, used);
            // An empty buffer: [pi - REACH, pi + REACH).
            b.at_end(fresh);
            let calloc = declare(module, "calloc", Type::function(ptr, &[i64t, i64t], false));
            let nb = b.call_fn(calloc, &[k(2 * FIRST_REACH), k(1)]);
            out_of_memory(&b, nb);
            b.store(b.sub_int(pi, k(FIRST_REACH)), desc);
            b.store(k(2 * FIRST_REACH), span_at(&b));
            b.store(nb, buf_at(&b));
            b.ret_void();
            // Misaligned against the buffer: merge it and start afresh.
            b.at_end(used);
            let lo = b.load(i64t, desc);
            let off = b.sub_int(pi, lo);
            let misaligned = b.icmp(IntPredicate::LLVMIntNE, b.and_int(off, k(size - 1)), k(0));
            b.cond_br(misaligned, restart, grow);
            b.at_end(restart);
            b.call_fn(helper(module, ty, Helper::Merge), &[desc]);
            let old = b.load(ptr, buf_at(&b));
            b.call_fn(free_fn(module), &[old]);
            b.store(k(0), span_at(&b));
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
            let old = b.load(ptr, buf_at(&b));
            let memcpy = declare(
                module,
                "memcpy",
                Type::function(ptr, &[ptr, ptr, i64t], false),
            );
            let dst = b.gep(b.i8(), nb, &[b.sub_int(lo, new_lo)]);
            b.call_fn(memcpy, &[dst, old, span]);
            b.call_fn(free_fn(module), &[old]);
            b.store(new_lo, desc);
            b.store(new_span, span_at(&b));
            b.store(nb, buf_at(&b));
            b.ret_void();
        }
    }
    f
}
