//! Recomputation instead of taping: which primal values the reverse sweep
//! can rebuild from what it already has (cheap pure arithmetic, loads of
//! memory that is unchanged between the sweeps, header phis one iteration
//! late, values forwarded from a store), and the rebuilding itself.

use super::*;

impl Tape {
    pub(super) fn recomputable(&self, loops: &Loops, v: Value, depth: u32) -> bool {
        if !v.is_instruction() {
            return true;
        }
        if self.slots.contains_key(&v) {
            return false;
        }
        if v.opcode() == Opcode::LLVMPHI {
            return self.shifted(loops, v, depth).is_some() || induction(loops, v).is_some();
        }
        if self.read_in_next_snapshot(loops, v).is_some() {
            return true;
        }
        if v.opcode() == Opcode::LLVMLoad {
            // Memory the function never writes still holds the same value
            // in the reverse sweep: read it again instead of taping it.
            let p = v.operand(0);
            if self.unchanged_load(v) {
                return depth > 0 && self.recomputable_operand(loops, v, p, depth - 1);
            }
            return depth > 0
                && (self.forwarded(loops, v, depth - 1).is_some()
                    || (self.snapshot_plan(loops, v).is_some()
                        && self.recomputable_operand(loops, v, p, depth - 1)));
        }
        let cheap = self.cheap(v);
        if !cheap || depth == 0 {
            return false;
        }
        // Recompute from operands that are recomputable, already taped, or
        // — at most one distinct, no wider than `v` — a leaf (phi, load,
        // call) that will be taped in its place: products and negations of
        // one loaded value then cost one taped value instead of one each,
        // while a comparison (one byte) of a running value (eight) is taped
        // itself.
        let Some(leaves) = self.leaves_to_tape(loops, v, depth) else {
            return false;
        };
        // Or from rounding results alone (`floor` through libm: no SSE4.1),
        // taped in its place: a bilinear warp's fractions, cell index,
        // gathered corners and residual are rebuilt from its two `floor`s
        // (16 bytes per pixel instead of 128 at plain -O2).
        match leaves[..] {
            [] => true,
            [leaf] => self.module.alloc_size(leaf.ty()) <= self.module.alloc_size(v.ty()),
            _ => leaves.len() <= ROUNDING_LEAVES && leaves.iter().all(|&l| taped_rounding(l)),
        }
    }

    /// Split shape, `v` outside loops: a frame field costs a store and a
    /// load (a stack slot in the combined shape costs nothing once
    /// `mem2reg` has run), so cheap `v` is rebuilt from the arguments
    /// (which the reverse function receives too), constants, values the
    /// frame holds anyway and at most one leaf taped in its place: the
    /// addresses of argument fields and their shadows, and products and
    /// negations of one loaded value, take no field of their own.
    pub(super) fn recomputable_in_frame(&self, loops: &Loops, v: Value) -> bool {
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

    pub(super) fn plan_in_frame(
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
    pub(super) fn rereadable_in_frame(&self, loops: &Loops, v: Value, depth: u32) -> bool {
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

    /// The distinct untaped leaves rebuilding cheap `v` would tape, or
    /// `None` when it cannot be rebuilt.
    pub(super) fn leaves_to_tape(&self, loops: &Loops, v: Value, depth: u32) -> Option<Vec<Value>> {
        let mut leaves: Vec<Value> = Vec::new();
        let mut seen: Vec<Value> = Vec::new();
        self.plan(loops, v, depth, &mut leaves, &mut seen)
            .then_some(leaves)
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
        self.leaves_to_tape(loops, v, RECOMPUTE_DEPTH)
            .is_some_and(|l| l.is_empty())
    }

    /// Where the reverse sweep reads `v` (neither a load nor a phi) from
    /// the next iteration's snapshot: when rebuilding it would tape
    /// something (or it cannot be rebuilt) and it is stored where that
    /// snapshot finds it ([`Tape::stored_in_next_snapshot`]).
    pub(super) fn read_in_next_snapshot(
        &self,
        loops: &Loops,
        v: Value,
    ) -> Option<snapshot::NextPlan> {
        if !v.is_instruction()
            || matches!(v.opcode(), Opcode::LLVMPHI | Opcode::LLVMLoad)
            || self.slots.contains_key(&v)
            || self.recomputable_without_taping(loops, v)
        {
            return None;
        }
        self.stored_in_next_snapshot(loops, v)
    }

    /// Whether the reverse sweep gets `v`, a value of the loop `v` is in,
    /// without taping anything for it and without repeating its work: read
    /// from memory (the next iteration's snapshot). A rule may then prefer
    /// the result to an operand that would be taped (`fdiv`'s divisor
    /// partial from the quotient instead of the numerator).
    pub fn result_is_free(&self, loops: &Loops, v: Value) -> bool {
        self.read_in_next_snapshot(loops, v).is_some()
    }

    /// Whether cheap `v` can be rebuilt from its operands, collecting the
    /// untaped leaves that rebuilding it would tape.
    /// `seen` holds the operands already planned (shared subexpressions are
    /// visited once).
    pub(super) fn plan(
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
                    if matches!(o.opcode(), Opcode::LLVMPHI | Opcode::LLVMLoad) || taped_rounding(o)
                    {
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
    pub(super) fn recomputable_leaf(&self, loops: &Loops, o: Value, depth: u32) -> bool {
        match o.opcode() {
            Opcode::LLVMPHI | Opcode::LLVMLoad => self.recomputable(loops, o, depth),
            _ => false,
        }
    }

    pub(super) fn recomputable_operand(
        &self,
        loops: &Loops,
        v: Value,
        o: Value,
        depth: u32,
    ) -> bool {
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

    /// Combined shape: the forward sweep's loads of pointers from shadow
    /// memory (the shadow of a loaded pointer: a `std::vector`'s shadow
    /// buffer read from the shadow vector object), each with its primal
    /// load. Such a load reads the same value again in the reverse sweep
    /// when nothing overwrites the primal location after the primal load:
    /// the forward sweep writes pointers into shadow memory only where the
    /// primal writes the pointer beside them, and the reverse sweep's own
    /// writes (adjoint accumulations and clearings) go to float memory, or
    /// undo primal writes that come after the load. Read again, it costs
    /// no tape row per iteration (at -O0, where nothing hoists the load
    /// out of loops, one pointer per innermost iteration).
    pub fn set_shadow_loads(&mut self, loads: HashMap<Value, Value>) {
        self.shadow_loads = loads;
    }

    /// Whether the reverse sweep may read load `v` again: it reads memory
    /// nothing overwrites afterwards, or it is the shadow of such a load.
    pub(super) fn unchanged_load(&self, v: Value) -> bool {
        let Some(r) = self.rereads.as_ref() else {
            return false;
        };
        r.safe(v)
            || self
                .shadow_loads
                .get(&v)
                .is_some_and(|&p| v.ty().is_pointer() && r.safe(p))
    }

    /// Combined shape: the heap allocations whose frees move to the reverse
    /// sweep, with those frees (see `rereads.rs`).
    pub fn deferred_frees(&self) -> HashMap<Value, Vec<Value>> {
        self.rereads
            .as_ref()
            .map(|r| r.deferred.clone())
            .unwrap_or_default()
    }

    /// Combined shape: the stores that move to the end of the reverse sweep
    /// (see `rereads.rs`).
    pub fn tail_stores(&self) -> Vec<Value> {
        self.rereads
            .as_ref()
            .map(|r| r.tail.clone())
            .unwrap_or_default()
    }

    /// See [`Tape::paired`].
    pub fn set_paired(&mut self, paired: hashbrown::HashSet<Value>) {
        self.paired = paired;
    }

    pub(super) fn cheap(&self, v: Value) -> bool {
        is_cheap(v) || self.paired.contains(&v) || divides_by_variable(v)
    }

    /// Combined shape: whether the reverse sweep may read BLAS operand `p`
    /// of `call` in place (nothing writes it after the call).
    pub fn blas_operand_unchanged(&self, call: Value, p: Value) -> bool {
        self.rereads
            .as_ref()
            .is_some_and(|r| r.blas_operand_unchanged(call, p))
    }

    pub(super) fn recompute(&mut self, loops: &Loops, b: &Builder, v: Value) -> Value {
        if self.recomputed.insert(v) {
            self.report
                .add(|| format!("  recompute `{}` in the reverse sweep", v.describe()));
        }
        if let Some(sh) = self.shifted(loops, v, RECOMPUTE_DEPTH) {
            return self.recompute_shifted(loops, b, sh);
        }
        if let Some(plan) = self.read_in_next_snapshot(loops, v) {
            return self.read_next_snapshot(loops, b, v, &plan);
        }
        if v.opcode() == Opcode::LLVMLoad && !self.unchanged_load(v) {
            if let Some(fw) = self.forwarded(loops, v, RECOMPUTE_DEPTH) {
                let mut memo = HashMap::new();
                return self.forward_clone(loops, b, fw, fw.value, &mut memo);
            }
            if let Some(plan) = self.snapshot_plan(loops, v) {
                return self.read_snapshot(loops, b, v, &plan);
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
        if divides_by_variable(v) {
            return guarded_division(b, v, c);
        }
        b.insert(c);
        // A shadow pointer read again from shadow memory is no primal read.
        if !self.shadow_loads.contains_key(&v) {
            mark_primal_read(c);
        }
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
    pub(super) fn shifted(&self, loops: &Loops, v: Value, depth: u32) -> Option<Shifted> {
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
    pub(super) fn shiftable(
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
    pub(super) fn recompute_shifted(&mut self, loops: &Loops, b: &Builder, sh: Shifted) -> Value {
        if self.same_on_entry(loops, sh, sh.prev, sh.first, SHIFT_COMPARE_DEPTH) {
            // The latch value rebuilt one iteration late already is `first`
            // on the first iteration (`rowptr[i]` at i = 0 is the
            // preheader's `rowptr[0]`): no test of the iteration, so the
            // addresses built from it stay affine for LLVM.
            let mut memo = HashMap::new();
            return self.shift_clone(loops, b, sh, sh.prev, None, &mut memo);
        }
        let k = self.iteration(loops, b, sh.lp, sh.preheader);
        let i64t = self.i64();
        let is_first = b.icmp(IntPredicate::LLVMIntEQ, k, b.const_int(i64t, 0));
        let first = self.reload(loops, b, sh.first);
        let mut memo = HashMap::new();
        // On the first iteration the rebuilt latch value is not used, and
        // its addresses lie one step before the memory the loop reads
        // (`x[i - 1]` at i = 0): its loads read a zeroed dummy there.
        let later = self.shift_clone(loops, b, sh, sh.prev, Some(is_first), &mut memo);
        b.select(is_first, first, later)
    }

    /// Whether `e` (part of the latch value of the shifted phi), rebuilt one
    /// iteration late as [`Tape::shift_clone`] does, is on the first
    /// iteration the value `f` (part of the phi's preheader value): the
    /// same instruction shapes over the same operands, an induction's
    /// latch value standing for the induction's start, a `getelementptr`
    /// whose indices are all zero there standing for its base, loads only
    /// of memory nothing overwrites after `f` reads it.
    fn same_on_entry(&self, loops: &Loops, sh: Shifted, e: Value, f: Value, depth: u32) -> bool {
        if e == f {
            return !e.is_instruction() || loops.loop_of(e.parent()) != Some(sh.lp);
        }
        if !e.is_instruction() || loops.loop_of(e.parent()) != Some(sh.lp) || depth == 0 {
            return false;
        }
        if let Some(u) = counted_latch_phi(loops, sh.lp, sh.phi, e) {
            return start_of(loops, sh.lp, u) == Some(f);
        }
        if affine_step(loops, sh.lp, sh.phi, e).is_some() {
            return false;
        }
        if e.opcode() == Opcode::LLVMGetElementPtr
            && f.opcode() != Opcode::LLVMGetElementPtr
            && e.operands()[1..]
                .iter()
                .all(|&x| self.zero_on_entry(loops, sh, x))
        {
            return self.same_on_entry(loops, sh, e.operand(0), f, depth - 1);
        }
        if !f.is_instruction()
            || f.opcode() != e.opcode()
            || f.ty() != e.ty()
            || f.num_operands() != e.num_operands()
        {
            return false;
        }
        let shape = match e.opcode() {
            Opcode::LLVMLoad => {
                !f.is_volatile_or_atomic() && self.rereads.as_ref().is_some_and(|r| r.safe(f))
            }
            Opcode::LLVMGetElementPtr => e.gep_source_element_type() == f.gep_source_element_type(),
            Opcode::LLVMICmp => e.icmp_predicate() == f.icmp_predicate(),
            Opcode::LLVMFCmp => e.fcmp_predicate() == f.fcmp_predicate(),
            Opcode::LLVMCall | Opcode::LLVMPHI => false,
            _ => is_cheap(e),
        };
        shape
            && e.operands()
                .into_iter()
                .zip(f.operands())
                .all(|(x, y)| self.same_on_entry(loops, sh, x, y, depth - 1))
    }

    /// Whether the index `x` of a shifted latch value is zero on the first
    /// iteration (see [`Tape::same_on_entry`]).
    fn zero_on_entry(&self, loops: &Loops, sh: Shifted, x: Value) -> bool {
        if x.const_int() == Some(0) {
            return true;
        }
        if !x.is_instruction() || loops.loop_of(x.parent()) != Some(sh.lp) {
            return false;
        }
        if let Some(u) = counted_latch_phi(loops, sh.lp, sh.phi, x) {
            return start_of(loops, sh.lp, u).and_then(|s| s.const_int()) == Some(0);
        }
        matches!(
            x.opcode(),
            Opcode::LLVMSExt | Opcode::LLVMZExt | Opcode::LLVMTrunc
        ) && self.zero_on_entry(loops, sh, x.operand(0))
    }

    /// `e` rebuilt one iteration late (see [`Tape::shifted`]); with `unused`
    /// (true where the result is not used), every load it rebuilds reads
    /// a zeroed dummy instead when `unused` holds.
    pub(super) fn shift_clone(
        &mut self,
        loops: &Loops,
        b: &Builder,
        sh: Shifted,
        e: Value,
        unused: Option<Value>,
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
            .map(|o| self.shift_clone(loops, b, sh, o, unused, memo))
            .collect();
        let c = e.clone_instruction();
        for (i, o) in ops.into_iter().enumerate() {
            c.set_operand(i, o);
        }
        // (GPU modules keep the load: globals live in address spaces of
        // their own there)
        let gpu = crate::gpu::is_gpu(b.module());
        if let Some(unused) = unused.filter(|_| c.opcode() == Opcode::LLVMLoad && !gpu) {
            let dummy = shift_dummy(b);
            if dummy.ty() == c.operand(0).ty() {
                c.set_operand(0, b.select(unused, dummy, c.operand(0)));
            }
        }
        b.insert(c);
        mark_primal_read(c);
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
    pub(super) fn forwarded(&self, loops: &Loops, l: Value, depth: u32) -> Option<Forwarded> {
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

    pub(super) fn forwardable(
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

    pub(super) fn forward_clone(
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
        mark_primal_read(c);
        memo.insert(e, c);
        c
    }
}

/// Bytes of [`shift_dummy`] (more than any load reads).
const SHIFT_DUMMY_BYTES: u64 = 4096;

/// A zeroed internal global that the loads of a latch value rebuilt one
/// iteration late read where that value is not used ([`Tape::shift_clone`]).
fn shift_dummy(b: &Builder) -> Value {
    const NAME: &str = "ferment.shift.dummy";
    let ty = ferment_ir::Type::array(b.i8(), SHIFT_DUMMY_BYTES);
    b.module()
        .zeroed_global(NAME, ty, |g| b.set_alignment(g, 64))
}

/// A header phi rebuilt from its latch value one iteration late
/// ([`Tape::shifted`]).
#[derive(Clone, Copy)]
pub(super) struct Shifted {
    phi: Value,
    lp: LoopId,
    preheader: Block,
    first: Value,
    prev: Value,
}

/// A header phi of `lp` other than `v` that is an integer induction
/// (rebuilding it never needs a shifted phi) and takes `e` on the latch
/// edge: on iteration `k > 0` it holds `e` of iteration `k - 1`.
pub(super) fn counted_latch_phi(loops: &Loops, lp: LoopId, v: Value, e: Value) -> Option<Value> {
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

/// The value a header phi `u` of `lp` takes on entering the loop.
fn start_of(loops: &Loops, lp: LoopId, u: Value) -> Option<Value> {
    let incoming = u.incoming();
    let mut outside = incoming.iter().filter(|(_, b)| !loops.contains(lp, *b));
    let (v, _) = *outside.next()?;
    outside.all(|(w, _)| *w == v).then_some(v)
}

/// How deep [`Tape::same_on_entry`] compares.
const SHIFT_COMPARE_DEPTH: u32 = 8;

/// A load forwarded from a sibling loop's store ([`Tape::forwarded`]).
#[derive(Clone, Copy)]
pub(super) struct Forwarded {
    /// the loop of the store and its induction phi
    l0: LoopId,
    j: Value,
    /// the load's induction phi
    i: Value,
    /// the stored value
    value: Value,
}

/// `(base, idx)` for `getelementptr T, base, idx` (one index).
pub(super) fn indexed(p: Value) -> Option<(Value, Value)> {
    (p.is_instruction() && p.opcode() == Opcode::LLVMGetElementPtr && p.operands().len() == 2)
        .then(|| (p.operand(0), p.operand(1)))
}

/// For induction phi `iv` of `lp`: `(start, n)` when `iv` is affine with
/// step 1 and `lp` leaves only through its single latch, exactly when
/// `iv + 1 == n` for a loop-invariant `n` (so it runs `iv = start ..
/// n - 1`).
pub(super) fn counted_loop(loops: &Loops, lp: LoopId, iv: Value) -> Option<(Value, Value)> {
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

/// How an instance of a counted loop ends (see [`counted_trips`]).
#[derive(Clone, Copy)]
pub(super) enum Exit {
    /// `iv + step` (or its truncation) compared equal to `n` ends it.
    Equal,
    /// `iv + 1 < n` (signed or unsigned, no wrap) failing ends it.
    Below(IntPredicate),
}

/// For induction phi `iv` of `lp`: `(start, step, n, exit)` when `lp`
/// leaves only through its single latch, exactly when `iv + step` reaches
/// the loop-invariant `n`: `iv + step == n` for a power-of-two `step > 0`
/// (the compare may truncate `iv + step`, as unrolled loops do), or `iv + 1
/// < n` failing where `iv + 1` cannot wrap (`nsw`/`nuw`). The number of
/// iterations of an instance then follows from `start` and `n`.
pub(super) fn counted_trips(
    loops: &Loops,
    lp: LoopId,
    iv: Value,
) -> Option<(Value, i64, Value, Exit)> {
    if !iv.is_instruction() || iv.opcode() != Opcode::LLVMPHI || loops.get(lp).header != iv.parent()
    {
        return None;
    }
    let Some(Induction::Affine {
        lp: l, start, step, ..
    }) = induction(loops, iv)
    else {
        return None;
    };
    let lo = loops.get(lp);
    let [latch] = lo.latches.as_slice() else {
        return None;
    };
    let exiting = lo
        .blocks
        .iter()
        .filter(|b| b.successors().iter().any(|s| !loops.contains(lp, *s)))
        .count();
    if l != lp || exiting != 1 || step <= 0 || step.count_ones() != 1 {
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
    if !next.is_instruction() || next.opcode() != Opcode::LLVMAdd {
        return None;
    }
    let is_next = |x: Value| {
        x == next || (x.is_instruction() && x.opcode() == Opcode::LLVMTrunc && x.operand(0) == next)
    };
    use IntPredicate::*;
    // (n, exit, whether the compare holding means "stay in the loop")
    let (a, c) = (cond.operand(0), cond.operand(1));
    let (n, exit, stay) = match cond.icmp_predicate()? {
        LLVMIntEQ if is_next(a) => (c, Exit::Equal, false),
        LLVMIntEQ if is_next(c) => (a, Exit::Equal, false),
        LLVMIntNE if is_next(a) => (c, Exit::Equal, true),
        LLVMIntNE if is_next(c) => (a, Exit::Equal, true),
        p if step == 1 => {
            let (n, pred, stay) = match p {
                LLVMIntSLT if a == next => (c, LLVMIntSLT, true),
                LLVMIntULT if a == next => (c, LLVMIntULT, true),
                LLVMIntSGT if c == next => (a, LLVMIntSLT, true),
                LLVMIntUGT if c == next => (a, LLVMIntULT, true),
                LLVMIntSGE if a == next => (c, LLVMIntSLT, false),
                LLVMIntUGE if a == next => (c, LLVMIntULT, false),
                LLVMIntSLE if c == next => (a, LLVMIntSLT, false),
                LLVMIntULE if c == next => (a, LLVMIntULT, false),
                _ => return None,
            };
            let no_wrap = if pred == LLVMIntSLT {
                next.has_nsw()
            } else {
                next.has_nuw()
            };
            if !no_wrap {
                return None;
            }
            (n, Exit::Below(pred), stay)
        }
        _ => return None,
    };
    if n.is_instruction() && loops.contains(lp, n.parent()) {
        return None;
    }
    let succ = latch.successors();
    let (t, f) = (succ.first()?, succ.get(1)?);
    let (back, out) = if stay { (t, f) } else { (f, t) };
    (!loops.contains(lp, *out) && *back == lo.header).then_some((start, step, n, exit))
}

/// The step of `e` when `e` is an affine induction phi of `lp` other than
/// `v` (its value one iteration earlier is `e - step`).
pub(super) fn affine_step(loops: &Loops, lp: LoopId, v: Value, e: Value) -> Option<i64> {
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
pub(super) enum Induction {
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
    /// `i = phi [start, preheader], [i + step, latch]` with a step computed
    /// outside the loop (CUDA's grid-stride `i += blockDim.x * gridDim.x`).
    Strided {
        lp: LoopId,
        preheader: Block,
        start: Value,
        step: Value,
    },
    /// `phi [first, preheader], [w, latch]` where `w` is a load or call of
    /// the loop itself (a value carried to the next iteration, as loop
    /// rotation leaves `x[i]` after reading `x[i + 1]`): a field of the
    /// previous row, holding `w` (or, in the row before an instance's
    /// first iteration, `first`: `Tape::carried_field`).
    Carried {
        lp: LoopId,
        preheader: Block,
        first: Value,
        prev: Value,
    },
}

pub(super) fn induction(loops: &Loops, v: Value) -> Option<Induction> {
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
    if let Some(next) = induction_increment(loops, lp, v) {
        let (a, c) = (next.operand(0), next.operand(1));
        let other = if a == v {
            Some(c)
        } else if c == v && next.opcode() == Opcode::LLVMAdd {
            Some(a)
        } else {
            None
        }?;
        let Some(step) = other.const_int() else {
            let invariant = !other.is_instruction() || !loops.contains(lp, other.parent());
            return (invariant && next.opcode() == Opcode::LLVMAdd && other.ty() == v.ty())
                .then_some(Induction::Strided {
                    lp,
                    preheader,
                    start,
                    step: other,
                });
        };
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

/// The `add`/`sub` that gives induction phi `v` of `lp` its value in the
/// next iteration.
pub(super) fn induction_increment(loops: &Loops, lp: LoopId, v: Value) -> Option<Value> {
    let (next, _) = v
        .incoming()
        .into_iter()
        .find(|(_, b)| loops.contains(lp, *b))?;
    (next.is_instruction() && matches!(next.opcode(), Opcode::LLVMAdd | Opcode::LLVMSub))
        .then_some(next)
}

/// [`Induction::Carried`] for header phi `v` of `lp`.
pub(super) fn carried(
    loops: &Loops,
    lp: LoopId,
    v: Value,
    incoming: &[(Value, Block)],
) -> Option<Induction> {
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

/// Combined shape: calls of pure math functions (no memory access, a
/// derivative rule) inside a loop whose values reach nothing the forward
/// sweep keeps: arithmetic, compares and selects in the call's own block and,
/// beyond it, only sums and phis that accumulate (their adjoints need no
/// primal value) up to a `ret`, which the combined derivative drops. Taped,
/// such a call runs in the forward sweep for its row field alone; rebuilt
/// where the reverse sweep needs it, it runs once per iteration there
/// instead, and the forward loop may lose its last use (a mesh energy's
/// `log(det F)` per triangle; Enzyme's derivative of such a loop is one
/// reverse loop with the calls). A use in another loop or block (rebuilt
/// there again), a branch, a store, an address or a call of anything else
/// rules the call out, and so does a division or a square root in the call's
/// operands or uses: the forward loop vectorizes them, the reverse loop that
/// would repeat them often does not (blackscholes' `log(S / K)` and
/// `d1 / st`, all rebuilt in its scalar reverse loop: 5.56 -> 7.09 ms at
/// plain -O2). All of a loop's calls qualify or none does: moving some of
/// them leaves the forward loop running for the others, and the moved
/// ones' arithmetic then runs in the scalar reverse loop instead of the
/// vectorized forward one (blackscholes' `exp(-r T)` beside its `erfc`s:
/// 5.46 -> 5.67 ms at plain -O2). Still subject to [`Tape::recomputable`]:
/// a call whose operands the reverse sweep cannot rebuild stays taped.
pub fn tape_only_calls(blocks: &[Block], loops: &Loops) -> hashbrown::HashSet<Value> {
    let pure_call = |i: Value| {
        i.is_call()
            && i.call_accesses_no_memory()
            && i.called_function()
                .and_then(|f| crate::rules::call_rule(&f.name()))
                .is_some()
    };
    // Per loop, its calls (other than cheap intrinsics) and whether all of
    // them qualify.
    let mut per_loop: HashMap<LoopId, (Vec<Value>, bool)> = HashMap::new();
    for c in blocks.iter().flat_map(|b| b.instructions()) {
        if !c.is_call() || is_cheap(c) {
            continue;
        }
        let Some(lp) = loops.loop_of(c.parent()) else {
            continue;
        };
        let ok = pure_call(c)
            && crate::rules::trig_companion(c).is_none()
            && only_reaches_dropped_return(c)
            && built_by_products(c, lp, loops);
        let e = per_loop.entry(lp).or_insert_with(|| (Vec::new(), true));
        e.0.push(c);
        e.1 &= ok;
    }
    per_loop
        .into_values()
        .filter(|(_, all)| *all)
        .flat_map(|(calls, _)| calls)
        .collect()
}

/// See [`tape_only_calls`]: whether every transitive user of `c` is one the
/// forward sweep drops once `c` is rebuilt instead of taped.
fn only_reaches_dropped_return(c: Value) -> bool {
    let Some(slice) = users_closure(c) else {
        return false;
    };
    // A phi the call's values reach must only accumulate (a sum): were its
    // value needed (a recurrence through the call, `s = exp(-s) * x[i]`, or
    // a product of the sum), the forward loop would run for it, the call
    // with it, and the rebuild would call it a second time.
    let phis_accumulate = slice.iter().all(|&p| {
        p.opcode() != Opcode::LLVMPHI
            || users_closure(p).is_some_and(|acc| {
                !acc.contains(&c) && acc.iter().all(|&u| u == p || linear(u, &acc))
            })
    });
    phis_accumulate
        && slice
            .iter()
            .filter(|&&u| u != c)
            .all(|&u| match u.opcode() {
                _ if linear(u, &slice) => true,
                Opcode::LLVMGetElementPtr => false,
                // (in the call's block: the reverse sweep rebuilds a value once
                // per block it needs it in)
                _ => u.parent() == c.parent() && is_cheap(u) && !slow(u),
            })
}

/// `v` and its transitive users, or `None` past 256 of them.
fn users_closure(v: Value) -> Option<hashbrown::HashSet<Value>> {
    const MAX_USERS: usize = 256;
    let mut slice = hashbrown::HashSet::new();
    slice.insert(v);
    let mut work = vec![v];
    while let Some(v) = work.pop() {
        for u in v.users() {
            if slice.insert(u) {
                if slice.len() > MAX_USERS {
                    return None;
                }
                work.push(u);
            }
        }
    }
    Some(slice)
}

/// Sums, phis, the dropped `ret`, and fused multiply-adds whose factors are
/// not in `slice`: none needs a value of `slice` in the reverse sweep.
fn linear(u: Value, slice: &hashbrown::HashSet<Value>) -> bool {
    matches!(
        u.opcode(),
        Opcode::LLVMPHI | Opcode::LLVMFAdd | Opcode::LLVMFSub | Opcode::LLVMFNeg | Opcode::LLVMRet
    ) || (is_fmuladd(u) && !slice.contains(&u.operand(0)) && !slice.contains(&u.operand(1)))
}

/// See [`tape_only_calls`]: whether the operands of `c` are built, inside its
/// loop, by cheap arithmetic other than divisions and square roots from
/// loads, phis and values defined outside the loop.
fn built_by_products(c: Value, lp: LoopId, loops: &Loops) -> bool {
    const MAX_OPERANDS: usize = 256;
    let mut seen = hashbrown::HashSet::new();
    let mut work: Vec<Value> = c.call_args();
    while let Some(o) = work.pop() {
        if !o.is_instruction() || loops.loop_of(o.parent()) != Some(lp) || !seen.insert(o) {
            continue;
        }
        if seen.len() > MAX_OPERANDS {
            return false;
        }
        match o.opcode() {
            Opcode::LLVMPHI => {}
            Opcode::LLVMLoad => work.push(o.operand(0)),
            _ if is_cheap(o) && !slow(o) => work.extend(o.operands()),
            _ => return false,
        }
    }
    true
}

fn is_fmuladd(v: Value) -> bool {
    calls_one_of(v, &["llvm.fmuladd.", "llvm.fma."])
}

/// Divisions and square roots: slow unless vectorized.
fn slow(v: Value) -> bool {
    v.opcode() == Opcode::LLVMFDiv || calls_one_of(v, &["llvm.sqrt."])
}
