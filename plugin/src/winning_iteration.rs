//! Running extrema over computed values, in a canonical copy: where a loop
//! that writes no memory (libm's `errno` aside) keeps `m = c ? v : m`
//! (`best = s < best ? s : best`, `std::min`, `fmin` after
//! `extrema_as_selects`; or a phi after an `if` that assigns `m`; a payload
//! or an index carried alongside is fine) with `v` computed in the
//! iteration and `m` only compared inside the loop, the loop also keeps the
//! values its header phis had in the winning iteration (the last one that
//! chose `v`), and after the loop one copy of that iteration's body, up to
//! the choice, computes `v` again from them; `m`'s users after the loop
//! take that copy (or the start value when no iteration won). Nothing
//! changes in the primal: the copy runs the same instructions on the same
//! operands (the loop writes no memory), so it yields the same bits, and the
//! choice is the primal's own (ties and NaN included: the same condition
//! decides). The derivative no longer sees `m` flow through every
//! iteration: the loop is only compared, hence not differentiated, and the
//! reverse sweep runs the adjoint of one iteration's body, the winner's,
//! instead of one per iteration that adds zero everywhere else (k-means:
//! O(d) per point instead of O(k d)); forward mode likewise carries one
//! tangent.
//!
//! Loaded candidates (`v` a load) are `running_extrema`'s: it rereads the
//! element instead of recomputing it. A loop with another floating-point
//! carried value (a sum, say) keeps its reverse sweep anyway and is left as
//! it is.

use crate::cfg::loops::Loops;
use crate::cfg::Cfg;
use crate::error::{Error, Result};
use crate::running_extrema::{extremum_shape, may_write, read_only_loops, Shape, Win};
use ferment_ir::{Block, Builder, Opcode, Type, Value};
use hashbrown::{HashMap, HashSet};

/// Most instructions one copy of a winning iteration may have.
const MAX_COPIED_INSTRUCTIONS: usize = 2000;
/// Most rewrites in one function (each one re-reads the CFG).
const MAX_REWRITES: usize = 64;

/// Rewrites every running extremum over computed values of `f` as
/// described above; returns how many it rewrote. `f` is in loop-simplify
/// and LCSSA form, and stays so.
pub fn recompute_winners(f: Value) -> Result<usize> {
    // A convergent operation (a warp shuffle) must not run again under a
    // condition only some threads meet.
    if crate::gpu::is_gpu(f.global_parent()) {
        return Ok(0);
    }
    let mut done = 0;
    while done < MAX_REWRITES {
        let Some(c) = find_one(f) else {
            break;
        };
        rewrite(f, &c);
        done += 1;
    }
    if done > 0 {
        crate::shim::verify_function(f).map_err(|e| {
            Error::new(format!(
                "internal error: recomputing the winner of a running minimum or maximum left '{}' ill-formed:\n{e}",
                f.name()
            ))
        })?;
    }
    Ok(done)
}

/// One running extremum to rewrite.
struct Candidate {
    shape: Shape,
    /// The single LCSSA phi after the loop taking `m`.
    exit_phi: Value,
    header: Block,
    pre: Block,
    latch: Block,
    /// The blocks of one iteration up to the select's block, in reverse
    /// post-order (the header first).
    region: Vec<Block>,
    /// The header phis the region uses, in the header's order.
    used_phis: Vec<Value>,
}

fn find_one(f: Value) -> Option<Candidate> {
    let (cfg, loops, candidates) = read_only_loops(f, writes_memory)?;
    for (i, pre) in candidates {
        let lp = &loops.loops[i];
        let latch = lp.latches[0];
        let phis = lp.header.phis();
        let shapes: Vec<Option<Shape>> = phis
            .iter()
            .map(|&p| extremum_shape(p, pre, latch, &lp.blocks))
            .collect();
        // Another floating-point value carried around the loop keeps its
        // reverse sweep: a copy of the winner would only add work. (Another
        // running extremum does not, nor one rewritten already.)
        let other_carried = phis
            .iter()
            .zip(&shapes)
            .any(|(p, s)| s.is_none() && p.ty().contains_float());
        if other_carried {
            continue;
        }
        for shape in shapes.into_iter().flatten() {
            if let Some(c) = candidate(&cfg, &loops, lp.header, pre, latch, &lp.blocks, shape) {
                return Some(c);
            }
        }
    }
    None
}

fn candidate(
    cfg: &Cfg,
    loops: &Loops,
    header: Block,
    pre: Block,
    latch: Block,
    blocks: &HashSet<Block>,
    shape: Shape,
) -> Option<Candidate> {
    let v = shape.value;
    // A loaded candidate is reread by `running_extrema`; a value from
    // outside the loop needs no copy.
    if !v.is_instruction() || !blocks.contains(&v.parent()) || v.opcode() == Opcode::LLVMLoad {
        return None;
    }
    let [exit_phi] = shape.exits[..] else {
        return None;
    };
    // The copy goes at the start of the exit block: a dedicated exit, in the
    // loop around this one (LCSSA holds for what the copy uses).
    let exit = exit_phi.parent();
    let plain_edge = |p: &Block| {
        blocks.contains(p)
            && p.terminator()
                .is_some_and(|t| matches!(t.opcode(), Opcode::LLVMBr | Opcode::LLVMSwitch))
    };
    if !cfg.preds(exit).iter().all(plain_edge)
        || exit
            .first_non_phi()
            .is_none_or(|i| i.opcode() == Opcode::LLVMLandingPad)
        || loops.loop_of(exit) != loops.loop_of(pre)
    {
        return None;
    }
    // The copy runs up to the select, or to the end of the block whose edge
    // assigns `v`.
    let last = match shape.win {
        Win::Select(_) => shape.update.parent(),
        Win::Edge(from) => from,
    };
    if !blocks.contains(&last) || last == latch && matches!(shape.win, Win::Edge(_)) {
        return None;
    }
    let mut in_region: HashSet<Block> = HashSet::new();
    let mut work = vec![last];
    while let Some(b) = work.pop() {
        if !in_region.insert(b) || b == header {
            continue;
        }
        work.extend(cfg.preds(b).iter().copied().filter(|p| blocks.contains(p)));
    }
    let region: Vec<Block> = cfg
        .rpo
        .iter()
        .copied()
        .filter(|b| in_region.contains(b))
        .collect();
    if region.first() != Some(&header) {
        return None;
    }
    // Only the header is entered from outside the region (so the copy's
    // phis have all their edges inside it).
    let closed = region
        .iter()
        .filter(|&&b| b != header)
        .all(|&b| cfg.preds(b).iter().all(|p| in_region.contains(p)));
    if !closed {
        return None;
    }
    let header_phis = header.phis();
    let mut used: HashSet<Value> = HashSet::new();
    let mut count = 0;
    for &b in &region {
        for i in b.instructions() {
            if b == header && i.opcode() == Opcode::LLVMPHI {
                continue;
            }
            count += 1;
            if !copyable(i, b == last) {
                return None;
            }
            for o in i.operands() {
                if header_phis.contains(&o) {
                    used.insert(o);
                }
            }
        }
    }
    if count > MAX_COPIED_INSTRUCTIONS {
        return None;
    }
    let used_phis = header_phis
        .into_iter()
        .filter(|p| used.contains(p))
        .collect();
    Some(Candidate {
        shape,
        exit_phi,
        header,
        pre,
        latch,
        region,
        used_phis,
    })
}

/// Whether an instruction of `b` may write memory, apart from the `errno`
/// of libm calls (no observable of a derivative: the copy may set it
/// again, to what the winning iteration set it to).
fn writes_memory(b: Block) -> bool {
    b.instructions()
        .into_iter()
        .any(|i| may_write(i) && !(i.is_call() && crate::derive::is_pure_math_call(i)))
}

/// Whether an instruction of the region may run again in the copy (the
/// loop writes no memory, so the copy computes what the iteration did).
fn copyable(i: Value, in_last: bool) -> bool {
    match i.opcode() {
        // A stack slot would be a new one; a frozen poison may take
        // another value the second time.
        Opcode::LLVMAlloca | Opcode::LLVMFreeze => false,
        Opcode::LLVMLandingPad | Opcode::LLVMInvoke | Opcode::LLVMCallBr => false,
        Opcode::LLVMCatchPad | Opcode::LLVMCleanupPad | Opcode::LLVMCatchSwitch => false,
        // The last block's terminator is not copied; others are branches.
        Opcode::LLVMBr => true,
        _ if i.is_terminator() => in_last,
        _ => i.ty().kind() != ferment_ir::TypeKind::LLVMTokenTypeKind,
    }
}

/// Intrinsics the copy leaves out (markers with no value).
fn marker(i: Value) -> bool {
    i.is_call()
        && i.called_function().is_some_and(|f| {
            let n = f.name();
            n.starts_with("llvm.dbg")
                || n.starts_with("llvm.lifetime")
                || n.starts_with("llvm.assume")
                || n.starts_with("llvm.experimental.noalias.scope.decl")
                || n.starts_with("llvm.pseudoprobe")
        })
}

/// A header phi's value in the winning iteration: `at` in the header,
/// `next` after the select (`c ? p : at` when `c` true picks the
/// candidate), carried around the loop.
struct Snapshot {
    at: Value,
    next: Value,
}

fn snapshot(b: &Builder, c: &Candidate, p: Value, start: Value) -> Snapshot {
    let ty = p.ty();
    b.after_phis(c.header);
    let at = b.phi(ty, "winner.at");
    let u = c.shape.update;
    let next = match c.shape.win {
        Win::Select(on_true) => {
            b.after(u);
            b.set_debug_loc_from(u);
            let cond = u.operand(0);
            if on_true {
                b.select(cond, p, at)
            } else {
                b.select(cond, at, p)
            }
        }
        Win::Edge(from) => {
            b.after_phis(u.parent());
            let next = b.phi(ty, "winner.next");
            for (_, pred) in u.incoming() {
                next.add_incoming(if pred == from { p } else { at }, pred);
            }
            next
        }
    };
    at.add_incoming(start, c.pre);
    at.add_incoming(next, c.latch);
    Snapshot { at, next }
}

fn rewrite(f: Value, c: &Candidate) {
    let b = Builder::new(f.global_parent());
    let ctx = f.global_parent().context();
    let i1 = Type::int(ctx, 1);
    let phi = c.shape.phi;
    let Some(start) = phi
        .incoming()
        .into_iter()
        .find(|&(_, from)| from == c.pre)
        .map(|(v, _)| v)
    else {
        return;
    };
    // The header phis' values in the winning iteration, and whether one won.
    let snaps: Vec<(Value, Snapshot)> = c
        .used_phis
        .iter()
        .map(|&p| (p, snapshot(&b, c, p, b.poison(p.ty()))))
        .collect();
    let won = snapshot(&b, c, b.const_int(i1, 1), b.const_int(i1, 0));

    // A new first block of the exit takes over its phis (and the loop's
    // edges), then branches to the copy when an iteration won.
    let exit = c.exit_phi.parent();
    let top = f.insert_block_before(exit, "winner.exit");
    let copy_end = f.insert_block_before(exit, "winner.value");
    b.at_end(top);
    let placeholder = b.unreachable();
    for p in exit.phis() {
        p.move_before(placeholder);
    }
    let exiting: Vec<(Value, Block)> = c.exit_phi.incoming();
    for &(_, from) in &exiting {
        let Some(t) = from.terminator() else {
            continue;
        };
        for (k, s) in t.successors().into_iter().enumerate() {
            if s == exit {
                t.set_successor(k as u32, top);
            }
        }
    }
    // Per exiting edge: the snapshot before the select where `m` leaves
    // the loop as the phi, after it where it leaves as the select.
    let at_exit = |s: &Snapshot, name: &str| {
        b.before(placeholder);
        let x = b.phi(s.at.ty(), name);
        for &(v, from) in &exiting {
            x.add_incoming(if v == phi { s.at } else { s.next }, from);
        }
        x
    };
    let mut map: HashMap<Value, Value> = HashMap::new();
    for (p, s) in &snaps {
        map.insert(*p, at_exit(s, "winner.phi"));
    }
    let won_here = at_exit(&won, "winner.won");

    // The copy of the winning iteration up to the select.
    let mut blocks: HashMap<Block, Block> = HashMap::new();
    for &r in &c.region {
        blocks.insert(r, f.insert_block_before(copy_end, "winner.copy"));
    }
    b.before(placeholder);
    b.cond_br(won_here, blocks[&c.header], copy_end);
    placeholder.erase();
    let last = match c.shape.win {
        Win::Select(_) => c.shape.update.parent(),
        Win::Edge(from) => from,
    };
    let mut copied: Vec<Value> = Vec::new();
    let mut phis: Vec<(Value, Value)> = Vec::new();
    for &r in &c.region {
        b.at_end(blocks[&r]);
        for i in r.instructions() {
            if i.opcode() == Opcode::LLVMPHI {
                if r != c.header {
                    b.set_debug_loc_from(i);
                    let q = b.phi(i.ty(), "winner.copy.phi");
                    map.insert(i, q);
                    phis.push((i, q));
                    copied.push(q);
                }
                continue;
            }
            if i.is_terminator() {
                if r == last {
                    b.br(copy_end);
                } else {
                    copy_branch(&b, f, i, c.header, &blocks, &map);
                }
                continue;
            }
            if marker(i) {
                continue;
            }
            let k = i.clone_instruction();
            b.insert(k);
            for (n, o) in i.operands().into_iter().enumerate() {
                if let Some(&m) = map.get(&o) {
                    k.set_operand(n, m);
                }
            }
            map.insert(i, k);
            copied.push(k);
        }
    }
    for (i, q) in phis {
        for (v, from) in i.incoming() {
            q.add_incoming(map.get(&v).copied().unwrap_or(v), blocks[&from]);
        }
    }
    let value = map.get(&c.shape.value).copied().unwrap_or(c.shape.value);
    b.at_end(copy_end);
    b.set_debug_loc_from(c.exit_phi);
    let result = b.phi(phi.ty(), "winner.value");
    b.br(exit);
    result.add_incoming(start, top);
    result.add_incoming(value, blocks[&last]);
    c.exit_phi.replace_all_uses_with(result);
    c.exit_phi.erase();

    // What the copy computes but does not need (the compare and select,
    // the next index) goes, then the snapshots nothing reads.
    erase_dead(&mut copied);
    for (p, s) in &snaps {
        let x = map[p];
        if !x.has_uses() {
            x.erase();
            s.at.replace_all_uses_with(b.poison(s.at.ty()));
            s.next.erase();
            s.at.erase();
        }
    }
}

/// The copy of a region block's branch. The copy follows the winning
/// iteration's path to the select, so an edge leaving the region is never
/// taken: a branch with one edge inside becomes a jump along it (its
/// condition need not be computed again), and any other edge leaving goes
/// to a block of its own that ends in `unreachable`.
fn copy_branch(
    b: &Builder,
    f: Value,
    term: Value,
    header: Block,
    blocks: &HashMap<Block, Block>,
    map: &HashMap<Value, Value>,
) {
    let here = b.insert_block();
    let inside = |s: Block| blocks.get(&s).copied().filter(|_| s != header);
    let target = |s: Block| match inside(s) {
        Some(t) => t,
        None => {
            let never = f.insert_block_before(here, "winner.copy.never");
            never.move_after(here);
            b.at_end(never);
            b.unreachable();
            b.at_end(here);
            never
        }
    };
    let succs = term.successors();
    match succs[..] {
        [s] => {
            let t = target(s);
            b.set_debug_loc_from(term);
            b.br(t);
        }
        [s1, s2] => match (inside(s1), inside(s2)) {
            (Some(t), None) | (None, Some(t)) => {
                b.set_debug_loc_from(term);
                b.br(t);
            }
            _ => {
                let cond = term.operand(0);
                let cond = map.get(&cond).copied().unwrap_or(cond);
                let (t1, t2) = (target(s1), target(s2));
                b.set_debug_loc_from(term);
                b.cond_br(cond, t1, t2);
            }
        },
        _ => {
            b.unreachable();
        }
    }
}

/// Erases instructions of `copied` that nothing uses (phis and calls stay:
/// a phi may be used by itself around a loop, a call kept as it is).
fn erase_dead(copied: &mut Vec<Value>) {
    loop {
        let before = copied.len();
        copied.retain(|&i| {
            let dead = !i.has_uses()
                && !i.is_terminator()
                && !i.is_call()
                && i.opcode() != Opcode::LLVMPHI;
            if dead {
                i.erase();
            }
            !dead
        });
        if copied.len() == before {
            break;
        }
    }
}
