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
use crate::forward::fixed_point::{
    internal, shadows_of, step_args, step_key, step_of, Passes, ARGS, BYTES, CONTROL, MAX_ITERS,
    REDUCTION, STATE,
};
use crate::frontend::loops::{convert, FIXED_POINT_PREFIX};
use crate::frontend::request::{Activity as ArgAct, DerivativeKey, Mode, Shape};
use crate::reverse::tape::declare;
use ferment_ir::{Builder, IntPredicate, Type, Value};

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
    let (step, f32_state) = step_of(helper)?;
    let step_key = step_key(key, step, Mode::Reverse);
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
    let (i8t, i64t, f64t, ptr) = (
        Type::int(ctxr, 8),
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

    // Augmented forward: the loop, then the tape {last step, state}.
    {
        let p = aug.params();
        let (shadows, _) = shadows_of(key, &p);
        let entry = aug.append_block("entry");
        let run = aug.append_block("run");
        let done = aug.append_block("done");
        b.at_end(entry);
        b.br(run);
        b.at_end(run);
        let i = b.phi(i64t, "i");
        i.add_incoming(c(0), entry);
        let (args, _) = step_args(&b, helper, step, &p, &shadows, i)?;
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
    let (shadows, next) = shadows_of(key, &p);
    let (tape, free_flag) = (p[next], p[next + 1]);
    let ds = shadows[STATE].ok_or_else(|| internal(helper, "no shadow of the state"))?;
    let (state, bytes) = (p[STATE], p[BYTES]);
    let block = |name: &str| rev.append_block(name);
    let entry = block("entry");
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
    // The step's gradients: one per active parameter (the step number is
    // constant), in order.
    let step_actives: Vec<usize> = step_key
        .activities
        .iter()
        .enumerate()
        .filter(|(_, a)| **a == ArgAct::Active)
        .map(|(j, _)| j)
        .collect();
    // Each pass restores the fixed point and runs the step's adjoint on
    // the state's shadow; the rule looks at the next term in the shadow.
    let passes = Passes {
        f: rev,
        what: "adjoint",
        bytes,
        reduction: p[REDUCTION],
        max_iters: p[MAX_ITERS],
        control: p[CONTROL],
        f32_state,
        cumul_slot,
        red_slot,
    };
    passes.build(
        &b,
        |b| {
            b.memcpy(target, fixed, bytes);
            let (mut dargs, sh) = step_args(b, helper, step, &p, &shadows, last)?;
            dargs.extend(sh);
            let r = b.call_fn(dstep, &dargs);
            for (pos, j) in step_actives.iter().enumerate() {
                let k_arg = ARGS + j - 1;
                if let Some((_, acc)) = accs.iter().find(|(k, _)| *k == k_arg) {
                    let t = step_params[*j];
                    let d = b.extract_value(r, pos as u32);
                    b.store(b.fadd(b.load(t, *acc), d), *acc);
                }
            }
            Ok(())
        },
        |b, elem, j| {
            let now = b.fp_convert(b.load(elem, b.gep(elem, ds, &[j])), f64t);
            b.fmul(now, now)
        },
    )?;

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
    crate::reverse::tape::free_when(&b, rev, free, free_flag, tape);
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
                    convert(&b, b.load(t, *acc), want)
                        .ok_or_else(|| internal(helper, "gradient type"))?
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
