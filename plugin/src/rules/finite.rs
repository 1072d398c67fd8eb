//! Which partial derivatives may be infinite or NaN although the function's
//! inputs are finite: the products of such a partial with a tangent or an
//! adjoint that may be a run-time zero are "strong zero" products
//! ([`super::guarded`]), in both modes.

use ferment_ir::{Block, Opcode, Value};

/// Which partials of a function's instructions may be infinite or NaN.
pub struct NonfinitePartials {
    /// The values that may be (see [`may_be_nonfinite`]).
    values: hashbrown::HashSet<Value>,
    /// The arguments and loads that may be nonfinite because the caller
    /// says so ([`Self::of_inputs`]).
    inputs: hashbrown::HashSet<Value>,
}

impl NonfinitePartials {
    /// A call the reverse sweep replaced by its augmented call's primal
    /// result `new` (and erased): the result is what the instructions that
    /// used the call read now, so it may be infinite where the call may
    /// (`q * q` with `q = ratio(a, z)` kept: the partial of one factor is
    /// the other, `q`).
    pub fn rename(&mut self, old: Value, new: Value) {
        if self.values.contains(&old) {
            self.values.insert(new);
        }
        if self.inputs.contains(&old) {
            self.inputs.insert(new);
        }
    }

    pub fn of(blocks: &[Block]) -> NonfinitePartials {
        NonfinitePartials::of_inputs(blocks, &hashbrown::HashSet::new())
    }

    /// As [`Self::of`], but the arguments and loads of `inputs` may be
    /// infinite too: a kept callee's inputs that its caller cannot prove
    /// finite ([`input_flags`], [`input_loads`]).
    pub fn of_inputs(blocks: &[Block], inputs: &hashbrown::HashSet<Value>) -> NonfinitePartials {
        NonfinitePartials {
            values: nonfinite_values(blocks, inputs),
            inputs: inputs.clone(),
        }
    }

    /// As this, but the values of `loads` may be infinite too (see
    /// [`stored_origins`]).
    pub fn with_loads(
        &self,
        blocks: &[Block],
        loads: &hashbrown::HashSet<Value>,
    ) -> NonfinitePartials {
        let mut inputs = self.inputs.clone();
        inputs.extend(loads.iter().copied());
        NonfinitePartials::of_inputs(blocks, &inputs)
    }

    /// Whether the value `v` (an instruction, argument or constant) may be
    /// infinite or NaN.
    pub fn value(&self, v: Value) -> bool {
        nonfinite_value(v, &self.values)
    }

    /// The floating-point instructions of `blocks` that may be nonfinite.
    fn members(&self, blocks: &[Block]) -> Vec<Value> {
        blocks
            .iter()
            .flat_map(|b| b.instructions())
            .filter(|i| i.ty().is_fp_like() && self.values.contains(i))
            .collect()
    }

    /// Reverse mode: the values that may be infinite whose adjoint may be
    /// an exact zero because a use is flat there (`exp(-1 / z)`,
    /// `atan(1 / z)`, `tanh`, `erf` at z = 0: [`FLAT_AT_INFINITY`]), or
    /// because a value computed from them is such a value: a product of
    /// their nonfinite partial with that zero must be zero (`1 / z^2` at
    /// `z = 0`), through values that stay infinite where it is
    /// ([`keeps_infinite`]). A quotient by an infinite value is not counted: its
    /// partial `-a / q^2` vanishes only as fast as `1 / z^2` grows, and the
    /// true derivative is their finite limit (`1 / (1 / z)` is `z`: 1, not
    /// the strong zero 0), which the product of the two cannot give.
    pub fn flat_zero_adjoints(&self, blocks: &[Block]) -> hashbrown::HashSet<Value> {
        let insts = self.members(blocks);
        let mut out: hashbrown::HashSet<Value> = hashbrown::HashSet::new();
        loop {
            let mut changed = false;
            for &v in &insts {
                if out.contains(&v) {
                    continue;
                }
                let flat = v.users().into_iter().any(|u| {
                    u.is_instruction()
                        && u.ty().is_fp_like()
                        && ((out.contains(&u) && keeps_infinite(u, v)) || flat_at_infinity(u, v))
                });
                if flat {
                    out.insert(v);
                    changed = true;
                }
            }
            if !changed {
                return out;
            }
        }
    }

    /// Reverse mode: the partials (instruction, operand) that vanish where
    /// their operand is infinite and the instruction finite, as fast as the
    /// partial of the quotient that made the operand infinite grows (a
    /// denominator: `-a / v^2` at `v = 1 / z`, `z = 0`; `pow`'s base where
    /// it is not flat, see [`flat_at_infinity`]), when a guard of `guarded`
    /// sits on the operand or on a value it stays infinite with
    /// ([`keeps_infinite`]). Their exact-zero product with a nonzero adjoint
    /// is not a discarded value's: the true derivative is the finite limit
    /// of the product with the quotient's infinite partial (`c ? 2 / (1 / z)
    /// : k` is `2 z` where `c` holds: derivative 2 at `z = 0`), which the
    /// guard would turn into a wrong 0; the reverse sweep makes that product
    /// NaN instead ([`super::product::indeterminate_at_infinity`]). An
    /// overflowing `exp` grows only as fast as its partial: the strong zero
    /// is the limit there (`1 / (1 + exp(-x))` at `x = -800`), not counted.
    pub fn indeterminate_partials(
        &self,
        blocks: &[Block],
        guarded: &hashbrown::HashSet<Value>,
    ) -> hashbrown::HashSet<(Value, usize)> {
        let insts = self.members(blocks);
        // The values infinite where a quotient is.
        let mut quotients: hashbrown::HashSet<Value> = hashbrown::HashSet::new();
        loop {
            let before = quotients.len();
            for &v in &insts {
                if matches!(v.opcode(), Opcode::LLVMFDiv | Opcode::LLVMFRem)
                    || v.operands()
                        .into_iter()
                        .any(|o| quotients.contains(&o) && keeps_infinite(v, o))
                {
                    quotients.insert(v);
                }
            }
            if quotients.len() == before {
                break;
            }
        }
        // Whether a guard sits on `v` or on a quotient value it stays
        // infinite with.
        let reaches_guard = |v: Value| {
            let mut seen = hashbrown::HashSet::new();
            let mut work = vec![v];
            while let Some(w) = work.pop() {
                if !seen.insert(w) {
                    continue;
                }
                if guarded.contains(&w) {
                    return true;
                }
                work.extend(
                    w.operands()
                        .into_iter()
                        .filter(|o| quotients.contains(o) && keeps_infinite(w, *o)),
                );
            }
            false
        };
        let mut out = hashbrown::HashSet::new();
        for u in blocks.iter().flat_map(|b| b.instructions()) {
            if !u.ty().is_fp_like() {
                continue;
            }
            let operands = if u.is_call() {
                u.call_args()
            } else {
                u.operands()
            };
            for (k, v) in operands.into_iter().enumerate() {
                if quotients.contains(&v) && vanishes_at_infinity(u, v) && reaches_guard(v) {
                    out.insert((u, k));
                }
            }
        }
        out
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

/// Library functions (by rule name) whose value is finite and whose partial
/// is zero at an infinite argument (`exp(-inf) = 0`, `atan(inf) = pi/2`).
/// `pow` only in its exponent, or in its base under a constant exponent
/// (see [`flat_at_infinity`]).
const FLAT_AT_INFINITY: &[&str] = &[
    "exp", "exp2", "exp10", "expm1", "atan", "atan2", "tanh", "erf", "erfc", "pow",
];

/// Forward mode: the arguments `(call, argument index)` of calls flat at an
/// infinite argument ([`flat_at_infinity`]) that may be infinite, counting
/// every floating-point load and argument as possibly infinite (a quotient
/// stored by the function, a callee or the caller: `atan(b[0])` after
/// `b[0] = a / z`; the results of calls without a rule count already).
/// Where such an argument is infinite its tangent is infinite or NaN too
/// (`da / z` at `z = 0`), and the partial of the flat function is an exact
/// zero: their product must be zero, as reverse mode's strong zero makes it
/// for the same use ([`NonfinitePartials::flat_zero_adjoints`]), not `0 *
/// inf` (`exp(-a / z)` at `z = 0` is 0 for every `a > 0`).
pub fn flat_uses_at_infinity(blocks: &[Block]) -> hashbrown::HashSet<(Value, usize)> {
    let insts: Vec<Value> = blocks.iter().flat_map(|b| b.instructions()).collect();
    let mut inputs: hashbrown::HashSet<Value> = hashbrown::HashSet::new();
    for &i in &insts {
        if i.opcode() == Opcode::LLVMLoad && i.ty().is_fp_like() {
            inputs.insert(i);
        }
        inputs.extend(
            i.operands()
                .into_iter()
                .filter(|o| o.is_argument() && o.ty().is_fp_like()),
        );
    }
    let values = nonfinite_values(blocks, &inputs);
    let mut out = hashbrown::HashSet::new();
    for &u in &insts {
        if u.opcode() != Opcode::LLVMCall || !u.ty().is_fp_like() {
            continue;
        }
        for (k, a) in u.call_args().into_iter().enumerate() {
            if a.ty().is_fp_like() && flat_at_infinity(u, a) && nonfinite_value(a, &values) {
                out.insert((u, k));
            }
        }
    }
    out
}

/// Whether `u` is a call of a function flat at an infinite argument `v`
/// ([`FLAT_AT_INFINITY`]). The zero partial there meets the partial that
/// made `v` infinite (`1 / z^2` at `z = 0`), and the strong zero is the
/// true derivative only where the function is flat enough: `pow(1 / z, -1)`
/// is `z`, with derivative 1 at `z = 0` (`(-1 / q^2) (-1 / z^2) = 1`), so
/// `pow`'s base counts only under a constant negative exponent other than
/// -1 (`pow(1 / w, c) = w^-c`: where `w` crosses zero `c` is an odd integer
/// and the derivative is 0; where `w` does not, `w' = 0` there).
fn flat_at_infinity(u: Value, v: Value) -> bool {
    let Some(rule) = (u.opcode() == Opcode::LLVMCall)
        .then(|| u.called_function())
        .flatten()
        .and_then(|f| super::call_rule(&f.name()))
    else {
        return false;
    };
    if rule.name != "pow" {
        return FLAT_AT_INFINITY.contains(&rule.name);
    }
    let args = u.call_args();
    args.get(1) == Some(&v)
        || args.get(1).is_some_and(|e| {
            e.is_constant() && e.splat_float().is_some_and(|c| c < 0.0 && c != -1.0)
        })
}

/// Whether an instruction of opcode `op` is infinite or NaN where one of
/// its floating-point operands is, and finite where they all are (overflow
/// aside): sums, differences, products, negation, conversions between
/// floating-point types, choices, lanes.
fn follows_operands(op: Opcode) -> bool {
    matches!(
        op,
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
            | Opcode::LLVMShuffleVector
    )
}

/// Whether `u`, a user of `v`, is infinite or NaN where `v` is infinite:
/// sums, differences, products, the numerator of a quotient, negation,
/// conversions, choices, lanes, `fabs`, `fma`. A flat use of `u` at
/// infinity then is one of `v` ([`NonfinitePartials::flat_zero_adjoints`],
/// [`NonfinitePartials::indeterminate_partials`]).
/// Not a denominator: `exp(-2 / (1 / z))` is `exp(-2 z)`, whose derivative
/// at `z = 0` is -2, not the strong zero (`exp` there is at 0, not flat).
fn keeps_infinite(u: Value, v: Value) -> bool {
    match u.opcode() {
        op if follows_operands(op) => true,
        Opcode::LLVMFDiv => u.operand(0) == v && u.operand(1) != v,
        Opcode::LLVMCall => {
            let args = u.call_args();
            match canonical(u).trim_end_matches('f') {
                "fabs" | "fma" | "fmuladd" => true,
                "copysign" => args.first() == Some(&v),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether the partial of `u` with respect to its operand `v` is zero where
/// `v` is infinite and `u` is finite, vanishing as a power of `v` (see
/// [`NonfinitePartials::indeterminate_partials`]): `v` is a denominator or
/// the divisor of a remainder, or the base of a `pow` that is not flat
/// there ([`flat_at_infinity`]).
fn vanishes_at_infinity(u: Value, v: Value) -> bool {
    match u.opcode() {
        Opcode::LLVMFDiv | Opcode::LLVMFRem => u.operand(1) == v,
        Opcode::LLVMCall => {
            u.called_function()
                .and_then(|f| super::call_rule(&f.name()))
                .is_some_and(|r| r.name == "pow")
                && u.call_args().first() == Some(&v)
                && !flat_at_infinity(u, v)
        }
        _ => false,
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
    if o.is_instruction() || o.is_argument() {
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
    nonfinite_values(blocks, &hashbrown::HashSet::new())
}

/// [`may_be_nonfinite`], with the loads and arguments of `loads` counted as
/// possibly nonfinite.
fn nonfinite_values(
    blocks: &[Block],
    loads: &hashbrown::HashSet<Value>,
) -> hashbrown::HashSet<Value> {
    let insts: Vec<Value> = blocks
        .iter()
        .flat_map(|b| b.instructions())
        .filter(|i| i.ty().is_fp_like())
        .collect();
    let mut out: hashbrown::HashSet<Value> =
        loads.iter().copied().filter(|v| v.is_argument()).collect();
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
                Opcode::LLVMLoad => loads.contains(&i),
                Opcode::LLVMSIToFP | Opcode::LLVMUIToFP | Opcode::LLVMBitCast => false,
                Opcode::LLVMFDiv => !bounded_quotient(i, &out),
                op if follows_operands(op) => operand_nonfinite(i, &out),
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

/// Whether the quotient `q = n / d` is finite wherever the values outside
/// `nonfinite` are: `n` is finite and `d` at least a positive constant, or
/// `+inf` (`q = 0` there): a logistic `1 / (1 + exp(-x))`, a soft sign
/// `x / (1 + |x|)`, `x / sqrt(1 + x * x)`. Such quotients stored in a loop
/// and read back (lstm's gates) need no guard as loaded factors
/// (`reverse::loaded_factor_guards`).
fn bounded_quotient(q: Value, nonfinite: &hashbrown::HashSet<Value>) -> bool {
    let n = q.operand(0);
    let known = !n.is_constant() || n.splat_float().is_some_and(|k| !k.is_nan());
    known
        && !nonfinite_value(n, nonfinite)
        && lower_bound(q.operand(1), nonfinite, 6).is_some_and(|b| b > 0.0)
}

/// A finite lower bound `b` of `v` that holds wherever the values outside
/// `nonfinite` are finite: `v` is never NaN and lies in `[b, +inf]` (it may
/// overflow to `+inf`, never below `b`; so sums of such values are never
/// `inf - inf`). Constants, `exp` (at least 0 of a
/// finite argument, `+inf` where it overflows), `|x|` and `x * x` of a
/// finite `x`, `sqrt`, sums, products of positive bounds, the difference
/// with a constant, choices and widening of bounded values. `depth` bounds
/// the walk.
fn lower_bound(v: Value, nonfinite: &hashbrown::HashSet<Value>, depth: u32) -> Option<f64> {
    if v.is_constant() {
        // (finite: `-inf + exp(x)` is NaN where `exp` overflows)
        return v.splat_float().filter(|k| k.is_finite());
    }
    if !v.is_instruction() || depth == 0 {
        return None;
    }
    let finite = |o: Value| o.ty().is_fp_like() && !nonfinite_value(o, nonfinite);
    let bound = |o: Value| lower_bound(o, nonfinite, depth - 1);
    match v.opcode() {
        Opcode::LLVMFAdd => Some(bound(v.operand(0))? + bound(v.operand(1))?),
        Opcode::LLVMFSub => {
            let k = v.operand(1);
            let k = k.is_constant().then(|| k.splat_float()).flatten()?;
            k.is_finite().then_some(bound(v.operand(0))? - k)
        }
        Opcode::LLVMFMul if v.operand(0) == v.operand(1) => finite(v.operand(0)).then_some(0.0),
        Opcode::LLVMFMul => {
            let (a, b) = (bound(v.operand(0))?, bound(v.operand(1))?);
            (a > 0.0 && b > 0.0).then_some(a * b)
        }
        Opcode::LLVMSelect => Some(bound(v.operand(1))?.min(bound(v.operand(2))?)),
        Opcode::LLVMFPExt => bound(v.operand(0)),
        Opcode::LLVMCall => {
            let args = v.call_args();
            let [a] = args.as_slice() else {
                return None;
            };
            match canonical(v).as_str() {
                "exp" | "expf" | "exp2" | "exp2f" | "exp10" | "exp10f" => finite(*a).then_some(0.0),
                "fabs" | "fabsf" => finite(*a).then_some(0.0),
                "sqrt" | "sqrtf" => bound(*a).filter(|b| *b >= 0.0).map(f64::sqrt),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a partial of `inst` may be infinite or NaN (see [`may_be_nonfinite`]):
/// a quotient's, a library call's other than [`FINITE_CALLS`], a product's with
/// such a factor.
pub fn partials_may_be_nonfinite(inst: Value, nonfinite: &hashbrown::HashSet<Value>) -> bool {
    let operand = || {
        inst.operands()
            .into_iter()
            .any(|o| (o.is_instruction() || o.is_argument()) && nonfinite.contains(&o))
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

/// Reverse mode: the instructions whose values, infinite or NaN, are the
/// only way a value the function stores (or passes to a call without a
/// rule, which may store it) can be: the quotients, library calls and
/// other producers in [`may_be_nonfinite`] that the stored values are
/// computed from through sums, products, choices and other operations
/// that follow their operands ([`follows_operands`], [`FINITE_CALLS`]);
/// and the stores and calls that write such values (`sites`). A value the
/// function loads from memory it wrote is infinite only if one of the
/// origins is (memory from outside counts as finite, as arguments do;
/// overflow aside, as everywhere here), and only where a site may have
/// run before the load, so one run-time test of the origins stands for
/// every such load (`reverse::loaded_factor_guards`). None where a stored
/// value is not a floating-point one made of such producers (an aggregate
/// from a call): no test then. A call of a function of the module that
/// may itself store such a value ([`may_store_nonfinite`]: `store_inv(b,
/// s)` kept by `-ferment-no-inline`, `b[0] = 1 / s` inside) is a site whose
/// origins are out of reach (`opaque`): the values loaded after it are
/// tested instead.
pub struct StoredOrigins {
    pub origins: Vec<Value>,
    pub sites: Vec<Value>,
    pub opaque: Vec<Value>,
}

/// `reading`: calls of the function given inputs that may be nonfinite
/// and reading them ([`call_inputs`]): sites whose origins are out of reach
/// too. An origin may be an argument the caller cannot prove finite.
pub fn stored_origins(
    blocks: &[Block],
    partials: &NonfinitePartials,
    reading: &hashbrown::HashSet<Value>,
) -> Option<StoredOrigins> {
    stored_origins_within(blocks, partials, 2, reading)
}

/// Whether a call of `f`, a function of the module, may store a value that
/// may be infinite although its inputs are finite ([`stored_origins`] of its
/// body: one origin, or a call of such a function, `depth` calls deep;
/// anything it cannot tell counts). Declarations (library functions,
/// ferment's runtime) store none: memory from outside counts as finite.
fn may_store_nonfinite(f: Value, depth: u32) -> bool {
    if f.is_declaration() {
        return false;
    }
    if depth == 0 {
        return true;
    }
    let blocks = f.blocks();
    let partials = NonfinitePartials::of(&blocks);
    stored_origins_within(&blocks, &partials, depth - 1, &hashbrown::HashSet::new())
        .is_none_or(|o| !o.origins.is_empty() || !o.opaque.is_empty())
}

fn stored_origins_within(
    blocks: &[Block],
    partials: &NonfinitePartials,
    depth: u32,
    reading: &hashbrown::HashSet<Value>,
) -> Option<StoredOrigins> {
    let mut work = Vec::new();
    let mut sites = Vec::new();
    let mut opaque = Vec::new();
    for inst in blocks.iter().flat_map(|b| b.instructions()) {
        if reading.contains(&inst)
            || inst.is_call()
                && inst.called_function().is_some_and(|f| {
                    super::call_rule(&f.name()).is_none() && may_store_nonfinite(f, depth)
                })
        {
            opaque.push(inst);
            sites.push(inst);
        }
        let written: Vec<Value> = match inst.opcode() {
            Opcode::LLVMStore => vec![inst.operand(0)],
            Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => {
                inst.operands().into_iter().skip(1).collect()
            }
            Opcode::LLVMCall | Opcode::LLVMInvoke
                if inst
                    .called_function()
                    .is_none_or(|f| super::call_rule(&f.name()).is_none()) =>
            {
                inst.call_args()
            }
            _ => continue,
        };
        let nonfinite = |v: &Value| {
            (v.is_instruction()
                && (partials.values.contains(v) || v.ty().is_struct() || v.ty().is_array()))
                || (v.is_argument() && partials.values.contains(v))
        };
        if written.iter().any(nonfinite) {
            sites.push(inst);
            work.extend(written);
        }
    }
    let mut seen = hashbrown::HashSet::new();
    let mut origins = Vec::new();
    while let Some(v) = work.pop() {
        if v.is_argument() && partials.values.contains(&v) && seen.insert(v) {
            origins.push(v);
        }
        if !v.is_instruction() || !seen.insert(v) {
            continue;
        }
        let ty = v.ty();
        if !ty.is_fp_like() {
            if ty.is_struct() || ty.is_array() {
                match v.opcode() {
                    // fields, choices; an aggregate read from memory
                    Opcode::LLVMInsertValue
                    | Opcode::LLVMPHI
                    | Opcode::LLVMSelect
                    | Opcode::LLVMLoad => work.extend(v.operands()),
                    _ => return None,
                }
            }
            continue;
        }
        if !partials.values.contains(&v) {
            continue;
        }
        let follows = follows_operands(v.opcode()) || (v.is_call() && finite_call(v));
        if follows {
            work.extend(v.operands());
        } else {
            origins.push(v);
        }
    }
    Some(StoredOrigins {
        origins,
        sites,
        opaque,
    })
}

/// Library functions (by rule name) whose partials are infinite or NaN only
/// where their value is (`log(0) = -inf`, `atanh(1) = inf`, the poles of
/// `lgamma` and `y0`, `exp` and the hyperbolic functions overflowing), or
/// finite (constants, selections, `erfc`, Bessel `j`, `sqrt'(0) = 0` by
/// convention): an infinite partial of theirs comes with an infinite primal
/// value, as a quotient's does (`a / b` at `b = 0`).
const BOUNDED_SLOPES: &[&str] = &[
    "exp",
    "exp2",
    "exp10",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "atanh",
    "sqrt",
    "tan",
    "sinh",
    "cosh",
    "asinh",
    "logb",
    "frexp",
    "llvm.frexp",
    "modf",
    "llvm.modf",
    "nextafter",
    "nexttoward",
    "erfc",
    "lgamma",
    "lgamma_r",
    "tgamma",
    "j0",
    "j1",
    "jn",
    "y0",
    "y1",
    "yn",
    "fmaximum",
    "fminimum",
    "fmaximum_num",
    "fminimum_num",
    "fdim",
    "rint",
    "nearbyint",
    "roundeven",
];

/// Whether `inst` is a library call whose partial may be infinite or NaN
/// where its value and its arguments are finite: `cbrt` and `pow` at 0,
/// `asin`/`acos` at +-1, `acosh` at 1, `hypot`/`atan2` at (0, 0), and any
/// rule not known to be bounded (see [`BOUNDED_SLOPES`],
/// [`FINITE_CALLS`]). Such a partial makes an adjoint or a tangent infinite
/// while every primal value stays finite (`cbrt(0 * g(x))`), so a run-time
/// zero partial beyond it must win ([`infinite_adjoints`]). A call whose
/// floating-point arguments are all constants or integer conversions
/// (`cbrt((double)n)`) carries no derivative and does not count.
pub fn infinite_slope(inst: Value) -> bool {
    if inst.opcode() != Opcode::LLVMCall || !inst.ty().is_fp_like() || finite_call(inst) {
        return false;
    }
    let Some(rule) = inst
        .called_function()
        .and_then(|f| super::call_rule(&f.name()))
    else {
        return false;
    };
    if BOUNDED_SLOPES.contains(&rule.name) {
        return false;
    }
    inst.call_args().into_iter().any(|a| {
        a.ty().is_fp_like()
            && !a.is_constant()
            && !(a.is_instruction()
                && matches!(a.opcode(), Opcode::LLVMSIToFP | Opcode::LLVMUIToFP))
    })
}

/// Whether any function of `f`'s module has a call with an infinite slope
/// ([`infinite_slope`]): then an adjoint (tangent) entering `f`'s derivative
/// from a caller or a callee, through the return, memory or an argument, may
/// be infinite. The derivative of `f` cannot tell whom it serves (its
/// copy's original is in the module too), so any such call counts.
pub fn module_has_infinite_slopes(f: Value) -> bool {
    f.global_parent()
        .functions()
        .into_iter()
        .filter(|g| !g.is_declaration())
        .any(has_infinite_slopes)
}

/// Whether the function `g` has a call with an infinite slope.
fn has_infinite_slopes(g: Value) -> bool {
    g.blocks()
        .into_iter()
        .flat_map(|b| b.instructions())
        .any(infinite_slope)
}

/// Whether a derivative entering the derivative of `f` (the function
/// `key` asks for, or its prepared copy) from its caller or a callee may be
/// infinite. A request's own derivative (`key.seeds_finite`) starts from the
/// user's seeds: only a callee, reached from `f` through calls or function
/// operands (OpenMP regions), or `f` itself when a callee reaches it again,
/// can hand back an infinite derivative; an indirect call may reach any
/// function. Every other derivative counts any call in the module
/// ([`module_has_infinite_slopes`]).
pub fn boundary_may_be_infinite(f: Value, key: &crate::frontend::request::DerivativeKey) -> bool {
    if !key.seeds_finite {
        return module_has_infinite_slopes(f);
    }
    let own = |g: Value| g == f || g == key.function;
    let mut seen: hashbrown::HashSet<Value> = hashbrown::HashSet::new();
    let mut stack = vec![f];
    // Functions whose address a global holds (custom derivatives registered
    // with Enzyme's globals, vtables, tables of callbacks) may run in the
    // derivative without a call in `f`'s code naming them.
    let mut constants: Vec<Value> = f
        .global_parent()
        .globals()
        .into_iter()
        .filter_map(|g| g.global_initializer())
        .collect();
    while let Some(c) = constants.pop() {
        if c.is_function() {
            if !c.is_declaration() && !own(c) && seen.insert(c) {
                stack.push(c);
            }
        } else if !c.is_global_value() {
            constants.extend(c.operands());
        }
    }
    let mut reenters = false;
    while let Some(g) = stack.pop() {
        for inst in g.blocks().into_iter().flat_map(|b| b.instructions()) {
            if inst.is_call() && inst.called_function().is_none() {
                return module_has_infinite_slopes(f);
            }
            for op in inst.operands() {
                let op = op.strip_casts();
                if !op.is_function() || op.is_declaration() {
                    continue;
                }
                if own(op) {
                    reenters = true;
                } else if seen.insert(op) {
                    stack.push(op);
                }
            }
        }
    }
    (reenters && (has_infinite_slopes(f) || has_infinite_slopes(key.function)))
        || seen.into_iter().any(has_infinite_slopes)
}

/// The parameters of the derivative `f` (whose first parameters are the
/// primal's, in order) that stand for a `noalias` parameter of the function
/// `key` asks for.
pub fn restrict_params(
    f: Value,
    key: &crate::frontend::request::DerivativeKey,
) -> hashbrown::HashSet<Value> {
    f.params()
        .into_iter()
        .take(key.activities.len())
        .enumerate()
        .filter(|&(i, p)| p.ty().is_pointer() && key.function.param_is_noalias(i as u32))
        .map(|(_, p)| p)
        .collect()
}

/// The values whose adjoint (reverse mode, [`infinite_adjoints`]) or tangent
/// (forward mode, [`infinite_tangents`]) may be infinite while every primal
/// value is finite.
pub struct InfiniteDerivatives {
    members: hashbrown::HashSet<Value>,
    /// The floating-point instructions the analysis saw: one made later (the
    /// primal result of a call rewritten into a call of its derivative)
    /// counts as a member where `boundary` holds.
    analyzed: hashbrown::HashSet<Value>,
    /// Whether derivatives entering from a caller or a callee may be
    /// infinite ([`module_has_infinite_slopes`]).
    boundary: bool,
}

impl InfiniteDerivatives {
    /// None: the derivatives nothing has analyzed yet.
    pub fn none() -> InfiniteDerivatives {
        InfiniteDerivatives {
            members: hashbrown::HashSet::new(),
            analyzed: hashbrown::HashSet::new(),
            boundary: false,
        }
    }

    /// The result of an analysis of `insts` that found `members`.
    fn found(
        insts: &[Value],
        members: hashbrown::HashSet<Value>,
        boundary: bool,
    ) -> InfiniteDerivatives {
        InfiniteDerivatives {
            members,
            analyzed: insts
                .iter()
                .copied()
                .filter(|i| i.ty().is_fp_like())
                .collect(),
            boundary,
        }
    }

    /// Whether the derivative of `v` may be infinite: a member, an
    /// instruction made after the analysis, or an argument (the caller's
    /// tangent), where `boundary` holds.
    pub fn may_be_infinite(&self, v: Value) -> bool {
        if v.is_instruction() && self.analyzed.contains(&v) {
            self.members.contains(&v)
        } else {
            self.boundary && (v.is_instruction() || v.is_argument())
        }
    }
}

/// Reverse mode: the floating-point instructions of `blocks` whose adjoint
/// may be infinite although every primal value is finite, because a partial
/// on the way to the result is ([`infinite_slope`]): the instructions used
/// by such a call or by a member, and, when `boundary` (the adjoint of the
/// result, of memory a caller shares, or returned by a callee may be
/// infinite, see [`module_has_infinite_slopes`]), those returned, stored or
/// passed to a call without a rule; stored values also when a member load
/// may read the memory they are stored to (its adjoint goes through the
/// shadow: object by object, [`Tainted`]; a copy moves it from the
/// destination to the source, and a call without a rule anywhere). The product of a member's
/// adjoint with a partial that is zero at run time must be zero
/// ([`super::product::zero_partial_wins`]): `cbrt(0 * g(x))` passes nothing
/// to `g(x)`. Partials infinite only where the primal value is (a quotient,
/// `log`) start nothing: the result is then infinite or NaN itself, or the
/// value's adjoint is zero, which the other strong zero handles.
pub fn infinite_adjoints(
    blocks: &[Block],
    boundary: bool,
    restrict: &hashbrown::HashSet<Value>,
) -> InfiniteDerivatives {
    let all: Vec<Value> = blocks.iter().flat_map(|b| b.instructions()).collect();
    let insts: Vec<Value> = all
        .iter()
        .copied()
        .filter(|i| i.ty().is_fp_like())
        .collect();
    let mut out: hashbrown::HashSet<Value> = hashbrown::HashSet::new();
    loop {
        // The memory whose shadow may gather an infinite adjoint: what a
        // member load reads, and what the reverse of a copy or a call
        // moves it to.
        let mut tainted = Tainted::new(restrict);
        for &i in &all {
            if i.opcode() == Opcode::LLVMLoad
                && (out.contains(&i) || (!i.ty().is_fp_like() && reaches_member(i, &out)))
            {
                tainted.add(i.operand(0));
            }
            if i.opcode() == Opcode::LLVMAtomicRMW && out.contains(&i) {
                tainted.add(i.operand(0));
            }
        }
        tainted.spread(&all, |tainted, i| match call_memory(i) {
            CallMemory::Copy { dst, src } if tainted.reads(dst) => tainted.add(src),
            CallMemory::Unknown if tainted.any() || out.contains(&i) => tainted.all = true,
            _ => {}
        });
        let memory = boundary || tainted.any();
        let mut changed = false;
        for &v in &insts {
            if out.contains(&v) {
                continue;
            }
            let member = v.users().into_iter().any(|u| {
                if !u.is_instruction() {
                    return false;
                }
                match u.opcode() {
                    Opcode::LLVMFCmp | Opcode::LLVMFPToSI | Opcode::LLVMFPToUI => false,
                    Opcode::LLVMStore => boundary || tainted.reads(u.operand(1)),
                    Opcode::LLVMAtomicRMW => {
                        boundary || tainted.reads(u.operand(0)) || out.contains(&u)
                    }
                    Opcode::LLVMRet => boundary,
                    Opcode::LLVMCall | Opcode::LLVMInvoke if without_rule(u) => {
                        boundary || memory || out.contains(&u)
                    }
                    Opcode::LLVMCall | Opcode::LLVMInvoke if tainted.passed_to(u) => true,
                    _ if u.ty().is_fp_like() => out.contains(&u) || infinite_slope(u),
                    _ => memory,
                }
            });
            if member {
                out.insert(v);
                changed = true;
            }
        }
        if !changed {
            return InfiniteDerivatives::found(&insts, out, boundary);
        }
    }
}

/// Whether the value of the non-floating-point load `load` reaches a member
/// of `members` by a bit cast or an element extraction (a double read as
/// an integer or in an aggregate): its adjoint then goes to the shadow of
/// what it reads.
fn reaches_member(load: Value, members: &hashbrown::HashSet<Value>) -> bool {
    load.users().into_iter().any(|u| members.contains(&u))
}

/// Memory that may hold an infinite derivative in its shadow (a tangent
/// stored there, an adjoint gathered there): identified objects (allocas,
/// heap blocks, globals, `noalias` parameters: distinct objects whose
/// shadows are distinct), or any memory.
struct Tainted<'r> {
    objects: hashbrown::HashSet<Value>,
    all: bool,
    /// The derivative's parameters that are `noalias` ([`restrict_params`]).
    restrict: &'r hashbrown::HashSet<Value>,
}

impl<'r> Tainted<'r> {
    fn new(restrict: &'r hashbrown::HashSet<Value>) -> Tainted<'r> {
        Tainted {
            objects: hashbrown::HashSet::new(),
            all: false,
            restrict,
        }
    }

    fn any(&self) -> bool {
        self.all || !self.objects.is_empty()
    }

    /// The memory `p` points into may hold an infinite derivative.
    fn add(&mut self, p: Value) {
        match distinct_objects(p, self.restrict) {
            Some(objs) => self.objects.extend(objs),
            None => self.all = true,
        }
    }

    /// Whether memory `p` points into may hold an infinite derivative: one
    /// of its objects is tainted, or it is not known to be distinct from
    /// them.
    fn reads(&self, p: Value) -> bool {
        if self.all {
            return true;
        }
        if self.objects.is_empty() {
            return false;
        }
        distinct_objects(p, self.restrict)
            .is_none_or(|objs| objs.iter().any(|o| self.objects.contains(o)))
    }

    /// Whether the call `call` is passed a pointer into memory that may
    /// hold an infinite derivative.
    fn passed_to(&self, call: Value) -> bool {
        call.call_args()
            .into_iter()
            .any(|a| a.ty().is_pointer() && self.reads(a))
    }

    /// Applies `step` to every instruction of `insts` until the tainted
    /// memory stops growing (copies and calls move taint between objects).
    fn spread(&mut self, insts: &[Value], mut step: impl FnMut(&mut Self, Value)) {
        loop {
            let before = (self.all, self.objects.len());
            for &i in insts {
                step(self, i);
            }
            if (self.all, self.objects.len()) == before {
                return;
            }
        }
    }
}

/// The objects `p` may point into, when each is one whose memory no pointer
/// based on another object reaches while the function runs (`None`
/// otherwise): an alloca, a heap allocation of the function, a global
/// variable, a `noalias` parameter (what it points to is written, so no
/// other pointer of the function reads it). The derivative assumes the
/// shadows alias as the primal memory does (distinct objects, distinct
/// shadows).
fn distinct_objects(p: Value, restrict: &hashbrown::HashSet<Value>) -> Option<Vec<Value>> {
    use ferment_activity_analysis::AllocKind;
    let objs = ferment_activity_analysis::underlying_objects(p);
    let distinct = |o: Value| {
        if o.is_argument() {
            return restrict.contains(&o);
        }
        o.is_global()
            || matches!(
                ferment_activity_analysis::allocation_kind(o),
                Some(AllocKind::Stack | AllocKind::Heap { .. } | AllocKind::Calloc)
            )
    };
    (!objs.is_empty() && objs.iter().all(|&o| distinct(o))).then_some(objs)
}

/// The memory a store (or atomic) of a site writes, for
/// [`may_read_written`]: its underlying objects (None for a call, which
/// may write anything).
pub fn written_objects(site: Value) -> Option<Vec<Value>> {
    let p = match site.opcode() {
        Opcode::LLVMStore => site.operand(1),
        Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => site.operand(0),
        _ => return None,
    };
    Some(ferment_activity_analysis::underlying_objects(p)).filter(|objs| !objs.is_empty())
}

/// Whether a load of `p` may read memory of `written` (objects of
/// [`written_objects`]): an object both reach, or one whose memory other
/// pointers may reach (a pointer read from memory, a call's result); a
/// fresh allocation (alloca, heap) is distinct from every other object,
/// and so are two globals. Two parameters are taken to be distinct, and a
/// parameter and a global (`project(cam, pt, proj)`: its stores to `proj`
/// are not read back as `cam[6]`): where they do overlap, such a load
/// counts as finite, as every load did before (NaN at worst, never a wrong
/// finite value; see [`stored_origins`]).
pub fn may_read_written(p: Value, written: &[Value]) -> bool {
    use ferment_activity_analysis::AllocKind;
    let fresh = |o: Value| {
        o.is_instruction()
            && matches!(
                ferment_activity_analysis::allocation_kind(o),
                Some(AllocKind::Stack | AllocKind::Heap { .. } | AllocKind::Calloc)
            )
    };
    let known = |o: Value| o.is_argument() || o.is_global() || fresh(o);
    let objs = ferment_activity_analysis::underlying_objects(p);
    objs.is_empty()
        || objs
            .iter()
            .any(|&a| written.iter().any(|&b| a == b || !known(a) || !known(b)))
}

/// Whether `o`, an object of `underlying_objects`, is memory its function
/// made (an alloca or a heap block), which only it and the calls it passes
/// the object to write.
fn fresh_object(o: Value) -> bool {
    use ferment_activity_analysis::AllocKind;
    o.is_instruction()
        && matches!(
            ferment_activity_analysis::allocation_kind(o),
            Some(AllocKind::Stack | AllocKind::Heap { .. } | AllocKind::Calloc)
        )
}

/// Whether a load through `p`, in the function whose parameters are
/// `params`, may read memory that `flags` (a derivative's
/// `DerivativeKey::nonfinite_inputs`: per parameter, then one entry for
/// the rest) says may hold a nonfinite value: the memory a flagged pointer
/// parameter points to, or, with the last entry, any object that is
/// neither a parameter nor the function's own (a global, a pointer read
/// from memory); an unknown object where anything is flagged.
pub fn reads_flagged(p: Value, params: &[Value], flags: &[bool]) -> bool {
    if !flags.contains(&true) {
        return false;
    }
    let rest = flags.last() == Some(&true);
    let objs = ferment_activity_analysis::underlying_objects(p);
    objs.is_empty()
        || objs
            .iter()
            .any(|o| match params.iter().position(|q| q == o) {
                Some(k) => flags.get(k) == Some(&true),
                None => rest && !fresh_object(*o) && !constant_global(*o),
            })
}

/// Whether a derivative of `f` may depend on which of its inputs its caller
/// flags as possibly nonfinite (`DerivativeKey::nonfinite_inputs`): whether
/// `f` or a function it may call (directly, a function of the module) has a
/// floating-point instruction whose partials depend on its operands (a
/// product, a quotient, a library call) or calls through a pointer. A
/// function that only copies, adds, chooses and compares floating-point
/// values has partials 0 and +-1 whatever its inputs hold, so its flags
/// guard nothing: `std::stable_sort` of records with a `double` field
/// (`derivative_size.rs`, `array_repeats_do_not_split_callee_derivatives`).
pub fn inputs_matter(f: Value) -> bool {
    let mut seen = hashbrown::HashSet::new();
    let mut work = vec![f];
    while let Some(g) = work.pop() {
        if !seen.insert(g) || g.is_declaration() {
            continue;
        }
        for inst in g.blocks().iter().flat_map(|b| b.instructions()) {
            match inst.opcode() {
                // partials 0 or +-1, like `partials_may_be_nonfinite`'s
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
                | Opcode::LLVMExtractValue
                | Opcode::LLVMInsertValue
                | Opcode::LLVMFreeze
                | Opcode::LLVMLoad
                | Opcode::LLVMStore
                | Opcode::LLVMFCmp
                | Opcode::LLVMFPToSI
                | Opcode::LLVMFPToUI
                | Opcode::LLVMSIToFP
                | Opcode::LLVMUIToFP
                | Opcode::LLVMBitCast => {}
                Opcode::LLVMCall | Opcode::LLVMInvoke | Opcode::LLVMCallBr => {
                    match inst.called_function() {
                        None => return true,
                        Some(c) if !c.is_declaration() => work.push(c),
                        Some(c) => {
                            let copy = ferment_activity_analysis::is_memcpy_like(&c.name());
                            let floats = inst.ty().contains_float()
                                || inst.call_args().iter().any(|a| a.ty().contains_float());
                            if floats && !copy {
                                return true;
                            }
                        }
                    }
                }
                _ => {
                    if inst.ty().contains_float()
                        || inst.operands().iter().any(|o| o.ty().contains_float())
                    {
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// Whether `o` is a constant global (a table no code writes).
fn constant_global(o: Value) -> bool {
    o.is_global() && unsafe { llvm_sys::core::LLVMIsGlobalConstant(o.0) } != 0
}

/// A kept callee's inputs that may be nonfinite ([`reads_flagged`]): its
/// floating-point parameters flagged by `flags` and the floating-point
/// loads of `blocks` that may read flagged memory. Counted as such
/// ([`NonfinitePartials::of_inputs`]), they get the guards of values that
/// may be infinite, and the memory they are stored into the loaded guards'
/// test (`reverse::loaded_factor_guards`).
pub fn input_values(
    blocks: &[Block],
    params: &[Value],
    flags: &[bool],
) -> hashbrown::HashSet<Value> {
    flagged_inputs(blocks, params, flags).collect()
}

/// [`input_values`], one by one: the flagged floating-point parameters,
/// then the floating-point loads of flagged memory.
fn flagged_inputs<'a>(
    blocks: &'a [Block],
    params: &'a [Value],
    flags: &'a [bool],
) -> impl Iterator<Item = Value> + 'a {
    let args = params
        .iter()
        .enumerate()
        .filter(|(k, p)| p.ty().is_fp_like() && flags.get(*k) == Some(&true))
        .map(|(_, p)| *p);
    let loads = blocks.iter().flat_map(|b| b.instructions()).filter(|i| {
        i.opcode() == Opcode::LLVMLoad
            && i.ty().is_fp_like()
            && reads_flagged(i.operand(0), params, flags)
    });
    args.chain(loads)
}

/// Whether `f`, given inputs flagged by `flags` (see [`reads_flagged`]),
/// may read one of them: a flagged floating-point parameter, a load of
/// flagged memory, or a call (a copy, a function of the module) passed a
/// pointer to flagged memory.
fn reads_inputs(f: Value, flags: &[bool]) -> bool {
    if f.is_declaration() || !flags.contains(&true) {
        return false;
    }
    let (params, blocks) = (f.params(), f.blocks());
    if flagged_inputs(&blocks, &params, flags).next().is_some() {
        return true;
    }
    blocks.iter().flat_map(|b| b.instructions()).any(|i| {
        if !i.is_call() {
            return false;
        }
        let name = i.called_function().map(|g| g.name()).unwrap_or_default();
        if name.starts_with("llvm.") && !ferment_activity_analysis::is_memcpy_like(&name) {
            return false;
        }
        i.call_args()
            .into_iter()
            .any(|a| a.ty().is_pointer() && reads_flagged(a, &params, flags))
    })
}

/// The memory a call of `f` may store a value that may be nonfinite into
/// when its inputs are finite: per parameter (the memory it points to),
/// then one entry for the rest (globals, heap blocks, memory reached
/// through pointers read from memory); its own allocas are not counted.
/// None where it cannot tell (`depth` calls deep).
fn nonfinite_writes(f: Value, depth: u32) -> Option<Vec<bool>> {
    let params = f.params();
    let mut out = vec![false; params.len() + 1];
    if f.is_declaration() {
        return Some(out);
    }
    if depth == 0 {
        return None;
    }
    let blocks = f.blocks();
    let partials = NonfinitePartials::of(&blocks);
    let so = stored_origins_within(&blocks, &partials, depth - 1, &hashbrown::HashSet::new())?;
    let mark = |p: Value, out: &mut Vec<bool>| -> Option<()> {
        let objs = ferment_activity_analysis::underlying_objects(p);
        if objs.is_empty() {
            return None;
        }
        for o in objs {
            if let Some(k) = params.iter().position(|q| *q == o) {
                out[k] = true;
            } else if !(o.is_instruction()
                && ferment_activity_analysis::allocation_kind(o)
                    == Some(ferment_activity_analysis::AllocKind::Stack))
            {
                *out.last_mut()? = true;
            }
        }
        Some(())
    };
    // A recursive call writes what this function does: the smallest
    // fixed point, from nothing.
    loop {
        let mut next = vec![false; params.len() + 1];
        for site in &so.sites {
            match site.opcode() {
                Opcode::LLVMStore => mark(site.operand(1), &mut next)?,
                Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => {
                    mark(site.operand(0), &mut next)?
                }
                _ => {
                    let args = site.call_args();
                    let inner = match site.called_function() {
                        Some(g) if g == f => out.clone(),
                        Some(g) if !g.is_declaration() => nonfinite_writes(g, depth - 1)?,
                        _ => vec![true; args.len() + 1],
                    };
                    for (k, a) in args.iter().enumerate() {
                        if a.ty().is_pointer() && inner.get(k) != Some(&false) {
                            mark(*a, &mut next)?;
                        }
                    }
                    if inner.last() == Some(&true) {
                        *next.last_mut()? = true;
                    }
                }
            }
        }
        if next == out {
            return Some(out);
        }
        out = next;
    }
}

/// The memory that may hold a value that may be nonfinite where a call
/// runs ([`call_inputs`]).
#[derive(Default)]
struct Written {
    objects: Vec<Value>,
    /// Memory other than these objects: globals, memory reached through
    /// pointers read from memory.
    rest: bool,
    anything: bool,
}

impl Written {
    fn add_pointer(&mut self, p: Value) {
        let objs = ferment_activity_analysis::underlying_objects(p);
        if objs.is_empty() {
            self.anything = true;
        }
        self.objects.extend(objs);
    }

    fn is_empty(&self) -> bool {
        self.objects.is_empty() && !self.rest && !self.anything
    }

    /// The flags of a call's arguments ([`reads_flagged`]).
    fn flags(&self, args: &[Value], partials: &NonfinitePartials) -> Vec<bool> {
        let mut out: Vec<bool> = args
            .iter()
            .map(|a| {
                if a.ty().is_fp_like() {
                    return partials.value(*a);
                }
                if !a.ty().is_pointer() || self.is_empty() {
                    return false;
                }
                if self.anything {
                    return true;
                }
                let objs = ferment_activity_analysis::underlying_objects(*a);
                (!self.objects.is_empty() && may_read_written(*a, &self.objects))
                    || (self.rest
                        && (objs.is_empty()
                            || objs.iter().any(|o| {
                                !o.is_argument() && !fresh_object(*o) && !constant_global(*o)
                            })))
            })
            .collect();
        out.push(!self.is_empty());
        out
    }
}

/// Reverse mode, the calls of `blocks` that stay calls: per call whose
/// callee may read an input that may be nonfinite, the callee's
/// `DerivativeKey::nonfinite_inputs` (see [`reads_flagged`]), and the set
/// of those calls (sites of [`stored_origins`] whose origins are out of
/// reach: the callee may copy such an input into memory the caller reads).
/// The memory: what the stores and calls of [`stored_origins`] that may
/// have run before the call write (a callee's by [`nonfinite_writes`]),
/// and what the function's own `flags` say of its parameters. The
/// floating-point arguments: those that may be nonfinite (`partials`, with
/// the function's own inputs). A caller that cannot prove what a callee
/// reads finite lets the callee test it: `b[0] = 1 / s; scale(b, u)` with
/// `scale` reading `b[0]` as a factor whose adjoint is zero.
pub fn call_inputs(
    blocks: &[Block],
    params: &[Value],
    flags: &[bool],
    partials: &NonfinitePartials,
) -> (
    hashbrown::HashMap<Value, Vec<bool>>,
    hashbrown::HashSet<Value>,
) {
    let calls: Vec<(Value, Value)> = blocks
        .iter()
        .flat_map(|b| b.instructions())
        .filter_map(|i| {
            let f = i.is_call().then(|| i.called_function()).flatten()?;
            (!f.is_declaration() && super::call_rule(&f.name()).is_none()).then_some((i, f))
        })
        .collect();
    let mut reading = hashbrown::HashSet::new();
    if calls.is_empty() {
        return (hashbrown::HashMap::new(), reading);
    }
    // Where each block's instructions are reached from: the blocks after it.
    let in_fn: hashbrown::HashSet<Block> = blocks.iter().copied().collect();
    let after = |b: Block| {
        let mut seen = hashbrown::HashSet::new();
        let mut stack: Vec<Block> = b.successors();
        while let Some(x) = stack.pop() {
            if in_fn.contains(&x) && seen.insert(x) {
                stack.extend(x.successors());
            }
        }
        seen
    };
    let position = |i: Value| i.parent().instructions().iter().position(|x| *x == i);
    let mut writes: hashbrown::HashMap<Value, Option<Vec<bool>>> = hashbrown::HashMap::new();
    loop {
        let mut base = Written::default();
        for (k, p) in params.iter().enumerate() {
            if p.ty().is_pointer() && flags.get(k) == Some(&true) {
                base.objects.push(*p);
            }
        }
        base.rest = flags.len() > params.len() && flags.last() == Some(&true);
        let sites = match stored_origins(blocks, partials, &reading) {
            Some(o) => o.sites,
            None => {
                base.anything = true;
                Vec::new()
            }
        };
        let mut reach: Vec<(Value, hashbrown::HashSet<Block>)> = Vec::new();
        for s in &sites {
            let reached = match reach.iter().find(|(t, _)| t.parent() == s.parent()) {
                Some((_, r)) => r.clone(),
                None => after(s.parent()),
            };
            reach.push((*s, reached));
        }
        let mut out = hashbrown::HashMap::new();
        let mut grew = false;
        for &(c, f) in &calls {
            let mut w = Written {
                objects: base.objects.clone(),
                rest: base.rest,
                anything: base.anything,
            };
            for (s, reached) in &reach {
                let before = reached.contains(&c.parent())
                    || (s.parent() == c.parent() && position(*s) < position(c));
                if !before {
                    continue;
                }
                match s.opcode() {
                    Opcode::LLVMStore => w.add_pointer(s.operand(1)),
                    Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => {
                        w.add_pointer(s.operand(0))
                    }
                    _ => {
                        let args = s.call_args();
                        let callee = s.called_function().filter(|g| !g.is_declaration());
                        let writes = match callee {
                            Some(g) if !reading.contains(s) => writes
                                .entry(g)
                                .or_insert_with(|| nonfinite_writes(g, 2))
                                .clone(),
                            _ => None,
                        };
                        match writes {
                            Some(v) => {
                                for (k, a) in args.iter().enumerate() {
                                    if a.ty().is_pointer() && v.get(k) == Some(&true) {
                                        w.add_pointer(*a);
                                    }
                                }
                                w.rest |= v.last() == Some(&true);
                            }
                            None if callee.is_some() => {
                                for a in args.iter().filter(|a| a.ty().is_pointer()) {
                                    w.add_pointer(*a);
                                }
                                w.rest = true;
                            }
                            None => w.anything = true,
                        }
                    }
                }
            }
            let fl = w.flags(&c.call_args(), partials);
            // (on the callee as written: at -O0 its parameters are still
            // spilled to allocas, so its loads read through pointers loaded
            // from memory, which the last entry covers)
            if reads_inputs(f, &fl) {
                grew |= reading.insert(c);
                out.insert(c, fl);
            }
        }
        if !grew {
            return (out, reading);
        }
    }
}

/// What a call may do with the derivatives in memory (see [`call_memory`]).
enum CallMemory {
    /// Nothing: not a call, or one that moves no derivative through memory
    /// (a library rule without pointer arguments, an allocation, a free,
    /// a known inactive function, `memset`, markers).
    Nothing,
    /// A copy from `src` to `dst` (`memcpy`, `memmove`).
    Copy { dst: Value, src: Value },
    /// A library rule with pointer arguments (`sincos`, `modf`): it moves
    /// derivatives between its floating-point values and that memory.
    Outputs,
    /// Anything (a differentiated callee, an indirect call).
    Unknown,
}

fn call_memory(i: Value) -> CallMemory {
    if !i.is_call() {
        return match i.opcode() {
            Opcode::LLVMAtomicCmpXchg => CallMemory::Unknown,
            _ => CallMemory::Nothing,
        };
    }
    let Some(f) = i.called_function() else {
        return CallMemory::Unknown;
    };
    let name = f.name();
    let pointer_args = i.call_args().into_iter().any(|a| a.ty().is_pointer());
    if ferment_activity_analysis::is_memcpy_like(&name) {
        let args = i.call_args();
        return CallMemory::Copy {
            dst: args[0],
            src: args[1],
        };
    }
    if ferment_activity_analysis::is_memset_like(&name)
        || ferment_activity_analysis::allocation_kind(i).is_some()
        || ferment_activity_analysis::is_free_like(&name)
        || name.starts_with("llvm.lifetime")
        || name.starts_with("llvm.dbg")
        || name.starts_with("llvm.assume")
        || name.starts_with("llvm.invariant")
        || name.starts_with("llvm.experimental.noalias")
        || (!pointer_args && name.starts_with("llvm."))
        || ferment_activity_analysis::is_known_inactive_function(&name)
    {
        return CallMemory::Nothing;
    }
    if super::call_rule(&name).is_some() {
        return if pointer_args {
            CallMemory::Outputs
        } else {
            CallMemory::Nothing
        };
    }
    CallMemory::Unknown
}

/// Forward mode: the floating-point instructions of `blocks` whose tangent
/// may be infinite although every primal value is finite (the dual of
/// [`infinite_adjoints`]): calls with an infinite slope, what is computed
/// from them, loads that may read memory a member is stored to (object by
/// object, [`Tainted`]; a copy moves it, a call without a rule anywhere), all
/// loads when `boundary`, and, when
/// `boundary`, results of calls without a rule and values of unknown origin.
/// Arguments' tangents count as members when `boundary`.
pub fn infinite_tangents(
    blocks: &[Block],
    boundary: bool,
    restrict: &hashbrown::HashSet<Value>,
) -> InfiniteDerivatives {
    let insts: Vec<Value> = blocks.iter().flat_map(|b| b.instructions()).collect();
    let mut out: hashbrown::HashSet<Value> = hashbrown::HashSet::new();
    loop {
        // The memory whose shadow may hold an infinite tangent: where a
        // member (or a value made from one: an aggregate, an integer) is
        // stored, and where copies and calls move it.
        let member = |o: Value, out: &hashbrown::HashSet<Value>| {
            operand_member(o, out, boundary)
                || (!o.ty().is_fp_like() && !o.ty().is_pointer() && !out.is_empty())
        };
        let mut tainted = Tainted::new(restrict);
        for &i in &insts {
            match i.opcode() {
                Opcode::LLVMStore if member(i.operand(0), &out) => tainted.add(i.operand(1)),
                Opcode::LLVMAtomicRMW if member(i.operand(1), &out) => tainted.add(i.operand(0)),
                _ => {}
            }
        }
        tainted.spread(&insts, |tainted, i| {
            // A floating-point argument whose tangent may be infinite,
            // or an aggregate one when any tangent may be.
            let fp_arg = || {
                let args = if i.is_call() {
                    i.call_args()
                } else {
                    i.operands()
                };
                args.into_iter().any(|a| {
                    (a.ty().is_fp_like() && operand_member(a, &out, boundary))
                        || ((a.ty().is_struct() || a.ty().is_array()) && !out.is_empty())
                })
            };
            match call_memory(i) {
                CallMemory::Copy { dst, src } if tainted.reads(src) => tainted.add(dst),
                CallMemory::Outputs if fp_arg() => {
                    for a in i.call_args() {
                        if a.ty().is_pointer() {
                            tainted.add(a);
                        }
                    }
                }
                CallMemory::Unknown if tainted.any() || fp_arg() => tainted.all = true,
                _ => {}
            }
        });
        let memory = boundary || tainted.any();
        let mut changed = false;
        for &v in &insts {
            if out.contains(&v) || !v.ty().is_fp_like() {
                continue;
            }
            let fp_operand = || {
                v.operands()
                    .into_iter()
                    .any(|o| o.ty().is_fp_like() && operand_member(o, &out, boundary))
            };
            let member = match v.opcode() {
                Opcode::LLVMLoad => boundary || tainted.reads(v.operand(0)),
                Opcode::LLVMAtomicRMW => boundary || tainted.reads(v.operand(0)) || fp_operand(),
                Opcode::LLVMSIToFP | Opcode::LLVMUIToFP => false,
                Opcode::LLVMCall | Opcode::LLVMInvoke if without_rule(v) => {
                    boundary || fp_operand()
                }
                Opcode::LLVMCall | Opcode::LLVMInvoke if tainted.passed_to(v) => true,
                _ if infinite_slope(v) => true,
                Opcode::LLVMExtractValue | Opcode::LLVMBitCast => memory || fp_operand(),
                _ => fp_operand(),
            };
            if member {
                out.insert(v);
                changed = true;
            }
        }
        if !changed {
            return InfiniteDerivatives::found(&insts, out, boundary);
        }
    }
}

/// Whether the tangent of the operand `o` may be infinite during
/// [`infinite_tangents`]: a member so far, or an argument when `boundary`.
fn operand_member(o: Value, members: &hashbrown::HashSet<Value>, boundary: bool) -> bool {
    if o.is_instruction() {
        members.contains(&o)
    } else {
        boundary && o.is_argument()
    }
}

/// Whether the call `inst` has no library rule (a differentiated callee, an
/// indirect call): its derivative comes from the callee's own.
fn without_rule(inst: Value) -> bool {
    inst.called_function()
        .is_none_or(|f| super::call_rule(&f.name()).is_none())
}
