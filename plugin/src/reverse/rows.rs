//! Rows recomputed in the reverse sweep.
//!
//! A loop whose iterations write nothing and meet only in one floating-point
//! sum — a loss over data rows, `f += huber(y[i] - x[i] . w)` — is taped row
//! by row: the forward sweep stores each row's values (the residual, the
//! branch taken), the reverse sweep reads the row of data again. The
//! hand-written adjoint does each row's reverse right after its forward
//! pass, with the row in cache and nothing stored.
//!
//! Here such a loop's body becomes a call of a new function
//! `ferment.rows.<F>.<k>` (the shim's `ferment_outline_sum_rows`): the
//! iteration's header values and the loop's inputs in, the iteration's
//! term out, the loop adding the result to its sum. Differentiating the
//! call, the forward sweep keeps the primal call — dead, since a combined
//! derivative that drops its return needs no value of the sum — and the
//! reverse sweep calls the row's combined derivative
//! ([`calls`](super::calls)), which runs the row's forward and reverse
//! passes together; [`inline_rows`] inlines it back before the derivative
//! is simplified. The row's data is read in the reverse sweep only.
//!
//! Sound because the function writes no memory at all (every row reads the
//! same memory wherever it runs), the rows write nothing, the sum enters
//! each iteration with coefficient one (so the term's adjoint is the sum's)
//! and nothing else crosses iterations but integer and pointer header
//! values, which the call takes as arguments. Only for outermost loops
//! that contain a loop (a row worth a call), in combined derivatives of
//! width one that do not return the primal value, and where the sum's exit
//! value reaches only further sums and the `ret`.
//! Rows are one level of inner loops of one length that read a row of
//! data (an address moving with both loops).
//!
//! Two rows at a time. Fused alone, a row runs its dot product — an
//! ordered sum, one add's latency per element — before its reverse, where
//! the taped form's separate forward loop overlapped consecutive rows' sums
//! (logreg, d = 200: 0.86 -> 0.99 ms tuned). So the shim first unswitches
//! an invariant test around the row (`p > 0`), unrolls the loop by two
//! (a remainder loop takes an odd count's last row) and jams the second
//! row's inner loop into the first's (`jamInnerLoops`: both of one block,
//! one trip count; what the second needs from its iteration moves before
//! the first, which is sound because the function writes no memory). The
//! pair's two sums then overlap as in the taped form, and the data is read
//! once (tuned: huber 1.49 -> 0.67 ms, ordinal 2.99 -> 2.04, logreg 0.90
//! -> 0.69, nbll 3.97 -> 3.55; plain -O2: huber 1.33 -> 0.97, ordinal 2.72
//! -> 2.59, logreg 0.79 -> 0.64, nbll 4.19 -> 3.74, session 32). By default
//! (`recompute_rows` 1) only loops so jammed (and their
//! remainder) are outlined, and not those whose
//! inner loop reads at an address not affine in it (warp.c's image sampled
//! at `(i + u, j + v)`: 8.8 -> 12.3 ms fused), and `F` is left as it was
//! where none is: the unswitching and unrolling are tried on a copy.
//! `-ferment-recompute-rows` (2) outlines every loop that qualifies,
//! jammed or not; `-ferment-no-jam-rows` and `-ferment-no-recompute-rows`
//! (0) none.

use crate::derive::Ctx;
use crate::error::{Error, Result};
use crate::frontend::request::{DerivativeKey, Mode, Shape};
use ferment_ir::Value;

/// The name prefix of outlined rows.
pub const ROWS_PREFIX: &str = "ferment.rows.";

/// Cleans up what only the sum used in the loop left in `f`, and restores
/// the canonical loop form the generator expects.
const AFTER_OUTLINING: &str =
    "adce,simplifycfg,loop-simplify,lcssa,loop(loop-deletion),simplifycfg,loop-simplify,lcssa";

/// Whether `callee` is an outlined row.
pub fn is_row(callee: Value) -> bool {
    callee.name().starts_with(ROWS_PREFIX)
}

/// Outlines the rows of `f` (the canonical copy, moved into the derivative
/// being built for `key`) where they qualify; returns how many.
pub fn outline(ctx: &Ctx, key: &DerivativeKey, f: Value) -> Result<usize> {
    if ctx.options.recompute_rows == 0
        || key.mode != Mode::Reverse
        || key.shape != Shape::Combined
        || key.width != 1
        || key.return_primal
        || key.log_loads
        || crate::gpu::is_gpu(ctx.module)
    {
        return Ok(0);
    }
    let rows = crate::shim::outline_sum_rows(f, ctx.options.recompute_rows as u32);
    if rows.is_empty() {
        return Ok(0);
    }
    crate::shim::run_function_pipeline(f, AFTER_OUTLINING)
        .map_err(|e| Error::new(format!("internal error: after outlining rows: {e}")))?;
    if ctx.options.restrict_params != 0 {
        restrict_row_params(key, f, &rows);
    }
    for r in &rows {
        crate::shim::verify_function(*r).map_err(|e| {
            Error::new(format!(
                "internal error: the outlined row '{}' failed LLVM's verifier:\n{e}",
                r.name()
            ))
        })?;
    }
    Ok(rows.len())
}

/// A row's pointer parameter that receives a `restrict` parameter of the
/// primal (passed to no other parameter) is `noalias` too, so the row's
/// derivative marks its own (`mark_restrict_params`) as the caller's was.
fn restrict_row_params(key: &DerivativeKey, f: Value, rows: &[Value]) {
    let params = f.params();
    for &r in rows {
        for call in r.users() {
            if !call.is_call() || call.called_operand() != r {
                continue;
            }
            let args = call.call_args();
            for (i, a) in args.iter().enumerate() {
                let Some(k) = params.iter().position(|p| p == a) else {
                    continue;
                };
                let once = args.iter().filter(|b| *b == a).count() == 1;
                if once
                    && a.ty().is_pointer()
                    && k < key.activities.len()
                    && key.function.param_is_noalias(k as u32)
                {
                    r.add_param_enum_attribute(i as u32, "noalias");
                }
            }
        }
    }
}

/// Inlines the combined derivatives of rows among `generated` into their
/// callers (the reverse sweeps that call them once per iteration), deletes
/// them and drops them from `generated`.
pub fn inline_rows(generated: &mut Vec<Value>) {
    let prefix = format!("ferment.diffe.{ROWS_PREFIX}");
    // Innermost first: a row's derivative may call a nested row's.
    let mut rows: Vec<Value> = generated
        .iter()
        .copied()
        .filter(|f| f.name().starts_with(&prefix))
        .collect();
    rows.sort_by_key(|f| std::cmp::Reverse(f.name().len()));
    for d in rows {
        let mut all = true;
        for u in d.users() {
            all &= u.is_call() && u.called_operand() == d && crate::shim::inline_call(u);
        }
        if all && d.users().is_empty() {
            generated.retain(|f| *f != d);
            d.delete_function();
        }
    }
}
