//! The reverse sweep's control flow: which predecessor each join was
//! entered from in the forward sweep (a recomputed branch condition, else a
//! phi on the tape), and the adjoints of phis carried back along an edge.

use super::*;

impl ReverseSweep<'_, '_, '_> {
    pub(super) fn unique_preds(&self, blk: Block) -> Vec<Block> {
        let mut out: Vec<Block> = Vec::new();
        for &p in self.cfg.preds(blk) {
            if self.rev.contains_key(&p) && !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// Adds, to each block with several predecessors, a number saying which
    /// predecessor the forward sweep came from: a phi ([`Self::edge_phi`]).
    /// When the two predecessors of `blk` lie on the two sides of one
    /// conditional branch (an `if` with or without `else`), the number is a
    /// `select` on that branch's condition instead of a phi: the reverse
    /// sweep can recompute the condition (a compare of values it recomputes
    /// anyway) where it would otherwise tape a flag per execution.
    pub(super) fn record_edges(&mut self, blocks: &[Block]) {
        let i32t = self.b.i32();
        let idom = crate::cfg::loops::dominators(&self.cfg, blocks);
        for &blk in blocks {
            let preds = self.unique_preds(blk);
            if preds.len() < 2 {
                continue;
            }
            if let Some((cond, first_is_true)) = self.branch_choice(blk, &preds, &idom) {
                // (after a landing pad: an unwind destination entered
                // from the two sides of a branch)
                match blk.first_insertion_point() {
                    Some(i) => self.b.before(i),
                    None => self.b.at_end(blk),
                }
                let (t, f) = if first_is_true { (0, 1) } else { (1, 0) };
                let sel = self
                    .b
                    .select(cond, self.b.const_int(i32t, t), self.b.const_int(i32t, f));
                self.came_from.insert(blk, sel);
                continue;
            }
            let phi = self.edge_phi(blk);
            self.came_from.insert(blk, phi);
        }
    }

    /// A phi at the start of `blk` numbering its unique predecessors.
    pub(super) fn edge_phi(&self, blk: Block) -> Value {
        let b = Builder::new(self.module);
        let i32t = b.i32();
        b.at_start(blk);
        let preds = self.unique_preds(blk);
        let phi = b.phi(i32t, "came.from");
        // One entry per edge in the IR, also from a block the sweep never
        // reaches (an invoke turned into a stop): that number is never read.
        // (The users of a block are the terminators that branch to it.)
        let mut seen = Vec::new();
        for t in blk.as_value().users() {
            if !t.is_instruction() || !t.is_terminator() {
                continue;
            }
            let p = t.parent();
            if seen.contains(&p) {
                continue;
            }
            seen.push(p);
            let idx = preds.iter().position(|&q| q == p).unwrap_or(0);
            for s in t.successors() {
                if s == blk {
                    phi.add_incoming(b.const_int(i32t, idx as i64), p);
                }
            }
        }
        phi
    }

    /// The condition `c` of the branch that decides which of the two
    /// predecessors of `blk` the forward sweep came from, and whether
    /// `preds[0]` is the one reached when `c` is true. `blk` must not be a
    /// loop header, and the branch's block must be in `blk`'s loop (the same
    /// iteration) and dominate it.
    pub(super) fn branch_choice(
        &self,
        blk: Block,
        preds: &[Block],
        idom: &HashMap<Block, Block>,
    ) -> Option<(Value, bool)> {
        use crate::cfg::loops::dominates;
        if preds.len() != 2 || self.loops.loops.iter().any(|l| l.header == blk) {
            return None;
        }
        let d = *idom.get(&blk)?;
        if self.loops.loop_of(d) != self.loops.loop_of(blk) {
            return None;
        }
        let term = d.terminator()?;
        if term.opcode() != Opcode::LLVMBr || term.num_operands() != 3 {
            return None;
        }
        // `br i1 c, label T, label F`: operands are (c, F, T).
        let cond = term.operand(0);
        let succ = term.successors();
        let (t, f) = (*succ.first()?, *succ.get(1)?);
        if t == f {
            return None;
        }
        let only_from_d = |x: Block| x != blk && self.cfg.preds(x) == [d];
        let side = |p: Block| -> Option<bool> {
            if p == d {
                return Some(t == blk);
            }
            if only_from_d(t) && dominates(idom, t, p) {
                return Some(true);
            }
            if only_from_d(f) && dominates(idom, f, p) {
                return Some(false);
            }
            None
        };
        let (s0, s1) = (side(preds[0])?, side(preds[1])?);
        (s0 != s1).then_some((cond, s0))
    }

    /// Walks the forward edge `pred -> blk` backwards: phi adjoints flow to
    /// the incoming values, loop iterations are entered, then `rev(pred)`
    /// (past its invoke when the edge is the invoke's unwind edge).
    pub(super) fn reverse_edge(&mut self, phi_ds: &[(Value, Vec<Value>)], pred: Block, blk: Block) {
        self.propagate_phis(phi_ds, pred);
        let entered = self.loops.entered_in_reverse(pred, blk);
        for &lp in &entered {
            self.tape.enter_iteration(&self.loops, &self.b, lp);
        }
        let unwind_edge = pred
            .terminator()
            .is_some_and(|t| t.is_invoke() && t.successors()[1] == blk);
        let br = match self.unwound.get(&pred) {
            Some(&u) if unwind_edge => self.b.br(u),
            _ => self.b.br(self.rev[&pred]),
        };
        // An exit edge walked backwards starts a new instance of the loop
        // (a back edge only moves to the previous iteration).
        for lp in entered {
            if !self.loops.contains(lp, blk) {
                self.tape.note_instance_entry(lp, br);
            }
        }
    }

    pub(super) fn propagate_phis(&mut self, phi_ds: &[(Value, Vec<Value>)], pred: Block) {
        for (phi, d) in phi_ds {
            if let Some((v, _)) = phi.incoming().into_iter().find(|(_, b)| *b == pred) {
                if self.is_active(v) {
                    for (lane, &d) in d.iter().enumerate() {
                        self.adjoints.add(&self.b, v, lane, d);
                    }
                }
            }
        }
    }
}
