//! The tape: primal values the reverse sweep needs, cached or recomputed.
//!
//! - A value outside loops is stored to a stack slot right after its
//!   definition; `mem2reg` later turns the slot back into a register, so it
//!   costs nothing.
//! - A value inside loop `L` is stored into a growable heap buffer indexed by
//!   `L`'s execution counter: every execution of `L`'s header takes the next
//!   index (`cnt_L++`). The reverse sweep replays iterations in exactly the
//!   reverse order, so it walks the same indices downwards (`ridx_L`), set
//!   whenever it enters an iteration (see [`Tape::enter_iteration`]). This
//!   needs no trip count and serves nested, triangular and while loops.
//!   A loop's cached values share one row per iteration in one buffer.
//!   Where scalar evolution bounds the iterations at loop entry, the rows
//!   are reserved once in the preheader (the body stays check-free and
//!   vectorizable); otherwise the header doubles the buffer when full.
//!   Buffers are freed at the end of the reverse sweep.
//! - In split mode (an augmented forward function and a separate reverse
//!   function) every slot lives in one frame instead of the stack, which
//!   the augmented function returns as the tape and the reverse function
//!   reads. Its size is fixed (loop rows live in buffers of their own), so
//!   a caller that knows it passes storage for it — in its own frame, on
//!   its stack, or in its loop's tape row ([`Tape::call_storage`]) — and
//!   no `malloc`/`free` runs per call; given none (the user's
//!   `__enzyme_augmentfwd`, recursion), the augmented function allocates
//!   the frame on the heap, and its first byte tells the reverse function
//!   to free it.
//! - Cheap pure values (integer and float arithmetic, casts, compares) whose
//!   operands are available in the reverse sweep are recomputed instead of
//!   cached.

pub use super::rereads::{unchanged_roots, Rereads};
use crate::cfg::loops::{LoopId, Loops};
use crate::shim;
use ferment_ir::{Block, Builder, IntPredicate, Module, Opcode, Type, Value};
use hashbrown::HashMap;

/// A slot as the forward sweep and the reverse sweep address it (the same
/// stack slot in combined mode; one frame field reached from two
/// functions in split mode).
#[derive(Clone, Copy)]
pub struct SlotPtr {
    pub fwd: Value,
    pub rev: Value,
}

/// Where slots live.
struct Frame {
    /// Builds at the top of the forward entry block.
    fwd_entry: Builder,
    /// Builds at the top of the reverse entry block (split mode).
    rev_entry: Option<Builder>,
    /// Split mode: the frame pointer in each function, the `malloc` call
    /// whose size is patched at the end, and the bytes used so far.
    split: Option<(Value, Value, Value)>,
    size: u64,
    /// Split mode: the largest alignment a field of the frame needs.
    align: u64,
    /// Split mode: the augmented function's parameter giving storage for
    /// the frame (null: allocate it on the heap).
    storage: Option<Value>,
}

/// Split mode: frame byte 0 says whether the augmented function allocated
/// the frame on the heap (1) or the caller gave storage (0).
const OWNED_OFFSET: u64 = 0;

/// The largest frame a caller holds for a callee in its own frame, stack or
/// tape row (larger frames stay on the heap).
const MAX_CALLER_FRAME: u64 = 4096;

/// Storage a caller reserved for a callee's frame (see
/// [`Tape::call_storage`]).
#[derive(Clone, Copy)]
pub enum CallStorage {
    /// A stack slot (combined shape) or a field of the caller's own frame.
    Fixed(SlotPtr),
    /// Bytes at `off` of the row of loop `lp`.
    Row { lp: LoopId, off: u64 },
}

enum Slot {
    /// Stack slot or frame field (value outside loops).
    Scalar(SlotPtr),
    /// Heap buffer of `ty` indexed by the loop's counter; the pointer lives
    /// in the stack slot `ptr`.
    Buffer { lp: LoopId, off: u64, ty: Type },
}

/// GPU: bytes of per-thread local memory for each loop's first tape rows.
const GPU_LOCAL_TAPE_BYTES: u64 = 1024;

/// Per-loop counters.
struct LoopTape {
    /// The forward sweep's header execution counter.
    cnt_fwd: Value,
    /// The reverse sweep's copy of the header's execution counter (the
    /// forward sweep counts up in a slot), counting down (the frame stays
    /// intact, so a kept tape can be reversed again).
    rcnt: Value,
    /// Index of the iteration the reverse sweep is in.
    ridx: SlotPtr,
    /// Capacity of this loop's tape buffer, in rows (iterations).
    cap: SlotPtr,
    /// Index of the current iteration in the forward sweep.
    idx: Value,
    /// Last instruction of the header's counter prologue.
    prologue_end: Value,
    /// The loop's tape buffer: one row per iteration holding every value
    /// cached in this loop, contiguously.
    buf: Option<SlotPtr>,
    /// Bytes of a row so far.
    row: u64,
    /// `mul idx, STRIDE` instructions; the stride is known once every
    /// cached value has its place, and patched in by `finish`.
    strides: Vec<Value>,
    /// GPU: the per-thread local array holding the first rows (the buffer
    /// moves to device `malloc` memory only when it outgrows it).
    local: Option<Value>,
}

pub struct Tape {
    module: Module,
    slots: HashMap<Value, Slot>,
    loops: HashMap<LoopId, LoopTape>,
    frame: Frame,
    /// Split mode: each forward argument's counterpart in the reverse
    /// function.
    args: HashMap<Value, Value>,
    /// Inserts stores after definitions.
    saver: Builder,
    /// What was cached and recomputed, for `-ferment-print-tape`.
    pub report: Report,
    /// Every instruction that touches a loop's row buffer (stores, loads,
    /// the GPU growth's memmove): see [`Tape::fence_rows`].
    row_ops: std::cell::RefCell<Vec<Value>>,
    recomputed: hashbrown::HashSet<Value>,
    /// Per loop: the counter's value on entry to the current instance
    /// (read in the forward preheader), and the reverse sweep's local copy
    /// of it, set wherever the reverse sweep enters a new instance.
    bases: HashMap<LoopId, (Value, Value)>,
    /// Where the reverse sweep enters a new instance of a loop (walking an
    /// exit edge or a `ret` inside it backwards): the instruction before
    /// which that instance's base is read.
    instance_entries: Vec<(LoopId, Value)>,
    rereads: Option<Rereads>,
    /// `sin`/`cos` calls whose reverse computes the other function of the
    /// same argument anyway (their partial): recomputing them next to it
    /// costs little (the backend makes one `sincos` of the pair), taping
    /// them costs a row field.
    paired: hashbrown::HashSet<Value>,
    /// Dominator tree of the function (immediate dominators), for
    /// [`Tape::forwarded`].
    idom: Option<HashMap<Block, Block>>,
    /// Row buffers of [`HUGE_TAPE_BYTES`] or more are advised to use
    /// transparent huge pages (`-ferment-no-huge-pages` turns it off).
    pub huge_pages: bool,
    /// Row buffers of [`HUGE_TAPE_BYTES`] or more are kept for the next
    /// gradient of the thread (`-ferment-no-tape-cache` turns it off).
    pub tape_cache: bool,
}

/// Pure, cheap instructions the reverse sweep may recompute: arithmetic
/// (divisions included: one costs less than writing and reading back a tape
/// entry), casts, compares, selects, address arithmetic, and calls of the
/// pure arithmetic intrinsics.
fn is_cheap(v: Value) -> bool {
    if v.opcode() == Opcode::LLVMCall {
        const PURE: &[&str] = &[
            "llvm.fmuladd.",
            "llvm.fma.",
            "llvm.fabs.",
            "llvm.sqrt.",
            "llvm.copysign.",
            "llvm.minnum.",
            "llvm.maxnum.",
            "llvm.minimum.",
            "llvm.maximum.",
        ];
        let name = v.called_function().map(|f| f.name()).unwrap_or_default();
        return PURE.iter().any(|p| name.starts_with(p));
    }
    matches!(
        v.opcode(),
        Opcode::LLVMFAdd
            | Opcode::LLVMFSub
            | Opcode::LLVMFMul
            | Opcode::LLVMFDiv
            | Opcode::LLVMFNeg
            | Opcode::LLVMAdd
            | Opcode::LLVMSub
            | Opcode::LLVMMul
            | Opcode::LLVMShl
            | Opcode::LLVMAnd
            | Opcode::LLVMOr
            | Opcode::LLVMXor
            | Opcode::LLVMSIToFP
            | Opcode::LLVMUIToFP
            | Opcode::LLVMFPExt
            | Opcode::LLVMFPTrunc
            | Opcode::LLVMZExt
            | Opcode::LLVMSExt
            | Opcode::LLVMTrunc
            | Opcode::LLVMICmp
            | Opcode::LLVMFCmp
            | Opcode::LLVMSelect
            | Opcode::LLVMExtractValue
            | Opcode::LLVMGetElementPtr
            | Opcode::LLVMBitCast
    )
}

/// Stands for a loop tape's row stride until `Tape::finish` knows it.
const STRIDE_PLACEHOLDER: i64 = 0x7fff_fff1;

/// Alignment of a cached value inside a tape row (at most 8 bytes, so rows
/// of any mix pack tightly and stay aligned).
fn field_align(module: Module, ty: Type) -> u64 {
    (module.abi_align(ty) as u64).clamp(1, 8)
}

/// Address of field `off` of row `idx` of a loop tape buffer at `base`, and
/// the `mul idx, STRIDE` whose stride `Tape::finish` patches in.
fn row_field(b: &Builder, base: Value, idx: Value, off: u64) -> (Value, Value) {
    let stride = b.mul_int(idx, b.const_int(b.i64(), STRIDE_PLACEHOLDER));
    let row = b.gep(b.i8(), base, &[stride]);
    (b.gep_i8(row, off), stride)
}

/// How many operand levels a recomputation may reach through.
const RECOMPUTE_DEPTH: u32 = 12;

/// Whether instruction `a` comes after `v` in `v`'s block.
fn defined_later(a: Value, v: Value) -> bool {
    if !a.is_instruction() || a.parent() != v.parent() {
        return false;
    }
    let mut i = v.next_instruction();
    while let Some(x) = i {
        if x == a {
            return true;
        }
        i = x.next_instruction();
    }
    false
}

impl Tape {
    /// A tape for a combined function (slots on the stack of `entry`), or,
    /// with `split = Some((rev_entry, rev_frame, args))`, for an augmented
    /// function whose slots live in a heap frame that the reverse function
    /// receives as `rev_frame`.
    pub fn new(
        module: Module,
        entry: Block,
        split: Option<(Block, Value, HashMap<Value, Value>)>,
    ) -> Tape {
        let at_top = |blk: Block| {
            let b = Builder::new(module);
            b.at_start(blk);
            b
        };
        let fwd_entry = at_top(entry);
        let (rev_entry, frame_split, args) = match split {
            Some((rev_block, rev_frame, args)) => {
                let ptr = Type::ptr(module.context());
                let i64t = Type::int(module.context(), 64);
                let malloc = declare(module, "malloc", ptr, &[i64t]);
                let call = fwd_entry.call_fn(malloc, &[fwd_entry.const_int(i64t, 8)]);
                (Some(at_top(rev_block)), Some((call, rev_frame, call)), args)
            }
            None => (None, None, HashMap::new()),
        };
        Tape {
            module,
            slots: HashMap::new(),
            loops: HashMap::new(),
            frame: Frame {
                fwd_entry,
                rev_entry,
                split: frame_split,
                size: if frame_split.is_some() {
                    OWNED_OFFSET + 1
                } else {
                    0
                },
                align: 1,
                storage: None,
            },
            args,
            saver: Builder::new(module),
            report: Report::default(),
            row_ops: Default::default(),
            recomputed: hashbrown::HashSet::new(),
            bases: HashMap::new(),
            instance_entries: Vec::new(),
            rereads: None,
            paired: hashbrown::HashSet::new(),
            idom: None,
            huge_pages: true,
            tape_cache: true,
        }
    }

    fn i64(&self) -> Type {
        Type::int(self.module.context(), 64)
    }

    /// The forward function's frame pointer (split mode).
    pub fn frame_pointer(&self) -> Option<Value> {
        self.frame.split.map(|(f, _, _)| f)
    }

    /// Split mode: the frame's final size and alignment (once the reverse
    /// sweep is complete).
    pub fn frame_layout(&self) -> crate::derive::FrameLayout {
        crate::derive::FrameLayout {
            size: self.frame.size.max(8),
            align: self.frame.align,
        }
    }

    /// Split mode: the augmented function's frame-storage parameter.
    pub fn set_frame_storage(&mut self, storage: Value) {
        self.frame.storage = Some(storage);
    }

    /// A new slot of type `ty`, initialized to `init` at function entry.
    pub fn slot(&mut self, ty: Type, name: &str, init: Option<Value>) -> SlotPtr {
        let fr = &mut self.frame;
        let ptr = match fr.split {
            None => {
                let s = fr.fwd_entry.alloca(ty, name);
                SlotPtr { fwd: s, rev: s }
            }
            Some((fwd_base, rev_base, _)) => {
                let align = self.module.abi_align(ty).max(1) as u64;
                fr.align = fr.align.max(align);
                let off = fr.size.div_ceil(align) * align;
                fr.size = off + self.module.alloc_size(ty);
                let fwd = fr.fwd_entry.gep_i8(fwd_base, off);
                let rev = match &fr.rev_entry {
                    Some(rb) => rb.gep_i8(rev_base, off),
                    None => fwd,
                };
                SlotPtr { fwd, rev }
            }
        };
        if let Some(v) = init {
            fr.fwd_entry.store(v, ptr.fwd);
        }
        ptr
    }

    /// A slot the reverse sweep alone uses (a stack slot of the reverse
    /// function).
    pub fn reverse_local(&mut self, ty: Type, name: &str) -> Value {
        match &self.frame.rev_entry {
            Some(rb) => rb.alloca(ty, name),
            None => self.frame.fwd_entry.alloca(ty, name),
        }
    }

    /// Counters of loop `lp`, created on first use (the forward prologue
    /// goes at the top of the header, after its phis).
    fn loop_tape(&mut self, loops: &Loops, lp: LoopId) -> &LoopTape {
        if !self.loops.contains_key(&lp) {
            let i64t = self.i64();
            let zero = self.frame.fwd_entry.const_int(i64t, 0);
            let cnt = self.slot(i64t, "tape.cnt", Some(zero));
            let ridx = self.slot(i64t, "tape.ridx", None);
            let rcnt = match &self.frame.rev_entry {
                Some(rb) => {
                    let local = rb.alloca(i64t, "tape.rcnt");
                    let total = rb.load(i64t, cnt.rev);
                    rb.store(total, local);
                    local
                }
                None => cnt.fwd,
            };
            let cap = self.slot(i64t, "tape.cap", Some(zero));
            let header = loops.get(lp).header;
            let b = &self.saver;
            match header.first_insertion_point() {
                Some(i) => b.before(i),
                None => b.at_end(header),
            }
            let idx = b.load(i64t, cnt.fwd);
            let next = b.add_int(idx, b.const_int(i64t, 1));
            let prologue_end = b.store(next, cnt.fwd);
            self.loops.insert(
                lp,
                LoopTape {
                    cnt_fwd: cnt.fwd,
                    rcnt,
                    ridx,
                    cap,
                    idx,
                    prologue_end,
                    buf: None,
                    row: 0,
                    strides: Vec::new(),
                    local: None,
                },
            );
        }
        &self.loops[&lp]
    }

    /// Reverse sweep: moves to the previous iteration of `lp` (at `b`).
    pub fn enter_iteration(&mut self, loops: &Loops, b: &Builder, lp: LoopId) {
        let i64t = self.i64();
        let lt = self.loop_tape(loops, lp);
        let c = b.load(i64t, lt.rcnt);
        let c1 = b.sub_int(c, b.const_int(i64t, 1));
        b.store(c1, lt.rcnt);
        b.store(c1, lt.ridx.rev);
    }

    /// `v` as seen at `b`'s insertion point in the reverse sweep.
    pub fn reload(&mut self, loops: &Loops, b: &Builder, v: Value) -> Value {
        if !v.is_instruction() {
            return self.args.get(&v).copied().unwrap_or(v);
        }
        let lp = loops.loop_of(v.parent());
        if lp.is_some() && self.recomputable(loops, v, RECOMPUTE_DEPTH) {
            return self.recompute(loops, b, v);
        }
        if lp.is_none() && self.frame.split.is_some() && self.recomputable_in_frame(loops, v) {
            return self.recompute(loops, b, v);
        }
        if !self.slots.contains_key(&v) {
            self.create_slot(loops, v, lp);
        }
        match &self.slots[&v] {
            Slot::Scalar(s) => b.load(v.ty(), s.rev),
            Slot::Buffer { lp, off, ty } => {
                let (lp, off, ty) = (*lp, *off, *ty);
                self.read_row(b, lp, off, ty, |_, r| r)
            }
        }
    }

    /// Field `off` (of type `ty`) of `lp`'s tape row `row(b, r)`, where `r`
    /// is the row the reverse sweep is in.
    fn read_row(
        &mut self,
        b: &Builder,
        lp: LoopId,
        off: u64,
        ty: Type,
        row: impl FnOnce(&Builder, Value) -> Value,
    ) -> Value {
        let lt = &self.loops[&lp];
        let (ridx, buf) = (lt.ridx, lt.buf.expect("loop tape buffer"));
        let r = b.load(self.i64(), ridx.rev);
        let idx = row(b, r);
        let base = b.load(Type::ptr(self.module.context()), buf.rev);
        let (at, stride) = row_field(b, base, idx, off);
        if let Some(lt) = self.loops.get_mut(&lp) {
            lt.strides.push(stride);
        }
        let l = b.load(ty, at);
        b.set_alignment(l, field_align(self.module, ty) as u32);
        self.row_ops.borrow_mut().push(l);
        l
    }

    fn create_slot(&mut self, loops: &Loops, v: Value, lp: Option<LoopId>) {
        let ty = v.ty();
        let Some(lp) = lp else {
            let s = self.slot(ty, "tape", None);
            // A global's shadow from an Enzyme context is computed at the
            // top of the entry block, possibly before the slot's address.
            if crate::context::is_global_shadow(v) && defined_later(s.fwd, v) {
                self.saver.after(s.fwd);
            } else {
                self.position_after(v);
            }
            self.saver.store(v, s.fwd);
            self.slots.insert(v, Slot::Scalar(s));
            return;
        };
        let ptr_ty = Type::ptr(self.module.context());
        let idx = self.loop_tape(loops, lp).idx;
        if self.loops[&lp].buf.is_none() {
            let null = self.frame.fwd_entry.zero(ptr_ty);
            let buf = self.slot(ptr_ty, "tape.buf", Some(null));
            if let Some(lt) = self.loops.get_mut(&lp) {
                lt.buf = Some(buf);
            }
        }
        let align = field_align(self.module, ty);
        let lt = self.loops.get_mut(&lp).expect("loop tape");
        let off = lt.row.div_ceil(align) * align;
        lt.row = off + self.module.alloc_size(ty);
        let buf = lt.buf.expect("loop tape buffer");
        // At the end of v's block rather than right after v: the row is the
        // same, and a store after all of v's users keeps a loop-carried value
        // a recurrence the vectorizer can handle (it cannot sink a store).
        match v.parent().terminator() {
            Some(t) if t != v => self.saver.before(t),
            _ => self.position_after(v),
        }
        let base = self.saver.load(ptr_ty, buf.fwd);
        let (at, stride) = row_field(&self.saver, base, idx, off);
        let st = self.saver.store(v, at);
        self.saver.set_alignment(st, align as u32);
        self.row_ops.borrow_mut().push(st);
        if let Some(lt) = self.loops.get_mut(&lp) {
            lt.strides.push(stride);
        }
        self.report.add(|| {
            format!(
                "  cache `{}`: {} bytes x executions of {}",
                v.describe(),
                self.module.alloc_size(ty),
                describe_loop(loops, lp)
            )
        });
        self.slots.insert(v, Slot::Buffer { lp, off, ty });
    }

    /// Positions the saver right after `v` (after the counter prologue for a
    /// header phi).
    fn position_after(&self, v: Value) {
        if v.opcode() == Opcode::LLVMPHI {
            if let Some(lt) = self
                .loops
                .values()
                .find(|lt| lt.prologue_end.parent() == v.parent())
            {
                self.saver.after(lt.prologue_end);
                return;
            }
        }
        self.saver.after(v);
    }

    fn recomputable(&self, loops: &Loops, v: Value, depth: u32) -> bool {
        if !v.is_instruction() {
            return true;
        }
        if self.slots.contains_key(&v) {
            return false;
        }
        if v.opcode() == Opcode::LLVMPHI {
            return self.shifted(loops, v, depth).is_some() || induction(loops, v).is_some();
        }
        if v.opcode() == Opcode::LLVMLoad {
            // Memory the function never writes still holds the same value
            // in the reverse sweep: read it again instead of taping it.
            let p = v.operand(0);
            let unchanged = self.rereads.as_ref().is_some_and(|r| r.safe(v));
            if unchanged {
                return depth > 0 && self.recomputable_operand(loops, v, p, depth - 1);
            }
            return depth > 0 && self.forwarded(loops, v, depth - 1).is_some();
        }
        let cheap = self.cheap(v);
        if !cheap || depth == 0 {
            return false;
        }
        // Recompute from operands that are recomputable, already taped, or
        // — at most one distinct — a leaf (phi, load, call) that will be
        // taped in its place: products and negations of one loaded value
        // then cost one taped value instead of one each.
        self.leaves_to_tape(loops, v, depth).is_some_and(|n| n <= 1)
    }

    /// Split shape, `v` outside loops: a frame field costs a store and a
    /// load (a stack slot in the combined shape costs nothing once
    /// `mem2reg` has run), so cheap `v` is rebuilt from the arguments
    /// (which the reverse function receives too), constants, values the
    /// frame holds anyway and at most one leaf taped in its place: the
    /// addresses of argument fields and their shadows, and products and
    /// negations of one loaded value, take no field of their own.
    fn recomputable_in_frame(&self, loops: &Loops, v: Value) -> bool {
        if self.slots.contains_key(&v) {
            return false;
        }
        if self.rereadable_in_frame(loops, v, RECOMPUTE_DEPTH) {
            return true;
        }
        if !self.cheap(v) {
            return false;
        }
        let mut leaves: Vec<Value> = Vec::new();
        let mut seen: Vec<Value> = Vec::new();
        self.plan_in_frame(loops, v, RECOMPUTE_DEPTH, &mut leaves, &mut seen) && leaves.len() <= 1
    }

    fn plan_in_frame(
        &self,
        loops: &Loops,
        v: Value,
        depth: u32,
        leaves: &mut Vec<Value>,
        seen: &mut Vec<Value>,
    ) -> bool {
        v.operands().into_iter().all(|o| {
            if !o.is_instruction() || seen.contains(&o) || self.slots.contains_key(&o) {
                return true;
            }
            seen.push(o);
            if loops.loop_of(o.parent()).is_some() {
                return false;
            }
            if self.rereadable_in_frame(loops, o, depth - 1) {
                return true;
            }
            if self.cheap(o) && depth > 1 {
                return self.plan_in_frame(loops, o, depth - 1, leaves, seen);
            }
            if o.ty().is_void() {
                return false;
            }
            leaves.push(o);
            true
        })
    }

    /// Split shape, outside loops: a load of memory the caller vouches for
    /// (nothing writes it between the sweeps) from an address the reverse
    /// function rebuilds without taping anything.
    fn rereadable_in_frame(&self, loops: &Loops, v: Value, depth: u32) -> bool {
        if v.opcode() != Opcode::LLVMLoad
            || depth == 0
            || loops.loop_of(v.parent()).is_some()
            || !self.rereads.as_ref().is_some_and(|r| r.safe(v))
        {
            return false;
        }
        let p = v.operand(0);
        if !p.is_instruction() {
            return true;
        }
        if !self.cheap(p) || self.slots.contains_key(&p) || loops.loop_of(p.parent()).is_some() {
            return false;
        }
        let mut leaves: Vec<Value> = Vec::new();
        let mut seen: Vec<Value> = Vec::new();
        self.plan_in_frame(loops, p, depth - 1, &mut leaves, &mut seen) && leaves.is_empty()
    }

    /// How many distinct untaped leaves rebuilding cheap `v` would tape, or
    /// `None` when it cannot be rebuilt.
    fn leaves_to_tape(&self, loops: &Loops, v: Value, depth: u32) -> Option<usize> {
        let mut leaves: Vec<Value> = Vec::new();
        let mut seen: Vec<Value> = Vec::new();
        self.plan(loops, v, depth, &mut leaves, &mut seen)
            .then_some(leaves.len())
    }

    /// Whether the reverse sweep can rebuild `v` from constants, induction
    /// variables, unchanged memory and values it tapes anyway, without
    /// taping anything new for it.
    pub fn recomputable_without_taping(&self, loops: &Loops, v: Value) -> bool {
        if !v.is_instruction() {
            return true;
        }
        if !self.cheap(v) || self.slots.contains_key(&v) {
            return false;
        }
        self.leaves_to_tape(loops, v, RECOMPUTE_DEPTH) == Some(0)
    }

    /// Whether cheap `v` can be rebuilt from its operands, collecting the
    /// untaped leaves that rebuilding it would tape.
    /// `seen` holds the operands already planned (shared subexpressions are
    /// visited once).
    fn plan(
        &self,
        loops: &Loops,
        v: Value,
        depth: u32,
        leaves: &mut Vec<Value>,
        seen: &mut Vec<Value>,
    ) -> bool {
        let my_loop = loops.loop_of(v.parent());
        v.operands().into_iter().all(|o| {
            if !o.is_instruction() || seen.contains(&o) {
                return true;
            }
            seen.push(o);
            match (loops.loop_of(o.parent()), my_loop) {
                // Defined outside every loop, or in an enclosing loop: it is
                // reloaded from there.
                (None, _) => true,
                (Some(l), Some(m)) if l != m && is_ancestor(loops, l, m) => true,
                (Some(l), Some(m)) if l == m => {
                    if self.slots.contains_key(&o) || self.recomputable_leaf(loops, o, depth - 1) {
                        return true;
                    }
                    if self.cheap(o) && depth > 1 {
                        return self.plan(loops, o, depth - 1, leaves, seen);
                    }
                    if matches!(o.opcode(), Opcode::LLVMPHI | Opcode::LLVMLoad) {
                        if !leaves.contains(&o) {
                            leaves.push(o);
                        }
                        return true;
                    }
                    false
                }
                _ => false,
            }
        })
    }

    /// Recomputable without taping anything: constants, induction
    /// variables, loads of unchanged memory.
    fn recomputable_leaf(&self, loops: &Loops, o: Value, depth: u32) -> bool {
        match o.opcode() {
            Opcode::LLVMPHI | Opcode::LLVMLoad => self.recomputable(loops, o, depth),
            _ => false,
        }
    }

    fn recomputable_operand(&self, loops: &Loops, v: Value, o: Value, depth: u32) -> bool {
        if !o.is_instruction() {
            return true;
        }
        let my_loop = loops.loop_of(v.parent());
        match (loops.loop_of(o.parent()), my_loop) {
            (None, _) => true,
            (Some(l), Some(m)) if l != m && is_ancestor(loops, l, m) => true,
            (Some(l), Some(m)) if l == m => self.recomputable(loops, o, depth),
            _ => false,
        }
    }

    /// Which loads read memory nothing overwrites afterwards.
    pub fn set_rereads(&mut self, r: Rereads) {
        self.rereads = Some(r);
    }

    /// Combined shape: the heap allocations whose frees move to the reverse
    /// sweep, with those frees (see `rereads.rs`).
    pub fn deferred_frees(&self) -> HashMap<Value, Vec<Value>> {
        self.rereads
            .as_ref()
            .map(|r| r.deferred.clone())
            .unwrap_or_default()
    }

    /// See [`Tape::paired`].
    pub fn set_paired(&mut self, paired: hashbrown::HashSet<Value>) {
        self.paired = paired;
    }

    fn cheap(&self, v: Value) -> bool {
        is_cheap(v) || self.paired.contains(&v)
    }

    /// Combined shape: whether the reverse sweep may read BLAS operand `p`
    /// of `call` in place (nothing writes it after the call).
    pub fn blas_operand_unchanged(&self, call: Value, p: Value) -> bool {
        self.rereads
            .as_ref()
            .is_some_and(|r| r.blas_operand_unchanged(call, p))
    }

    fn recompute(&mut self, loops: &Loops, b: &Builder, v: Value) -> Value {
        if self.recomputed.insert(v) {
            self.report
                .add(|| format!("  recompute `{}` in the reverse sweep", v.describe()));
        }
        if let Some(sh) = self.shifted(loops, v, RECOMPUTE_DEPTH) {
            return self.recompute_shifted(loops, b, sh);
        }
        if v.opcode() == Opcode::LLVMLoad && !self.rereads.as_ref().is_some_and(|r| r.safe(v)) {
            if let Some(fw) = self.forwarded(loops, v, RECOMPUTE_DEPTH) {
                let mut memo = HashMap::new();
                return self.forward_clone(loops, b, fw, fw.value, &mut memo);
            }
        }
        if let Some(iv) = induction(loops, v) {
            return self.recompute_induction(loops, b, v, iv);
        }
        let ops: Vec<Value> = v
            .operands()
            .into_iter()
            .map(|o| self.reload(loops, b, o))
            .collect();
        let c = v.clone_instruction();
        for (i, o) in ops.into_iter().enumerate() {
            c.set_operand(i, o);
        }
        b.insert(c);
        c
    }

    /// Header phi `v = phi [first, preheader], [w, latch]` of loop `lp`
    /// whose latch value `w` the reverse sweep can rebuild one iteration
    /// late without taping anything: `w` is computed from values outside
    /// `lp`, loads of memory nothing overwrites afterwards, cheap
    /// arithmetic, and latch values of `lp`'s induction phis (at most
    /// `depth` levels). Then on iteration `k > 0`, `v` is `w` of iteration
    /// `k - 1`, which is `w`'s expression with every such latch value
    /// replaced by its phi on iteration `k` (the latch edge carries one
    /// into the other): loop rotation's `p0 = rowptr[i]` carried from the
    /// previous iteration's `rowptr[i + 1]` is read again as `rowptr[i]`
    /// instead of taped.
    fn shifted(&self, loops: &Loops, v: Value, depth: u32) -> Option<Shifted> {
        if v.opcode() != Opcode::LLVMPHI || self.rereads.is_none() {
            return None;
        }
        let lp = loops.loop_of(v.parent())?;
        if loops.get(lp).header != v.parent() {
            return None;
        }
        let incoming = v.incoming();
        if incoming.len() != 2 {
            return None;
        }
        let (first, preheader) = *incoming.iter().find(|(_, b)| !loops.contains(lp, *b))?;
        let (prev, _) = *incoming.iter().find(|(_, b)| loops.contains(lp, *b))?;
        if first.is_instruction() && loops.contains(lp, first.parent()) {
            return None;
        }
        // Only a value of the loop itself: a loop-invariant latch value is
        // left to the other forms (it is no cheaper here).
        if !prev.is_instruction() || loops.loop_of(prev.parent()) != Some(lp) {
            return None;
        }
        let mut seen = Vec::new();
        self.shiftable(loops, lp, v, prev, depth, &mut seen)
            .then_some(Shifted {
                phi: v,
                lp,
                preheader,
                first,
                prev,
            })
    }

    /// See [`Tape::shifted`]: whether `e` (an operand of the latch value of
    /// phi `v`) can be rebuilt one iteration late.
    fn shiftable(
        &self,
        loops: &Loops,
        lp: LoopId,
        v: Value,
        e: Value,
        depth: u32,
        seen: &mut Vec<Value>,
    ) -> bool {
        if !e.is_instruction() || seen.contains(&e) {
            return true;
        }
        match loops.loop_of(e.parent()) {
            None => return true,
            Some(l) if l != lp => return is_ancestor(loops, l, lp),
            _ => {}
        }
        if counted_latch_phi(loops, lp, v, e).is_some() || affine_step(loops, lp, v, e).is_some() {
            return true;
        }
        if depth == 0 || e.opcode() == Opcode::LLVMPHI {
            return false;
        }
        let ok = match e.opcode() {
            Opcode::LLVMLoad => self.rereads.as_ref().is_some_and(|r| r.safe(e)),
            _ => is_cheap(e),
        };
        if !ok {
            return false;
        }
        seen.push(e);
        e.operands()
            .into_iter()
            .all(|o| self.shiftable(loops, lp, v, o, depth - 1, seen))
    }

    /// `first` on the first iteration, else the latch value rebuilt one
    /// iteration late (see [`Tape::shifted`]).
    fn recompute_shifted(&mut self, loops: &Loops, b: &Builder, sh: Shifted) -> Value {
        let k = self.iteration(loops, b, sh.lp, sh.preheader);
        let i64t = self.i64();
        let is_first = b.icmp(IntPredicate::LLVMIntEQ, k, b.const_int(i64t, 0));
        let first = self.reload(loops, b, sh.first);
        let mut memo = HashMap::new();
        let later = self.shift_clone(loops, b, sh, sh.prev, &mut memo);
        b.select(is_first, first, later)
    }

    fn shift_clone(
        &mut self,
        loops: &Loops,
        b: &Builder,
        sh: Shifted,
        e: Value,
        memo: &mut HashMap<Value, Value>,
    ) -> Value {
        let lp = sh.lp;
        if !e.is_instruction() || loops.loop_of(e.parent()) != Some(lp) {
            return self.reload(loops, b, e);
        }
        let v = sh.phi;
        if let Some(u) = counted_latch_phi(loops, lp, v, e) {
            return self.reload(loops, b, u);
        }
        if let Some(step) = affine_step(loops, lp, v, e) {
            // an affine induction one iteration earlier: e - step
            let now = self.reload(loops, b, e);
            return b.sub_int(now, b.const_int(e.ty(), step));
        }
        if let Some(c) = memo.get(&e) {
            return *c;
        }
        let ops: Vec<Value> = e
            .operands()
            .into_iter()
            .map(|o| self.shift_clone(loops, b, sh, o, memo))
            .collect();
        let c = e.clone_instruction();
        for (i, o) in ops.into_iter().enumerate() {
            c.set_operand(i, o);
        }
        b.insert(c);
        memo.insert(e, c);
        c
    }

    /// See [`Tape::forwarded`].
    pub fn set_dominators(&mut self, idom: HashMap<Block, Block>) {
        self.idom = Some(idom);
    }

    /// Load `l = base[i]` in loop `L` whose value was stored in the same
    /// iteration of the enclosing loop by a sibling loop `L0` that runs
    /// before it, `base[j] = value` on every one of its iterations, and
    /// whose `value` the reverse sweep can rebuild with `j` replaced by `i`
    /// (cheap arithmetic, loads of memory nothing overwrites, values from
    /// outside `L0`): a scratch buffer filled and then read back in every
    /// iteration of an outer loop, such as GMM's `xc[d] = x[d] - mean[d]`
    /// read by two later loops, costs no tape. The conditions, all
    /// checked: the same base pointer and element type, `i` and `j` affine
    /// with step 1 and the same start, both loops leave only through their
    /// latch when `i + 1` (`j + 1`) equals the same loop-invariant bound
    /// (so `L0` wrote every element `L` reads), the store is in `L0`'s latch
    /// block, `L0`'s header dominates `L`'s, and no other write that may
    /// touch the buffer is inside the enclosing loop (combined shape only).
    fn forwarded(&self, loops: &Loops, l: Value, depth: u32) -> Option<Forwarded> {
        let idom = self.idom.as_ref()?;
        let rereads = self.rereads.as_ref()?;
        let lp = loops.loop_of(l.parent())?;
        let parent = loops.get(lp).parent?;
        let (base, i) = indexed(l.operand(0))?;
        let (start, n) = counted_loop(loops, lp, i)?;
        let elem = l.operand(0).gep_source_element_type();
        for s in base.users() {
            let Some(ptr) = s
                .is_instruction()
                .then_some(s)
                .filter(|g| g.opcode() == Opcode::LLVMGetElementPtr)
            else {
                continue;
            };
            if ptr.gep_source_element_type() != elem || indexed(ptr).map(|(b, _)| b) != Some(base) {
                continue;
            }
            let (_, j) = indexed(ptr)?;
            for st in ptr.users() {
                if !st.is_instruction() || st.opcode() != Opcode::LLVMStore || st.operand(1) != ptr
                {
                    continue;
                }
                let Some(l0) = loops.loop_of(st.parent()) else {
                    continue;
                };
                let sib = l0 != lp && loops.get(l0).parent == Some(parent);
                let latch = loops.get(l0).latches.as_slice() == [st.parent()];
                if !sib || !latch || st.operand(0).ty() != l.ty() || j.ty() != i.ty() {
                    continue;
                }
                let Some((start0, n0)) = counted_loop(loops, l0, j) else {
                    continue;
                };
                let same_start = start0 == start
                    || (start0.const_int().is_some() && start0.const_int() == start.const_int());
                if !same_start || n0 != n {
                    continue;
                }
                if !crate::cfg::loops::dominates(idom, loops.get(l0).header, loops.get(lp).header) {
                    continue;
                }
                let inside = |blk: Block| loops.contains(parent, blk);
                if !rereads.sole_writer_within(st, l.operand(0), &inside) {
                    continue;
                }
                let fw = Forwarded {
                    l0,
                    j,
                    i,
                    value: st.operand(0),
                };
                let mut seen = Vec::new();
                if self.forwardable(loops, fw, fw.value, depth, &mut seen) {
                    return Some(fw);
                }
            }
        }
        None
    }

    fn forwardable(
        &self,
        loops: &Loops,
        fw: Forwarded,
        e: Value,
        depth: u32,
        seen: &mut Vec<Value>,
    ) -> bool {
        if !e.is_instruction() || seen.contains(&e) || e == fw.j {
            return true;
        }
        match loops.loop_of(e.parent()) {
            Some(l) if l == fw.l0 => {}
            // in a loop enclosing L0: the same iteration of it as at the
            // load (it dominates L0's store, so L0's header, so the load)
            Some(l) => return is_ancestor(loops, l, fw.l0),
            None => return true,
        }
        if depth == 0 {
            return false;
        }
        let ok = match e.opcode() {
            Opcode::LLVMLoad => self.rereads.as_ref().is_some_and(|r| r.safe(e)),
            Opcode::LLVMPHI => false,
            _ => is_cheap(e),
        };
        if !ok {
            return false;
        }
        seen.push(e);
        e.operands()
            .into_iter()
            .all(|o| self.forwardable(loops, fw, o, depth - 1, seen))
    }

    fn forward_clone(
        &mut self,
        loops: &Loops,
        b: &Builder,
        fw: Forwarded,
        e: Value,
        memo: &mut HashMap<Value, Value>,
    ) -> Value {
        if e == fw.j {
            return self.reload(loops, b, fw.i);
        }
        if !e.is_instruction() || loops.loop_of(e.parent()) != Some(fw.l0) {
            return self.reload(loops, b, e);
        }
        if let Some(c) = memo.get(&e) {
            return *c;
        }
        let ops: Vec<Value> = e
            .operands()
            .into_iter()
            .map(|o| self.forward_clone(loops, b, fw, o, memo))
            .collect();
        let c = e.clone_instruction();
        for (k, o) in ops.into_iter().enumerate() {
            c.set_operand(k, o);
        }
        b.insert(c);
        memo.insert(e, c);
        c
    }

    fn loop_counter_fwd(&mut self, loops: &Loops, lp: LoopId) -> Value {
        self.loop_tape(loops, lp).cnt_fwd
    }

    /// The iteration number (from 0) of the loop instance the reverse sweep
    /// is in: its counter index minus the counter's value when the instance
    /// was entered (read in the preheader, cached like any value there).
    fn iteration(&mut self, loops: &Loops, b: &Builder, lp: LoopId, preheader: Block) -> Value {
        let i64t = self.i64();
        let cnt_fwd = self.loop_counter_fwd(loops, lp);
        let local = match self.bases.get(&lp) {
            Some(&(_, local)) => local,
            None => {
                let term = preheader.terminator().expect("preheader terminator");
                let pb = Builder::new(self.module);
                pb.before(term);
                let base = pb.load(i64t, cnt_fwd);
                let local = self.reverse_local(i64t, "rev.base");
                self.bases.insert(lp, (base, local));
                local
            }
        };
        let ridx = self.loops[&lp].ridx;
        let r = b.load(i64t, ridx.rev);
        b.sub_int(r, b.load(i64t, local))
    }

    /// Records that the reverse sweep enters a new instance of `lp` just
    /// before `at` (a terminator it emitted).
    pub fn note_instance_entry(&mut self, lp: LoopId, at: Value) {
        self.instance_entries.push((lp, at));
    }

    /// Reads each loop instance's base once, where the reverse sweep enters
    /// the instance, instead of in every reverse iteration: a read of the
    /// tape inside the reverse loop would have to be repeated after every
    /// store of an adjoint (they might alias), which keeps the loop scalar.
    pub fn install_instance_bases(&mut self, loops: &Loops) {
        let entries = std::mem::take(&mut self.instance_entries);
        for (lp, at) in entries {
            let Some(&(base, local)) = self.bases.get(&lp) else {
                continue;
            };
            let b = Builder::new(self.module);
            b.before(at);
            let v = self.reload(loops, &b, base);
            b.store(v, local);
        }
    }

    fn recompute_induction(
        &mut self,
        loops: &Loops,
        b: &Builder,
        v: Value,
        iv: Induction,
    ) -> Value {
        match iv {
            Induction::FirstOrRest {
                lp,
                preheader,
                first,
                rest,
            } => {
                let k = self.iteration(loops, b, lp, preheader);
                let is_first = b.icmp(IntPredicate::LLVMIntEQ, k, b.const_int(self.i64(), 0));
                b.select(is_first, first, rest)
            }
            Induction::Affine {
                lp,
                preheader,
                start,
                step,
            } => {
                let k = self.iteration(loops, b, lp, preheader);
                let ty = v.ty();
                let k = b.int_cast(k, ty, false);
                let start = self.reload(loops, b, start);
                b.add_int(start, b.mul_int(k, b.const_int(ty, step)))
            }
            Induction::Carried {
                lp,
                preheader,
                first,
                prev,
            } => {
                let k = self.iteration(loops, b, lp, preheader);
                let i64t = self.i64();
                let is_first = b.icmp(IntPredicate::LLVMIntEQ, k, b.const_int(i64t, 0));
                if !self.slots.contains_key(&prev) {
                    self.create_slot(loops, prev, Some(lp));
                }
                let Slot::Buffer { off, ty, .. } = self.slots[&prev] else {
                    unreachable!("a value of a loop is taped in the loop's rows");
                };
                // Row r - 1 holds the previous iteration (row r itself on
                // the first iteration, whose value is not used).
                let earlier = self.read_row(b, lp, off, ty, |b, r| {
                    b.select(is_first, r, b.sub_int(r, b.const_int(i64t, 1)))
                });
                let first = self.reload(loops, b, first);
                b.select(is_first, first, earlier)
            }
        }
    }

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
                let arr = Type::array(Type::int(self.module.context(), 64), rows * stride / 8);
                let local = fe.alloca(arr, "tape.local");
                fe.store(local, buf.fwd);
                fe.store(fe.const_int(i64t, rows as i64), lt.cap.fwd);
                let on_heap = b.icmp(IntPredicate::LLVMIntNE, p, local);
                b.call_fn(free, &[b.select(on_heap, p, b.zero(ptr_ty))]);
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
        if let Some((_, _, malloc)) = self.frame.split {
            let size = self.frame_layout().size;
            malloc.set_operand(0, b.const_int(i64t, size as i64));
        }
    }

    /// Split mode, reverse function: whether the augmented function
    /// allocated the frame on the heap (then the reverse function frees it
    /// with [`Tape::free_frame`]).
    pub fn frame_owned(&self, b: &Builder) -> Option<Value> {
        let (_, rev_base, _) = self.frame.split?;
        let i8t = Type::int(self.module.context(), 8);
        let owned = b.load(i8t, b.gep_i8(rev_base, OWNED_OFFSET));
        Some(b.icmp(IntPredicate::LLVMIntNE, owned, b.const_int(i8t, 0)))
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
    /// [`OWNED_OFFSET`] records which.
    pub fn install_frame_choice(&self) {
        let (Some((malloc, _, _)), Some(storage)) = (self.frame.split, self.frame.storage) else {
            return;
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
        malloc.erase();
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
                let base = b.load(Type::ptr(self.module.context()), buf.rev);
                let (at, stride) = row_field(b, base, r, off);
                if let Some(lt) = self.loops.get_mut(&lp) {
                    lt.strides.push(stride);
                }
                at
            }
        }
    }

    /// The tape cache's `(realloc, free)` replacements for row buffers, on
    /// targets that have them and unless turned off.
    fn cache_helpers(&self) -> Option<(Value, Value)> {
        if !self.tape_cache {
            return None;
        }
        tape_cache_helpers(self.module)
    }

    fn free_fn(&self) -> Value {
        let ptr_ty = Type::ptr(self.module.context());
        declare(
            self.module,
            "free",
            Type::void(self.module.context()),
            &[ptr_ty],
        )
    }

    fn loop_order(&self) -> Vec<LoopId> {
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
        let order: Vec<LoopId> = self
            .loop_order()
            .into_iter()
            .filter(|lp| self.loops[lp].buf.is_some())
            .collect();
        if order.is_empty() {
            return;
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
                        // loop; the check at the loop's own entry then
                        // never grows
                        self.reserve_at(&g, lp, nest_pre, rows);
                        self.report.add(|| format!(
                            "  {}: tape rows for the whole loop nest reserved before it (at most {} rows)",
                            describe_loop(loops, lp),
                            rows.describe().trim()
                        ));
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
    }

    /// At the end of `block`: `need = cnt + rows; if (need > cap) grow`.
    fn reserve_at(&self, g: &Builder, lp: LoopId, block: Block, rows: Value) {
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
    fn grow_if(&self, g: &Builder, lp: LoopId, full: Value, need: Value) {
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
        let rows: hashbrown::HashSet<Value> = self.row_ops.borrow().iter().copied().collect();
        if rows.is_empty() {
            return;
        }
        for f in fns {
            for i in f.instructions() {
                let memory = match i.opcode() {
                    Opcode::LLVMLoad | Opcode::LLVMStore => true,
                    Opcode::LLVMCall => i.called_function().is_some_and(|c| {
                        let n = c.name();
                        n.starts_with("llvm.memcpy")
                            || n.starts_with("llvm.memmove")
                            || n.starts_with("llvm.memset")
                    }),
                    _ => false,
                };
                if memory {
                    i.set_alias_scope(SCOPE, rows.contains(&i));
                }
            }
        }
    }

    /// `*slot = realloc(*slot, new_cap * stride)` (malloc, move and free on
    /// GPUs, whose device runtime has no realloc).
    fn reallocate(
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
            let moved = g.memmove(new, old, g.mul_int(cap, size));
            self.row_ops.borrow_mut().push(moved);
            // The local first rows are not the heap's to free.
            let old = match local {
                Some(l) => {
                    let on_heap = g.icmp(IntPredicate::LLVMIntNE, old, l);
                    g.select(on_heap, old, g.zero(ptr_ty))
                }
                None => old,
            };
            g.call_fn(self.free_fn(), &[old]);
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

/// Row buffers kept by one thread for its next gradient (see
/// [`tape_cache_helpers`]).
const TAPE_CACHE_SLOTS: usize = 2;

/// Blocks larger than this are freed, never kept.
const TAPE_CACHE_MAX_BYTES: i64 = 1 << 31;

/// `ptr ferment.tape.take(ptr old, i64 bytes)` and `void
/// ferment.tape.release(ptr p)`: row buffers of [`HUGE_TAPE_BYTES`] or more
/// outlive the gradient that used them, in a few per-thread slots, and the
/// next gradient of the thread starts its buffers there. glibc serves such
/// buffers with a fresh `mmap` on every call, and the kernel clears every
/// page the forward sweep then touches: on csr_jacobi (94 MiB of tape) that
/// was a fifth of the gradient's time, and a hand-written adjoint whose
/// buffers stay below glibc's mmap threshold never pays it. `take(null, n)`
/// hands out a kept block of at least `n` bytes (else `realloc`); `take`
/// of a buffer is `realloc`. `release` keeps a large block in a free slot
/// (else frees it). Kept blocks stay allocated until the thread reuses
/// them (at most [`TAPE_CACHE_SLOTS`] of at most [`TAPE_CACHE_MAX_BYTES`]).
/// Only for Linux targets (`malloc_usable_size`); `None` elsewhere.
pub fn tape_cache_helpers(module: Module) -> Option<(Value, Value)> {
    const TAKE: &str = "ferment.tape.take";
    const RELEASE: &str = "ferment.tape.release";
    if let (Some(t), Some(r)) = (module.function(TAKE), module.function(RELEASE)) {
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
    let slots: Vec<(Value, Value)> = (0..TAPE_CACHE_SLOTS)
        .map(|k| {
            let p = module.add_zeroed_global(&format!("ferment.tape.cache.{k}"), ptr);
            let n = module.add_zeroed_global(&format!("ferment.tape.cache.{k}.bytes"), i64t);
            for g in [p, n] {
                unsafe { llvm_sys::core::LLVMSetThreadLocal(g.0, 1) };
            }
            (p, n)
        })
        .collect();
    let b = Builder::new(module);
    let realloc = declare(module, "realloc", ptr, &[ptr, i64t]);
    let free = declare(module, "free", Type::void(ctx), &[ptr]);
    let usable = declare(module, "malloc_usable_size", i64t, &[ptr]);

    // take(old, bytes): a kept block when old is null and one is big enough.
    let take = module.add_function(TAKE, Type::function(ptr, &[ptr, i64t], false));
    take.set_internal();
    let (old, bytes) = (take.params()[0], take.params()[1]);
    let entry = take.append_block("entry");
    let fallback = take.append_block("realloc");
    b.at_end(entry);
    let fresh = b.icmp(IntPredicate::LLVMIntEQ, old, b.zero(ptr));
    let mut at = entry;
    for (k, &(slot, size)) in slots.iter().enumerate() {
        let check = take.append_block(&format!("slot.{k}"));
        let hit = take.append_block(&format!("hit.{k}"));
        b.at_end(at);
        if k == 0 {
            b.cond_br(fresh, check, fallback);
        } else {
            b.br(check);
        }
        b.at_end(check);
        let have = b.load(i64t, size);
        let fits = b.icmp(IntPredicate::LLVMIntUGE, have, bytes);
        let next = take.append_block(&format!("miss.{k}"));
        b.cond_br(fits, hit, next);
        b.at_end(hit);
        let p = b.load(ptr, slot);
        b.store(b.zero(ptr), slot);
        b.store(b.const_int(i64t, 0), size);
        b.ret(p);
        at = next;
    }
    b.at_end(at);
    b.br(fallback);
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

    // release(p): keep a large block in a free slot, else free it.
    let release = module.add_function(RELEASE, Type::function(Type::void(ctx), &[ptr], false));
    release.set_internal();
    let p = release.params()[0];
    let entry = release.append_block("entry");
    let sized = release.append_block("sized");
    let drop = release.append_block("free");
    let done = release.append_block("done");
    b.at_end(entry);
    let null = b.icmp(IntPredicate::LLVMIntEQ, p, b.zero(ptr));
    b.cond_br(null, done, sized);
    b.at_end(sized);
    let n = b.call_fn(usable, &[p]);
    let big = b.icmp(
        IntPredicate::LLVMIntSGE,
        n,
        b.const_int(i64t, HUGE_TAPE_BYTES),
    );
    let small_enough = b.icmp(
        IntPredicate::LLVMIntSLE,
        n,
        b.const_int(i64t, TAPE_CACHE_MAX_BYTES),
    );
    let keep = b.and_int(big, small_enough);
    let mut at = release.append_block("slot.0");
    b.cond_br(keep, at, drop);
    for (k, &(slot, size)) in slots.iter().enumerate() {
        b.at_end(at);
        let cur = b.load(ptr, slot);
        let empty = b.icmp(IntPredicate::LLVMIntEQ, cur, b.zero(ptr));
        let put = release.append_block(&format!("put.{k}"));
        let next = if k + 1 < slots.len() {
            release.append_block(&format!("slot.{}", k + 1))
        } else {
            drop
        };
        b.cond_br(empty, put, next);
        b.at_end(put);
        b.store(p, slot);
        b.store(n, size);
        b.br(done);
        at = next;
    }
    b.at_end(drop);
    b.call_fn(free, &[p]);
    b.br(done);
    b.at_end(done);
    b.ret_void();
    Some((take, release))
}

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
fn huge_page_helper(module: Module) -> Option<Value> {
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

impl LoopTape {
    /// Bytes per row (8-byte aligned; no field is more than 8-aligned): a
    /// power of two up to 64, then whole 32-byte units. A
    /// vectorized loop reads its rows as an interleaved group of `stride / 8`
    /// members, which de-interleaves cheaply for powers of two (three
    /// doubles per row read back as 24-byte rows cost gmm's reverse sweep
    /// twice the time of 32-byte rows).
    fn stride(&self) -> u64 {
        let bytes = self.row.div_ceil(8).max(1) * 8;
        if bytes <= 64 {
            bytes.next_power_of_two()
        } else {
            bytes.div_ceil(32) * 32
        }
    }
}

/// A header phi rebuilt from its latch value one iteration late
/// ([`Tape::shifted`]).
#[derive(Clone, Copy)]
struct Shifted {
    phi: Value,
    lp: LoopId,
    preheader: Block,
    first: Value,
    prev: Value,
}

/// A header phi of `lp` other than `v` that is an integer induction
/// (rebuilding it never needs a shifted phi) and takes `e` on the latch
/// edge: on iteration `k > 0` it holds `e` of iteration `k - 1`.
fn counted_latch_phi(loops: &Loops, lp: LoopId, v: Value, e: Value) -> Option<Value> {
    let header = loops.get(lp).header;
    e.users().into_iter().find(|&u| {
        u != v
            && u.is_instruction()
            && u.opcode() == Opcode::LLVMPHI
            && u.parent() == header
            && u.incoming()
                .iter()
                .any(|(x, blk)| *x == e && loops.contains(lp, *blk))
            && matches!(
                induction(loops, u),
                Some(Induction::Affine { .. } | Induction::FirstOrRest { .. })
            )
    })
}

/// A load forwarded from a sibling loop's store ([`Tape::forwarded`]).
#[derive(Clone, Copy)]
struct Forwarded {
    /// the loop of the store and its induction phi
    l0: LoopId,
    j: Value,
    /// the load's induction phi
    i: Value,
    /// the stored value
    value: Value,
}

/// `(base, idx)` for `getelementptr T, base, idx` (one index).
fn indexed(p: Value) -> Option<(Value, Value)> {
    (p.is_instruction() && p.opcode() == Opcode::LLVMGetElementPtr && p.operands().len() == 2)
        .then(|| (p.operand(0), p.operand(1)))
}

/// For induction phi `iv` of `lp`: `(start, n)` when `iv` is affine with
/// step 1 and `lp` leaves only through its single latch, exactly when
/// `iv + 1 == n` for a loop-invariant `n` (so it runs `iv = start ..
/// n - 1`).
fn counted_loop(loops: &Loops, lp: LoopId, iv: Value) -> Option<(Value, Value)> {
    if !iv.is_instruction() || iv.opcode() != Opcode::LLVMPHI || loops.get(lp).header != iv.parent()
    {
        return None;
    }
    let Some(Induction::Affine {
        lp: l,
        start,
        step: 1,
        ..
    }) = induction(loops, iv)
    else {
        return None;
    };
    if l != lp {
        return None;
    }
    let lo = loops.get(lp);
    let [latch] = lo.latches.as_slice() else {
        return None;
    };
    let exiting = lo
        .blocks
        .iter()
        .filter(|b| b.successors().iter().any(|s| !loops.contains(lp, *s)))
        .count();
    if exiting != 1 {
        return None;
    }
    let br = latch.terminator()?;
    if br.opcode() != Opcode::LLVMBr || br.operands().len() != 3 {
        return None;
    }
    let cond = br.operand(0);
    if !cond.is_instruction() || cond.opcode() != Opcode::LLVMICmp {
        return None;
    }
    let next = iv
        .incoming()
        .into_iter()
        .find(|(_, b)| loops.contains(lp, *b))
        .map(|(x, _)| x)?;
    let (a, c) = (cond.operand(0), cond.operand(1));
    let n = if a == next {
        c
    } else if c == next {
        a
    } else {
        return None;
    };
    if n.is_instruction() && loops.contains(lp, n.parent()) {
        return None;
    }
    // the successor taken when the compare holds must leave the loop
    let succ = latch.successors();
    let exit_on_true = match cond.icmp_predicate() {
        Some(IntPredicate::LLVMIntEQ) => true,
        Some(IntPredicate::LLVMIntNE) => false,
        _ => return None,
    };
    let (t, f) = (succ.first()?, succ.get(1)?);
    let (out, back) = if exit_on_true { (t, f) } else { (f, t) };
    (!loops.contains(lp, *out) && *back == lo.header).then_some((start, n))
}

/// The step of `e` when `e` is an affine induction phi of `lp` other than
/// `v` (its value one iteration earlier is `e - step`).
fn affine_step(loops: &Loops, lp: LoopId, v: Value, e: Value) -> Option<i64> {
    if e == v || e.opcode() != Opcode::LLVMPHI || loops.get(lp).header != e.parent() {
        return None;
    }
    match induction(loops, e) {
        Some(Induction::Affine { lp: l, step, .. }) if l == lp => Some(step),
        _ => None,
    }
}

/// A header phi whose value follows from the iteration number.
#[derive(Clone, Copy)]
enum Induction {
    /// `phi [a, preheader], [b, latch]` of constants (e.g. which edge was
    /// taken): `a` on the first iteration, `b` after.
    FirstOrRest {
        lp: LoopId,
        preheader: Block,
        first: Value,
        rest: Value,
    },
    /// `i = phi [start, preheader], [i + step, latch]` with a constant step.
    Affine {
        lp: LoopId,
        preheader: Block,
        start: Value,
        step: i64,
    },
    /// `phi [first, preheader], [w, latch]` where `w` is a load or call of
    /// the loop itself (a value carried to the next iteration, as loop
    /// rotation leaves `x[i]` after reading `x[i + 1]`): `first` on the
    /// first iteration, else `w`'s tape field in the previous row.
    Carried {
        lp: LoopId,
        preheader: Block,
        first: Value,
        prev: Value,
    },
}

fn induction(loops: &Loops, v: Value) -> Option<Induction> {
    if !v.is_instruction() || v.opcode() != Opcode::LLVMPHI {
        return None;
    }
    let lp = loops.loop_of(v.parent())?;
    if loops.get(lp).header != v.parent() {
        return None;
    }
    let incoming = v.incoming();
    if incoming.len() != 2 {
        return None;
    }
    if !v.ty().is_integer() {
        return carried(loops, lp, v, &incoming);
    }
    let outside: Vec<&(Value, Block)> = incoming
        .iter()
        .filter(|(_, b)| !loops.contains(lp, *b))
        .collect();
    let inside: Vec<&(Value, Block)> = incoming
        .iter()
        .filter(|(_, b)| loops.contains(lp, *b))
        .collect();
    let (&(start, preheader), &(next, _)) = (*outside.first()?, *inside.first()?);
    if start.const_int().is_some() && next.const_int().is_some() {
        return Some(Induction::FirstOrRest {
            lp,
            preheader,
            first: start,
            rest: next,
        });
    }
    // The start must be available outside the loop.
    if start.is_instruction() && loops.contains(lp, start.parent()) {
        return None;
    }
    if next.is_instruction() && matches!(next.opcode(), Opcode::LLVMAdd | Opcode::LLVMSub) {
        let (a, c) = (next.operand(0), next.operand(1));
        let step = if a == v {
            c.const_int()
        } else if c == v && next.opcode() == Opcode::LLVMAdd {
            a.const_int()
        } else {
            None
        }?;
        let step = if next.opcode() == Opcode::LLVMSub {
            step.checked_neg()?
        } else {
            step
        };
        return Some(Induction::Affine {
            lp,
            preheader,
            start,
            step,
        });
    }
    None
}

/// [`Induction::Carried`] for header phi `v` of `lp`.
fn carried(loops: &Loops, lp: LoopId, v: Value, incoming: &[(Value, Block)]) -> Option<Induction> {
    let (first, preheader) = *incoming.iter().find(|(_, b)| !loops.contains(lp, *b))?;
    let (prev, _) = *incoming.iter().find(|(_, b)| loops.contains(lp, *b))?;
    let first_outside = !first.is_instruction() || !loops.contains(lp, first.parent());
    let prev_here = prev.is_instruction()
        && prev != v
        && loops.loop_of(prev.parent()) == Some(lp)
        && matches!(prev.opcode(), Opcode::LLVMLoad | Opcode::LLVMCall)
        && prev.ty() == v.ty();
    (first_outside && prev_here).then_some(Induction::Carried {
        lp,
        preheader,
        first,
        prev,
    })
}

/// "the loop at file:line" (or its header block's name) and its depth.
fn describe_loop(loops: &Loops, lp: LoopId) -> String {
    let l = loops.get(lp);
    let at = l
        .header
        .instructions()
        .into_iter()
        .find_map(|i| i.source_location())
        .unwrap_or_else(|| format!("block '{}'", l.header.name()));
    format!("the loop at {at} (depth {})", l.depth)
}

fn is_ancestor(loops: &Loops, outer: LoopId, mut inner: LoopId) -> bool {
    loop {
        if inner == outer {
            return true;
        }
        match loops.get(inner).parent {
            Some(p) => inner = p,
            None => return false,
        }
    }
}

/// The lines of the tape report (`-ferment-print-tape`): built only when
/// the report is asked for (printing an instruction walks the module's
/// metadata, which is slow with debug information).
#[derive(Default)]
pub struct Report {
    pub on: bool,
    pub lines: Vec<String>,
}

impl Report {
    pub fn add(&mut self, line: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(line());
        }
    }
}

/// The module's declaration of a C library function (added when missing).
pub fn declare(module: Module, name: &str, ret: Type, params: &[Type]) -> Value {
    module
        .function(name)
        .unwrap_or_else(|| module.add_function(name, Type::function(ret, params, false)))
}

/// Emits, at `b`'s position, a run-time stop: `message` written to standard
/// error (kept in the private string global `global`), then `abort()`.
/// The caller ends the block (`unreachable`) where nothing follows.
pub fn emit_stop(b: &Builder, global: &str, message: &str) {
    let module = b.module();
    let ctx = module.context();
    let (i32t, i64t) = (Type::int(ctx, 32), Type::int(ctx, 64));
    let text = module
        .global(global)
        .unwrap_or_else(|| module.add_string_constant(global, message));
    let write = declare(module, "write", i64t, &[i32t, Type::ptr(ctx), i64t]);
    b.call_fn(
        write,
        &[
            b.const_int(i32t, 2),
            text,
            b.const_int(i64t, message.len() as i64),
        ],
    );
    b.call_fn(declare(module, "abort", Type::void(ctx), &[]), &[]);
}
