//! Split mode: the frame of tape slots the augmented function hands to
//! the reverse function (on the heap or in storage its caller passes), and
//! the storage of callees' frames.

use super::*;

impl Tape {
    /// Split mode, reverse function: whether the augmented function
    /// allocated the frame on the heap (then the reverse function frees it
    /// with [`Tape::free_frame`]).
    pub fn frame_owned(&self, b: &Builder) -> Option<Value> {
        let (_, rev_base, _) = self.frame.split?;
        let i8t = Type::int(self.module.context(), 8);
        let owned = b.load(i8t, b.gep_i8(rev_base, OWNED_OFFSET));
        Some(b.icmp(IntPredicate::LLVMIntNE, owned, b.const_int(i8t, 0)))
    }

    /// Split mode, before any other field: the header of
    /// `__enzyme_fwdsplit`'s log at [`crate::fwdsplit::HEADER_OFFSET`]
    /// (magic, then null data, length and capacity); its address in the
    /// augmented and in the reverse function. `None` if fields exist already.
    pub fn reserve_log(&mut self) -> Option<(Value, Value)> {
        self.frame.split?;
        if self.frame.size != OWNED_OFFSET + 1 {
            return None;
        }
        let i64t = self.i64();
        let ptr_ty = Type::ptr(self.module.context());
        let b = &self.frame.fwd_entry;
        let magic = b.const_int(i64t, crate::fwdsplit::MAGIC);
        let (zero, null) = (b.const_int(i64t, 0), b.zero(ptr_ty));
        let head = self.slot(i64t, "fwdsplit.log", Some(magic));
        self.slot(ptr_ty, "fwdsplit.log.data", Some(null));
        self.slot(i64t, "fwdsplit.log.len", Some(zero));
        self.slot(i64t, "fwdsplit.log.cap", Some(zero));
        self.slot(ptr_ty, "fwdsplit.log.release", Some(null));
        debug_assert_eq!(
            self.frame.size,
            crate::fwdsplit::HEADER_OFFSET + crate::fwdsplit::HEADER_BYTES
        );
        Some((head.fwd, head.rev))
    }

    /// Split mode, log of loads: a function `(frame)` freeing what the
    /// reverse function's block `freeing` frees (loop buffers, snapshots),
    /// recorded in the log's header for `__enzyme_fwdsplit`, which consumes
    /// the tape ([`crate::fwdsplit::release`]). `freeing` may only load
    /// slots of the frame and free what it loads; where it does anything
    /// else nothing is recorded (the tape then waits for `__enzyme_reverse`).
    /// Call before the block frees the log and the frame.
    /// Returns whether it recorded one.
    pub fn record_release(&self, freeing: Block) -> bool {
        let Some((fwd_base, rev_base, _)) = self.frame.split else {
            return false;
        };
        let module = self.module;
        let ptr_ty = Type::ptr(module.context());
        let f = module.add_function(
            "ferment.fwdsplit.release",
            Type::function(Type::void(module.context()), &[ptr_ty], false),
        );
        f.set_internal();
        let h = Builder::new(module);
        h.at_end(f.append_block("entry"));
        let mut memo: HashMap<Value, Value> = HashMap::new();
        memo.insert(rev_base, f.params()[0]);
        for inst in freeing.instructions() {
            if clone_frame_access(&h, inst, freeing, &mut memo).is_none() {
                f.delete_function();
                return false;
            }
        }
        h.ret_void();
        let b = &self.frame.fwd_entry;
        let at = crate::fwdsplit::HEADER_OFFSET + crate::fwdsplit::RELEASE_OFFSET;
        b.store(f, b.gep_i8(fwd_base, at));
        true
    }

    /// Split mode, reverse function: frees the frame.
    pub fn free_frame(&self, b: &Builder) {
        if let Some((_, rev_base, _)) = self.frame.split {
            b.call_fn(self.free_fn(), &[rev_base]);
        }
    }

    /// Split mode, once the augmented function is complete: the frame is the
    /// caller's storage when it passed one, else a heap block the function
    /// allocates (`frame = storage ? storage : malloc(size)`), and byte
    /// [`OWNED_OFFSET`] records which. Returns the `malloc` it replaced, left
    /// in place without uses for the caller to detach.
    pub fn install_frame_choice(&self) -> Option<Value> {
        let (Some((malloc, _, _)), Some(storage)) = (self.frame.split, self.frame.storage) else {
            return None;
        };
        let ptr_ty = Type::ptr(self.module.context());
        let i8t = Type::int(self.module.context(), 8);
        let b = Builder::new(self.module);
        b.before(malloc);
        let on_heap = b.icmp(IntPredicate::LLVMIntEQ, storage, b.zero(ptr_ty));
        let entry = on_heap.parent();
        let then_end = shim::if_then_after(on_heap);
        b.before(then_end);
        let heap = b.call_fn(
            declare(self.module, "malloc", ptr_ty, &[self.i64()]),
            &[malloc.operand(0)],
        );
        let rest = malloc.parent();
        b.at_start(rest);
        let frame = b.phi(ptr_ty, "tape.frame");
        frame.add_incoming(storage, entry);
        frame.add_incoming(heap, then_end.parent());
        malloc.replace_all_uses_with(frame);
        b.before(malloc);
        let owned = b.int_cast(on_heap, i8t, false);
        b.store(owned, b.gep_i8(frame, OWNED_OFFSET));
        Some(malloc)
    }

    /// Storage for the frame of a callee (`layout`) whose augmented call is
    /// `at`, which lives as long as this function's tape: outside loops a
    /// stack slot (combined shape) or a field of this function's own frame
    /// (split shape), inside a loop a field of the loop's tape row. `None`
    /// where the frame is too large or too strictly aligned for that (it
    /// stays on the heap then). The forward pointer is built before `at`.
    pub fn call_storage(
        &mut self,
        loops: &Loops,
        at: Value,
        layout: crate::derive::FrameLayout,
    ) -> Option<(CallStorage, Value)> {
        if layout.size > MAX_CALLER_FRAME || crate::gpu::is_gpu(self.module) {
            return None;
        }
        let i8t = Type::int(self.module.context(), 8);
        let Some(lp) = loops.loop_of(at.parent()) else {
            // malloc's alignment bounds what a frame may need.
            if layout.align > 16 {
                return None;
            }
            let fr = &mut self.frame;
            let ptr = match fr.split {
                None => {
                    let s = fr
                        .fwd_entry
                        .alloca(Type::array(i8t, layout.size), "tape.callee");
                    fr.fwd_entry.set_alignment(s, layout.align as u32);
                    SlotPtr { fwd: s, rev: s }
                }
                Some((fwd_base, rev_base, _)) => {
                    let off = fr.size.div_ceil(layout.align) * layout.align;
                    fr.size = off + layout.size;
                    fr.align = fr.align.max(layout.align);
                    let fwd = fr.fwd_entry.gep_i8(fwd_base, off);
                    let rev = match &fr.rev_entry {
                        Some(rb) => rb.gep_i8(rev_base, off),
                        None => fwd,
                    };
                    SlotPtr { fwd, rev }
                }
            };
            return Some((CallStorage::Fixed(ptr), ptr.fwd));
        };
        // Row fields are at most 8-aligned.
        if layout.align > 8 {
            return None;
        }
        let ptr_ty = Type::ptr(self.module.context());
        let idx = self.loop_tape(loops, lp).idx;
        if self.loops[&lp].buf.is_none() {
            let null = self.frame.fwd_entry.zero(ptr_ty);
            let buf = self.slot(ptr_ty, "tape.buf", Some(null));
            if let Some(lt) = self.loops.get_mut(&lp) {
                lt.buf = Some(buf);
            }
        }
        let lt = self.loops.get_mut(&lp).expect("loop tape");
        let off = lt.row.div_ceil(8) * 8;
        lt.row = off + layout.size;
        let buf = lt.buf.expect("loop tape buffer");
        let b = Builder::new(self.module);
        b.before(at);
        let base = b.load(ptr_ty, buf.fwd);
        let (fwd, stride) = row_field(&b, base, idx, off);
        if let Some(lt) = self.loops.get_mut(&lp) {
            lt.strides.push(stride);
        }
        self.report.add(|| {
            format!(
                "  callee frame of `{}`: {} bytes x executions of {} (no malloc per call)",
                at.describe(),
                layout.size,
                describe_loop(loops, lp)
            )
        });
        Some((CallStorage::Row { lp, off }, fwd))
    }

    /// The callee frame `storage` as the reverse sweep reaches it at `b`.
    pub fn call_storage_rev(&mut self, b: &Builder, storage: CallStorage) -> Value {
        match storage {
            CallStorage::Fixed(p) => p.rev,
            CallStorage::Row { lp, off } => {
                let lt = &self.loops[&lp];
                let (ridx, buf) = (lt.ridx, lt.buf.expect("loop tape buffer"));
                let r = b.load(self.i64(), ridx.rev);
                let base = self.frame_read(b, Type::ptr(self.module.context()), buf.rev);
                let (at, stride) = row_field(b, base, r, off);
                if let Some(lt) = self.loops.get_mut(&lp) {
                    lt.strides.push(stride);
                }
                at
            }
        }
    }
}

/// [`Tape::record_release`]: `e` cloned at `h`, where `memo` maps the
/// reverse function's frame base to the new function's parameter. Only
/// instructions of `block`, address arithmetic on the frame, constants and
/// functions; `None` for anything else.
fn clone_frame_access(
    h: &Builder,
    e: Value,
    block: Block,
    memo: &mut HashMap<Value, Value>,
) -> Option<Value> {
    if let Some(&c) = memo.get(&e) {
        return Some(c);
    }
    if !e.is_instruction() {
        return (e.is_constant() || e.is_function()).then_some(e);
    }
    if e.parent() != block && e.opcode() != Opcode::LLVMGetElementPtr {
        return None;
    }
    let mut ops = Vec::new();
    for o in e.operands() {
        ops.push(clone_frame_access(h, o, block, memo)?);
    }
    let c = e.clone_instruction();
    for (k, o) in ops.into_iter().enumerate() {
        c.set_operand(k, o);
    }
    h.insert(c);
    c.clear_debug_loc();
    memo.insert(e, c);
    Some(c)
}
