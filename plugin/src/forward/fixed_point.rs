//! Forward mode of a fixed-point loop (`__enzyme_fixed_point` with one
//! listed state, lowered to a `ferment.fixed_point.*` loop function by
//! [`crate::frontend::loops`]), with Enzyme's semantics: the iterations are
//! not differentiated one by one. The loop runs to its end; then the tangent
//! of one step is iterated at the state it ended in, `s <- phi_z s + phi_x
//! xdot` from `s = 0` (the tangent of the initial guess has no effect),
//! restoring the primal state after each pass, until the squared 2-norm of
//! the change of the state's tangent falls below the reduction (default
//! 1e-12) times its value after the first pass, grows again after five
//! passes, or the pass limit (default 1000; 0 for none) is reached. A
//! control function `int control(double *cumul, double *reduction)`
//! (Tapenade's protocol) decides instead: it is called with `*cumul = -1`
//! before the first pass and with the squared norm after each, and returns
//! whether to go on.

use crate::derive::{Ctx, Derivative};
use crate::error::{Error, Result};
use crate::frontend::loops::{convert, FIXED_POINT_PREFIX};
use crate::frontend::request::{Activity, DerivativeKey, Mode, Shape};
use ferment_ir::{Block, Builder, IntPredicate, RealPredicate, Type, Value};

/// The loop function's parameters: scheme, config, then these, then the
/// step's arguments.
pub(crate) const STATE: usize = 2;
pub(crate) const BYTES: usize = 3;
pub(crate) const REDUCTION: usize = 4;
pub(crate) const MAX_ITERS: usize = 5;
pub(crate) const CONTROL: usize = 6;
pub(crate) const ARGS: usize = 7;

const DEFAULT_REDUCTION: f64 = 1e-12;
const DEFAULT_MAX_ITERS: i64 = 1000;
/// Passes after which a growing norm stops the iteration.
const GROWTH_PASSES: i64 = 5;

/// The step function the loop function `helper` calls, and whether its
/// state holds `float`s (`ferment.fixed_point.f32...`).
pub(crate) fn step_of(helper: Value) -> Result<(Value, bool)> {
    let step = helper
        .instructions()
        .into_iter()
        .filter(|i| i.is_call())
        .map(|i| i.called_operand().strip_casts())
        .find(|c| c.is_function() && !c.name().starts_with("llvm."))
        .ok_or_else(|| internal(helper, "no step"))?;
    let f32_state = helper.name()[FIXED_POINT_PREFIX.len()..].starts_with("f32");
    Ok((step, f32_state))
}

/// An internal error about the loop function `helper`.
pub(crate) fn internal(helper: Value, what: &str) -> Error {
    Error::new(format!(
        "internal error: fixed-point loop {}: {what}",
        helper.name()
    ))
}

/// The request for the combined derivative in `mode` of `step`, the step of
/// the loop function `key.function`: the step number is constant, the
/// other arguments are the loop's step arguments.
pub(crate) fn step_key(key: &DerivativeKey, step: Value, mode: Mode) -> DerivativeKey {
    let mut activities = vec![Activity::Const];
    activities.extend_from_slice(&key.activities[ARGS..]);
    DerivativeKey {
        function: step,
        mode,
        shape: Shape::Combined,
        return_active: false,
        return_primal: false,
        arg_types: Vec::new(),
        uniform_pointers: false,
        width: 1,
        unchanged_args: Vec::new(),
        checked_args: Vec::new(),
        context: false,
        // The globals the loop's caller shares with it (its state among
        // them, when the state is a global): the step reads and writes
        // their shadows in place, as the passes expect of the state.
        globals: key.globals.clone(),
        level: key.level,
        log_loads: false,
        own_shadow_args: Vec::new(),
        seeds_finite: false,
        // (the loop's inputs, where its caller flagged any: all of them)
        nonfinite_inputs: if key.nonfinite_inputs.contains(&true) {
            vec![true; activities.len() + 1]
        } else {
            Vec::new()
        },
        activities,
        handoffs: key.handoffs && mode == Mode::Reverse,
    }
}

/// The primal arguments of a call of `step` number `i` (converted to the
/// step's parameter types) from the loop function's parameters `p`, and
/// the shadows among `shadows` (by loop parameter) of those that have one.
pub(crate) fn step_args(
    b: &Builder,
    helper: Value,
    step: Value,
    p: &[Value],
    shadows: &[Option<Value>],
    i: Value,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let step_params: Vec<Type> = step.params().iter().map(|p| p.ty()).collect();
    let mut prim = vec![b.int_cast(i, step_params[0], true)];
    let mut sh = Vec::new();
    for (j, want) in step_params[1..].iter().enumerate() {
        let k = ARGS + j;
        let v = p
            .get(k)
            .copied()
            .ok_or_else(|| internal(helper, "argument count"))?;
        prim.push(convert(b, v, *want).ok_or_else(|| internal(helper, "argument type"))?);
        if let Some(s) = shadows.get(k).copied().flatten() {
            sh.push(convert(b, s, *want).ok_or_else(|| internal(helper, "shadow type"))?);
        }
    }
    Ok((prim, sh))
}

/// The shadows, by loop parameter, among a loop function derivative's
/// parameters `p` (the loop function's, then the shadows of those with
/// one), and the index of the first parameter after them.
pub(crate) fn shadows_of(key: &DerivativeKey, p: &[Value]) -> (Vec<Option<Value>>, usize) {
    let n = key.activities.len();
    let mut shadows = vec![None; n];
    let mut next = n;
    for (i, a) in key.activities.iter().enumerate() {
        if a.has_shadow() {
            shadows[i] = p.get(next).copied();
            next += 1;
        }
    }
    (shadows, next)
}

/// The passes of a fixed-point loop's derivative at its final state, with
/// their stopping rule (see the module documentation), built into `f` from
/// the builder's current block: `body` emits one pass, `term(j)` the
/// contribution of the state shadow's element `j` (of type `elem`) to the
/// squared norm the rule looks at. Block names start with `what`. Leaves
/// the builder at the end of the block after the last pass.
pub(crate) struct Passes {
    pub f: Value,
    pub what: &'static str,
    pub bytes: Value,
    pub reduction: Value,
    pub max_iters: Value,
    pub control: Value,
    pub f32_state: bool,
    /// `double` slots for the control function's arguments.
    pub cumul_slot: Value,
    pub red_slot: Value,
}

impl Passes {
    pub(crate) fn build(
        &self,
        b: &Builder,
        body: impl FnOnce(&Builder) -> Result<()>,
        term: impl FnOnce(&Builder, Type, Value) -> Value,
    ) -> Result<Block> {
        let ctxr = b.context();
        let (i32t, i64t, f64t, ptr) = (
            Type::int(ctxr, 32),
            Type::int(ctxr, 64),
            Type::f64(ctxr),
            Type::ptr(ctxr),
        );
        let (elem, esize) = if self.f32_state {
            (Type::f32(ctxr), 4)
        } else {
            (f64t, 8)
        };
        let c = |v: i64| b.const_int(i64t, v);
        let block = |name: &str| self.f.append_block(&format!("{}.{name}", self.what));
        let (ctl0, pass, norm, normdone, ctl, builtin, decide) = (
            block("control0"),
            block("pass"),
            block("norm"),
            block("normdone"),
            block("control"),
            block("builtin"),
            block("decide"),
        );
        let exit = self.f.append_block("exit");
        let from = b.insert_block();
        let zero_f = b.const_real(f64t, 0.0);
        let red = b.select(
            b.fcmp(RealPredicate::LLVMRealOLT, self.reduction, zero_f),
            b.const_real(f64t, DEFAULT_REDUCTION),
            self.reduction,
        );
        b.store(red, self.red_slot);
        let limit = b.select(
            b.icmp(IntPredicate::LLVMIntSLT, self.max_iters, c(0)),
            c(DEFAULT_MAX_ITERS),
            self.max_iters,
        );
        let has_control = b.icmp(IntPredicate::LLVMIntNE, self.control, b.zero(ptr));
        let count = b.udiv_int(self.bytes, c(esize));
        let control_ty = Type::function(i32t, &[ptr, ptr], false);
        let ask = |cumul: Value| {
            b.store(cumul, self.cumul_slot);
            let r = b.call(control_ty, self.control, &[self.cumul_slot, self.red_slot]);
            b.icmp(IntPredicate::LLVMIntNE, r, b.zero(i32t))
        };
        b.cond_br(has_control, ctl0, pass);
        b.at_end(ctl0);
        let go = ask(b.const_real(f64t, -1.0));
        b.cond_br(go, pass, exit);

        b.at_end(pass);
        let k = b.phi(i64t, "pass");
        let first = b.phi(f64t, "first");
        let prev = b.phi(f64t, "previous");
        for from in [from, ctl0] {
            k.add_incoming(c(0), from);
            first.add_incoming(zero_f, from);
            prev.add_incoming(zero_f, from);
        }
        body(b)?;
        let body_end = b.insert_block();
        b.cond_br(
            b.icmp(IntPredicate::LLVMIntUGT, count, c(0)),
            norm,
            normdone,
        );

        b.at_end(norm);
        let j = b.phi(i64t, "j");
        let acc = b.phi(f64t, "acc");
        j.add_incoming(c(0), body_end);
        acc.add_incoming(zero_f, body_end);
        let acc1 = b.fadd(acc, term(b, elem, j));
        let j1 = b.add_int(j, c(1));
        j.add_incoming(j1, norm);
        acc.add_incoming(acc1, norm);
        b.cond_br(b.icmp(IntPredicate::LLVMIntULT, j1, count), norm, normdone);

        b.at_end(normdone);
        let cumul = b.phi(f64t, "cumul");
        cumul.add_incoming(zero_f, body_end);
        cumul.add_incoming(acc1, norm);
        let k1 = b.add_int(k, c(1));
        let first1 = b.select(b.icmp(IntPredicate::LLVMIntEQ, k, c(0)), cumul, first);
        b.cond_br(has_control, ctl, builtin);

        b.at_end(ctl);
        let again_c = ask(cumul);
        b.br(decide);

        b.at_end(builtin);
        let small = b.fcmp(RealPredicate::LLVMRealOLE, cumul, b.fmul(red, first1));
        let grows = b.and_int(
            b.icmp(IntPredicate::LLVMIntSGE, k1, c(GROWTH_PASSES)),
            b.fcmp(RealPredicate::LLVMRealOGT, cumul, prev),
        );
        let again_b = b.not(b.or_int(small, grows));
        b.br(decide);

        b.at_end(decide);
        let again = b.phi(Type::int(ctxr, 1), "again");
        again.add_incoming(again_c, ctl);
        again.add_incoming(again_b, builtin);
        let capped = b.and_int(
            b.icmp(IntPredicate::LLVMIntSGT, limit, c(0)),
            b.icmp(IntPredicate::LLVMIntSGE, k1, limit),
        );
        let go_on = b.and_int(again, b.not(capped));
        k.add_incoming(k1, decide);
        first.add_incoming(first1, decide);
        prev.add_incoming(cumul, decide);
        b.cond_br(go_on, pass, exit);

        b.at_end(exit);
        Ok(exit)
    }
}

/// Whether `key` asks for the forward derivative of a fixed-point loop
/// whose state has a tangent.
pub fn applies(key: &DerivativeKey) -> bool {
    key.mode == Mode::Forward
        && key.width == 1
        && !key.context
        && key.function.name().starts_with(FIXED_POINT_PREFIX)
        && key.activities.get(STATE).is_some_and(|a| a.has_shadow())
        && key.activities.len() > ARGS - 1
}

/// Fills `f`, the declared forward derivative of the loop function.
pub fn generate(ctx: &mut Ctx, key: &DerivativeKey, f: Value) -> Result<()> {
    let helper = key.function;
    let module = ctx.module;
    let (step, f32_state) = step_of(helper)?;
    let Derivative::Forward(dstep) = ctx.get(&step_key(key, step, Mode::Forward))? else {
        return Err(Error::at(
            step,
            format!(
                "a custom forward derivative of the fixed-point step '{}' is not supported",
                step.name()
            ),
        ));
    };

    // f's parameters: the loop function's, then the shadows of the duplicated ones.
    let params = f.params();
    let primal = &params[..key.activities.len()];
    let (shadows, _) = shadows_of(key, &params);
    let ds = shadows[STATE].ok_or_else(|| internal(helper, "no shadow of the state"))?;
    let (state, bytes) = (primal[STATE], primal[BYTES]);
    let ctxr = module.context();
    let (i8t, i64t, f64t) = (Type::int(ctxr, 8), Type::int(ctxr, 64), Type::f64(ctxr));
    let b = Builder::new(module);
    let (entry, run, start) = (
        f.append_block("entry"),
        f.append_block("run"),
        f.append_block("tangent.start"),
    );

    b.at_end(entry);
    let snap = b.alloca_n(i8t, bytes, "state.snapshot");
    let old = b.alloca_n(i8t, bytes, "tangent.previous");
    let cumul_slot = b.alloca(f64t, "cumul");
    let red_slot = b.alloca(f64t, "reduction");
    b.br(run);

    // The loop itself: i = 0; while (step(i++, args...));
    b.at_end(run);
    let i = b.phi(i64t, "i");
    i.add_incoming(b.const_int(i64t, 0), entry);
    let (args, _) = step_args(&b, helper, step, primal, &shadows, i)?;
    let r = b.call_fn(step, &args);
    let i1 = b.add_int(i, b.const_int(i64t, 1));
    i.add_incoming(i1, run);
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntNE, r, b.zero(r.ty())),
        run,
        start,
    );

    // The tangent passes at the final state, from s = 0; each restores
    // the state, and the rule looks at the change of the tangent.
    b.at_end(start);
    b.memset(ds, b.const_int(i8t, 0), bytes);
    let passes = Passes {
        f,
        what: "tangent",
        bytes,
        reduction: primal[REDUCTION],
        max_iters: primal[MAX_ITERS],
        control: primal[CONTROL],
        f32_state,
        cumul_slot,
        red_slot,
    };
    passes.build(
        &b,
        |b| {
            b.memmove(snap, state, bytes);
            b.memmove(old, ds, bytes);
            let (mut dargs, sh) = step_args(b, helper, step, primal, &shadows, i)?;
            dargs.extend(sh);
            b.call_fn(dstep, &dargs);
            b.memmove(state, snap, bytes);
            Ok(())
        },
        |b, elem, j| {
            let now = b.fp_convert(b.load(elem, b.gep(elem, ds, &[j])), f64t);
            let was = b.fp_convert(b.load(elem, b.gep(elem, old, &[j])), f64t);
            let d = b.fsub(now, was);
            b.fmul(d, d)
        },
    )?;
    b.ret_void();
    Ok(())
}
