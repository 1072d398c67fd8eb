//! Snapshots: one copy of a scratch buffer per iteration of an outer loop
//! instead of one tape field per load of it.
//!
//! A load `x[col[p]]` deep inside loop `L` (two or more loop levels below
//! it) from a fresh allocation `x` that a later part of `L`'s body
//! overwrites (an iterative solver's copy-back `x = xn`) cannot be read
//! again in the reverse sweep, so it would be taped once per execution:
//! once per nonzero per sweep in a sparse Jacobi iteration. When nothing
//! writes `x` between the start of `L`'s iteration and the load, `x` then
//! holds what it held at `L`'s header, so the forward sweep copies the
//! whole allocation once per iteration of `L` (at its header) and the
//! reverse sweep reads the load's element from that copy: the hand-written
//! adjoint's "keep every iterate". The conditions, all checked (combined
//! shape only, not on GPUs or in OpenMP regions): the load's address points
//! into exactly one `malloc`/`calloc`/`aligned_alloc`/`new` block made
//! outside loops, whose address does not escape and whose block dominates
//! `L`'s header; every write that may touch it inside `L` is a store,
//! `memcpy` or `memset` from which the load cannot be reached inside `L`
//! without passing `L`'s header (`Rereads::unwritten_since_header`); the
//! reverse sweep rebuilds the load's address without taping it. `L` is the
//! outermost loop for which this holds (fewest copies). Whether a copy of
//! the whole block costs less than the loads it replaces is not known at
//! compile time; the heuristic: two loop levels or more between `L` and the
//! load, and one of the loops between them counted up to the allocation's
//! element count (the row loop `i < n` over an `n`-element iterate).

use super::*;

/// Which loop's iterations a load reads from a snapshot of which
/// allocation (see the module documentation).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) struct SnapPlan {
    lp: LoopId,
    base: Value,
    /// The allocation's size operands (their product is its size).
    sizes: Vec<Value>,
    /// Where the copy is made: `None` at `lp`'s header (once per
    /// iteration of `lp`), `Some(pre)` at the end of the preheader `pre`
    /// of a loop directly inside `lp` (once per instance of that loop).
    at: Option<Block>,
}

/// A snapshot buffer: row `k` of `L`'s counter holds the allocation's
/// bytes at the header of that iteration.
pub(super) struct Snapshot {
    plan: SnapPlan,
    buf: SlotPtr,
    cap: SlotPtr,
    /// One more copy, in the row after the last iteration's, made where
    /// the reverse sweep enters the (outermost) loop: the state the last
    /// iteration left (for [`NextPlan`]s).
    exit_copy: bool,
}

/// A value the reverse sweep reads from the next iteration's snapshot
/// instead of taping it: stored into scratch allocation `A` at `addr`, and
/// `A` copied whole into the snapshotted allocation before the next
/// iteration's header (see [`Tape::stored_in_next_snapshot`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) struct NextPlan {
    snap: SnapPlan,
    /// The store's address, and the start of `A` (its offset from there
    /// is the value's offset in the snapshot).
    addr: Value,
    root: Value,
}

/// A loop that passes over a snapshot's allocation whole where its copy
/// would be made: it writes every element right before the copy
/// ([`Tape::whole_writer`]) or reads every element right after it without
/// writing any ([`Tape::whole_reader`]). `at` is the store or load of
/// `base[iv]`, `value` what the row gets (the stored or loaded value),
/// `elem` its type; `preheader` the loop's preheader.
struct WholeWriter {
    at: Value,
    value: Value,
    iv: Value,
    elem: Type,
    preheader: Block,
}

/// A loop counting `i` from 0 by 1 until `i + 1 == N` (`counted_from_zero`):
/// its counter phi, `N`, and its one latch, from which it leaves.
struct ZeroCounted {
    iv: Value,
    n: Value,
    latch: Block,
}

/// How many loop levels below `L` a load must be for a snapshot.
const SNAPSHOT_MIN_LEVELS: usize = 2;

impl Tape {
    /// See the module documentation; `None` when a load is not read from
    /// a snapshot (memoized).
    pub(super) fn snapshot_plan(&self, loops: &Loops, l: Value) -> Option<SnapPlan> {
        if let Some(p) = self.snap_plans.borrow().get(&l) {
            return p.clone();
        }
        let p = self.decide_snapshot(loops, l);
        self.snap_plans.borrow_mut().insert(l, p.clone());
        p
    }

    fn decide_snapshot(&self, loops: &Loops, l: Value) -> Option<SnapPlan> {
        if self.frame.split.is_some() || l.opcode() != Opcode::LLVMLoad {
            return None;
        }
        let f = l.function_of();
        if crate::gpu::is_gpu(f.global_parent()) || crate::openmp::is_parallel_region(f) {
            return None;
        }
        let rereads = self.rereads.as_ref()?;
        let idom = self.idom.as_ref()?;
        // the copies start at `base`: the allocation, or a pointer outside
        // loops that is either the allocation or null, or one of buffers
        // swapped by pointers (a header phi of their loop: the copy is made
        // where it dominates, and it holds one value from there to the load)
        let (alloc, sizes, base, swapped) = match rereads.local_allocation(l.operand(0)) {
            Some((alloc, sizes)) => (alloc, sizes, allocation_root(l.operand(0), alloc)?, None),
            None if self.swapped_snapshots => {
                let root = strip_offsets(l.operand(0));
                let sw = swapped_buffers(rereads, loops, root)?;
                (sw.allocs[0], sw.sizes.clone(), root, Some(sw))
            }
            None => return None,
        };
        // (a parameter of known extent is no instruction: outside loops)
        let in_loop = |v: Value| v.is_instruction() && loops.loop_of(v.parent()).is_some();
        if (swapped.is_none() && in_loop(base)) || in_loop(alloc) {
            return None;
        }
        // writes through another buffer of the swapped set never touch it
        let exempt = |w: Value| {
            swapped.as_ref().is_some_and(|sw| {
                written_root(w).is_some_and(|r| r != base && sw.phis.contains(&r))
            })
        };
        // the copy at `at` reads `base` and the sizes
        let dominated = |at: Block| {
            std::iter::once(base)
                .chain(sizes.iter().copied())
                .all(|v| !v.is_instruction() || crate::cfg::loops::dominates(idom, v.parent(), at))
        };
        let inner = loops.loop_of(l.parent())?;
        let mut chain = Vec::new();
        let mut c = Some(inner);
        while let Some(x) = c {
            chain.push(x);
            c = loops.get(x).parent;
        }
        // From the outermost: a loop for which the memory is unchanged
        // since its header has every inner loop of the chain so too.
        for &lp in chain.iter().rev() {
            let header = loops.get(lp).header;
            let inside = |b: Block| loops.contains(lp, b);
            if rereads.unwritten_since_header_except(l, header, &inside, &exempt) {
                let deep = loops.get(inner).depth >= loops.get(lp).depth + SNAPSHOT_MIN_LEVELS;
                let sized = sweeps_allocation(loops, &chain, lp, l, &sizes, swapped.is_some());
                if deep && dominated(header) && sized {
                    return Some(SnapPlan {
                        lp,
                        base,
                        sizes,
                        at: None,
                    });
                }
                break;
            }
        }
        // Once per instance: the outermost loop `x` of the chain inside
        // which nothing writes the allocation at all (a stage of a
        // time step reading the state its previous stage wrote) is copied
        // on entry, in its preheader, one copy per iteration of its parent.
        for &x in chain.iter().rev() {
            let inside = |b: Block| loops.contains(x, b);
            // the load is no writer: "no write inside `x` may touch it"
            let alone = rereads
                .writers_within(l.operand(0), &inside)
                .is_some_and(|ws| ws.iter().all(|&w| w == l || exempt(w)));
            if !alone {
                continue;
            }
            let lo = loops.get(x);
            let lp = lo.parent?;
            let pre = dedicated_preheader(loops, idom, x)?;
            let sized = sweeps_allocation(loops, &chain, lp, l, &sizes, swapped.is_some());
            return (loops.loop_of(pre) == Some(lp) && dominated(pre) && sized).then_some(
                SnapPlan {
                    lp,
                    base,
                    sizes,
                    at: Some(pre),
                },
            );
        }
        None
    }

    /// The snapshot for `plan`, created on first use (its copies are
    /// emitted by [`Tape::install_snapshots`], once the reverse sweep no
    /// longer walks the forward code).
    fn snapshot(&mut self, loops: &Loops, plan: &SnapPlan) -> usize {
        if let Some(k) = self.snaps.iter().position(|s| s.plan == *plan) {
            return k;
        }
        self.loop_tape(loops, plan.lp);
        let (ptr_ty, i64t) = (Type::ptr(self.module.context()), self.i64());
        let null = self.frame.fwd_entry.zero(ptr_ty);
        let zero = self.frame.fwd_entry.const_int(i64t, 0);
        let buf = self.slot(ptr_ty, "tape.snap", Some(null));
        let cap = self.slot(i64t, "tape.snap.cap", Some(zero));
        self.report.add(|| {
            let when = match plan.at {
                None => "at the header",
                Some(_) => "on entry to an inner loop that does not write it",
            };
            format!(
                "  snapshot `{}` once per iteration of {}, {when} (its loads deeper in it read the copy)",
                plan.base.describe().trim(),
                describe_loop(loops, plan.lp)
            )
        });
        self.snaps.push(Snapshot {
            plan: plan.clone(),
            buf,
            cap,
            exit_copy: false,
        });
        self.snaps.len() - 1
    }

    /// `l`'s value in the reverse sweep, read from its snapshot: row
    /// `ridx(L)` of the copies, at `l`'s offset into the allocation.
    pub(super) fn read_snapshot(
        &mut self,
        loops: &Loops,
        b: &Builder,
        l: Value,
        plan: &SnapPlan,
    ) -> Value {
        let k = self.snapshot(loops, plan);
        let (ptr_ty, i64t) = (Type::ptr(self.module.context()), self.i64());
        let addr = self.reload(loops, b, l.operand(0));
        let base = self.reload(loops, b, plan.base);
        let sizes: Vec<Value> = plan
            .sizes
            .clone()
            .into_iter()
            .map(|s| self.reload(loops, b, s))
            .collect();
        let bytes = product(b, &sizes);
        let off = b.sub_int(b.ptr_to_int(addr, i64t), b.ptr_to_int(base, i64t));
        let r = b.load(i64t, self.loops[&plan.lp].ridx.rev);
        let copies = b.load(ptr_ty, self.snaps[k].buf.rev);
        let at = b.gep(b.i8(), copies, &[b.add_int(b.mul_int(r, bytes), off)]);
        let v = b.load(l.ty(), at);
        b.set_alignment(v, 1);
        mark_primal_read(v);
        v
    }

    /// A value `q` the reverse sweep reads from the copy that the next
    /// iteration's snapshot holds, instead of taping it: a Jacobi-style
    /// double buffer, `xn[i] = q` in a row loop `R`, then `x = xn` copied
    /// whole (`memcpy`) before the next sweep, whose header snapshots `x`
    /// (the hand-written adjoint's "keep every iterate": the next iterate
    /// holds this sweep's quotients). All checked (combined shape;
    /// memoized): `q` (a float) is stored by a store in `R` itself (once
    /// per iteration of `R`) at `A + idx`, `idx` an induction of `R` with
    /// step 1 or -1 (optionally sign-extended: a different element each
    /// iteration), `A` a fresh non-escaping allocation made outside loops;
    /// `R`'s parent is `L`, the outermost loop (one instance per call); a
    /// `memcpy(X, A, size of A)` (or `memmove`) in `L` outside its inner loops runs on
    /// every path from the store back to `L`'s header or out of `L`;
    /// inside `L` the store is the only write that may touch `A`, and from
    /// `L`'s header on the copy is the only one that may touch `X`, a
    /// fresh non-escaping allocation made before `L`; `R` counts up to
    /// `A`'s element count (a copy of `X` per sweep replaces one tape field
    /// per row). Then on iteration `k` of `L`, `q` is at its offset in the
    /// snapshot of iteration `k + 1`, or, for the last iteration, in a
    /// copy of `X` made where the reverse sweep enters `L`
    /// ([`Tape::install_exit_copies`]).
    pub(super) fn stored_in_next_snapshot(&self, loops: &Loops, q: Value) -> Option<NextPlan> {
        if let Some(p) = self.next_plans.borrow().get(&q) {
            return p.clone();
        }
        let p = self.decide_next(loops, q);
        self.next_plans.borrow_mut().insert(q, p.clone());
        p
    }

    fn decide_next(&self, loops: &Loops, q: Value) -> Option<NextPlan> {
        if self.frame.split.is_some() || !q.is_instruction() || !q.ty().is_float() {
            return None;
        }
        let f = q.function_of();
        if crate::gpu::is_gpu(f.global_parent()) || crate::openmp::is_parallel_region(f) {
            return None;
        }
        let rereads = self.rereads.as_ref()?;
        let idom = self.idom.as_ref()?;
        let r = loops.loop_of(q.parent())?;
        let l = loops.get(r).parent?;
        if loops.get(l).parent.is_some() {
            return None;
        }
        let store = q.users().into_iter().find(|u| {
            u.is_instruction()
                && u.opcode() == Opcode::LLVMStore
                && u.operand(0) == q
                && !u.is_volatile_or_atomic()
                && loops.loop_of(u.parent()) == Some(r)
        })?;
        let addr = store.operand(1);
        let (base, idx) = recompute::indexed(addr)?;
        let iv = if idx.is_instruction() && idx.opcode() == Opcode::LLVMSExt {
            idx.operand(0)
        } else {
            idx
        };
        match recompute::induction(loops, iv) {
            Some(recompute::Induction::Affine { lp, step, .. })
                if lp == r && (step == 1 || step == -1) => {}
            _ => return None,
        }
        let (a_alloc, a_sizes) = rereads.local_allocation(addr)?;
        let root = allocation_root(addr, a_alloc)?;
        if root != base || !root.is_instruction() || loops.loop_of(root.parent()).is_some() {
            return None;
        }
        let inside = |b: Block| loops.contains(l, b);
        // the whole-buffer copy `X = A` in `L`, outside its inner loops
        let copy = loops.get(l).blocks.iter().find_map(|&blk| {
            if loops.loop_of(blk) != Some(l) {
                return None;
            }
            blk.instructions().into_iter().find(|c| {
                if !c.is_call() {
                    return false;
                }
                let name = c.called_name();
                // (a `memmove` too: `X` and `A` are different blocks)
                crate::shadow::is_memcpy(&name)
                    && c.call_args().len() >= 3
                    && c.call_args()[1] == root
                    && c.call_args()
                        .get(3)
                        .is_none_or(|v| v.const_int() == Some(0))
                    && covers(c.call_args()[2], &a_sizes, q)
            })
        })?;
        let dst = copy.call_args()[0];
        let (x_alloc, x_sizes) = rereads.local_allocation(dst)?;
        let x_root = allocation_root(dst, x_alloc)?;
        if x_root != dst
            || x_root == root
            || !x_root.is_instruction()
            || loops.loop_of(x_root.parent()).is_some()
            || !x_alloc.is_instruction()
            || loops.loop_of(x_alloc.parent()).is_some()
        {
            return None;
        }
        let header = loops.get(l).header;
        // the blocks from `L`'s header on: the copy is the only write of `X`
        // there, so after the last iteration `X` keeps what the last copy
        // wrote until the reverse sweep reads it (its free, if any, moved
        // to the reverse sweep's end)
        let mut from_header = hashbrown::HashSet::new();
        let mut work = vec![header];
        while let Some(x) = work.pop() {
            if from_header.insert(x) {
                work.extend(x.successors());
            }
        }
        let dominated = std::iter::once(x_root)
            .chain(x_sizes.iter().copied())
            .all(|v| !v.is_instruction() || crate::cfg::loops::dominates(idom, v.parent(), header));
        if !dominated
            || !rereads.sole_writer_within(store, addr, &inside)
            || !rereads.sole_writer_within(copy, dst, &|b: Block| from_header.contains(&b))
            || !sweeps_allocation(loops, &[r, l], l, q, &a_sizes, false)
        {
            return None;
        }
        // every path from the store to `L`'s header or out of `L` copies
        let through = copy.parent();
        let mut seen = hashbrown::HashSet::new();
        let mut work: Vec<Block> = store.parent().successors();
        while let Some(x) = work.pop() {
            if x == through || !seen.insert(x) {
                continue;
            }
            // back to the header, out of `L`, or a `ret` inside it
            if x == header || !inside(x) || x.successors().is_empty() {
                return None;
            }
            work.extend(x.successors());
        }
        Some(NextPlan {
            snap: SnapPlan {
                lp: l,
                base: x_root,
                sizes: x_sizes,
                at: None,
            },
            addr,
            root,
        })
    }

    /// `q`'s value in the reverse sweep, read from the next iteration's
    /// snapshot (row `ridx(L) + 1`, the exit copy after the last).
    pub(super) fn read_next_snapshot(
        &mut self,
        loops: &Loops,
        b: &Builder,
        q: Value,
        plan: &NextPlan,
    ) -> Value {
        let k = self.snapshot(loops, &plan.snap);
        self.snaps[k].exit_copy = true;
        let (ptr_ty, i64t) = (Type::ptr(self.module.context()), self.i64());
        let addr = self.reload(loops, b, plan.addr);
        let root = self.reload(loops, b, plan.root);
        let sizes: Vec<Value> = plan
            .snap
            .sizes
            .clone()
            .into_iter()
            .map(|s| self.reload(loops, b, s))
            .collect();
        let bytes = product(b, &sizes);
        let off = b.sub_int(b.ptr_to_int(addr, i64t), b.ptr_to_int(root, i64t));
        let r = b.load(i64t, self.loops[&plan.snap.lp].ridx.rev);
        let next = b.add_int(r, b.const_int(i64t, 1));
        let copies = b.load(ptr_ty, self.snaps[k].buf.rev);
        let at = b.gep(b.i8(), copies, &[b.add_int(b.mul_int(next, bytes), off)]);
        let v = b.load(q.ty(), at);
        b.set_alignment(v, 1);
        mark_primal_read(v);
        v
    }

    /// Forward sweep: at each snapshot loop's header (after its counter
    /// prologue), the room for this iteration's copy and the copy itself:
    /// `need = idx + 1; if (need > cap) grow; memcpy(buf + idx * bytes,
    /// base, bytes)` (no bytes when the allocation failed).
    pub(super) fn install_snapshots(&mut self, loops: &Loops, fwd_fn: Value) {
        let (ptr_ty, i64t) = (Type::ptr(self.module.context()), self.i64());
        let g = Builder::new(self.module);
        // Where scalar evolution bounds a snapshot loop's iterations at its
        // entry, room for all of them first (the copies of a time loop's
        // stages fill hundreds of megabytes: no doubling overshoot).
        let headers: Vec<Block> = self
            .snaps
            .iter()
            .map(|s| loops.get(s.plan.lp).header)
            .collect();
        let bounds = if headers.is_empty() {
            Vec::new()
        } else {
            shim::header_trip_bounds(fwd_fn, &headers)
        };
        // Snapshot loops whose every iteration's copy the entry reserved:
        // their header needs no growth check.
        let mut reserved = Vec::new();
        for (k, (s, bound)) in self.snaps.iter().zip(bounds).enumerate() {
            let Some(bound) = bound else { continue };
            reserved.push(k);
            let lt = &self.loops[&s.plan.lp];
            g.before(bound.preheader.terminator().expect("preheader terminator"));
            let cnt = g.load(i64t, lt.cnt_fwd);
            let need = g.add_int(cnt, g.int_cast(bound.trips, i64t, false));
            let need = if s.exit_copy {
                g.add_int(need, g.const_int(i64t, 1))
            } else {
                need
            };
            let cap = g.load(i64t, s.cap.fwd);
            let full = g.icmp(IntPredicate::LLVMIntUGT, need, cap);
            g.before(shim::if_then_after(full));
            g.store(need, s.cap.fwd);
            let bytes = product(&g, &s.plan.sizes);
            self.reallocate_bytes(&g, s.buf.fwd, g.mul_int(need, bytes));
        }
        let mut fused = Vec::new();
        for (k, s) in self.snaps.iter().enumerate() {
            let lt = &self.loops[&s.plan.lp];
            if let Some(w) = s.plan.at.and_then(|pre| {
                self.whole_writer(loops, fwd_fn, &s.plan, pre)
                    .or_else(|| self.whole_reader(loops, &s.plan, pre))
            }) {
                fused.push((s.plan.base, w.at.opcode() == Opcode::LLVMLoad));
                // the row is filled by the loop that writes the allocation
                // whole right before the copy would be made, or reads it
                // whole right after: one more store next to its store or
                // load instead of a second pass over the data
                let enter = w.preheader.terminator().expect("preheader terminator");
                g.before(enter);
                if !reserved.contains(&k) {
                    self.grow_for_row(&g, s, lt.idx);
                    g.before(enter);
                }
                let bytes = product(&g, &s.plan.sizes);
                let copies = g.load(ptr_ty, s.buf.fwd);
                let row = g.gep(g.i8(), copies, &[g.mul_int(lt.idx, bytes)]);
                g.after(w.at);
                let dst = g.gep(w.elem, row, &[w.iv]);
                let st = g.store(w.value, dst);
                g.set_alignment(st, 1);
                continue;
            }
            // the copy first: the growth check goes in front of it
            let before_copy = match s.plan.at {
                None => {
                    g.after(lt.prologue_end);
                    Some(lt.prologue_end)
                }
                Some(pre) => {
                    let t = pre.terminator().expect("preheader terminator");
                    g.before(t);
                    t.prev_instruction()
                }
            };
            let bytes = product(&g, &s.plan.sizes);
            let failed = g.icmp(IntPredicate::LLVMIntEQ, s.plan.base, g.zero(ptr_ty));
            let n = g.select(failed, g.const_int(i64t, 0), bytes);
            let copies = g.load(ptr_ty, s.buf.fwd);
            let dst = g.gep(g.i8(), copies, &[g.mul_int(lt.idx, bytes)]);
            g.memcpy(dst, s.plan.base, n);
            // reserved at entry: rows up to the counter there plus the
            // trips (plus the exit copy's), and `idx + spare` stays within
            if reserved.contains(&k) {
                continue;
            }
            match before_copy {
                Some(i) => g.after(i),
                None => g.at_start(s.plan.at.expect("a preheader")),
            }
            self.grow_for_row(&g, s, lt.idx);
        }
        for (base, read) in fused {
            let by = if read {
                "reads it whole after"
            } else {
                "writes it whole before"
            };
            self.report.add(|| {
                format!(
                    "  snapshot `{}` stored by the loop that {by} the copy (no copy)",
                    base.describe().trim()
                )
            });
        }
    }

    /// At `g`: room in `s`'s buffer for row `idx` (with an exit copy, for
    /// the row after it too), doubling the buffer when full; `g` ends in the
    /// growth block.
    fn grow_for_row(&self, g: &Builder, s: &Snapshot, idx: Value) {
        let i64t = self.i64();
        let spare = if s.exit_copy { 2 } else { 1 };
        let need = g.add_int(idx, g.const_int(i64t, spare));
        let cap = g.load(i64t, s.cap.fwd);
        let full = g.icmp(IntPredicate::LLVMIntUGT, need, cap);
        g.before(shim::if_then_after(full));
        let cap = g.load(i64t, s.cap.fwd);
        let doubled = g.add_int(g.mul_int(cap, g.const_int(i64t, 2)), g.const_int(i64t, 4));
        let bigger = g.icmp(IntPredicate::LLVMIntUGT, need, doubled);
        let new_cap = g.select(bigger, need, doubled);
        g.store(new_cap, s.cap.fwd);
        let bytes = product(g, &s.plan.sizes);
        self.reallocate_bytes(g, s.buf.fwd, g.mul_int(new_cap, bytes));
    }

    /// The loop that leaves the snapshot's allocation as the copy at `pre`
    /// (a preheader inside the snapshot loop) would see it, when it writes
    /// every element once: a loop `W` directly inside the snapshot loop
    /// whose only exit, its latch, leads to `pre` through blocks of the
    /// snapshot loop each entered only from the one before it; `W` counts
    /// `i` from 0 by 1 until `i + 1 == N` (an `eq`/`ne` exit test: a
    /// `<` test would run once when `N` is 0, writing a row of no bytes) with
    /// `N` the allocation's element count; it stores `base[i]` (elements of
    /// the stored type, the allocation's element size) once in every
    /// iteration (in `W` itself, in a block dominating the latch); and no
    /// other write in `W` or on the way to `pre` may touch the allocation.
    /// Then the row can be stored next to that store: the same bytes as the
    /// copy, without reading the allocation again (rk4's stage inputs: the
    /// loop `tmp[i] = u[i] + h k[i]` before each stage). `None` otherwise.
    fn whole_writer(
        &self,
        loops: &Loops,
        fwd_fn: Value,
        plan: &SnapPlan,
        pre: Block,
    ) -> Option<WholeWriter> {
        let rereads = self.rereads.as_ref()?;
        let idom = self.idom.as_ref()?;
        let blocks = fwd_fn.blocks();
        let preds = |b: Block| -> Vec<Block> {
            blocks
                .iter()
                .copied()
                .filter(|p| p.successors().contains(&b))
                .collect()
        };
        // back from `pre` to the loop it is entered from
        let mut path = vec![pre];
        let mut after = pre;
        let (exiting, w) = loop {
            let ps = preds(after);
            let [p] = ps.as_slice() else {
                return None;
            };
            let x = loops.loop_of(*p)?;
            if x == plan.lp {
                if path.len() > 8 {
                    return None;
                }
                path.push(*p);
                after = *p;
                continue;
            }
            if loops.get(x).parent != Some(plan.lp) {
                return None;
            }
            break (*p, x);
        };
        let wl = loops.get(w);
        let ZeroCounted { iv, n, latch } = counted_from_zero(loops, w, after)?;
        if latch != exiting {
            return None;
        }
        // the one store of `base[i]`
        let mut found = None;
        for &b in &wl.blocks {
            for i in b.instructions() {
                if i.opcode() != Opcode::LLVMStore {
                    continue;
                }
                let a = i.operand(1);
                let of_base = a.opcode() == Opcode::LLVMGetElementPtr
                    && a.num_operands() == 2
                    && a.operand(0) == plan.base
                    && a.operand(1) == iv
                    && a.gep_source_element_type() == Some(i.operand(0).ty());
                if of_base {
                    if found.is_some() {
                        return None;
                    }
                    found = Some(i);
                }
            }
        }
        let store = found?;
        let elem = store.operand(0).ty();
        if store.is_volatile_or_atomic()
            || loops.loop_of(store.parent()) != Some(w)
            || !crate::cfg::loops::dominates(idom, store.parent(), exiting)
        {
            return None;
        }
        if !counts_elements(plan, elem, n) {
            return None;
        }
        let inside = |b: Block| wl.blocks.contains(&b) || path.contains(&b);
        if !rereads.sole_writer_within(store, plan.base, &inside) {
            return None;
        }
        let preheader = dedicated_preheader(loops, idom, w)?;
        if !available_at(loops, idom, plan, preheader) {
            return None;
        }
        Some(WholeWriter {
            at: store,
            value: store.operand(0),
            iv,
            elem,
            preheader,
        })
    }

    /// The loop entered from `pre` (a preheader inside the snapshot loop,
    /// where the copy would be made) when it reads the snapshot's
    /// allocation whole and writes none of it: directly inside the
    /// snapshot loop, `pre` its dedicated preheader, leaving only from its
    /// one latch, counting `i` from 0 by 1 until `i + 1 == N` with `N` the
    /// allocation's element count (`counted_from_zero`), loading `base[i]`
    /// (elements of the loaded type, the allocation's element size) in a
    /// block of its own dominating the latch, so once in every iteration;
    /// no write in it may touch the allocation. Then the row can be stored
    /// next to that load: the same bytes as the copy, no call of `memcpy`
    /// (GMM's `|Q (x - mu)|^2`, a loop of d elements once per data point
    /// and component). `None` otherwise.
    fn whole_reader(&self, loops: &Loops, plan: &SnapPlan, pre: Block) -> Option<WholeWriter> {
        let rereads = self.rereads.as_ref()?;
        let idom = self.idom.as_ref()?;
        let [header] = pre.successors()[..] else {
            return None;
        };
        let r = loops.loop_of(header)?;
        let rl = loops.get(r);
        if rl.header != header
            || rl.parent != Some(plan.lp)
            || dedicated_preheader(loops, idom, r) != Some(pre)
        {
            return None;
        }
        let exits: Vec<Block> = rl
            .blocks
            .iter()
            .flat_map(|b| b.successors())
            .filter(|s| !rl.blocks.contains(s))
            .collect();
        let [after] = exits[..] else {
            return None;
        };
        let ZeroCounted { iv, n, latch } = counted_from_zero(loops, r, after)?;
        // the one load of `base[i]`
        let mut found = None;
        for &b in &rl.blocks {
            for i in b.instructions() {
                if i.opcode() != Opcode::LLVMLoad {
                    continue;
                }
                let a = i.operand(0);
                let of_base = a.opcode() == Opcode::LLVMGetElementPtr
                    && a.num_operands() == 2
                    && a.operand(0) == plan.base
                    && a.operand(1) == iv
                    && a.gep_source_element_type() == Some(i.ty());
                if of_base && found.is_none() {
                    found = Some(i);
                }
            }
        }
        let load = found?;
        let elem = load.ty();
        if !feeds_effect(load)
            || load.is_volatile_or_atomic()
            || loops.loop_of(load.parent()) != Some(r)
            || !crate::cfg::loops::dominates(idom, load.parent(), latch)
            || !counts_elements(plan, elem, n)
        {
            return None;
        }
        let inside = |b: Block| rl.blocks.contains(&b);
        if !rereads
            .writers_within(plan.base, &inside)
            .is_some_and(|ws| ws.is_empty())
        {
            return None;
        }
        if !available_at(loops, idom, plan, pre) {
            return None;
        }
        Some(WholeWriter {
            at: load,
            value: load,
            iv,
            elem,
            preheader: pre,
        })
    }

    /// Reverse sweep, where it enters the (only) instance of loop `lp`
    /// (before `at`, its last iteration entered): the exit copies of
    /// `lp`'s snapshots, the allocation as the last iteration left it, in
    /// the row after that iteration's (the forward sweep kept that row
    /// free). Nothing wrote the allocation since ([`NextPlan`]).
    /// Whether a snapshot belongs to `lp` or a loop inside it.
    pub(super) fn snapshots_within(&self, loops: &Loops, lp: LoopId) -> bool {
        self.snaps.iter().any(|s| is_ancestor(loops, lp, s.plan.lp))
    }

    pub(super) fn install_exit_copies(&mut self, loops: &Loops, lp: LoopId, at: Value) {
        let (ptr_ty, i64t) = (Type::ptr(self.module.context()), self.i64());
        let b = Builder::new(self.module);
        b.before(at);
        for k in 0..self.snaps.len() {
            if !self.snaps[k].exit_copy || self.snaps[k].plan.lp != lp {
                continue;
            }
            let plan = self.snaps[k].plan.clone();
            let base = self.reload(loops, &b, plan.base);
            let sizes: Vec<Value> = plan
                .sizes
                .iter()
                .map(|&s| self.reload(loops, &b, s))
                .collect();
            let bytes = product(&b, &sizes);
            let failed = b.icmp(IntPredicate::LLVMIntEQ, base, b.zero(ptr_ty));
            let n = b.select(failed, b.const_int(i64t, 0), bytes);
            let r = b.load(i64t, self.loops[&lp].ridx.rev);
            let row = b.add_int(r, b.const_int(i64t, 1));
            let copies = b.load(ptr_ty, self.snaps[k].buf.rev);
            let dst = b.gep(b.i8(), copies, &[b.mul_int(row, bytes)]);
            b.memcpy(dst, base, n);
        }
    }

    /// End of the reverse sweep: frees the snapshot buffers.
    pub(super) fn free_snapshots(&self, b: &Builder) {
        let ptr_ty = Type::ptr(self.module.context());
        for s in &self.snaps {
            let p = b.load(ptr_ty, s.buf.rev);
            match self.cache_helpers() {
                Some((_, release)) => b.call_fn(release, &[p]),
                None => b.call_fn(self.free_fn(), &[p]),
            };
        }
    }
}

/// The pointer `addr` is an offset from (through `getelementptr`s) when it
/// is the allocation `alloc` itself or a phi or select of it and null
/// (`std::vector`'s data pointer, null while the vector is empty).
fn allocation_root(addr: Value, alloc: Value) -> Option<Value> {
    let mut root = addr;
    while root.is_instruction() && root.opcode() == Opcode::LLVMGetElementPtr {
        root = root.operand(0);
    }
    fn alloc_or_null(v: Value, alloc: Value, depth: u32) -> bool {
        if v == alloc || v.is_null_constant() {
            return true;
        }
        depth > 0
            && v.is_instruction()
            && match v.opcode() {
                Opcode::LLVMPHI => v
                    .operands()
                    .into_iter()
                    .all(|o| alloc_or_null(o, alloc, depth - 1)),
                Opcode::LLVMSelect => {
                    alloc_or_null(v.operand(1), alloc, depth - 1)
                        && alloc_or_null(v.operand(2), alloc, depth - 1)
                }
                _ => false,
            }
    }
    alloc_or_null(root, alloc, 4).then_some(root)
}

/// `p` without `getelementptr`s and bitcasts, and selects of two such
/// offsets from one pointer (`u[i > 0 ? i - 1 : n - 1]` selected as addresses).
fn strip_offsets(mut p: Value) -> Value {
    for _ in 0..16 {
        if !p.is_instruction() {
            break;
        }
        p = match p.opcode() {
            Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast => p.operand(0),
            Opcode::LLVMSelect if p.ty().is_pointer() => {
                let (a, b) = (strip_offsets(p.operand(1)), strip_offsets(p.operand(2)));
                if a != b {
                    break;
                }
                a
            }
            _ => break,
        };
    }
    p
}

/// The pointer a store, `memcpy` or `memset` writes through, without its
/// offsets (`None` for other writers).
fn written_root(w: Value) -> Option<Value> {
    if w.opcode() == Opcode::LLVMStore {
        return Some(strip_offsets(w.operand(1)));
    }
    let name = w.called_name();
    (w.is_call() && (crate::shadow::is_memcpy(&name) || crate::shadow::is_memset(&name)))
        .then(|| strip_offsets(w.call_args()[0]))
}

/// Buffers swapped by pointers (`tmp = u; u = un; un = tmp`, or rotated):
/// header phis of one loop, each entered with its own fresh allocation and
/// taking another one's value on every back edge, the phis a cycle.
struct Swapped {
    phis: Vec<Value>,
    /// Their entry allocations (in `phis`' order).
    allocs: Vec<Value>,
    /// The allocations' size operands, the same for all.
    sizes: Vec<Value>,
}

/// The set of swapped buffers header phi `p` is one of: every phi of the
/// set takes, from every block inside its loop, one other phi of the set,
/// and from every block outside it one allocation that
/// [`Rereads::local_allocation`] accepts (fresh, not escaping) made outside
/// loops, a different one per phi, all of the same size operands. Each
/// iteration then permutes distinct blocks: in every iteration the phis
/// point into different allocations, so a write through one never touches
/// memory read through another.
fn swapped_buffers(rereads: &Rereads, loops: &Loops, p: Value) -> Option<Swapped> {
    const MAX_BUFFERS: usize = 8;
    if !p.is_instruction() || p.opcode() != Opcode::LLVMPHI || !p.ty().is_pointer() {
        return None;
    }
    let header = p.parent();
    let lp = loops.loop_of(header)?;
    if loops.get(lp).header != header {
        return None;
    }
    let (mut phis, mut allocs) = (Vec::new(), Vec::new());
    let mut sizes: Option<Vec<Value>> = None;
    let mut cur = p;
    loop {
        let (mut entry, mut next) = (None, None);
        for (v, b) in cur.incoming() {
            let slot = if loops.contains(lp, b) {
                &mut next
            } else {
                &mut entry
            };
            if slot.is_some_and(|x| x != v) {
                return None;
            }
            *slot = Some(v);
        }
        let (entry, next) = (entry?, next?);
        let (alloc, sz) = rereads.local_allocation(entry)?;
        if alloc != entry
            || !alloc.is_instruction()
            || loops.loop_of(alloc.parent()).is_some()
            || allocs.contains(&alloc)
        {
            return None;
        }
        match &sizes {
            Some(s) if !same_bytes(s, &sz) => return None,
            Some(_) => {}
            None => sizes = Some(sz),
        }
        phis.push(cur);
        allocs.push(alloc);
        if next == p {
            break;
        }
        if phis.len() >= MAX_BUFFERS
            || !next.is_instruction()
            || next.opcode() != Opcode::LLVMPHI
            || next.parent() != header
            || phis.contains(&next)
        {
            return None;
        }
        cur = next;
    }
    (phis.len() >= 2).then_some(Swapped {
        phis,
        allocs,
        sizes: sizes?,
    })
}

/// Whether two allocations' size operands give the same number of bytes:
/// the same operands, or `calloc(n, e)` against `malloc(n * e)` (`e` a
/// constant).
fn same_bytes(a: &[Value], b: &[Value]) -> bool {
    let split = |v: &[Value]| match *v {
        [n, e] if e.const_int().is_some_and(|e| e > 0) => Some((n, e.const_int()?)),
        [e, n] if e.const_int().is_some_and(|e| e > 0) => Some((n, e.const_int()?)),
        _ => None,
    };
    let one = |v: &[Value], w: &[Value]| match (split(v), w) {
        (Some((n, e)), [bytes]) => element_count(*bytes, e) == Some(n),
        _ => false,
    };
    a == b || one(a, b) || one(b, a)
}

/// The block through which every instance of loop `x` is entered: the
/// header's immediate dominator when it branches to the header alone (any
/// other predecessor of the header is then reached through the header, a
/// latch of `x`).
/// Loop `x` when it counts `i` from 0 by 1 until `i + 1 == N` (an
/// `eq`/`ne` exit test: a `<` test would run once when `N` is 0, passing
/// over no elements) and leaves only from its one latch, to `after`.
fn counted_from_zero(loops: &Loops, x: LoopId, after: Block) -> Option<ZeroCounted> {
    let xl = loops.get(x);
    let [latch] = xl.latches[..] else {
        return None;
    };
    for &b in &xl.blocks {
        if b.successors()
            .iter()
            .any(|s| !(xl.blocks.contains(s) || (b == latch && *s == after)))
        {
            return None;
        }
    }
    // the exit test: `i + 1 == N` leaves, `i + 1 != N` stays
    let t = latch.terminator()?;
    let succ = t.successors();
    if succ.len() != 2 || t.num_operands() < 1 {
        return None;
    }
    let c = t.operand(0);
    if c.opcode() != Opcode::LLVMICmp {
        return None;
    }
    let pred = c.icmp_predicate()?;
    let leaves_on_eq = match (pred, succ[0] == after, succ[1] == after) {
        (IntPredicate::LLVMIntEQ, true, false) => succ[1] == xl.header,
        (IntPredicate::LLVMIntNE, false, true) => succ[0] == xl.header,
        _ => false,
    };
    if !leaves_on_eq {
        return None;
    }
    let (next, n) = (c.operand(0), c.operand(1));
    if next.opcode() != Opcode::LLVMAdd || next.operand(1).const_int() != Some(1) {
        return None;
    }
    let iv = next.operand(0);
    if iv.opcode() != Opcode::LLVMPHI || iv.parent() != xl.header {
        return None;
    }
    let inc = iv.incoming();
    if inc.len() != 2
        || !inc.iter().all(|&(v, b)| {
            if xl.blocks.contains(&b) {
                b == latch && v == next
            } else {
                v.const_int() == Some(0)
            }
        })
    {
        return None;
    }
    Some(ZeroCounted { iv, n, latch })
}

/// Whether loaded value `v` may reach something the forward sweep keeps:
/// a store, call, branch or anything but arithmetic, casts, selects and
/// phis on the way to the function's return. A loop whose loads only feed
/// the returned value (masked attention's `f += o[c] * o[c]`) is deleted
/// from the forward sweep, where the return value is not needed; storing
/// a snapshot's row next to its load would keep it, as a scalar copy loop
/// slower than `memcpy` (2% there). Gives up, yes, after 256 users.
fn feeds_effect(v: Value) -> bool {
    let mut seen = vec![v];
    let mut work = vec![v];
    while let Some(x) = work.pop() {
        for u in x.users() {
            if seen.contains(&u) {
                continue;
            }
            if seen.len() > 256 {
                return true;
            }
            let passes = u.is_cast()
                || matches!(
                    u.opcode(),
                    Opcode::LLVMFAdd
                        | Opcode::LLVMFSub
                        | Opcode::LLVMFMul
                        | Opcode::LLVMFDiv
                        | Opcode::LLVMFNeg
                        | Opcode::LLVMAdd
                        | Opcode::LLVMSub
                        | Opcode::LLVMMul
                        | Opcode::LLVMPHI
                        | Opcode::LLVMSelect
                        | Opcode::LLVMExtractValue
                        | Opcode::LLVMInsertValue
                );
            let fma = u.is_call()
                && matches!(
                    u.called_name().as_str(),
                    "llvm.fmuladd.f64" | "llvm.fmuladd.f32" | "llvm.fma.f64" | "llvm.fma.f32"
                );
            if u.opcode() == Opcode::LLVMRet {
                continue;
            }
            if !(passes || fma) {
                return true;
            }
            seen.push(u);
            work.push(u);
        }
    }
    false
}

/// Whether `n` is the element count of `plan`'s allocation in elements of
/// type `elem` (a whole number of bytes, not x87's 80 bits), up to casts.
fn counts_elements(plan: &SnapPlan, elem: Type, n: Value) -> bool {
    let bits = if elem.is_float() {
        elem.float_bits()
    } else if elem.is_integer() {
        elem.int_width()
    } else {
        0
    };
    if bits == 0 || bits % 8 != 0 || bits == 80 {
        return false;
    }
    let size = i64::from(bits / 8);
    let count = match plan.sizes.as_slice() {
        [c, e] if e.const_int() == Some(size) => *c,
        [e, c] if e.const_int() == Some(size) => *c,
        [total] => match element_count(*total, size) {
            Some(c) => c,
            None => return false,
        },
        _ => return false,
    };
    let same = |a: Value, b: Value| {
        a == b
            || (a.is_instruction()
                && b.is_instruction()
                && a.is_cast()
                && a.opcode() == b.opcode()
                && a.operand(0) == b.operand(0))
    };
    same(n, count)
}

/// Whether `plan`'s allocation and size operands are available at the end
/// of `pre`, a block of the snapshot loop.
fn available_at(loops: &Loops, idom: &HashMap<Block, Block>, plan: &SnapPlan, pre: Block) -> bool {
    let available =
        |v: Value| !v.is_instruction() || crate::cfg::loops::dominates(idom, v.parent(), pre);
    loops.loop_of(pre) == Some(plan.lp)
        && available(plan.base)
        && plan.sizes.iter().all(|&v| available(v))
}

fn dedicated_preheader(loops: &Loops, idom: &HashMap<Block, Block>, x: LoopId) -> Option<Block> {
    let header = loops.get(x).header;
    let pre = *idom.get(&header)?;
    (pre != header && !loops.contains(x, pre) && pre.successors() == [header]).then_some(pre)
}

/// Whether a loop between `lp` and the load `l` (in `chain`, innermost
/// first) runs, per iteration of `lp`, about as many iterations as the
/// allocation has elements of `l`'s type: its exit bound and the
/// allocation's element count are the same value (up to casts and a small
/// constant offset), so the load runs at least about that often per copy
/// and a copy costs no more than the values it replaces; for a block of
/// constant size, a constant bound equal to its element count (`malloc(8 *
/// NF)` read by `for (j = 0; j < NF; j++)`). A buffer much larger than the
/// loads made of it per iteration is taped as before.
/// `padded` (swapped buffers): also a size `n * elem + c` with ghost cells
/// (`(n << 3) + 16`) and a loop that tests its counter before the step
/// (`i <= n`); for other buffers that made `fv1d`'s slope array a
/// snapshot, 10% slower.
fn sweeps_allocation(
    loops: &Loops,
    chain: &[LoopId],
    lp: LoopId,
    l: Value,
    sizes: &[Value],
    padded: bool,
) -> bool {
    let elem = l.function_of().global_parent().alloc_size(l.ty()) as i64;
    let count = match sizes {
        [n, e] if e.const_int() == Some(elem) => Some(*n),
        [n, e] if n.const_int() == Some(elem) => Some(*e),
        [bytes] => element_count(*bytes, elem)
            .or_else(|| padded.then(|| padded_element_count(*bytes, elem)).flatten()),
        _ => None,
    };
    let count = count.map(core);
    // a block of constant size (`malloc(sizeof(double) * NF)`): its element
    // count, compared with constant bounds by value (`i32` or `i64`)
    let fixed = constant_element_count(sizes, elem);
    if count.is_none() && fixed.is_none() {
        return false;
    }
    let same = |n: Value| {
        let n = core(n);
        Some(n) == count || (fixed.is_some() && n.const_int() == fixed)
    };
    chain.iter().take_while(|m| **m != lp).any(|&m| {
        loops.get(m).header.phis().into_iter().any(|phi| {
            recompute::counted_trips(loops, m, phi)
                .map(|(_, _, n, _)| n)
                .or_else(|| padded.then(|| tested_before_step(loops, m, phi)).flatten())
                .is_some_and(same)
        })
    })
}

/// The element count of an allocation whose size operands are all
/// constants, `elem` bytes each (`None` when some is not, or the bytes are
/// not a whole number of elements).
fn constant_element_count(sizes: &[Value], elem: i64) -> Option<i64> {
    let bytes = sizes
        .iter()
        .try_fold(1i64, |a, s| a.checked_mul(s.const_int()?))?;
    (elem > 0 && bytes > 0 && bytes % elem == 0).then(|| bytes / elem)
}

/// The bound `n` a counter `i` of loop `m` is compared with before its step
/// (`for (i = 0; i <= n; i++)`: the latch exits on `i == n`), for
/// [`sweeps_allocation`]'s estimate of the trips alone.
fn tested_before_step(loops: &Loops, m: LoopId, phi: Value) -> Option<Value> {
    let Some(recompute::Induction::Affine { step: 1, .. }) = recompute::induction(loops, phi)
    else {
        return None;
    };
    let [latch] = loops.get(m).latches.as_slice() else {
        return None;
    };
    let br = latch.terminator()?;
    if br.opcode() != Opcode::LLVMBr || br.operands().len() != 3 {
        return None;
    }
    let cond = br.operand(0);
    if !cond.is_instruction() || cond.opcode() != Opcode::LLVMICmp {
        return None;
    }
    match (cond.operand(0), cond.operand(1)) {
        (a, n) if a == phi => Some(n),
        (n, a) if a == phi => Some(n),
        _ => None,
    }
}

/// Whether a copy of `len` bytes covers the whole allocation of `sizes`
/// (elements of `q`'s type): the same size value, or its element count
/// times the element size, or equal constants.
fn covers(len: Value, sizes: &[Value], q: Value) -> bool {
    let elem = q.function_of().global_parent().alloc_size(q.ty()) as i64;
    let consts: Option<Vec<i64>> = sizes.iter().map(|s| s.const_int()).collect();
    if let (Some(c), Some(l)) = (consts, len.const_int()) {
        return c.iter().try_fold(1i64, |a, x| a.checked_mul(*x)) == Some(l);
    }
    match sizes {
        [bytes] => len == *bytes,
        [n, e] if e.const_int() == Some(elem) => element_count(len, elem) == Some(*n),
        [e, n] if e.const_int() == Some(elem) => element_count(len, elem) == Some(*n),
        _ => false,
    }
}

/// `v` for `bytes = v * elem` (`mul` or `shl`).
pub(super) fn element_count(bytes: Value, elem: i64) -> Option<Value> {
    if elem <= 0 || !bytes.is_instruction() {
        return None;
    }
    let (a, c) = (bytes.operand(0), bytes.operand(1));
    match bytes.opcode() {
        Opcode::LLVMMul if c.const_int() == Some(elem) => Some(a),
        Opcode::LLVMMul if a.const_int() == Some(elem) => Some(c),
        Opcode::LLVMShl
            if c.const_int()
                .is_some_and(|k| (0..63).contains(&k) && 1i64 << k == elem) =>
        {
            Some(a)
        }
        _ => None,
    }
}

/// `v` for `bytes = v * elem + c`, `c` a small multiple of `elem` (`(n + 2)
/// * 8` folded to `(n << 3) + 16`): the element count up to that constant,
/// which [`sweeps_allocation`] ignores ([`core`]).
fn padded_element_count(bytes: Value, elem: i64) -> Option<Value> {
    if !bytes.is_instruction() || bytes.opcode() != Opcode::LLVMAdd {
        return None;
    }
    let c = bytes.operand(1).const_int()?;
    (elem > 0 && c % elem == 0 && (c / elem).abs() <= 16)
        .then(|| element_count(bytes.operand(0), elem))
        .flatten()
}

/// `v` without integer casts and a small constant added (`n + 2`, `n - 1`).
fn core(mut v: Value) -> Value {
    for _ in 0..4 {
        if !v.is_instruction() {
            break;
        }
        v = match v.opcode() {
            Opcode::LLVMSExt | Opcode::LLVMZExt | Opcode::LLVMTrunc => v.operand(0),
            Opcode::LLVMAdd | Opcode::LLVMSub
                if v.operand(1).const_int().is_some_and(|k| k.abs() <= 16) =>
            {
                v.operand(0)
            }
            _ => break,
        };
    }
    v
}

/// The product of `sizes` as an `i64`.
fn product(b: &Builder, sizes: &[Value]) -> Value {
    let i64t = b.i64();
    let mut acc = b.const_int(i64t, 1);
    for &s in sizes {
        acc = b.mul_int(acc, b.int_cast(s, i64t, false));
    }
    acc
}
