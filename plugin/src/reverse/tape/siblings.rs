//! Loads that read what a sibling loop's load read in the same iteration
//! of the enclosing loop, read in the reverse sweep from that loop's tape
//! row instead of taped again ([`Tape::sibling_load`]).

use super::recompute::{counted_loop, indexed, induction};
use super::*;
use crate::cfg::loops::dominates;

/// Load `v` of loop `lp1` that reads the value load `u` of the earlier
/// sibling loop `lp0` read in the same iteration number ([`Tape::sibling_load`]).
#[derive(Clone, Copy)]
pub(super) struct SiblingLoad {
    u: Value,
    lp0: LoopId,
    pre0: Block,
    lp1: LoopId,
    pre1: Block,
}

impl Tape {
    /// Load `v = base[i]` in loop `L1` that a sibling loop `L0` running
    /// before it also reads, `u = base[j]`, with nothing writing the memory
    /// between them: the reverse sweep reads `u`'s tape field of `L0`'s row
    /// of the same iteration number instead of taping `v` (cg's `p[k]`,
    /// read by the dot product `p.q`, the update `x += alpha p` and
    /// `p = r + beta p`, one field instead of three). Checked: the same
    /// base pointer (defined outside both loops) and element type, the
    /// loads' type that element type; `i` and `j` affine with step 1 and
    /// the same start, both loops leaving only through their latch when
    /// `i + 1` (`j + 1`) equals the same bound (so iteration `t` of each
    /// reads the same element); the loops siblings (same parent), `L0`'s
    /// header dominating `L1`'s, `u` in every iteration of `L0` (its block
    /// dominates the latch) and not rebuilt itself; `v` used only inside
    /// `L1`; and no write that may touch the memory in `L0`, `L1` or the
    /// blocks between them in one iteration of the parent, except stores in
    /// `L1` to `base[i]` itself after `v` (`v` dominates them): those write
    /// the element of their own iteration, which an earlier iteration's `v`
    /// never reads. Combined shape, not on GPUs; the earliest such `L0`.
    pub(super) fn sibling_load(&self, loops: &Loops, v: Value) -> Option<SiblingLoad> {
        if !self.sibling_loads
            || self.frame.split.is_some()
            || v.opcode() != Opcode::LLVMLoad
            || v.is_volatile_or_atomic()
            || crate::gpu::is_gpu(self.module)
        {
            return None;
        }
        let idom = self.idom.as_ref()?;
        let rereads = self.rereads.as_ref()?;
        let lp1 = loops.loop_of(v.parent())?;
        let parent = loops.get(lp1).parent;
        let p1 = v.operand(0);
        let (base, i1) = indexed(p1)?;
        let elem = p1.gep_source_element_type()?;
        if elem != v.ty() {
            return None;
        }
        let (start1, n1) = counted_loop(loops, lp1, i1)?;
        let Some(Induction::Affine {
            preheader: pre1, ..
        }) = induction(loops, i1)
        else {
            return None;
        };
        if v.users()
            .iter()
            .any(|u| !u.is_instruction() || !loops.contains(lp1, u.parent()))
        {
            return None;
        }
        let outside = |lp: LoopId| !base.is_instruction() || !loops.contains(lp, base.parent());
        if !outside(lp1) {
            return None;
        }
        let header1 = loops.get(lp1).header;
        let mut cands: Vec<SiblingLoad> = Vec::new();
        for g in base.users() {
            if !g.is_instruction()
                || g.opcode() != Opcode::LLVMGetElementPtr
                || g.gep_source_element_type() != Some(elem)
            {
                continue;
            }
            let Some((b0, j)) = indexed(g) else { continue };
            if b0 != base {
                continue;
            }
            for u in g.users() {
                if u == v
                    || !u.is_instruction()
                    || u.opcode() != Opcode::LLVMLoad
                    || u.operand(0) != g
                    || u.ty() != v.ty()
                    || u.is_volatile_or_atomic()
                {
                    continue;
                }
                let Some(lp0) = loops.loop_of(u.parent()) else {
                    continue;
                };
                let l0 = loops.get(lp0);
                if lp0 == lp1 || l0.parent != parent || !outside(lp0) {
                    continue;
                }
                let Some((start0, n0)) = counted_loop(loops, lp0, j) else {
                    continue;
                };
                let same_start = start0 == start1
                    || (start0.const_int().is_some() && start0.const_int() == start1.const_int());
                if !same_start || n0 != n1 || j.ty() != i1.ty() {
                    continue;
                }
                let Some(Induction::Affine {
                    preheader: pre0, ..
                }) = induction(loops, j)
                else {
                    continue;
                };
                let [latch0] = l0.latches.as_slice() else {
                    continue;
                };
                if !dominates(idom, u.parent(), *latch0) || !dominates(idom, l0.header, header1) {
                    continue;
                }
                match self.slots.get(&u) {
                    Some(Slot::Buffer { lp, .. }) if *lp == lp0 => {}
                    Some(_) => continue,
                    None if self.recomputable(loops, u, RECOMPUTE_DEPTH) => continue,
                    None => {}
                }
                cands.push(SiblingLoad {
                    u,
                    lp0,
                    pre0,
                    lp1,
                    pre1,
                });
            }
        }
        // the earliest first: the candidates' headers all dominate L1's, so
        // dominance orders them
        cands.sort_by(|a, b| {
            let (ha, hb) = (loops.get(a.lp0).header, loops.get(b.lp0).header);
            if ha == hb {
                std::cmp::Ordering::Equal
            } else if dominates(idom, ha, hb) {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            }
        });
        cands.into_iter().find(|c| {
            let Some(region) = between(loops, parent, loops.get(c.lp0).header, header1) else {
                return false;
            };
            let Some(writers) = rereads.writers_within(p1, &|blk| region.contains(&blk)) else {
                return false;
            };
            writers.into_iter().all(|w| {
                w.opcode() == Opcode::LLVMStore
                    && !w.is_volatile_or_atomic()
                    && loops.loop_of(w.parent()) == Some(lp1)
                    && w.operand(0).ty() == elem
                    && (w.operand(1) == p1
                        || (indexed(w.operand(1)) == Some((base, i1))
                            && w.operand(1).gep_source_element_type() == Some(elem)))
                    && after(idom, v, w)
            })
        })
    }

    /// `v` as the sibling load's tape field: row `base0 + t` of `L0`, where
    /// `t` is the iteration number the reverse sweep is in in `L1` and
    /// `base0` the counter `L0`'s instance started at in the same iteration
    /// of the parent.
    pub(super) fn read_sibling(&mut self, loops: &Loops, b: &Builder, s: SiblingLoad) -> Value {
        if !self.slots.contains_key(&s.u) {
            self.create_slot(loops, s.u, Some(s.lp0));
        }
        let Slot::Buffer { lp, off, ty } = self.slots[&s.u] else {
            unreachable!("a sibling load's field is a loop row");
        };
        let t = self.iteration(loops, b, s.lp1, s.pre1);
        let base0 = self.instance_base(loops, s.lp0, s.pre0);
        let base0 = self.reload(loops, b, base0);
        let row = b.add_int(base0, t);
        self.read_row(b, lp, off, ty, |_, _| row)
    }
}

/// Blocks on a path from `from` to `to` inside one iteration of `parent`
/// (never through its header; anywhere in the function when `None`);
/// `None` when no such path is found.
fn between(
    loops: &Loops,
    parent: Option<LoopId>,
    from: Block,
    to: Block,
) -> Option<hashbrown::HashSet<Block>> {
    let inside = |x: Block| match parent {
        Some(p) => loops.contains(p, x) && x != loops.get(p).header,
        None => true,
    };
    let mut fwd = hashbrown::HashSet::new();
    let mut work = vec![from];
    while let Some(x) = work.pop() {
        if !inside(x) || !fwd.insert(x) {
            continue;
        }
        work.extend(x.successors());
    }
    if !fwd.contains(&to) {
        return None;
    }
    // those that reach `to` (a fixpoint over the forward set)
    let mut region: hashbrown::HashSet<Block> = [to].into_iter().collect();
    loop {
        let before = region.len();
        for &x in &fwd {
            if !region.contains(&x) && x.successors().iter().any(|s| region.contains(s)) {
                region.insert(x);
            }
        }
        if region.len() == before {
            return Some(region);
        }
    }
}

/// Whether `w` runs only after `v` in the same pass through their blocks:
/// `v` dominates `w` (earlier in the same block, or its block dominates).
fn after(idom: &HashMap<Block, Block>, v: Value, w: Value) -> bool {
    if v.parent() != w.parent() {
        return dominates(idom, v.parent(), w.parent());
    }
    let mut cur = v.next_instruction();
    while let Some(i) = cur {
        if i == w {
            return true;
        }
        cur = i.next_instruction();
    }
    false
}
