//! Adjoint storage: one zero-initialized slot per active value and lane
//! (batched reverse mode, `DerivativeKey::width` N, carries N adjoints).
//!
//! `add` accumulates (`d_v += c`), `take` reads and resets to zero (so a
//! value's adjoint is consumed exactly once per definition it belongs to).
//! Aggregates (structs, arrays) accumulate field by field.

use ferment_ir::{Block, Builder, Module, Value};
use hashbrown::HashMap;

pub struct Adjoints {
    slots: HashMap<(Value, usize), Value>,
    entry: Builder,
}

impl Adjoints {
    pub fn new(module: Module, entry: Block) -> Adjoints {
        let eb = Builder::new(module);
        eb.at_start(entry);
        Adjoints {
            slots: HashMap::new(),
            entry: eb,
        }
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

    /// [`Self::take`] in each of `width` lanes.
    pub fn take_lanes(&mut self, b: &Builder, v: Value, width: usize) -> Vec<Value> {
        (0..width).map(|lane| self.take(b, v, lane)).collect()
    }
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
