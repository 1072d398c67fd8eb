//! The one place for derivative rules.
//!
//! Role: for each differentiable operation (an instruction such as `fmul`, an
//! LLVM intrinsic such as `llvm.sin`, or a libm function such as `sinf`),
//! give the partial derivatives of the result with respect to each operand,
//! as IR built at the caller's insertion point from the primal operands and
//! (lazily) the primal result. Reverse mode multiplies them by the adjoint,
//! forward mode by the tangents: one rule serves both.
//!
//! Adding a function (say `atan2`) touches only the table in `calls.rs`.

pub mod blas;
mod calls;
pub mod finite;
pub mod mpi;
mod product;
mod special;

pub use calls::{
    call_rule, extremum_as_select, is_known_inactive_function, nan_ignoring_extremum,
    trig_companion, CallRule,
};
pub use product::{
    guarded, guarded_lanes, guarded_unless, indeterminate_at_infinity, may_share_test, splat,
    times, times_lanes, zero_partial_wins,
};

use ferment_ir::{Builder, Opcode, Value};

/// What a call to a known library routine (BLAS, MPI) does with each
/// argument (None: not such a routine); see `Context::with_known_calls`.
pub fn known_effects(call: Value) -> Option<Vec<ferment_activity_analysis::ArgEffect>> {
    blas::known_effects(call).or_else(|| mpi::known_effects(call))
}

/// Inputs of a rule at one site.
pub struct Site<'a> {
    pub b: &'a Builder,
    /// The primal operands as the function has them (for calls: the call
    /// arguments). Use them for types; use [`Site::arg`] for values.
    pub ops: Vec<Value>,
    /// Operand `i` at the insertion point (reverse mode reloads it from
    /// the tape on demand, so unused operands are never cached).
    pub arg_at: &'a dyn Fn(usize) -> Value,
    /// Which operands need a partial (the active ones).
    pub want: Vec<bool>,
    /// Produces the primal result on demand (reverse mode may have to load
    /// it from the tape, so it is only requested when a rule uses it).
    pub result: &'a dyn Fn() -> Value,
    /// Reverse mode, `sin`/`cos`: the primal's own `cos`/`sin` of the same
    /// argument in the same block ([`trig_companion`]) at the insertion
    /// point, so the partial reuses it instead of calling the other function.
    pub companion: Option<&'a dyn Fn() -> Value>,
    /// Reverse mode: whether [`Site::result`] costs no tape and no
    /// recomputation (read from memory the reverse sweep has anyway), so a
    /// partial may use it instead of an operand that would be taped.
    pub result_free: &'a dyn Fn() -> bool,
}

impl Site<'_> {
    pub fn arg(&self, i: usize) -> Value {
        (self.arg_at)(i)
    }
    pub fn one(&self, like: Value) -> Value {
        self.b.const_real(like.ty(), 1.0)
    }
    pub fn num(&self, like: Value, x: f64) -> Value {
        self.b.const_real(like.ty(), x)
    }
    /// `Some(f())` if operand `i` wants a partial.
    pub fn p(&self, i: usize, f: impl FnOnce() -> Value) -> Option<Value> {
        if self.want.get(i).copied().unwrap_or(false) {
            Some(f())
        } else {
            None
        }
    }
}

/// Partials of an arithmetic instruction with respect to its operands, or
/// `None` when the opcode is not an elementwise float operation.
pub fn instruction_partials(op: Opcode, s: &Site) -> Option<Vec<Option<Value>>> {
    let b = s.b;
    let a0 = s.ops[0];
    Some(match op {
        Opcode::LLVMFAdd => vec![s.p(0, || s.one(a0)), s.p(1, || s.one(a0))],
        Opcode::LLVMFSub => vec![s.p(0, || s.one(a0)), s.p(1, || s.num(a0, -1.0))],
        Opcode::LLVMFMul => vec![s.p(0, || s.arg(1)), s.p(1, || s.arg(0))],
        // d(x/y) = dx / y - x dy / y^2, written with one reciprocal: 1/y is
        // computed once (hoisted out of a loop where y is invariant, shared
        // by both partials), so no division runs per element; (x r) r
        // scales like x / y / y, without y^2's early overflow. Where the
        // reverse sweep has the quotient q = x / y for free (and x would
        // be taped), the divisor's partial is -q r: x is not needed.
        Opcode::LLVMFDiv => {
            let a1 = s.ops[1];
            let recip = || b.fdiv(s.one(a1), s.arg(1));
            vec![
                s.p(0, recip),
                s.p(1, || {
                    let r = recip();
                    if (s.result_free)() {
                        b.fmul(b.fneg((s.result)()), r)
                    } else {
                        b.fneg(b.fmul(b.fmul(s.arg(0), r), r))
                    }
                }),
            ]
        }
        Opcode::LLVMFNeg => vec![s.p(0, || s.num(a0, -1.0))],
        // `freeze x` is x (a value the optimizer may not assume anything about).
        Opcode::LLVMFreeze => vec![s.p(0, || s.one(a0))],
        Opcode::LLVMFRem => {
            vec![
                s.p(0, || s.one(a0)),
                s.p(1, || {
                    b.fneg(b.unary_intrinsic("llvm.trunc", b.fdiv(s.arg(0), s.arg(1))))
                }),
            ]
        }
        _ => return None,
    })
}
