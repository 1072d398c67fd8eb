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
//!   Buffers of one loop share one capacity, doubled in the header when
//!   full, and are freed at the end of the reverse sweep.
//! - Cheap pure values (integer and float arithmetic, casts, compares) whose
//!   operands are available in the reverse sweep are recomputed instead of
//!   cached.

use crate::cfg::loops::{LoopId, Loops};
use crate::shim;
use ferment_ir::{Block, Builder, IntPredicate, Module, Opcode, Type, Value};
use hashbrown::HashMap;

enum Slot {
    /// Stack slot (value outside loops).
    Scalar(Value),
    /// Heap buffer of `ty` indexed by the loop's counter; the pointer lives
    /// in the stack slot `ptr`.
    Buffer { lp: LoopId, ptr: Value, ty: Type },
}

/// Per-loop counters.
struct LoopTape {
    /// Executions of the header so far (forward), remaining (reverse).
    cnt: Value,
    /// Index of the iteration the reverse sweep is in.
    ridx: Value,
    /// Capacity of this loop's buffers, in elements.
    cap: Value,
    /// Index of the current iteration in the forward sweep.
    idx: Value,
    /// Last instruction of the header's counter prologue.
    prologue_end: Value,
    buffers: Vec<(Value, Type)>,
}

pub struct Tape {
    module: Module,
    slots: HashMap<Value, Slot>,
    loops: HashMap<LoopId, LoopTape>,
    /// Places slot allocations at the top of the entry block.
    entry: Builder,
    /// Inserts stores after definitions.
    saver: Builder,
    /// Bytes of tape per loop iteration, for `-ferment-print-tape`.
    pub report: Vec<String>,
}

/// How many operand levels a recomputation may reach through.
const RECOMPUTE_DEPTH: u32 = 4;

impl Tape {
    pub fn new(module: Module, entry: Block) -> Tape {
        let eb = Builder::new(module);
        match entry.first_instruction() {
            Some(i) => eb.before(i),
            None => eb.at_end(entry),
        }
        Tape {
            module,
            slots: HashMap::new(),
            loops: HashMap::new(),
            entry: eb,
            saver: Builder::new(module),
            report: Vec::new(),
        }
    }

    fn i64(&self) -> Type {
        self.entry.i64()
    }

    fn entry_slot(&self, ty: Type, name: &str, init: Value) -> Value {
        let s = self.entry.alloca(ty, name);
        self.entry.store(init, s);
        s
    }

    /// Counters of loop `lp`, created on first use (the forward prologue
    /// goes at the top of the header, after its phis).
    fn loop_tape(&mut self, loops: &Loops, lp: LoopId) -> &LoopTape {
        if !self.loops.contains_key(&lp) {
            let i64t = self.i64();
            let zero = self.entry.const_int(i64t, 0);
            let cnt = self.entry_slot(i64t, "tape.cnt", zero);
            let ridx = self.entry_slot(i64t, "tape.ridx", zero);
            let cap = self.entry_slot(i64t, "tape.cap", zero);
            let header = loops.get(lp).header;
            let b = &self.saver;
            match header.first_non_phi() {
                Some(i) => b.before(i),
                None => b.at_end(header),
            }
            let idx = b.load(i64t, cnt);
            let next = b.add_int(idx, b.const_int(i64t, 1));
            let prologue_end = b.store(next, cnt);
            self.loops.insert(
                lp,
                LoopTape {
                    cnt,
                    ridx,
                    cap,
                    idx,
                    prologue_end,
                    buffers: Vec::new(),
                },
            );
        }
        &self.loops[&lp]
    }

    /// Reverse sweep: moves to the previous iteration of `lp` (at `b`).
    pub fn enter_iteration(&mut self, loops: &Loops, b: &Builder, lp: LoopId) {
        let i64t = self.i64();
        let lt = self.loop_tape(loops, lp);
        let c = b.load(i64t, lt.cnt);
        let c1 = b.sub_int(c, b.const_int(i64t, 1));
        b.store(c1, lt.cnt);
        b.store(c1, lt.ridx);
    }

    /// `v` as seen at `b`'s insertion point in the reverse sweep.
    pub fn reload(&mut self, loops: &Loops, b: &Builder, v: Value) -> Value {
        if !v.is_instruction() {
            return v;
        }
        let lp = loops.loop_of(v.parent());
        if lp.is_some() && self.recomputable(loops, v, RECOMPUTE_DEPTH) {
            return self.recompute(loops, b, v);
        }
        if !self.slots.contains_key(&v) {
            self.create_slot(loops, v, lp);
        }
        match &self.slots[&v] {
            Slot::Scalar(s) => b.load(v.ty(), *s),
            Slot::Buffer { lp, ptr, ty } => {
                let (lp, ptr, ty) = (*lp, *ptr, *ty);
                let ridx = self.loops[&lp].ridx;
                let i64t = self.i64();
                let r = b.load(i64t, ridx);
                let base = b.load(Type::ptr(self.module.context()), ptr);
                let at = b.gep(ty, base, &[r]);
                b.load(ty, at)
            }
        }
    }

    fn create_slot(&mut self, loops: &Loops, v: Value, lp: Option<LoopId>) {
        let ty = v.ty();
        let Some(lp) = lp else {
            let s = self.entry.alloca(ty, "tape");
            self.position_after(v);
            self.saver.store(v, s);
            self.slots.insert(v, Slot::Scalar(s));
            return;
        };
        let ptr_ty = Type::ptr(self.module.context());
        let null = self.entry.zero(ptr_ty);
        let ptr = self.entry_slot(ptr_ty, "tape.buf", null);
        let idx = self.loop_tape(loops, lp).idx;
        self.position_after(v);
        let base = self.saver.load(ptr_ty, ptr);
        let at = self.saver.gep(ty, base, &[idx]);
        self.saver.store(v, at);
        if let Some(lt) = self.loops.get_mut(&lp) {
            lt.buffers.push((ptr, ty));
        }
        self.report.push(format!(
            "  cache {} ({} bytes per iteration of the loop at '{}')",
            v.short(),
            self.module.alloc_size(ty),
            loops.get(lp).header.name()
        ));
        self.slots.insert(v, Slot::Buffer { lp, ptr, ty });
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
        let cheap = matches!(
            v.opcode(),
            Opcode::LLVMFAdd
                | Opcode::LLVMFSub
                | Opcode::LLVMFMul
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
        );
        if !cheap || depth == 0 {
            return false;
        }
        let my_loop = loops.loop_of(v.parent());
        v.operands().into_iter().all(|o| {
            if !o.is_instruction() {
                return true;
            }
            match (loops.loop_of(o.parent()), my_loop) {
                // Defined outside every loop, or in an enclosing loop: it is
                // reloaded from there.
                (None, _) => true,
                (Some(l), Some(m)) if l != m && is_ancestor(loops, l, m) => true,
                (Some(l), Some(m)) if l == m => self.recomputable(loops, o, depth - 1),
                _ => false,
            }
        })
    }

    fn recompute(&mut self, loops: &Loops, b: &Builder, v: Value) -> Value {
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

    /// Finishes the forward side: growth of each loop's buffers in its
    /// header (doubling), and frees every buffer at `b` (end of reverse).
    pub fn finish(&mut self, b: &Builder, f: Value) {
        let i64t = self.i64();
        let ptr_ty = Type::ptr(self.module.context());
        let realloc = declare(self.module, "realloc", ptr_ty, &[ptr_ty, i64t]);
        let free = declare(
            self.module,
            "free",
            Type::void(self.module.context()),
            &[ptr_ty],
        );
        for lt in self.loops.values() {
            for &(ptr, _) in &lt.buffers {
                let p = b.load(ptr_ty, ptr);
                b.call_fn(free, &[p]);
            }
            if lt.buffers.is_empty() {
                continue;
            }
            // header: ...prologue; br (idx >= cap) ? grow : cont
            let cont = shim::split_block_after(lt.prologue_end, "tape.cont");
            let header = lt.prologue_end.parent();
            if let Some(t) = header.terminator() {
                t.erase();
            }
            let grow = f.append_block("tape.grow");
            let g = Builder::new(self.module);
            g.at_end(header);
            let cap = g.load(i64t, lt.cap);
            let full = g.icmp(IntPredicate::LLVMIntUGE, lt.idx, cap);
            g.cond_br(full, grow, cont);
            g.at_end(grow);
            let doubled = g.mul_int(cap, g.const_int(i64t, 2));
            let new_cap = g.add_int(doubled, g.const_int(i64t, 16));
            g.store(new_cap, lt.cap);
            for &(ptr, ty) in &lt.buffers {
                let old = g.load(ptr_ty, ptr);
                let bytes = g.mul_int(
                    new_cap,
                    g.const_int(i64t, self.module.alloc_size(ty) as i64),
                );
                let new = g.call_fn(realloc, &[old, bytes]);
                g.store(new, ptr);
            }
            g.br(cont);
        }
    }
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

/// The module's declaration of a C library function (added when missing).
pub fn declare(module: Module, name: &str, ret: Type, params: &[Type]) -> Value {
    module
        .function(name)
        .unwrap_or_else(|| module.add_function(name, Type::function(ret, params, false)))
}
