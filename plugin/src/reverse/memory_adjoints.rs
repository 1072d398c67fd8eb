//! The reverse sweep's memory: shadows of addresses as the reverse sweep
//! sees them, adjoints of loads and stores (read-and-clear, accumulation,
//! atomics where threads share the memory), and moved values.

use super::*;

impl ReverseSweep<'_, '_, '_> {
    /// Lane 0's shadows (the only ones unless batched).
    pub(super) fn first_shadows(&self) -> Option<&Shadows> {
        self.shadows.first()
    }

    /// The shadow of pointer `p` in lane 0, as seen from the reverse sweep.
    pub(super) fn shadow_in_reverse(&mut self, p: Value) -> Option<Value> {
        self.shadow_in_reverse_lane(p, 0)
    }

    /// The shadow of pointer `p` in `lane`, as seen from the reverse sweep.
    pub(super) fn shadow_in_reverse_lane(&mut self, p: Value, lane: usize) -> Option<Value> {
        let s = self.shadows.get(lane)?.of(&self.b, p)?;
        Some(self.primal(s))
    }

    /// Where the reverse sweep accumulates the adjoint of a load through
    /// `p` (shadow `sp`): the shadow, except that a mixed pointer (see
    /// `Shadows::is_mixed`) whose shadow is the primal pointer itself points
    /// into constant memory, and the adjoint goes to a scratch slot nothing
    /// reads.
    pub(super) fn derivative_address(&mut self, p: Value, sp: Value, ty: Type) -> Value {
        if !self.first_shadows().is_some_and(|s| s.may_be_own(p)) {
            return sp;
        }
        let pp = self.primal(p);
        let own = self.b.icmp(IntPredicate::LLVMIntEQ, sp, pp);
        let scratch = self.scratch_adjoint(ty);
        self.b.select(own, scratch, sp)
    }

    /// A slot of type `ty` that adjoints bound for constant memory go to
    /// and nothing reads. On a GPU the accumulation may be atomic, which
    /// local (stack) memory does not support: a global scratch cell
    /// instead.
    pub(super) fn scratch_adjoint(&mut self, ty: Type) -> Value {
        if self.gpu_private.is_some() {
            crate::gpu::scratch_cell(self.module, &self.b, ty)
        } else if crate::openmp::is_parallel_region(self.key.function) {
            // Zeroed: in a parallel region the add may be an atomic
            // read-modify-write, whose compare-and-swap loop would branch on
            // the slot's undefined bits (memcheck).
            self.tape.reverse_local_zeroed(ty, "constant.adjoint")
        } else {
            self.tape.reverse_local(ty, "constant.adjoint")
        }
    }

    /// Whether the memory behind `p` may be shared by the threads running
    /// this function (an OpenMP parallel region); memory of the function's
    /// own stack frame is private.
    pub(super) fn shared_in_parallel(&self, p: Value) -> bool {
        if !crate::openmp::is_parallel_region(self.key.function) {
            return false;
        }
        let objects = ferment_activity_analysis::underlying_objects(p);
        objects.is_empty()
            || objects
                .iter()
                .any(|o| !(o.is_instruction() && o.opcode() == Opcode::LLVMAlloca))
    }

    /// Reverse of loads, stores and memory calls on shadowed memory.
    /// Returns true when `inst` was handled here.
    pub(super) fn reverse_memory(&mut self, inst: Value) -> Result<bool> {
        match inst.opcode() {
            Opcode::LLVMLoad => {
                if !self.is_active(inst) || !inst.ty().is_fp_like() {
                    return Ok(false);
                }
                for lane in 0..self.width {
                    let d = self.adjoints.take(&self.b, inst, lane);
                    let Some(sp) = self.shadow_in_reverse_lane(inst.operand(0), lane) else {
                        continue;
                    };
                    let mixed = self
                        .first_shadows()
                        .is_some_and(|s| s.may_be_own(inst.operand(0)));
                    let sp = self.derivative_address(inst.operand(0), sp, inst.ty());
                    if self.shared_between_threads(inst) || self.shared_in_parallel(inst.operand(0))
                    {
                        // Other threads may read the same element: their
                        // adjoints meet in shadow memory.
                        self.atomic_accumulate(sp, d);
                        continue;
                    }
                    let old = self.b.load_like(inst.ty(), sp, inst);
                    let new = self.b.fadd_acc(old, d);
                    let st = self.b.store_like(new, sp, inst);
                    if !mixed {
                        old.set_alias_scope(tape::SHADOW_SCOPE, true);
                        st.set_alias_scope(tape::SHADOW_SCOPE, true);
                    }
                }
                Ok(true)
            }
            Opcode::LLVMStore => {
                let (v, p) = (inst.operand(0), inst.operand(1));
                if !v.ty().is_fp_like() {
                    // Integer constants (a `memset` or a copy of constants
                    // LLVM turned into a store): the memory's earlier
                    // contents had no effect, so their adjoint is dropped,
                    // unless it may be its own shadow.
                    // (Integers repeated on the shadow memory, into memory
                    // known to hold integers, are no adjoints: kept; nor
                    // are a string's characters, whose shadow block the
                    // forward sweep may have freed already.)
                    if shadow::stores_integer_constant(v)
                        && !shadow::points_into_string(p)
                        && !self
                            .first_shadows()
                            .is_some_and(|s| s.may_be_own(p) || s.integer_mirrors.contains(&inst))
                    {
                        for lane in 0..self.width {
                            if let Some(sp) = self.shadow_in_reverse_lane(p, lane) {
                                self.b.store_like(self.b.zero(v.ty()), sp, inst);
                            }
                        }
                    }
                    return Ok(true);
                }
                for lane in 0..self.width {
                    let Some(sp) = self.shadow_in_reverse_lane(p, lane) else {
                        return Ok(true);
                    };
                    // The stored value receives the adjoint of the memory it
                    // wrote; that memory's earlier contents had no effect.
                    // Through a pointer that may be its own shadow (constant
                    // memory), a scratch slot instead, and no adjoint.
                    let own = if self.first_shadows().is_some_and(|s| s.may_be_own(p)) {
                        let pp = self.primal(p);
                        Some(self.b.icmp(IntPredicate::LLVMIntEQ, sp, pp))
                    } else {
                        None
                    };
                    let sp = self.derivative_address(p, sp, v.ty());
                    let dv = self.b.load_like(v.ty(), sp, inst);
                    let st = self.b.store_like(self.b.zero(v.ty()), sp, inst);
                    let dv = match own {
                        Some(own) => self.b.select(own, self.b.zero(v.ty()), dv),
                        None => {
                            dv.set_alias_scope(tape::SHADOW_SCOPE, true);
                            st.set_alias_scope(tape::SHADOW_SCOPE, true);
                            dv
                        }
                    };
                    self.add_lane(v, lane, dv);
                }
                Ok(true)
            }
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                if mpi::reverse_mpi(self, inst)? {
                    return Ok(true);
                }
                let b = &self.b;
                let tape = &mut self.tape;
                let loops = &self.loops;
                if crate::openmp::reverse_runtime_call(b, inst, &mut |v| tape.reload(loops, b, v)) {
                    return Ok(true);
                }
                if let Some(cs) = self.calls.get(&inst).cloned() {
                    self.reverse_call_site(&cs)?;
                    return Ok(true);
                }
                if self.call_results.contains(&inst) {
                    // A primal call beside a custom augmented call that
                    // returns no primal: its adjoint goes to that call.
                    return Ok(true);
                }
                let name = inst.called_name();
                if crate::openmp::is_parallel_region(self.key.function)
                    && (shadow::is_memcpy(&name)
                        || rules::blas::decode(inst).ok().flatten().is_some())
                    && inst.call_args().iter().any(|a| {
                        a.ty().is_pointer()
                            && self.shadow_in_reverse(*a).is_some()
                            && self.shared_in_parallel(*a)
                    })
                {
                    return Err(Error::at(
                        inst,
                        format!("cannot yet differentiate '{name}' on shared memory inside an OpenMP parallel region"),
                    )
                    .hint("copy element by element in the parallel loop"));
                }
                if memory::reverse_call(self, inst)? || blas::reverse_blas(self, inst)? {
                    return Ok(true);
                }
                memory::reverse_allocation(self, inst)
            }
            Opcode::LLVMAtomicRMW => {
                let Some((v, p)) = ferment_activity_analysis::float_accumulation(inst) else {
                    return Ok(false);
                };
                // `*p += v`: v receives the adjoint of the memory, which
                // keeps it (the sum continues to depend on the old value).
                for lane in 0..self.width {
                    if let (true, Some(sp)) =
                        (self.is_active(v), self.shadow_in_reverse_lane(p, lane))
                    {
                        let dm = self.b.load(v.ty(), sp);
                        let fsub = inst.atomic_rmw_op()
                            == Some(llvm_sys::LLVMAtomicRMWBinOp::LLVMAtomicRMWBinOpFSub);
                        let dv = if fsub { self.b.fneg(dm) } else { dm };
                        self.add_lane(v, lane, dv);
                    }
                }
                Ok(true)
            }
            Opcode::LLVMAlloca => memory::reverse_allocation(self, inst),
            _ if self.call_results.contains(&inst) => Ok(true),
            _ => Ok(false),
        }
    }

    /// GPU: whether another thread may accumulate into the adjoint of the
    /// memory `load` read at the same time (so the accumulation must be
    /// atomic). Stack memory is the thread's own.
    pub(super) fn shared_between_threads(&self, load: Value) -> bool {
        let Some(private) = &self.gpu_private else {
            return false;
        };
        if private.contains(&load) {
            return false;
        }
        let objects = ferment_activity_analysis::underlying_objects(load.operand(0));
        !objects.iter().all(|o| {
            ferment_activity_analysis::allocation_kind(*o)
                == Some(ferment_activity_analysis::AllocKind::Stack)
        })
    }

    /// `*sp += d` as `atomicrmw fadd`, element by element for a vector.
    pub(super) fn atomic_accumulate(&mut self, sp: Value, d: Value) {
        let ty = d.ty();
        // On GPUs (sm_70+), through a helper that sums a converged warp's
        // values first when all its lanes add to one address.
        let aggregated = |s: &Self, t: Type| {
            let cpu = s.key.function.string_attribute("target-cpu");
            (s.gpu_private.is_some() && crate::gpu::can_aggregate(cpu.as_deref()))
                .then(|| crate::gpu::atomic_add_helper(s.module, t))
                .flatten()
        };
        if !ty.is_vector() {
            match aggregated(self, ty) {
                Some(helper) => {
                    self.b.call_fn(helper, &[sp, d]);
                }
                None => {
                    self.b.atomic_fadd(sp, d);
                }
            }
            return;
        }
        if let Some(helper) = aggregated(self, ty.scalar()) {
            let i32t = self.b.i32();
            for k in 0..ty.vector_len() {
                let e = self.b.extract_element(d, self.b.const_int(i32t, k as i64));
                let p = self
                    .b
                    .gep(ty.scalar(), sp, &[self.b.const_int(i32t, k as i64)]);
                self.b.call_fn(helper, &[p, e]);
            }
            return;
        }
        let i32t = self.b.i32();
        for k in 0..ty.vector_len() {
            let e = self.b.extract_element(d, self.b.const_int(i32t, k as i64));
            let p = self
                .b
                .gep(ty.scalar(), sp, &[self.b.const_int(i32t, k as i64)]);
            self.b.atomic_fadd(p, e);
        }
    }

    /// Reverse, in `lane`, of an instruction that moves values without
    /// arithmetic (conversions, selects, aggregate and vector element
    /// moves): its adjoint `d` goes back where the values came from.
    pub(super) fn reverse_moved(&mut self, inst: Value, lane: usize, d: Value) {
        let add = |s: &mut Self, v: Value, dv: Value| s.add_lane(v, lane, dv);
        match inst.opcode() {
            Opcode::LLVMFPExt | Opcode::LLVMFPTrunc => {
                let x = inst.operand(0);
                let dx = self.b.fp_convert(d, x.ty());
                add(self, x, dx);
            }
            Opcode::LLVMSelect => {
                let c = self.primal(inst.operand(0));
                let zero = self.b.zero(d.ty());
                let (t, e) = (inst.operand(1), inst.operand(2));
                if self.is_active(t) {
                    let dt = self.b.select(c, d, zero);
                    add(self, t, dt);
                }
                if self.is_active(e) {
                    let de = self.b.select(c, zero, d);
                    add(self, e, de);
                }
            }
            Opcode::LLVMExtractValue => {
                let agg = inst.operand(0);
                if self.is_active(agg) {
                    let idx = inst.extract_indices();
                    let dagg = self.b.insert_value_path(self.b.zero(agg.ty()), &idx, d);
                    add(self, agg, dagg);
                }
            }
            Opcode::LLVMInsertValue => {
                let (agg, v) = (inst.operand(0), inst.operand(1));
                let idx = inst.extract_indices();
                if self.is_active(v) {
                    let dv = self.b.extract_value_path(d, &idx);
                    add(self, v, dv);
                }
                if self.is_active(agg) {
                    let zero_v = self.b.zero(v.ty());
                    let dagg = self.b.insert_value_path(d, &idx, zero_v);
                    add(self, agg, dagg);
                }
            }
            Opcode::LLVMShuffleVector => {
                // Lane j of the result came from lane mask[j] of a ++ b.
                let (a, bv) = (inst.operand(0), inst.operand(1));
                let n = a.ty().vector_len() as i32;
                let i32t = self.b.i32();
                let mut da = self.b.zero(a.ty());
                let mut db = self.b.zero(bv.ty());
                for (j, &m) in inst.shuffle_mask().iter().enumerate() {
                    if m < 0 {
                        continue;
                    }
                    let dj = self.b.extract_element(d, self.b.const_int(i32t, j as i64));
                    if m < n {
                        let k = self.b.const_int(i32t, m as i64);
                        let old = self.b.extract_element(da, k);
                        da = self.b.insert_element(da, self.b.fadd_acc(old, dj), k);
                    } else {
                        let k = self.b.const_int(i32t, (m - n) as i64);
                        let old = self.b.extract_element(db, k);
                        db = self.b.insert_element(db, self.b.fadd_acc(old, dj), k);
                    }
                }
                add(self, a, da);
                add(self, bv, db);
            }
            Opcode::LLVMExtractElement => {
                let vec = inst.operand(0);
                if self.is_active(vec) {
                    let idx = self.primal(inst.operand(1));
                    let zero = self.b.zero(vec.ty());
                    let dv = self.b.insert_element(zero, d, idx);
                    add(self, vec, dv);
                }
            }
            Opcode::LLVMInsertElement => {
                let (vec, v) = (inst.operand(0), inst.operand(1));
                let idx = self.primal(inst.operand(2));
                if self.is_active(v) {
                    let dv = self.b.extract_element(d, idx);
                    add(self, v, dv);
                }
                if self.is_active(vec) {
                    let zero = self.b.zero(v.ty());
                    let dvec = self.b.insert_element(d, zero, idx);
                    add(self, vec, dvec);
                }
            }
            _ => {}
        }
    }
}
