//! Batched mode (`enzyme_width N`, N > 1). Two ways to compute it, chosen
//! by [`lower`]:
//!
//! - **Vector**: one derivative function of width N. Forward mode
//!   (`forward/`) runs the primal once and carries N tangent lanes; reverse
//!   mode (`reverse/`) runs the forward sweep once (primal and tape) and
//!   one reverse sweep carrying N adjoint lanes. Memory shadows are N
//!   separate buffers. Calls that stay calls get width-N derivatives too.
//! - **Lane by lane** (a function with a custom derivative, and requests
//!   the vector generators do not cover yet, see [`Error::not_batched`]:
//!   MPI, OpenMP, GPU targets, non-inlined calls returning active
//!   pointers, callees whose custom augmented function may not run once
//!   per lane): the scalar
//!   derivative runs once per lane with that lane's shadows: N times the
//!   cost of one derivative, right only for functions whose repeated
//!   execution has the effect of one, which [`check_repeatable`] checks.

use super::lower::{
    call_derivative, convert, finish_replacement, fit_results, flatten_lanes, lower_call,
    remove_dead_markers, unit_seeds,
};
use super::request::{ArgSpec, Mode, Part, Request};
use crate::derive::{Ctx, Derivative};
use crate::error::{Error, Result};
use ferment_ir::{Builder, Module, Opcode, Value};

/// Lowers a batched request: by the vector derivative where the forward
/// generator covers the function, else lane by lane (whose errors are the
/// ones reported). `FERMENT_TRACE_BATCH` set in the environment prints the
/// choice and, for a fallback, what the vector generator refused.
pub fn lower(ctx: &mut Ctx, req: &Request) -> Result<()> {
    let trace = std::env::var_os("FERMENT_TRACE_BATCH").is_some();
    let name = req.function.name();
    // What the vector generator said when it did not produce the derivative.
    let mut refused: Option<Error> = None;
    let custom_gradient = req.mode == Mode::Reverse && ctx.custom.has_gradient(req.function);
    if req.part != Part::Whole {
        // Split mode (`__enzyme_augmentfwd` / `__enzyme_reverse`): the
        // width-N pair, whose tape serves all lanes; no lane-by-lane
        // fallback (one tape per lane would not fit the user's one).
        if custom_gradient {
            return Err(Error::at(
                req.call,
                format!(
                    "batched split mode (enzyme_width {}) of '{name}', which has a custom gradient, is not supported yet",
                    req.width
                ),
            )
            .hint("call __enzyme_augmentfwd/__enzyme_reverse once per lane"));
        }
        let key = crate::frontend::request::DerivativeKey {
            width: req.width,
            ..req.key()
        };
        let derivative = ctx.get(&key).map_err(|e| {
            let e = e.or_at(req.call);
            if e.not_batched {
                e.hint("batched split mode covers what one batched derivative covers; call __enzyme_augmentfwd/__enzyme_reverse once per lane")
            } else {
                e
            }
        })?;
        if trace {
            eprintln!(
                "ferment: batched '{name}' (width {}, split): vector",
                req.width
            );
        }
        return lower_call(ctx.module, req, derivative);
    }
    if req.part == Part::Whole && !custom_gradient {
        let key = crate::frontend::request::DerivativeKey {
            width: req.width,
            ..req.key()
        };
        match ctx.get(&key) {
            Ok(Derivative::Forward(f)) | Ok(Derivative::Combined(f)) => {
                if trace {
                    eprintln!("ferment: batched '{name}' (width {}): vector", req.width);
                }
                return lower_vector(ctx.module, req, f);
            }
            Ok(d @ Derivative::Split { .. }) => {
                // Reverse mode with the primal result: the width-N pair.
                if trace {
                    eprintln!("ferment: batched '{name}' (width {}): vector", req.width);
                }
                return lower_call(ctx.module, req, d);
            }
            Ok(_) => {
                if trace {
                    eprintln!("ferment: batched '{name}': lane by lane (custom derivative)");
                }
            }
            Err(e) => {
                if trace {
                    eprintln!("ferment: batched '{name}': lane by lane ({e})");
                }
                refused = Some(e);
            }
        }
    } else if trace {
        eprintln!("ferment: batched '{name}': lane by lane (custom derivative)");
    }
    lower_lane_by_lane(ctx, req).map_err(|lane_error| match refused {
        // An error of the program itself (not a construct batched mode
        // does not cover) says more than why the lanes could not be
        // computed one after the other.
        Some(e) if !e.not_batched => e.or_at(req.call),
        _ => lane_error,
    })
}

fn lower_lane_by_lane(ctx: &mut Ctx, req: &Request) -> Result<()> {
    if req.context.is_some() {
        // One scalar derivative per lane would read lane 0's global shadows.
        return Err(Error::not_batched(
            req.call,
            format!(
                "a context of width {} (enzyme_context) for a function that one batched derivative does not cover",
                req.width
            ),
        )
        .hint("use a context of width 1 and one call per lane"));
    }
    let copy = ctx.analysis_copy(req.function)?;
    let checked = check_repeatable(req, copy);
    copy.delete_function();
    checked?;
    let derivative = ctx.get(&req.key()).map_err(|e| e.or_at(req.call))?;
    lower_batched(ctx.module, req, derivative)
}

/// The shadow of `spec` in `lane`: the lane's own argument, or for
/// `enzyme_dupv` the first shadow advanced by `lane` strides.
pub(super) fn lane_shadow(b: &Builder, spec: &ArgSpec, first: Value, lane: u32) -> Value {
    match spec.lane_stride {
        Some(stride) => {
            let i64t = b.i64();
            let step = b.int_cast(stride, i64t, true);
            let off = b.mul_int(step, b.const_int(i64t, i64::from(lane)));
            b.gep(b.i8(), first, &[off])
        }
        None if lane == 0 => first,
        None => spec.lanes[lane as usize - 1],
    }
}

/// Lowers a batched request onto the width-N derivative `f`: forward,
/// `(primals, N tangents per duplicated parameter) -> {[primal], N
/// tangents}`; reverse, `(primals, N shadows per duplicated parameter) ->
/// {[N x T] per active argument}`, whose lanes the call gets one after the
/// other (argument after argument).
fn lower_vector(module: Module, req: &Request, f: Value) -> Result<()> {
    let call = req.call;
    let b = Builder::new(module);
    b.before(call);
    b.set_debug_loc_from(call);
    let fparams = req.function.global_value_type().fn_params();
    let name = req.function.name();
    let mut args = Vec::new();
    for (i, spec) in req.args.iter().enumerate() {
        let what = format!("parameter {} of '{name}'", i + 1);
        args.push(convert(&b, spec.primal, fparams[i], call, &what)?);
    }
    for (i, spec) in req.args.iter().enumerate() {
        let Some(first) = spec.shadow else {
            continue;
        };
        for lane in 0..req.width {
            let shadow = lane_shadow(&b, spec, first, lane);
            let what = format!("shadow {} of parameter {} of '{name}'", lane + 1, i + 1);
            args.push(convert(&b, shadow, fparams[i], call, &what)?);
        }
    }
    // Reverse mode, an active float return: each lane's seed is 1.0.
    args.extend(unit_seeds(&b, req, req.width));
    args.extend(super::lower::fwdsplit_tape(&b, req)?);
    if req.mode == Mode::Forward {
        crate::shadow::zero_shadow_globals(module, &b, f, req.level);
    }
    let mut outputs = call_derivative(&b, call, f, &args)?;
    super::lower::release_fwdsplit_tape(&b, req)?;
    if req.mode == Mode::Reverse {
        outputs = flatten_lanes(&b, outputs);
    }
    let replacement = fit_results(module, &b, req, &outputs)?;
    if let Some(r) = replacement {
        call.replace_all_uses_with(r);
    }
    finish_replacement(&b, call);
    remove_dead_markers(req);
    Ok(())
}

/// Lowers a batched request lane by lane: the derivative runs once per lane, each time with that lane's shadows, and the call gets
/// the lanes' results (forward mode: the primal result when asked for, then
/// the N tangents of the result). Running the function N times has the
/// effect of running it once only when it reads no memory outside itself
/// that it also writes; [`repeatable`] checks that first.
fn lower_batched(module: Module, req: &Request, derivative: Derivative) -> Result<()> {
    let call = req.call;
    let target = match (req.part, derivative) {
        (Part::Whole, Derivative::Forward(f)) | (Part::Whole, Derivative::Combined(f)) => f,
        _ => {
            return Err(Error::at(
                call,
                "batched mode (enzyme_width > 1) is supported for __enzyme_fwddiff and __enzyme_autodiff of functions without a registered custom derivative",
            )
            .hint("call the derivative once per direction"))
        }
    };
    let b = Builder::new(module);
    b.before(call);
    b.set_debug_loc_from(call);
    let fty = req.function.global_value_type();
    let fparams = fty.fn_params();
    let name = req.function.name();
    let mut primals = Vec::new();
    for (i, spec) in req.args.iter().enumerate() {
        let what = format!("parameter {} of '{name}'", i + 1);
        primals.push(convert(&b, spec.primal, fparams[i], call, &what)?);
    }
    let mut lanes: Vec<Vec<Value>> = Vec::new();
    for lane in 0..req.width {
        let mut args = primals.clone();
        for (i, spec) in req.args.iter().enumerate() {
            let Some(first) = spec.shadow else {
                continue;
            };
            let shadow = lane_shadow(&b, spec, first, lane);
            let what = format!("shadow {} of parameter {} of '{name}'", lane + 1, i + 1);
            args.push(convert(&b, shadow, fparams[i], call, &what)?);
        }
        // Reverse mode, an active float return: seeded with 1.0 in each
        // lane (the scalar derivative's one seed).
        args.extend(unit_seeds(&b, req, 1));
        args.extend(super::lower::fwdsplit_tape(&b, req)?);
        if req.mode == Mode::Forward {
            crate::shadow::zero_shadow_globals(module, &b, target, req.level);
        }
        lanes.push(call_derivative(&b, call, target, &args)?);
    }
    super::lower::release_fwdsplit_tape(&b, req)?;
    // Forward: {[primal], tangent} per lane -> [primal], tangent x N.
    // Reverse: {d_active_args} per lane -> each argument's N adjoints.
    let mut outputs = Vec::new();
    if matches!(derivative, Derivative::Forward(_)) {
        let per_lane = lanes[0].len();
        if req.return_primal && per_lane > 0 {
            outputs.push(lanes[0][0]);
        }
        let first_tangent = usize::from(req.return_primal);
        for lane in &lanes {
            outputs.extend(lane.iter().skip(first_tangent).copied());
        }
    } else {
        for k in 0..lanes[0].len() {
            outputs.extend(lanes.iter().map(|lane| lane[k]));
        }
    }
    let replacement = fit_results(module, &b, req, &outputs)?;
    if let Some(r) = replacement {
        call.replace_all_uses_with(r);
    }
    finish_replacement(&b, call);
    remove_dead_markers(req);
    Ok(())
}

/// Checks that the lanes of a batched request on `function` may be computed
/// one after the other; `canonical` is its canonical copy (inlined, in SSA
/// form), which the caller deletes afterwards.
fn check_repeatable(req: &Request, canonical: Value) -> Result<()> {
    repeatable(canonical).map_err(|at| {
        Error::at(
            at,
            format!(
                "batched mode (enzyme_width {}) of '{}': the function writes memory it also reads (or calls code that may), so its lanes cannot be computed one after the other",
                req.width,
                req.function.name()
            ),
        )
        .hint("call the derivative once per direction, or write the results to memory the function does not read")
    })
}

/// Whether running the primal function `f` several times in a row has the
/// effect of running it once: no memory outside it that it writes is also
/// read by it (then each run reads what the first read). Memory it
/// allocates does not count; memory reached through parameter `i` is class
/// `i`; memory reached otherwise (globals, loaded pointers) is one more
/// class; defined callees are followed with their arguments' classes; a
/// call of unknown code may read and write anything. `Err` holds an
/// instruction that breaks the rule.
pub(crate) fn repeatable(f: Value) -> std::result::Result<(), Value> {
    let mut acc = Accesses::default();
    let classes: Vec<Vec<Class>> = (0..f.params().len())
        .map(|i| vec![Class::Param(i)])
        .collect();
    acc.visit(f, &classes, 0)?;
    for &(w, at) in &acc.writes {
        if acc
            .reads
            .iter()
            .any(|&r| r == w || r == Class::Other || w == Class::Other)
        {
            return Err(at);
        }
    }
    Ok(())
}

#[derive(PartialEq, Clone, Copy, Debug)]
enum Class {
    Param(usize),
    Other,
}

#[derive(Default)]
struct Accesses {
    reads: Vec<Class>,
    writes: Vec<(Class, Value)>,
}

impl Accesses {
    /// Records the memory `f`'s instructions read and write, `params`
    /// giving the classes each parameter of `f` may point into.
    fn visit(
        &mut self,
        f: Value,
        params: &[Vec<Class>],
        depth: u32,
    ) -> std::result::Result<(), Value> {
        use ferment_activity_analysis::{allocation_kind, underlying_objects, AllocKind};
        let fparams = f.params();
        let classes = |p: Value| -> Vec<Class> {
            let mut out = Vec::new();
            for o in underlying_objects(p) {
                match allocation_kind(o) {
                    Some(AllocKind::Global) | None => {}
                    Some(_) => continue,
                }
                match fparams.iter().position(|q| *q == o) {
                    Some(i) => out.extend(params.get(i).cloned().unwrap_or(vec![Class::Other])),
                    None => out.push(Class::Other),
                }
            }
            out
        };
        for inst in f.instructions() {
            match inst.opcode() {
                Opcode::LLVMLoad => self.reads.extend(classes(inst.operand(0))),
                Opcode::LLVMStore => self
                    .writes
                    .extend(classes(inst.operand(1)).into_iter().map(|c| (c, inst))),
                Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => return Err(inst),
                Opcode::LLVMCall | Opcode::LLVMInvoke => {
                    let callee = inst.called_function();
                    let name = callee.map(|c| c.name()).unwrap_or_default();
                    let args = inst.call_args();
                    if crate::shadow::is_memcpy(&name) {
                        self.writes
                            .extend(classes(args[0]).into_iter().map(|c| (c, inst)));
                        self.reads.extend(classes(args[1]));
                    } else if crate::shadow::is_memset(&name) {
                        self.writes
                            .extend(classes(args[0]).into_iter().map(|c| (c, inst)));
                    } else if crate::shadow::is_free(&name)
                        || allocation_kind(inst).is_some()
                        || (name.starts_with("llvm.") && !name.starts_with("llvm.mem"))
                        || crate::annotations::is_type_hint(&name)
                        || crate::rules::call_rule(&name).is_some_and(|r| r.writes.is_empty())
                    {
                    } else if let Some(effects) = crate::rules::blas::known_effects(inst) {
                        // A BLAS or LAPACK routine touches only its array
                        // arguments (and reads the by-reference scalars).
                        for (a, e) in args.iter().zip(effects) {
                            if !a.ty().is_pointer() {
                                continue;
                            }
                            if e.writes() {
                                self.writes
                                    .extend(classes(*a).into_iter().map(|c| (c, inst)));
                            }
                            self.reads.extend(classes(*a));
                        }
                    } else if let Some(g) = callee.filter(|g| !g.is_declaration() && depth < 8) {
                        let arg_classes: Vec<Vec<Class>> = args
                            .iter()
                            .map(|a| {
                                if a.ty().is_pointer() {
                                    classes(*a)
                                } else {
                                    Vec::new()
                                }
                            })
                            .collect();
                        self.visit(g, &arg_classes, depth + 1).map_err(|_| inst)?;
                    } else {
                        return Err(inst);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
