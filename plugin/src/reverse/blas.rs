//! Reverse mode of BLAS calls (rules in `rules/blas/`).
//!
//! At a BLAS call's position in the reverse sweep: fetch the shadows of its
//! arrays and the adjoint of its result, ask the rule which arrays' values at
//! the time of the call the adjoint needs, copy those in the forward sweep
//! right before the call (a heap buffer whose pointer goes on the tape; freed
//! after use), and emit the adjoint as BLAS calls. Scalars (`alpha`,
//! `beta`, and every operand of the Fortran interface, which passes them by
//! reference) are read in the forward sweep and taped like any value.

use super::ReverseSweep;
use crate::error::{Error, Result};
use crate::rules::blas::{self, Derivs, Emit};
use ferment_ir::{Builder, Type, Value};

/// Handles `inst` when it is a call to a supported BLAS routine.
pub(super) fn reverse_blas(s: &mut ReverseSweep, inst: Value) -> Result<bool> {
    if blas::known_effects(inst).is_none() {
        return Ok(false);
    }
    // A call on constant data only stays in the primal, whatever its flags.
    if !s.activity.is_active_instruction(inst) && !s.is_active(inst) {
        return Ok(true);
    }
    let Some(dec) = blas::decode(inst)? else {
        return Ok(false);
    };
    if inst.is_invoke() {
        return Err(Error::at(
            inst,
            format!(
                "cannot differentiate call to '{}' where it may throw (an invoke)",
                dec.name()
            ),
        )
        .hint("declare the BLAS routine noexcept / nothrow, or call it outside the try block"));
    }
    let module = s.module;
    if let Some(p) = dec
        .array_pointers()
        .into_iter()
        .chain(dec.scalar_pointers())
        .find(|p| s.first_shadows().is_some_and(|sh| sh.is_mixed(*p)))
    {
        return Err(Error::at(
            inst,
            format!(
                "cannot differentiate call to '{}': operand {} may point to memory with or without derivatives, depending on the path taken",
                dec.name(),
                p.short()
            ),
        )
        .hint("give the BLAS call operands that are either always active or always constant"));
    }
    // The forward sweep reads by-reference operands right before the call.
    let fwd = Builder::new(module);
    fwd.before(inst);
    fwd.set_debug_loc_from(inst);
    let mut op = dec.op(module, &mut |p, ty| fwd.load(ty, p));
    dec.skip_query(&fwd, &mut op);

    // Per lane: the shadows of the arrays and by-reference scalars, and the
    // adjoint of the result (batched: each lane has its own; the copies of
    // the forward sweep serve all lanes).
    let width = s.width;
    let mut lane_shadows: Vec<Vec<Option<Value>>> = Vec::with_capacity(width);
    let mut lane_scalar_shadows: Vec<Vec<Option<Value>>> = Vec::with_capacity(width);
    let mut lane_results: Vec<Option<Value>> = Vec::with_capacity(width);
    let result_active = dec.returns() && s.is_active(inst);
    for lane in 0..width {
        lane_shadows.push(
            op.arrays
                .iter()
                .map(|a| s.shadow_in_reverse_lane(a.ptr, lane))
                .collect(),
        );
        lane_scalar_shadows.push(
            op.scalars
                .iter()
                .map(|sc| sc.by_ref.and_then(|p| s.shadow_in_reverse_lane(p, lane)))
                .collect(),
        );
        lane_results.push(result_active.then(|| s.adjoints.take(&s.b, inst, lane)));
    }
    let shadow_ptrs = &lane_shadows[0];
    let wanted: Vec<bool> = op
        .scalars
        .iter()
        .zip(&lane_scalar_shadows[0])
        .map(|(sc, sh)| match sc.by_ref {
            Some(_) => sh.is_some(),
            None => s.is_active(sc.value),
        })
        .collect();
    let d_result = lane_results[0];
    let shadowed: Vec<bool> = shadow_ptrs.iter().map(Option::is_some).collect();
    let needed = op.needed(&shadowed, &wanted, d_result.is_some());

    // Copies of the needed arrays in the forward sweep: right before the
    // call (its inputs) or right after it (its outputs), unless nothing
    // overwrites them later (then the reverse sweep reads them in place).
    let after_call = Builder::new(module);
    after_call.after(inst);
    after_call.set_debug_loc_from(inst);
    let mut copies: Vec<(blas::Need, Option<Value>)> = Vec::new();
    let mut rebuilds: Vec<(usize, crate::reverse::tape::Rebuild)> = Vec::new();
    // Filling nests whose reverse needs its first iteration alone, per
    // rebuilt operand (`Rebuild::first_column_only`).
    let mut first_only: Vec<(usize, crate::reverse::tape::FirstOnly)> = Vec::new();
    for &need in &needed {
        let i = need.array;
        let p = op.arrays[i].ptr;
        let in_place =
            (need.after || !dec.writes().contains(&i)) && s.tape.blas_operand_unchanged(inst, p);
        if in_place {
            copies.push((need, None));
            continue;
        }
        // An input its loop (nest) filled right before the call: run it
        // again in the reverse sweep instead of copying the input.
        if !need.after && !dec.writes().contains(&i) {
            let elem = op.prec.ty(module);
            let stride = op.arrays[i].stride;
            let activity = &s.activity;
            let active = |v: Value| !v.is_constant() && activity.is_active(v);
            let rb = match op.extent(i) {
                blas::Extent::Matrix(rows, cols) => s
                    .tape
                    .blas_rebuild(&s.loops, inst, p, elem, rows, cols, stride, &active),
                blas::Extent::Vector(n) => s
                    .tape
                    .blas_rebuild_vector(&s.loops, inst, p, elem, n, stride),
            };
            if let Some(rb) = rb {
                // the `gemm` rule gives only the row sums, in column 0
                if let (true, Some(lp), blas::Extent::Matrix(rows, _), Some((calls, stores))) = (
                    matches!(op.kind, blas::Kind::Gemm) && i < 2,
                    s.tape.first_column_only(&s.loops, &rb, &active),
                    op.extent(i),
                    s.tape.block_users(p),
                ) {
                    first_only.push((
                        i,
                        crate::reverse::tape::FirstOnly {
                            lp,
                            p,
                            store: rb.store(),
                            call: inst,
                            rows,
                            ld: stride,
                            calls,
                            stores,
                        },
                    ));
                }
                let sums = if rb.col_sums() {
                    "; its adjoint only summed along rows"
                } else {
                    ""
                };
                s.tape.report.add(|| {
                    format!(
                        "  rebuild array operand {} of `{}` in the reverse sweep from the loops that fill it (no copy{sums})",
                        i + 1,
                        dec.name()
                    )
                });
                rebuilds.push((copies.len(), rb));
                copies.push((need, None));
                continue;
            }
        }
        let e = Emit {
            b: if need.after { &after_call } else { &fwd },
            module,
            prec: op.prec,
            int: op.int,
            cache: s.tape.scratch_helpers(),
        };
        let buf = e.pack(&op.arrays[i], op.extent(i));
        s.tape.report.add(|| {
            format!(
                "  copy array operand {} of `{}` {} the call for the reverse sweep",
                i + 1,
                dec.name(),
                if need.after { "after" } else { "before" }
            )
        });
        copies.push((need, Some(buf)));
    }

    // LAPACK's pivots (integers the routine wrote or read): read in place
    // when nothing overwrites them later, else copied after the call.
    let pivots = match op.pivots {
        Some(p) if !needed.is_empty() => {
            if s.tape.blas_operand_unchanged(inst, p) {
                Some((p, false))
            } else {
                let i64t = after_call.i64();
                let n = after_call.int_cast(op.dims[0], i64t, true);
                let size = after_call.const_int(i64t, module.alloc_size(op.int) as i64);
                let bytes = after_call.mul_int(n, size);
                let calloc = crate::reverse::tape::declare(
                    module,
                    "calloc",
                    Type::ptr(module.context()),
                    &[i64t, i64t],
                );
                // at least one element, so a null result always means failure
                let one = after_call.const_int(i64t, 1);
                let buf = after_call.call_fn(calloc, &[after_call.add_int(n, one), size]);
                after_call.memmove(buf, p, bytes);
                s.tape.report.add(|| {
                    format!(
                        "  copy the pivots of `{}` after the call for the reverse sweep",
                        dec.name()
                    )
                });
                Some((buf, true))
            }
        }
        _ => None,
    };

    // A factorization's status, read after the call (NaN derivatives where
    // it failed).
    let status = match dec.status(inst).filter(|_| !needed.is_empty()) {
        Some(blas::Status::Returned) => Some(inst),
        Some(blas::Status::ByRef(p)) => Some(after_call.load(op.int, p)),
        None => None,
    };

    // The operands as seen from the reverse sweep.
    let mut rop = op.clone();
    for v in rop.dims.iter_mut() {
        *v = s.primal(*v);
    }
    for sc in rop.scalars.iter_mut() {
        sc.value = s.primal(sc.value);
    }
    for a in rop.arrays.iter_mut() {
        a.ptr = s.primal(a.ptr);
        a.stride = s.primal(a.stride);
    }
    let pivots = pivots.map(|(p, copied)| (s.primal(p), copied));
    rop.pivots = pivots.map(|(p, _)| p);
    rop.info = status.map(|v| s.primal(v));
    let bufs: Vec<(blas::Need, Option<Value>)> = copies
        .iter()
        .map(|&(n, b)| (n, b.map(|b| s.primal(b))))
        .collect();
    let result = (dec.returns() && d_result.is_some()).then(|| s.primal(inst));
    let free_flag = s.free_flag;

    let b = Builder::new(module);
    b.at_end(s.b.insert_block());
    b.set_debug_loc_from(inst);
    let e = Emit {
        b: &b,
        module,
        prec: op.prec,
        int: op.int,
        cache: s.tape.scratch_helpers(),
    };
    let mut after = vec![None; rop.arrays.len()];
    let original: Vec<(Value, Value)> = rop.arrays.iter().map(|a| (a.ptr, a.stride)).collect();
    // The rebuilt operands, into scratch matrices given back like copies;
    // where only the row sums of an operand's adjoint matter to its
    // filling nest, the rule may give just those (in column 0).
    let mut col_sums = vec![false; rop.arrays.len()];
    let mut bufs = bufs;
    for (k, rb) in &rebuilds {
        let i = bufs[*k].0.array;
        let (rows, cols) = match rop.extent(i) {
            blas::Extent::Matrix(rows, cols) => (rows, cols),
            blas::Extent::Vector(n) => (e.b.const_int(op.int, 1), n),
        };
        let (dst, ld) = e.scratch(rows, cols);
        s.tape
            .emit_blas_rebuild(&s.loops, &b, rb, dst, rows, cols, ld);
        bufs[*k].1 = Some(dst);
        col_sums[i] = rb.col_sums();
    }
    for (i, c) in first_only {
        if col_sums[i] {
            s.tape.reverse_first_iteration_only(c);
        }
    }
    for &(need, buf) in &bufs {
        let i = need.array;
        let value = match buf {
            Some(buf) => (buf, e.packed_stride(original[i].1, rop.extent(i))),
            None => original[i],
        };
        if need.after {
            after[i] = Some(value);
        } else {
            rop.arrays[i].ptr = value.0;
            rop.arrays[i].stride = value.1;
        }
    }
    // Each lane's adjoint reads the same operands (the rules never write
    // the primal arrays or their copies), so one copy serves every lane.
    let mut lane_outs = Vec::with_capacity(width);
    for lane in 0..width {
        // A shadow has the layout of its primal array (the copies may be
        // packed with a stride of their own).
        let shadows: Vec<Option<(Value, Value)>> = lane_shadows[lane]
            .iter()
            .zip(&original)
            .map(|(p, a)| p.map(|p| (p, a.1)))
            .collect();
        let derivs = Derivs {
            col_sums: col_sums.clone(),
            shadows,
            scalars: wanted.clone(),
            scalar_tangents: Vec::new(),
            result: lane_results[lane],
            after: after.clone(),
        };
        lane_outs.push(blas::adjoint(&e, &rop, &derivs, result));
    }
    let piv_buf = pivots.and_then(|(p, copied)| copied.then_some(p));
    // Operand copies and pivots go back to the tape cache when on (kept for
    // the next gradient: no heap growth and trim per call).
    let copied = bufs.iter().filter_map(|&(_, b)| b);
    for buf in copied.chain(piv_buf) {
        // Split shape with `enzyme_nofree`: kept for another reverse sweep.
        let p = match free_flag {
            Some(flag) => b.select(flag, buf, b.zero(Type::ptr(module.context()))),
            None => buf,
        };
        e.free(p);
    }
    drop(b);
    for (lane, (outs, scalar_shadows)) in lane_outs.into_iter().zip(lane_scalar_shadows).enumerate()
    {
        for ((sc, d), sh) in op.scalars.iter().zip(outs).zip(scalar_shadows) {
            let Some(d) = d else { continue };
            match (sc.by_ref, sh) {
                (Some(_), Some(sp)) => {
                    let ty = d.ty();
                    let old = s.b.load(ty, sp);
                    s.b.store(s.b.fadd_acc(old, d), sp);
                }
                _ => s.add_lane(sc.value, lane, d),
            }
        }
    }
    Ok(true)
}
