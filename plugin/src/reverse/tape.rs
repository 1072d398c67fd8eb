//! The tape: primal values the reverse sweep needs.
//!
//! A value used by the reverse sweep is stored to a slot right after its
//! definition and reloaded where the reverse sweep needs it. Without loops
//! the slot is a stack slot that `mem2reg` promotes back to SSA, so the
//! "cache" costs nothing; arguments and constants are used directly.

use ferment_ir::{Block, Builder, Module, Value};
use hashbrown::HashMap;

pub struct Tape {
    slots: HashMap<Value, Value>,
    /// Places slot allocations at the top of the entry block.
    entry: Builder,
    /// Inserts the stores after definitions.
    saver: Builder,
}

impl Tape {
    pub fn new(module: Module, entry: Block) -> Tape {
        let eb = Builder::new(module);
        match entry.first_instruction() {
            Some(i) => eb.before(i),
            None => eb.at_end(entry),
        }
        Tape { slots: HashMap::new(), entry: eb, saver: Builder::new(module) }
    }

    /// `v` as seen at `b`'s insertion point in the reverse sweep.
    pub fn reload(&mut self, b: &Builder, v: Value) -> Value {
        if !v.is_instruction() {
            return v;
        }
        let slot = match self.slots.get(&v) {
            Some(s) => *s,
            None => {
                let s = self.entry.alloca(v.ty(), "tape");
                self.saver.after(v);
                self.saver.store(v, s);
                self.slots.insert(v, s);
                s
            }
        };
        b.load(v.ty(), slot)
    }
}
