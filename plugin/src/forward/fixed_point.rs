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
use ferment_ir::{Builder, IntPredicate, RealPredicate, Type, Value};

/// The loop function's parameters: scheme, config, then these, then the
/// step's arguments.
const STATE: usize = 2;
const BYTES: usize = 3;
const REDUCTION: usize = 4;
const MAX_ITERS: usize = 5;
const CONTROL: usize = 6;
const ARGS: usize = 7;

const DEFAULT_REDUCTION: f64 = 1e-12;
const DEFAULT_MAX_ITERS: i64 = 1000;
/// Passes after which a growing norm stops the iteration.
const GROWTH_PASSES: i64 = 5;

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
    let internal = |what: &str| {
        Error::new(format!(
            "internal error: fixed-point loop {}: {what}",
            helper.name()
        ))
    };
    let step = helper
        .instructions()
        .into_iter()
        .filter(|i| i.is_call())
        .map(|i| i.called_operand().strip_casts())
        .find(|c| c.is_function() && !c.name().starts_with("llvm."))
        .ok_or_else(|| internal("no step"))?;
    let f32_state = helper.name()[FIXED_POINT_PREFIX.len()..].starts_with("f32");
    let mut activities = vec![Activity::Const];
    activities.extend_from_slice(&key.activities[ARGS..]);
    let step_key = DerivativeKey {
        function: step,
        mode: Mode::Forward,
        shape: Shape::Combined,
        activities,
        return_active: false,
        return_primal: false,
        arg_types: Vec::new(),
        uniform_pointers: false,
        width: 1,
        unchanged_args: Vec::new(),
        context: false,
        // The globals the loop's caller shares with it (its state among
        // them, when the state is a global): the step reads and writes
        // their tangents in place, as the passes below expect of the state.
        globals: key.globals.clone(),
        log_loads: false,
    };
    let Derivative::Forward(dstep) = ctx.get(&step_key)? else {
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
    let n = key.activities.len();
    let primal = &params[..n];
    let mut shadows = vec![None; n];
    let mut next = n;
    for (i, a) in key.activities.iter().enumerate() {
        if a.has_shadow() {
            shadows[i] = params.get(next).copied();
            next += 1;
        }
    }
    let ds = shadows[STATE].ok_or_else(|| internal("no shadow of the state"))?;
    let (state, bytes, reduction, max_iters, control) = (
        primal[STATE],
        primal[BYTES],
        primal[REDUCTION],
        primal[MAX_ITERS],
        primal[CONTROL],
    );
    let step_params: Vec<Type> = step.params().iter().map(|p| p.ty()).collect();
    let ctxr = module.context();
    let (i8t, i32t, i64t, f64t, ptr) = (
        Type::int(ctxr, 8),
        Type::int(ctxr, 32),
        Type::int(ctxr, 64),
        Type::f64(ctxr),
        Type::ptr(ctxr),
    );
    let elem = if f32_state { Type::f32(ctxr) } else { f64t };
    let esize = if f32_state { 4 } else { 8 };
    let b = Builder::new(module);
    let block = |name: &str| f.append_block(name);
    let (entry, run, start, ctl0, pass, norm, normdone, ctl, builtin, decide, exit) = (
        block("entry"),
        block("run"),
        block("tangent.start"),
        block("tangent.control0"),
        block("tangent.pass"),
        block("tangent.norm"),
        block("tangent.normdone"),
        block("tangent.control"),
        block("tangent.builtin"),
        block("tangent.decide"),
        block("exit"),
    );

    b.at_end(entry);
    let snap = b.alloca_n(i8t, bytes, "state.snapshot");
    let old = b.alloca_n(i8t, bytes, "tangent.previous");
    let cumul_slot = b.alloca(f64t, "cumul");
    let red_slot = b.alloca(f64t, "reduction");
    let zero_f = b.const_real(f64t, 0.0);
    let red = b.select(
        b.fcmp(RealPredicate::LLVMRealOLT, reduction, zero_f),
        b.const_real(f64t, DEFAULT_REDUCTION),
        reduction,
    );
    b.store(red, red_slot);
    let limit = b.select(
        b.icmp(IntPredicate::LLVMIntSLT, max_iters, b.const_int(i64t, 0)),
        b.const_int(i64t, DEFAULT_MAX_ITERS),
        max_iters,
    );
    let has_control = b.icmp(IntPredicate::LLVMIntNE, control, b.zero(ptr));
    let count = b.udiv_int(bytes, b.const_int(i64t, esize));
    let step_args = |b: &Builder, i: Value| -> Result<(Vec<Value>, Vec<Value>)> {
        let mut prim = vec![b.int_cast(i, step_params[0], true)];
        let mut sh = Vec::new();
        for (j, want) in step_params[1..].iter().enumerate() {
            let k = ARGS + j;
            let v = primal
                .get(k)
                .copied()
                .ok_or_else(|| internal("argument count"))?;
            prim.push(convert(b, v, *want).ok_or_else(|| internal("argument type"))?);
            if let Some(s) = shadows[k] {
                sh.push(convert(b, s, *want).ok_or_else(|| internal("shadow type"))?);
            }
        }
        Ok((prim, sh))
    };
    b.br(run);

    // The loop itself: i = 0; while (step(i++, args...));
    b.at_end(run);
    let i = b.phi(i64t, "i");
    i.add_incoming(b.const_int(i64t, 0), entry);
    let (args, _) = step_args(&b, i)?;
    let r = b.call_fn(step, &args);
    let i1 = b.add_int(i, b.const_int(i64t, 1));
    i.add_incoming(i1, run);
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntNE, r, b.zero(r.ty())),
        run,
        start,
    );

    // The tangent passes at the final state, from s = 0.
    b.at_end(start);
    b.memset(ds, b.const_int(i8t, 0), bytes);
    b.cond_br(has_control, ctl0, pass);
    b.at_end(ctl0);
    b.store(b.const_real(f64t, -1.0), cumul_slot);
    let control_ty = Type::function(i32t, &[ptr, ptr], false);
    let c0 = b.call(control_ty, control, &[cumul_slot, red_slot]);
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntNE, c0, b.zero(i32t)),
        pass,
        exit,
    );

    b.at_end(pass);
    let k = b.phi(i64t, "pass");
    let first = b.phi(f64t, "first");
    let prev = b.phi(f64t, "previous");
    for from in [start, ctl0] {
        k.add_incoming(b.const_int(i64t, 0), from);
        first.add_incoming(zero_f, from);
        prev.add_incoming(zero_f, from);
    }
    b.memmove(snap, state, bytes);
    b.memmove(old, ds, bytes);
    let (mut dargs, sh) = step_args(&b, i)?;
    dargs.extend(sh);
    b.call_fn(dstep, &dargs);
    b.memmove(state, snap, bytes);
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntUGT, count, b.const_int(i64t, 0)),
        norm,
        normdone,
    );

    b.at_end(norm);
    let j = b.phi(i64t, "j");
    let acc = b.phi(f64t, "acc");
    j.add_incoming(b.const_int(i64t, 0), pass);
    acc.add_incoming(zero_f, pass);
    let now = b.fp_convert(b.load(elem, b.gep(elem, ds, &[j])), f64t);
    let was = b.fp_convert(b.load(elem, b.gep(elem, old, &[j])), f64t);
    let d = b.fsub(now, was);
    let acc1 = b.fadd(acc, b.fmul(d, d));
    let j1 = b.add_int(j, b.const_int(i64t, 1));
    j.add_incoming(j1, norm);
    acc.add_incoming(acc1, norm);
    b.cond_br(b.icmp(IntPredicate::LLVMIntULT, j1, count), norm, normdone);

    b.at_end(normdone);
    let cumul = b.phi(f64t, "cumul");
    cumul.add_incoming(zero_f, pass);
    cumul.add_incoming(acc1, norm);
    let k1 = b.add_int(k, b.const_int(i64t, 1));
    let first1 = b.select(
        b.icmp(IntPredicate::LLVMIntEQ, k, b.const_int(i64t, 0)),
        cumul,
        first,
    );
    b.cond_br(has_control, ctl, builtin);

    b.at_end(ctl);
    b.store(cumul, cumul_slot);
    let c = b.call(control_ty, control, &[cumul_slot, red_slot]);
    let again_c = b.icmp(IntPredicate::LLVMIntNE, c, b.zero(i32t));
    b.br(decide);

    b.at_end(builtin);
    let small = b.fcmp(RealPredicate::LLVMRealOLE, cumul, b.fmul(red, first1));
    let grows = b.and_int(
        b.icmp(
            IntPredicate::LLVMIntSGE,
            k1,
            b.const_int(i64t, GROWTH_PASSES),
        ),
        b.fcmp(RealPredicate::LLVMRealOGT, cumul, prev),
    );
    let again_b = b.not(b.or_int(small, grows));
    b.br(decide);

    b.at_end(decide);
    let again = b.phi(Type::int(ctxr, 1), "again");
    again.add_incoming(again_c, ctl);
    again.add_incoming(again_b, builtin);
    let capped = b.and_int(
        b.icmp(IntPredicate::LLVMIntSGT, limit, b.const_int(i64t, 0)),
        b.icmp(IntPredicate::LLVMIntSGE, k1, limit),
    );
    let go_on = b.and_int(again, b.not(capped));
    k.add_incoming(k1, decide);
    first.add_incoming(first1, decide);
    prev.add_incoming(cumul, decide);
    b.cond_br(go_on, pass, exit);

    b.at_end(exit);
    b.ret_void();
    Ok(())
}
