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

/// Simplifies a generated derivative.
pub fn simplify_derivative(f: Value) -> Result<()> {
    shim::run_function_pipeline(f, SIMPLIFY_DERIVATIVE).map_err(|e| {
        Error::new(format!(
            "internal error: derivative simplification pipeline: {e}"
        ))
    })
}
