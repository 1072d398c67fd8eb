//! Adjoint storage: one zero-initialized slot per active value and lane
//! (batched reverse mode, `DerivativeKey::width` N, carries N adjoints).
//!
//! `add` accumulates (`d_v += c`), `take` reads and resets to zero (so a
//! value's adjoint is consumed exactly once per definition it belongs to).
//! Aggregates (structs, arrays) accumulate field by field.
//!
//! Each slot is zeroed once in the entry block; [`Adjoints::localize`]
//! moves that store next to the slot's uses where they all lie in one
//! block, so SROA promotes such slots block by block.

use ferment_ir::{Block, Builder, Module, Opcode, Value};
use hashbrown::HashMap;

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

    /// Once the sweep is complete: a slot whose loads and stores (but the
    /// zeroing one) all lie in one block `r` that ends them with a store of
    /// zero holds zero whenever `r` starts (nothing else touches it, and
    /// every pass through `r` leaves it zero), so its zeroing store moves
    /// from the entry block to just before its first access in `r`. SROA
    /// then promotes it within `r` (its one-block path) instead of placing
    /// phis of zeros over every block between the entry and `r`: an
    /// unrolled factorization's reverse sweep has thousands of slots and
    /// blocks. Returns the number of slots moved.
    pub fn localize(&self) -> usize {
        let mut order: HashMap<Block, HashMap<Value, usize>> = HashMap::new();
        let mut moved = 0;
        for &slot in self.slots.values() {
            let Some((init, first)) = local_accesses(slot, &mut order) else {
                continue;
            };
            init.move_before(first);
            moved += 1;
        }
        moved
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

/// For [`Adjoints::localize`]: `slot`'s zeroing store in the entry block
/// and its first access in the one block holding all others, when they
/// lie in one block other than the entry, the last of them stores zero,
/// and the slot is only loaded and stored to.
fn local_accesses(
    slot: Value,
    order: &mut HashMap<Block, HashMap<Value, usize>>,
) -> Option<(Value, Value)> {
    let entry = slot.parent();
    let mut init = None;
    let mut block = None;
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
        if *block.get_or_insert(at) != at {
            return None;
        }
        accesses.push(u);
    }
    let (init, block) = (init?, block?);
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
        return None;
    }
    Some((init, accesses[0]))
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
