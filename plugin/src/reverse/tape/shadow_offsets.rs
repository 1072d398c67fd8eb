//! Split shape: shadow pointers rebuilt from the reverse function's own
//! shadow arguments. A pointer the forward sweep builds from one shadow
//! argument alone (GEPs, bitcasts, phis and selects of it: `u[i-1]` or
//! `u[i+1]` chosen by a branch at -O0) is not taped itself: its byte offset
//! from that argument is, and the reverse sweep adds the offset to the
//! shadow argument it received. `__enzyme_reverse` given other shadows than
//! the `__enzyme_augmentfwd` of its tape then sends every adjoint to its
//! own shadows at every -O level, as the rebuilt selects of -O1..-O3 did.
//! Touches only the forward function (one `ptrtoint`/`sub` after the
//! pointer) and the tape.

use super::*;

/// How many values the walk from a pointer to its shadow argument visits
/// at most before giving up (the pointer is then taped as before).
const WALK_LIMIT: usize = 64;

impl Tape {
    /// Split shape: the shadow arguments of the forward function (those the
    /// reverse function receives too, through [`Tape::args`]).
    pub fn set_shadow_args(&mut self, shadows: &[Value]) {
        if self.frame.split.is_some() {
            self.shadow_args = shadows.iter().copied().collect();
        }
    }

    /// The shadow argument `v` is built from through GEPs, bitcasts, phis
    /// and selects only, when there is exactly one and the reverse function
    /// has its counterpart.
    fn shadow_root(&self, v: Value) -> Option<Value> {
        if self.shadow_args.is_empty() || !v.ty().is_pointer() {
            return None;
        }
        let mut root: Option<Value> = None;
        let mut seen: hashbrown::HashSet<Value> = hashbrown::HashSet::new();
        let mut stack = vec![v];
        while let Some(x) = stack.pop() {
            if !seen.insert(x) {
                continue;
            }
            if seen.len() > WALK_LIMIT {
                return None;
            }
            if self.shadow_args.contains(&x) {
                if root.is_some_and(|r| r != x) {
                    return None;
                }
                root = Some(x);
                continue;
            }
            if !x.is_instruction() {
                return None;
            }
            match x.opcode() {
                Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast => stack.push(x.operand(0)),
                Opcode::LLVMSelect => {
                    stack.push(x.operand(1));
                    stack.push(x.operand(2));
                }
                Opcode::LLVMPHI => stack.extend(x.incoming().into_iter().map(|(i, _)| i)),
                _ => return None,
            }
        }
        let root = root?;
        (root.ty() == v.ty() && self.args.contains_key(&root)).then_some(root)
    }

    /// `v` rebuilt at `b` as its shadow argument's counterpart plus its
    /// taped byte offset, or `None` when `v` is not built from one shadow
    /// argument alone.
    pub(super) fn rebuild_from_shadow_arg(
        &mut self,
        loops: &Loops,
        b: &Builder,
        v: Value,
    ) -> Option<Value> {
        let root = self.shadow_root(v)?;
        let i64t = self.i64();
        let off = match self.shadow_offsets.get(&v) {
            Some(&o) => o,
            None => {
                self.position_after(v);
                let p = self.saver.ptr_to_int(v, i64t);
                let a = self.saver.ptr_to_int(root, i64t);
                let o = self.saver.sub_int(p, a);
                self.shadow_offsets.insert(v, o);
                o
            }
        };
        if !self.slots.contains_key(&off) {
            let lp = loops.loop_of(off.parent());
            self.create_slot(loops, off, lp);
        }
        let o = match &self.slots[&off] {
            Slot::Scalar(s) => {
                let s = *s;
                self.frame_read(b, i64t, s.rev)
            }
            Slot::Buffer { lp, off, ty } => {
                let (lp, off, ty) = (*lp, *off, *ty);
                self.read_row(b, lp, off, ty, |_, r| r)
            }
        };
        Some(b.ptr_offset(self.args[&root], o))
    }
}
