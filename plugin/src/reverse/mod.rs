//! Reverse mode: the augmented forward sweep and the reverse sweep, either in
//! one function (combined shape) or in an augmented forward function that
//! returns its tape and a reverse function that consumes it (split shape,
//! used for calls to functions that are not inlined and for the user's
//! `__enzyme_augmentfwd` / `__enzyme_reverse`).
//!
//! Layout (`F` is the canonical copy, moved into the declared derivative):
//! - the primal blocks of `F`, unchanged except that every `ret` seeds the
//!   returned value's adjoint and branches to the reverse of its block;
//! - one reverse block per primal block, visiting its instructions backwards
//!   and accumulating adjoints (`d_x += partial * d_y`);
//! - blocks with several predecessors record which edge was taken (a phi in
//!   the forward sweep) so the reverse sweep can walk the same path back,
//!   propagating phi adjoints along that edge;
//! - `rev.exit` returns the adjoints of the active arguments.
//! - split shape: each `ret` instead returns `{tape, primal, [shadow]}` and
//!   the reverse function's entry dispatches on which `ret` was taken;
//! - calls to other differentiated functions become calls to their
//!   augmented forward functions; the reverse sweep calls their reverse
//!   functions with the tape they returned ([`calls`]).
//!
//! Adjoints live in zero-initialized stack slots and primal values needed by
//! the reverse sweep are cached in stack slots ([`tape::Tape`]); `mem2reg`
//! afterwards turns both into SSA registers.

mod adjoint;
mod blas;
pub(crate) mod calls;
pub mod checkpoint;
pub(crate) mod checkpoint_writes;
mod edges;
mod ends;
pub mod fixed_point;
mod handoffs;
mod memory_adjoints;
mod mpi;
pub use calls::{callee_of, check_call_return};
pub(crate) use calls::{decode_custom_augmented, interleave};
pub(crate) use handoffs::supported as handoffs_supported;
pub(crate) mod memory;
mod rereads;
pub mod rows;
pub mod tape;

use crate::cfg::loops::Loops;
use crate::cfg::Cfg;
use crate::derive::{Ctx, ReverseSignature};
use crate::error::{Error, Result};
use crate::frontend::request::{Activity as ArgAct, DerivativeKey};
use crate::rules::{self, Site};
use crate::shadow::{self, Shadows};
use adjoint::Adjoints;
use ferment_activity_analysis::Activity;
use ferment_ir::{Block, Builder, IntPredicate, Module, Opcode, Type, Value};
use hashbrown::HashMap;
use tape::Tape;

/// Fills the declared derivative `f` (combined, or the augmented forward
/// part when `rev_fn` is given), whose body is the canonical copy of
/// `key.function`.
/// Marks a combined derivative's primal pointer parameters `noalias` where
/// the primal's are (C's `restrict`). The derivative reaches that memory
/// only as the primal does (its own accesses, and re-reads in the reverse
/// sweep through the same pointers); everything else it touches is shadow
/// memory, tape, or fresh allocations, and a shadow never overlaps its
/// primal (re-reading a `restrict` parameter in the reverse sweep already
/// relies on that). Saying so lets LLVM keep primal values (indices read from
/// a constant array, coefficients) in registers across the `+=` into
/// shadows instead of loading them again after each store. Shadow
/// parameters stay as they are: two read-only `restrict` parameters may
/// share memory, and then so may their shadows, which are written.
fn mark_restrict_params(key: &DerivativeKey, f: Value) {
    for (i, p) in f
        .params()
        .into_iter()
        .enumerate()
        .take(key.activities.len())
    {
        if p.ty().is_pointer() && key.function.param_is_noalias(i as u32) {
            f.add_param_enum_attribute(i as u32, "noalias");
        }
    }
}

pub fn generate(ctx: &mut Ctx, key: &DerivativeKey, f: Value, rev_fn: Option<Value>) -> Result<()> {
    let fname = key.function.name();
    let module = ctx.module;
    let sig = crate::derive::reverse_signature(module, key);
    let params = f.params();
    if rev_fn.is_none() && ctx.options.restrict_params != 0 {
        mark_restrict_params(key, f);
    }
    // A fresh entry block holds the tape and adjoint slots; its `br` is a
    // stable insertion point (instructions of the old entry may be replaced).
    let old_entry = f.entry_block();
    let new_entry = f.insert_block_before(old_entry, "alloca");
    Builder::new(module).at_end(new_entry);
    {
        let b = Builder::new(module);
        b.at_end(new_entry);
        b.br(old_entry);
    }
    let n_inputs = sig.inputs.len();
    let (rf, split) = match rev_fn {
        None => (f, None),
        Some(r) => {
            let entry = r.append_block("rev.entry");
            let b = Builder::new(module);
            b.at_end(entry);
            b.unreachable();
            let rparams = r.params();
            let args: HashMap<Value, Value> = params
                .iter()
                .zip(&rparams)
                .take(n_inputs)
                .map(|(a, b)| (*a, *b))
                .collect();
            (r, Some((entry, rparams[rparams.len() - 2], args)))
        }
    };
    // One seed per lane (batched: `width` adjoints of the result).
    let seeds: Vec<Value> = match sig.seed {
        Some(_) => rf.params()[n_inputs..n_inputs + sig.width].to_vec(),
        None => Vec::new(),
    };
    let free_flag = split
        .as_ref()
        .map(|_| *rf.params().last().expect("free flag"));
    let print_tape = ctx.options.print_tape != 0;
    let min_work = ctx.options.localize_min_work.max(0) as usize;
    let split = split.map(|s| (s, *params.last().expect("frame storage parameter")));
    let storage = split.as_ref().map(|(_, p)| *p);
    let mut sweep = ReverseSweep::new(ctx, f, rf, key, split.map(|(s, _)| s))
        .map_err(|e| e.in_function(&fname))?;
    if let Some(p) = storage {
        sweep.tape.set_frame_storage(p);
        let n_primal = key.function.global_value_type().fn_params().len();
        sweep
            .tape
            .set_shadow_args(&params[n_primal.min(n_inputs)..n_inputs]);
    }
    sweep.print_tape = print_tape;
    sweep.free_flag = free_flag;
    if key.log_loads && storage.is_some() {
        crate::fwdsplit::link(module)?;
        let (fwd, rev) = sweep.tape.reserve_log().ok_or_else(|| {
            Error::new(format!(
                "internal error: the frame of '{fname}' has fields before the fwdsplit log"
            ))
        })?;
        sweep.ctx.log_header = Some(fwd);
        sweep.log_rev = Some(rev);
    }
    sweep
        .build(&seeds, sig.gradients, &sig)
        .map_err(|e| e.in_function(&fname))?;
    let (slots, blocks) = (sweep.adjoints.slot_count(), sweep.rf.blocks().len());
    let (moved, hoisted) = if slots * blocks >= min_work {
        sweep.adjoints.localize(sweep.rf)
    } else {
        (0, 0)
    };
    crate::timing::note(|| {
        format!(
            "{fname}: {slots} adjoint slots over {blocks} blocks, {moved} zeroed where used, {hoisted} where their uses start"
        )
    });
    let partly_released = sweep.log_rev.is_some() && !sweep.tape_released;
    if storage.is_some() {
        let layout = sweep.tape.frame_layout();
        ctx.set_frame_layout(f, layout);
    }
    if partly_released {
        warn_partial_release(ctx, key.function);
    }
    Ok(())
}

/// `__enzyme_fwdsplit` calls of `function` without `enzyme_nofree`, whose
/// tape has parts the reverse sweep frees as it runs (memory the function
/// frees, callees' tapes): the call frees the log only, so say so (once
/// per call).
fn warn_partial_release(ctx: &mut Ctx, function: Value) {
    let name = function.name();
    for (_, location) in ctx
        .fwdsplit_consuming
        .iter()
        .filter(|(f, _)| *f == function)
    {
        let at = location
            .as_ref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        eprintln!(
            "{at}ferment: warning: __enzyme_fwdsplit of '{name}' without enzyme_nofree frees only part of the tape: its reverse sweep frees memory kept for it (what '{name}' allocates and frees, callees' tapes) as it runs, so that stays allocated until an __enzyme_reverse of the tape\n  help: pass enzyme_nofree and call __enzyme_reverse with the tape afterwards"
        );
    }
    ctx.fwdsplit_consuming.retain(|(f, _)| *f != function);
}

struct ReverseSweep<'c, 'o, 'k> {
    ctx: &'c mut Ctx<'o>,
    module: Module,
    /// Function holding the forward sweep (combined or augmented).
    f: Value,
    /// Function holding the reverse sweep (`f` itself when combined).
    rf: Value,
    /// Split shape: the reverse function's entry block.
    rev_entry: Option<Block>,
    free_flag: Option<Value>,
    /// `__enzyme_fwdsplit`'s log: its header as the reverse function sees
    /// it (freed with the tape).
    log_rev: Option<Value>,
    /// Split pair with a log: the augmented function recorded how to free
    /// the whole tape for `__enzyme_fwdsplit` ([`Tape::record_release`]).
    tape_released: bool,
    /// Split shape: the reverse entry and the dispatch block it jumps to.
    dispatch: Option<(Block, Block)>,
    /// Calls to differentiated functions, by their augmented call.
    calls: HashMap<Value, calls::CallSite>,
    /// Primal results of those calls (their adjoint is consumed at the call).
    call_results: hashbrown::HashSet<Value>,
    key: &'k DerivativeKey,
    cfg: Cfg,
    loops: Loops,
    activity: Activity,
    b: Builder,
    adjoints: Adjoints,
    tape: Tape,
    /// Reverse block of each primal block.
    rev: HashMap<Block, Block>,
    /// For blocks with several predecessors: the phi saying which was taken.
    came_from: HashMap<Block, Value>,
    /// For blocks ending in an invoke whose unwind destination is walked
    /// back: where the reverse sweep enters when it comes from that
    /// destination (the invoke did not complete, so its reverse is skipped).
    unwound: HashMap<Block, Block>,
    print_tape: bool,
    /// The number of adjoint lanes (1 unless batched, `enzyme_width N`).
    width: usize,
    /// Per lane, the shadows of pointers (empty until built).
    shadows: Vec<Shadows>,
    types: ferment_type_analysis::FunctionTypes,
    /// Values a `select` (or `fmin`/`fmax`) may discard, and what they are
    /// computed from: their adjoint can be a run-time zero that must not
    /// meet an infinite partial ([`rules::guarded`]).
    discardable: hashbrown::HashSet<Value>,
    /// Values whose adjoint may be a run-time zero for another reason (a
    /// branch discards them, or it comes from memory or a callee; see
    /// [`zero_adjoint_values`]): their products with a partial that may be
    /// infinite or NaN ([`Self::partials`]) are guarded too.
    zero_adjoint: hashbrown::HashSet<Value>,
    /// Values of those two sets whose adjoint may be a zero that a partial
    /// made, not a select (see [`zeroed_by_partials`]): their guards keep
    /// testing their own adjoint (unmarked by [`rules::may_share_test`]).
    own_guard: hashbrown::HashSet<Value>,
    /// Partials (instruction, operand) whose exact zero at an infinite
    /// operand would meet a guard upstream as if the value were discarded
    /// ([`rules::finite::NonfinitePartials::indeterminate_partials`]): their
    /// products with a nonzero adjoint are NaN there.
    indeterminate: hashbrown::HashSet<(Value, usize)>,
    partials: rules::finite::NonfinitePartials,
    /// Partials (instruction, operand) that may be infinite only where a
    /// value read from memory is, of values whose adjoint may be a run-time
    /// zero, and the origins whose finiteness makes every such load finite
    /// ([`loaded_factor_guards`]): their products are guarded where one of
    /// the origins is not finite (`select(finite, p * d, guarded)`).
    loaded_guards: LoadedGuards,
    /// Values whose adjoint may be infinite while the primal values are
    /// finite ([`rules::finite::infinite_adjoints`]): their products with a
    /// partial that may be a run-time zero are zero there
    /// ([`rules::zero_partial_wins`]).
    infinite_adjoint: rules::finite::InfiniteDerivatives,
    /// GPU: loads whose adjoint no other thread can touch (a plain
    /// read-modify-write); the others are accumulated atomically.
    gpu_private: Option<hashbrown::HashSet<Value>>,
    /// Combined shape: heap scratch whose frees move from the forward sweep
    /// to the reverse of its allocation (so the reverse sweep may read it).
    deferred_frees: HashMap<Value, Vec<Value>>,
    /// Which heap allocations' shadows outlive the sweep, and which are
    /// freed only where the primal memory was (`memory::heap_fates`).
    heap_fates: memory::HeapFates,
    /// Combined shape: the primal stores that end the function, moved to
    /// the end of the reverse sweep (see `rereads.rs`, `tail_stores`).
    tail_stores: Vec<Value>,
    /// Parameters whose memory is the same in both sweeps (see
    /// [`tape::unchanged_roots`]): calls that stay calls are told which of
    /// their arguments point only there.
    unchanged_roots: hashbrown::HashSet<Value>,
    /// Per region call: the captures it vouches for; per checkpointed loop
    /// call, the step arguments (`calls::CallerFacts`).
    call_vouches: HashMap<Value, Vec<bool>>,
    /// Where each augmented call's frame lives in this function's tape.
    call_frames: HashMap<Value, tape::CallStorage>,
    /// Per call whose callee may read an input that may be nonfinite: its
    /// derivative's `DerivativeKey::nonfinite_inputs`
    /// ([`rules::finite::call_inputs`]).
    call_inputs: hashbrown::HashMap<Value, Vec<bool>>,
    /// The primal instructions the sweep replaced (returns, moved frees, the
    /// frame's `malloc`), freed with it: the maps above may hold them
    /// ([`crate::shim::Detached`]).
    detached: crate::shim::Detached,
}

impl<'c, 'o, 'k> ReverseSweep<'c, 'o, 'k> {
    fn new(
        ctx: &'c mut Ctx<'o>,
        f: Value,
        rf: Value,
        key: &'k DerivativeKey,
        split: Option<(Block, Value, HashMap<Value, Value>)>,
    ) -> Result<ReverseSweep<'c, 'o, 'k>> {
        let module = ctx.module;
        let loose = ctx.options.loose_types != 0;
        let mut types = crate::retype::analyze_and_retype(module, f, key, loose);
        let params = f.params();
        let seeds = crate::frontend::seeds_for(&params, key);
        let mut activity = crate::derive::analyze_activity(ctx, f, &seeds, &types);
        if crate::dispatch::stop_unseen_targets(f, &|v| {
            activity.is_varied(v) || activity.is_shadowed(v)
        }) {
            types = crate::retype::analyze_and_retype(module, f, key, loose);
            activity = crate::derive::analyze_activity(ctx, f, &seeds, &types);
        }
        let cfg = Cfg::new(f);
        crate::retype::check_integer_copies(
            module,
            f,
            &types,
            &|p| activity.is_shadowed(p),
            ctx.options.loose_types != 0,
        )?;
        let reachable = reachable_blocks(f, &cfg);
        let restrict = rules::finite::restrict_params(f, key);
        // A kept callee's inputs its caller cannot prove finite
        // (`DerivativeKey::nonfinite_inputs`) count as values that may be
        // infinite; so do, for this function's calls, its own.
        let inputs = rules::finite::input_values(&reachable, &params, &key.nonfinite_inputs);
        let partials = rules::finite::NonfinitePartials::of_inputs(&reachable, &inputs);
        let (call_inputs, reading) =
            rules::finite::call_inputs(&reachable, &params, &key.nonfinite_inputs, &partials);
        let discardable = discardable_values(&reachable);
        let own_guard = zeroed_by_partials(&reachable, &partials);
        // A kept callee's returned values get their adjoint from the
        // caller, which may discard them (`s != 0 ? r : 0`): zero there.
        let returned = !key.seeds_finite;
        let zero_adjoint = zero_adjoint_values(&reachable, &partials, &own_guard, returned);
        let loops = Loops::find(&cfg, &reachable).map_err(|(from, _)| {
            Error::at(
                from.terminator().unwrap_or(f),
                "irreducible control flow (a cycle with several entries) cannot be differentiated",
            )
            .hint("restructure the loop so that it has a single entry (no goto into its body)")
        })?;
        let loaded_guards = loaded_factor_guards(
            &reachable,
            &cfg,
            &loops,
            (&partials, &zero_adjoint, &discardable),
            (&reading, returned),
            ctx.options.guard_loads,
        );
        let entry = f.entry_block();
        let rev_entry = split.as_ref().map(|(b, _, _)| *b);
        let mut tape = Tape::new(module, entry, split);
        tape.report.on = ctx.options.print_tape != 0;
        tape.huge_pages = ctx.options.huge_pages != 0;
        tape.tape_cache = ctx.options.tape_cache != 0;
        tape.tape_arena = ctx.options.tape_arena != 0;
        tape.reload_memo = ctx.options.reload_memo != 0;
        tape.sibling_loads = ctx.options.sibling_loads != 0;
        tape.swapped_snapshots = ctx.options.swapped_snapshots != 0;
        // Re-reading memory in the reverse sweep is only sound when nothing
        // can run between the two sweeps: in the split shape the caller may
        // overwrite memory before it calls the reverse function.
        // Parameters whose memory nothing outside this function writes
        // while it runs: a parameter the user declared `restrict` is, like a
        // fresh allocation, memory no other pointer writes; in the split
        // shape, those the caller vouches for.
        let roots: hashbrown::HashSet<Value> = f
            .params()
            .into_iter()
            .take(key.activities.len())
            .enumerate()
            .filter(|&(i, _)| match rev_entry {
                None => key.function.param_is_noalias(i as u32),
                Some(_) => key.unchanged_args.get(i) == Some(&true),
            })
            .map(|(_, p)| p)
            .collect();
        let mut unchanged_roots = tape::unchanged_roots(&reachable, &roots);
        if rev_entry.is_some()
            && crate::openmp::is_parallel_region(key.function)
            && !unchanged_roots.is_empty()
        {
            // A region's vouched captures are slots holding a pointer into
            // memory unchanged between the sweeps too
            // (`openmp::vouched_slots`): the pointers loaded from them are
            // roots as well, unless the region writes through them.
            let loaded: hashbrown::HashSet<Value> = reachable
                .iter()
                .flat_map(|b| b.instructions())
                .filter(|i| {
                    i.opcode() == Opcode::LLVMLoad && i.ty().is_pointer() && {
                        let objs = ferment_activity_analysis::underlying_objects(i.operand(0));
                        !objs.is_empty() && objs.iter().all(|o| unchanged_roots.contains(o))
                    }
                })
                .collect();
            let kept = tape::unchanged_roots(&reachable, &loaded);
            unchanged_roots.extend(kept);
        }
        // Decided now: the walk rewrites each fork, which changes what the
        // next one sees of the slots they share.
        let mut call_vouches: HashMap<Value, Vec<bool>> = reachable
            .iter()
            .flat_map(|b| b.instructions())
            .filter(|i| crate::openmp::is_fork(*i))
            .map(|c| {
                (
                    c,
                    crate::openmp::vouched_slots(&c.call_args(), &unchanged_roots),
                )
            })
            .collect();
        if rev_entry.is_none() {
            // Combined shape: nothing runs between the two sweeps but this
            // function's own code after each checkpointed loop.
            for call in reachable.iter().flat_map(|b| b.instructions()) {
                if let Some(v) = checkpoint::combined_vouches(call, &reachable) {
                    call_vouches.insert(call, v);
                }
            }
        }
        if rev_entry.is_none() {
            let in_loop = |b: Block| loops.loop_of(b).is_some();
            let mut rereads = tape::Rereads::new(&reachable, roots, &in_loop);
            rereads.set_param_extents(key.function, &f.params());
            tape.set_rereads(rereads);
            tape.set_dominators(crate::cfg::loops::dominators(&cfg, &reachable));
        } else if !unchanged_roots.is_empty() {
            tape.set_rereads(tape::Rereads::for_split(
                &reachable,
                unchanged_roots.clone(),
            ));
        }
        let mut paired: hashbrown::HashSet<Value> = reachable
            .iter()
            .flat_map(|b| b.instructions())
            .filter(|i| {
                // Not when the primal computes the other function of
                // the same argument too: the partials then read the
                // pair's primal values, which are taped.
                i.is_call()
                    && activity.is_active(*i)
                    && i.called_function()
                        .and_then(|f| rules::call_rule(&f.name()))
                        .is_some_and(|r| r.name == "sin" || r.name == "cos")
                    && rules::trig_companion(*i).is_none()
            })
            .collect();
        if rev_entry.is_none() && ctx.options.recompute_calls != 0 {
            // Combined shape: the `ret` is dropped, so a call whose values
            // reach only it is computed for the tape alone.
            paired.extend(tape::tape_only_calls(&reachable, &loops));
        }
        tape.set_paired(paired);
        let deferred_frees = tape.deferred_frees();
        let heap_fates = memory::heap_fates(f);
        let tail_stores = tape.tail_stores();
        let adjoints = Adjoints::new(module, rev_entry.unwrap_or(entry));
        let b = Builder::following(module, f);
        b.set_fast_math(ctx.options.fast_math != 0);
        Ok(ReverseSweep {
            ctx,
            module,
            f,
            rf,
            rev_entry,
            free_flag: None,
            log_rev: None,
            tape_released: false,
            dispatch: None,
            calls: HashMap::new(),
            call_results: hashbrown::HashSet::new(),
            key,
            cfg,
            loops,
            activity,
            b,
            adjoints,
            tape,
            rev: HashMap::new(),
            came_from: HashMap::new(),
            unwound: HashMap::new(),
            print_tape: false,
            width: key.width.max(1) as usize,
            shadows: Vec::new(),
            types,
            indeterminate: partials.indeterminate_partials(
                &reachable,
                &discardable.union(&zero_adjoint).copied().collect(),
            ),
            discardable,
            zero_adjoint,
            own_guard,
            partials,
            loaded_guards,
            infinite_adjoint: rules::finite::infinite_adjoints(
                &reachable,
                rules::finite::boundary_may_be_infinite(f, key),
                &restrict,
            ),
            gpu_private: None,
            deferred_frees,
            heap_fates,
            tail_stores,
            unchanged_roots,
            call_vouches,
            call_frames: HashMap::new(),
            call_inputs,
            detached: Default::default(),
        })
    }

    fn build(&mut self, seeds: &[Value], out_ty: Type, sig: &ReverseSignature) -> Result<()> {
        let reachable: Vec<Block> = self.reachable_blocks();
        crate::frontend::validate::check_function(&reachable, &self.activity, &|c| {
            self.is_differentiable_call(c)
        })?;
        if crate::gpu::is_gpu(self.module) {
            crate::gpu::check_constructs(&reachable, &self.activity, true)?;
            self.gpu_private = Some(crate::gpu::private_loads(
                &reachable,
                self.key.uniform_pointers,
            ));
        }
        let params = self.f.params();
        let n = self.key.activities.len();
        let width = self.width;
        // Per lane, each duplicated parameter with that lane's shadow
        // parameter (the shadows of a parameter are consecutive).
        let mut shadow_params: Vec<Vec<(Value, Value)>> = vec![Vec::new(); width];
        let mut next = n;
        for (i, act) in self.key.activities.iter().enumerate() {
            if act.has_shadow() {
                for (lane, lane_params) in shadow_params.iter_mut().enumerate() {
                    lane_params.push((params[i], params[next + lane]));
                }
                next += width;
            }
        }
        if width > 1 {
            self.check_batchable(&reachable)?;
        }
        let split = self.rev_entry.is_some();
        let mut sites = Vec::new();
        // Batched: lanes 1.. first, over the instructions as listed before
        // any lane; then lane 0, whose hook replaces calls (with all lanes'
        // shadows at hand).
        let listed = shadow::list_instructions(&reachable);
        let own_params = crate::derive::own_shadow_params(self.key, &params);
        let mut others = Vec::new();
        for (lane, lane_params) in shadow_params.iter().enumerate().skip(1) {
            others.push(shadow::build_lane(
                self.module,
                &self.activity,
                lane_params,
                &reachable,
                &listed,
                lane,
                self.key.level,
                split,
                None,
                Some(&self.types),
                &own_params,
            )?);
        }
        let shadows = {
            let ctx = &mut *self.ctx;
            let caller = calls::CallerFacts {
                activity: &self.activity,
                types: &self.types,
                unchanged: &self.unchanged_roots,
                call_vouches: &self.call_vouches,
                inputs: &self.call_inputs,
                width,
                handoffs: self.key.handoffs,
            };
            let others = &others;
            let mut hook =
                |call: Value, sh: &Shadows, b: &Builder| -> Result<Option<shadow::Substitute>> {
                    calls::augment_call(ctx, &caller, call, sh, others, b, &mut sites)
                };
            shadow::build_lane(
                self.module,
                &self.activity,
                &shadow_params[0],
                &reachable,
                &listed,
                0,
                self.key.level,
                split,
                Some(&mut hook),
                Some(caller.types),
                &own_params,
            )?
        };
        for (old, new) in shadows.renamed.iter() {
            self.activity.rename(*old, *new);
            self.partials.rename(*old, *new);
        }
        self.shadows = std::iter::once(shadows).chain(others).collect();
        if !split {
            let mut shadow_loads = HashMap::new();
            for sh in &self.shadows {
                for inst in reachable.iter().flat_map(|b| b.instructions()) {
                    if inst.opcode() != Opcode::LLVMLoad || !inst.ty().is_pointer() {
                        continue;
                    }
                    if let Some(s) = sh.get(inst).filter(|s| {
                        *s != inst && s.is_instruction() && s.opcode() == Opcode::LLVMLoad
                    }) {
                        shadow_loads.insert(s, inst);
                    }
                }
            }
            self.tape.set_shadow_loads(shadow_loads);
            let shadows = &self.shadows;
            let heap_shadow = |lane: usize, alloc: Value| {
                shadows
                    .get(lane)
                    .and_then(|sh| sh.heap.iter().find(|(p, _)| *p == alloc).map(|&(_, sp)| sp))
            };
            self.tape
                .plan_shadow_swaps(&self.loops, &reachable, width, &heap_shadow);
        }
        for site in sites {
            if let Some(r) = site.result {
                self.call_results.insert(r);
            }
            self.calls.insert(site.aug_call, site);
        }
        for &blk in &reachable {
            let r = self.rf.append_block(&format!("rev.{}", blk.name()));
            self.rev.insert(blk, r);
        }
        for &blk in &reachable {
            if let Some(inv) = blk.terminator().filter(|t| t.is_invoke()) {
                if self.rev.contains_key(&inv.successors()[1]) {
                    let u = self.rf.append_block(&format!("rev.{}.unwound", blk.name()));
                    self.unwound.insert(blk, u);
                }
            }
        }
        let exit = self.rf.append_block("rev.exit");
        self.record_edges(&reachable);
        match self.rev_entry {
            None => self.seed_returns(&reachable, seeds),
            Some(entry) => self.split_returns(&reachable, seeds, entry, sig),
        }
        for &blk in reachable.iter().rev() {
            self.reverse_block(blk, exit)?;
        }
        self.finish(exit, out_ty);
        if self.gpu_private.is_some() {
            crate::gpu::skip_scratch_atomics(self.module, self.rf);
        }
        Ok(())
    }

    /// Whether a call is to a function ferment differentiates by calling its
    /// derivative (a defined function that was not inlined, or one with a
    /// custom gradient).
    fn is_differentiable_call(&self, call: Value) -> bool {
        calls::callee_of(call)
            .is_some_and(|f| !f.is_declaration() || self.ctx.custom.has_gradient(f))
    }

    fn reachable_blocks(&self) -> Vec<Block> {
        reachable_blocks(self.f, &self.cfg)
    }

    /// A primal value as seen from the reverse sweep.
    fn primal(&mut self, v: Value) -> Value {
        self.tape.reload(&self.loops, &self.b, v)
    }

    fn is_active(&self, v: Value) -> bool {
        !v.is_constant() && self.activity.is_active(v)
    }

    fn reverse_block(&mut self, blk: Block, exit: Block) -> Result<()> {
        let rblk = self.rev[&blk];
        self.b.at_end(rblk);
        for inst in blk.instructions().into_iter().rev() {
            // An invoke is a call that ends its block (its reverse comes
            // first); other terminators were replayed by the edges.
            if inst.opcode() == Opcode::LLVMPHI || (inst.is_terminator() && !inst.is_invoke()) {
                continue;
            }
            self.b.set_debug_loc_from(inst);
            // Reloads are reused across a run of instructions whose
            // reverse writes only adjoints and shadow memory.
            if reload_memo_safe(inst) && !self.calls.contains_key(&inst) {
                self.tape.memo_begin();
            } else {
                self.tape.memo_end();
            }
            let done = self.reverse_one(inst);
            if done.is_err() {
                self.tape.memo_end();
            }
            done?;
            if inst.is_invoke() {
                if let Some(&u) = self.unwound.get(&blk) {
                    self.b.br(u);
                    self.b.at_end(u);
                }
            }
        }
        self.tape.memo_end();
        self.b.clear_debug_loc();
        // Phis: read all adjoints first (phis are evaluated in parallel).
        let active_phis: Vec<Value> = blk
            .phis()
            .into_iter()
            .filter(|p| self.is_active(*p))
            .collect();
        let width = self.width;
        let phi_ds: Vec<(Value, Vec<Value>)> = active_phis
            .into_iter()
            .map(|p| (p, self.adjoints.take_lanes(&self.b, p, width)))
            .collect();
        let preds = self.unique_preds(blk);
        match preds.len() {
            0 => {
                self.b.br(exit);
            }
            1 => {
                self.reverse_edge(&phi_ds, preds[0], blk);
            }
            _ => {
                let mut from = self.came_from[&blk];
                if from.opcode() == Opcode::LLVMSelect
                    && !self.tape.recomputable_without_taping(&self.loops, from)
                {
                    // The branch condition would be taped anyway: a flag
                    // per edge costs no more and keeps the sweep simple.
                    from = self.edge_phi(blk);
                    self.came_from.insert(blk, from);
                }
                let from = self.primal(from);
                let edges: Vec<Block> = preds
                    .iter()
                    .map(|p| {
                        self.rf
                            .append_block(&format!("rev.{}.from.{}", blk.name(), p.name()))
                    })
                    .collect();
                let cases: Vec<(Value, Block)> = edges
                    .iter()
                    .enumerate()
                    .map(|(i, &e)| (self.b.const_int(self.b.i32(), i as i64), e))
                    .collect();
                self.b.switch(from, edges[0], &cases[1..]);
                for (i, &e) in edges.iter().enumerate() {
                    self.b.at_end(e);
                    self.reverse_edge(&phi_ds, preds[i], blk);
                }
            }
        }
        Ok(())
    }

    fn reverse_one(&mut self, inst: Value) -> Result<()> {
        if self.gpu_private.is_some() && inst.is_call() {
            let name = inst.called_name();
            if crate::gpu::is_barrier(&name) {
                // The threads met here in the forward sweep; they meet again
                // at the mirrored place, so that adjoints other threads
                // accumulated before are complete when read after.
                let mut reload = |v: Value| self.tape.reload(&self.loops, &self.b, v);
                crate::gpu::mirror_barrier(&self.b, inst, &mut reload);
                return Ok(());
            }
        }
        if self.reverse_memory(inst)? || !self.is_active(inst) {
            return Ok(());
        }
        let d = self.adjoints.take_lanes(&self.b, inst, self.width);
        self.reverse_instruction(inst, &d)
    }

    /// `d_v += d` in `lane`.
    fn add_lane(&mut self, v: Value, lane: usize, d: Value) {
        if self.is_active(v) {
            self.adjoints.add(&self.b, v, lane, d);
        }
    }

    fn reverse_instruction(&mut self, inst: Value, d: &[Value]) -> Result<()> {
        let op = inst.opcode();
        match op {
            Opcode::LLVMFPExt
            | Opcode::LLVMFPTrunc
            | Opcode::LLVMSelect
            | Opcode::LLVMExtractValue
            | Opcode::LLVMInsertValue
            | Opcode::LLVMShuffleVector
            | Opcode::LLVMExtractElement
            | Opcode::LLVMInsertElement => {
                for (lane, &d) in d.iter().enumerate() {
                    self.reverse_moved(inst, lane, d);
                }
            }
            Opcode::LLVMCall | Opcode::LLVMInvoke => self.reverse_call(inst, d)?,
            _ => {
                let args: Vec<Value> = inst.operands();
                self.apply_partials(inst, args, d, |site| rules::instruction_partials(op, site))?;
            }
        }
        Ok(())
    }

    fn reverse_call(&mut self, inst: Value, d: &[Value]) -> Result<()> {
        if let Some(sh) = crate::gpu::Shuffle::of(inst) {
            if self.is_active(sh.value) {
                for (lane, &d) in d.iter().enumerate() {
                    let mut reload = |v: Value| self.tape.reload(&self.loops, &self.b, v);
                    let dv = sh.adjoint(&self.b, d, &mut reload);
                    self.add_lane(sh.value, lane, dv);
                }
            }
            return Ok(());
        }
        let name = inst.called_name();
        let rule = rules::call_rule(&name).ok_or_else(|| {
            Error::at(
                inst,
                format!("internal error: no rule for call to '{name}' after validation"),
            )
        })?;
        // A struct result: only field k carries a derivative.
        let d: Vec<Value> = match rule.result_field {
            Some(k) => d.iter().map(|&d| self.b.extract_value(d, k)).collect(),
            None => d.to_vec(),
        };
        let args = inst.call_args();
        self.apply_partials(inst, args, &d, |site| Some((rule.partials)(site)))
    }

    /// `d_arg_i += partial_i * d` for every active operand, in each lane
    /// (`d` holds the lanes' adjoints; the partials are computed once).
    fn apply_partials(
        &mut self,
        inst: Value,
        operands: Vec<Value>,
        d: &[Value],
        rule: impl FnOnce(&Site) -> Option<Vec<Option<Value>>>,
    ) -> Result<()> {
        let want: Vec<bool> = operands.iter().map(|o| self.is_active(*o)).collect();
        let partials = {
            let result_cell = std::cell::Cell::new(None);
            let reloaded = std::cell::RefCell::new(vec![None; operands.len()]);
            let tape = std::cell::RefCell::new(&mut self.tape);
            let b = &self.b;
            let loops = &self.loops;
            let result = || {
                if let Some(r) = result_cell.get() {
                    return r;
                }
                let r = tape.borrow_mut().reload(loops, b, inst);
                result_cell.set(Some(r));
                r
            };
            // Operands are reloaded only when a partial uses them.
            let arg_at = |i: usize| {
                if let Some(v) = reloaded.borrow()[i] {
                    return v;
                }
                let v = tape.borrow_mut().reload(loops, b, operands[i]);
                reloaded.borrow_mut()[i] = Some(v);
                v
            };
            let twin = rules::trig_companion(inst);
            let companion = || tape.borrow_mut().reload(loops, b, twin.unwrap());
            let result_free = || tape.borrow().result_is_free(loops, inst);
            let site = Site {
                b,
                ops: operands.clone(),
                arg_at: &arg_at,
                want: want.clone(),
                result: &result,
                companion: twin.map(|_| &companion as &dyn Fn() -> Value),
                result_free: &result_free,
            };
            rule(&site)
        }
        .ok_or_else(|| {
            Error::at(
                inst,
                format!("cannot differentiate instruction '{}'", inst.describe()),
            )
        })?;
        let mut updates = Vec::new();
        let mut loads_finite = None;
        // Guards may share the first test of their chain
        // (`shim::share_guard_tests`) unless the adjoint may be a zero that a
        // partial made: where a partial may be infinite (`own_guard`) or a
        // loaded value is (`loaded_guards.zeroed`; also the guard that
        // `guarded_unless` selects).
        let own = self.own_guard.contains(&inst) || self.loaded_guards.zeroed.contains(&inst);
        let share = |g: Value| if own { g } else { rules::may_share_test(g) };
        // `select(finite, p * d, guard)`: the guard.
        let share_unless = |g: Value| {
            if !own && g.is_instruction() && g.opcode() == Opcode::LLVMSelect {
                rules::may_share_test(g.operand(2));
            }
            g
        };
        for (i, p) in partials.into_iter().enumerate() {
            if let (Some(p), true) = (p, want.get(i).copied().unwrap_or(false)) {
                for (lane, &d) in d.iter().enumerate() {
                    let contrib = if self.discardable.contains(&inst)
                        || (self.zero_adjoint.contains(&inst) && self.partials.operand(inst, i))
                    {
                        if !self.own_guard.contains(&inst)
                            && self.loaded_guards.after_origins.contains(&inst)
                            && self.is_origin_reload(p)
                        {
                            // Finite wherever the origins are: the loaded
                            // guards' test spares this guard too.
                            let finite = *loads_finite.get_or_insert_with(|| self.origins_finite());
                            share_unless(rules::guarded_unless(&self.b, finite, p, d))
                        } else {
                            share(rules::guarded(&self.b, p, d))
                        }
                    } else if self.loaded_guards.partials.contains(&(inst, i))
                        && (self.loaded_guards.always
                            || self.loaded_guards.untested.contains(&inst))
                    {
                        share(rules::guarded(&self.b, p, d))
                    } else if self.loaded_guards.partials.contains(&(inst, i)) {
                        let finite = *loads_finite.get_or_insert_with(|| self.origins_finite());
                        share_unless(rules::guarded_unless(&self.b, finite, p, d))
                    } else {
                        rules::times(&self.b, p, d)
                    };
                    let contrib = if self.infinite_adjoint.may_be_infinite(inst) {
                        rules::zero_partial_wins(&self.b, p, contrib)
                    } else {
                        contrib
                    };
                    let contrib = if self.indeterminate.contains(&(inst, i)) {
                        let v = self.tape.reload(&self.loops, &self.b, operands[i]);
                        rules::indeterminate_at_infinity(&self.b, v, d, contrib)
                    } else {
                        contrib
                    };
                    updates.push((operands[i], lane, contrib));
                }
            }
        }
        for (o, lane, c) in updates {
            self.add_lane(o, lane, c);
        }
        Ok(())
    }
}

/// See [`ReverseSweep::loaded_guards`].
#[derive(Default)]
struct LoadedGuards {
    /// The origins outside every loop, each reloaded by the test.
    origins: Vec<Value>,
    /// The origins inside a loop: the forward sweep ORs whether a value's
    /// `o - o` is NaN into one `i1` slot ([`tape::Tape::nonfinite_flag`],
    /// created by the first test), which the test reads.
    looped: Vec<Value>,
    seen: Option<tape::SlotPtr>,
    /// The partials are guarded without the test of the origins (an origin
    /// in a loop that the forward sweep cannot test: a call it augments,
    /// or `-ferment-guard-loop-loads`).
    always: bool,
    partials: hashbrown::HashSet<(Value, usize)>,
    /// The values with guarded products (a zero adjoint's or a discardable
    /// value's) that every origin comes before: where the origins' test
    /// may spare the guards of partials that are origins
    /// ([`ReverseSweep::is_origin_reload`]).
    after_origins: hashbrown::HashSet<Value>,
    /// The values whose adjoint may be a zero that a partial made where a
    /// loaded value is infinite ([`zeroed_by_partials`] counting the loads
    /// that may read the origins' values as possibly infinite: `exp(-b * b)`
    /// of a quotient `b` by an exact zero read back from an array): their
    /// guards keep testing their own adjoint, as those of
    /// [`ReverseSweep::own_guard`].
    zeroed: hashbrown::HashSet<Value>,
    /// The values with guarded partials that some origin does not come
    /// before (`exp(-b[0] * b[0]) + h(sqrt(s))`, `b[0]` written by a kept
    /// callee, `sqrt(s)` an origin passed to another): the origins' test
    /// cannot reload that origin there, so their partials are guarded
    /// without it, as with [`Self::always`].
    untested: hashbrown::HashSet<Value>,
}

impl ReverseSweep<'_, '_, '_> {
    /// Whether the partial `p` is the reload of one of the origins of
    /// [`Self::loaded_guards`] built in the current block (a product's other
    /// factor: gauss_seidel's `x = (b + c * s) * inv`, `inv = 1 / (1 + 4c)`
    /// an origin of what it stores): a partial that is infinite only where
    /// [`Self::origins_finite`] fails, so its guard
    /// ([`rules::guarded_unless`]) is spared on the same test, and in the
    /// same copy of the reverse loops, as the loaded guards'. Only reloads
    /// already built count (`Tape::reloaded_here`): nothing is built here.
    fn is_origin_reload(&self, p: Value) -> bool {
        self.loaded_guards
            .origins
            .iter()
            .chain(&self.loaded_guards.looped)
            .any(|&o| self.tape.reloaded_here(&self.b, o) == Some(p))
    }

    /// Whether every origin of [`Self::loaded_guards`] is finite, tested
    /// where the builder is: `o - o == 0` (NaN otherwise), one test of
    /// their sum (in double; a vector origin's lanes added). The origins in
    /// loops count through the flag the forward sweep gathered from all
    /// their values (`x = bitcast (sext flag)`, +0 or a NaN: `x - x` joins
    /// the sum). The test is invariant in the reverse loops, which
    /// `shim::unswitch_zero_adjoints` copies on it.
    fn origins_finite(&mut self) -> Value {
        let f64 = Type::f64(self.b.context());
        let mut sum = self.b.zero(f64);
        for o in self.loaded_guards.origins.clone() {
            // An origin that is a call augmented in the forward sweep was
            // erased there; its primal result stands for it.
            let o = self
                .calls
                .values()
                .find(|s| s.original == o)
                .and_then(|s| s.result)
                .unwrap_or(o);
            let r = self.tape.reload(&self.loops, &self.b, o);
            let z = self.b.fsub(r, r);
            let lanes: Vec<Value> = if z.ty().is_vector() {
                (0..z.ty().vector_len())
                    .map(|k| {
                        let idx = self.b.const_int(self.b.i32(), k as i64);
                        self.b.extract_element(z, idx)
                    })
                    .collect()
            } else {
                vec![z]
            };
            for l in lanes {
                sum = self.b.fadd(sum, self.b.fp_convert(l, f64));
            }
        }
        if !self.loaded_guards.looped.is_empty() {
            let slot = match self.loaded_guards.seen {
                Some(s) => s,
                None => {
                    let looped = self.loaded_guards.looped.clone();
                    let s = self.tape.nonfinite_flag(&looped);
                    self.loaded_guards.seen = Some(s);
                    s
                }
            };
            let i1t = Type::int(self.b.context(), 1);
            let i64t = Type::int(self.b.context(), 64);
            let seen = self.tape.frame_read(&self.b, i1t, slot.rev);
            // All ones (a NaN) where the flag is set, +0 elsewhere.
            let bits = self.b.int_cast(seen, i64t, true);
            let x = self.b.bitcast(bits, f64);
            sum = self.b.fadd(sum, self.b.fsub(x, x));
        }
        self.b.fcmp(
            ferment_ir::RealPredicate::LLVMRealOEQ,
            sum,
            self.b.zero(f64),
        )
    }
}

/// The partials to guard where a value read from memory is infinite
/// ([`ReverseSweep::loaded_guards`]): a value the function loads from
/// memory it wrote is infinite only where one of the origins of what it
/// stores is
/// ([`rules::finite::stored_origins`]). Where each origin is outside every
/// loop and dominates the instruction, the partials of the values whose
/// adjoint may be a run-time zero ([`zero_adjoint_values`], with loads
/// counted as possibly infinite) that may be infinite only because of a
/// load get a guard behind a run-time test of the origins (`b[0] = 1 / s;
/// b[1] = u * b[0]`, `b[1]` stored and never read back: `u`'s partial
/// `b[0]` is infinite at `s = 0` and meets the zero adjoint of `b[1]`).
/// Only the loads a store or call writing such values may have run before
/// count, and of those after stores only, the loads of memory they may
/// write ([`rules::finite::may_read_written`]). Where an origin is inside a
/// loop (a quotient stored in a loop and read back later), one value per
/// iteration, the forward sweep gathers the test of all its values as it
/// makes them, and only the origins outside loops must dominate the
/// instruction; where one does not, the partials are guarded without the
/// test ([`LoadedGuards::untested`]). `mode` (`Options::guard_loads`, 0..3): 0 guards
/// nothing (`-ferment-no-guard-loads`); with origins in loops, 1 guards nothing
/// (`-ferment-no-guard-loop-loads`), 3 guards
/// those partials without a test (`always`, `-ferment-guard-loop-loads`;
/// also where such an origin is a call the forward sweep augments, whose
/// values it cannot test after the call), 2 behind the test. In every mode
/// the values [`LoadedGuards::zeroed`] are found, whose guards (discardable
/// values') keep their own test.
fn loaded_factor_guards(
    blocks: &[Block],
    cfg: &Cfg,
    loops: &Loops,
    (partials, zero_adjoint, discardable): (
        &rules::finite::NonfinitePartials,
        &hashbrown::HashSet<Value>,
        &hashbrown::HashSet<Value>,
    ),
    (reading, returned): (&hashbrown::HashSet<Value>, bool),
    mode: i32,
) -> LoadedGuards {
    let Some(rules::finite::StoredOrigins {
        origins,
        sites,
        opaque,
    }) = rules::finite::stored_origins(blocks, partials, reading)
    else {
        return LoadedGuards::default();
    };
    if origins.is_empty() && opaque.is_empty() {
        return LoadedGuards::default();
    }
    let loads: hashbrown::HashSet<Value> = loads_after(blocks, &sites.into_iter().collect())
        .into_iter()
        .collect();
    if loads.is_empty() {
        return LoadedGuards::default();
    }
    let loaded = partials.with_loads(blocks, &loads);
    // Whatever the mode guards, these guards keep their own test: where a
    // loaded value is infinite, sharing the chain's first test would put a
    // NaN where the guard gives zero (`flat_of_loaded_quotient_discarded.c`
    // under `-ferment-no-guard-loads`).
    let zeroed = zeroed_by_partials(blocks, &loaded);
    let only_zeroed = |zeroed| LoadedGuards {
        zeroed,
        ..LoadedGuards::default()
    };
    if mode == 0 {
        return only_zeroed(zeroed);
    }
    // An origin in a loop has one value per iteration, which no single
    // reload in the reverse sweep stands for: the forward sweep ORs the
    // test of each value into one slot instead, after the instruction,
    // which must stay there (not a call the forward sweep augments).
    let (mut looped, origins): (Vec<Value>, Vec<Value>) = origins
        .into_iter()
        .partition(|o| o.is_instruction() && loops.loop_of(o.parent()).is_some());
    // A kept callee's stores have origins out of reach: the values loaded
    // after such a call are tested as the forward sweep loads them.
    let opaque_loads = if opaque.is_empty() {
        Vec::new()
    } else {
        loads_after(blocks, &opaque.into_iter().collect())
    };
    if (!looped.is_empty() || !opaque_loads.is_empty()) && mode == 1 {
        return only_zeroed(zeroed);
    }
    let testable = |o: &Value| {
        o.opcode() != Opcode::LLVMInvoke
            && (!o.is_call()
                || o.called_function()
                    .is_some_and(|f| rules::call_rule(&f.name()).is_some()))
    };
    let always = !looped.is_empty() && (mode == 3 || !looped.iter().all(testable));
    looped.extend(opaque_loads);
    let always = always || (mode == 3 && !looped.is_empty());
    let idom = crate::cfg::loops::dominators(cfg, blocks);
    let before = |o: Value, i: Value| {
        if !o.is_instruction() {
            // an argument
            return true;
        }
        if o.parent() != i.parent() {
            return crate::cfg::loops::dominates(&idom, o.parent(), i.parent());
        }
        o.parent()
            .instructions()
            .into_iter()
            .find(|x| *x == o || *x == i)
            .is_some_and(|x| x == o && o != i)
    };
    let mut out = hashbrown::HashSet::new();
    let mut untested = hashbrown::HashSet::new();
    for inst in zero_adjoint_values(blocks, &loaded, &zeroed, returned) {
        if discardable.contains(&inst) {
            continue;
        }
        // An origin that does not come before the value may not be
        // defined where the reverse sweep reaches it (on a path that
        // skipped it): no test, the guard alone (not none: the loads it
        // depends on may still read an infinite value another site wrote).
        let tested = always || origins.iter().all(|o| before(*o, inst));
        let n = if inst.is_call() {
            inst.call_args().len()
        } else {
            inst.operands().len()
        };
        for k in 0..n {
            if loaded.operand(inst, k)
                && !(zero_adjoint.contains(&inst) && partials.operand(inst, k))
            {
                out.insert((inst, k));
                if !tested {
                    untested.insert(inst);
                }
            }
        }
    }
    let after_origins = if always {
        hashbrown::HashSet::new()
    } else {
        zero_adjoint
            .iter()
            .chain(discardable)
            .copied()
            .filter(|i| origins.iter().all(|o| before(*o, *i)))
            .collect()
    };
    LoadedGuards {
        origins: if always { Vec::new() } else { origins },
        looped: if always { Vec::new() } else { looped },
        seen: None,
        always,
        partials: out,
        after_origins,
        zeroed,
        untested,
    }
}

/// The floating-point loads, in block order, that may read what one of
/// `sites` (stores or calls, see [`rules::finite::stored_origins`]) wrote:
/// in a block a site's block reaches, or after the site in its own; after
/// stores only, those of memory they may write
/// ([`rules::finite::may_read_written`]; a call may write anything).
fn loads_after(blocks: &[Block], sites: &hashbrown::HashSet<Value>) -> Vec<Value> {
    let in_fn: hashbrown::HashSet<Block> = blocks.iter().copied().collect();
    let mut reached = hashbrown::HashSet::new();
    let mut stack: Vec<Block> = sites.iter().flat_map(|s| s.parent().successors()).collect();
    while let Some(b) = stack.pop() {
        if in_fn.contains(&b) && reached.insert(b) {
            stack.extend(b.successors());
        }
    }
    // What they write (None: a call, anything).
    let written: Option<Vec<Value>> = sites
        .iter()
        .map(|s| rules::finite::written_objects(*s))
        .collect::<Option<Vec<Vec<Value>>>>()
        .map(|v| v.concat());
    let mut loads = Vec::new();
    for bb in blocks {
        let mut after_site = reached.contains(bb);
        for i in bb.instructions() {
            if sites.contains(&i) {
                after_site = true;
            } else if after_site
                && i.opcode() == Opcode::LLVMLoad
                && i.ty().is_fp_like()
                && written
                    .as_ref()
                    .is_none_or(|w| rules::finite::may_read_written(i.operand(0), w))
            {
                loads.push(i);
            }
        }
    }
    loads
}

/// Values other than those a select or min/max may discard
/// ([`discardable_values`], whose products are all guarded) whose products
/// with a partial that may be infinite or NaN are guarded
/// ([`rules::guarded`]): among those with such a partial, the values a branch
/// may discard ([`control_discarded`]), those whose adjoint comes from
/// memory or from a call ([`stored_values`]), and the calls whose partial is
/// infinite where their value is finite ([`rules::finite::infinite_slope`]:
/// `k * cbrt(u)` at `k = 0`, `u = 0`), and values that may be infinite under
/// a use flat there ([`rules::finite::NonfinitePartials::flat_zero_adjoints`]:
/// `exp(-1 / z)` at `z = 0`). `zeroed` is [`zeroed_by_partials`] of the
/// same `partials`, which the caller needs too. `returned`: the returned
/// values count as stored ([`stored_values`]).
fn zero_adjoint_values(
    blocks: &[Block],
    partials: &rules::finite::NonfinitePartials,
    zeroed: &hashbrown::HashSet<Value>,
    returned: bool,
) -> hashbrown::HashSet<Value> {
    let mut out = control_discarded(blocks);
    out.extend(stored_values(blocks, returned));
    out.extend(zeroed.iter().copied());
    let nonfinite = partials.instructions(blocks);
    out.retain(|v| nonfinite.contains(v));
    out
}

/// Values with a partial that may be infinite or NaN whose adjoint may be
/// an exact zero that a partial made, not a select or a branch: a call
/// whose partial is infinite where its value is finite
/// ([`rules::finite::infinite_slope`]: `k * cbrt(u)` at `k = 0`), and a
/// value that may be infinite where a use is flat
/// ([`rules::finite::NonfinitePartials::flat_zero_adjoints`]: `atan(c / z)`
/// at `z = 0`, whose partial `1 / (1 + q^2)` is 0 at `q = inf`). Their guards
/// must test their own adjoint: the first test of the chain of guards above
/// them (`shim::share_guard_tests`) does not see that zero.
fn zeroed_by_partials(
    blocks: &[Block],
    partials: &rules::finite::NonfinitePartials,
) -> hashbrown::HashSet<Value> {
    let mut out: hashbrown::HashSet<Value> = blocks
        .iter()
        .flat_map(|b| b.instructions())
        .filter(|i| rules::finite::infinite_slope(*i))
        .collect();
    out.extend(partials.flat_zero_adjoints(blocks));
    let nonfinite = partials.instructions(blocks);
    out.retain(|v| nonfinite.contains(v));
    out
}

/// Floating-point values that a select or a min/max may discard, and the
/// floating-point values they are computed from (through operands, not
/// through memory).
fn discardable_values(blocks: &[Block]) -> hashbrown::HashSet<Value> {
    let mut work = Vec::new();
    for bb in blocks {
        for inst in bb.instructions() {
            let chooser = match inst.opcode() {
                Opcode::LLVMSelect => inst.ty().is_fp_like(),
                Opcode::LLVMCall => inst
                    .called_function()
                    .and_then(|f| rules::call_rule(&f.name()))
                    .is_some_and(|r| r.chooses),
                _ => false,
            };
            if chooser {
                work.extend(inst.operands().into_iter().filter(|o| o.ty().is_fp_like()));
            }
        }
    }
    computed_from(work)
}

/// `work` and the floating-point values they are computed from (through
/// operands, not through memory).
fn computed_from(mut work: Vec<Value>) -> hashbrown::HashSet<Value> {
    let mut seen = hashbrown::HashSet::new();
    while let Some(v) = work.pop() {
        if !v.is_instruction() || !seen.insert(v) {
            continue;
        }
        if v.opcode() == Opcode::LLVMLoad {
            continue;
        }
        work.extend(v.operands().into_iter().filter(|o| o.ty().is_fp_like()));
    }
    seen
}

/// Floating-point values stored to memory or passed to a call that is not a
/// library function with a rule (a differentiated callee, a custom or BLAS
/// rule), and the values they are computed from: their adjoint is read back
/// from a shadow or returned by the callee's reverse, and is zero where
/// nothing read the memory after the store (`buf[i] = a / z; ... s += z != 0
/// ? buf[i] : 0`, the load not taken or its value discarded), where the seed
/// of that element was zero, or where the callee discarded the argument.
/// With `returned` (a kept callee's derivative, whose caller may discard
/// its result), the returned values too.
fn stored_values(blocks: &[Block], returned: bool) -> hashbrown::HashSet<Value> {
    let mut work = Vec::new();
    for inst in blocks.iter().flat_map(|b| b.instructions()) {
        match inst.opcode() {
            Opcode::LLVMStore => work.push(inst.operand(0)),
            Opcode::LLVMRet if returned && inst.num_operands() > 0 => work.push(inst.operand(0)),
            Opcode::LLVMCall | Opcode::LLVMInvoke
                if inst
                    .called_function()
                    .is_none_or(|f| rules::call_rule(&f.name()).is_none()) =>
            {
                work.extend(inst.call_args())
            }
            _ => {}
        }
    }
    work.retain(|v| v.ty().is_fp_like());
    computed_from(work)
}

/// Floating-point values whose adjoint can be a run-time zero because a branch
/// discarded them: on some path from the value to a `ret` nothing uses it in a
/// way that carries an adjoint back (a value computed before `if (isfinite(r))`
/// and used only inside it, whose partials may be infinite where the branch
/// was not taken). A use carries an adjoint unless it is a comparison or a
/// conversion to an integer, or a floating-point value that is itself in this
/// set (the largest such set: a loop's running sum used by the next
/// iteration's phi or by the exit's carries one on every path). Stores, calls,
/// returns and other uses count as carrying one (memory is not followed, as in
/// [`discardable_values`]; see [`stored_values`]). [`zero_adjoint_values`] keeps
/// only those whose partials may be infinite or NaN (a product of finite
/// partials and a zero adjoint is zero): the cutoff test of a pair loop (`if
/// (r2 < rc2)`) discards `r2` and the differences it is made of, which need
/// no guard.
fn control_discarded(blocks: &[Block]) -> hashbrown::HashSet<Value> {
    let in_fn: hashbrown::HashSet<Block> = blocks.iter().copied().collect();
    let mut safe: hashbrown::HashSet<Value> = blocks
        .iter()
        .flat_map(|b| b.instructions())
        .filter(|i| i.ty().is_fp_like())
        .collect();
    let mut work: Vec<Value> = safe.iter().copied().collect();
    let mut queued: hashbrown::HashSet<Value> = safe.clone();
    while let Some(v) = work.pop() {
        queued.remove(&v);
        if !safe.contains(&v) || always_used(v, &safe, &in_fn) {
            continue;
        }
        safe.remove(&v);
        for o in v.operands() {
            if o.is_instruction() && safe.contains(&o) && queued.insert(o) {
                work.push(o);
            }
        }
    }
    blocks
        .iter()
        .flat_map(|b| b.instructions())
        .filter(|i| i.ty().is_fp_like() && !safe.contains(i))
        .collect()
}

/// Blocks [`always_used`] visits at most per value.
const DISCARD_SEARCH_LIMIT: usize = 2048;

/// Whether every path from `v` to a `ret` (within `in_fn`) passes a use of
/// `v` that carries an adjoint (see [`control_discarded`]).
fn always_used(
    v: Value,
    safe: &hashbrown::HashSet<Value>,
    in_fn: &hashbrown::HashSet<Block>,
) -> bool {
    let carries = |u: Value| {
        if u.ty().is_fp_like() {
            return safe.contains(&u);
        }
        !matches!(
            u.opcode(),
            Opcode::LLVMFCmp | Opcode::LLVMFPToSI | Opcode::LLVMFPToUI
        )
    };
    // Blocks holding a (non-phi) use, and edges `(from, to)` a phi use sits on.
    let mut use_blocks = hashbrown::HashSet::new();
    let mut use_edges = hashbrown::HashSet::new();
    for u in v.users() {
        if !u.is_instruction() || !carries(u) {
            continue;
        }
        if u.opcode() == Opcode::LLVMPHI {
            for (x, from) in u.incoming() {
                if x == v {
                    use_edges.insert((from, u.parent()));
                }
            }
        } else {
            use_blocks.insert(u.parent());
        }
    }
    // A use in the value's own block comes after it.
    let home = v.parent();
    if use_blocks.contains(&home) {
        return true;
    }
    let mut seen = hashbrown::HashSet::new();
    let mut stack = vec![home];
    while let Some(b) = stack.pop() {
        if seen.len() > DISCARD_SEARCH_LIMIT {
            // a very large function: assumed used (no guards, as before)
            return true;
        }
        let succs: Vec<Block> = b
            .successors()
            .into_iter()
            .filter(|s| in_fn.contains(s))
            .collect();
        if succs.is_empty() {
            // a `ret` reached without a use
            return false;
        }
        for s in succs {
            if use_edges.contains(&(b, s)) || use_blocks.contains(&s) {
                continue;
            }
            if seen.insert(s) {
                stack.push(s);
            }
        }
    }
    true
}

/// Blocks reachable from the entry from which a `ret` is reachable, in
/// reverse post-order: the blocks the reverse sweep may walk back through.
///
/// The others end the function without returning (`resume` after an
/// exception's cleanup, a call to a `noreturn` function such as
/// `__throw_length_error` followed by `unreachable`): the forward sweep
/// keeps them as they are, an exception unwinds out of the derivative as it
/// would out of the primal, and the reverse sweep, which runs only after a
/// forward sweep that returned, never enters them. No block of either kind
/// is a predecessor of a returning one, and no value they define is used by
/// one.
fn reachable_blocks(f: Value, cfg: &Cfg) -> Vec<Block> {
    let mut seen = hashbrown::HashSet::new();
    let mut stack = vec![f.entry_block()];
    while let Some(b) = stack.pop() {
        if seen.insert(b) {
            stack.extend(b.successors());
        }
    }
    let mut returns = hashbrown::HashSet::new();
    let mut stack: Vec<Block> = cfg
        .rpo
        .iter()
        .copied()
        .filter(|b| {
            seen.contains(b)
                && b.terminator()
                    .is_some_and(|t| t.opcode() == Opcode::LLVMRet)
        })
        .collect();
    while let Some(b) = stack.pop() {
        if returns.insert(b) {
            stack.extend(cfg.preds(b).iter().copied().filter(|p| seen.contains(p)));
        }
    }
    cfg.rpo
        .iter()
        .copied()
        .filter(|b| returns.contains(b))
        .collect()
}

/// Whether the reverse of `inst` builds nothing that changes what a reload
/// reads (see `Tape::memo_begin`): arithmetic, casts, addresses,
/// comparisons, selects and aggregate/vector moves, whose reverse only
/// accumulates adjoints, and plain loads and stores, whose reverse reads,
/// adds to and clears shadow memory (never primal memory, tape, slots or
/// loop counters), and calls of declared math functions with a rule and no
/// pointer argument (`exp`, `sqrt`, `llvm.fmuladd`: their reverse builds
/// partials only). Other calls, atomics, fences and everything else end the
/// run.
fn reload_memo_safe(inst: Value) -> bool {
    use Opcode::*;
    match inst.opcode() {
        LLVMLoad | LLVMStore => !inst.is_volatile_or_atomic(),
        LLVMCall => inst.called_function().is_some_and(|f| {
            f.is_declaration()
                && rules::call_rule(&f.name()).is_some()
                && inst.call_args().iter().all(|a| !a.ty().is_pointer())
        }),
        LLVMFAdd | LLVMFSub | LLVMFMul | LLVMFDiv | LLVMFRem | LLVMFNeg | LLVMAdd | LLVMSub
        | LLVMMul | LLVMUDiv | LLVMSDiv | LLVMURem | LLVMSRem | LLVMShl | LLVMLShr | LLVMAShr
        | LLVMAnd | LLVMOr | LLVMXor | LLVMTrunc | LLVMZExt | LLVMSExt | LLVMFPToUI
        | LLVMFPToSI | LLVMUIToFP | LLVMSIToFP | LLVMFPTrunc | LLVMFPExt | LLVMPtrToInt
        | LLVMIntToPtr | LLVMBitCast | LLVMGetElementPtr | LLVMICmp | LLVMFCmp | LLVMSelect
        | LLVMExtractValue | LLVMInsertValue | LLVMExtractElement | LLVMInsertElement
        | LLVMShuffleVector | LLVMFreeze => true,
        _ => false,
    }
}
