//! Which partial derivatives may be infinite or NaN although the function's
//! inputs are finite: the products of such a partial with a tangent or an
//! adjoint that may be a run-time zero are "strong zero" products
//! ([`super::guarded`]), in both modes.

use ferment_ir::{Block, Opcode, Value};

/// Which partials of a function's instructions may be infinite or NaN.
pub struct NonfinitePartials {
    /// The values that may be (see [`may_be_nonfinite`]).
    values: hashbrown::HashSet<Value>,
}

impl NonfinitePartials {
    pub fn of(blocks: &[Block]) -> NonfinitePartials {
        NonfinitePartials {
            values: may_be_nonfinite(blocks),
        }
    }

    /// The floating-point instructions of `blocks` with a partial that may
    /// be infinite or NaN (see [`partials_may_be_nonfinite`]).
    pub fn instructions(&self, blocks: &[Block]) -> hashbrown::HashSet<Value> {
        blocks
            .iter()
            .flat_map(|b| b.instructions())
            .filter(|i| i.ty().is_fp_like() && partials_may_be_nonfinite(*i, &self.values))
            .collect()
    }

    /// Whether the partial of `inst` with respect to its operand (for a
    /// call: argument) `k` may be infinite or NaN: that of a product (or
    /// `fma`) is the other factor, finite unless that factor may not be;
    /// the others as [`partials_may_be_nonfinite`].
    pub fn operand(&self, inst: Value, k: usize) -> bool {
        let factor = |o: Value| nonfinite_value(o, &self.values);
        let is_fma = inst.opcode() == Opcode::LLVMCall
            && finite_call(inst)
            && matches!(canonical(inst).as_str(), "fma" | "fmaf" | "fmuladd");
        match (inst.opcode(), k) {
            (Opcode::LLVMFMul, 0 | 1) => factor(inst.operand(1 - k)),
            (_, 0 | 1) if is_fma => factor(inst.operand(1 - k)),
            (_, 2) if is_fma => false,
            _ => partials_may_be_nonfinite(inst, &self.values),
        }
    }
}

/// Library functions whose result and partials are finite where their
/// arguments are (or, for the choosers and roundings, constant selections).
const FINITE_CALLS: &[&str] = &[
    "sin", "cos", "tanh", "atan", "erf", "fabs", "fmin", "fmax", "floor", "ceil", "trunc", "round",
    "copysign", "fmuladd", "fma",
];

/// The library name `finite_call` matches for the callee of `inst`.
fn canonical(inst: Value) -> String {
    inst.called_function()
        .map(|f| {
            let name = f.name();
            let base = name.strip_prefix("llvm.").unwrap_or(&name);
            base.split('.').next().unwrap_or(base).to_string()
        })
        .unwrap_or_default()
}

fn finite_call(inst: Value) -> bool {
    if inst.called_function().is_none() {
        return false;
    }
    let name = canonical(inst);
    let base = name
        .strip_suffix('f')
        .filter(|b| FINITE_CALLS.contains(b))
        .unwrap_or(&name);
    let base = match base {
        "minnum" => "fmin",
        "maxnum" => "fmax",
        b => b,
    };
    FINITE_CALLS.contains(&base)
}

/// Whether the operand `o` may be infinite or NaN: an instruction in
/// `nonfinite`, or an infinite or NaN constant.
fn nonfinite_value(o: Value, nonfinite: &hashbrown::HashSet<Value>) -> bool {
    if o.is_instruction() {
        nonfinite.contains(&o)
    } else {
        o.is_constant() && o.splat_float().is_some_and(|k| !k.is_finite())
    }
}

/// Floating-point values that may be infinite or NaN although the function's
/// arguments and the values it loads are finite (a quotient, a logarithm, a
/// power, an exponential, and what is computed from them; overflow of sums
/// and products of finite values is not counted).
pub fn may_be_nonfinite(blocks: &[Block]) -> hashbrown::HashSet<Value> {
    let insts: Vec<Value> = blocks
        .iter()
        .flat_map(|b| b.instructions())
        .filter(|i| i.ty().is_fp_like())
        .collect();
    let mut out = hashbrown::HashSet::new();
    let operand_nonfinite = |i: Value, out: &hashbrown::HashSet<Value>| {
        i.operands()
            .into_iter()
            .any(|o| o.ty().is_fp_like() && nonfinite_value(o, out))
    };
    loop {
        let mut changed = false;
        for &i in &insts {
            if out.contains(&i) {
                continue;
            }
            let nonfinite = match i.opcode() {
                Opcode::LLVMLoad
                | Opcode::LLVMSIToFP
                | Opcode::LLVMUIToFP
                | Opcode::LLVMBitCast => false,
                Opcode::LLVMFAdd
                | Opcode::LLVMFSub
                | Opcode::LLVMFMul
                | Opcode::LLVMFNeg
                | Opcode::LLVMFPExt
                | Opcode::LLVMFPTrunc
                | Opcode::LLVMPHI
                | Opcode::LLVMSelect
                | Opcode::LLVMExtractElement
                | Opcode::LLVMInsertElement
                | Opcode::LLVMShuffleVector => operand_nonfinite(i, &out),
                Opcode::LLVMCall if finite_call(i) => operand_nonfinite(i, &out),
                _ => true,
            };
            if nonfinite {
                out.insert(i);
                changed = true;
            }
        }
        if !changed {
            return out;
        }
    }
}

/// Whether a partial of `inst` may be infinite or NaN (see [`may_be_nonfinite`]):
/// a quotient's, a library call's other than [`FINITE_CALLS`], a product's with
/// such a factor.
pub fn partials_may_be_nonfinite(inst: Value, nonfinite: &hashbrown::HashSet<Value>) -> bool {
    let operand = || {
        inst.operands()
            .into_iter()
            .any(|o| o.is_instruction() && nonfinite.contains(&o))
    };
    match inst.opcode() {
        Opcode::LLVMFAdd
        | Opcode::LLVMFSub
        | Opcode::LLVMFNeg
        | Opcode::LLVMFPExt
        | Opcode::LLVMFPTrunc
        | Opcode::LLVMPHI
        | Opcode::LLVMSelect
        | Opcode::LLVMExtractElement
        | Opcode::LLVMInsertElement
        | Opcode::LLVMShuffleVector
        | Opcode::LLVMLoad => false,
        Opcode::LLVMFMul => operand(),
        Opcode::LLVMCall if finite_call(inst) => operand(),
        _ => true,
    }
}
