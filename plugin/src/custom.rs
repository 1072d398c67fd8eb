//! User-registered derivatives (Enzyme's convention, read from module
//! globals):
//! - `void* __enzyme_register_gradient_NAME[3] = { f, augmented_forward, reverse };`
//! - `void* __enzyme_register_derivative_NAME[2] = { f, forward };`
//! - `void* __enzyme_register_splitderivative_NAME[3] = { f, augmented_forward, split_forward };`
//!   (`__enzyme_augmentfwd` of `f` calls `augmented_forward`, whose tape
//!   `__enzyme_fwdsplit` of `f` passes to `split_forward`, last)
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
    splits: HashMap<Value, (Value, Value)>,
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
            let full = g.name();
            let Some(name) = ferment_activity_analysis::enzyme_global_name(&full) else {
                continue;
            };
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
            } else if name.starts_with("__enzyme_register_splitderivative") {
                if let [Some(f), Some(aug), Some(fwd), ..] = functions_in(init).as_slice() {
                    rules.splits.insert(*f, (*aug, *fwd));
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
            .chain(self.splits.keys())
            .copied()
            .collect()
    }

    /// The user's derivative for a call site's key, if one is registered.
    pub fn lookup(&self, key: &DerivativeKey) -> Option<Derivative> {
        // The split forward rule serves `__enzyme_fwdsplit` and the
        // `__enzyme_augmentfwd` paired with it (the keys that log loads).
        let split = || {
            self.splits
                .get(&key.function)
                .filter(|_| key.log_loads)
                .map(|&(aug, fwd)| Derivative::CustomFwdSplit { aug, fwd })
        };
        match key.mode {
            Mode::Reverse if key.shape == Shape::Split => split().or_else(|| {
                self.gradients
                    .get(&key.function)
                    .map(|&(aug, rev)| Derivative::CustomSplit { aug, rev })
            }),
            Mode::Forward if key.log_loads && self.splits.contains_key(&key.function) => split(),
            Mode::Forward => self
                .forwards
                .get(&key.function)
                .map(|&f| Derivative::CustomForward(f)),
            _ => None,
        }
    }

    /// The user's (augmented, reverse) pair for `f`, if registered.
    pub fn gradient_of(&self, f: Value) -> Option<(Value, Value)> {
        self.gradients.get(&f).copied()
    }

    pub fn has_gradient(&self, f: Value) -> bool {
        self.gradients.contains_key(&f)
    }

    pub fn has_split(&self, f: Value) -> bool {
        self.splits.contains_key(&f)
    }
}

/// Whether `f` has a split forward rule registered in its module
/// (`__enzyme_register_splitderivative`).
pub fn has_split_rule(f: Value) -> bool {
    f.global_parent().globals().into_iter().any(|g| {
        let full = g.name();
        ferment_activity_analysis::enzyme_global_name(&full)
            .is_some_and(|n| n.starts_with("__enzyme_register_splitderivative"))
            && g.global_initializer()
                .is_some_and(|init| functions_in(init).first().copied().flatten() == Some(f))
    })
}

/// Fills the declared combined derivative `f` (`(primals, shadows, [seed])
/// -> {d_active_args}`) with a call of the user's augmented forward
/// function followed by their reverse function.
pub fn fill_combined(
    module: Module,
    key: &DerivativeKey,
    aug: Value,
    rev: Value,
    f: Value,
) -> crate::error::Result<()> {
    use crate::error::Error;
    use crate::frontend::request::Activity as A;
    use ferment_ir::Builder;
    let params = f.params();
    let n = key.activities.len();
    let primals: Vec<Value> = params[..n].to_vec();
    let mut shadows = Vec::new();
    let mut k = n;
    for a in &key.activities {
        if a.has_shadow() {
            shadows.push(params[k]);
            k += 1;
        }
    }
    let seed = params.get(k).copied();
    let entry = f.append_block("entry");
    let b = Builder::new(module);
    b.at_end(entry);
    let args = crate::reverse::interleave(&primals, &key.activities, &shadows);
    let fname = key.function.name();
    let check = |g: Value, want: usize, what: &str| -> crate::error::Result<()> {
        let have = g.global_value_type().fn_params().len();
        if have == want || (what == "reverse" && have == want + 1) {
            Ok(())
        } else {
            Err(Error::at(
                key.function,
                format!("the custom {what} function '{}' registered for '{fname}' takes {have} parameters; ferment passes {want}", g.name()),
            ))
        }
    };
    check(aug, args.len(), "augmented forward")?;
    let t = b.call_fn(aug, &args);
    let ret_ty = key.function.global_value_type().fn_return();
    let (tape, _, _) = crate::reverse::decode_custom_augmented(&b, t, ret_ty, key.function)?;
    let mut rargs = args.clone();
    rargs.extend(seed);
    check(rev, rargs.len(), "reverse")?;
    if rev.global_value_type().fn_params().len() > rargs.len() {
        rargs.push(tape.unwrap_or_else(|| b.zero(ferment_ir::Type::ptr(module.context()))));
    }
    let r = b.call_fn(rev, &rargs);
    let out_ty = f.global_value_type().fn_return();
    if out_ty.is_void() {
        b.ret_void();
        return Ok(());
    }
    let n_out = key.activities.iter().filter(|a| **a == A::Active).count();
    let outs: Vec<Value> = if r.ty().is_void() {
        Vec::new()
    } else if r.ty().is_struct() {
        (0..r.ty().struct_fields().len() as u32)
            .map(|i| b.extract_value(r, i))
            .collect()
    } else {
        vec![r]
    };
    let fields = out_ty.struct_fields();
    let mut agg = b.undef(out_ty);
    for (i, &field) in fields.iter().enumerate().take(n_out) {
        let v = match outs.get(i) {
            Some(v) if v.ty() == field => *v,
            Some(v) if v.ty().is_fp_like() && field.is_fp_like() => b.fp_convert(*v, field),
            _ => b.zero(field),
        };
        agg = b.insert_value(agg, v, i as u32);
    }
    b.ret(agg);
    Ok(())
}
