//! Adjoint storage: one zero-initialized slot per active value and lane
//! (batched reverse mode, `DerivativeKey::width` N, carries N adjoints).
//!
//! `add` accumulates (`d_v += c`), `take` reads and resets to zero (so a
//! value's adjoint is consumed exactly once per definition it belongs to).
//! Aggregates (structs, arrays) accumulate field by field.
//!
//! Each slot is zeroed once in the entry block; [`Adjoints::localize`]
//! moves that store next to the slot's uses where they all lie in one
//! block, so SROA promotes such slots block by block, and else to the
//! nearest block outside loops that dominates them.

use crate::cfg::loops::{dominators, nearest_common_dominator};
use crate::cfg::Cfg;
use ferment_ir::{Block, Builder, Module, Opcode, Value};
use hashbrown::{HashMap, HashSet};

pub struct Adjoints {
    slots: HashMap<(Value, usize), Value>,
    /// Pointer slots keyed by a heap allocation: the pointer the reverse
    /// of a free last freed, if it was that allocation's (see
    /// `memory::HeapFates`).
    freed: HashMap<Value, Value>,
    entry: Builder,
}

impl Adjoints {
    pub fn new(module: Module, entry: Block) -> Adjoints {
        let eb = Builder::new(module);
        eb.at_start(entry);
        Adjoints {
            slots: HashMap::new(),
            freed: HashMap::new(),
            entry: eb,
        }
    }

    /// The reverse sweep's slot recording which pointer the reverse of a
    /// free last passed for the allocation `alloc` (null at the start).
    pub fn freed_slot(&mut self, alloc: Value) -> Value {
        if let Some(s) = self.freed.get(&alloc) {
            return *s;
        }
        let ty = alloc.ty();
        let s = self.entry.alloca(ty, "freed");
        self.entry.store(self.entry.zero(ty), s);
        self.freed.insert(alloc, s);
        s
    }

    fn slot(&mut self, v: Value, lane: usize) -> Value {
        if let Some(s) = self.slots.get(&(v, lane)) {
            return *s;
        }
        let s = self.entry.alloca(v.ty(), "adjoint");
        let z = self.entry.zero(v.ty());
        self.entry.store(z, s);
        self.slots.insert((v, lane), s);
        s
    }

    /// `d_v += c` in `lane` at `b`'s insertion point.
    pub fn add(&mut self, b: &Builder, v: Value, lane: usize, c: Value) {
        let s = self.slot(v, lane);
        let old = b.load(v.ty(), s);
        let new = accumulate(b, old, c);
        b.store(new, s);
    }

    /// Reads `d_v` in `lane` and resets it to zero.
    pub fn take(&mut self, b: &Builder, v: Value, lane: usize) -> Value {
        let s = self.slot(v, lane);
        let d = b.load(v.ty(), s);
        b.store(b.zero(v.ty()), s);
        d
    }

    /// Once the sweep of `rf` is complete: a slot whose loads and stores
    /// (but the zeroing one) all lie in one block `r` that ends them with a
    /// store of zero holds zero whenever `r` starts (nothing else touches
    /// it, and every pass through `r` leaves it zero), so its zeroing store
    /// moves from the entry block to just before its first access in `r`.
    /// SROA then promotes it within `r` (its one-block path) instead of
    /// placing phis of zeros over every block between the entry and `r`: an
    /// unrolled factorization's reverse sweep has thousands of slots and
    /// blocks. A slot accessed in several blocks is zeroed at the start of
    /// the nearest block that dominates them all and lies on no cycle (so
    /// it runs at most once, before any access): it still holds its entry
    /// zero there, and SROA's liveness walks stop at that block instead of
    /// the entry. Returns the numbers of slots moved into their one block
    /// and to a dominator.
    pub fn localize(&self, rf: Value) -> (usize, usize) {
        let mut order: HashMap<Block, HashMap<Value, usize>> = HashMap::new();
        let mut spread = Vec::new();
        let mut moved = 0;
        for &slot in self.slots.values() {
            match local_accesses(slot, &mut order) {
                Some(Accesses::OneBlock(init, first)) => {
                    init.move_before(first);
                    moved += 1;
                }
                Some(Accesses::Spread(init, blocks)) => spread.push((init, blocks)),
                None => {}
            }
        }
        (moved, hoist_to_dominators(rf, spread))
    }

    /// The number of slots (values and lanes that have an adjoint).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// [`Self::take`] in each of `width` lanes.
    pub fn take_lanes(&mut self, b: &Builder, v: Value, width: usize) -> Vec<Value> {
        (0..width).map(|lane| self.take(b, v, lane)).collect()
    }
}

/// Where a slot's accesses lie, for [`Adjoints::localize`].
enum Accesses {
    /// The zeroing store in the entry block and the first access in the one
    /// block holding all others, the last of which stores zero.
    OneBlock(Value, Value),
    /// The zeroing store and the blocks (none the entry) of the others.
    Spread(Value, Vec<Block>),
}

/// `slot`'s accesses when it is only loaded and stored to, the entry block
/// holds nothing but its zeroing store, and it has other accesses.
fn local_accesses(
    slot: Value,
    order: &mut HashMap<Block, HashMap<Value, usize>>,
) -> Option<Accesses> {
    let entry = slot.parent();
    let mut init = None;
    let mut blocks: Vec<Block> = Vec::new();
    let mut accesses = Vec::new();
    for u in slot.users() {
        let is_load = u.opcode() == Opcode::LLVMLoad;
        let is_store = u.opcode() == Opcode::LLVMStore && u.operand(0) != slot;
        if !(is_load || is_store) || u.is_volatile_or_atomic() {
            return None;
        }
        let at = u.parent();
        if at == entry {
            if !is_store || !u.operand(0).is_null_constant() || init.replace(u).is_some() {
                return None;
            }
            continue;
        }
        if !blocks.contains(&at) {
            blocks.push(at);
        }
        accesses.push(u);
    }
    let init = init?;
    let &[block] = blocks.as_slice() else {
        return (!blocks.is_empty()).then_some(Accesses::Spread(init, blocks));
    };
    let positions = order.entry(block).or_insert_with(|| {
        block
            .instructions()
            .into_iter()
            .enumerate()
            .map(|(i, v)| (v, i))
            .collect()
    });
    accesses.sort_by_key(|a| positions.get(a).copied());
    let last = *accesses.last()?;
    if last.opcode() != Opcode::LLVMStore || !last.operand(0).is_null_constant() {
        return Some(Accesses::Spread(init, blocks));
    }
    Some(Accesses::OneBlock(init, accesses[0]))
}

/// For [`Adjoints::localize`]: moves each zeroing store of `spread` to the
/// start of the nearest block of `rf` that dominates all the slot's other
/// accesses and lies on no cycle, where that is not the entry block.
/// Returns how many moved.
fn hoist_to_dominators(rf: Value, spread: Vec<(Value, Vec<Block>)>) -> usize {
    if spread.is_empty() {
        return 0;
    }
    let cfg = Cfg::new(rf);
    let mut seen: HashSet<Block> = HashSet::new();
    let mut stack = vec![rf.entry_block()];
    while let Some(b) = stack.pop() {
        if seen.insert(b) {
            stack.extend(b.successors());
        }
    }
    let reachable: Vec<Block> = cfg
        .rpo
        .iter()
        .copied()
        .filter(|b| seen.contains(b))
        .collect();
    let cyclic = blocks_on_cycles(&cfg, &reachable);
    let idom = dominators(&cfg, &reachable);
    let rpo: HashMap<Block, usize> = reachable.iter().enumerate().map(|(i, b)| (*b, i)).collect();
    let entry = rf.entry_block();
    let mut moved = 0;
    for (init, blocks) in spread {
        if init.parent() != entry || blocks.iter().any(|b| !seen.contains(b)) {
            continue;
        }
        let Some(mut at) = blocks
            .iter()
            .copied()
            .reduce(|a, b| nearest_common_dominator(&idom, &rpo, a, b))
        else {
            continue;
        };
        while at != entry && cyclic.contains(&at) {
            at = idom[&at];
        }
        if at == entry {
            continue;
        }
        let Some(first) = at.first_insertion_point() else {
            continue;
        };
        init.move_before(first);
        moved += 1;
    }
    moved
}

/// The blocks of `reachable` (in reverse post-order from the entry) that
/// lie on a cycle of `cfg`, reducible or not: the strongly connected
/// components of more than one block (Kosaraju: predecessor walks in that
/// order) and the blocks that branch to themselves.
fn blocks_on_cycles(cfg: &Cfg, reachable: &[Block]) -> HashSet<Block> {
    let live: HashSet<Block> = reachable.iter().copied().collect();
    let mut assigned: HashSet<Block> = HashSet::new();
    let mut cyclic: HashSet<Block> = HashSet::new();
    for &root in reachable {
        if !assigned.insert(root) {
            continue;
        }
        let mut component = vec![root];
        let mut stack = vec![root];
        while let Some(b) = stack.pop() {
            for &p in cfg.preds(b) {
                if live.contains(&p) && assigned.insert(p) {
                    component.push(p);
                    stack.push(p);
                }
            }
        }
        if component.len() > 1 {
            cyclic.extend(component);
        }
    }
    for &b in reachable {
        if b.successors().contains(&b) {
            cyclic.insert(b);
        }
    }
    cyclic
}

/// `a + c` for floats, float vectors, and aggregates of them (other fields
/// are left as they are in `a`).
fn accumulate(b: &Builder, a: Value, c: Value) -> Value {
    let ty = a.ty();
    if ty.is_fp_like() {
        return b.fadd_acc(a, c);
    }
    let n = if ty.is_struct() {
        ty.struct_fields().len() as u32
    } else if ty.is_array() {
        ty.array_len() as u32
    } else {
        return a;
    };
    let mut out = a;
    for i in 0..n {
        let fa = b.extract_value(a, i);
        if !fa.ty().contains_float() {
            continue;
        }
        let fc = b.extract_value(c, i);
        let sum = accumulate(b, fa, fc);
        out = b.insert_value(out, sum, i);
    }
    out
}
