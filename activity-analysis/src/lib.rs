//! Activity analysis: which values of a function can carry a derivative.
//!
//! Role: answer, for each argument and instruction of the (canonicalized)
//! function being differentiated, three questions:
//! - *shadowed*: is it a pointer to memory that may hold derivatives, so it
//!   needs a shadow pointer (duplicated arguments, allocations receiving
//!   active values, pointers derived from or loaded through those)?
//! - *varied*: does it depend on an active input (floats computed from
//!   active values, floats loaded from shadowed memory)?
//! - *useful*: can it influence an active output (the returned value, or
//!   anything stored to shadowed memory)?
//!
//! A value is active when varied and useful. Generators emit derivative
//! code only for active values and shadowed pointers. Never mutates IR;
//! knows nothing about how derivatives are generated.

mod memory;

pub use memory::{allocation_kind, underlying_objects, AllocKind};

use ferment_ir::{Opcode, Type, Value};
use hashbrown::HashSet;

/// What the request says about the function's inputs and output.
#[derive(Clone, Debug, Default)]
pub struct Seeds {
    /// Per parameter: whether a float parameter carries a derivative in.
    pub active_args: Vec<bool>,
    /// Per parameter: whether a pointer parameter comes with a shadow.
    pub shadow_args: Vec<bool>,
    /// Whether the return value's derivative is requested.
    pub active_return: bool,
}

/// Result of the analysis over one function.
#[derive(Default, Debug)]
pub struct Activity {
    varied: HashSet<Value>,
    useful: HashSet<Value>,
    shadowed: HashSet<Value>,
}

/// Whether a type can carry a derivative at all.
pub fn type_can_be_active(ty: Type) -> bool {
    ty.contains_float()
}

fn is_op(v: Value, ops: &[Opcode]) -> bool {
    v.is_instruction() && ops.contains(&v.opcode())
}

/// Instructions whose pointer result points into the same object as their
/// pointer operands.
const POINTER_DERIVING: &[Opcode] = &[
    Opcode::LLVMGetElementPtr,
    Opcode::LLVMBitCast,
    Opcode::LLVMAddrSpaceCast,
    Opcode::LLVMPHI,
    Opcode::LLVMSelect,
];

impl Activity {
    /// Analyzes `function` under `seeds`. `inactive_call` says whether a call
    /// instruction is known to propagate no derivative (printf, rand, a
    /// user-annotated function...).
    pub fn analyze(
        function: Value,
        seeds: &Seeds,
        inactive_call: &dyn Fn(Value) -> bool,
    ) -> Activity {
        let mut a = Activity::default();
        let params = function.params();
        for (i, p) in params.iter().enumerate() {
            if seeds.active_args.get(i).copied().unwrap_or(false) && type_can_be_active(p.ty()) {
                a.varied.insert(*p);
            }
            if seeds.shadow_args.get(i).copied().unwrap_or(false) && p.ty().is_pointer() {
                a.shadowed.insert(*p);
            }
        }
        let insts = function.instructions();
        loop {
            let before = (a.varied.len(), a.shadowed.len());
            a.propagate_shadows(&insts);
            a.propagate_varied(&insts, inactive_call);
            a.demand_shadows(&insts);
            if (a.varied.len(), a.shadowed.len()) == before {
                break;
            }
        }
        a.propagate_useful(&insts, seeds, inactive_call);
        a
    }

    /// Pointers derived from shadowed pointers are shadowed; so are pointers
    /// loaded from shadowed memory.
    fn propagate_shadows(&mut self, insts: &[Value]) {
        for &i in insts {
            if !i.ty().is_pointer() || self.shadowed.contains(&i) {
                continue;
            }
            let derived = is_op(i, POINTER_DERIVING) && {
                let ops = if i.opcode() == Opcode::LLVMSelect {
                    vec![i.operand(1), i.operand(2)]
                } else {
                    i.operands()
                };
                let ops: Vec<Value> = if i.opcode() == Opcode::LLVMGetElementPtr {
                    vec![i.operand(0)]
                } else {
                    ops
                };
                ops.iter().any(|o| self.is_shadowed(*o))
            };
            let loaded = is_op(i, &[Opcode::LLVMLoad]) && self.is_shadowed(i.operand(0));
            // realloc keeps the object: its result is shadowed with its input.
            let reallocated = i.is_call()
                && allocation_kind(i) == Some(AllocKind::Realloc)
                && self.is_shadowed(i.operand(0));
            if derived || loaded || reallocated {
                self.shadowed.insert(i);
            }
        }
    }

    /// Allocations that receive active data (or merge with shadowed
    /// pointers) need shadows themselves.
    fn demand_shadows(&mut self, insts: &[Value]) {
        let mut want: Vec<Value> = Vec::new();
        for &i in insts {
            if !i.is_instruction() {
                continue;
            }
            match i.opcode() {
                Opcode::LLVMStore => {
                    let (v, p) = (i.operand(0), i.operand(1));
                    let active_data =
                        self.varied.contains(&v) || (v.ty().is_pointer() && self.is_shadowed(v));
                    if active_data && !self.is_shadowed(p) {
                        want.push(p);
                    }
                }
                Opcode::LLVMPHI | Opcode::LLVMSelect
                    if i.ty().is_pointer() && self.shadowed.contains(&i) =>
                {
                    let ops = if i.opcode() == Opcode::LLVMSelect {
                        vec![i.operand(1), i.operand(2)]
                    } else {
                        i.operands()
                    };
                    want.extend(ops.into_iter().filter(|o| !self.shadowed.contains(o)));
                }
                _ if i.is_call() => {
                    // memcpy/memmove between a shadowed and a plain pointer.
                    let name = i.called_function().map(|f| f.name()).unwrap_or_default();
                    if memory::is_memcpy_like(&name) {
                        let (d, s) = (i.operand(0), i.operand(1));
                        if self.is_shadowed(s) && !self.is_shadowed(d) {
                            want.push(d);
                        }
                    }
                }
                _ => {}
            }
        }
        for p in want {
            for base in underlying_objects(p) {
                if allocation_kind(base).is_some() {
                    self.shadowed.insert(base);
                }
            }
        }
    }

    fn propagate_varied(&mut self, insts: &[Value], inactive_call: &dyn Fn(Value) -> bool) {
        for &i in insts {
            if self.varied.contains(&i) || !type_can_be_active(i.ty()) {
                continue;
            }
            if i.is_call() && inactive_call(i) {
                continue;
            }
            let varied = if i.opcode() == Opcode::LLVMLoad {
                self.is_shadowed(i.operand(0))
            } else {
                let ops = if i.is_call() {
                    i.call_args()
                } else {
                    i.operands()
                };
                ops.iter().any(|o| self.varied.contains(o))
            };
            if varied {
                self.varied.insert(i);
            }
        }
    }

    fn propagate_useful(
        &mut self,
        insts: &[Value],
        seeds: &Seeds,
        inactive_call: &dyn Fn(Value) -> bool,
    ) {
        let mut work: Vec<Value> = Vec::new();
        for &i in insts {
            match i.opcode() {
                Opcode::LLVMRet if seeds.active_return && i.num_operands() == 1 => {
                    work.push(i.operand(0))
                }
                // Anything written to shadowed memory may reach an output.
                Opcode::LLVMStore if self.is_shadowed(i.operand(1)) => work.push(i.operand(0)),
                _ => {}
            }
        }
        while let Some(v) = work.pop() {
            if !type_can_be_active(v.ty()) || !self.useful.insert(v) || !v.is_instruction() {
                continue;
            }
            if v.is_call() && inactive_call(v) {
                continue;
            }
            if v.opcode() == Opcode::LLVMLoad {
                continue;
            }
            let ops = if v.is_call() {
                v.call_args()
            } else {
                v.operands()
            };
            for o in ops {
                if !self.useful.contains(&o) {
                    work.push(o);
                }
            }
        }
    }

    /// Transfers every fact about `old` to `new` (a generator replaced one
    /// value by another computing the same thing).
    pub fn rename(&mut self, old: Value, new: Value) {
        if self.varied.remove(&old) {
            self.varied.insert(new);
        }
        if self.useful.remove(&old) {
            self.useful.insert(new);
        }
        if self.shadowed.remove(&old) {
            self.shadowed.insert(new);
        }
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

    /// A pointer that needs a shadow pointer.
    pub fn is_shadowed(&self, v: Value) -> bool {
        if self.shadowed.contains(&v) {
            return true;
        }
        // A constant address into a shadowed global (`getelementptr @g, ...`).
        v.is_constant_expr()
            && matches!(
                v.opcode(),
                Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast | Opcode::LLVMAddrSpaceCast
            )
            && self.is_shadowed(v.operand(0))
    }

    /// Printer notation for one value.
    pub fn label(&self, v: Value) -> &'static str {
        if self.is_shadowed(v) {
            return "shadowed";
        }
        match (self.is_varied(v), self.is_useful(v)) {
            (true, true) => "active",
            (true, false) => "const (varied, not useful)",
            (false, true) => "const (useful, not varied)",
            (false, false) => "const",
        }
    }
}
