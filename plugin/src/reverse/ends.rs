//! The two ends of the reverse sweep: the checks a batched derivative
//! needs, the function's returns gathered into one exit, the adjoint seeds
//! of the returned values, and the finish (the adjoints of active
//! arguments returned, the tape released unless the caller keeps it).

use super::*;

impl ReverseSweep<'_, '_, '_> {
    /// Batched mode: what the lanes do not cover yet is refused here (the
    /// request then falls back to computing the lanes one after the other,
    /// see `frontend::batch`): GPU code, OpenMP, MPI calls, and
    /// pointers to active memory returned by calls or by this function
    /// itself. (A callee's custom gradient runs once per lane, see
    /// `calls::augment_call`.)
    pub(super) fn check_batchable(&self, blocks: &[Block]) -> Result<()> {
        if crate::gpu::is_gpu(self.module) {
            return Err(Error::not_batched(self.f, "code for a GPU target"));
        }
        if crate::openmp::is_parallel_region(self.key.function) {
            return Err(Error::not_batched(self.f, "an OpenMP parallel region"));
        }
        if self.key.return_active
            && self
                .key
                .function
                .global_value_type()
                .fn_return()
                .is_pointer()
        {
            return Err(Error::not_batched(
                self.f,
                format!(
                    "'{}', which returns a pointer to active memory",
                    self.key.function.name()
                ),
            ));
        }
        for blk in blocks {
            for inst in blk.instructions() {
                if !inst.is_call() {
                    continue;
                }
                let name = inst.called_name();
                let callee = calls::callee_of(inst);
                let pointer_call = inst.ty().is_pointer()
                    && self.activity.is_shadowed(inst)
                    && callee
                        .is_some_and(|f| !f.is_declaration() || self.ctx.custom.has_gradient(f));
                if pointer_call || name.starts_with("MPI_") || crate::openmp::is_fork(inst) {
                    return Err(Error::not_batched(inst, format!("'{}'", inst.describe())));
                }
            }
        }
        Ok(())
    }

    /// Split shape: each `ret` returns `{tape, [primal], [shadow]}`; the
    /// reverse function's entry dispatches on which one was taken.
    pub(super) fn split_returns(
        &mut self,
        blocks: &[Block],
        seeds: &[Value],
        entry: Block,
        sig: &ReverseSignature,
    ) {
        let rets: Vec<(Block, Value)> = blocks
            .iter()
            .filter_map(|&b| {
                b.terminator()
                    .filter(|t| t.opcode() == Opcode::LLVMRet)
                    .map(|t| (b, t))
            })
            .collect();
        let i32t = self.b.i32();
        let which = (rets.len() > 1).then(|| self.tape.slot(i32t, "which.ret", None));
        let frame = self.tape.frame_pointer().expect("split frame");
        let returned: Vec<Option<Value>> = rets
            .iter()
            .map(|(_, t)| (t.num_operands() == 1).then(|| t.operand(0)))
            .collect();
        for (k, &(_, term)) in rets.iter().enumerate() {
            self.b.before(term);
            if let Some(w) = which {
                self.b.store(self.b.const_int(i32t, k as i64), w.fwd);
            }
            let mut agg = self.b.undef(sig.augmented);
            agg = self.b.insert_value(agg, frame, 0);
            let mut idx = 1;
            if sig.returns_primal && term.num_operands() == 1 {
                agg = self.b.insert_value(agg, term.operand(0), idx);
                idx += 1;
            }
            if sig.returns_shadow && term.num_operands() == 1 {
                let v = term.operand(0);
                let sv = self
                    .shadows
                    .first()
                    .and_then(|s| s.of(&self.b, v))
                    .unwrap_or_else(|| self.b.zero(v.ty()));
                agg = self.b.insert_value(agg, sv, idx);
            }
            self.b.ret(agg);
            self.detached.keep(term);
        }
        // The reverse function starts at `rev.dispatch` (the entry's
        // placeholder terminator becomes a branch to it in `finish`).
        let dispatch = self.rf.append_block("rev.dispatch");
        self.dispatch = Some((entry, dispatch));
        self.b.at_end(dispatch);
        if rets.is_empty() {
            // No `ret` is reachable (a pure virtual function's body is a
            // trap, reached through a dispatcher): the augmented forward
            // function never returns, so nothing can call this one.
            self.b.unreachable();
            return;
        }
        let targets: Vec<Block> = rets
            .iter()
            .enumerate()
            .map(|(k, _)| {
                if rets.len() == 1 {
                    dispatch
                } else {
                    self.rf.append_block(&format!("rev.seed.{k}"))
                }
            })
            .collect();
        if let Some(w) = which {
            let idx = self.b.load(i32t, w.rev);
            let cases: Vec<(Value, Block)> = targets
                .iter()
                .enumerate()
                .skip(1)
                .map(|(k, &t)| (self.b.const_int(i32t, k as i64), t))
                .collect();
            self.b.switch(idx, targets[0], &cases);
        }
        for (k, &(blk, _)) in rets.iter().enumerate() {
            self.b.at_end(targets[k]);
            if let Some(v) = returned[k] {
                if self.activity.is_active(v) {
                    for (lane, &seed) in seeds.iter().enumerate() {
                        self.adjoints.add(&self.b, v, lane, seed);
                    }
                }
            }
            let nest = self.loops.nest_of(blk);
            for &lp in &nest {
                self.tape.enter_iteration(&self.loops, &self.b, lp);
            }
            let br = self.b.br(self.rev[&blk]);
            for lp in nest {
                self.tape.note_instance_entry(lp, br);
            }
        }
    }

    /// Each `ret` adds the seed to the returned value's adjoint and jumps to
    /// the reverse of its block.
    pub(super) fn seed_returns(&mut self, blocks: &[Block], seeds: &[Value]) {
        for &blk in blocks {
            let Some(term) = blk.terminator() else {
                continue;
            };
            if term.opcode() != Opcode::LLVMRet {
                continue;
            }
            self.b.before(term);
            if term.num_operands() == 1 {
                let v = term.operand(0);
                if self.activity.is_active(v) {
                    for (lane, &seed) in seeds.iter().enumerate() {
                        self.adjoints.add(&self.b, v, lane, seed);
                    }
                }
            }
            // Returning from inside loops: the reverse sweep starts in the
            // current iteration of each of them.
            let nest = self.loops.nest_of(blk);
            for &lp in &nest {
                self.tape.enter_iteration(&self.loops, &self.b, lp);
            }
            let br = self.b.br(self.rev[&blk]);
            for lp in nest {
                self.tape.note_instance_entry(lp, br);
            }
            self.detached.keep(term);
        }
    }

    /// Returns the adjoints of the active arguments at `exit` and releases
    /// the tape.
    pub(super) fn finish(&mut self, exit: Block, out_ty: Type) {
        self.b.at_end(exit);
        self.frame_handoffs(exit);
        let mut agg = if out_ty.is_void() {
            None
        } else {
            Some(self.b.undef(out_ty))
        };
        let params = self.f.params();
        let mut k = 0u32;
        for (p, act) in params.iter().zip(&self.key.activities) {
            if *act != ArgAct::Active {
                continue;
            }
            let ds: Vec<Value> = if self.activity.is_active(*p) {
                self.adjoints.take_lanes(&self.b, *p, self.width)
            } else {
                vec![self.b.zero(p.ty()); self.width]
            };
            // Batched: the lanes' adjoints of one argument as an array.
            let d = if self.width == 1 {
                ds[0]
            } else {
                let arr = Type::array(p.ty(), self.width as u64);
                let mut a = self.b.undef(arr);
                for (lane, d) in ds.into_iter().enumerate() {
                    a = self.b.insert_value(a, d, lane as u32);
                }
                a
            };
            agg = agg.map(|a| self.b.insert_value(a, d, k));
            k += 1;
        }
        let ret = |b: &Builder| match agg {
            Some(a) => b.ret(a),
            None => b.ret_void(),
        };
        self.tape.install_instance_bases(&self.loops);
        match self.free_flag {
            None => {
                self.tape.finish(&self.b);
                let r = ret(&self.b);
                // the stores that ended the forward sweep (`rereads.rs`,
                // `tail_stores`): the reverse sweep read the memory before them
                for s in &self.tail_stores {
                    s.move_before(r);
                }
            }
            Some(flag) => {
                // Split shape: free the tape unless the caller keeps it
                // (`enzyme_nofree`, to run the reverse sweep again).
                let free = self.rf.append_block("rev.free");
                let done = self.rf.append_block("rev.done");
                self.b.cond_br(flag, free, done);
                self.b.at_end(free);
                self.tape.finish(&self.b);
                if let Some(h) = self.log_rev {
                    // Frees in the sweep (callees' tapes, memory kept for
                    // it) use the flag: none, so this block frees all the
                    // tape's parts, which `__enzyme_fwdsplit` can then free.
                    if flag.users().len() == 1 {
                        self.tape_released = self.tape.record_release(free);
                    }
                    crate::fwdsplit::free_log(self.module, &self.b, h);
                }
                // A frame in the caller's storage is the caller's to keep.
                if let Some(owned) = self.tape.frame_owned(&self.b) {
                    let heap = self.rf.append_block("rev.free.frame");
                    self.b.cond_br(owned, heap, done);
                    self.b.at_end(heap);
                    self.tape.free_frame(&self.b);
                }
                self.b.br(done);
                self.b.at_end(done);
                ret(&self.b);
            }
        }
        if let Some((entry, dispatch)) = self.dispatch {
            if let Some(t) = entry.terminator() {
                self.detached.keep(t);
            }
            self.b.at_end(entry);
            self.b.br(dispatch);
        }
        self.tape.install_growth(&self.loops, self.f);
        if let Some(malloc) = self.tape.install_frame_choice() {
            self.detached.keep(malloc);
        }
        // (a free of a phi of several allocations is listed under each)
        let moved: hashbrown::HashSet<Value> =
            self.deferred_frees.values().flatten().copied().collect();
        for free in moved {
            self.detached.keep(free);
        }
        if self.rf == self.f {
            self.tape.fence_rows(&[self.f]);
        } else {
            self.tape.fence_rows(&[self.f, self.rf]);
        }
        let min_loops = self.ctx.options.tape_state_memory.max(0) as usize;
        let kept = self.tape.keep_state_in_memory(&[self.f], min_loops);
        if kept > 0 {
            let name = self.f.name();
            crate::timing::note(|| format!("{name}: {kept} loop tape state slots kept in memory"));
        }
        if self.print_tape {
            eprintln!(
                "ferment: tape of the derivative of '{}':",
                self.key.function.name()
            );
            for line in &self.tape.report.lines {
                eprintln!("{line}");
            }
            if self.tape.report.lines.is_empty() {
                eprintln!("  nothing cached in loops (values outside loops live in registers)");
            }
        }
    }
}

impl ReverseSweep<'_, '_, '_> {
    /// A request's reverse sweep opens a frame on the list of freed
    /// pointers that meets the frees and the allocations of memory handed
    /// from one function to another ([`super::handoffs`]) where it starts,
    /// and drops it at `exit` (left at its end). So does a parallel
    /// region's, in each thread (the list is per thread): memory handed
    /// across a region's boundary keeps its shadow.
    fn frame_handoffs(&mut self, exit: Block) {
        let region = crate::openmp::is_parallel_region(self.key.function);
        if !(self.key.seeds_finite || region)
            || !self.key.handoffs
            || !super::handoffs::reaches_list(self.module, self.f)
        {
            return;
        }
        let Some(h) = super::handoffs::helpers(self.module) else {
            return;
        };
        let start = self.rev_entry.unwrap_or_else(|| self.f.entry_block());
        self.b.at_start(start);
        let enclosing = self.b.call_fn(h.mark, &[]);
        self.b.at_end(exit);
        self.b.call_fn(h.release, &[enclosing]);
    }
}
