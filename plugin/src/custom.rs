//! User-registered derivatives (Enzyme's convention, read from module
//! globals):
//! - `void* __enzyme_register_gradient_NAME[3] = { f, augmented_forward, reverse };`
//! - `void* __enzyme_register_derivative_NAME[2] = { f, forward };`
//!
//! Custom functions use the interleaved argument order: each duplicated
//! argument is followed by its shadow; the reverse function takes the
//! adjoint of an active return, then the tape last, and returns the
//! adjoints of active scalar arguments.

use crate::derive::Derivative;
use crate::frontend::request::{DerivativeKey, Mode, Shape};
use ferment_ir::{Module, Value};
use hashbrown::HashMap;

#[derive(Default)]
pub struct CustomRules {
    gradients: HashMap<Value, (Value, Value)>,
    forwards: HashMap<Value, Value>,
}

/// The functions in a constant array initializer, looking through casts.
fn functions_in(init: Value) -> Vec<Option<Value>> {
    init.operands()
        .into_iter()
        .map(|o| {
            let f = o.strip_casts();
            f.is_function().then_some(f)
        })
        .collect()
}

impl CustomRules {
    pub fn read(module: Module) -> CustomRules {
        let mut rules = CustomRules::default();
        for g in module.globals() {
            let name = g.name();
            let Some(init) = g.global_initializer() else {
                continue;
            };
            if name.starts_with("__enzyme_register_gradient") {
                if let [Some(f), Some(aug), Some(rev), ..] = functions_in(init).as_slice() {
                    rules.gradients.insert(*f, (*aug, *rev));
                }
            } else if name.starts_with("__enzyme_register_derivative") {
                if let [Some(f), Some(fwd), ..] = functions_in(init).as_slice() {
                    rules.forwards.insert(*f, *fwd);
                }
            }
        }
        rules
    }

    /// Functions that must stay calls (never inlined before AD).
    pub fn functions(&self) -> Vec<Value> {
        self.gradients
            .keys()
            .chain(self.forwards.keys())
            .copied()
            .collect()
    }

    /// The user's derivative for a call site's key, if one is registered.
    pub fn lookup(&self, key: &DerivativeKey) -> Option<Derivative> {
        match key.mode {
            Mode::Reverse if key.shape == Shape::Split => self
                .gradients
                .get(&key.function)
                .map(|&(aug, rev)| Derivative::CustomSplit { aug, rev }),
            Mode::Forward => self
                .forwards
                .get(&key.function)
                .map(|&f| Derivative::CustomForward(f)),
            _ => None,
        }
    }

    pub fn has_gradient(&self, f: Value) -> bool {
        self.gradients.contains_key(&f)
    }
}
