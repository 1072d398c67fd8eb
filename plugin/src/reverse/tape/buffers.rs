//! Loop tape buffers: their growth in the forward function, their release
//! at the end of the reverse sweep, and the heap helpers they use (huge
//! pages for large buffers, the per-thread cache of large buffers).

use super::*;

impl Tape {
    /// Finishes the tape: patches the row strides, frees every buffer (and
    /// the frame) at `b`, the end of the reverse sweep, and fixes the
    /// frame's size. [`Tape::install_growth`] follows once the function is
    /// complete.
    pub fn finish(&mut self, b: &Builder) {
        let i64t = self.i64();
        let ptr_ty = Type::ptr(self.module.context());
        let free = self.free_fn();
        // GPU, combined shape: device malloc is slow and its heap small, so
        // each loop's first rows live in per-thread local memory.
        let gpu_local = crate::gpu::is_gpu(self.module) && self.frame.split.is_none();
        // Loops in a fixed order: the emitted IR must not depend on hashing.
        for lp in self.loop_order() {
            let lt = &self.loops[&lp];
            let Some(buf) = lt.buf else { continue };
            let stride = lt.stride();
            for m in &lt.strides {
                m.set_operand(1, b.const_int(i64t, stride as i64));
            }
            let p = b.load(ptr_ty, buf.rev);
            if gpu_local {
                let rows = (GPU_LOCAL_TAPE_BYTES / stride).max(1);
                let fe = &self.frame.fwd_entry;
                let arr = Type::array(
                    Type::int(self.module.context(), 64),
                    (rows * stride).div_ceil(8),
                );
                let local = fe.alloca(arr, "tape.local");
                fe.store(local, buf.fwd);
                fe.store(fe.const_int(i64t, rows as i64), lt.cap.fwd);
                b.call_fn(crate::gpu::free_heap_helper(self.module), &[p, local]);
                self.report.add(|| format!(
                    "  loop tape ({stride}-byte rows): the first {rows} rows in per-thread local memory, device malloc beyond"
                ));
                if let Some(lt) = self.loops.get_mut(&lp) {
                    lt.local = Some(local);
                }
                continue;
            }
            match self.cache_helpers() {
                Some((_, release)) => b.call_fn(release, &[p]),
                None => b.call_fn(free, &[p]),
            };
        }
        self.free_snapshots(b);
        if let Some((_, _, malloc)) = self.frame.split {
            let size = self.frame_layout().size;
            malloc.set_operand(0, b.const_int(i64t, size as i64));
        }
    }

    /// The tape cache's `(realloc, free)` replacements for row buffers, on
    /// targets that have them and unless turned off.
    pub(crate) fn cache_helpers(&self) -> Option<(Value, Value)> {
        if !self.tape_cache {
            return None;
        }
        tape_cache_helpers(self.module, self.tape_arena)
    }

    /// The tape cache's pair without the arena, for short-lived scratch
    /// (the BLAS rules' temporaries and operand copies): see
    /// [`tape_cache_helpers`].
    pub(crate) fn scratch_helpers(&self) -> Option<(Value, Value)> {
        if !self.tape_cache {
            return None;
        }
        tape_cache_helpers(self.module, false)
    }

    pub(super) fn free_fn(&self) -> Value {
        let ptr_ty = Type::ptr(self.module.context());
        declare(
            self.module,
            "free",
            Type::void(self.module.context()),
            &[ptr_ty],
        )
    }

    pub(super) fn loop_order(&self) -> Vec<LoopId> {
        let mut order: Vec<LoopId> = self.loops.keys().copied().collect();
        order.sort();
        order
    }

    /// Grows each loop's buffer in the forward function `fwd_fn` (complete
    /// by now, so that scalar evolution can read its loops). Where the
    /// number of header executions is bounded at loop entry, the buffer is
    /// grown once in the preheader to hold the whole instance and the loop
    /// body stays free of checks (so it can still be vectorized); where that
    /// bound is also the same in every iteration of the enclosing loops, the
    /// rows of the whole nest are reserved once before it (no regrowth per
    /// outer iteration). Otherwise the header doubles the buffer when full.
    pub fn install_growth(&mut self, loops: &Loops, fwd_fn: Value) {
        // the branches entering loops with carried fields, taken before the
        // growth checks split their blocks (the branch moves to the tail)
        let enters: Vec<Value> = self
            .carried
            .iter()
            .map(|c| c.preheader.terminator().expect("preheader terminator"))
            .collect();
        self.install_snapshots(loops, fwd_fn);
        let reserved = self.install_row_growth(loops, fwd_fn);
        self.install_carried_starts(&enters, &reserved);
        self.install_affine_rows(loops, fwd_fn);
    }

    /// Last, once every access of the counters exists: the rows of loops in
    /// nests of exact counts from the nest's iteration numbers instead of a
    /// counter carried through every loop of the nest (see
    /// `shim::affine_rows`; `-ferment-no-affine-rows` keeps the counters).
    /// GPU code keeps its counters.
    fn install_affine_rows(&mut self, loops: &Loops, fwd_fn: Value) {
        if crate::gpu::is_gpu(self.module) {
            return;
        }
        let order = self.loop_order();
        let counters: Vec<shim::RowCounter> = order
            .iter()
            .map(|lp| {
                let lt = &self.loops[lp];
                shim::RowCounter {
                    header: loops.get(*lp).header,
                    slot: lt.cnt_fwd,
                    idx: lt.idx,
                    bump: lt.prologue_end,
                }
            })
            .collect();
        if counters.is_empty() {
            return;
        }
        let done = shim::affine_rows(fwd_fn, &counters);
        for (lp, d) in order.into_iter().zip(done) {
            if d {
                self.report.add(|| {
                    format!(
                        "  {}: tape rows from the iteration numbers of its nest (no counter in it)",
                        describe_loop(loops, lp)
                    )
                });
            }
        }
    }

    /// Returns the loops whose rows a bound reserves before each entry.
    fn install_row_growth(&mut self, loops: &Loops, fwd_fn: Value) -> hashbrown::HashSet<LoopId> {
        let mut reserved = hashbrown::HashSet::new();
        let order: Vec<LoopId> = self
            .loop_order()
            .into_iter()
            .filter(|lp| self.loops[lp].buf.is_some())
            .collect();
        if order.is_empty() {
            return reserved;
        }
        let headers: Vec<Block> = order.iter().map(|&lp| loops.get(lp).header).collect();
        let bounds = shim::header_trip_bounds(fwd_fn, &headers);
        let i64t = self.i64();
        let g = Builder::new(self.module);
        // Preheader checks first: a preheader may be an outer loop's header,
        // which a header check splits afterwards (taking the check along).
        let mut work: Vec<_> = order.into_iter().zip(bounds).collect();
        work.sort_by_key(|(_, bound)| bound.is_none());
        for (lp, bound) in work {
            match bound {
                Some(b) => {
                    if let Some((rows, nest_pre)) = b.nest {
                        // the whole nest's rows once, before its outermost
                        // loop
                        self.reserve_at(&g, lp, nest_pre, rows);
                        if b.nest_covers {
                            reserved.insert(lp);
                        }
                        self.report.add(|| format!(
                            "  {}: tape rows for the whole loop nest reserved before it (at most {} rows)",
                            describe_loop(loops, lp),
                            rows.describe().trim()
                        ));
                        // the loop's own entries stay within those rows:
                        // no check there (it never grew, but its capacity
                        // and buffer were values threaded through every
                        // loop of the nest)
                        if b.nest_covers {
                            continue;
                        }
                    }
                    // GPU: a loop outside any other runs once per call; when
                    // its bound fits the local rows, the buffer never grows.
                    let lt = &self.loops[&lp];
                    let local_rows = lt.local.map(|_| GPU_LOCAL_TAPE_BYTES / lt.stride());
                    let fits = match (local_rows, b.trips.const_int()) {
                        (Some(r), Some(t)) => {
                            b.nest.is_none()
                                && loops.get(lp).parent.is_none()
                                && t >= 0
                                && t as u64 <= r.max(1)
                        }
                        _ => false,
                    };
                    if fits {
                        self.report.add(|| format!(
                            "  {}: at most {} iterations, all tape rows in per-thread local memory (no device malloc)",
                            describe_loop(loops, lp),
                            b.trips.describe().trim()
                        ));
                        continue;
                    }
                    self.reserve_at(&g, lp, b.preheader, b.trips);
                    reserved.insert(lp);
                    self.report.add(|| {
                        format!(
                            "  {}: tape rows reserved at loop entry (at most {} iterations)",
                            describe_loop(loops, lp),
                            b.trips.describe().trim()
                        )
                    });
                }
                None => {
                    self.report.add(|| {
                        format!(
                            "  {}: no iteration bound at loop entry; tape grown when full",
                            describe_loop(loops, lp)
                        )
                    });
                    // header: ...prologue; if (idx >= cap) grow
                    let lt = &self.loops[&lp];
                    g.after(lt.prologue_end);
                    let need = g.add_int(lt.idx, g.const_int(i64t, 1));
                    let cap = g.load(i64t, lt.cap.fwd);
                    let full = g.icmp(IntPredicate::LLVMIntUGT, need, cap);
                    self.grow_if(&g, lp, full, need);
                }
            }
        }
        reserved
    }

    /// At the end of `block`: `need = cnt + rows; if (need > cap) grow`.
    pub(super) fn reserve_at(&self, g: &Builder, lp: LoopId, block: Block, rows: Value) {
        let i64t = self.i64();
        let lt = &self.loops[&lp];
        g.before(block.terminator().expect("preheader terminator"));
        let cnt = g.load(i64t, lt.cnt_fwd);
        let need = g.add_int(cnt, rows);
        let cap = g.load(i64t, lt.cap.fwd);
        let full = g.icmp(IntPredicate::LLVMIntUGT, need, cap);
        self.grow_if(g, lp, full, need);
    }

    /// `if (full) { cap = max(need, 2 cap + 16); realloc }`, out of line.
    pub(super) fn grow_if(&self, g: &Builder, lp: LoopId, full: Value, need: Value) {
        let i64t = self.i64();
        let lt = &self.loops[&lp];
        g.before(shim::if_then_after(full));
        let cap = g.load(i64t, lt.cap.fwd);
        let doubled = g.add_int(g.mul_int(cap, g.const_int(i64t, 2)), g.const_int(i64t, 16));
        let bigger = g.icmp(IntPredicate::LLVMIntUGT, need, doubled);
        let new_cap = g.select(bigger, need, doubled);
        g.store(new_cap, lt.cap.fwd);
        self.reallocate(
            g,
            lt.buf.expect("buffer").fwd,
            cap,
            new_cap,
            lt.stride(),
            lt.local,
        );
    }

    /// Tells LLVM that row buffers and all other memory never overlap: the
    /// row accesses get the alias scope `ferment.tape`, every other load,
    /// store and memory intrinsic of `fns` is marked outside it. Only ferment
    /// reaches a row buffer, through its own slots, so the claim holds;
    /// without it a tape read inside a reverse loop that stores adjoints is
    /// read again on every iteration (the stores might overwrite it).
    /// Calls are left alone: a callee may receive a tape.
    pub fn fence_rows(&self, fns: &[Value]) {
        const SCOPE: &str = "ferment.tape";
        if !self.made_row_ops.get() {
            return;
        }
        for f in fns {
            for i in f.instructions() {
                // Atomic adds are adjoint accumulations into shadow memory
                // (parallel regions), never a row.
                if touches_memory(i) {
                    let row = i.md_int(ROW_OP).is_some();
                    if row {
                        i.remove_md(ROW_OP);
                    }
                    i.set_alias_scope(SCOPE, row);
                }
            }
        }
    }

    /// Combined shape, `loops` or more loops with row buffers: keeps each
    /// loop's tape state (counter, reverse index, capacity, buffer pointer
    /// slots) in memory instead of letting SROA turn it into values. In
    /// SSA form every buffer's state of a loop nest is a phi in every block
    /// that merges paths around its loop: Eigen's blocked LLT at -O3 has
    /// 152 buffers and 498 phis in one loop header, 12,166 in the function,
    /// and the host's SLP vectorizer tries bundles of them all (most of its
    /// 8.5 s there). Each slot's address is stored (volatile) into one
    /// sink slot at entry, so SROA does not promote it; the slots' own loads
    /// and stores are put in the alias scope `ferment.state`, every other
    /// load, store and memory intrinsic of `fns` outside it (only ferment
    /// reaches these slots), so LICM still keeps a state in a register
    /// through a loop without calls. Returns the number of slots kept.
    pub fn keep_state_in_memory(&self, fns: &[Value], loops: usize) -> usize {
        const SCOPE: &str = "ferment.state";
        if self.frame.split.is_some() || loops == 0 {
            return 0;
        }
        let buffered = self.loops.values().filter(|lt| lt.buf.is_some()).count();
        if buffered < loops {
            return 0;
        }
        // Only allocas used by plain loads and stores of their own address.
        let plain = |slot: Value| {
            slot.is_instruction()
                && slot.opcode() == Opcode::LLVMAlloca
                && slot.users().into_iter().all(|u| {
                    u.is_instruction()
                        && match u.opcode() {
                            Opcode::LLVMLoad => !u.is_volatile_or_atomic(),
                            Opcode::LLVMStore => {
                                u.operand(1) == slot
                                    && u.operand(0) != slot
                                    && !u.is_volatile_or_atomic()
                            }
                            _ => false,
                        }
                })
        };
        let mut slots: Vec<Value> = Vec::new();
        for lp in self.loop_order() {
            let lt = &self.loops[&lp];
            let mut own = vec![lt.cnt_fwd, lt.ridx.fwd, lt.cap.fwd];
            own.extend(lt.buf.map(|b| b.fwd));
            for s in own {
                if plain(s) && !slots.contains(&s) {
                    slots.push(s);
                }
            }
        }
        if slots.is_empty() {
            return 0;
        }
        let state: hashbrown::HashSet<Value> = slots.iter().copied().collect();
        for f in fns {
            for i in f.instructions() {
                if !touches_memory(i) {
                    continue;
                }
                let own = match i.opcode() {
                    Opcode::LLVMLoad => state.contains(&i.operand(0)),
                    Opcode::LLVMStore => state.contains(&i.operand(1)),
                    _ => false,
                };
                i.set_alias_scope(SCOPE, own);
            }
        }
        let fe = &self.frame.fwd_entry;
        let sink = fe.alloca(Type::ptr(self.module.context()), "tape.state.sink");
        for s in &slots {
            let st = fe.store(*s, sink);
            unsafe { llvm_sys::core::LLVMSetVolatile(st.0, 1) };
            st.set_alias_scope(SCOPE, false);
        }
        slots.len()
    }

    /// Marks `op` as an access of a row buffer (see [`Tape::fence_rows`]).
    pub(super) fn mark_row_op(&self, op: Value) {
        op.set_md_int(ROW_OP, 1);
        self.made_row_ops.set(true);
    }

    /// `*slot = realloc(*slot, new_cap * stride)` (malloc, move and free on
    /// GPUs, whose device runtime has no realloc).
    pub(super) fn reallocate(
        &self,
        g: &Builder,
        slot: Value,
        cap: Value,
        new_cap: Value,
        stride: u64,
        local: Option<Value>,
    ) {
        let i64t = self.i64();
        let ptr_ty = Type::ptr(self.module.context());
        let t = self.module.target_triple();
        let old = g.load(ptr_ty, slot);
        let size = g.const_int(i64t, stride as i64);
        let bytes = g.mul_int(new_cap, size);
        let new = if t.starts_with("nvptx") || t.starts_with("amdgcn") {
            let malloc = declare(self.module, "malloc", ptr_ty, &[i64t]);
            let new = g.call_fn(malloc, &[bytes]);
            let len = g.mul_int(cap, size);
            if t.starts_with("nvptx") {
                g.call_fn(crate::gpu::copy_words_helper(self.module), &[new, old, len]);
            } else {
                let moved = g.memmove(new, old, len);
                self.mark_row_op(moved);
            }
            // The local first rows are not the heap's to free.
            if t.starts_with("nvptx") {
                let l = local.unwrap_or_else(|| g.zero(ptr_ty));
                g.call_fn(crate::gpu::free_heap_helper(self.module), &[old, l]);
            } else {
                let old = match local {
                    Some(l) => {
                        let on_heap = g.icmp(IntPredicate::LLVMIntNE, old, l);
                        g.select(on_heap, old, g.zero(ptr_ty))
                    }
                    None => old,
                };
                g.call_fn(self.free_fn(), &[old]);
            }
            new
        } else {
            let realloc = match self.cache_helpers() {
                Some((take, _)) => take,
                None => declare(self.module, "realloc", ptr_ty, &[ptr_ty, i64t]),
            };
            let new = g.call_fn(realloc, &[old, bytes]);
            if self.huge_pages {
                if let Some(advise) = huge_page_helper(self.module) {
                    g.call_fn(advise, &[new, bytes]);
                }
            }
            new
        };
        g.store(new, slot);
    }
}

impl Tape {
    /// `*slot = realloc(*slot, bytes)` through the tape cache where there is
    /// one, with huge pages advised for large buffers (CPU targets only).
    pub(super) fn reallocate_bytes(&self, g: &Builder, slot: Value, bytes: Value) {
        let i64t = self.i64();
        let ptr_ty = Type::ptr(self.module.context());
        let old = g.load(ptr_ty, slot);
        let realloc = match self.cache_helpers() {
            Some((take, _)) => take,
            None => declare(self.module, "realloc", ptr_ty, &[ptr_ty, i64t]),
        };
        let new = g.call_fn(realloc, &[old, bytes]);
        if self.huge_pages {
            if let Some(advise) = huge_page_helper(self.module) {
                g.call_fn(advise, &[new, bytes]);
            }
        }
        g.store(new, slot);
    }
}

/// Row buffers kept by one thread for its next gradient (see
/// [`tape_cache_helpers`]).
pub(super) const TAPE_CACHE_SLOTS: usize = 32;

/// Blocks smaller than this are freed, never kept. glibc serves blocks
/// above its mmap threshold (128 KiB, raised up to 32 MiB by the blocks it
/// has freed) with fresh pages, or trims its heap when several are freed
/// together, so a 4 MB tape freed after every gradient cost gmm half of
/// its gradient's time in page faults once its rows shrank below the old
/// 4 MiB limit. Below glibc's mmap threshold the cost is the trim: a
/// gradient that frees many smaller rows and BLAS operand copies together
/// (gmm_blas at d = 2: thirty blocks of 16 to 160 KiB) had its heap shrunk
/// and grown again on every call, half of its time in page faults.
pub(super) const TAPE_CACHE_MIN_BYTES: i64 = 4 << 10;

/// Blocks larger than this are freed, never kept.
pub(super) const TAPE_CACHE_MAX_BYTES: i64 = 1 << 31;

/// `ptr ferment.tape.take(ptr old, i64 bytes)` and `void
/// ferment.tape.release(ptr p)`: row buffers (and BLAS operand copies and temporaries,
/// `reverse/blas.rs`) of [`TAPE_CACHE_MIN_BYTES`] or more
/// outlive the gradient that used them, in per-thread slots, and the
/// next gradient of the thread starts its buffers there. glibc serves such
/// buffers with a fresh `mmap` on every call, and the kernel clears every
/// page the forward sweep then touches: on csr_jacobi (94 MiB of tape) that
/// was a fifth of the gradient's time, and a hand-written adjoint whose
/// buffers stay below glibc's mmap threshold never pays it. `take(null, n)`
/// hands out the smallest kept block of at least `n` bytes (else `realloc`); `take`
/// of a buffer is `realloc`. `release` keeps a large block in a free slot
/// (else frees it). Kept blocks stay allocated until the thread reuses
/// them (at most [`TAPE_CACHE_SLOTS`] of at most [`TAPE_CACHE_MAX_BYTES`]).
/// Only for Linux targets (`malloc_usable_size`); `None` elsewhere.
///
/// With `arena` (x86-64 and AArch64 Linux), the pair is
/// `ferment.tape.take.arena` / `ferment.tape.release.arena` (the same
/// slots): `take` first asks the tape arena ([`arena_helpers`]): a fresh
/// block of 64 KiB up to 4 MiB, and any growth of a block the arena holds,
/// come from there; `release` gives an arena block back to it. Only what
/// the arena declines reaches the slots. Tape rows, snapshots and
/// checkpoints take this pair; the BLAS rules' temporaries and operand
/// copies keep the plain pair ([`Tape::scratch_helpers`]): from the arena,
/// they left glibc's heap without the kept blocks that sat above a
/// gradient's own primal and shadow blocks, and glibc trimmed and grew
/// those again on every call (gp at n = 500: 71 `brk` calls and 18 200
/// page faults per run instead of 16 and 4 200, 1.36x the time).
pub fn tape_cache_helpers(module: Module, arena: bool) -> Option<(Value, Value)> {
    let (take_name, release_name) = if arena {
        ("ferment.tape.take.arena", "ferment.tape.release.arena")
    } else {
        ("ferment.tape.take", "ferment.tape.release")
    };
    if let (Some(t), Some(r)) = (module.function(take_name), module.function(release_name)) {
        return Some((t, r));
    }
    let t = module.target_triple();
    if !t.contains("-linux")
        || t.contains("android")
        || t.starts_with("nvptx")
        || t.starts_with("amdgcn")
    {
        return None;
    }
    let ctx = module.context();
    let (ptr, i64t) = (Type::ptr(ctx), Type::int(ctx, 64));
    // The slots: thread-local arrays of block pointers and their sizes,
    // searched by rolled loops (straight-line code over every slot cost each
    // translation unit several hundred instructions to optimize and compile).
    let n_slots = TAPE_CACHE_SLOTS as u64;
    let (ptrs_ty, sizes_ty) = (Type::array(ptr, n_slots), Type::array(i64t, n_slots));
    // (shared by the plain and the arena pair)
    let slots = |name: &str, ty: Type| {
        module.global(name).unwrap_or_else(|| {
            let g = module.add_zeroed_global(name, ty);
            g.set_thread_local();
            g
        })
    };
    let ptrs = slots("ferment.tape.cache", ptrs_ty);
    let sizes = slots("ferment.tape.cache.bytes", sizes_ty);
    let b = Builder::new(module);
    let slot_at =
        |array_ty: Type, array: Value, k: Value| b.gep(array_ty, array, &[b.const_int(i64t, 0), k]);
    let realloc = declare(module, "realloc", ptr, &[ptr, i64t]);
    let free = declare(module, "free", Type::void(ctx), &[ptr]);
    let usable = declare(module, "malloc_usable_size", i64t, &[ptr]);
    let arena = if arena { arena_helpers(module) } else { None };
    let watch = module
        .function(WATCH)
        .unwrap_or_else(|| cache_exit_watch(module, (ptrs, ptrs_ty), (sizes, sizes_ty), free));

    // take(old, bytes): when old is null, the smallest kept block of at
    // least `bytes` (best fit: a small request does not take the block a
    // large row will ask for next; the first of equal sizes).
    let take = module.add_function(take_name, Type::function(ptr, &[ptr, i64t], false));
    take.set_internal();
    let (old, bytes) = (take.params()[0], take.params()[1]);
    let entry = take.append_block("entry");
    let search = take.append_block("search");
    let searched = take.append_block("searched");
    let hit = take.append_block("hit");
    let fallback = take.append_block("realloc");
    b.at_end(entry);
    // (the block that branches to the search: `heap` behind the arena)
    let mut entry = entry;
    if let Some((arena_take, _)) = arena {
        let r = b.call_fn(arena_take, &[old, bytes]);
        let served = take.append_block("arena");
        let heap = take.append_block("heap");
        b.cond_br(
            b.icmp(IntPredicate::LLVMIntNE, r, b.zero(ptr)),
            served,
            heap,
        );
        b.at_end(served);
        b.ret(r);
        b.at_end(heap);
        entry = heap;
    }
    let fresh = b.icmp(IntPredicate::LLVMIntEQ, old, b.zero(ptr));
    b.cond_br(fresh, search, fallback);
    b.at_end(search);
    let none = b.const_int(i64t, -1);
    // (an empty slot holds 0 bytes; `best` stays -1, the largest unsigned
    // value, while nothing fits)
    let k = b.phi(i64t, "k");
    let best = b.phi(i64t, "best");
    let best_k = b.phi(i64t, "best.k");
    let have = b.load(i64t, slot_at(sizes_ty, sizes, k));
    let fits = b.icmp(IntPredicate::LLVMIntUGE, have, bytes);
    let smaller = b.icmp(IntPredicate::LLVMIntULT, have, best);
    let better = b.and_int(fits, smaller);
    let best_next = b.select(better, have, best);
    let best_k_next = b.select(better, k, best_k);
    let k_next = b.add_int(k, b.const_int(i64t, 1));
    let last = b.icmp(
        IntPredicate::LLVMIntEQ,
        k_next,
        b.const_int(i64t, n_slots as i64),
    );
    let latch = b.cond_br(last, searched, search);
    shim::keep_loop_rolled(latch);
    k.add_incoming(b.const_int(i64t, 0), entry);
    k.add_incoming(k_next, search);
    best.add_incoming(none, entry);
    best.add_incoming(best_next, search);
    best_k.add_incoming(b.const_int(i64t, 0), entry);
    best_k.add_incoming(best_k_next, search);
    b.at_end(searched);
    let found = b.icmp(IntPredicate::LLVMIntNE, best_next, none);
    b.cond_br(found, hit, fallback);
    b.at_end(hit);
    let best_ptr = slot_at(ptrs_ty, ptrs, best_k_next);
    let p = b.load(ptr, best_ptr);
    b.store(b.zero(ptr), best_ptr);
    b.store(b.const_int(i64t, 0), slot_at(sizes_ty, sizes, best_k_next));
    b.ret(p);
    // A block that already holds `bytes` stays as it is: glibc's realloc of
    // a mapped block shrinks the mapping to the size asked for, and the
    // next growth would map (and the kernel clear) fresh pages again.
    b.at_end(fallback);
    let grow = take.append_block("grow");
    let same = take.append_block("same");
    let held = take.append_block("held");
    b.cond_br(fresh, grow, held);
    b.at_end(held);
    let room = b.call_fn(usable, &[old]);
    let fits = b.icmp(IntPredicate::LLVMIntUGE, room, bytes);
    b.cond_br(fits, same, grow);
    b.at_end(same);
    b.ret(old);
    b.at_end(grow);
    let r = b.call_fn(realloc, &[old, bytes]);
    b.ret(r);

    // release(p): keep a large block in the first free slot, else free it.
    let release = module.add_function(release_name, Type::function(Type::void(ctx), &[ptr], false));
    release.set_internal();
    let p = release.params()[0];
    let entry = release.append_block("entry");
    let sized = release.append_block("sized");
    let slot = release.append_block("slot");
    let put = release.append_block("put");
    let next = release.append_block("next");
    let drop = release.append_block("free");
    let done = release.append_block("done");
    b.at_end(entry);
    if let Some((_, arena_release)) = arena {
        let i32t = Type::int(ctx, 32);
        let handled = b.call_fn(arena_release, &[p]);
        let heap = release.append_block("heap");
        b.cond_br(
            b.icmp(IntPredicate::LLVMIntNE, handled, b.const_int(i32t, 0)),
            done,
            heap,
        );
        b.at_end(heap);
    }
    let null = b.icmp(IntPredicate::LLVMIntEQ, p, b.zero(ptr));
    b.cond_br(null, done, sized);
    b.at_end(sized);
    let n = b.call_fn(usable, &[p]);
    let big = b.icmp(
        IntPredicate::LLVMIntSGE,
        n,
        b.const_int(i64t, TAPE_CACHE_MIN_BYTES),
    );
    let small_enough = b.icmp(
        IntPredicate::LLVMIntSLE,
        n,
        b.const_int(i64t, TAPE_CACHE_MAX_BYTES),
    );
    let keep = b.and_int(big, small_enough);
    b.cond_br(keep, slot, drop);
    b.at_end(slot);
    let k = b.phi(i64t, "k");
    let cur = b.load(ptr, slot_at(ptrs_ty, ptrs, k));
    let empty = b.icmp(IntPredicate::LLVMIntEQ, cur, b.zero(ptr));
    b.cond_br(empty, put, next);
    b.at_end(put);
    b.call_fn(watch, &[]);
    b.store(p, slot_at(ptrs_ty, ptrs, k));
    b.store(n, slot_at(sizes_ty, sizes, k));
    b.br(done);
    b.at_end(next);
    let k_next = b.add_int(k, b.const_int(i64t, 1));
    let last = b.icmp(
        IntPredicate::LLVMIntEQ,
        k_next,
        b.const_int(i64t, n_slots as i64),
    );
    let latch = b.cond_br(last, drop, slot);
    shim::keep_loop_rolled(latch);
    k.add_incoming(b.const_int(i64t, 0), sized);
    k.add_incoming(k_next, next);
    b.at_end(drop);
    b.call_fn(free, &[p]);
    b.br(done);
    b.at_end(done);
    b.ret_void();
    Some((take, release))
}

/// `void ferment.tape.cache.watch()`, called where `release` keeps a
/// block: on the thread's first keep, registers the thread for a
/// `pthread_key_create` destructor (`ferment.tape.cache.drain`) that frees
/// the blocks the thread's slots hold when it exits. Without it the blocks
/// kept by a thread that ends (an OpenMP worker at program exit, any
/// thread that computed a gradient) were lost with its thread-local slots:
/// up to [`TAPE_CACHE_SLOTS`] blocks per thread, which valgrind's memcheck
/// reports as definitely lost (`openmp/tape_arena.c`: 35 MB in 41 blocks).
/// The main thread's slots stay reachable at exit. The `pthread_*`
/// functions are weak: where the program links none, nothing is
/// registered (and no thread but the main one exists). One key per
/// translation unit (each has its own slots).
const WATCH: &str = "ferment.tape.cache.watch";

fn cache_exit_watch(
    module: Module,
    ptrs: (Value, Type),
    sizes: (Value, Type),
    free: Value,
) -> Value {
    let ctx = module.context();
    let (ptr, i8t, i32t, i64t) = (
        Type::ptr(ctx),
        Type::int(ctx, 8),
        Type::int(ctx, 32),
        Type::int(ctx, 64),
    );
    let void = Type::void(ctx);
    // (a declaration the program already has keeps its linkage: made weak,
    // a static link would no longer pull in the program's own callee)
    let weak = |name: &str, params: &[Type]| match module.function(name) {
        Some(f) => f,
        None => {
            let f = declare(module, name, i32t, params);
            f.set_extern_weak();
            f
        }
    };
    let once_fn = weak("pthread_once", &[ptr, ptr]);
    let key_create = weak("pthread_key_create", &[ptr, ptr]);
    let set_specific = weak("pthread_setspecific", &[i32t, ptr]);
    // pthread_key_t and pthread_once_t are 32-bit on Linux (glibc, musl);
    // PTHREAD_ONCE_INIT is 0.
    let key = module.add_zeroed_global("ferment.tape.cache.key", i32t);
    let key_ok = module.add_zeroed_global("ferment.tape.cache.key.ok", i32t);
    let once = module.add_zeroed_global("ferment.tape.cache.once", i32t);
    let watched = module.add_zeroed_global("ferment.tape.cache.watched", i8t);
    watched.set_thread_local();
    for g in [key, key_ok, once, watched] {
        g.set_internal();
    }
    let b = Builder::new(module);

    // drain(_): frees every kept block of the exiting thread.
    let drain = module.add_function(
        "ferment.tape.cache.drain",
        Type::function(void, &[ptr], false),
    );
    drain.set_internal();
    let entry = drain.append_block("entry");
    let body = drain.append_block("slot");
    let exit = drain.append_block("exit");
    b.at_end(entry);
    // (a block kept by another destructor after this one registers again)
    b.store(b.const_int(i8t, 0), watched);
    b.br(body);
    b.at_end(body);
    let k = b.phi(i64t, "k");
    let (ptrs, ptrs_ty) = ptrs;
    let (sizes, sizes_ty) = sizes;
    let zero = b.const_int(i64t, 0);
    let p_at = b.gep(ptrs_ty, ptrs, &[zero, k]);
    let p = b.load(ptr, p_at);
    b.store(b.zero(ptr), p_at);
    b.store(zero, b.gep(sizes_ty, sizes, &[zero, k]));
    b.call_fn(free, &[p]);
    let k_next = b.add_int(k, b.const_int(i64t, 1));
    let last = b.icmp(
        IntPredicate::LLVMIntEQ,
        k_next,
        b.const_int(i64t, TAPE_CACHE_SLOTS as i64),
    );
    let latch = b.cond_br(last, exit, body);
    shim::keep_loop_rolled(latch);
    k.add_incoming(zero, entry);
    k.add_incoming(k_next, body);
    b.at_end(exit);
    b.ret_void();

    // make_key(): the key, once per program run (pthread_once).
    let make_key = module.add_function(
        "ferment.tape.cache.make_key",
        Type::function(void, &[], false),
    );
    make_key.set_internal();
    b.at_end(make_key.append_block("entry"));
    let r = b.call_fn(key_create, &[key, drain]);
    let made = b.icmp(IntPredicate::LLVMIntEQ, r, b.const_int(i32t, 0));
    b.store(
        b.select(made, b.const_int(i32t, 1), b.const_int(i32t, 0)),
        key_ok,
    );
    b.ret_void();

    // watch(): once per thread, gives the key a non-null value so that
    // the destructor runs when the thread exits.
    let watch = module.add_function(WATCH, Type::function(void, &[], false));
    watch.set_internal();
    watch.add_fn_enum_attribute("noinline");
    let entry = watch.append_block("entry");
    let first = watch.append_block("first");
    let linked = watch.append_block("linked");
    let set = watch.append_block("set");
    let done = watch.append_block("done");
    b.at_end(entry);
    let seen = b.icmp(
        IntPredicate::LLVMIntNE,
        b.load(i8t, watched),
        b.const_int(i8t, 0),
    );
    b.cond_br(seen, done, first);
    b.at_end(first);
    b.store(b.const_int(i8t, 1), watched);
    let mut have = b.icmp(IntPredicate::LLVMIntNE, once_fn, b.zero(ptr));
    for f in [key_create, set_specific] {
        have = b.and_int(have, b.icmp(IntPredicate::LLVMIntNE, f, b.zero(ptr)));
    }
    b.cond_br(have, linked, done);
    b.at_end(linked);
    b.call_fn(once_fn, &[once, make_key]);
    let ok = b.icmp(
        IntPredicate::LLVMIntNE,
        b.load(i32t, key_ok),
        b.const_int(i32t, 0),
    );
    b.cond_br(ok, set, done);
    b.at_end(set);
    b.call_fn(set_specific, &[b.load(i32t, key), key]);
    b.br(done);
    b.at_end(done);
    b.ret_void();
    watch
}

/// The tape arena's run time (`arena.c`; `scripts/arena-runtime.sh`).
const ARENA_RUNTIME: &str = include_str!("arena.ll");

/// `(ptr take(ptr old, i64 bytes), i32 release(ptr p))` of the tape arena
/// (`arena.c`), linked into `module` on first use: per-thread stacks of
/// blocks in one reservation advised to use transparent huge pages, kept
/// for the thread's next gradient. `take` is `realloc` where the arena
/// serves the request (a fresh block of 64 KiB up to 4 MiB, or any growth
/// of one of its blocks) and null where it does not; `release` is `free`
/// of an arena block (returning 1) and returns 0 for any other pointer.
/// A time loop of forked regions takes one row per fork and thread
/// (omp_stencil: 50 rows of 800 KB per gradient), which glibc serves with
/// 4 KiB pages: the tape stream then misses the TLB (`benches/report/openmp_notes.md`).
/// Its functions and globals are `linkonce_odr` and hidden: the
/// translation units of one program share one arena. Only for x86-64 and
/// AArch64 Linux targets (the `mmap` constants `arena.c` was built with);
/// `None` elsewhere.
fn arena_helpers(module: Module) -> Option<(Value, Value)> {
    const TAKE: &str = "ferment.arena.v2.take";
    const RELEASE: &str = "ferment.arena.v2.release";
    let t = module.target_triple();
    let arch_ok = t.starts_with("x86_64") || t.starts_with("aarch64");
    if !arch_ok || !t.contains("-linux") || t.contains("android") {
        return None;
    }
    if module.function(TAKE).is_none() || module.function(RELEASE).is_none() {
        crate::context::link_ir(module, ARENA_RUNTIME, c"ferment.tape.arena").ok()?;
        for f in module.functions() {
            if f.name().starts_with("ferment.arena.v2.") && !f.is_declaration() {
                f.set_linkonce_odr_hidden();
            }
        }
        for g in module.globals() {
            if g.name().starts_with("ferment.arena.v2.") {
                g.set_linkonce_odr_hidden();
            }
        }
    }
    Some((module.function(TAKE)?, module.function(RELEASE)?))
}

/// The metadata kind marking an access of a row buffer until
/// [`Tape::fence_rows`] (which removes it).
const ROW_OP: &str = "ferment.row_op";

/// Row buffers at least this large get `MADV_HUGEPAGE`. glibc serves them
/// with a fresh `mmap` on every call (above its largest mmap threshold,
/// 32 MiB, always), and with 4 KiB pages the kernel then takes one page
/// fault, one page clear and one memory-cgroup charge per 4 KiB the forward
/// sweep writes: on csr_jacobi (a 120 MiB tape) that was about 40% of the
/// gradient's time. With 2 MiB pages it is one fault per 2 MiB.
pub const HUGE_TAPE_BYTES: i64 = 4 << 20;

/// `void ferment.tape.huge(ptr p, i64 bytes)`: when `bytes` is at least
/// [`HUGE_TAPE_BYTES`] and `p` is not null, advises the 4 KiB pages that
/// `[p, p + bytes)` touches to use transparent huge pages (`madvise(MADV_HUGEPAGE)`;
/// the kernel ignores it when THP is off), keeping `errno` as it was: the
/// advice is invisible to the program. Only for Linux targets whose
/// `MADV_HUGEPAGE` is 14 and whose C library has `__errno_location`
/// (glibc, musl); `None` elsewhere.
pub(super) fn huge_page_helper(module: Module) -> Option<Value> {
    const NAME: &str = "ferment.tape.huge";
    if let Some(f) = module.function(NAME) {
        return Some(f);
    }
    let t = module.target_triple();
    let arch_ok = [
        "x86_64",
        "i386",
        "i486",
        "i586",
        "i686",
        "aarch64",
        "riscv64",
        "powerpc64",
        "s390x",
    ]
    .iter()
    .any(|a| t.starts_with(a));
    if !arch_ok || !t.contains("-linux") || t.contains("android") {
        return None;
    }
    let ctx = module.context();
    let (ptr, i32t, i64t) = (Type::ptr(ctx), Type::int(ctx, 32), Type::int(ctx, 64));
    let f = module.add_function(NAME, Type::function(Type::void(ctx), &[ptr, i64t], false));
    f.set_internal();
    let (p, bytes) = (f.params()[0], f.params()[1]);
    let entry = f.append_block("entry");
    let advise = f.append_block("advise");
    let exit = f.append_block("exit");
    let b = Builder::new(module);
    b.at_end(entry);
    let big = b.icmp(
        IntPredicate::LLVMIntSGE,
        bytes,
        b.const_int(i64t, HUGE_TAPE_BYTES),
    );
    let addr = b.ptr_to_int(p, i64t);
    let some = b.icmp(IntPredicate::LLVMIntNE, addr, b.const_int(i64t, 0));
    b.cond_br(b.and_int(big, some), advise, exit);
    b.at_end(advise);
    // [start, end): every 4 KiB page the buffer touches. For a buffer glibc
    // mapped on its own that is exactly its mapping (the chunk header sits
    // in the first page), so the mapping stays one VMA and a later realloc
    // can still mremap it (advising only the whole pages inside the buffer
    // splits the VMA, and mremap of a range over two VMAs fails: glibc then
    // copies). Pages shared with neighbouring heap chunks only change their
    // page-size policy, never their contents.
    let mask = b.const_int(i64t, !4095);
    let start = b.and_int(addr, mask);
    let end = b.and_int(
        b.add_int(b.add_int(addr, bytes), b.const_int(i64t, 4095)),
        mask,
    );
    let len = b.sub_int(end, start);
    let errno_at = b.call_fn(declare(module, "__errno_location", ptr, &[]), &[]);
    let saved = b.load(i32t, errno_at);
    let madvise = declare(module, "madvise", i32t, &[ptr, i64t, i32t]);
    b.call_fn(
        madvise,
        &[b.int_to_ptr(start, ptr), len, b.const_int(i32t, 14)],
    );
    b.store(saved, errno_at);
    b.br(exit);
    b.at_end(exit);
    b.ret_void();
    Some(f)
}

/// Whether `i` reads or writes memory the alias scopes of
/// [`Tape::fence_rows`] and [`Tape::keep_state_in_memory`] must classify:
/// loads, stores, atomic read-modify-writes and the memory intrinsics.
fn touches_memory(i: Value) -> bool {
    match i.opcode() {
        Opcode::LLVMLoad | Opcode::LLVMStore | Opcode::LLVMAtomicRMW => true,
        Opcode::LLVMCall => i.called_function().is_some_and(|c| {
            let n = c.name();
            n.starts_with("llvm.memcpy")
                || n.starts_with("llvm.memmove")
                || n.starts_with("llvm.memset")
        }),
        _ => false,
    }
}
