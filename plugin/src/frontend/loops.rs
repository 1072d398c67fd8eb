//! Enzyme's loop constructs, lowered to the loops they stand for before any
//! request is read:
//!
//! - `__enzyme_fixed_point(step, markers..., args...)`: `i = 0; while
//!   (step(i++, args...));`
//! - `__enzyme_checkpoint_for(step, start, n, markers..., args...)`:
//!   `for (i = start; i < start + n; i++) step(i, args...);`
//! - `__enzyme_checkpoint_while(step, markers..., args...)`: as the fixed
//!   point;
//! - `__enzyme_set_fixed_point(...)` (a marker inside a loop) and
//!   `__enzyme_ptr_size_hint(p, bytes, ...)`: removed.
//!
//! The markers (`enzyme_scheme`, `enzyme_checkpoint_region`,
//! `enzyme_fp_*`) choose how Enzyme stores or iterates the loop's adjoint;
//! ferment differentiates the loop itself, every step taped once, which
//! gives the derivative of the program as written (the gradient Enzyme's
//! schedules must reproduce). With one of the header's reference schemes,
//! the caller's `EnzymeCkptStats` says so: every step taped, no snapshot.

use super::request::marker_name;
use crate::error::{Error, Result};
use ferment_ir::{Builder, IntPredicate, Module, Type, Value};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Construct {
    FixedPoint,
    CheckpointFor,
    CheckpointWhile,
    /// Calls that only describe: removed.
    Hint,
}

fn construct(name: &str) -> Option<Construct> {
    if name.contains("__enzyme_fixed_point") {
        Some(Construct::FixedPoint)
    } else if name.contains("__enzyme_checkpoint_for") {
        Some(Construct::CheckpointFor)
    } else if name.contains("__enzyme_checkpoint_while") {
        Some(Construct::CheckpointWhile)
    } else if name.contains("__enzyme_set_fixed_point") || name.contains("__enzyme_ptr_size_hint") {
        Some(Construct::Hint)
    } else {
        None
    }
}

/// Whether `name` is one of the constructs lowered here.
pub fn is_loop_construct(name: &str) -> bool {
    construct(name).is_some()
}

/// The header's reference schemes, whose callers get statistics.
const REFERENCE_SCHEMES: &[&str] = &[
    "EnzymeCkptRevolve",
    "EnzymeCkptPeriodic",
    "EnzymeCkptStoreAll",
];

/// Lowers every call of a loop construct in `module`; says whether it
/// changed anything.
pub fn lower(module: Module) -> (bool, Vec<Error>) {
    let mut changed = false;
    let mut errors = Vec::new();
    for f in module.functions() {
        let Some(kind) = construct(&f.name()).filter(|_| f.is_declaration()) else {
            continue;
        };
        for call in f.users().into_iter().filter(|u| u.is_call()) {
            let args = call.call_args();
            let result = match kind {
                Construct::Hint => Ok(()),
                _ => lower_loop(module, call, kind, &f.name()),
            };
            match result {
                Ok(()) => {
                    call.erase();
                    super::lower::erase_dead_marker_loads(
                        args.into_iter().filter(|a| marker_name(*a).is_some()),
                    );
                }
                Err(e) => {
                    errors.push(e);
                    super::lower::replace_with_trap(module, call);
                }
            }
            changed = true;
        }
    }
    (changed, errors)
}

/// Replaces `call` with a call of a new internal function that runs the
/// loop.
fn lower_loop(module: Module, call: Value, kind: Construct, name: &str) -> Result<()> {
    let args = call.call_args();
    let step = args
        .first()
        .and_then(|a| super::request::trace_function_of(*a))
        .ok_or_else(|| {
            Error::at(
                call,
                format!("the first argument of {name} must be the step function"),
            )
            .hint("pass the function itself, e.g. (void *)step")
        })?;
    let mut pos = 1;
    let mut bounds = None;
    if kind == Construct::CheckpointFor {
        let (Some(&start), Some(&n)) = (args.get(1), args.get(2)) else {
            return Err(Error::at(
                call,
                format!("{name} needs (step, start, n, ...)"),
            ));
        };
        if !start.ty().is_integer() || !n.ty().is_integer() {
            return Err(Error::at(
                call,
                format!("{name}: start and n must be integers"),
            ));
        }
        bounds = Some((start, n));
        pos = 3;
    }
    let (mut scheme, mut config) = (None, None);
    while let Some(m) = args.get(pos).and_then(|a| marker_name(*a)) {
        pos += 1;
        let values = match m.as_str() {
            "enzyme_scheme" => 2,
            "enzyme_checkpoint_region" | "enzyme_fp_state" => 2,
            "enzyme_fp_reduction" | "enzyme_fp_max_iters" | "enzyme_fp_control" => 1,
            _ => {
                return Err(Error::at(
                    call,
                    format!("marker '{m}' is not understood in a call to {name}"),
                )
                .hint("its markers are enzyme_scheme, enzyme_checkpoint_region and enzyme_fp_state/reduction/max_iters/control, before the step's arguments"))
            }
        };
        if pos + values > args.len() {
            return Err(Error::at(
                call,
                format!("marker '{m}' in {name} must be followed by {values} value(s)"),
            ));
        }
        if m == "enzyme_scheme" {
            scheme = Some(args[pos]);
            config = Some(args[pos + 1]);
        }
        pos += values;
    }
    let rest = &args[pos..];
    let fty = step.global_value_type();
    let params = fty.fn_params();
    if params.len() != rest.len() + 1 || fty.fn_is_vararg() || !params[0].is_integer() {
        return Err(Error::at(
            call,
            format!(
                "{name}: the step function '{}' takes {} parameter(s); the call passes the step number and {} argument(s)",
                step.name(),
                params.len(),
                rest.len()
            ),
        )
        .hint("the step's first parameter is the step number (int64_t), then one per argument after the markers"));
    }
    let loops_until_false = kind != Construct::CheckpointFor;
    let ret = fty.fn_return();
    if loops_until_false && !ret.is_integer() {
        return Err(Error::at(
            call,
            format!(
                "{name}: the step function '{}' must return whether to go on (bool or int)",
                step.name()
            ),
        ));
    }
    let ctx = module.context();
    let i64t = Type::int(ctx, 64);
    let ptr = Type::ptr(ctx);
    // The loop function: (start, n)? (scheme, config)? args...
    let mut ptys = Vec::new();
    if bounds.is_some() {
        ptys.extend([i64t, i64t]);
    }
    ptys.extend([ptr, ptr]);
    ptys.extend(rest.iter().map(|a| a.ty()));
    let helper = module.add_function(
        &format!("ferment.loop.{}", step.name()),
        Type::function(Type::void(ctx), &ptys, false),
    );
    helper.set_internal();
    let hp = helper.params();
    let b = Builder::new(module);
    let entry = helper.append_block("entry");
    let header = helper.append_block("step");
    let exit = helper.append_block("exit");
    b.at_end(entry);
    let (first, end, k) = match bounds {
        Some(_) => {
            let end = b.add_int(hp[0], hp[1]);
            let any = b.icmp(IntPredicate::LLVMIntSLT, hp[0], end);
            b.cond_br(any, header, exit);
            (hp[0], Some(end), 2)
        }
        None => {
            b.br(header);
            (b.const_int(i64t, 0), None, 0)
        }
    };
    let (hs, hc) = (hp[k], hp[k + 1]);
    b.at_end(header);
    let i = b.phi(i64t, "i");
    i.add_incoming(first, entry);
    let mut step_args = vec![b.int_cast(i, params[0], true)];
    for (a, (p, want)) in hp[k + 2..].iter().zip(rest.iter().zip(&params[1..])) {
        step_args.push(convert(&b, *a, *want).ok_or_else(|| {
            Error::at(
                call,
                format!(
                    "{name}: argument {} cannot be passed as the step's parameter of type {}",
                    p.short(),
                    want.describe()
                ),
            )
        })?);
    }
    let r = b.call_fn(step, &step_args);
    let next = b.add_int(i, b.const_int(i64t, 1));
    i.add_incoming(next, header);
    let again = match end {
        Some(end) => b.icmp(IntPredicate::LLVMIntSLT, next, end),
        None => b.icmp(IntPredicate::LLVMIntNE, r, b.zero(r.ty())),
    };
    b.cond_br(again, header, exit);
    // Statistics for the header's reference schemes: every step taped once.
    b.at_end(exit);
    let steps = b.phi(i64t, "steps");
    match bounds {
        Some(_) => {
            steps.add_incoming(hp[1], header);
            steps.add_incoming(b.const_int(i64t, 0), entry);
        }
        None => steps.add_incoming(next, header),
    }
    let mut is_ref = None;
    for g in REFERENCE_SCHEMES.iter().filter_map(|n| module.global(n)) {
        let eq = b.icmp(IntPredicate::LLVMIntEQ, hs, g);
        is_ref = Some(match is_ref {
            None => eq,
            Some(prev) => b.select(prev, prev, eq),
        });
    }
    let done = helper.append_block("done");
    match is_ref {
        Some(is_ref) => {
            let has_config = b.icmp(IntPredicate::LLVMIntNE, hc, b.zero(ptr));
            let fill = helper.append_block("config");
            b.cond_br(b.select(is_ref, has_config, is_ref), fill, done);
            b.at_end(fill);
            // EnzymeCkptConfig: {int64 snapshots; int verbose; const char *spill_dir;
            // uint64 mem_budget; EnzymeCkptStats *stats}; the stats are six int64:
            // forward steps, taped steps, stores, restores, max slots, max bytes.
            let stats = b.load(ptr, b.gep_i8(hc, 32));
            let write = helper.append_block("stats");
            b.cond_br(
                b.icmp(IntPredicate::LLVMIntNE, stats, b.zero(ptr)),
                write,
                done,
            );
            b.at_end(write);
            let steps = b.select(
                b.icmp(IntPredicate::LLVMIntSLT, steps, b.const_int(i64t, 0)),
                b.const_int(i64t, 0),
                steps,
            );
            for field in 0..6u64 {
                let v = if field == 1 {
                    steps
                } else {
                    b.const_int(i64t, 0)
                };
                b.store(v, b.gep_i8(stats, 8 * field));
            }
            b.br(done);
        }
        None => {
            b.br(done);
        }
    }
    b.at_end(done);
    b.ret_void();
    // The call of the loop.
    b.before(call);
    b.set_debug_loc_from(call);
    let mut call_args = Vec::new();
    if let Some((start, n)) = bounds {
        call_args.push(b.int_cast(start, i64t, true));
        call_args.push(b.int_cast(n, i64t, true));
    }
    let as_ptr = |v: Option<Value>| match v {
        Some(v) if v.ty().is_pointer() => v,
        _ => b.zero(ptr),
    };
    call_args.push(as_ptr(scheme));
    call_args.push(as_ptr(config));
    call_args.extend(rest.iter().copied());
    b.call_fn(helper, &call_args);
    if call.has_uses() {
        call.replace_all_uses_with(b.undef(call.ty()));
    }
    Ok(())
}

/// `v` as a value of type `want`: C's default promotions of variadic
/// arguments undone (double to float, int to a narrower integer).
fn convert(b: &Builder, v: Value, want: Type) -> Option<Value> {
    let ty = v.ty();
    if ty == want {
        Some(v)
    } else if ty.is_fp_like() && want.is_fp_like() {
        Some(b.fp_convert(v, want))
    } else if ty.is_integer() && want.is_integer() {
        Some(b.int_cast(v, want, true))
    } else {
        None
    }
}
