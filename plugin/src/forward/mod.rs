//! Forward (tangent) mode.
//!
//! The canonical copy is moved into a function that takes, after the primal
//! parameters, one tangent per duplicated parameter. Right after each active
//! instruction its tangent is computed from the operands' tangents with the
//! same partial-derivative rules reverse mode uses; phis get tangent phis.
//! Each `ret` returns the tangent of the returned value (and the primal
//! value when requested).
//!
//! Batched (`DerivativeKey::width` N > 1, `enzyme_width N`): the primal runs
//! once and every active value carries N tangents, one SSA value per lane
//! (what SROA makes of an `[N x T]`; loops over them vectorize like any
//! scalar code). `-ferment-packed-lanes` keeps a float scalar's N tangents
//! in one `<N x T>` instead (vector arithmetic, with the lanes' loads and
//! stores gathered and scattered), which measured equal (Jacobian) or slower
//! (Hessian) on benches/batched.sh. Partial derivatives are computed
//! once per instruction and applied to each lane. Memory shadows are N
//! separate buffers (Enzyme's convention): each lane has its own
//! [`Shadows`]. A duplicated parameter takes N tangent parameters, the
//! result carries N tangents.

mod blas;
pub mod fixed_point;
mod mpi;

use crate::cfg::Cfg;
use crate::derive::{Ctx, Derivative};
use crate::error::{Error, Result};
use crate::frontend::request::{Activity as ArgAct, DerivativeKey};
use crate::rules::{self, Site};
use crate::shadow::{self, Shadows};
use ferment_activity_analysis::{Activity, Seeds};
use ferment_ir::{Builder, IntPredicate, Module, Opcode, Type, Value};
use hashbrown::HashMap;

/// `(primal params, tangents of duplicated params) -> {[primal], [tangent]}`;
/// batched: N tangents per duplicated parameter (lane after lane), N
/// tangents of the result.
pub fn signature(module: Module, key: &DerivativeKey) -> Type {
    let fn_ty = key.function.global_value_type();
    let params = fn_ty.fn_params();
    let mut new_params = params.clone();
    for (p, act) in params.iter().zip(&key.activities) {
        if act.has_shadow() {
            new_params.extend(std::iter::repeat_n(*p, key.width as usize));
        }
    }
    if key.log_loads {
        // `__enzyme_fwdsplit`: the tape, whose log it reads.
        new_params.push(Type::ptr(module.context()));
    }
    let ret_ty = fn_ty.fn_return();
    let mut outs = Vec::new();
    if key.return_primal && !ret_ty.is_void() {
        outs.push(ret_ty);
    }
    // The tangent of a float result (or of a struct of floats), or the shadow of a pointer
    // result.
    if key.return_active && (ret_ty.is_fp_value() || ret_ty.is_pointer()) {
        outs.extend(std::iter::repeat_n(ret_ty, key.width as usize));
    }
    let out = if outs.is_empty() {
        Type::void(module.context())
    } else {
        Type::literal_struct(module.context(), &outs)
    };
    Type::function(out, &new_params, false)
}

/// Fills the declared forward derivative `f`, whose body is the canonical
/// copy of `key.function`.
pub fn generate(ctx: &mut Ctx, key: &DerivativeKey, f: Value) -> Result<()> {
    let fname = key.function.name();
    let module = ctx.module;
    let out_ty = f.global_value_type().fn_return();
    let ret = key.function.global_value_type().fn_return();
    let tangent_ret = key.return_active && (ret.is_fp_value() || ret.is_pointer());
    let loose = ctx.options.loose_types != 0;
    let mut types = crate::retype::analyze_and_retype(module, f, key, loose);
    let mut sweep = TangentSweep::new(ctx, f, key, &types);
    if crate::dispatch::stop_unseen_targets(f, &|v| {
        sweep.activity.is_varied(v) || sweep.activity.is_shadowed(v)
    }) {
        types = crate::retype::analyze_and_retype(module, f, key, loose);
        sweep = TangentSweep::new(ctx, f, key, &types);
    }
    sweep
        .build(ctx, out_ty, tangent_ret, &types)
        .map_err(|e| e.in_function(&fname))
}

struct TangentSweep<'k> {
    f: Value,
    key: &'k DerivativeKey,
    activity: Activity,
    b: Builder,
    /// The number of tangent lanes (1 unless batched).
    width: usize,
    /// Per active value, its tangent in each lane.
    tangents: HashMap<Value, Vec<Value>>,
    /// Batched: active float scalars whose N tangents are one `<N x T>`
    /// vector (arithmetic on tangents is then vector arithmetic).
    packed: HashMap<Value, Value>,
    /// Whether float scalars get packed tangents.
    pack: bool,
    /// Per lane, the shadows of pointers (empty until built).
    shadows: Vec<Shadows>,
    /// Per call: what type analysis knows about its pointer arguments.
    call_arg_types: HashMap<Value, Vec<String>>,
    /// Whether BLAS rules keep their temporaries in the tape cache
    /// (`-ferment-tape-cache`, as in reverse mode).
    tape_cache: bool,
    /// Which partials may be infinite or NaN at finite inputs (`cbrt` or
    /// `pow(z, 0.5)` at `z = 0`, `asin` at 1, a quotient; set by `build`):
    /// their products with a tangent are strong-zero products
    /// ([`rules::guarded`]), so that a zero tangent (`fmax(x, 0)` at `x < 0`,
    /// a lane seeded with 0) stays zero.
    strong: Option<rules::finite::NonfinitePartials>,
    /// Values whose tangent may be infinite while the primal values are
    /// finite ([`rules::finite::infinite_tangents`]): a partial that is zero
    /// at run time wins over such a tangent ([`rules::zero_partial_wins`]).
    infinite_tangent: rules::finite::InfiniteDerivatives,
    /// The arguments of calls flat where they are infinite that may be
    /// infinite, with an infinite or NaN tangent there
    /// ([`rules::finite::flat_uses_at_infinity`]): the exact-zero partial
    /// wins over that tangent.
    flat_infinite: hashbrown::HashSet<(Value, usize)>,
    /// The instructions the sweep replaced (calls, returns), freed with it:
    /// the maps above may hold them ([`crate::shim::Detached`]).
    detached: crate::shim::Detached,
}

impl<'k> TangentSweep<'k> {
    fn new(
        ctx: &Ctx,
        f: Value,
        key: &'k DerivativeKey,
        types: &ferment_type_analysis::FunctionTypes,
    ) -> TangentSweep<'k> {
        let module = ctx.module;
        let params = f.params();
        let seeds = Seeds {
            active_args: key
                .activities
                .iter()
                .zip(&params)
                .map(|(a, p)| a.has_shadow() && !p.ty().is_pointer())
                .collect(),
            shadow_args: key
                .activities
                .iter()
                .zip(&params)
                .map(|(a, p)| a.has_shadow() && p.ty().is_pointer())
                .collect(),
            active_return: key.return_active,
            context_globals: key.context,
            shadow_globals: key.globals.clone(),
        };
        let activity = crate::derive::analyze_activity(ctx, f, &seeds, types);
        let width = key.width.max(1) as usize;
        let mut tangents = HashMap::new();
        let n = key.activities.len();
        let mut next = n;
        for (i, act) in key.activities.iter().enumerate() {
            if act.has_shadow() {
                tangents.insert(params[i], params[next..next + width].to_vec());
                next += width;
            }
        }
        let call_arg_types = f
            .instructions()
            .into_iter()
            .filter(|i| i.is_call())
            .map(|c| (c, crate::derive::arg_types(types, &c.call_args())))
            .collect();
        let b = Builder::following(module, f);
        b.set_fast_math(ctx.options.fast_math != 0);
        TangentSweep {
            f,
            key,
            activity,
            b,
            width,
            tangents,
            packed: HashMap::new(),
            pack: width > 1 && ctx.options.packed_lanes != 0,
            shadows: Vec::new(),
            call_arg_types,
            tape_cache: ctx.options.tape_cache != 0,
            strong: None,
            infinite_tangent: rules::finite::InfiniteDerivatives::none(),
            flat_infinite: hashbrown::HashSet::new(),
            detached: Default::default(),
        }
    }

    fn is_active(&self, v: Value) -> bool {
        !v.is_constant() && self.activity.is_active(v)
    }

    /// The tangent of `v` in `lane` (zero for constants and inactive values).
    fn tangent(&self, v: Value, lane: usize) -> Value {
        if self.is_active(v) || v.is_argument() {
            if let Some(p) = self.packed.get(&v) {
                let k = self.b.const_int(self.b.i32(), lane as i64);
                return self.b.extract_element(*p, k);
            }
            if let Some(t) = self.tangents.get(&v) {
                return t[lane];
            }
        }
        self.b.zero(v.ty())
    }

    /// Whether the product of the partial of `inst` with respect to operand
    /// `k` and its tangent is a strong-zero product (see `strong`).
    fn strong_product(&self, inst: Value, k: usize) -> bool {
        self.strong.as_ref().is_some_and(|s| s.operand(inst, k))
    }

    /// A term `partial * tangent` of operand `k` of `inst`, `o`: zero where
    /// the partial is when the tangent of `o` may be infinite (see
    /// `infinite_tangent` and `flat_infinite`).
    fn zero_partial_wins(
        &self,
        inst: Value,
        k: usize,
        o: Value,
        partial: Value,
        term: Value,
    ) -> Value {
        if self.infinite_tangent.may_be_infinite(o) || self.flat_infinite.contains(&(inst, k)) {
            rules::zero_partial_wins(&self.b, partial, term)
        } else {
            term
        }
    }

    /// Whether `v` has a tangent (of either representation).
    fn has_tangent(&self, v: Value) -> bool {
        self.tangents.contains_key(&v) || self.packed.contains_key(&v)
    }

    /// Whether tangents of type `ty` are packed into vectors.
    fn packs(&self, ty: Type) -> bool {
        self.pack && ty.is_fp_like() && !ty.is_vector()
    }

    /// The tangents of the float scalar `v` as one `<N x T>` vector.
    fn packed_tangent(&self, v: Value) -> Value {
        let ty = Type::vector(v.ty(), self.width as u32);
        if self.is_active(v) || v.is_argument() {
            if let Some(p) = self.packed.get(&v) {
                return *p;
            }
            if let Some(t) = self.tangents.get(&v) {
                let mut acc = self.b.poison(ty);
                for (k, t) in t.iter().enumerate() {
                    acc = self
                        .b
                        .insert_element(acc, *t, self.b.const_int(self.b.i32(), k as i64));
                }
                return acc;
            }
        }
        self.b.zero(ty)
    }

    /// One value per lane: `f(lane)` for each.
    fn per_lane(&self, f: impl FnMut(usize) -> Value) -> Vec<Value> {
        (0..self.width).map(f).collect()
    }

    fn build(
        &mut self,
        ctx: &mut Ctx,
        out_ty: Type,
        tangent_ret: bool,
        types: &ferment_type_analysis::FunctionTypes,
    ) -> Result<()> {
        let module = ctx.module;
        let cfg = Cfg::new(self.f);
        let blocks: Vec<_> = cfg.rpo.clone();
        let restrict = rules::finite::restrict_params(self.f, self.key);
        self.strong = Some(rules::finite::NonfinitePartials::of(&blocks));
        self.infinite_tangent = rules::finite::infinite_tangents(
            &blocks,
            rules::finite::boundary_may_be_infinite(self.f, self.key),
            &restrict,
        );
        self.flat_infinite = rules::finite::flat_uses_at_infinity(&blocks);
        let custom_fwd: Vec<Value> = ctx.custom.functions();
        crate::frontend::validate::check_function(&blocks, &self.activity, &|c| {
            crate::reverse::callee_of(c)
                .is_some_and(|f| !f.is_declaration() || custom_fwd.contains(&f))
        })?;
        let shadow_params: Vec<Vec<(Value, Value)>> = (0..self.width)
            .map(|lane| {
                self.tangents
                    .iter()
                    .filter(|(p, _)| p.ty().is_pointer())
                    .map(|(p, t)| (*p, t[lane]))
                    .collect()
            })
            .collect();
        let own_params = crate::derive::own_shadow_params(self.key, &self.f.params());
        // The calls of derivatives that the hook puts in place of calls
        // returning pointers to active memory: they already give the
        // primal and its shadow, and the sweep below must not differentiate
        // them again (a recursive function's own derivative, which is
        // still being generated, would be asked for its derivative).
        // With each, its operands (index, float argument) whose tangents
        // it takes once the sweep has them (placeholders until then).
        let mut substituted: Vec<(Value, Vec<(usize, Value)>)> = Vec::new();
        let lanes = if self.width == 1 {
            let activity = &self.activity;
            let substituted = &mut substituted;
            let mut hook =
                |call: Value, sh: &Shadows, b: &Builder| -> Result<Option<shadow::Substitute>> {
                    let Some((sub, pending)) = pointer_returning_call(ctx, activity, call, sh, b)?
                    else {
                        return Ok(None);
                    };
                    if let Some(primal) = sub.replacement {
                        substituted.push((primal.operand(0), pending));
                    }
                    Ok(Some(sub))
                };
            vec![shadow::build(
                module,
                &self.activity,
                &shadow_params[0],
                &blocks,
                self.key.level,
                true,
                false,
                Some(&mut hook),
                Some(types),
                &own_params,
            )?]
        } else {
            self.check_batchable(module, &blocks)?;
            shadow::build_lanes(
                module,
                &self.activity,
                &shadow_params,
                &blocks,
                &own_params,
                self.key.level,
            )?
        };
        for sh in &lanes {
            for (old, new) in sh.renamed.iter() {
                self.activity.rename(*old, *new);
            }
        }
        self.shadows = lanes;
        if crate::gpu::is_gpu(module) {
            crate::gpu::check_constructs(&blocks, &self.activity, false)?;
        }
        let mut phis = Vec::new();
        let mut packed_phis = Vec::new();
        // The instructions to visit, listed before any is added: what
        // replaces an invoke goes into its normal destination, a later block.
        let listed: Vec<Vec<Value>> = blocks.iter().map(|b| b.instructions()).collect();
        for (&blk, insts) in blocks.iter().zip(listed) {
            for inst in insts {
                if inst.opcode() == Opcode::LLVMStore {
                    self.store_tangent(inst);
                    continue;
                }
                if inst.is_call() && mpi::tangent_mpi(self, inst)? {
                    continue;
                }
                if let Some((v, p)) = ferment_activity_analysis::float_accumulation(inst) {
                    // `atomicAdd(p, v)`: the tangent memory receives v's
                    // tangent, atomically as well.
                    self.b.after(inst);
                    for lane in 0..self.width {
                        let Some(sp) = self.memory_shadow(p, lane) else {
                            continue;
                        };
                        let t = self.tangent(v, lane);
                        let t = match inst.atomic_rmw_op() {
                            Some(llvm_sys::LLVMAtomicRMWBinOp::LLVMAtomicRMWBinOpFSub) => {
                                self.b.fneg(t)
                            }
                            _ => t,
                        };
                        self.b.atomic_fadd(sp, t);
                    }
                    continue;
                }
                if inst.is_call() && blas::tangent_blas(self, inst)? {
                    continue;
                }
                if let Some((_, pending)) = substituted.iter().find(|(c, _)| *c == inst) {
                    // The float arguments dominate the call: their tangents
                    // exist by now.
                    for &(k, a) in pending {
                        inst.set_operand(k, self.tangent(a, 0));
                    }
                    continue;
                }
                if inst.is_call() && self.forward_call(ctx, inst)? {
                    continue;
                }
                if inst.is_terminator() || !self.is_active(inst) {
                    continue;
                }
                if inst.opcode() == Opcode::LLVMPHI && self.packs(inst.ty()) {
                    self.b.after_phis(blk);
                    let ty = Type::vector(inst.ty(), self.width as u32);
                    let t = self.b.phi(ty, "tangents");
                    self.packed.insert(inst, t);
                    packed_phis.push((inst, t));
                    continue;
                }
                if inst.opcode() == Opcode::LLVMPHI {
                    self.b.after_phis(blk);
                    let t = self.per_lane(|_| self.b.phi(inst.ty(), "tangent"));
                    self.tangents.insert(inst, t.clone());
                    phis.push((inst, t));
                    continue;
                }
                self.b.after(inst);
                self.b.set_debug_loc_from(inst);
                if self.packs(inst.ty()) {
                    if let Some(t) = self.packed_tangent_of(inst)? {
                        self.packed.insert(inst, t);
                        continue;
                    }
                }
                let t = self.tangent_of(inst)?;
                self.tangents.insert(inst, t);
            }
        }
        self.b.clear_debug_loc();
        for (phi, t) in packed_phis {
            for (v, blk) in phi.incoming() {
                if let Some(term) = blk.terminator() {
                    self.b.before(term);
                }
                let tv = self.packed_tangent(v);
                t.add_incoming(tv, blk);
            }
        }
        for (phi, t) in phis {
            for (v, blk) in phi.incoming() {
                if let Some(term) = blk.terminator() {
                    self.b.before(term);
                }
                for (lane, t) in t.iter().enumerate() {
                    let tv = self.tangent(v, lane);
                    t.add_incoming(tv, blk);
                }
            }
        }
        for &blk in &blocks {
            let Some(term) = blk.terminator() else {
                continue;
            };
            if term.opcode() != Opcode::LLVMRet {
                continue;
            }
            self.b.before(term);
            if out_ty.is_void() {
                self.b.ret_void();
                self.detached.keep(term);
                continue;
            }
            let mut agg = self.b.undef(out_ty);
            let mut k = 0;
            if term.num_operands() == 1 {
                let v = term.operand(0);
                if self.key.return_primal {
                    agg = self.b.insert_value(agg, v, k);
                    k += 1;
                }
                if tangent_ret {
                    for lane in 0..self.width {
                        let t = if v.ty().is_pointer() {
                            let sh = self.shadows[lane].of(&self.b, v);
                            sh.unwrap_or_else(|| self.b.zero(v.ty()))
                        } else {
                            self.tangent(v, lane)
                        };
                        agg = self.b.insert_value(agg, t, k);
                        k += 1;
                    }
                }
            }
            self.b.ret(agg);
            self.detached.keep(term);
        }
        Ok(())
    }

    /// A call to a differentiated function: replaced by a call of its
    /// forward derivative, which returns the primal result and its tangent.
    fn forward_call(&mut self, ctx: &mut Ctx, call: Value) -> Result<bool> {
        let Some(callee) = crate::reverse::callee_of(call) else {
            return Ok(false);
        };
        let args = call.call_args();
        // A pointer into a constant global (no shadow) that the callee
        // stores into memory or merges with other pointers: its tangent is
        // the global's zero twin (`shadow::zero_twin_shadow`), passed
        // duplicated, so that the callee's derivative meets a shadow there
        // where a parameter without one would stand for its own (forward
        // mode over a gradient whose adjoint rows hold an `enzyme_const`
        // argument, `fuzz/fwd_over_rev_const_arg_rows.c`).
        let zero_twins: HashMap<usize, Value> = args
            .iter()
            .enumerate()
            .filter(|(i, a)| {
                a.ty().is_pointer()
                    && !self.activity.is_shadowed(**a)
                    && !callee.is_declaration()
                    && !ctx.custom.functions().contains(&callee)
                    && !crate::derive::is_frame_storage(call, *i)
                    && shadow::param_stored_or_merged(callee, *i, 4)
            })
            .filter_map(|(i, a)| Some((i, shadow::zero_twin_shadow(&self.b, *a)?)))
            .collect();
        let activities: Vec<ArgAct> = args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let shadowed = a.ty().is_pointer() && self.activity.is_shadowed(*a);
                let varied = a.ty().is_fp_like() && self.activity.is_varied(*a);
                // Forward mode over split mode: an augmented function's
                // frame holds taped values, which have tangents, so its
                // frame is shadowed whether the caller's storage or the
                // heap's; null storage (`__enzyme_augmentfwd`) has the
                // null shadow.
                let null_frame = a.is_null_constant() && crate::derive::is_frame_storage(call, i);
                if shadowed || varied || null_frame || zero_twins.contains_key(&i) {
                    ArgAct::Dup
                } else {
                    ArgAct::Const
                }
            })
            .collect();
        if self.forward_adjoint_move(call, callee, &activities)? {
            return Ok(true);
        }
        let ret_ty = call.ty();
        let return_active = ret_ty.is_fp_value() && self.activity.is_active(call);
        // The globals whose shadows (tangents) the callee's derivative
        // shares with this one: cleared once per request, before its call.
        let mut globals = Vec::new();
        if !callee.is_declaration() && !ctx.custom.functions().contains(&callee) {
            globals = crate::kept_globals::carried(callee, &self.activity);
            let seeds = Seeds {
                active_args: activities
                    .iter()
                    .zip(&args)
                    .map(|(a, v)| a.has_shadow() && !v.ty().is_pointer())
                    .collect(),
                shadow_args: activities
                    .iter()
                    .zip(&args)
                    .map(|(a, v)| a.has_shadow() && v.ty().is_pointer())
                    .collect(),
                active_return: return_active,
                context_globals: self.activity.context_globals(),
                shadow_globals: globals.clone(),
            };
            let inner = crate::kept_globals::callee_activity(callee, &seeds);
            crate::kept_globals::check(call, callee, &self.activity, &globals, &inner)?;
        }
        crate::reverse::check_call_return(call, callee, self.activity.is_active(call))?;
        if ret_ty.is_pointer() && self.activity.is_shadowed(call) {
            return Err(Error::at(
                call,
                format!("forward mode cannot yet differentiate '{}', which returns a pointer to active memory", callee.name()),
            )
            .hint("let ferment inline the function (remove noinline), or return the data through an argument"));
        }
        if !return_active && activities.iter().all(|a| *a == ArgAct::Const) && globals.is_empty() {
            return Ok(false);
        }
        let key = DerivativeKey {
            function: callee,
            mode: crate::frontend::request::Mode::Forward,
            shape: crate::frontend::request::Shape::Combined,
            activities: activities.clone(),
            return_active,
            return_primal: true,
            arg_types: self.call_arg_types.get(&call).cloned().unwrap_or_default(),
            uniform_pointers: false,
            width: self.width as u32,
            unchanged_args: Vec::new(),
            checked_args: Vec::new(),
            context: self.activity.context_globals(),
            globals,
            // A call of a function with a split forward rule in a fwdsplit
            // derivative (`fwdsplit::number` numbered it).
            log_loads: call.md_int(crate::fwdsplit::CALL).is_some(),
            own_shadow_args: self
                .shadows
                .first()
                .map(|s| s.own_shadow_args(call))
                .unwrap_or_default(),
            seeds_finite: false,
            nonfinite_inputs: Vec::new(),
            level: ctx.level,
            handoffs: false,
        };
        if !key.own_shadow_args.is_empty() && ctx.custom.functions().contains(&callee) {
            return Err(crate::reverse::calls::own_shadow_to_custom(call, callee));
        }
        let derivative = ctx.get(&key).map_err(|e| e.or_at(call))?;
        self.b.after(call);
        self.b.set_debug_loc_from(call);
        // Each duplicated argument's tangents, lane after lane.
        let mut tangents = Vec::new();
        for (k, (a, act)) in args.iter().zip(&activities).enumerate() {
            if !act.has_shadow() {
                continue;
            }
            for lane in 0..self.width {
                let t = if let Some(z) = zero_twins.get(&k) {
                    *z
                } else if a.ty().is_pointer() {
                    self.shadows[lane].of(&self.b, *a).ok_or_else(|| {
                        Error::at(
                            call,
                            format!(
                                "no derivative memory for argument {} of the call",
                                a.short()
                            ),
                        )
                    })?
                } else {
                    self.tangent(*a, lane)
                };
                tangents.push(t);
            }
        }
        if self.width > 1 && crate::openmp::is_fork(call) {
            return Err(Error::not_batched(
                call,
                format!("the OpenMP region '{}'", callee.name()),
            ));
        }
        let (primal, tangent) = match derivative {
            Derivative::Forward(fwd) if crate::openmp::is_fork(call) => {
                crate::openmp::fork_tangent(&self.b, call, fwd, &tangents)?;
                (None, None)
            }
            Derivative::Forward(fwd) => {
                let mut all = args.clone();
                all.extend(tangents);
                let r = self.b.call_like(call, fwd, &all);
                let primal = (!ret_ty.is_void()).then(|| self.b.extract_value(r, 0));
                let tangent = return_active
                    .then(|| self.per_lane(|lane| self.b.extract_value(r, 1 + lane as u32)));
                (primal, tangent)
            }
            Derivative::CustomForward(fwd) | Derivative::CustomFwdSplit { fwd, .. } => {
                // A split forward rule takes the tape of the user's
                // augmented function last, read from the log.
                let split_tape = match derivative {
                    Derivative::CustomFwdSplit { .. } => {
                        if self.width > 1 {
                            return Err(Error::not_batched(
                                call,
                                format!("'{}' (a split forward rule)", callee.name()),
                            ));
                        }
                        let k = call.md_int(crate::fwdsplit::CALL).unwrap_or(0);
                        self.b.before(call);
                        let t = crate::fwdsplit::tape_slot(
                            self.b.module(),
                            &self.b,
                            call.function_of(),
                            k,
                            None,
                        );
                        self.b.after(call);
                        Some(t)
                    }
                    _ => None,
                };
                // Interleaved: each duplicated argument followed by its
                // tangent. A rule written for every float argument gets a
                // zero tangent for the constant ones. Batched: the rule
                // (scalar) is called once per lane.
                let n_params =
                    fwd.global_value_type().fn_params().len() - usize::from(split_tape.is_some());
                let all_floats = args.len()
                    + args
                        .iter()
                        .filter(|a| a.ty().is_fp_like() || a.ty().is_pointer())
                        .count();
                let lane_args = |lane: usize| -> Vec<Value> {
                    let mut all = Vec::new();
                    let mut k = 0;
                    for (a, act) in args.iter().zip(&activities) {
                        all.push(*a);
                        if act.has_shadow() {
                            all.push(tangents[k * self.width + lane]);
                            k += 1;
                        } else if n_params == all_floats && a.ty().is_fp_like() {
                            all.push(self.b.zero(a.ty()));
                        }
                    }
                    all.extend(split_tape);
                    all
                };
                let all = lane_args(0);
                if all.len() != n_params + usize::from(split_tape.is_some()) {
                    return Err(Error::at(
                        call,
                        format!(
                            "the custom forward derivative '{}' of '{}' takes {} parameters; this call needs {} \
                             (each active argument followed by its tangent)",
                            fwd.name(),
                            callee.name(),
                            n_params,
                            all.len()
                        ),
                    ));
                }
                let rt = fwd.global_value_type().fn_return();
                let pair = rt.is_struct() && rt.struct_fields().len() == 2;
                if !pair && rt != ret_ty {
                    return Err(Error::at(
                        call,
                        format!(
                            "the custom forward derivative '{}' returns {}",
                            fwd.name(),
                            rt.describe()
                        ),
                    )
                    .hint("return the tangent of the result (or a struct {primal, tangent})"));
                }
                if self.width > 1 && pair && call.is_invoke() {
                    return Err(Error::not_batched(
                        call,
                        format!(
                            "a call to '{}' (custom derivative returning the primal too) where it may throw",
                            callee.name()
                        ),
                    ));
                }
                // A pair replaces the primal call (an invoke's unwind edge
                // moves to the new call); a tangent alone follows it.
                let r = if pair {
                    self.b.call_like(call, fwd, &all)
                } else {
                    self.b.call_fn(fwd, &all)
                };
                let first = if pair { self.b.extract_value(r, 1) } else { r };
                let mut lanes = vec![first];
                for lane in 1..self.width {
                    let rl = self.b.call_fn(fwd, &lane_args(lane));
                    lanes.push(if pair {
                        self.b.extract_value(rl, 1)
                    } else {
                        rl
                    });
                }
                if pair {
                    (Some(self.b.extract_value(r, 0)), Some(lanes))
                } else {
                    if split_tape.is_some() && call.has_uses() {
                        // The primal call would run on the inputs as they
                        // are now, not as the augmented pass saw them.
                        return Err(Error::at(
                            call,
                            format!("__enzyme_fwdsplit: the split forward function '{}' of '{}' returns the tangent only, and the call's result is used", fwd.name(), callee.name()),
                        )
                        .hint("return a struct {primal, tangent} from the split forward function (the primal as its augmented pass computed it)"));
                    }
                    // Returns the tangent only: keep the primal call.
                    self.tangents.insert(call, lanes);
                    return Ok(true);
                }
            }
            _ => {
                return Err(Error::at(
                    call,
                    "internal error: unexpected derivative kind in forward mode",
                ))
            }
        };
        if let Some(p) = primal {
            call.replace_all_uses_with(p);
            self.activity.rename(call, p);
            if let Some(t) = tangent {
                self.tangents.insert(p, t);
            }
        }
        // Detached, not erased: what was computed before the walk (`strong`,
        // `flat_infinite`, the shadows' maps) holds it, and a replacement
        // made later at a freed call's address would inherit its facts.
        self.detached.keep(call);
        Ok(true)
    }

    /// Forward mode of a reverse derivative's `ferment.adjoint.memcpy.T(dd,
    /// ds, bytes)` (`ds[i] += dd[i]; dd[i] = 0`, nothing when `dd == ds`)
    /// whose `ds` has no shadow here: the memory of `ds` is nothing the
    /// derivative reads (the activity analysis gave it no shadow although
    /// active adjoints are added to it: the adjoints of a `realloc`'s old
    /// block whose values were constants), so its tangent is dropped, and
    /// the tangent of `dd` is cleared as `dd` is. The helper's own
    /// derivative would refuse the store into `ds`. Other activity patterns
    /// go the usual way.
    fn forward_adjoint_move(
        &mut self,
        call: Value,
        callee: Value,
        activities: &[ArgAct],
    ) -> Result<bool> {
        let Some(ty) = crate::reverse::memory::memcpy_adjoint_element(callee) else {
            return Ok(false);
        };
        if activities.len() != 3 || activities[0] != ArgAct::Dup || activities[1] != ArgAct::Const {
            return Ok(false);
        }
        let args = call.call_args();
        let (dd, ds, bytes) = (args[0], args[1], args[2]);
        self.b.after(call);
        self.b.set_debug_loc_from(call);
        let size = self
            .b
            .const_int(bytes.ty(), self.b.module().alloc_size(ty) as i64);
        let whole = self.b.mul_int(self.b.udiv_int(bytes, size), size);
        let same = self.b.icmp(IntPredicate::LLVMIntEQ, dd, ds);
        let len = self.b.select(same, self.b.zero(bytes.ty()), whole);
        let i8t = Type::int(self.b.module().context(), 8);
        for lane in 0..self.width {
            let t = self.shadows[lane].of(&self.b, dd).ok_or_else(|| {
                Error::at(
                    call,
                    "no derivative memory for the destination of an adjoint move",
                )
            })?;
            self.b.memset(t, self.b.zero(i8t), len);
        }
        Ok(true)
    }

    /// The shadow of a pointer that loads or stores go through: a shadowed
    /// instruction or argument, or a constant address inside a shadowed
    /// global (`getelementptr (@g, 8)`); never the null shadow of a
    /// constant null pointer.
    fn memory_shadow(&self, p: Value, lane: usize) -> Option<Value> {
        if p.is_constant() && !p.is_global() && !p.is_constant_expr() {
            return None;
        }
        self.shadows.get(lane).and_then(|s| s.of(&self.b, p))
    }

    /// Whether `p` may point into memory without a shadow (see
    /// [`Shadows::is_mixed`]; the same in every lane).
    fn is_mixed(&self, p: Value) -> bool {
        self.shadows.first().is_some_and(|s| s.is_mixed(p))
    }

    /// A float stored into shadowed memory stores its tangent there too
    /// (each lane into its own shadow).
    fn store_tangent(&mut self, inst: Value) {
        let (v, p) = (inst.operand(0), inst.operand(1));
        if !v.ty().contains_float() {
            // Integer constants (a `memset` or a copy of constants LLVM
            // turned into a store): zero tangents, unless the memory may be
            // its own shadow.
            if shadow::stores_integer_constant(v)
                && !self
                    .shadows
                    .first()
                    .is_some_and(|s| s.may_be_own(p) || s.integer_mirrors.contains(&inst))
            {
                self.b.after(inst);
                for lane in 0..self.width {
                    if let Some(sp) = self.memory_shadow(p, lane) {
                        self.b.store_like(self.b.zero(v.ty()), sp, inst);
                    }
                }
            }
            return;
        }
        self.b.after(inst);
        for lane in 0..self.width {
            let Some(sp) = self.memory_shadow(p, lane) else {
                return;
            };
            let mut t = self.tangent(v, lane);
            if self.shadows.first().is_some_and(|s| s.may_be_own(p)) {
                // A shadow equal to the pointer: constant memory, which keeps
                // the value just stored there.
                let own = self.b.icmp(IntPredicate::LLVMIntEQ, sp, p);
                t = self.b.select(own, v, t);
            }
            self.b.store_like(t, sp, inst);
        }
    }

    /// Batched mode: what the lanes do not cover yet is refused here (the
    /// request then falls back to computing the lanes one after the other,
    /// see `frontend::batch`).
    fn check_batchable(&self, module: Module, blocks: &[ferment_ir::Block]) -> Result<()> {
        if crate::gpu::is_gpu(module) {
            let f = self.f;
            return Err(Error::not_batched(f, "code for a GPU target"));
        }
        for blk in blocks {
            for inst in blk.instructions() {
                if !inst.is_call() {
                    continue;
                }
                let name = inst.called_name();
                let pointer_call = inst.ty().is_pointer()
                    && self.activity.is_shadowed(inst)
                    && crate::reverse::callee_of(inst).is_some_and(|f| !f.is_declaration());
                if pointer_call || name.starts_with("MPI_") || crate::openmp::is_fork(inst) {
                    return Err(Error::not_batched(inst, format!("'{}'", inst.describe())));
                }
            }
        }
        Ok(())
    }

    /// Batched, `inst` a float scalar: its tangents as one vector, or None
    /// where they are computed lane by lane (`tangent_of`).
    fn packed_tangent_of(&self, inst: Value) -> Result<Option<Value>> {
        let b = &self.b;
        let vty = Type::vector(inst.ty(), self.width as u32);
        Ok(Some(match inst.opcode() {
            Opcode::LLVMLoad => {
                let lanes = self.tangent_of(inst)?;
                let mut acc = b.poison(vty);
                for (k, t) in lanes.into_iter().enumerate() {
                    acc = b.insert_element(acc, t, b.const_int(b.i32(), k as i64));
                }
                acc
            }
            Opcode::LLVMFPExt | Opcode::LLVMFPTrunc => {
                b.fp_convert(self.packed_tangent(inst.operand(0)), vty)
            }
            Opcode::LLVMSelect => b.select(
                inst.operand(0),
                self.packed_tangent(inst.operand(1)),
                self.packed_tangent(inst.operand(2)),
            ),
            Opcode::LLVMCall if crate::gpu::Shuffle::of(inst).is_some() => return Ok(None),
            Opcode::LLVMCall => {
                let name = inst.called_name();
                let Some(rule) = rules::call_rule(&name).filter(|r| r.result_field.is_none())
                else {
                    return Ok(None);
                };
                return self.combine_packed(inst, inst.call_args(), |s| Some((rule.partials)(s)));
            }
            Opcode::LLVMExtractValue | Opcode::LLVMExtractElement => return Ok(None),
            op => {
                return self.combine_packed(inst, inst.operands(), |s| {
                    rules::instruction_partials(op, s)
                })
            }
        }))
    }

    /// Which of `operands` need a partial: the active ones and those with
    /// a tangent.
    fn wanted(&self, operands: &[Value]) -> Vec<bool> {
        operands
            .iter()
            .map(|o| self.is_active(*o) || self.has_tangent(*o))
            .collect()
    }

    /// The partials `rule` gives at `inst` for the `want`ed operands.
    fn partials(
        &self,
        inst: Value,
        operands: &[Value],
        want: &[bool],
        rule: impl FnOnce(&Site) -> Option<Vec<Option<Value>>>,
    ) -> Result<Vec<Option<Value>>> {
        let result = || inst;
        let arg_at = |i: usize| operands[i];
        let site = Site {
            b: &self.b,
            ops: operands.to_vec(),
            arg_at: &arg_at,
            want: want.to_vec(),
            result: &result,
            companion: None,
            result_free: &|| false,
        };
        rule(&site).ok_or_else(|| {
            Error::at(
                inst,
                format!("cannot differentiate instruction '{}'", inst.describe()),
            )
        })
    }

    /// [`Self::combine`] on packed tangents: `sum_i partial_i * tangents_i`
    /// as vector arithmetic; None when an active operand is not a float
    /// scalar.
    fn combine_packed(
        &self,
        inst: Value,
        operands: Vec<Value>,
        rule: impl FnOnce(&Site) -> Option<Vec<Option<Value>>>,
    ) -> Result<Option<Value>> {
        let want = self.wanted(&operands);
        if operands
            .iter()
            .zip(&want)
            .any(|(o, w)| *w && !self.packs(o.ty()))
        {
            return Ok(None);
        }
        let partials = self.partials(inst, &operands, &want, rule)?;
        let mut acc = self.b.zero(Type::vector(inst.ty(), self.width as u32));
        for (i, p) in partials.into_iter().enumerate() {
            if let (Some(p), true) = (p, want[i]) {
                let t = self.packed_tangent(operands[i]);
                let term = if self.strong_product(inst, i) {
                    // May share its chain's first test, as before the marks
                    // (forward mode has no analysis of zeros that partials make).
                    rules::may_share_test(rules::guarded_lanes(&self.b, p, t))
                } else {
                    rules::times_lanes(&self.b, p, t)
                };
                let term = self.zero_partial_wins(inst, i, operands[i], p, term);
                acc = self.b.fadd(acc, term);
            }
        }
        Ok(Some(acc))
    }

    /// The tangents of the active instruction `inst`, one per lane.
    fn tangent_of(&self, inst: Value) -> Result<Vec<Value>> {
        let b = &self.b;
        let op = inst.opcode();
        let t = |i: usize, lane: usize| self.tangent(inst.operand(i), lane);
        Ok(match op {
            Opcode::LLVMLoad => {
                let p = inst.operand(0);
                let mixed = self.shadows.first().is_some_and(|s| s.may_be_own(p));
                self.per_lane(|lane| match self.memory_shadow(p, lane) {
                    Some(sp) => {
                        let t = b.load_like(inst.ty(), sp, inst);
                        if mixed {
                            // a shadow equal to the pointer: constant memory
                            let own = b.icmp(IntPredicate::LLVMIntEQ, sp, p);
                            b.select(own, b.zero(inst.ty()), t)
                        } else {
                            t
                        }
                    }
                    None => b.zero(inst.ty()),
                })
            }
            Opcode::LLVMFPExt | Opcode::LLVMFPTrunc => {
                self.per_lane(|lane| b.fp_convert(t(0, lane), inst.ty()))
            }
            Opcode::LLVMSelect => {
                self.per_lane(|lane| b.select(inst.operand(0), t(1, lane), t(2, lane)))
            }
            Opcode::LLVMExtractValue => {
                let idx = inst.extract_indices();
                self.per_lane(|lane| b.extract_value_path(t(0, lane), &idx))
            }
            Opcode::LLVMInsertValue => {
                let idx = inst.extract_indices();
                self.per_lane(|lane| b.insert_value_path(t(0, lane), &idx, t(1, lane)))
            }
            Opcode::LLVMExtractElement => {
                self.per_lane(|lane| b.extract_element(t(0, lane), inst.operand(1)))
            }
            Opcode::LLVMShuffleVector => {
                let mask = b.const_mask(&inst.shuffle_mask());
                self.per_lane(|lane| b.shuffle(t(0, lane), t(1, lane), mask))
            }
            Opcode::LLVMInsertElement => {
                self.per_lane(|lane| b.insert_element(t(0, lane), t(1, lane), inst.operand(2)))
            }
            Opcode::LLVMCall if crate::gpu::Shuffle::of(inst).is_some() => {
                let sh = crate::gpu::Shuffle::of(inst).expect("shuffle");
                self.per_lane(|lane| {
                    let t = self.tangent(sh.value, lane);
                    sh.tangent(b, inst, t, &|v| v)
                })
            }
            Opcode::LLVMCall => {
                let name = inst.called_name();
                let rule = rules::call_rule(&name).ok_or_else(|| {
                    Error::at(
                        inst,
                        format!("internal error: no rule for '{name}' after validation"),
                    )
                })?;
                match rule.result_field {
                    // A struct result: the tangent sits in field k only.
                    Some(k) => {
                        let ty = inst.ty().struct_fields()[k as usize];
                        let t =
                            self.combine(inst, ty, inst.call_args(), |s| Some((rule.partials)(s)))?;
                        t.into_iter()
                            .map(|t| b.insert_value(b.zero(inst.ty()), t, k))
                            .collect()
                    }
                    None => self.combine(inst, inst.ty(), inst.call_args(), |s| {
                        Some((rule.partials)(s))
                    })?,
                }
            }
            _ => self.combine(inst, inst.ty(), inst.operands(), |s| {
                rules::instruction_partials(op, s)
            })?,
        })
    }

    /// `sum_i partial_i * tangent_i` over active operands, of type `ty`, in
    /// each lane (the partials are computed once, for all lanes).
    fn combine(
        &self,
        inst: Value,
        ty: Type,
        operands: Vec<Value>,
        rule: impl FnOnce(&Site) -> Option<Vec<Option<Value>>>,
    ) -> Result<Vec<Value>> {
        let want = self.wanted(&operands);
        let partials = self.partials(inst, &operands, &want, rule)?;
        let mut acc = vec![self.b.zero(ty); self.width];
        for (i, p) in partials.into_iter().enumerate() {
            if let (Some(p), true) = (p, want[i]) {
                for (lane, acc) in acc.iter_mut().enumerate() {
                    let t = self.tangent(operands[i], lane);
                    let term = if self.strong_product(inst, i) {
                        rules::may_share_test(rules::guarded(&self.b, p, t))
                    } else {
                        rules::times(&self.b, p, t)
                    };
                    let term = self.zero_partial_wins(inst, i, operands[i], p, term);
                    *acc = self.b.fadd(*acc, term);
                }
            }
        }
        Ok(acc)
    }
}

/// Forward mode, during the shadow walk: a non-inlined call returning a
/// pointer to active memory becomes a call of the callee's forward
/// derivative, which returns the pointer and its shadow. (Calls returning
/// floats are handled later, when tangents exist.) An active float argument
/// (`make(a, n)` filling a new block from `a`) is passed its tangent, which
/// does not exist yet during the shadow walk: the call gets a placeholder in
/// that operand, returned with the argument, for the sweep to replace when it
/// reaches the call.
#[allow(clippy::type_complexity)]
fn pointer_returning_call(
    ctx: &mut Ctx,
    activity: &Activity,
    call: Value,
    sh: &Shadows,
    b: &Builder,
) -> Result<Option<(shadow::Substitute, Vec<(usize, Value)>)>> {
    if !call.ty().is_pointer() || !activity.is_shadowed(call) {
        return Ok(None);
    }
    let Some(callee) = crate::reverse::callee_of(call) else {
        return Ok(None);
    };
    if callee.is_declaration() {
        return Ok(None);
    }
    let args = call.call_args();
    let mut acts = Vec::new();
    // Each duplicated argument's shadow or tangent, or the float argument
    // whose tangent takes that place later.
    let mut shadows: Vec<std::result::Result<Value, Value>> = Vec::new();
    for a in &args {
        if a.ty().is_pointer() && sh.get(*a).is_some() {
            acts.push(ArgAct::Dup);
            shadows.push(Ok(sh.of(b, *a).expect("shadow")));
        } else if a.ty().is_fp_like() && activity.is_varied(*a) {
            acts.push(ArgAct::Dup);
            shadows.push(Err(*a));
        } else {
            acts.push(ArgAct::Const);
        }
    }
    let key = DerivativeKey {
        function: callee,
        mode: crate::frontend::request::Mode::Forward,
        shape: crate::frontend::request::Shape::Combined,
        activities: acts,
        return_active: true,
        return_primal: true,
        arg_types: Vec::new(),
        uniform_pointers: false,
        width: 1,
        unchanged_args: Vec::new(),
        checked_args: Vec::new(),
        context: activity.context_globals(),
        globals: crate::kept_globals::carried(callee, activity),
        log_loads: false,
        own_shadow_args: sh.own_shadow_args(call),
        seeds_finite: false,
        nonfinite_inputs: Vec::new(),
        level: ctx.level,
        handoffs: false,
    };
    let Derivative::Forward(fwd) = ctx.get(&key).map_err(|e| e.or_at(call))? else {
        return Ok(None);
    };
    b.after(call);
    let mut all = args.clone();
    let mut pending = Vec::new();
    for s in shadows {
        match s {
            Ok(v) => all.push(v),
            Err(a) => {
                pending.push((all.len(), a));
                all.push(b.poison(a.ty()));
            }
        }
    }
    let r = b.call_like(call, fwd, &all);
    // (a call of a derivative defined in this module needs a location where
    // the function has debug info: the primal call's)
    r.copy_debug_loc(call);
    let primal = b.extract_value(r, 0);
    let shadow = b.extract_value(r, 1);
    Ok(Some((
        shadow::Substitute {
            replacement: Some(primal),
            shadow: Some(shadow),
            call: Some(r),
        },
        pending,
    )))
}
