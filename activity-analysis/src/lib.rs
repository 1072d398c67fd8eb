//! Activity analysis: which values of a function can carry a derivative.
//!
//! Role: answer, for each argument and instruction of the (canonicalized)
//! function being differentiated, whether its value is *active*: it both
//! depends on an active input (*varied*) and can influence an active output
//! (*useful*). Generators emit derivative code only for active values.
//! Never mutates IR; knows nothing about how derivatives are generated.
//!
//! Values that cannot hold a derivative (integers, pointers to integer-only
//! memory, comparison results) are never varied. A call to a function the
//! caller declares inactive never propagates activity.

use ferment_ir::{Opcode, Type, Value};
use hashbrown::HashSet;

/// What the request says about the function's inputs and output.
#[derive(Clone, Debug)]
pub struct Seeds {
    /// Per parameter: whether it carries a derivative into the function.
    pub active_args: Vec<bool>,
    /// Whether the return value's derivative is requested.
    pub active_return: bool,
}

/// Result of the analysis over one function.
#[derive(Default, Debug)]
pub struct Activity {
    varied: HashSet<Value>,
    useful: HashSet<Value>,
}

/// Whether a type can carry a derivative at all.
pub fn type_can_be_active(ty: Type) -> bool {
    ty.contains_float()
}

impl Activity {
    /// Analyzes `function` under `seeds`. `inactive_call` says whether a call
    /// instruction is known to propagate no derivative (printf, rand, a
    /// user-annotated function...).
    pub fn analyze(function: Value, seeds: &Seeds, inactive_call: &dyn Fn(Value) -> bool) -> Activity {
        let mut a = Activity::default();
        let params = function.params();
        for (p, &on) in params.iter().zip(&seeds.active_args) {
            if on && type_can_be_active(p.ty()) {
                a.varied.insert(*p);
            }
        }
        let insts = function.instructions();
        // Forward: varied values, to a fixed point (phis may see later values).
        loop {
            let mut changed = false;
            for &i in &insts {
                if a.varied.contains(&i) || !type_can_be_active(i.ty()) {
                    continue;
                }
                if i.is_call() && inactive_call(i) {
                    continue;
                }
                let ops = if i.is_call() { i.call_args() } else { i.operands() };
                if ops.iter().any(|o| a.varied.contains(o)) {
                    a.varied.insert(i);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // Backward: useful values, seeded by what is returned.
        let mut work: Vec<Value> = Vec::new();
        if seeds.active_return {
            for &i in &insts {
                if i.opcode() == Opcode::LLVMRet && i.num_operands() == 1 {
                    work.push(i.operand(0));
                }
            }
        }
        while let Some(v) = work.pop() {
            if !type_can_be_active(v.ty()) || !a.useful.insert(v) || !v.is_instruction() {
                continue;
            }
            if v.is_call() && inactive_call(v) {
                continue;
            }
            let ops = if v.is_call() { v.call_args() } else { v.operands() };
            for o in ops {
                if !a.useful.contains(&o) {
                    work.push(o);
                }
            }
        }
        a
    }

    /// Depends on an active input.
    pub fn is_varied(&self, v: Value) -> bool {
        self.varied.contains(&v)
    }

    /// Can influence an active output.
    pub fn is_useful(&self, v: Value) -> bool {
        self.useful.contains(&v)
    }

    /// Carries a derivative: varied and useful.
    pub fn is_active(&self, v: Value) -> bool {
        self.varied.contains(&v) && self.useful.contains(&v)
    }

    /// Printer notation for one value.
    pub fn label(&self, v: Value) -> &'static str {
        match (self.is_varied(v), self.is_useful(v)) {
            (true, true) => "active",
            (true, false) => "const (varied, not useful)",
            (false, true) => "const (useful, not varied)",
            (false, false) => "const",
        }
    }
}
