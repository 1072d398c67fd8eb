//! Running extrema over loaded values, in a canonical copy: where a loop
//! keeps `m = c ? x[i] : m` (`if (m < x[i]) m = x[i];`, `std::max`) and
//! uses `m` only in comparisons inside the loop, the loop also keeps the
//! address the value came from, and its users after the loop read the
//! value again through that address. The value is the same bits (the loop
//! writes no memory), so nothing changes in the primal; the derivative,
//! though, no longer sees `m` flow through every iteration: the chain of
//! selects is only compared, hence not differentiated, and the reverse
//! sweep adds the adjoint of the extremum once, into the shadow of the
//! element that was chosen, instead of taping one choice per iteration
//! and running a reverse loop that adds zero everywhere else (Enzyme's
//! and hand-written adjoints of a log-sum-exp keep the argmax likewise).

use crate::cfg::loops::Loops;
use crate::cfg::Cfg;
use ferment_ir::{Block, Builder, Opcode, Type, Value};
use hashbrown::HashSet;

/// `memory` effects with a write to any location (2 bits per location).
const ANY_MOD: u64 = 0b1010_1010_1010;

/// The control-flow graph and loops of a function, and the loops a running
/// extremum may live in (index into `loops.loops`, the one predecessor
/// outside the loop).
pub(crate) type ReadOnlyLoops = (Cfg, Loops, Vec<(usize, Block)>);

/// [`ReadOnlyLoops`] of `f`: its loops with one latch, one predecessor
/// outside, and no block that `writes` says writes memory.
pub(crate) fn read_only_loops(f: Value, writes: fn(Block) -> bool) -> Option<ReadOnlyLoops> {
    let cfg = Cfg::new(f);
    let reachable: Vec<Block> = cfg
        .rpo
        .iter()
        .copied()
        .filter(|&b| b == f.entry_block() || !cfg.preds(b).is_empty())
        .collect();
    let loops = Loops::find(&cfg, &reachable).ok()?;
    let candidates = loops
        .loops
        .iter()
        .enumerate()
        .filter(|(_, lp)| lp.latches.len() == 1 && !lp.blocks.iter().any(|&b| writes(b)))
        .filter_map(|(i, lp)| {
            let outside: Vec<Block> = cfg
                .preds(lp.header)
                .iter()
                .copied()
                .filter(|p| !lp.blocks.contains(p))
                .collect();
            match outside[..] {
                [pre] => Some((i, pre)),
                _ => None,
            }
        })
        .collect();
    Some((cfg, loops, candidates))
}

/// Rewrites every running extremum of `f` as described above; returns
/// how many it rewrote. `f` is in loop-simplify and LCSSA form.
pub fn track_positions(f: Value) -> usize {
    let Some((_, loops, candidates)) = read_only_loops(f, writes_memory) else {
        return 0;
    };
    let mut found = Vec::new();
    for (i, pre) in candidates {
        let lp = &loops.loops[i];
        for phi in lp.header.phis() {
            if let Some(r) = running_extremum(phi, pre, lp.latches[0], &lp.blocks) {
                found.push(r);
            }
        }
    }
    let b = Builder::new(f.global_parent());
    for r in &found {
        rewrite(&b, f, r);
    }
    found.len()
}

/// A header phi `m = phi [m0, pre], [u, latch]` with `u = select c, v, m`
/// (or `select c, m, v`), `v` a load in the loop of `m`'s type.
struct Extremum {
    phi: Value,
    update: Value,
    load: Value,
    load_on_true: bool,
    pre: Block,
    latch: Block,
    /// The LCSSA phis after the loop that take `phi` or `update`.
    exits: Vec<Value>,
}

/// The shape both rewrites start from: a floating-point header phi
/// `m = phi [m0, pre], [u, latch]`, `u = select c, v, m` (or
/// `select c, m, v`) in the loop, or `u = phi [v, P], [m, Q]` in a block
/// of the loop (an `if` that assigns `m`), `m` and `u` only compared
/// inside the loop (apart from carrying each other), and taken after it
/// only by LCSSA phis (none when nothing after the loop reads it, such as
/// once rewritten).
pub(crate) struct Shape {
    pub phi: Value,
    pub update: Value,
    /// The candidate `v`.
    pub value: Value,
    pub win: Win,
    /// The LCSSA phis after the loop that take `phi` or `update`.
    pub exits: Vec<Value>,
}

/// How an iteration chooses `v`.
#[derive(Clone, Copy)]
pub(crate) enum Win {
    /// The select's condition, `true` when it picks `v` on true.
    Select(bool),
    /// The phi's edge from this block.
    Edge(Block),
}

pub(crate) fn extremum_shape(
    phi: Value,
    pre: Block,
    latch: Block,
    blocks: &HashSet<Block>,
) -> Option<Shape> {
    let ty = phi.ty();
    if !ty.is_fp_value() || ty.is_vector() {
        return None;
    }
    let incoming = phi.incoming();
    let [(a, ba), (b, bb)] = incoming[..] else {
        return None;
    };
    let update = if ba == pre && bb == latch {
        b
    } else if bb == pre && ba == latch {
        a
    } else {
        return None;
    };
    if !update.is_instruction() || !blocks.contains(&update.parent()) {
        return None;
    }
    let (value, win) = match update.opcode() {
        Opcode::LLVMSelect => {
            let (t, e) = (update.operand(1), update.operand(2));
            if e == phi && t != phi {
                (t, Win::Select(true))
            } else if t == phi && e != phi {
                (e, Win::Select(false))
            } else {
                return None;
            }
        }
        // (not another header phi: that would be a second carried value)
        Opcode::LLVMPHI if update.parent() != phi.parent() => {
            let incoming = update.incoming();
            let [(x, bx), (y, by)] = incoming[..] else {
                return None;
            };
            if bx == by {
                return None;
            }
            if y == phi && x != phi {
                (x, Win::Edge(bx))
            } else if x == phi && y != phi {
                (y, Win::Edge(by))
            } else {
                return None;
            }
        }
        _ => return None,
    };
    // Inside the loop the chain is only compared (and carried); after it,
    // only LCSSA phis take it, each from the loop's blocks.
    let mut exits = Vec::new();
    for (v, carried_by) in [(phi, update), (update, phi)] {
        for u in v.users() {
            if blocks.contains(&u.parent()) {
                let compared = matches!(u.opcode(), Opcode::LLVMFCmp);
                if u != carried_by && !compared {
                    return None;
                }
            } else if u.opcode() == Opcode::LLVMPHI
                && u.incoming()
                    .iter()
                    .all(|&(x, from)| (x == phi || x == update) && blocks.contains(&from))
            {
                if !exits.contains(&u) {
                    exits.push(u);
                }
            } else {
                return None;
            }
        }
    }
    Some(Shape {
        phi,
        update,
        value,
        win,
        exits,
    })
}

fn running_extremum(
    phi: Value,
    pre: Block,
    latch: Block,
    blocks: &HashSet<Block>,
) -> Option<Extremum> {
    let s = extremum_shape(phi, pre, latch, blocks)?;
    let Win::Select(load_on_true) = s.win else {
        return None;
    };
    if s.exits.is_empty() {
        return None;
    }
    let load = s.value;
    if load.opcode() != Opcode::LLVMLoad
        || load.ty() != phi.ty()
        || load.is_volatile_or_atomic()
        || !blocks.contains(&load.parent())
    {
        return None;
    }
    Some(Extremum {
        phi,
        update: s.update,
        load,
        load_on_true,
        pre,
        latch,
        exits: s.exits,
    })
}

/// Whether an instruction of `b` may write memory.
fn writes_memory(b: Block) -> bool {
    b.instructions().into_iter().any(may_write)
}

/// Whether the instruction `i` may write memory.
pub(crate) fn may_write(i: Value) -> bool {
    match i.opcode() {
        Opcode::LLVMStore
        | Opcode::LLVMAtomicRMW
        | Opcode::LLVMAtomicCmpXchg
        | Opcode::LLVMFence
        | Opcode::LLVMVAArg => true,
        Opcode::LLVMLoad => i.is_volatile_or_atomic(),
        Opcode::LLVMCall | Opcode::LLVMInvoke => {
            let name = i.called_name();
            let harmless = name.starts_with("llvm.dbg")
                || name.starts_with("llvm.assume")
                || name.starts_with("llvm.lifetime");
            !harmless
                && !i.call_accesses_no_memory()
                && i.call_memory_effects().is_none_or(|e| e & ANY_MOD != 0)
        }
        _ => false,
    }
}

fn rewrite(b: &Builder, f: Value, r: &Extremum) {
    let ty = r.phi.ty();
    let ptr = Type::ptr(f.global_parent().context());
    let align = r.load.alignment().max(1);
    // The start value lives in a slot of its own, so that the address kept
    // always points at the extremum.
    b.at_start(f.entry_block());
    let slot = b.alloca(ty, "extremum.start");
    b.set_alignment(slot, align.max(8));
    let Some(term) = r.pre.terminator() else {
        return;
    };
    b.before(term);
    b.set_debug_loc_from(r.phi);
    let start = r
        .phi
        .incoming()
        .into_iter()
        .find(|&(_, from)| from == r.pre);
    let Some((m0, _)) = start else {
        return;
    };
    let st = b.store(m0, slot);
    b.set_alignment(st, align.max(8));
    b.after_phis(r.phi.parent());
    let at = b.phi(ptr, "extremum.at");
    b.after(r.update);
    b.set_debug_loc_from(r.update);
    let c = r.update.operand(0);
    let here = r.load.operand(0);
    let next = if r.load_on_true {
        b.select(c, here, at)
    } else {
        b.select(c, at, here)
    };
    at.add_incoming(slot, r.pre);
    at.add_incoming(next, r.latch);
    // New phis first, then the loads, so that no phi follows a load.
    let mut pointers = Vec::new();
    for &e in &r.exits {
        b.after_phis(e.parent());
        let p = b.phi(ptr, "extremum.at.exit");
        for (x, from) in e.incoming() {
            p.add_incoming(if x == r.phi { at } else { next }, from);
        }
        pointers.push(p);
    }
    for (&e, p) in r.exits.iter().zip(pointers) {
        b.after_phis(e.parent());
        b.set_debug_loc_from(e);
        let l = b.load(ty, p);
        b.set_alignment(l, align);
        e.replace_all_uses_with(l);
        e.erase();
    }
}
