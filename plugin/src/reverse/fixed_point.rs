//! Reverse mode of a fixed-point loop (`__enzyme_fixed_point` with one
//! listed state, lowered to a `ferment.fixed_point.*` loop function by
//! [`crate::frontend::loops`]) with Enzyme's semantics: the iterations are
//! not taped. The state `z` converges to `z* = phi(z*, x)`, whose
//! derivative (implicit function theorem) is `dz*/dx = (I - phi_z)^-1
//! phi_x`; its adjoint is `x_bar += phi_x^T lambda` with `lambda = z_bar +
//! phi_z^T lambda`, solved by iterating the adjoint of one step at `z*`.
//!
//! - augmented forward: the loop runs as written; the tape holds the last
//!   step number and the final state `z*` (`8 + bytes` bytes, heap);
//! - reverse: the combined reverse derivative of the step runs at `z*`
//!   (the state restored from the tape before each pass) on the state's
//!   shadow. Each pass turns the term `t_k` in the shadow into `t_{k+1} =
//!   phi_z^T t_k` and adds `phi_x^T t_k` to the other arguments' adjoints,
//!   so the passes sum the series `lambda = sum_k (phi_z^T)^k z_bar`
//!   without keeping `lambda`. They stop as forward mode's do
//!   ([`crate::forward::fixed_point`]): when the squared 2-norm of the next
//!   term is at most the reduction (default 1e-12) times its value after
//!   the first pass, when it grows again after five passes, after
//!   `max_iters` passes (default 1000; 0: no limit), or when the control
//!   function `int control(double *cumul, double *reduction)` says so (it
//!   is called with `*cumul = -1` before the first pass). The state's
//!   shadow ends at zero: the fixed point does not depend on the initial
//!   guess. The state's memory gets back the contents it had when the
//!   reverse sweep reached the loop.
//!
//! The memory the steps read besides the state (their parameters) must be
//! unchanged between the loop and the reverse sweep, as for any reverse
//! sweep that recomputes.

use crate::derive::{Ctx, Derivative};
use crate::error::{Error, Result};
use crate::frontend::loops::{convert, FIXED_POINT_PREFIX};
use crate::frontend::request::{Activity as ArgAct, DerivativeKey, Mode, Shape};
use crate::reverse::tape::declare;
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

/// Whether `key` asks for the reverse mode (split pair) of a fixed-point
/// loop whose state has a shadow.
pub fn applies(key: &DerivativeKey) -> bool {
    key.mode == Mode::Reverse
        && key.shape == Shape::Split
        && key.width <= 1
        && !key.context
        && !key.log_loads
        && key.function.name().starts_with(FIXED_POINT_PREFIX)
        && key.activities.get(STATE).is_some_and(|a| a.has_shadow())
        && key.activities.len() > ARGS - 1
}

/// Fills the split pair `aug`/`rev` of the loop function `key.function`.
pub fn generate(ctx: &mut Ctx, key: &DerivativeKey, aug: Value, rev: Value) -> Result<()> {
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
    let mut activities = vec![ArgAct::Const];
    activities.extend_from_slice(&key.activities[ARGS..]);
    let step_key = DerivativeKey {
        function: step,
        mode: Mode::Reverse,
        shape: Shape::Combined,
        activities: activities.clone(),
        return_active: false,
        return_primal: false,
        arg_types: Vec::new(),
        uniform_pointers: false,
        width: 1,
        unchanged_args: Vec::new(),
        context: false,
        globals: key.globals.clone(),
        log_loads: false,
    };
    let Derivative::Combined(dstep) = ctx.get(&step_key)? else {
        return Err(Error::at(
            step,
            format!(
                "reverse mode of the fixed-point step '{}' with a custom split gradient is not supported",
                step.name()
            ),
        ));
    };

    let ctxr = module.context();
    let (i8t, i32t, i64t, f64t, ptr) = (
        Type::int(ctxr, 8),
        Type::int(ctxr, 32),
        Type::int(ctxr, 64),
        Type::f64(ctxr),
        Type::ptr(ctxr),
    );
    let n = key.activities.len();
    let step_params: Vec<Type> = step.params().iter().map(|p| p.ty()).collect();
    let b = Builder::new(module);
    let malloc = declare(module, "malloc", ptr, &[i64t]);
    let free = declare(module, "free", Type::void(ctxr), &[ptr]);
    let c = |v: i64| b.const_int(i64t, v);
    // The step's primal arguments (and shadows) from the parameters `p`.
    let step_args = |b: &Builder, p: &[Value], shadows: &[Option<Value>], i: Value| {
        let mut prim = vec![b.int_cast(i, step_params[0], true)];
        let mut sh = Vec::new();
        for (j, want) in step_params[1..].iter().enumerate() {
            let k = ARGS + j;
            let v = p
                .get(k)
                .copied()
                .ok_or_else(|| internal("argument count"))?;
            prim.push(convert(b, v, *want).ok_or_else(|| internal("argument type"))?);
            if let Some(s) = shadows.get(k).copied().flatten() {
                sh.push(convert(b, s, *want).ok_or_else(|| internal("shadow type"))?);
            }
        }
        Ok::<_, Error>((prim, sh))
    };
    let shadows_of = |p: &[Value]| {
        let mut shadows = vec![None; n];
        let mut next = n;
        for (i, a) in key.activities.iter().enumerate() {
            if a.has_shadow() {
                shadows[i] = p.get(next).copied();
                next += 1;
            }
        }
        (shadows, next)
    };

    // Augmented forward: the loop, then the tape {last step, state}.
    {
        let p = aug.params();
        let (shadows, _) = shadows_of(&p);
        let entry = aug.append_block("entry");
        let run = aug.append_block("run");
        let done = aug.append_block("done");
        b.at_end(entry);
        b.br(run);
        b.at_end(run);
        let i = b.phi(i64t, "i");
        i.add_incoming(c(0), entry);
        let (args, _) = step_args(&b, &p, &shadows, i)?;
        let r = b.call_fn(step, &args);
        let i1 = b.add_int(i, c(1));
        i.add_incoming(i1, run);
        b.cond_br(
            b.icmp(IntPredicate::LLVMIntNE, r, b.zero(r.ty())),
            run,
            done,
        );
        b.at_end(done);
        let bytes = p[BYTES];
        let tape = b.call_fn(malloc, &[b.add_int(bytes, c(8))]);
        b.store(i, tape);
        b.memcpy(b.gep_i8(tape, 8), p[STATE], bytes);
        let ret_ty = aug.global_value_type().fn_return();
        let r = b.insert_value(b.undef(ret_ty), tape, 0);
        b.ret(r);
    }

    // Reverse: the adjoint passes at the final state.
    let p = rev.params();
    let (shadows, next) = shadows_of(&p);
    let (tape, free_flag) = (p[next], p[next + 1]);
    let ds = shadows[STATE].ok_or_else(|| internal("no shadow of the state"))?;
    let (state, bytes, reduction, max_iters, control) =
        (p[STATE], p[BYTES], p[REDUCTION], p[MAX_ITERS], p[CONTROL]);
    let elem = if f32_state { Type::f32(ctxr) } else { f64t };
    let esize = if f32_state { 4 } else { 8 };
    let block = |name: &str| rev.append_block(name);
    let (entry, ctl0, pass, norm, normdone, ctl, builtin, decide, exit) = (
        block("entry"),
        block("adjoint.control0"),
        block("adjoint.pass"),
        block("adjoint.norm"),
        block("adjoint.normdone"),
        block("adjoint.control"),
        block("adjoint.builtin"),
        block("adjoint.decide"),
        block("exit"),
    );
    b.at_end(entry);
    // The adjoints of the active step arguments, summed over the passes.
    let active_args: Vec<usize> = (ARGS..n)
        .filter(|&k| key.activities[k] == ArgAct::Active)
        .collect();
    let accs: Vec<(usize, Value)> = active_args
        .iter()
        .map(|&k| {
            let t = step_params[k - ARGS + 1];
            let a = b.alloca(t, "fp.adjoint");
            b.store(b.zero(t), a);
            (k, a)
        })
        .collect();
    let cumul_slot = b.alloca(f64t, "cumul");
    let red_slot = b.alloca(f64t, "reduction");
    let last = b.load(i64t, tape);
    let fixed = b.gep_i8(tape, 8);
    // The passes run in a workspace, not in the caller's state, which its
    // forward sweep may have freed by now: a step argument pointing into
    // the state is moved to the same place in the workspace. A state no
    // argument points into (a global the step writes directly) is used in
    // place, and gets its contents back at the end.
    let work = b.call_fn(malloc, &[bytes]);
    let saved = b.call_fn(malloc, &[bytes]);
    let base = b.ptr_to_int(state, i64t);
    let mut found = b.const_int(Type::int(ctxr, 1), 0);
    let mut p = p.clone();
    for v in p.iter_mut().skip(ARGS).take(n - ARGS) {
        if !v.ty().is_pointer() {
            continue;
        }
        let delta = b.sub_int(b.ptr_to_int(*v, i64t), base);
        // Unsigned: below the state wraps around. One past its end is out:
        // another object may start there (the parameters, on the stack).
        let inside = b.icmp(IntPredicate::LLVMIntULT, delta, bytes);
        found = b.or_int(found, inside);
        *v = b.select(inside, b.gep(i8t, work, &[delta]), *v);
    }
    let target = b.select(found, work, state);
    let keep_in = block("state.save");
    let go = block("state.saved");
    b.cond_br(found, go, keep_in);
    b.at_end(keep_in);
    b.memcpy(saved, state, bytes);
    b.br(go);
    b.at_end(go);
    let entry = go;
    let zero_f = b.const_real(f64t, 0.0);
    let red = b.select(
        b.fcmp(RealPredicate::LLVMRealOLT, reduction, zero_f),
        b.const_real(f64t, DEFAULT_REDUCTION),
        reduction,
    );
    b.store(red, red_slot);
    let limit = b.select(
        b.icmp(IntPredicate::LLVMIntSLT, max_iters, c(0)),
        c(DEFAULT_MAX_ITERS),
        max_iters,
    );
    let has_control = b.icmp(IntPredicate::LLVMIntNE, control, b.zero(ptr));
    let count = b.udiv_int(bytes, c(esize));
    let control_ty = Type::function(i32t, &[ptr, ptr], false);
    b.cond_br(has_control, ctl0, pass);
    b.at_end(ctl0);
    b.store(b.const_real(f64t, -1.0), cumul_slot);
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
    for from in [entry, ctl0] {
        k.add_incoming(c(0), from);
        first.add_incoming(zero_f, from);
        prev.add_incoming(zero_f, from);
    }
    b.memcpy(target, fixed, bytes);
    let (mut dargs, sh) = step_args(&b, &p, &shadows, last)?;
    dargs.extend(sh);
    let r = b.call_fn(dstep, &dargs);
    // The step's gradients: one per active parameter (the step number is
    // constant), in order.
    let step_actives: Vec<usize> = activities
        .iter()
        .enumerate()
        .filter(|(_, a)| **a == ArgAct::Active)
        .map(|(j, _)| j)
        .collect();
    for (pos, j) in step_actives.iter().enumerate() {
        let k_arg = ARGS + j - 1;
        if let Some((_, acc)) = accs.iter().find(|(k, _)| *k == k_arg) {
            let t = step_params[*j];
            let d = b.extract_value(r, pos as u32);
            b.store(b.fadd(b.load(t, *acc), d), *acc);
        }
    }
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntUGT, count, c(0)),
        norm,
        normdone,
    );

    b.at_end(norm);
    let j = b.phi(i64t, "j");
    let acc = b.phi(f64t, "acc");
    j.add_incoming(c(0), pass);
    acc.add_incoming(zero_f, pass);
    let now = b.fp_convert(b.load(elem, b.gep(elem, ds, &[j])), f64t);
    let acc1 = b.fadd(acc, b.fmul(now, now));
    let j1 = b.add_int(j, c(1));
    j.add_incoming(j1, norm);
    acc.add_incoming(acc1, norm);
    b.cond_br(b.icmp(IntPredicate::LLVMIntULT, j1, count), norm, normdone);

    b.at_end(normdone);
    let cumul = b.phi(f64t, "cumul");
    cumul.add_incoming(zero_f, pass);
    cumul.add_incoming(acc1, norm);
    let k1 = b.add_int(k, c(1));
    let first1 = b.select(b.icmp(IntPredicate::LLVMIntEQ, k, c(0)), cumul, first);
    b.cond_br(has_control, ctl, builtin);

    b.at_end(ctl);
    b.store(cumul, cumul_slot);
    let cc = b.call(control_ty, control, &[cumul_slot, red_slot]);
    let again_c = b.icmp(IntPredicate::LLVMIntNE, cc, b.zero(i32t));
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
    // The initial guess gets no adjoint; the state its contents back.
    b.memset(ds, b.const_int(i8t, 0), bytes);
    let restore = block("state.restore");
    let restored = block("state.restored");
    b.cond_br(found, restored, restore);
    b.at_end(restore);
    b.memcpy(state, saved, bytes);
    b.br(restored);
    b.at_end(restored);
    b.call_fn(free, &[saved]);
    b.call_fn(free, &[work]);
    let release = rev.append_block("release");
    let kept = rev.append_block("kept");
    b.cond_br(free_flag, release, kept);
    b.at_end(release);
    b.call_fn(free, &[tape]);
    b.br(kept);
    b.at_end(kept);
    let ret_ty = rev.global_value_type().fn_return();
    if ret_ty.is_void() {
        b.ret_void();
    } else {
        // One gradient per active parameter of the loop function: the
        // step arguments' sums; the loop's own parameters get zero.
        let mut agg = b.undef(ret_ty);
        let mut slot = 0u32;
        for (i, a) in key.activities.iter().enumerate() {
            if *a != ArgAct::Active {
                continue;
            }
            let want = p[i].ty();
            let v = match accs.iter().find(|(k, _)| *k == i) {
                Some((k, acc)) => {
                    let t = step_params[k - ARGS + 1];
                    convert(&b, b.load(t, *acc), want).ok_or_else(|| internal("gradient type"))?
                }
                None => b.zero(want),
            };
            agg = b.insert_value(agg, v, slot);
            slot += 1;
        }
        b.ret(agg);
    }
    Ok(())
}
