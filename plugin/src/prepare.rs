//! The private, canonical copy of a function that the generators read.
//!
//! Role: never mutate user code. Clone the function, inline its defined
//! callees (unless disabled), and canonicalize the clone with a small LLVM
//! pipeline: at -O0 the user's code is unoptimized (allocas, no SSA), at
//! -O1+ it is already simplified and this is cheap.

use crate::error::{Error, Result};
use crate::shim::{self, Options};
use ferment_ir::{Block, Builder, Value};

/// Upper bound on the size of a function after inlining callees into it.
const INLINE_BUDGET_INSTRUCTIONS: u32 = 20_000;

/// Pipeline that turns the clone into canonical SSA form.
const CANONICALIZE: &str = "sroa,mem2reg,instsimplify,early-cse,simplifycfg,instcombine<no-verify-fixpoint>,simplifycfg,loop-simplify,lcssa";

/// Clones `function` as `name` and canonicalizes it.
/// Functions in `keep` stay calls (custom derivatives, inactive functions).
pub fn canonical_copy(
    function: Value,
    name: &str,
    options: &Options,
    keep: &[Value],
) -> Result<Value> {
    let clone = shim::clone_function(function, name);
    if options.inline_callees != 0 {
        shim::inline_calls(clone, INLINE_BUDGET_INSTRUCTIONS, keep);
    }
    // Calls through function pointers become direct calls of their possible
    // targets. The first time, the targets' bodies are inlined (which may
    // bring more such calls); calls found in them dispatch to targets that
    // stay calls (differentiated on their own, recursion included).
    let mut kept = keep.to_vec();
    for round in 0..2 {
        let targets = crate::dispatch::dispatch_indirect_calls(clone);
        if targets.is_empty() || options.inline_callees == 0 {
            break;
        }
        if round > 0 {
            kept.extend(targets);
        }
        shim::inline_calls(clone, INLINE_BUDGET_INSTRUCTIONS, &kept);
    }
    crate::inline_asm::lower_idioms(clone);
    crate::inline_asm::lower_horizontal_ops(clone);
    crate::retype::retype_reinterpreted_memory(clone);
    crate::openmp::canonicalize(clone)?;
    bump_iteration_counts(clone);
    if options.preopt != 0 {
        shim::run_function_pipeline(clone, CANONICALIZE)
            .map_err(|e| Error::new(format!("internal error: canonicalization pipeline: {e}")))?;
    } else {
        shim::run_function_pipeline(clone, "mem2reg,loop-simplify,lcssa")
            .map_err(|e| Error::new(format!("internal error: canonicalization pipeline: {e}")))?;
    }
    crate::inline_asm::mark_magic_rounding(clone);
    split_invoke_edges(clone);
    Ok(clone)
}

/// `__enzyme_iter(n, k)` is `n` in the primal and `n + k` more per level of
/// differentiation (a truncated series keeps its accuracy in its
/// derivatives): every copy made to be differentiated adds `k` once; what
/// is left is lowered to `n` when the module is done
/// ([`lower_iteration_counts`]).
fn bump_iteration_counts(f: Value) {
    let b = Builder::new(f.global_parent());
    for i in f.instructions() {
        if !is_iteration_count(i) {
            continue;
        }
        let (n, k) = (i.operand(0), i.operand(1));
        if n.ty() != k.ty() {
            continue;
        }
        b.before(i);
        i.set_operand(0, b.add_int(n, k));
    }
}

fn is_iteration_count(i: Value) -> bool {
    i.is_call()
        && i.call_args().len() == 2
        && i.called_function()
            .is_some_and(|f| f.name().contains("__enzyme_iter"))
}

/// Replaces each remaining `__enzyme_iter(n, k)` call with `n`.
pub fn lower_iteration_counts(module: ferment_ir::Module) -> bool {
    let mut changed = false;
    for f in module.functions() {
        if !f.name().contains("__enzyme_iter") || !f.is_declaration() {
            continue;
        }
        for u in f.users() {
            if is_iteration_count(u) {
                u.replace_all_uses_with(u.operand(0));
                u.erase();
                changed = true;
            }
        }
        if !f.has_uses() {
            f.delete_function();
        }
    }
    changed
}

/// Gives each `invoke` a normal destination of its own. Code that follows
/// an invoke's result (its shadow, a tape store, an augmented call's
/// results) goes at the start of that destination, which must therefore be
/// reached from the invoke alone.
fn split_invoke_edges(f: Value) {
    let mut preds: hashbrown::HashMap<Block, usize> = hashbrown::HashMap::new();
    for blk in f.blocks() {
        for s in blk.successors() {
            *preds.entry(s).or_default() += 1;
        }
    }
    let b = Builder::new(f.global_parent());
    for blk in f.blocks() {
        let Some(inv) = blk.terminator().filter(|t| t.is_invoke()) else {
            continue;
        };
        let normal = inv.successors()[0];
        if preds.get(&normal).copied().unwrap_or(0) < 2 {
            continue;
        }
        let mid = f.insert_block_before(normal, &format!("{}.cont", blk.name()));
        b.at_end(mid);
        b.br(normal);
        inv.set_successor(0, mid);
        // The destination's phis now come from `mid`.
        for phi in normal.phis() {
            let incoming = phi.incoming();
            b.before(phi);
            let new = b.phi(phi.ty(), "");
            for (v, from) in incoming {
                new.add_incoming(v, if from == blk { mid } else { from });
            }
            new.copy_debug_loc(phi);
            phi.replace_all_uses_with(new);
            let name = phi.name();
            phi.erase();
            new.set_name(&name);
        }
    }
}

/// Pipeline run on every generated derivative.
pub const SIMPLIFY_DERIVATIVE: &str = "sroa,mem2reg,instcombine<no-verify-fixpoint>,simplifycfg,early-cse,gvn,instcombine<no-verify-fixpoint>,adce,simplifycfg";

/// Loop preparation run on a derivative when the host pipeline will
/// vectorize it (-O1 and up). A reverse loop that reads and clears the
/// shadow of `u[i]` and adds into the shadow of `u[i+1]` stores a zero that
/// the next iteration reads back: loop-load elimination forwards it through
/// a phi `[shadow at entry, 0]`, peeling one iteration makes that phi a
/// constant, and the loop no longer has a memory dependence that blocks the
/// vectorizer. Peeling is limited to loops whose phis become invariant.
const PREPARE_LOOPS: &str = "loop-simplify,lcssa,loop(indvars,loop-deletion),loop-load-elim,loop-unroll<O2;peeling;no-partial;no-runtime;no-upperbound;no-profile-peeling>,instcombine<no-verify-fixpoint>,simplifycfg";

/// Simplifies a generated derivative; at `opt_level` 1+ also prepares its
/// loops for the vectorizer.
pub fn simplify_derivative(f: Value, opt_level: u32) -> Result<()> {
    let run = |pipeline: &str| {
        shim::run_function_pipeline(f, pipeline).map_err(|e| {
            Error::new(format!(
                "internal error: derivative simplification pipeline: {e}"
            ))
        })
    };
    run(SIMPLIFY_DERIVATIVE)?;
    if opt_level > 0 {
        run(PREPARE_LOOPS)?;
        shim::sink_stores(f);
    }
    Ok(())
}
