//! Calls to differentiated functions inside reverse mode.
//!
//! A call that was not inlined (recursion, `-ferment-no-inline`, or a
//! function with a user-registered gradient) and that touches active data
//! becomes, in the forward sweep, a call to the callee's augmented forward
//! function: it computes the primal result (and the shadow of a returned
//! pointer) and returns a tape. At the call's position in the reverse
//! sweep, the callee's reverse function receives the same arguments, their
//! shadows, the adjoint of the result and that tape, and returns the
//! adjoints of the active scalar arguments.

use super::ReverseSweep;
use crate::derive::{Ctx, Derivative};
use crate::error::{Error, Result};
use crate::frontend::request::{Activity as ArgAct, DerivativeKey, Mode, Shape};
use crate::shadow::{Shadows, Substitute};
use ferment_activity_analysis::Activity;
use ferment_ir::{Builder, Type, Value};
use ferment_type_analysis::FunctionTypes;

/// One augmented call, remembered for the reverse sweep.
#[derive(Clone)]
pub struct CallSite {
    pub key: DerivativeKey,
    pub derivative: Derivative,
    /// The original call's arguments.
    pub args: Vec<Value>,
    /// The call of the augmented forward function.
    pub aug_call: Value,
    /// The primal result (replaces the original call's value).
    pub result: Option<Value>,
    /// The tape the augmented function returned (None: custom without tape).
    pub tape: Option<Value>,
    /// Batched, a custom rule: the tapes of lanes 1.. (the user's scalar
    /// augmented function runs once per lane).
    pub lane_tapes: Vec<Option<Value>>,
    /// The call this replaced (erased; only a key for activity facts).
    pub original: Value,
    /// An OpenMP fork of the augmented region: the per-thread tapes.
    pub fork: Option<crate::openmp::ForkedTapes>,
}

/// What the calling derivative knows, for the keys of its calls.
#[derive(Clone, Copy)]
pub struct CallerFacts<'a> {
    pub activity: &'a Activity,
    pub types: &'a FunctionTypes,
    /// Parameters whose memory nothing writes between the caller's two
    /// sweeps ([`super::rereads::unchanged_roots`]).
    pub unchanged: &'a hashbrown::HashSet<Value>,
    /// Per region call (fork) of the caller: which captures it vouches for
    /// ([`crate::openmp::vouched_slots`], decided before any fork was
    /// rewritten); per checkpointed loop call of a combined derivative: the
    /// step arguments it vouches for on the condition that the reverse
    /// sweep checks them apart from the regions
    /// ([`super::checkpoint::combined_vouches`]).
    pub call_vouches: &'a hashbrown::HashMap<Value, Vec<bool>>,
    /// Per call, the inputs its callee may read that may be nonfinite
    /// ([`crate::rules::finite::call_inputs`]).
    pub inputs: &'a hashbrown::HashMap<Value, Vec<bool>>,
    /// The caller's number of adjoint lanes (batched: its calls get
    /// derivatives of the same width).
    pub width: usize,
    /// The caller's `DerivativeKey::handoffs`: its calls' derivatives
    /// inherit it (a region's decides its own).
    pub handoffs: bool,
}

/// A non-inlined call whose active result holds floats in a shape without a derivative of its
/// own type (a struct mixing floats with integers or pointers) is refused: its derivative would
/// otherwise be dropped. Structs made only of floats (`is_fp_value`) are differentiated.
pub fn check_call_return(call: Value, callee: Value, active: bool) -> Result<()> {
    let t = call.ty();
    if active && t.contains_float() && !t.is_fp_value() && !t.is_pointer() {
        return Err(Error::at(
            call,
            format!(
                "cannot yet differentiate the call of '{}' without inlining it: it returns '{}', which mixes floating-point values with other fields",
                callee.name(),
                t.describe()
            ),
        )
        .hint("let ferment inline it (no recursion, no noinline, no -ferment-no-inline), or return the floating-point values alone or through a pointer argument"));
    }
    Ok(())
}

/// The function a call calls directly, if any.
pub fn callee_of(call: Value) -> Option<Value> {
    let f = call.called_function()?;
    let name = f.name();
    if crate::rules::call_rule(&name).is_some() && f.is_declaration() {
        return None;
    }
    if crate::frontend::is_inactive_call(call)
        || crate::shadow::is_memcpy(&name)
        || crate::shadow::is_memset(&name)
        || crate::shadow::is_free(&name)
        || crate::shadow::is_mirrored_structure_call(&name)
        || ferment_activity_analysis::allocation_kind(call).is_some()
        || name.starts_with("llvm.")
    {
        return None;
    }
    Some(f)
}

/// Forward sweep: replaces `call` with a call of the callee's augmented
/// forward function when the call touches active data. `sh` holds lane 0's
/// shadows, `others` those of lanes 1.. (batched).
pub fn augment_call(
    ctx: &mut Ctx,
    caller: &CallerFacts,
    call: Value,
    sh: &Shadows,
    others: &[Shadows],
    b: &Builder,
    sites: &mut Vec<CallSite>,
) -> Result<Option<Substitute>> {
    let CallerFacts {
        activity,
        types,
        unchanged,
        call_vouches,
        inputs,
        width,
        handoffs,
    } = *caller;
    // Results of calls augmented earlier in this walk replaced the original
    // calls, which are what the activity analysis knows about.
    let original = |v: Value| {
        sites
            .iter()
            .find(|s| s.result == Some(v))
            .map(|s| s.original)
            .unwrap_or(v)
    };
    let Some(callee) = callee_of(call) else {
        return Ok(None);
    };
    // A call of a function with a split forward rule in the augmented
    // function of a fwdsplit pair (`fwdsplit::number` numbered it).
    let split_call = call.md_int(crate::fwdsplit::CALL);
    if callee.is_declaration()
        && !ctx.custom.has_gradient(callee)
        && !(split_call.is_some() && ctx.custom.has_split(callee))
    {
        return Ok(None);
    }
    let fork = crate::openmp::is_fork(call);
    if !fork && crate::openmp::is_parallel_region(call.function_of()) {
        return Err(Error::at(
            call,
            format!(
                "cannot differentiate the call of '{}' inside an OpenMP parallel region: it was not inlined",
                callee.name()
            ),
        )
        .hint("let ferment inline it (no recursion, no noinline, no -ferment-no-inline)"));
    }
    let args = call.call_args();
    let activities: Vec<ArgAct> = args
        .iter()
        .enumerate()
        .map(|(i, &live)| {
            // Activity facts are keyed by the original call, which was
            // erased: only its identity is used, never its contents.
            let a = original(live);
            let ty = live.ty();
            // Reverse mode over split mode: an augmented function's null
            // frame storage (`__enzyme_augmentfwd`'s: the frame comes from
            // the heap) has the null shadow, as in forward mode. Passed
            // without one, the callee's frame, a phi of the storage and its
            // `malloc`, would merge a pointer standing for its own shadow,
            // and every kept call given a slot of that frame as its own
            // storage would be refused (`check_own_loaded`).
            let null_frame = live.is_null_constant() && crate::derive::is_frame_storage(call, i);
            if ty.is_pointer() && (activity.is_shadowed(a) || sh.get(live).is_some() || null_frame)
            {
                ArgAct::Dup
            } else if ty.is_fp_like() && activity.is_varied(a) {
                ArgAct::Active
            } else {
                ArgAct::Const
            }
        })
        .collect();
    let ret_ty = call.ty();
    check_call_return(call, callee, activity.is_active(call))?;
    let return_active = (ret_ty.is_fp_value() && activity.is_active(call))
        || (ret_ty.is_pointer() && activity.is_shadowed(call));
    // The globals whose shadows the callee's derivative shares with this one.
    let mut globals = Vec::new();
    if !callee.is_declaration() && !ctx.custom.has_gradient(callee) {
        globals = crate::kept_globals::carried(callee, activity);
        let seeds = ferment_activity_analysis::Seeds {
            active_args: activities.iter().map(|a| *a == ArgAct::Active).collect(),
            shadow_args: activities.iter().map(|a| *a == ArgAct::Dup).collect(),
            active_return: return_active,
            context_globals: activity.context_globals(),
            shadow_globals: globals.clone(),
        };
        let inner = crate::kept_globals::callee_activity(callee, &seeds);
        crate::kept_globals::check(call, callee, activity, &globals, &inner)?;
    }
    if !return_active && activities.iter().all(|a| *a == ArgAct::Const) && globals.is_empty() {
        return Ok(None);
    }
    if callee.global_value_type().fn_is_vararg() {
        return Err(Error::at(
            call,
            format!(
                "cannot differentiate a call to the variadic function '{}'",
                callee.name()
            ),
        )
        .hint("pass the values in an array (a double* and a count) instead of `...`"));
    }
    if ctx.custom.has_gradient(callee) && !sh.own_shadow_args(call).is_empty() {
        return Err(own_shadow_to_custom(call, callee));
    }
    // An outlined row runs its combined derivative in the reverse sweep
    // (`super::rows`): the forward sweep keeps the primal call.
    let row = super::rows::is_row(callee) && width == 1 && !fork;
    let key = DerivativeKey {
        function: callee,
        mode: Mode::Reverse,
        shape: if row { Shape::Combined } else { Shape::Split },
        activities: activities.clone(),
        return_active,
        return_primal: false,
        arg_types: crate::derive::arg_types(types, &args),
        uniform_pointers: false,
        width: width as u32,
        context: activity.context_globals(),
        globals,
        log_loads: split_call.is_some(),
        own_shadow_args: sh.own_shadow_args(call),
        unchanged_args: if crate::gpu::is_gpu(ctx.module) {
            Vec::new()
        } else if fork {
            call_vouches.get(&call).cloned().unwrap_or_default()
        } else {
            let mut v = super::rereads::vouched_arguments(&args, unchanged);
            if let Some(checked) = call_vouches.get(&call) {
                v.resize(args.len(), false);
                v.iter_mut().zip(checked).for_each(|(v, c)| *v |= *c);
            }
            v
        },
        checked_args: if fork || crate::gpu::is_gpu(ctx.module) {
            Vec::new()
        } else {
            call_vouches.get(&call).cloned().unwrap_or_default()
        },
        seeds_finite: false,
        nonfinite_inputs: inputs.get(&call).cloned().unwrap_or_default(),
        level: ctx.level,
        // a parallel region's reverse sweep runs on every thread of the
        // team and opens a frame of its own: judged on the region alone
        handoffs: if fork {
            ctx.tree_handoffs(callee)
        } else {
            handoffs
        },
    };
    let derivative = ctx.get(&key).map_err(|e| e.or_at(call))?;
    b.after(call);
    b.set_debug_loc_from(call);
    let mut shadows = Vec::new();
    for (a, act) in args.iter().zip(&activities) {
        if act.has_shadow() {
            for lane in std::iter::once(sh).chain(others) {
                shadows.push(lane.of(b, *a).ok_or_else(|| {
                    Error::at(
                        call,
                        format!(
                            "no derivative memory for argument {} of the call",
                            a.short()
                        ),
                    )
                })?);
            }
        }
    }
    let mut lane_tapes = Vec::new();
    let (aug_call, tape, result, shadow) = match derivative {
        Derivative::Combined(_) if row => {
            let r = b.call_like(call, callee, &args);
            (r, None, (!ret_ty.is_void()).then_some(r), None)
        }
        Derivative::Split { aug, .. } if fork => {
            if activities.contains(&ArgAct::Active) {
                return Err(Error::at(
                    call,
                    "internal error: an OpenMP region with an active scalar argument",
                ));
            }
            let (fork_call, forked) = crate::openmp::fork_augmented(b, call, aug, &shadows)?;
            sites.push(CallSite {
                key,
                derivative,
                args,
                aug_call: fork_call,
                result: None,
                tape: Some(forked.tapes),
                lane_tapes: Vec::new(),
                original: call,
                fork: Some(forked),
            });
            return Ok(Some(Substitute {
                replacement: None,
                shadow: None,
                call: Some(fork_call),
            }));
        }
        Derivative::Split { aug, .. } => {
            let mut all = args.clone();
            all.extend(shadows.iter().copied());
            // Storage for the callee's frame: null (the heap) until the
            // reverse sweep reaches this call and reserves some in this
            // function's tape (`reverse_call_site`).
            all.push(b.zero(Type::ptr(ctx.module.context())));
            let t = b.call_like(call, aug, &all);
            let tape = b.extract_value(t, 0);
            let mut idx = 1;
            let result = (!ret_ty.is_void()).then(|| {
                let r = b.extract_value(t, idx);
                idx += 1;
                r
            });
            let shadow = (ret_ty.is_pointer() && return_active).then(|| b.extract_value(t, idx));
            (t, Some(tape), result, shadow)
        }
        Derivative::CustomFwdSplit { aug, .. } => {
            // The user's augmented function; its tape goes to the log for
            // the split forward function (the reverse sweep has no rule).
            if width > 1 {
                return Err(Error::not_batched(
                    call,
                    format!("'{}' (a split forward rule)", callee.name()),
                ));
            }
            let all = interleave(&args, &activities, &shadows);
            let n_params = aug.global_value_type().fn_params().len();
            if n_params != all.len() {
                return Err(Error::at(
                    call,
                    format!(
                        "the augmented forward function '{}' registered for '{}' takes {} parameters; this call \
                         needs {} (its arguments, each duplicated pointer followed by its shadow)",
                        aug.name(),
                        callee.name(),
                        n_params,
                        all.len()
                    ),
                ));
            }
            let t = b.call_like(call, aug, &all);
            let (tape, mut result, shadow) = decode_custom_augmented(b, t, ret_ty, call)?;
            if result.is_none() && !ret_ty.is_void() && call.has_uses() {
                result = Some(b.call_like(call, callee, &args));
            }
            let k = split_call.unwrap_or(0);
            crate::fwdsplit::tape_slot(ctx.module, b, t.function_of(), k, tape);
            (t, None, result, shadow)
        }
        Derivative::CustomSplit { aug, .. } => {
            if width > 1 {
                // The user's rule is scalar: its augmented function runs
                // once per lane, which must have the effect of one run.
                if call.is_invoke() {
                    return Err(Error::not_batched(
                        call,
                        format!("'{}' (a custom rule, where it may throw)", call.describe()),
                    ));
                }
                if crate::frontend::repeatable(aug).is_err() {
                    return Err(Error::not_batched(
                        call,
                        format!(
                            "'{}': its custom augmented function '{}' writes memory it also reads, so it cannot run once per lane",
                            call.describe(),
                            aug.name()
                        ),
                    ));
                }
            }
            let lane_shadows = |lane: usize| -> Vec<Value> {
                shadows.iter().copied().skip(lane).step_by(width).collect()
            };
            let all = interleave(&args, &activities, &lane_shadows(0));
            let n_params = aug.global_value_type().fn_params().len();
            if n_params != all.len() {
                return Err(Error::at(
                    call,
                    format!(
                        "the custom augmented forward function '{}' registered for '{}' takes {} parameters; this call \
                         needs {} (its arguments, each duplicated pointer followed by its shadow)",
                        aug.name(),
                        callee.name(),
                        n_params,
                        all.len()
                    ),
                )
                .hint("declare the augmented function with the primal's parameters, a shadow after each pointer"));
            }
            let t = b.call_like(call, aug, &all);
            let (tape, mut result, shadow) = decode_custom_augmented(b, t, ret_ty, call)?;
            if result.is_none() && !ret_ty.is_void() && call.has_uses() {
                // The augmented function returns no primal result (Enzyme
                // lets it return only a tape, or nothing): the primal
                // function computes it.
                result = Some(b.call_like(call, callee, &args));
            }
            for lane in 1..width {
                let tl = b.call_fn(aug, &interleave(&args, &activities, &lane_shadows(lane)));
                lane_tapes.push(decode_custom_augmented(b, tl, ret_ty, call)?.0);
            }
            (t, tape, result, shadow)
        }
        _ => {
            return Err(Error::at(
                call,
                "internal error: unexpected derivative kind for a call",
            ))
        }
    };
    let own_passed = !key.own_shadow_args.is_empty();
    sites.push(CallSite {
        key,
        derivative,
        args,
        aug_call,
        result,
        tape,
        lane_tapes,
        original: call,
        fork: None,
    });
    Ok(Some(Substitute {
        replacement: result,
        shadow,
        call: own_passed.then_some(aug_call),
    }))
}

/// The error for a call of a function with the user's derivative that
/// receives a pointer to constant data in place of a shadow (or memory
/// holding one): the user's derivative would take that data for
/// derivatives.
pub(crate) fn own_shadow_to_custom(call: Value, callee: Value) -> Error {
    Error::at(
        call,
        format!(
            "'{}' passes the user's derivative of '{}' a pointer that may point to constant data in place of its shadow (or memory holding one), which it would take for derivative memory",
            call.describe(),
            callee.name()
        ),
    )
    .hint("pass the constant data with enzyme_dup and a (zeroed) shadow")
}

/// Enzyme's custom convention: each duplicated argument followed by its
/// shadow.
pub(crate) fn interleave(args: &[Value], acts: &[ArgAct], shadows: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut k = 0;
    for (a, act) in args.iter().zip(acts) {
        out.push(*a);
        if act.has_shadow() {
            out.push(shadows[k]);
            k += 1;
        }
    }
    out
}

/// A custom augmented forward function returns nothing, the tape (a
/// pointer, for a function that does not return one), the primal result,
/// or a struct `{tape, primal, [shadow]}`.
pub(crate) fn decode_custom_augmented(
    b: &Builder,
    t: Value,
    ret_ty: Type,
    call: Value,
) -> Result<(Option<Value>, Option<Value>, Option<Value>)> {
    let ty = t.ty();
    if ty.is_void() {
        return Ok((None, None, None));
    }
    if ty == ret_ty && !ret_ty.is_pointer() {
        return Ok((None, Some(t), None));
    }
    if ty.is_pointer() && !ret_ty.is_pointer() {
        return Ok((Some(t), None, None));
    }
    if ty.is_struct() {
        let fields = ty.struct_fields();
        let mut i = 0u32;
        let tape = (fields.first().is_some_and(|f| f.is_pointer())
            && fields.len() > usize::from(!ret_ty.is_void()))
        .then(|| {
            i += 1;
            b.extract_value(t, 0)
        });
        let result = (!ret_ty.is_void() && (i as usize) < fields.len()).then(|| {
            let r = b.extract_value(t, i);
            i += 1;
            r
        });
        let shadow = ((i as usize) < fields.len()).then(|| b.extract_value(t, i));
        return Ok((tape, result, shadow));
    }
    Err(Error::at(
        call,
        format!(
            "the custom augmented forward function returns {}, which ferment cannot interpret",
            ty.describe()
        ),
    )
    .hint("return the tape pointer, or a struct {tape, primal result}"))
}

impl ReverseSweep<'_, '_, '_> {
    /// Reverse sweep at an augmented call: call the reverse function and
    /// accumulate the adjoints of the active arguments.
    pub(super) fn reverse_call_site(&mut self, cs: &CallSite) -> Result<()> {
        let call = cs.aug_call;
        let seeded = cs.key.return_active && cs.result.is_some_and(|r| r.ty().is_fp_value());
        let width = self.width;
        // The adjoint of the result in each lane.
        let d_ret: Vec<Value> = match cs.result {
            Some(r) if seeded => {
                if self.is_active(r) {
                    self.adjoints.take_lanes(&self.b, r, width)
                } else {
                    vec![self.b.zero(r.ty()); width]
                }
            }
            _ => Vec::new(),
        };
        let args: Vec<Value> = cs.args.iter().map(|a| self.primal(*a)).collect();
        let mut shadows = Vec::new();
        for (a, act) in cs.args.iter().zip(&cs.key.activities) {
            if act.has_shadow() {
                for lane in 0..width {
                    let s = self.shadow_in_reverse_lane(*a, lane).ok_or_else(|| {
                        Error::at(
                            call,
                            "internal error: missing shadow at a call in the reverse sweep",
                        )
                    })?;
                    shadows.push(s);
                }
            }
        }
        if let (Some(forked), Derivative::Split { rev, .. }) = (cs.fork, cs.derivative) {
            let tape = cs.tape.map(|t| self.primal(t));
            let team = self.primal(forked.team);
            let tapes = tape.unwrap_or(forked.tapes);
            let reloaded = crate::openmp::ForkedTapes {
                tapes,
                team,
                ..forked
            };
            crate::openmp::fork_reverse(
                &self.b,
                cs.key.function,
                rev,
                reloaded,
                &args[2..],
                &shadows,
            );
            return Ok(());
        }
        let result = match cs.derivative {
            Derivative::Combined(d) => {
                // An outlined row: its forward and reverse passes here.
                let mut all = args.clone();
                all.extend(shadows);
                all.extend(d_ret);
                self.b.call_fn(d, &all)
            }
            Derivative::Split { aug, rev } => {
                // The callee's frame has a fixed size once it is generated:
                // it lives in this function's tape (no malloc and free per
                // call), and the reverse sweep finds it there rather than
                // taping the pointer the augmented call returned.
                let storage = match self.call_frames.get(&call) {
                    Some(s) => Some(*s),
                    None => {
                        let reserved = self
                            .ctx
                            .frame_layout(aug)
                            .and_then(|layout| self.tape.call_storage(&self.loops, call, layout));
                        reserved.map(|(s, fwd)| {
                            let last = call.call_args().len() - 1;
                            call.set_operand(last, fwd);
                            self.call_frames.insert(call, s);
                            s
                        })
                    }
                };
                let tape = match storage {
                    Some(s) => Some(self.tape.call_storage_rev(&self.b, s)),
                    None => cs.tape.map(|t| self.primal(t)),
                };
                let mut all = args.clone();
                all.extend(shadows);
                all.extend(d_ret);
                all.push(tape.unwrap_or_else(|| self.b.zero(Type::ptr(self.module.context()))));
                // Callees' tapes follow this reverse sweep's `enzyme_nofree`.
                let free = self
                    .free_flag
                    .unwrap_or_else(|| self.b.const_int(Type::int(self.module.context(), 1), 1));
                all.push(free);
                self.b.call_fn(rev, &all)
            }
            Derivative::CustomFwdSplit { .. } => {
                // Only the split forward function uses the augmented
                // function's tape: this reverse sweep has nothing to call.
                let fname = cs.key.function.name();
                let message = format!(
                    "ferment: __enzyme_reverse of a function calling '{fname}', which has a split forward rule (__enzyme_register_splitderivative) but no registered gradient: not supported\n"
                );
                crate::reverse::tape::emit_stop(
                    &self.b,
                    &format!("ferment.split_rule.msg.{fname}"),
                    &message,
                );
                return Ok(());
            }
            Derivative::CustomSplit { rev, .. } => {
                // The user's rule is scalar: once per lane (batched), with
                // that lane's shadows, adjoint of the result and tape.
                for lane in 0..width {
                    let tape = match lane {
                        0 => cs.tape,
                        _ => cs.lane_tapes.get(lane - 1).copied().flatten(),
                    };
                    let tape = tape.map(|t| self.primal(t));
                    let lane_shadows: Vec<Value> =
                        shadows.iter().copied().skip(lane).step_by(width).collect();
                    let mut all = interleave(&args, &cs.key.activities, &lane_shadows);
                    all.extend(d_ret.get(lane).copied());
                    let n_params = rev.global_value_type().fn_params().len();
                    if n_params > all.len() {
                        all.push(
                            tape.unwrap_or_else(|| self.b.zero(Type::ptr(self.module.context()))),
                        );
                    }
                    if n_params != all.len() {
                        return Err(Error::at(
                            call,
                            format!(
                                "the custom reverse function '{}' takes {} parameters; ferment passes {} (arguments with \
                                 shadows interleaved, the return adjoint if active, then the tape)",
                                rev.name(),
                                n_params,
                                all.len()
                            ),
                        ));
                    }
                    let r = self.b.call_fn(rev, &all);
                    self.add_call_adjoints(cs, r, lane);
                }
                return Ok(());
            }
            _ => {
                return Err(Error::at(
                    call,
                    "internal error: unexpected derivative kind for a call",
                ))
            }
        };
        if width == 1 {
            self.add_call_adjoints(cs, result, 0);
            return Ok(());
        }
        // Batched: each active argument's adjoints as an array of lanes.
        let rty = result.ty();
        let fields = if rty.is_struct() {
            rty.struct_fields().len() as u32
        } else {
            0
        };
        for i in 0..fields {
            let arr = self.b.extract_value(result, i);
            for lane in 0..width {
                let d = self.b.extract_value(arr, lane as u32);
                self.add_argument_adjoint(cs, i as usize, lane, d);
            }
        }
        Ok(())
    }

    /// Adds what a (scalar) reverse function returned, the adjoints of the
    /// call's active scalar arguments in order, to their adjoints in `lane`.
    fn add_call_adjoints(&mut self, cs: &CallSite, result: Value, lane: usize) {
        let rty = result.ty();
        let outs: Vec<Value> = if rty.is_void() {
            Vec::new()
        } else if rty.is_struct() {
            (0..rty.struct_fields().len() as u32)
                .map(|i| self.b.extract_value(result, i))
                .collect()
        } else {
            vec![result]
        };
        for (k, d) in outs.into_iter().enumerate() {
            self.add_argument_adjoint(cs, k, lane, d);
        }
    }

    /// `d` to the adjoint, in `lane`, of the `k`-th active scalar argument
    /// of the call.
    fn add_argument_adjoint(&mut self, cs: &CallSite, k: usize, lane: usize, d: Value) {
        let Some(a) = cs
            .args
            .iter()
            .zip(&cs.key.activities)
            .filter(|(_, a)| **a == ArgAct::Active)
            .map(|(v, _)| *v)
            .nth(k)
        else {
            return;
        };
        let d = if d.ty() != a.ty() && d.ty().is_fp_like() {
            self.b.fp_convert(d, a.ty())
        } else {
            d
        };
        self.add_lane(a, lane, d);
    }
}
