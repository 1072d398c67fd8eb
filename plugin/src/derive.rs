//! The derivative cache: one generated function (or augmented/reverse pair)
//! per function, mode, shape and activity pattern, shared by every request
//! and every call site that needs it.
//!
//! Role: compute signatures, declare the derivative functions *before*
//! generating their bodies (so recursive and mutually recursive functions
//! call their own derivatives), run the generator, verify and simplify the
//! result. Custom derivatives registered by the user take the place of
//! generated ones.

use crate::custom::CustomRules;
use crate::error::{Error, Result};
use crate::frontend::request::{Activity as ArgAct, DerivativeKey, Mode, Shape};
use crate::shim::{self, Options};
use crate::{forward, prepare, reverse};
use ferment_ir::{Module, Type, Value};
use hashbrown::HashMap;

/// A generated (or user-supplied) derivative.
#[derive(Clone, Copy, Debug)]
pub enum Derivative {
    /// Reverse mode, both sweeps: `(primal params, shadows, [d_ret]) -> {d_active_args}`.
    Combined(Value),
    /// Reverse mode in two parts: `aug(primal params, shadows, frame storage) -> {tape,
    /// [primal], [shadow]}` and `rev(primal params, shadows, [d_ret], tape, i1 free_tape) ->
    /// {d_active_args}`. The tape is the augmented function's frame: in the storage the
    /// caller passes (a fixed-size block in the caller's own frame or tape row, see
    /// [`Ctx::frame_layout`]), or, when that pointer is null, on the heap (the reverse
    /// function frees it then).
    Split { aug: Value, rev: Value },
    /// A user's custom gradient (Enzyme's interleaved convention).
    CustomSplit { aug: Value, rev: Value },
    /// Forward mode: `(primal params, tangents) -> {[primal], [tangent]}`.
    Forward(Value),
    /// A user's custom forward derivative (interleaved convention).
    CustomForward(Value),
    /// A user's split forward rule (`__enzyme_register_splitderivative`):
    /// `aug` gives `__enzyme_augmentfwd` its tape (and primal), `fwd` is
    /// `__enzyme_fwdsplit`'s derivative, taking that tape last.
    CustomFwdSplit { aug: Value, fwd: Value },
}

pub struct Ctx<'o> {
    pub module: Module,
    pub options: &'o Options,
    /// The host pipeline's speed-up level (0..3).
    pub opt_level: u32,
    /// Keyed by functions (`DerivativeKey::function`, `globals`): the only
    /// functions deleted while a `Ctx` lives that can be keys or
    /// derivatives are those [`Ctx::rollback`] deletes, with their entries
    /// here, in `frames` and in `inputs_matter`; the others (analysis
    /// copies, helpers a generator makes and drops) never reach these maps.
    cache: HashMap<DerivativeKey, Derivative>,
    /// Split pair with `DerivativeKey::log_loads`: the log's header in the
    /// augmented function's frame, from `reverse::generate` to
    /// [`crate::fwdsplit::instrument_augmented`].
    pub(crate) log_header: Option<Value>,
    /// Functions the module asks a `__enzyme_fwdsplit` of (as the requests
    /// name them, before specialization): their `__enzyme_augmentfwd` /
    /// `__enzyme_reverse` pairs write the log it reads.
    pub fwdsplit_functions: Vec<Value>,
    /// `__enzyme_fwdsplit` calls without `enzyme_nofree` (they consume the
    /// tape), as the function each asks for and the call's source location
    /// (taken when listed: the call may be erased, a failed request made a
    /// trap, before the warning): warned about where the function's tape has
    /// parts only `__enzyme_reverse` frees.
    pub fwdsplit_consuming: Vec<(Value, Option<String>)>,
    /// Keys of generated derivatives, in the order they were declared (see
    /// [`Ctx::rollback`]).
    declared: Vec<DerivativeKey>,
    /// Keys whose derivatives are being generated (outermost first).
    in_progress: Vec<DerivativeKey>,
    /// The nesting depth of the request being lowered
    /// (`DerivativeKey::level`): the derivatives of calls that stay calls
    /// are made at their caller's level.
    pub level: u32,
    pub custom: CustomRules,
    /// Generated functions, simplified by [`Ctx::finish`] once every
    /// request is lowered (their call sites are known then).
    generated: Vec<Value>,
    /// `__enzyme_function_like` functions and the declarations standing for
    /// them while derivatives are generated: a declaration named
    /// `__ferment_like_<libm name>.<function>` has that libm function's rule.
    /// [`Ctx::finish`] turns calls of it back into calls of the function.
    like: Vec<(Value, Value)>,
    /// Other stand-ins, replaced back the same way: `__ferment_alloc_like.
    /// <size arg>.<f>` and `__ferment_free_like.<f>` for the functions of an
    /// `__enzyme_allocation_like` pair (the memory analysis reads the size
    /// argument from the name), and `__ferment_inactive.<g>` (a global
    /// declaration the memory analysis never shadows) for each
    /// `__enzyme_inactive_global`. Calls and uses in canonical copies go
    /// to the stand-in; `.0` is the user's function or global.
    stand_ins: Vec<(Value, Value)>,
    /// Size and alignment of the frame of each generated augmented forward
    /// function (known once its body is complete).
    frames: HashMap<Value, FrameLayout>,
    /// Fixed-point loops already warned about in reverse mode.
    warned_fixed_points: Vec<Value>,
    /// Per function, whether its derivative may depend on its
    /// `DerivativeKey::nonfinite_inputs` ([`rules::finite::inputs_matter`]).
    inputs_matter: HashMap<Value, bool>,
    /// Per request's (or parallel region's) function, whether heap memory
    /// may go from a function it reaches that allocates it to another that
    /// frees it ([`Ctx::tree_handoffs`]).
    handoff_trees: HashMap<Value, bool>,
}

/// String attribute of an augmented forward function's last parameter, the
/// storage for its frame (null: the function takes it from the heap). A
/// derivative of a function calling it (forward mode over split mode) gives
/// a null storage argument the null shadow ([`is_frame_storage`]).
pub const FRAME_STORAGE: &str = "ferment-frame-storage";

/// Whether argument `i` of `call` is the frame storage of a ferment
/// augmented function ([`FRAME_STORAGE`]).
pub fn is_frame_storage(call: Value, i: usize) -> bool {
    call.called_function()
        .is_some_and(|f| f.param_string_attribute(i as u32, FRAME_STORAGE).is_some())
}

/// Bytes and alignment of an augmented forward function's frame: what a
/// caller reserves to pass it storage instead of letting it call `malloc`.
#[derive(Clone, Copy, Debug)]
pub struct FrameLayout {
    pub size: u64,
    pub align: u64,
}

/// Signature pieces of a reverse-mode derivative.
pub struct ReverseSignature {
    /// Primal parameters followed by the shadows of duplicated ones
    /// (batched: `width` shadows each, one per lane).
    pub inputs: Vec<Type>,
    /// Type of the return value's adjoint, when it is seeded (batched: one
    /// seed per lane follows the inputs).
    pub seed: Option<Type>,
    /// The number of adjoint lanes (1 unless batched).
    pub width: usize,
    /// `{d_active_args}` (batched: `{[width x T]...}`, each active
    /// argument's adjoints in its lanes)
    pub gradients: Type,
    /// `{tape, [primal], [shadow]}` of the augmented forward sweep.
    pub augmented: Type,
    pub returns_primal: bool,
    pub returns_shadow: bool,
}

pub fn reverse_signature(module: Module, key: &DerivativeKey) -> ReverseSignature {
    let ctx = module.context();
    let fn_ty = key.function.global_value_type();
    let params = fn_ty.fn_params();
    let width = key.width.max(1) as usize;
    let mut inputs = params.clone();
    for (p, act) in params.iter().zip(&key.activities) {
        if act.has_shadow() {
            inputs.extend(std::iter::repeat_n(*p, width));
        }
    }
    let ret = fn_ty.fn_return();
    let seed = (key.return_active && ret.is_fp_value()).then_some(ret);
    let grads: Vec<Type> = params
        .iter()
        .zip(&key.activities)
        .filter(|(_, a)| **a == ArgAct::Active)
        .map(|(t, _)| match width {
            1 => *t,
            w => Type::array(*t, w as u64),
        })
        .collect();
    let returns_primal = !ret.is_void();
    let returns_shadow = key.return_active && ret.is_pointer();
    let mut aug = vec![Type::ptr(ctx)];
    if returns_primal {
        aug.push(ret);
    }
    if returns_shadow {
        aug.push(ret);
    }
    ReverseSignature {
        inputs,
        seed,
        width,
        // Nothing to return is `void` (an empty struct is not valid on every
        // target, e.g. PTX).
        gradients: if grads.is_empty() {
            Type::void(ctx)
        } else {
            Type::literal_struct(ctx, &grads)
        },
        augmented: Type::literal_struct(ctx, &aug),
        returns_primal,
        returns_shadow,
    }
}

impl<'o> Ctx<'o> {
    pub fn new(module: Module, options: &'o Options, opt_level: u32) -> Ctx<'o> {
        Ctx {
            module,
            options,
            opt_level,
            cache: HashMap::new(),
            declared: Vec::new(),
            in_progress: Vec::new(),
            level: 1,
            custom: CustomRules::read(module),
            generated: Vec::new(),
            like: Vec::new(),
            stand_ins: Vec::new(),
            frames: HashMap::new(),
            inputs_matter: HashMap::new(),
            log_header: None,
            fwdsplit_functions: Vec::new(),
            fwdsplit_consuming: Vec::new(),
            warned_fixed_points: Vec::new(),
            handoff_trees: HashMap::new(),
        }
    }

    /// Declares the stand-ins of the module's function-like functions.
    pub fn set_function_like(&mut self, like: &[(Value, &str)]) {
        for &(f, name) in like {
            let alias = self.module.add_function(
                &format!("__ferment_like_{name}.{}", f.name()),
                f.global_value_type(),
            );
            self.like.push((f, alias));
        }
    }

    /// Declares the stand-ins of the module's allocation-like functions and
    /// inactive globals.
    pub fn set_memory_annotations(
        &mut self,
        allocators: &[crate::annotations::AllocationLike],
        inactive_globals: &[Value],
    ) {
        for a in allocators {
            let name = a.alloc.name();
            let alloc = self.module.add_function(
                &format!("__ferment_alloc_like.{}.{name}", a.size_arg),
                a.alloc.global_value_type(),
            );
            let spec: Vec<String> = a
                .dealloc_args
                .iter()
                .map(|k| k.map_or("p".to_string(), |k| k.to_string()))
                .collect();
            let dealloc = self.module.add_function(
                &format!("__ferment_free_like.{}.{name}", spec.join("_")),
                a.dealloc.global_value_type(),
            );
            self.stand_ins.push((a.alloc, alloc));
            self.stand_ins.push((a.dealloc, dealloc));
        }
        for &g in inactive_globals {
            let stand_in = self.module.add_global_declaration(
                &format!("__ferment_inactive.{}", g.name()),
                g.global_value_type(),
            );
            self.stand_ins.push((g, stand_in));
        }
    }

    /// A canonical copy of `function` for a question about it (the caller
    /// deletes it).
    pub fn analysis_copy(&self, function: Value) -> Result<Value> {
        self.canonical_copy(function, true)
    }

    /// The canonical copy of `function`: its body, inlined and simplified,
    /// with calls of function-like functions going to their stand-ins. A
    /// function-like function itself becomes one call of its stand-in.
    /// Fixed-point loops stay calls (each mode differentiates them as a
    /// whole); checkpointed time loops stay calls unless `forward` (forward
    /// mode inlines them).
    fn canonical_copy(&self, function: Value, forward: bool) -> Result<Value> {
        let _t = crate::timing::scope("canonical copy (clone, inline, lower)");
        let fname = function.name();
        let name = format!("ferment.primal.{fname}");
        if let Some(&(_, alias)) = self.like.iter().find(|(f, _)| *f == function) {
            let copy = self
                .module
                .add_function(&name, function.global_value_type());
            let b = ferment_ir::Builder::new(self.module);
            b.at_end(copy.append_block("entry"));
            let r = b.call_fn(alias, &copy.params());
            b.ret(r);
            return Ok(copy);
        }
        let mut keep = self.custom.functions();
        // Fixed-point loops stay calls, which each mode differentiates as a
        // whole (`forward::fixed_point`, `reverse::fixed_point`).
        keep.extend(self.module.functions().into_iter().filter(|f| {
            f.name()
                .starts_with(crate::frontend::loops::FIXED_POINT_PREFIX)
        }));
        // Checkpointed time loops stay calls in reverse mode, which
        // differentiates them with snapshots (`reverse::checkpoint`).
        if !forward {
            keep.extend(self.module.functions().into_iter().filter(|f| {
                f.name()
                    .starts_with(crate::frontend::loops::CHECKPOINT_PREFIX)
            }));
        }
        keep.extend(crate::frontend::user_inactive_list());
        keep.extend(self.like.iter().map(|(f, _)| *f));
        keep.extend(
            self.stand_ins
                .iter()
                .filter(|(f, _)| f.is_function())
                .map(|(f, _)| *f),
        );
        let copy = prepare::canonical_copy(function, &name, self.options, &keep, forward)?;
        for &(g, stand_in) in &self.stand_ins {
            if !g.is_function() {
                crate::shim::replace_global_in_function(g, stand_in, copy);
            }
        }
        for inst in copy.instructions() {
            if !inst.is_call() {
                continue;
            }
            let callee = inst.called_operand();
            let alias = self
                .like
                .iter()
                .chain(&self.stand_ins)
                .find(|(f, _)| *f == callee);
            if let Some(&(_, alias)) = alias {
                inst.set_operand(inst.num_operands() - 1, alias);
            } else {
                pure_math_call(inst);
            }
        }
        Ok(copy)
    }

    /// The frame of augmented forward function `aug`, once it is generated
    /// (`None` while it is being generated: a recursive call's frame goes
    /// on the heap).
    pub fn frame_layout(&self, aug: Value) -> Option<FrameLayout> {
        self.frames.get(&aug).copied()
    }

    pub(crate) fn set_frame_layout(&mut self, aug: Value, layout: FrameLayout) {
        self.frames.insert(aug, layout);
    }

    /// Whether the functions `root` (a request's function, or a parallel
    /// region) may call hand heap memory from one that allocates it to
    /// another that frees it: the derivative then records frees and looks
    /// allocations up in the list of freed pointers (`DerivativeKey::
    /// handoffs`, [`reverse::memory::handoffs_needed`]). Decided once per
    /// function, on the user's code.
    pub(crate) fn tree_handoffs(&mut self, root: Value) -> bool {
        let module = self.module;
        *self.handoff_trees.entry(root).or_insert_with(|| {
            reverse::handoffs_supported(module) && reverse::memory::handoffs_needed(root)
        })
    }

    /// The derivative for `key`, generated on first use.
    pub fn get(&mut self, key: &DerivativeKey) -> Result<Derivative> {
        if key.seeds_finite
            && key.mode == Mode::Reverse
            && !key.handoffs
            && self.tree_handoffs(key.function)
        {
            // a request's reverse sweep opens the frame its calls' share
            let key = DerivativeKey {
                handoffs: true,
                ..key.clone()
            };
            return self.get(&key);
        }
        if key.nonfinite_inputs.is_empty() {
            return self.get_normalized(key);
        }
        let key = self.normalize_inputs(key);
        self.get_normalized(&key)
    }

    /// `key` with `DerivativeKey::nonfinite_inputs` emptied where they
    /// cannot change the derivative (nothing flagged, or a function that
    /// never multiplies by what it reads: [`rules::finite::inputs_matter`]),
    /// and all set where the function calls itself and any is: each level
    /// of the recursion flags other inputs (multigrid's `vcycle(nc, 2 * h,
    /// ec, rc)` its coarse residual, its caller the fine grid), and one
    /// derivative flagging all serves every level ([`Ctx::get_normalized`]).
    fn normalize_inputs(&mut self, key: &DerivativeKey) -> DerivativeKey {
        let mut key = key.clone();
        let f = key.function;
        let matter = key.nonfinite_inputs.contains(&true)
            && *self
                .inputs_matter
                .entry(f)
                .or_insert_with(|| crate::rules::finite::inputs_matter(f));
        if !matter {
            key.nonfinite_inputs.clear();
        } else if calls_itself(f) {
            key.nonfinite_inputs.fill(true);
        }
        key
    }

    fn get_normalized(&mut self, key: &DerivativeKey) -> Result<Derivative> {
        if let Some(d) = self.cache.get(key) {
            return Ok(*d);
        }
        // Recursion reuses the derivative being generated, whatever the
        // recursive call knows about types (otherwise type facts that shift
        // at every level would ask for ever new derivatives), where that
        // derivative counts at least the inputs this call flags as possibly
        // nonfinite (more flags only add guards).
        let base = key.without_types().without_inputs();
        if let Some(k) = self.in_progress.iter().find(|k| {
            k.without_types().without_inputs() == base
                && covers(&k.nonfinite_inputs, &key.nonfinite_inputs)
        }) {
            return Ok(self.cache[k]);
        }
        if let Some(d) = self.custom.lookup(key) {
            return Ok(d);
        }
        let fname = key.function.name();
        if let (Mode::Reverse, Shape::Combined, Some((aug, rev))) =
            (key.mode, key.shape, self.custom.gradient_of(key.function))
        {
            // The user's rule applies at the top level too.
            let (declared, f) = self.declare(key);
            crate::custom::fill_combined(self.module, key, aug, rev, f)
                .inspect_err(|_| f.delete_function())?;
            self.cache.insert(key.clone(), declared);
            return Ok(declared);
        }
        if key.function.is_declaration() {
            return Err(Error::new(format!(
                "function '{fname}' has no definition in this module"
            )));
        }
        if key.function.global_value_type().fn_is_vararg() {
            // Its variadic arguments travel through `va_list` memory that
            // has no shadow: refuse in every mode, before any sweep looks
            // at the (fixed) parameter list.
            return Err(Error::new(format!(
                "cannot differentiate the variadic function '{fname}': its `...` arguments carry no derivative"
            ))
            .hint("pass the values in an array (a double* and a count) instead of `...`"));
        }
        let (declared, body_target) = self.declare(key);
        let mark = self.declared.len();
        self.declared.push(key.clone());
        self.cache.insert(key.clone(), declared);
        self.in_progress.push(key.clone());
        let result = self.generate(key, declared, body_target);
        self.in_progress.pop();
        if let Err(e) = result {
            self.rollback(mark);
            return Err(e);
        }
        Ok(declared)
    }

    /// Forgets and deletes the derivatives declared since `mark`: the one
    /// that failed and those generated for its callees meanwhile, which may
    /// call it (mutual recursion). The compile goes on after a failure
    /// where batched mode falls back to lane by lane (`frontend::batch`),
    /// so none of them may stay behind half-made or calling a deleted
    /// function.
    fn rollback(&mut self, mark: usize) {
        let keys: Vec<DerivativeKey> = self.declared.drain(mark..).collect();
        let mut fns = Vec::new();
        for k in &keys {
            if let Some(d) = self.cache.remove(k) {
                fns.extend(functions_of(d));
            }
        }
        self.generated.retain(|g| !fns.contains(g));
        for f in &fns {
            // A later function may take the deleted one's address (a
            // derivative of a derivative asks `inputs_matter` of it).
            self.frames.remove(f);
            self.inputs_matter.remove(f);
        }
        for f in &fns {
            // Uses first (they may call each other), deletion second.
            f.replace_all_uses_with(Value(unsafe { llvm_sys::core::LLVMGetPoison(f.ty().0) }));
        }
        for f in fns {
            f.delete_function();
        }
    }

    fn declare(&self, key: &DerivativeKey) -> (Derivative, Value) {
        let m = self.module;
        let fname = key.function.name();
        match (key.mode, key.shape) {
            (Mode::Forward, _) => {
                let ty = forward::signature(m, key);
                let name = format!("ferment.fwddiffe.{}{fname}", width_tag(key));
                let f = m.add_function(&name, ty);
                prepare_declaration(key.function, f);
                (Derivative::Forward(f), f)
            }
            (Mode::Reverse, Shape::Combined) => {
                let sig = reverse_signature(m, key);
                let mut inputs = sig.inputs.clone();
                inputs.extend(sig.seed.map(|t| vec![t; sig.width]).unwrap_or_default());
                let f = m.add_function(
                    &format!("ferment.diffe.{}{fname}", width_tag(key)),
                    Type::function(sig.gradients, &inputs, false),
                );
                prepare_declaration(key.function, f);
                (Derivative::Combined(f), f)
            }
            (Mode::Reverse, Shape::Split) => {
                let sig = reverse_signature(m, key);
                // The last parameter: storage for the frame, or null.
                let mut ain = sig.inputs.clone();
                ain.push(Type::ptr(m.context()));
                let aug = m.add_function(
                    &format!("ferment.augmented.{}{fname}", width_tag(key)),
                    Type::function(sig.augmented, &ain, false),
                );
                let mut rin = sig.inputs.clone();
                rin.extend(sig.seed.map(|t| vec![t; sig.width]).unwrap_or_default());
                rin.push(Type::ptr(m.context()));
                rin.push(Type::int(m.context(), 1));
                let rev = m.add_function(
                    &format!("ferment.reverse.{}{fname}", width_tag(key)),
                    Type::function(sig.gradients, &rin, false),
                );
                prepare_declaration(key.function, aug);
                prepare_declaration(key.function, rev);
                (Derivative::Split { aug, rev }, aug)
            }
        }
    }

    fn generate(&mut self, key: &DerivativeKey, declared: Derivative, target: Value) -> Result<()> {
        let fname = key.function.name();
        let special = match declared {
            Derivative::Forward(f) if forward::fixed_point::applies(key) => {
                forward::fixed_point::generate(self, key, f)?;
                true
            }
            Derivative::Split { aug, rev } if reverse::checkpoint::applies(key) => {
                reverse::checkpoint::generate(self, key, aug, rev)?;
                true
            }
            Derivative::Split { aug, rev } if reverse::fixed_point::applies(key) => {
                reverse::fixed_point::generate(self, key, aug, rev)?;
                true
            }
            _ => false,
        };
        if special && key.log_loads {
            return Err(Error::new(format!(
                "__enzyme_fwdsplit of the fixed-point loop '{fname}' is not supported"
            ))
            .hint("use __enzyme_fwddiff"));
        }
        // `__enzyme_fwdsplit`: the loads of the canonical copy, numbered.
        let mut logged = None;
        if !special {
            let forward = key.mode == crate::frontend::request::Mode::Forward;
            if !forward {
                // A fixed-point loop differentiated through its iterations
                // (where `reverse::fixed_point` does not apply) says so.
                crate::frontend::loops::warn_fixed_point_in_reverse(
                    self.module,
                    key,
                    &mut self.warned_fixed_points,
                );
            }
            let canonical = self.canonical_copy(key.function, forward)?;
            shim::move_body(canonical, target);
            if matches!(declared, Derivative::Combined(_)) {
                reverse::rows::outline(self, key, target)?;
            }
            if key.log_loads {
                let forward = key.mode == crate::frontend::request::Mode::Forward;
                logged = Some(crate::fwdsplit::number(target, &fname, forward)?);
            }
        }
        let generating = crate::timing::scope("derivative generation");
        match declared {
            _ if special => {}
            Derivative::Forward(f) => {
                forward::generate(self, key, f)?;
                if let Some(count) = logged {
                    crate::fwdsplit::read_from_log(self.module, f, &fname, count)?;
                }
            }
            Derivative::Combined(f) => reverse::generate(self, key, f, None)?,
            Derivative::Split { aug, rev } => {
                reverse::generate(self, key, aug, Some(rev))?;
                if let Some(count) = logged {
                    let header = self.log_header.take().ok_or_else(|| {
                        Error::new(format!(
                            "internal error: the augmented function of '{fname}' has no log"
                        ))
                    })?;
                    crate::fwdsplit::instrument_augmented(self.module, aug, &fname, count, header)?;
                }
            }
            Derivative::CustomSplit { .. }
            | Derivative::CustomForward(_)
            | Derivative::CustomFwdSplit { .. } => {}
        }
        if let Derivative::Split { aug, .. } = declared {
            // (after the body moved in, which drops parameter attributes)
            let last = aug.global_value_type().fn_params().len() as u32 - 1;
            aug.add_param_string_attribute(last, FRAME_STORAGE, "");
        }
        for f in functions_of(declared) {
            crate::openmp::restore_forks(f)?;
            if let Derivative::Forward(_) = declared {
                crate::openmp::drop_tickets(f);
            }
        }
        drop(generating);
        if std::env::var_os("FERMENT_PRINT_RAW").is_some() {
            for f in functions_of(declared) {
                eprintln!("{}", f.describe());
            }
        }
        let _t = crate::timing::scope("verifier");
        for f in functions_of(declared) {
            if let Err(report) = shim::verify_function(f) {
                let text = f.describe();
                return Err(Error::new(format!(
                    "internal error: the derivative '{}' of '{fname}' failed LLVM's verifier:\n{report}\n{text}",
                    f.name()
                )));
            }
        }
        self.generated.extend(functions_of(declared));
        Ok(())
    }

    /// Simplifies the derivatives generated by this run. Called once all
    /// requests are lowered: a derivative with a single call site first
    /// takes that call's constant arguments (step sizes, coefficients, seeds
    /// of one), which the host's interprocedural constant propagation would
    /// have given it had it existed earlier in the pipeline.
    pub fn finish(&mut self) -> Vec<Error> {
        let mut errors = Vec::new();
        for (f, alias) in std::mem::take(&mut self.like) {
            alias.replace_all_uses_with(f);
            alias.delete_function();
        }
        for (v, stand_in) in std::mem::take(&mut self.stand_ins) {
            stand_in.replace_all_uses_with(v);
            if v.is_function() {
                stand_in.delete_function();
            } else {
                stand_in.delete_global();
            }
        }
        crate::shim::infer_lib_attributes(self.module);
        let simplify = std::env::var_os("FERMENT_NO_SIMPLIFY").is_none();
        let mut generated = std::mem::take(&mut self.generated);
        if simplify {
            reverse::rows::inline_rows(&mut generated);
        }
        for &f in &generated {
            if simplify {
                let generated = crate::timing::enabled().then(|| f.instructions().len());
                bind_constant_arguments(f);
                if let Err(e) = prepare::simplify_derivative(f, self.opt_level) {
                    errors.push(e);
                }
                crate::timing::note(|| {
                    format!(
                        "{}: {} instructions generated, {} after simplification",
                        f.name(),
                        generated.unwrap_or(0),
                        f.instructions().len()
                    )
                });
            }
            if self.options.print != 0 {
                eprintln!("{}", f.describe());
            }
        }
        let plain = crate::openmp::define_team_copies(self.module);
        if simplify && self.opt_level > 0 {
            // A region's reverse for a team of one, and the private-range
            // loops of a team's, add plainly: their stencil accumulations
            // may now be rotated, so that those loops vectorize.
            for f in plain {
                if let Err(e) = prepare::rotate_plain_accumulations(f) {
                    errors.push(e);
                }
            }
            // A parallel region's writes into a local nobody reads (the
            // primal's reduced return value): dropped, and what computed
            // them with them.
            for f in crate::openmp_unobserved::drop_unobserved_writes(&generated) {
                if let Err(e) = prepare::simplify_after_dropped_writes(f) {
                    errors.push(e);
                }
            }
            // Worksharing loops left with nothing to balance in a region's
            // forward sweep deal their chunks round-robin, so the reverse
            // sweep that replays them shares its work among the threads.
            crate::openmp::deal_idle_schedules(&generated);
        }
        // The derivative's run-time-scheduled loops avoid libomp's
        // work-stealing dispatcher (an open race under load).
        crate::openmp::monotonic_dispatch(self.module);
        errors
    }
}

/// A libm call in a derivative is pure: the `errno` it may set (under the
/// default `-fmath-errno`) is no observable of a derivative. Saying so lets
/// the derivative's simplification drop a primal call whose result the
/// derivative does not need (`pow(x, i)` when only `pow(x, i - 1)` is), and
/// hoist or merge the rest.
fn pure_math_call(call: Value) {
    if !is_pure_math_call(call) {
        return;
    }
    call.add_call_enum_attribute("memory", 0);
    call.add_call_enum_attribute("nounwind", 0);
    call.add_call_enum_attribute("willreturn", 0);
}

/// Whether `call` calls a libm function whose only memory effect is the
/// `errno` it may set (not frexp, modf, remquo, lgamma_r: they write
/// through a pointer).
pub(crate) fn is_pure_math_call(call: Value) -> bool {
    let Some(f) = call.called_function() else {
        return false;
    };
    let name = f.name();
    let Some(rule) = crate::rules::call_rule(&name) else {
        return false;
    };
    f.is_declaration() && !name.starts_with("llvm.") && rule.writes.is_empty()
}

/// Replaces each parameter of the internal function `f` by the constant
/// its only call site passes (if it has exactly one, a direct call).
fn bind_constant_arguments(f: Value) {
    let users = f.users();
    let [call] = users.as_slice() else {
        return;
    };
    if !call.is_call() || call.called_operand() != f {
        return;
    }
    let args = call.call_args();
    if args.contains(&f) {
        return;
    }
    for (param, arg) in f.params().into_iter().zip(args) {
        if arg.is_constant() && !arg.is_undef() && param.has_uses() {
            param.replace_all_uses_with(arg);
        }
    }
}

fn functions_of(d: Derivative) -> Vec<Value> {
    match d {
        Derivative::Combined(f) | Derivative::Forward(f) => vec![f],
        Derivative::Split { aug, rev } => vec![aug, rev],
        Derivative::CustomSplit { .. }
        | Derivative::CustomForward(_)
        | Derivative::CustomFwdSplit { .. } => vec![],
    }
}

/// `x<N>.` in the name of a batched derivative (width N > 1), else nothing.
/// What a derivative's name says about its variant: `ctx.` under
/// `enzyme_context`, `x<N>.` for N lanes.
fn width_tag(key: &DerivativeKey) -> String {
    let context = if key.context { "ctx." } else { "" };
    match key.width {
        0 | 1 => context.to_string(),
        w => format!("{context}x{w}."),
    }
}

/// Internal linkage and the primal's target attributes.
fn prepare_declaration(primal: Value, f: Value) {
    shim::copy_fn_attributes(primal, f);
    f.set_internal();
}

/// Activity of a derivative's body, with calls that stay calls analyzed
/// interprocedurally (per-callee summaries) and type-analysis facts.
pub fn analyze_activity(
    ctx: &Ctx,
    f: Value,
    seeds: &ferment_activity_analysis::Seeds,
    types: &ferment_type_analysis::FunctionTypes,
) -> ferment_activity_analysis::Activity {
    let inactive = crate::frontend::user_inactive_list();
    let summarize =
        |g: Value| !g.is_declaration() && !ctx.custom.has_gradient(g) && !inactive.contains(&g);
    let actx = ferment_activity_analysis::Context::new(&crate::frontend::is_inactive_call)
        .interprocedural(&summarize)
        .with_types(types)
        .with_known_calls(&crate::rules::known_effects)
        .assume_useful(ctx.options.all_useful != 0)
        .context_globals(seeds.context_globals)
        .pointer_copy_sources(ctx.options.inline_callees == 0);
    let _t = crate::timing::scope("activity analysis");
    ferment_activity_analysis::Activity::analyze_with(f, seeds, &actx)
}

/// Deepest path of a type tree passed from a caller to a callee's analysis.
const ARG_TYPE_DEPTH: usize = 3;

/// The part of a pointer argument's type tree that a callee's analysis is
/// seeded with: its memory, a few dereferences deep.
pub fn argument_memory(tree: &ferment_type_analysis::TypeTree) -> ferment_type_analysis::TypeTree {
    tree.filter(|p, _| p.len() >= 2 && p.len() <= ARG_TYPE_DEPTH)
}

/// `tree` without the repeats of a periodic layout: where the facts about
/// the memory one pointer reaches (the entries sharing a path prefix) agree
/// with themselves shifted by `P` bytes (an array of `P`-byte elements,
/// each element known as far as the caller happened to see it), only the
/// first `P` bytes stay. `P` is the distance from the lowest fact to a copy
/// of it (or, one level down, the period of the level above: a pointer
/// into an element of the same array), no fact may disagree with the one
/// `P` bytes before it, the facts must span at least three elements (two
/// in memory that a pointer inside the argument's memory reaches), and
/// the first element as well as the rest must hold at least two of them
/// (so `{double x, y, z}` is no array of doubles).
/// Dropping facts is sound (the callee's analysis assumes less); it makes
/// call sites that see the same array to different depths (the halves a
/// merge sort passes on) ask for one derivative instead of one each.
pub fn fold_periods(tree: &ferment_type_analysis::TypeTree) -> ferment_type_analysis::TypeTree {
    use std::collections::BTreeMap;
    // prefix -> (offset, rest of the path) -> type
    type Group = BTreeMap<(i64, Vec<i64>), ferment_type_analysis::BaseType>;
    let mut tree = tree.clone();
    let mut above: BTreeMap<Vec<i64>, i64> = BTreeMap::new();
    for level in 1..ARG_TYPE_DEPTH {
        let mut groups: BTreeMap<Vec<i64>, Group> = BTreeMap::new();
        for (p, t) in tree.iter() {
            if p.len() > level && p[level] >= 0 {
                groups
                    .entry(p[..level].to_vec())
                    .or_default()
                    .insert((p[level], p[level + 1..].to_vec()), t);
            }
        }
        let mut cut: BTreeMap<Vec<i64>, i64> = BTreeMap::new();
        for (prefix, g) in &groups {
            let (Some(((lowest, lowest_rest), lowest_ty)), Some(((highest, _), _))) =
                (g.iter().next(), g.iter().next_back())
            else {
                continue;
            };
            // elements seen past the first: two in the argument's own
            // memory, one deeper (memory a pointer in it reaches, often a
            // pointer into the same array: a string's data pointer at its
            // own buffer in a vector of structs, seen one element further
            // on at some call sites than at others)
            let spans = if level == 1 { 2 } else { 1 };
            let repeats = |p: i64| {
                p > 0
                    && *highest >= lowest + spans * p
                    && (level == 1 || g.range((lowest + p, Vec::new())..).count() >= 2)
                    && g.range((*lowest, Vec::new())..(lowest + p, Vec::new()))
                        .count()
                        >= 2
                    && g.iter()
                        .filter(|(k, _)| k.0 >= lowest + p)
                        .all(|((o, rest), t)| g.get(&(o - p, rest.clone())).is_none_or(|u| u == t))
            };
            let inherited = above
                .iter()
                .find(|(q, _)| prefix.starts_with(q))
                .map(|(_, p)| *p);
            let period = g
                .iter()
                .filter(|((o, rest), t)| rest == lowest_rest && *t == lowest_ty && o > lowest)
                .map(|((o, _), _)| o - lowest)
                .chain(inherited)
                .filter(|&p| repeats(p))
                .min();
            if let Some(p) = period {
                cut.insert(prefix.clone(), lowest + p);
            }
        }
        if !cut.is_empty() {
            tree = tree.filter(|p, _| {
                !(p.len() > level && cut.get(&p[..level]).is_some_and(|end| p[level] >= *end))
            });
        }
        for (prefix, end) in cut {
            let lowest = groups[&prefix].keys().next().map_or(0, |k| k.0);
            above.insert(prefix, end - lowest);
        }
    }
    tree
}

/// What `types` knows about the memory behind each pointer argument, as
/// printed type trees (see [`DerivativeKey::arg_types`]); empty when
/// nothing is known about any of them.
pub fn arg_types(types: &ferment_type_analysis::FunctionTypes, args: &[Value]) -> Vec<String> {
    let out: Vec<String> = args
        .iter()
        .map(|a| {
            if !a.ty().is_pointer() {
                return String::new();
            }
            let t = fold_periods(&argument_memory(&types.tree(*a)));
            if t.is_empty() {
                String::new()
            } else {
                t.to_string()
            }
        })
        .collect();
    if out.iter().all(String::is_empty) {
        Vec::new()
    } else {
        out
    }
}

/// The parameters of `f` (a derivative's copy of `key.function`: its first
/// parameters are the primal ones) that may stand for their own shadows or
/// point to memory holding such pointers, with their bits
/// (`DerivativeKey::own_shadow_args`).
pub fn own_shadow_params(key: &DerivativeKey, params: &[Value]) -> Vec<(Value, u8)> {
    key.own_shadow_args
        .iter()
        .zip(params)
        .filter(|(own, _)| **own != 0)
        .map(|(own, p)| (*p, *own))
        .collect()
}

/// Whether a derivative flagging the inputs `have` (a
/// `DerivativeKey::nonfinite_inputs`) counts every input `want` flags.
fn covers(have: &[bool], want: &[bool]) -> bool {
    !want.contains(&true)
        || (have.len() == want.len() && have.iter().zip(want).all(|(h, w)| *h || !*w))
}

/// Whether `f` calls itself directly.
fn calls_itself(f: Value) -> bool {
    f.blocks()
        .iter()
        .flat_map(|b| b.instructions())
        .any(|i| i.is_call() && i.called_function() == Some(f))
}
