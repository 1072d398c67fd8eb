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
//! A fixed point with one `enzyme_fp_state` becomes a
//! `ferment.fixed_point.*` function that stays a call, whose forward
//! derivative iterates the tangent of one step at the final state
//! ([`crate::forward::fixed_point`]). Otherwise the markers
//! (`enzyme_scheme`, `enzyme_checkpoint_region`, `enzyme_fp_*`) choose how
//! Enzyme stores or iterates the loop's adjoint; ferment differentiates the
//! loop itself, every step taped once, which
//! gives the derivative of the program as written (the gradient Enzyme's
//! schedules must reproduce). With one of the header's reference schemes,
//! the caller's `EnzymeCkptStats` says so: every step taped, no snapshot.

use super::request::{marker_name, DerivativeKey};
use crate::error::{Error, Result};
use ferment_ir::{Builder, IntPredicate, Module, Opcode, Type, Value};

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
                    // C++: an `invoke` (the loop may throw) becomes a
                    // branch to its normal destination.
                    super::lower::finish_replacement(&Builder::new(module), call);
                    // Markers first, then erased: one load may feed several
                    // arguments (two `enzyme_checkpoint_region` at -O1+, two
                    // `enzyme_fp_state` at -O2).
                    let markers: Vec<Value> = args
                        .into_iter()
                        .filter(|a| marker_name(*a).is_some())
                        .collect();
                    super::lower::erase_dead_marker_loads(markers.into_iter());
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
    let mut fp = FixedPointMarkers::default();
    let mut regions: Vec<(Value, Value)> = Vec::new();
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
        match m.as_str() {
            "enzyme_scheme" => {
                scheme = Some(args[pos]);
                config = Some(args[pos + 1]);
            }
            "enzyme_fp_state" => fp.states.push((args[pos], args[pos + 1])),
            "enzyme_checkpoint_region" => regions.push((args[pos], args[pos + 1])),
            "enzyme_fp_reduction" => fp.reduction = Some(args[pos]),
            "enzyme_fp_max_iters" => fp.max_iters = Some(args[pos]),
            "enzyme_fp_control" => fp.control = Some(args[pos]),
            _ => {}
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
    if kind == Construct::CheckpointFor && !regions.is_empty() {
        let (start, n) = bounds.expect("checkpoint_for has bounds");
        return lower_checkpointed(
            module,
            call,
            step,
            (start, n),
            (scheme, config),
            &regions,
            rest,
        );
    }
    let ctx = module.context();
    let i64t = Type::int(ctx, 64);
    let ptr = Type::ptr(ctx);
    let f64t = Type::f64(ctx);
    // A fixed point with one listed state: forward mode iterates the
    // tangent of one step at the converged state (see
    // [`crate::forward::fixed_point`]), which needs the markers' values.
    let fixed = kind == Construct::FixedPoint && fp.states.len() == 1;
    let controls = fp.reduction.is_some() || fp.max_iters.is_some() || fp.control.is_some();
    if kind == Construct::FixedPoint && !fixed && controls {
        let msg = format!(
            "{name} with {} enzyme_fp_state markers: ferment differentiates the loop through every iteration it ran, in both modes; its enzyme_fp_reduction, enzyme_fp_max_iters and enzyme_fp_control are not used for the derivative",
            fp.states.len()
        );
        let e = Error::at(call, msg)
            .hint("list exactly one enzyme_fp_state (the whole state, one buffer) for forward mode's fixed-point tangent iteration");
        crate::shim::report_warning(module, &e.to_string());
    }
    // The loop function: (start, n)? (scheme, config) (state, bytes,
    // reduction, max_iters, control)? args...
    let mut ptys = Vec::new();
    if bounds.is_some() {
        ptys.extend([i64t, i64t]);
    }
    ptys.extend([ptr, ptr]);
    if fixed {
        ptys.extend([ptr, i64t, f64t, i64t, ptr]);
    }
    ptys.extend(rest.iter().map(|a| a.ty()));
    let name = if fixed {
        let elem = if state_is_float(step, fp.states[0].0, rest) {
            "f32"
        } else {
            "f64"
        };
        format!("{FIXED_POINT_PREFIX}{elem}.{}", step.name())
    } else {
        format!("ferment.loop.{}", step.name())
    };
    let helper = module.add_function(&name, Type::function(Type::void(ctx), &ptys, false));
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
    let first_arg = k + 2 + if fixed { 5 } else { 0 };
    for (a, (p, want)) in hp[first_arg..].iter().zip(rest.iter().zip(&params[1..])) {
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
    if fixed {
        // Fortran passes the values by reference.
        let by_value = |v: Option<Value>, ty: Type, default: Value| match v {
            Some(v) if v.ty().is_pointer() => b.load(ty, v),
            Some(v) if ty == f64t => b.fp_convert(v, f64t),
            Some(v) if v.ty().is_integer() => b.int_cast(v, ty, true),
            _ => default,
        };
        let (state, bytes) = fp.states[0];
        call_args.push(state);
        call_args.push(by_value(Some(bytes), i64t, b.const_int(i64t, 0)));
        call_args.push(by_value(fp.reduction, f64t, b.const_real(f64t, -1.0)));
        call_args.push(by_value(fp.max_iters, i64t, b.const_int(i64t, -1)));
        call_args.push(as_ptr(fp.control));
    }
    call_args.extend(rest.iter().copied());
    b.call_fn(helper, &call_args);
    if call.has_uses() {
        call.replace_all_uses_with(b.undef(call.ty()));
    }
    Ok(())
}

/// Name prefix of the loop function of a fixed point with one listed
/// state, then `f32.` or `f64.` (the state's element type), then the step's
/// name. Its parameters: scheme, config, state, state bytes, reduction
/// (negative: the default), max_iters (negative: the default), control
/// (null: none), then the step's arguments.
pub const FIXED_POINT_PREFIX: &str = "ferment.fixed_point.";

/// Reverse mode iterates the adjoint of a fixed-point loop's step at its
/// final state ([`crate::reverse::fixed_point`]); where that does not apply
/// (batched lanes, a context of shadows) the loop function `key.function`
/// is differentiated through every iteration it ran (the derivative of the
/// computed iterations, which tends to the fixed point's derivative as the
/// primal converges), so the tolerance, the iteration limit and the control
/// function have no effect there. A warning at the loop says so, once per
/// loop in `warned`.
pub fn warn_fixed_point_in_reverse(module: Module, key: &DerivativeKey, warned: &mut Vec<Value>) {
    let helper = key.function;
    let name = helper.name();
    if !name.starts_with(FIXED_POINT_PREFIX)
        || !key.activities.get(2).is_some_and(|a| a.has_shadow())
        || warned.contains(&helper)
    {
        return;
    }
    warned.push(helper);
    let Some(inst) = helper.users().into_iter().find(|u| u.is_call()) else {
        return;
    };
    let step = name.rsplit_once('.').map_or(name.as_str(), |(_, s)| s);
    let given = fixed_point_controls(inst);
    let why = if key.width > 1 {
        "with enzyme_width (batched lanes)"
    } else {
        "in this derivative (a context of shadows, or split forward mode)"
    };
    let msg = format!(
        "__enzyme_fixed_point of '{step}' in a reverse-mode derivative {why}: ferment differentiates the loop through every iteration it ran (the derivative of the computed iterations); it does not iterate the adjoint of the converged step, so {given} not used for the adjoint"
    );
    let e = Error::at(inst, msg).hint(
        "without enzyme_width, reverse mode iterates the adjoint at the fixed point with these controls; otherwise converge the primal tightly so that the two agree",
    );
    crate::shim::report_warning(module, &e.to_string());
}

/// Which of the tolerance, iteration limit and control function a
/// `ferment.fixed_point.*` call was given, for the warning's text.
fn fixed_point_controls(call: Value) -> String {
    // scheme, config, state, bytes, reduction, max_iters, control, args...
    let given = |i: usize, default: &dyn Fn(Value) -> bool| {
        i < call.num_operands() && !default(call.operand(i))
    };
    let mut parts = Vec::new();
    if given(4, &|v| v.const_float().is_some_and(|r| r < 0.0)) {
        parts.push("its tolerance (enzyme_fp_reduction)");
    }
    if given(5, &|v| v.const_int().is_some_and(|n| n < 0)) {
        parts.push("its iteration limit (enzyme_fp_max_iters)");
    }
    if given(6, &|v| v.is_null_constant()) {
        parts.push("its control function (enzyme_fp_control)");
    }
    match parts.len() {
        0 => "the default tolerance and iteration limit are".to_string(),
        1 => format!("{} is", parts[0]),
        _ => format!("{} are", parts.join(" and ")),
    }
}

/// The values given with the `enzyme_fp_*` markers.
#[derive(Default)]
struct FixedPointMarkers {
    /// (pointer, bytes) of each `enzyme_fp_state`.
    states: Vec<(Value, Value)>,
    reduction: Option<Value>,
    max_iters: Option<Value>,
    control: Option<Value>,
}

/// Whether the step reads or writes the state as `float` (else `double`):
/// the state passed as one of the step's arguments, accessed through that
/// parameter with a float type.
fn state_is_float(step: Value, state: Value, rest: &[Value]) -> bool {
    // The memory itself, where its type says (at -O0 the state and the
    // step's argument are two computations of the same address, and the
    // step reads its parameter back from a stack slot).
    let float = Type::f32(step.global_parent().context());
    fn first_leaf(ty: Type) -> Type {
        if ty.is_array() || ty.is_vector() {
            first_leaf(ty.element_type())
        } else if ty.is_struct() {
            ty.struct_fields().first().map_or(ty, |t| first_leaf(*t))
        } else {
            ty
        }
    }
    let objects = ferment_activity_analysis::underlying_objects(state);
    let typed: Vec<Type> = objects
        .iter()
        .filter_map(|o| {
            if o.is_instruction() && o.opcode() == Opcode::LLVMAlloca {
                Some(o.allocated_type())
            } else if o.is_global() && !o.is_function() {
                Some(o.global_value_type())
            } else {
                None
            }
        })
        .collect();
    if !typed.is_empty() && typed.len() == objects.len() {
        let leaves: Vec<Type> = typed.into_iter().map(first_leaf).collect();
        if leaves.iter().all(|t| t.is_float()) {
            return leaves.iter().all(|t| *t == float);
        }
    }
    let Some(j) = rest.iter().position(|a| *a == state) else {
        return false;
    };
    let Some(&param) = step.params().get(j + 1) else {
        return false;
    };
    step.instructions().into_iter().any(|i| {
        let (ty, p) = match i.opcode() {
            Opcode::LLVMLoad => (i.ty(), i.operand(0)),
            Opcode::LLVMStore => (i.operand(0).ty(), i.operand(1)),
            _ => return false,
        };
        ty == float && ferment_activity_analysis::underlying_objects(p).contains(&param)
    })
}

/// `v` as a value of type `want`: C's default promotions of variadic
/// arguments undone (double to float, int to a narrower integer).
pub(crate) fn convert(b: &Builder, v: Value, want: Type) -> Option<Value> {
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

/// Name prefix of the loop function of an `__enzyme_checkpoint_for` with
/// checkpoint regions: `(start, n, scheme, config, (region, bytes)...,
/// args...)`. It runs the steps through its segment function (string
/// attribute [`CHECKPOINT_SEGMENT`]); reverse mode keeps it a call and
/// differentiates it with snapshots of the regions
/// ([`crate::reverse::checkpoint`]), forward mode inlines it.
pub const CHECKPOINT_PREFIX: &str = "ferment.checkpoint.";
/// String attributes of a checkpointed loop function: its segment function
/// `(first, count, args...)`, which runs `count` steps from `first`; per
/// region, `g` where it is a global's memory (which the steps may write
/// directly), else `m`; per step argument, `r` where it points only into
/// the regions' objects, else `-`.
pub const CHECKPOINT_SEGMENT: &str = "ferment-checkpoint-segment";
pub const CHECKPOINT_REGIONS: &str = "ferment-checkpoint-regions";
pub const CHECKPOINT_COVERED: &str = "ferment-checkpoint-covered";
/// String attribute of a checkpointed loop function: per region, `j:m:e`
/// when step argument `j` is the region's own pointer, no other step
/// argument may point into the region, and the region holds `e`-byte
/// elements, as many as step argument `m` (an integer) says (`bytes = e *
/// m`; `#c` for `m`: a constant count); `-` otherwise. Such a region is what the segment reaches through
/// argument `j` alone, at indices `0 .. m` ([`region_extents`]).
pub const CHECKPOINT_EXTENTS: &str = "ferment-checkpoint-extents";

/// Objects (globals) that `f` or a function it calls writes, directly or
/// through a copy or fill; `seen` guards recursion.
fn written_globals(f: Value, seen: &mut Vec<Value>, out: &mut Vec<(Value, Value)>) {
    accessed_globals(f, false, seen, out)
}

/// Objects (globals) that `f` or a function it calls writes (`reads`:
/// reads), directly or through a copy or fill; `seen` guards recursion.
fn accessed_globals(f: Value, reads: bool, seen: &mut Vec<Value>, out: &mut Vec<(Value, Value)>) {
    if seen.contains(&f) || f.is_declaration() {
        return;
    }
    seen.push(f);
    for i in f.instructions() {
        let at = match i.opcode() {
            Opcode::LLVMStore if !reads => Some(i.operand(1)),
            Opcode::LLVMLoad if reads => Some(i.operand(0)),
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                let callee = i.called_function();
                let name = callee.map(|c| c.name()).unwrap_or_default();
                if let Some(c) = callee.filter(|c| !c.is_declaration()) {
                    accessed_globals(c, reads, seen, out);
                }
                if reads {
                    ferment_activity_analysis::is_memcpy_like(&name).then(|| i.operand(1))
                } else {
                    (ferment_activity_analysis::is_memcpy_like(&name)
                        || ferment_activity_analysis::is_memset_like(&name))
                    .then(|| i.operand(0))
                }
            }
            _ => None,
        };
        if let Some(d) = at {
            for o in ferment_activity_analysis::underlying_objects(d) {
                if o.is_global() && !out.iter().any(|(g, _)| *g == o) {
                    out.push((o, i));
                }
            }
        }
    }
}

/// Whether the user `u` of the local variable `slot` only reads it or
/// stores into it: a load, a store to it, or (at -O0, where a variable
/// that an OpenMP region captures keeps its stack slot) a fork that passes
/// its address to a region that only loads from it ([`region_only_loads`]).
fn read_or_stored(u: Value, slot: Value) -> bool {
    if !u.is_instruction() {
        return false;
    }
    match u.opcode() {
        Opcode::LLVMLoad => true,
        Opcode::LLVMStore => u.operand(1) == slot && u.operand(0) != slot,
        _ if crate::openmp::is_runtime_fork(u) => {
            // __kmpc_fork_call(ident, argc, region, captured...): the
            // region's parameters are (gtid, btid, captured...)
            let args = u.call_args();
            let Some(region) = args
                .get(2)
                .copied()
                .filter(|r| r.is_function() && !r.is_declaration())
            else {
                return false;
            };
            let params = region.params();
            args.iter().enumerate().all(|(i, a)| {
                *a != slot || (i >= 3 && params.get(i - 1).is_some_and(|p| region_only_loads(*p)))
            })
        }
        _ => false,
    }
}

/// Whether the region's parameter `p` (the address of a captured variable)
/// is only loaded from: every use loads through it, or (-O0) spills it to a
/// local variable stored once whose loads are used the same way, or passes
/// it to a defined function whose parameter is used the same way. Nothing in
/// the region then writes the variable.
fn region_only_loads(p: Value) -> bool {
    let mut work = vec![p];
    let mut seen = hashbrown::HashSet::new();
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            if !u.is_instruction() {
                return false;
            }
            match u.opcode() {
                Opcode::LLVMLoad if u.operand(0) == v && !u.is_volatile_or_atomic() => {}
                Opcode::LLVMStore if u.operand(0) == v && u.operand(1) != v => {
                    let spill = u.operand(1);
                    let users = spill.users();
                    let local = spill.is_instruction()
                        && spill.opcode() == Opcode::LLVMAlloca
                        && users.iter().all(|w| {
                            *w == u || (w.opcode() == Opcode::LLVMLoad && w.operand(0) == spill)
                        });
                    if !local {
                        return false;
                    }
                    work.extend(users.into_iter().filter(|w| *w != u));
                }
                // clang -g's outlined region calls `<region>_debug__` with
                // its parameters: the callee's parameter is checked alike
                Opcode::LLVMCall => {
                    let Some(f) = u
                        .called_function()
                        .filter(|f| !f.is_declaration() && !f.global_value_type().fn_is_vararg())
                    else {
                        return false;
                    };
                    let params = f.params();
                    for (k, a) in u.call_args().into_iter().enumerate() {
                        if a == v {
                            match params.get(k) {
                                Some(q) => work.push(*q),
                                None => return false,
                            }
                        }
                    }
                }
                _ => return false,
            }
        }
    }
    true
}

/// Whether the underlying objects `a` and `b` are the same: the same value,
/// or (at -O0) two loads of one local variable that is stored only once, or
/// two calls of one pure accessor with the same arguments.
fn same_object(a: Value, b: Value) -> bool {
    if a == b {
        return true;
    }
    // Two calls of one accessor with the same arguments (`u.data()` at
    // -O0).
    if a.is_call() && b.is_call() {
        let (fa, fb) = (a.called_function(), b.called_function());
        return fa.is_some()
            && fa == fb
            && a.call_args() == b.call_args()
            && fa.is_some_and(|f| pure_accessor(f, 0));
    }
    let is_load = |v: Value| v.is_instruction() && v.opcode() == Opcode::LLVMLoad;
    if !is_load(a) || !is_load(b) || a.ty() != b.ty() || a.operand(0) != b.operand(0) {
        return false;
    }
    let slot = a.operand(0);
    slot.is_instruction()
        && slot.opcode() == Opcode::LLVMAlloca
        && slot.users().iter().all(|u| read_or_stored(*u, slot))
        && slot
            .users()
            .iter()
            .filter(|u| u.opcode() == Opcode::LLVMStore)
            .count()
            == 1
}

/// A defined function that writes only its own locals and calls only such
/// functions (a C++ accessor at -O0).
fn pure_accessor(f: Value, depth: u32) -> bool {
    depth < 4
        && !f.is_declaration()
        && f.instructions().into_iter().all(|i| match i.opcode() {
            Opcode::LLVMCall | Opcode::LLVMInvoke => i
                .called_function()
                .is_some_and(|c| c.name().starts_with("llvm.dbg") || pure_accessor(c, depth + 1)),
            Opcode::LLVMStore => {
                let dest = i.operand(1);
                dest.is_instruction() && dest.opcode() == Opcode::LLVMAlloca
            }
            Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => false,
            _ => true,
        })
}

/// `v` itself, or the value stored in the local variable `v` is loaded
/// from when that variable is stored exactly once (-O0).
fn stored_value(mut v: Value) -> Value {
    for _ in 0..4 {
        if !v.is_instruction() || v.opcode() != Opcode::LLVMLoad {
            break;
        }
        let slot = v.operand(0);
        if !slot.is_instruction() || slot.opcode() != Opcode::LLVMAlloca {
            break;
        }
        let users = slot.users();
        let stores: Vec<Value> = users
            .iter()
            .copied()
            .filter(|u| u.opcode() == Opcode::LLVMStore)
            .collect();
        let only_loads_and_one_store = users.iter().all(|u| read_or_stored(*u, slot));
        match stores.as_slice() {
            [s] if only_loads_and_one_store && s.operand(0).ty() == v.ty() => v = s.operand(0),
            _ => break,
        }
    }
    v
}

/// Whether the values `a` and `b` are the same at the call (see
/// [`same_object`], which this applies to the values themselves).
fn same_value(a: Value, b: Value) -> bool {
    let (a, b) = (stored_value(a), stored_value(b));
    if a == b || same_object(a, b) {
        return true;
    }
    // two equal constant offsets from the same pointer (an array's decay
    // to its first element, once per use at -O0)
    let gep = |v: Value| v.is_instruction() && v.opcode() == Opcode::LLVMGetElementPtr;
    gep(a)
        && gep(b)
        && a.gep_source_element_type() == b.gep_source_element_type()
        && a.num_operands() == b.num_operands()
        && same_value(a.operand(0), b.operand(0))
        && (1..a.num_operands()).all(|i| {
            let (x, y) = (a.operand(i), b.operand(i));
            x.const_int().is_some() && x.const_int() == y.const_int() && x.ty() == y.ty()
        })
}

/// `v` without sign or zero extensions (a count converted to `size_t`).
fn without_extensions(mut v: Value) -> Value {
    loop {
        v = stored_value(v);
        if v.is_instruction() && matches!(v.opcode(), Opcode::LLVMSExt | Opcode::LLVMZExt) {
            v = v.operand(0);
        } else {
            return v;
        }
    }
}

/// The value of [`CHECKPOINT_EXTENTS`] (memory regions only: a global
/// region is written by the steps directly).
fn region_extents(
    regions: &[(Value, Value)],
    kinds: &str,
    rest: &[Value],
    covered: &str,
) -> String {
    use ferment_activity_analysis::underlying_objects;
    let covered: Vec<bool> = covered.chars().map(|c| c == 'r').collect();
    let exact = |j: usize, k: usize| rest[j].ty().is_pointer() && same_value(rest[j], regions[k].0);
    let extent = |k: usize| -> Option<String> {
        let (p, bytes) = regions[k];
        if kinds.as_bytes().get(k) != Some(&b'm') {
            return None;
        }
        // one region at that address, one argument that is its pointer
        if (0..regions.len()).any(|o| o != k && same_value(regions[o].0, p)) {
            return None;
        }
        let mine: Vec<usize> = (0..rest.len()).filter(|&j| exact(j, k)).collect();
        let [j] = mine.as_slice() else {
            return None;
        };
        // every other argument into the regions is another region's
        // pointer or points into other objects
        let objects = underlying_objects(p);
        let apart = (0..rest.len())
            .filter(|&o| o != *j && covered.get(o) == Some(&true))
            .all(|o| {
                (0..regions.len()).any(|r| r != k && exact(o, r))
                    || underlying_objects(rest[o])
                        .iter()
                        .all(|x| !objects.iter().any(|y| same_object(*x, *y)))
            });
        if !apart {
            return None;
        }
        // bytes = e * m, an element size times an integer argument, or a
        // constant (`#c` elements of the largest size up to 8 dividing it)
        let bytes = without_extensions(bytes);
        if let Some(c) = bytes.const_int() {
            let elem = [8i64, 4, 2, 1].into_iter().find(|e| c % e == 0)?;
            return (c > 0).then(|| format!("{j}:#{}:{elem}", c / elem));
        }
        if !bytes.is_instruction() {
            return None;
        }
        let (x, c) = (bytes.operand(0), bytes.operand(1));
        let (count, elem) = match bytes.opcode() {
            Opcode::LLVMMul => match (x.const_int(), c.const_int()) {
                (_, Some(e)) => (x, e),
                (Some(e), _) => (c, e),
                _ => return None,
            },
            Opcode::LLVMShl => match c.const_int() {
                Some(s) if (0..16).contains(&s) => (x, 1i64 << s),
                _ => return None,
            },
            _ => return None,
        };
        if elem <= 0 {
            return None;
        }
        let count = without_extensions(count);
        let m = (0..rest.len()).find(|&m| {
            rest[m].ty().is_integer() && {
                let a = without_extensions(rest[m]);
                a == count || same_value(a, count)
            }
        })?;
        Some(format!("{j}:{m}:{elem}"))
    };
    (0..regions.len())
        .map(|k| extent(k).unwrap_or_else(|| "-".to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Lowers `__enzyme_checkpoint_for` with checkpoint regions (see
/// [`CHECKPOINT_PREFIX`]).
fn lower_checkpointed(
    module: Module,
    call: Value,
    step: Value,
    (start, n): (Value, Value),
    (scheme, config): (Option<Value>, Option<Value>),
    regions: &[(Value, Value)],
    rest: &[Value],
) -> Result<()> {
    use ferment_activity_analysis::underlying_objects;
    let name = "__enzyme_checkpoint_for";
    let mut region_objects = Vec::new();
    for (p, bytes) in regions {
        if !p.ty().is_pointer() || !bytes.ty().is_integer() {
            return Err(Error::at(
                call,
                format!("{name}: enzyme_checkpoint_region must be followed by a pointer and a byte count"),
            ));
        }
        region_objects.extend(underlying_objects(*p));
    }
    // Globals the steps write are part of the loop's state, and globals
    // they only read are constant during the loop but the caller may change
    // them before the reverse sweep recomputes the steps: both are saved
    // with the state like regions (usually a few scalars or small arrays).
    let mut regions = regions.to_vec();
    let mut written = Vec::new();
    written_globals(step, &mut Vec::new(), &mut written);
    let mut read = Vec::new();
    accessed_globals(step, true, &mut Vec::new(), &mut read);
    let i64t = Type::int(module.context(), 64);
    let accessed = written
        .into_iter()
        .map(|(g, at)| (g, Some(at)))
        .chain(read.into_iter().map(|(g, _)| (g, None)));
    for (g, written_at) in accessed {
        if region_objects.iter().any(|r| same_object(g, *r)) {
            continue;
        }
        // (an external global of an opaque struct type has no size here)
        let sized = g.global_initializer().is_some() || !g.global_value_type().is_struct();
        if let (Some(at), false) = (written_at, sized) {
            return Err(Error::at(
                call,
                format!(
                    "{name}: the step writes the global '{}' (at {}), whose size is unknown here, so it cannot be saved with the loop's state: the reverse sweep could not restore it before recomputing a step",
                    g.name(),
                    at.short()
                ),
            )
            .hint(format!(
                "add `enzyme_checkpoint_region, &{0}, sizeof {0}` to the call",
                g.name()
            )));
        }
        let mutable = ferment_activity_analysis::allocation_kind(g)
            == Some(ferment_activity_analysis::AllocKind::Global);
        if (mutable || written_at.is_some()) && sized {
            let bytes = module.alloc_size(g.global_value_type());
            regions.push((g, Builder::new(module).const_int(i64t, bytes as i64)));
            region_objects.push(g);
        }
    }
    let regions = regions.as_slice();
    let covered: String = rest
        .iter()
        .map(|a| {
            let objs = underlying_objects(*a);
            let inside = a.ty().is_pointer()
                && !objs.is_empty()
                && objs
                    .iter()
                    .all(|o| region_objects.iter().any(|r| same_object(*o, *r)));
            if inside {
                'r'
            } else {
                '-'
            }
        })
        .collect();
    let ctx = module.context();
    let i64t = Type::int(ctx, 64);
    let ptr = Type::ptr(ctx);
    let params = step.global_value_type().fn_params();
    let b = Builder::new(module);
    // The segment: for (i = first; i < first + count; i++) step(i, args...).
    let mut seg_tys = vec![i64t, i64t];
    seg_tys.extend(rest.iter().map(|a| a.ty()));
    let seg = module.add_function(
        &format!("ferment.checkpoint_seg.{}", step.name()),
        Type::function(Type::void(ctx), &seg_tys, false),
    );
    seg.set_internal();
    let sp = seg.params();
    let entry = seg.append_block("entry");
    let header = seg.append_block("step");
    let exit = seg.append_block("exit");
    b.at_end(entry);
    let end = b.add_int(sp[0], sp[1]);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, sp[0], end), header, exit);
    b.at_end(header);
    let i = b.phi(i64t, "i");
    i.add_incoming(sp[0], entry);
    let mut step_args = vec![b.int_cast(i, params[0], true)];
    for (a, (p, want)) in sp[2..].iter().zip(rest.iter().zip(&params[1..])) {
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
    b.call_fn(step, &step_args);
    let next = b.add_int(i, b.const_int(i64t, 1));
    i.add_incoming(next, header);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, next, end), header, exit);
    b.at_end(exit);
    b.ret_void();
    // The loop function: the segment of all steps.
    let mut tys = vec![i64t, i64t, ptr, ptr];
    for _ in regions {
        tys.extend([ptr, i64t]);
    }
    tys.extend(rest.iter().map(|a| a.ty()));
    let helper = module.add_function(
        &format!("{CHECKPOINT_PREFIX}{}", step.name()),
        Type::function(Type::void(ctx), &tys, false),
    );
    helper.set_internal();
    helper.add_string_attribute(CHECKPOINT_SEGMENT, &seg.name());
    let kinds: String = regions
        .iter()
        .map(|(p, _)| {
            if underlying_objects(*p).iter().all(|o| o.is_global()) {
                'g'
            } else {
                'm'
            }
        })
        .collect();
    helper.add_string_attribute(CHECKPOINT_REGIONS, &kinds);
    helper.add_string_attribute(CHECKPOINT_COVERED, &covered);
    helper.add_string_attribute(
        CHECKPOINT_EXTENTS,
        &region_extents(regions, &kinds, rest, &covered),
    );
    let hp = helper.params();
    b.at_end(helper.append_block("entry"));
    let mut seg_args = vec![hp[0], hp[1]];
    seg_args.extend(hp[4 + 2 * regions.len()..].iter().copied());
    b.call_fn(seg, &seg_args);
    b.ret_void();
    // The call.
    b.before(call);
    b.set_debug_loc_from(call);
    let as_ptr = |v: Option<Value>| match v {
        Some(v) if v.ty().is_pointer() => v,
        _ => b.zero(ptr),
    };
    let mut call_args = vec![
        b.int_cast(start, i64t, true),
        b.int_cast(n, i64t, true),
        as_ptr(scheme),
        as_ptr(config),
    ];
    for (p, bytes) in regions {
        call_args.push(*p);
        call_args.push(b.int_cast(*bytes, i64t, false));
    }
    call_args.extend(rest.iter().copied());
    b.call_fn(helper, &call_args);
    if call.has_uses() {
        call.replace_all_uses_with(b.undef(call.ty()));
    }
    Ok(())
}
