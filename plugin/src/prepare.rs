//! The private, canonical copy of a function that the generators read.
//!
//! Role: never mutate user code. Clone the function, inline its defined
//! callees (unless disabled), and canonicalize the clone with a small LLVM
//! pipeline: at -O0 the user's code is unoptimized (allocas, no SSA), at
//! -O1+ it is already simplified and this is cheap.

use crate::error::{Error, Result};
use crate::shim::{self, Options};
use ferment_ir::Value;

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
    if options.preopt != 0 {
        shim::run_function_pipeline(clone, CANONICALIZE)
            .map_err(|e| Error::new(format!("internal error: canonicalization pipeline: {e}")))?;
    } else {
        shim::run_function_pipeline(clone, "mem2reg,loop-simplify,lcssa")
            .map_err(|e| Error::new(format!("internal error: canonicalization pipeline: {e}")))?;
    }
    Ok(clone)
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
