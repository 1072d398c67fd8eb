//! Replaces an `__enzyme_*` call with a call of the generated derivative,
//! converting arguments to the parameter types (varargs promote `float` to
//! `double`) and the results to what the call's declaration returns: one
//! scalar, a struct of scalars, ABI-coerced forms such as `<2 x float>` (by
//! storing the natural C layout and reloading it as the call's type), or a
//! hidden `sret` pointer.

use super::request::{Part, Request};
use crate::derive::Derivative;
use crate::error::{Error, Result};
use ferment_ir::{Builder, Module, Opcode, Type, Value};

/// Converts `v` to `ty` where C's rules allow it.
pub(super) fn convert(b: &Builder, v: Value, ty: Type, call: Value, what: &str) -> Result<Value> {
    let from = v.ty();
    if from == ty {
        return Ok(v);
    }
    if from.is_fp_like() && ty.is_fp_like() && from.is_vector() == ty.is_vector() {
        return Ok(b.fp_convert(v, ty));
    }
    if from.is_integer() && ty.is_integer() {
        return Ok(b.int_cast(v, ty, true));
    }
    if from.is_pointer() && ty.is_integer() {
        return Ok(b.ptr_to_int(v, ty));
    }
    if from.is_integer() && ty.is_pointer() {
        return Ok(b.int_to_ptr(v, ty));
    }
    if from.is_pointer() && ty.is_pointer() {
        return Ok(v);
    }
    if from.is_integer() && ty.is_fp_like() {
        return Ok(b.sitofp(v, ty));
    }
    Err(Error::at(
        call,
        format!(
            "{what}: the call passes {} where {} is expected",
            from.describe(),
            ty.describe()
        ),
    )
    .hint("declare the __enzyme_* prototype with matching parameter types"))
}

/// Lowers `req.call` to a call of `derivative`.
pub fn lower_call(module: Module, req: &Request, derivative: Derivative) -> Result<()> {
    let call = req.call;
    let b = Builder::new(module);
    b.before(call);
    b.set_debug_loc_from(call);
    let fty = req.function.global_value_type();
    let fparams = fty.fn_params();
    let mut primals = Vec::new();
    let mut shadows = Vec::new();
    for (i, spec) in req.args.iter().enumerate() {
        let what = format!("parameter {} of '{}'", i + 1, req.function.name());
        primals.push(convert(&b, spec.primal, fparams[i], call, &what)?);
        if let Some(s) = spec.shadow {
            // Batched split mode: the lanes' shadows, one after the other.
            for lane in 0..req.width.max(1) {
                let s = super::batch::lane_shadow(&b, spec, s, lane);
                let what = format!("shadow of parameter {} of '{}'", i + 1, req.function.name());
                shadows.push(convert(&b, s, fparams[i], call, &what)?);
            }
        }
    }
    let mut ordered = primals.clone();
    ordered.extend(shadows.iter().copied());
    if let Some(n) = req.tape_allocated.and_then(|n| n.const_int()) {
        if (n as u64) < TAPE_BYTES {
            return Err(Error::at(
                call,
                format!("enzyme_allocated gives the tape {n} bytes, but it needs {TAPE_BYTES}"),
            )
            .hint(
                "allocate __enzyme_augmentsize(f, <the same activity markers>) bytes for the tape",
            ));
        }
    }
    // The primal result, where it comes from a call before the derivative's.
    let mut primal_first = None;
    // The outputs, where a user's rule gave them already.
    let mut direct = None;
    let (target, args, tape_only) = match (req.part, derivative) {
        (Part::Augmented, Derivative::CustomFwdSplit { aug, .. })
        | (Part::Augmented, Derivative::CustomSplit { aug, .. }) => {
            let all = interleaved(req, &primals, &shadows);
            check_rule_params(
                req,
                aug,
                all.len(),
                "augmented forward",
                "(its arguments, each duplicated pointer followed by its shadow)",
            )?;
            let t = b.call_fn(aug, &all);
            let ret_ty = fty.fn_return();
            let (tape, result, _) = crate::reverse::decode_custom_augmented(&b, t, ret_ty, call)?;
            let mut out = vec![tape.unwrap_or_else(|| b.zero(Type::ptr(module.context())))];
            out.extend(result);
            direct = Some(out);
            let tape_only = req.tape_memory.is_none() && call.ty().is_pointer();
            (aug, all, tape_only)
        }
        (Part::Reverse, Derivative::CustomSplit { rev, .. }) => {
            // The user's reverse function: interleaved arguments, the
            // return's adjoint, the tape (where it takes one); it returns
            // the adjoints of the active scalar arguments.
            let mut all = interleaved(req, &primals, &shadows);
            let mut trailing = req.trailing.clone();
            let tape = match req.tape_memory {
                Some(p) => b.load(Type::ptr(module.context()), p),
                None => trailing
                    .pop()
                    .ok_or_else(|| Error::at(call, "missing the tape argument"))?,
            };
            let ret_ty = fty.fn_return();
            if req.return_active && !ret_ty.is_pointer() {
                for d in return_adjoints(&b, req, &trailing, &req.trailing_byval, call)? {
                    all.push(convert(&b, d, ret_ty, call, "adjoint of the return value")?);
                }
            }
            let n_params = rev.global_value_type().fn_params().len();
            if n_params == all.len() + 1 {
                all.push(convert(
                    &b,
                    tape,
                    Type::ptr(module.context()),
                    call,
                    "tape",
                )?);
            }
            check_rule_params(req, rev, all.len(), "reverse", "(its arguments, each duplicated pointer followed by its shadow, the adjoint of an active result, then the tape)")?;
            let r = b.call_fn(rev, &all);
            let n_active = req
                .args
                .iter()
                .filter(|a| a.activity == super::request::Activity::Active)
                .count();
            let out: Vec<Value> = if r.ty().is_struct() {
                (0..r.ty().struct_fields().len() as u32)
                    .map(|i| b.extract_value(r, i))
                    .collect()
            } else if r.ty().is_void() {
                Vec::new()
            } else {
                vec![r]
            };
            if out.len() < n_active {
                return Err(Error::at(
                    call,
                    format!("the custom reverse function '{}' of '{}' returns {} adjoint(s); the call has {n_active} active argument(s)", rev.name(), req.function.name(), out.len()),
                ));
            }
            direct = Some(out.into_iter().take(n_active).collect());
            (rev, all, false)
        }
        (Part::Reverse, Derivative::CustomFwdSplit { .. }) => {
            return Err(Error::at(
                call,
                format!("__enzyme_reverse of '{}', which has a split forward rule (__enzyme_register_splitderivative) but no registered gradient: the tape of its augmented forward function belongs to the split forward function", req.function.name()),
            )
            .hint("register a gradient too (void* __enzyme_register_gradient_NAME[3] = { f, augmented_forward, reverse };), or use __enzyme_fwdsplit with the tape"));
        }
        (Part::Whole, Derivative::CustomFwdSplit { fwd, .. }) => {
            // Interleaved (each duplicated argument followed by its
            // tangent), then the tape of the user's augmented function.
            let mut all = interleaved(req, &primals, &shadows);
            let n_params = fwd.global_value_type().fn_params().len();
            let tape =
                fwdsplit_tape(&b, req)?.unwrap_or_else(|| b.zero(Type::ptr(module.context())));
            all.push(tape);
            check_rule_params(
                req,
                fwd,
                all.len(),
                "split forward",
                "(its arguments, each duplicated one followed by its tangent, then the tape)",
            )?;
            debug_assert_eq!(n_params, all.len());
            let ret_ty = fty.fn_return();
            let r = b.call_fn(fwd, &all);
            let rt = r.ty();
            let pair = rt.is_struct() && rt.struct_fields().len() == 2 && rt != ret_ty;
            let out = if pair {
                let mut o = Vec::new();
                if req.return_primal {
                    o.push(b.extract_value(r, 0));
                }
                if req.return_active {
                    o.push(b.extract_value(r, 1));
                }
                o
            } else if rt == ret_ty && !ret_ty.is_void() {
                if req.return_primal {
                    return Err(Error::at(
                        call,
                        format!("the split forward function '{}' of '{}' returns the tangent only, and the call asks for the primal too", fwd.name(), req.function.name()),
                    )
                    .hint("return a struct {primal, tangent} from the rule, or call the function for its primal"));
                }
                vec![r]
            } else if rt.is_void() && ret_ty.is_void() {
                Vec::new()
            } else {
                return Err(Error::at(
                    call,
                    format!(
                        "the split forward function '{}' of '{}' returns {}",
                        fwd.name(),
                        req.function.name(),
                        rt.describe()
                    ),
                )
                .hint("return the tangent of the result (or a struct {primal, tangent})"));
            };
            direct = Some(out);
            (fwd, all, false)
        }
        (Part::Whole, Derivative::Combined(f)) => {
            let mut args = ordered;
            args.extend(unit_seeds(&b, req, req.width));
            (f, args, false)
        }
        (Part::Whole, Derivative::Split { aug, rev }) => {
            // Reverse mode with the primal result: the augmented forward
            // sweep (with a heap frame, as for __enzyme_augmentfwd) gives the
            // tape and the primal, the reverse sweep (which frees the frame)
            // the derivatives; the call returns the primal first.
            let mut aug_args = ordered.clone();
            aug_args.push(b.zero(Type::ptr(module.context())));
            let forward = call_derivative(&b, call, aug, &aug_args)?;
            let mut args = ordered;
            args.extend(unit_seeds(&b, req, req.width));
            args.push(forward[0]);
            args.push(b.const_int(Type::int(module.context(), 1), 1));
            primal_first = Some(forward[1]);
            (rev, args, false)
        }
        (Part::Whole, Derivative::Forward(f)) => {
            let mut args = ordered;
            args.extend(fwdsplit_tape(&b, req)?);
            (f, args, false)
        }
        (Part::Whole, Derivative::CustomForward(_)) if req.log_loads => {
            return Err(Error::at(
                call,
                format!("__enzyme_fwdsplit of '{}', which has a custom forward derivative, is not supported: the rule would read the inputs again instead of the values the augmented forward pass read", req.function.name()),
            )
            .hint("use __enzyme_fwddiff"));
        }
        (Part::Whole, Derivative::CustomForward(f)) => {
            let mut args = Vec::new();
            let mut k = 0;
            for spec in &req.args {
                args.push(primals[args.len() - k]);
                if spec.shadow.is_some() {
                    args.push(shadows[k]);
                    k += 1;
                }
            }
            (f, args, false)
        }
        (Part::Augmented, Derivative::Split { aug, .. }) => {
            let tape_only = req.tape_memory.is_none() && call.ty().is_pointer();
            // No storage for the frame: the tape the user holds is a heap
            // frame, which the reverse function frees (Enzyme's convention).
            let mut args = ordered;
            args.push(b.zero(Type::ptr(module.context())));
            (aug, args, tape_only)
        }
        (Part::Reverse, Derivative::Split { rev, .. }) => {
            let mut args = ordered;
            let rparams = rev.global_value_type().fn_params();
            let mut trailing = req.trailing.clone();
            let tape = match req.tape_memory {
                Some(p) => b.load(Type::ptr(module.context()), p),
                None => trailing
                    .pop()
                    .ok_or_else(|| Error::at(call, "missing the tape argument"))?,
            };
            // (a returned pointer's adjoint is in its shadow's memory)
            let ret_ptr = req.function.global_value_type().fn_return().is_pointer();
            if req.return_active && !ret_ptr {
                for d in return_adjoints(&b, req, &trailing, &req.trailing_byval, call)? {
                    let t = rparams[args.len()];
                    args.push(convert(&b, d, t, call, "adjoint of the return value")?);
                }
            }
            args.push(convert(
                &b,
                tape,
                Type::ptr(module.context()),
                call,
                "tape",
            )?);
            args.push(b.const_int(Type::int(module.context(), 1), i64::from(!req.nofree)));
            (rev, args, false)
        }
        _ => {
            return Err(Error::at(
                call,
                "internal error: derivative kind does not match the request",
            ))
        }
    };
    if let Derivative::Forward(f) = derivative {
        crate::shadow::zero_shadow_globals(module, &b, f, req.level);
    }
    let mut outputs = match direct {
        Some(o) => o,
        None => {
            let o = call_derivative(&b, call, target, &args)?;
            release_fwdsplit_tape(&b, req)?;
            o
        }
    };
    if req.width > 1 && req.mode == super::request::Mode::Reverse && req.part != Part::Augmented {
        outputs = flatten_lanes(&b, outputs);
    }
    if let Some(p) = primal_first {
        outputs.insert(0, p);
    }
    if tape_only {
        outputs.truncate(1);
    }
    if let (Part::Augmented, Some(p)) = (req.part, req.tape_memory) {
        // `enzyme_tape p`: the tape goes to the caller's memory; the call
        // returns what follows it (the primal result, when asked for).
        let tape = outputs.remove(0);
        b.store(tape, p);
    }
    if req.part == Part::Augmented && req.function.global_value_type().fn_return().is_pointer() {
        fit_returned_shadow(module, req, &mut outputs)?;
    }
    if req.part == Part::Whole
        && crate::selfcheck::ENABLED.load(std::sync::atomic::Ordering::Relaxed)
    {
        crate::selfcheck::instrument(module, &b, req, &primals, &shadows, &outputs);
    }
    let replacement = fit_results(module, &b, req, &outputs)?;
    if let Some(r) = replacement {
        call.replace_all_uses_with(r);
    }
    finish_replacement(&b, call);
    remove_dead_markers(req);
    Ok(())
}

/// `__enzyme_augmentfwd` of a function returning a pointer gives `{tape,
/// primal, shadow}` (Enzyme's layout; `outputs` without the tape when it
/// went to `enzyme_tape` memory). A result declared without room for the
/// shadow gets the rest; one with room for it where the derivative has no
/// shadow (the pointer points into memory without one) is an error, never
/// an unset field.
fn fit_returned_shadow(module: Module, req: &Request, outputs: &mut Vec<Value>) -> Result<()> {
    let call = req.call;
    let declared = match req.sret {
        Some(_) => call
            .called_function()
            .and_then(|f| f.param_type_attribute(0, "sret"))
            .map(|t| module.alloc_size(t)),
        None if call.ty().is_void() => Some(0),
        None => Some(module.alloc_size(call.ty())),
    };
    let Some(declared) = declared else {
        return Ok(());
    };
    let size = |o: &[Value]| {
        let tys: Vec<Type> = o.iter().map(|v| v.ty()).collect();
        c_layout(module, &tys).1
    };
    if req.return_active && declared < size(outputs) && !outputs.is_empty() {
        outputs.pop();
    }
    if !req.return_active && declared > size(outputs) {
        return Err(Error::at(
            call,
            format!(
                "the result declared for __enzyme_augmentfwd has {declared} bytes, but the augmented forward pass of '{}' gives {} (the tape and the primal pointer): the pointer it returns has no shadow",
                req.function.name(),
                size(outputs)
            ),
        )
        .hint("declare the result as `struct { void *tape; T *primal; }`, or return a pointer into memory passed with enzyme_dup"));
    }
    Ok(())
}

/// The seeds of an active float return in combined reverse mode: 1.0 in
/// each of `lanes` lanes (Enzyme's convention, batched too).
pub(super) fn unit_seeds(b: &Builder, req: &Request, lanes: u32) -> Vec<Value> {
    let ret = req.function.global_value_type().fn_return();
    if req.mode != super::request::Mode::Reverse || !(req.return_active && ret.is_fp_value()) {
        return Vec::new();
    }
    let one = ones(b, ret);
    vec![one; lanes.max(1) as usize]
}

/// 1.0 in every float of `ty` (a float, a float vector, or a struct or
/// array of those).
fn ones(b: &Builder, ty: Type) -> Value {
    if ty.is_fp_like() {
        return b.const_real(ty, 1.0);
    }
    let fields: Vec<Type> = if ty.is_struct() {
        ty.struct_fields()
    } else {
        vec![ty.element_type(); ty.array_len() as usize]
    };
    fields
        .into_iter()
        .enumerate()
        .fold(b.zero(ty), |agg, (i, f)| {
            b.insert_value(agg, ones(b, f), i as u32)
        })
}

/// 1.0 in every float of `ty` and zero in everything else (integers and
/// pointers of a struct carry no derivative).
pub(super) fn ones_in_floats(b: &Builder, ty: Type) -> Value {
    if ty.is_fp_like() {
        return b.const_real(ty, 1.0);
    }
    let fields: Vec<Type> = if ty.is_struct() {
        ty.struct_fields()
    } else if ty.is_array() {
        vec![ty.element_type(); ty.array_len() as usize]
    } else {
        return b.zero(ty);
    };
    fields
        .into_iter()
        .enumerate()
        .fold(b.zero(ty), |agg, (i, f)| {
            b.insert_value(agg, ones_in_floats(b, f), i as u32)
        })
}

/// A user's rule's arguments (one lane): each value, followed by its
/// shadow where it has one.
fn interleaved(req: &Request, primals: &[Value], shadows: &[Value]) -> Vec<Value> {
    let mut all = Vec::new();
    let mut k = 0;
    for (spec, p) in req.args.iter().zip(primals) {
        all.push(*p);
        if spec.shadow.is_some() {
            all.push(shadows[k]);
            k += 1;
        }
    }
    all
}

/// A user's rule `f` (`what` function) must take the `want` arguments the
/// call gives it (`shape` says which).
fn check_rule_params(req: &Request, f: Value, want: usize, what: &str, shape: &str) -> Result<()> {
    let have = f.global_value_type().fn_params().len();
    if have == want {
        return Ok(());
    }
    Err(Error::at(
        req.call,
        format!(
            "the {what} function '{}' registered for '{}' takes {have} parameters; this call needs {want} {shape}",
            f.name(),
            req.function.name()
        ),
    ))
}

/// `__enzyme_reverse`: the adjoints of the return value among the trailing
/// arguments `seeds` (`byval`: each one's struct type where the C ABI passes
/// it in memory), one per lane. They are read as a sequence of float leaves
/// (a scalar is one; a struct, array or vector its fields in order, which is
/// also how the C ABI splits a small struct into scalars), regrouped into
/// one value of the return type per lane; the parser checked the count.
fn return_adjoints(
    b: &Builder,
    req: &Request,
    seeds: &[Value],
    byval: &[Option<Type>],
    call: Value,
) -> Result<Vec<Value>> {
    let ret = req.function.global_value_type().fn_return();
    let mut leaves = Vec::new();
    for (k, &v) in seeds.iter().enumerate() {
        let v = match byval.get(k).copied().flatten() {
            Some(t) if v.ty().is_pointer() => b.load(t, v),
            _ => v,
        };
        leaf_values(b, v, &mut leaves);
    }
    let mut it = leaves.into_iter();
    (0..req.width.max(1))
        .map(|_| build_from_leaves(b, ret, &mut it, call))
        .collect()
}

/// The float leaves of `v` (itself, a vector's elements, an aggregate's
/// fields), appended to `out` in memory order.
fn leaf_values(b: &Builder, v: Value, out: &mut Vec<Value>) {
    let ty = v.ty();
    if ty.is_vector() {
        for i in 0..ty.vector_len() {
            out.push(b.extract_element(v, b.const_int(b.i32(), i64::from(i))));
        }
    } else if ty.is_struct() || ty.is_array() {
        let n = if ty.is_struct() {
            ty.struct_fields().len() as u32
        } else {
            ty.array_len() as u32
        };
        for i in 0..n {
            leaf_values(b, b.extract_value(v, i), out);
        }
    } else {
        out.push(v);
    }
}

/// A value of type `ty` whose float leaves are taken from `leaves`.
fn build_from_leaves(
    b: &Builder,
    ty: Type,
    leaves: &mut impl Iterator<Item = Value>,
    call: Value,
) -> Result<Value> {
    let mut next = |t: Type| -> Result<Value> {
        let v = leaves.next().ok_or_else(|| {
            Error::at(call, "internal error: too few adjoints of the return value")
        })?;
        convert(b, v, t, call, "adjoint of the return value")
    };
    if ty.is_vector() {
        let mut agg = b.poison(ty);
        for i in 0..ty.vector_len() {
            let v = next(ty.element_type())?;
            agg = b.insert_element(agg, v, b.const_int(b.i32(), i64::from(i)));
        }
        return Ok(agg);
    }
    if !(ty.is_struct() || ty.is_array()) {
        return next(ty);
    }
    let fields: Vec<Type> = if ty.is_struct() {
        ty.struct_fields()
    } else {
        vec![ty.element_type(); ty.array_len() as usize]
    };
    let mut agg = b.poison(ty);
    for (i, f) in fields.into_iter().enumerate() {
        let v = build_from_leaves(b, f, leaves, call)?;
        agg = b.insert_value(agg, v, i as u32);
    }
    Ok(agg)
}

/// `__enzyme_fwdsplit`: the tape (last, or in `enzyme_tape` memory), the
/// forward derivative's last argument, whose log it reads.
pub(super) fn fwdsplit_tape(b: &Builder, req: &Request) -> Result<Option<Value>> {
    if !req.log_loads || req.mode != super::request::Mode::Forward {
        return Ok(None);
    }
    let ptr = Type::ptr(b.module().context());
    let tape = match req.tape_memory {
        Some(p) => b.load(ptr, p),
        None => *req
            .trailing
            .last()
            .ok_or_else(|| Error::at(req.call, "missing the tape argument"))?,
    };
    convert(b, tape, ptr, req.call, "tape").map(Some)
}

/// `__enzyme_fwdsplit`, after the derivative's call(s): the tape is
/// consumed (Enzyme frees it) unless `enzyme_nofree` keeps it.
pub(super) fn release_fwdsplit_tape(b: &Builder, req: &Request) -> Result<()> {
    if req.nofree || !req.fwdsplit {
        return Ok(());
    }
    match fwdsplit_tape(b, req)? {
        Some(tape) => crate::fwdsplit::release(b.module(), b, tape),
        None => Ok(()),
    }
}

/// Lowers `__enzyme_augmentsize` to the (constant) size of the tape.
pub fn lower_tape_size(module: Module, req: &Request) -> Result<()> {
    let call = req.call;
    let b = Builder::new(module);
    b.before(call);
    let size = b.const_int(b.i64(), TAPE_BYTES as i64);
    let ret = call.ty();
    let r = if ret.is_integer() {
        b.int_cast(size, ret, false)
    } else {
        size
    };
    call.replace_all_uses_with(r);
    finish_replacement(&b, call);
    remove_dead_markers(req);
    Ok(())
}

/// Size of the tape `__enzyme_augmentfwd` hands out: one pointer (to a
/// heap frame the reverse sweep frees).
const TAPE_BYTES: u64 = 8;

/// Batched reverse mode: each `[N x T]` of an active argument's adjoints
/// becomes its N values, in lane order.
pub(super) fn flatten_lanes(b: &Builder, outputs: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for a in outputs {
        if a.ty().is_array() {
            for lane in 0..a.ty().array_len() as u32 {
                out.push(b.extract_value(a, lane));
            }
        } else {
            out.push(a);
        }
    }
    out
}

/// Calls derivative `target` with `args` in place of request `call`; its
/// results, one per field of a struct result.
pub(super) fn call_derivative(
    b: &Builder,
    call: Value,
    target: Value,
    args: &[Value],
) -> Result<Vec<Value>> {
    if args.len() != target.global_value_type().fn_params().len() {
        return Err(Error::at(
            call,
            "internal error: derivative signature mismatch",
        ));
    }
    let result = b.call_fn(target, args);
    let out_ty = result.ty();
    Ok(if out_ty.is_struct() {
        (0..out_ty.struct_fields().len() as u32)
            .map(|i| b.extract_value(result, i))
            .collect()
    } else if out_ty.is_void() {
        Vec::new()
    } else {
        vec![result]
    })
}

/// Erases the call; an `invoke` becomes a branch to its normal destination.
pub(super) fn finish_replacement(b: &Builder, call: Value) {
    if call.is_invoke() {
        if let Some(normal) = call.successors().first() {
            b.before(call);
            b.br(*normal);
        }
    }
    if call.has_uses() {
        call.replace_all_uses_with(b.poison(call.ty()));
    }
    call.erase();
}

/// Offsets of `tys` laid out as a C struct, and the struct's size.
fn c_layout(module: Module, tys: &[Type]) -> (Vec<u64>, u64, u32) {
    let mut offsets = Vec::new();
    let mut off = 0u64;
    let mut max_align = 1u32;
    for t in tys {
        let align = module.abi_align(*t).max(1);
        max_align = max_align.max(align);
        off = off.div_ceil(align as u64) * align as u64;
        offsets.push(off);
        off += module.alloc_size(*t);
    }
    let size = off.div_ceil(max_align as u64) * max_align as u64;
    (offsets, size, max_align)
}

/// Maps the derivative's outputs to the value the call returns (or stores
/// them through its `sret` pointer).
pub(super) fn fit_results(
    module: Module,
    b: &Builder,
    req: &Request,
    outputs: &[Value],
) -> Result<Option<Value>> {
    if let Some(t) = req
        .sret_result
        .filter(|_| req.mode == super::request::Mode::Forward)
    {
        // A struct returned through `sret`: the primal (when asked for)
        // and the N tangents are in the buffers of the first argument.
        let arg = &req.args[0];
        let mut out = Vec::new();
        if req.return_primal {
            out.push(b.load(t, arg.primal));
        }
        for s in arg.shadow.iter().chain(&arg.lanes) {
            out.push(b.load(t, *s));
        }
        return fit_call_results(module, b, req.call, req.sret, &out);
    }
    if let Some(t) = req.sret_result.filter(|_| req.sret_primal) {
        // Reverse mode with the primal: the struct the derivative wrote.
        let mut out = vec![b.load(t, req.args[0].primal)];
        out.extend_from_slice(outputs);
        return fit_call_results(module, b, req.call, req.sret, &out);
    }
    fit_call_results(module, b, req.call, req.sret, outputs)
}

/// [`fit_results`] for any call (`sret`: its hidden result pointer).
pub(super) fn fit_call_results(
    module: Module,
    b: &Builder,
    call: Value,
    sret: Option<Value>,
    outputs: &[Value],
) -> Result<Option<Value>> {
    let ret_ty = call.ty();
    if sret.is_none() && !call.has_uses() {
        // Nothing reads the result (a pointer's shadow the caller ignores,
        // declared as whatever type).
        return Ok(None);
    }
    if let Some(sret) = sret {
        let tys: Vec<Type> = outputs.iter().map(|o| o.ty()).collect();
        let (offsets, _, _) = c_layout(module, &tys);
        for (o, off) in outputs.iter().zip(offsets) {
            let p = b.gep_i8(sret, off);
            b.store(*o, p);
        }
        return Ok(None);
    }
    if ret_ty.is_void() {
        return Ok(None);
    }
    if outputs.is_empty() {
        return Ok(Some(b.zero(ret_ty)));
    }
    if outputs.len() == 1
        && !ret_ty.is_struct()
        && !ret_ty.is_array()
        && (!ret_ty.is_vector() || outputs[0].ty().is_vector())
    {
        return convert(b, outputs[0], ret_ty, call, "result").map(Some);
    }
    if ret_ty.is_struct() {
        let fields = ret_ty.struct_fields();
        if fields.len() == outputs.len()
            && fields
                .iter()
                .zip(outputs)
                .all(|(f, o)| f.is_fp_like() == o.ty().is_fp_like() && !f.is_struct())
        {
            let mut agg = b.undef(ret_ty);
            for (i, (f, o)) in fields.iter().zip(outputs).enumerate() {
                let v = convert(b, *o, *f, call, "result")?;
                agg = b.insert_value(agg, v, i as u32);
            }
            return Ok(Some(agg));
        }
    }
    // ABI-coerced return (e.g. `{float, float}` returned as `<2 x float>`):
    // store the natural C layout and reload it as the call's type.
    let tys: Vec<Type> = outputs.iter().map(|o| o.ty()).collect();
    let (offsets, size, align) = c_layout(module, &tys);
    // A declared return type smaller than the results reads a prefix of them. Reading the
    // first derivative through a `double` prototype is Enzyme's behaviour (users rely on it);
    // any other prefix (an `int`, a `float` for a double) would garble derivatives.
    if module.alloc_size(ret_ty) < size && ret_ty != outputs[0].ty() {
        return Err(Error::at(
            call,
            format!(
                "the call's return type {} cannot hold the {} derivative results ({} bytes)",
                ret_ty.describe(),
                outputs.len(),
                size
            ),
        )
        .hint(
            "declare the __enzyme_* function returning a struct with one field per active \
             argument (e.g. `typedef struct { double dx, dy; } Grad;`), or mark arguments \
             enzyme_const",
        ));
    }
    let bytes = size.max(module.alloc_size(ret_ty));
    let i8t = b.i8();
    let entry = call.function_of().entry_block();
    let eb = Builder::new(module);
    eb.at_start(entry);
    let slot = eb.alloca(Type::array(i8t, bytes), "ferment.results");
    eb.set_alignment(slot, align.max(module.abi_align(ret_ty)));
    b.store(b.zero(Type::array(i8t, bytes)), slot);
    for (o, off) in outputs.iter().zip(offsets) {
        let p = b.gep_i8(slot, off);
        b.store(*o, p);
    }
    Ok(Some(b.load(ret_ty, slot)))
}

/// Erases marker loads that no longer have users.
pub(super) fn remove_dead_markers(req: &Request) {
    erase_dead_marker_loads(req.markers.iter().copied());
}

/// Erases each distinct marker load once it has no users (at -O2 one load
/// of `enzyme_const` may feed several arguments).
pub(super) fn erase_dead_marker_loads(markers: impl Iterator<Item = Value>) {
    let mut seen: Vec<Value> = Vec::new();
    for m in markers {
        if seen.contains(&m) {
            continue;
        }
        seen.push(m);
        if m.is_instruction() && m.opcode() == Opcode::LLVMLoad && !m.has_uses() {
            m.erase();
        }
    }
}

/// Replaces a failed request with a trap, so no wrong value can be used.
pub fn replace_with_trap(module: Module, call: Value) {
    let b = Builder::new(module);
    b.before(call);
    b.intrinsic("llvm.trap", &[], &[]);
    // Marker loads feeding the call must go too, or the program fails to
    // link on an undefined `enzyme_*` symbol instead of reporting the error.
    let args = call.call_args();
    finish_replacement(&b, call);
    let markers: Vec<Value> = args
        .into_iter()
        .filter(|a| super::request::marker_name(*a).is_some())
        .collect();
    erase_dead_marker_loads(markers.into_iter());
}

/// Removes `__enzyme_*` declarations and `enzyme_*` marker globals that no
/// longer have users (unused declarations must not reach the object file at
/// -O0, where nothing else deletes them).
pub fn cleanup_declarations(module: Module) {
    crate::qsort::remove_unused(module);
    for f in module.functions() {
        let name = f.name();
        let ours = super::request::entry_kind(&name).is_some() || super::is_loop_construct(&name);
        if f.is_declaration() && !f.has_uses() && ours {
            f.delete_function();
        }
    }
    for g in module.globals() {
        if !g.name().starts_with("enzyme_") || !g.is_declaration() {
            continue;
        }
        if !g.has_uses() {
            g.delete_global();
        } else {
            // Leftover references (rustc -O0 null-checks extern statics):
            // define the marker privately so nothing is left to link.
            g.define_private_zero();
        }
    }
}
