//! Reverse mode of a checkpointed time loop (`__enzyme_checkpoint_for` with
//! `enzyme_checkpoint_region`s, lowered to a `ferment.checkpoint.*` loop
//! function by [`crate::frontend::loops`]), which stays a call in the
//! caller's derivative and gets this split pair instead of a taped loop:
//!
//! - augmented forward: the steps run in segments of `L` steps; before each
//!   segment the regions (the loop-carried state) are copied into a
//!   snapshot buffer, the tape: `32 + ceil(n / L) * bytes` bytes, no
//!   per-step tape at all;
//! - reverse: for each segment, last first, the snapshot is copied into a
//!   workspace (step arguments that point into a region are moved to the
//!   same place in the workspace; regions that are globals, which steps may
//!   write directly, are restored in place and get back their contents at
//!   the end) and the combined derivative of the segment (forward taped
//!   over `L` steps, then its reverse) runs; the shadows carry the adjoint
//!   of the state from the end of the segment to its start. The caller's
//!   memory is not touched: its forward sweep may have freed it already.
//!
//! The gradient is the plain loop's: every step is recomputed from the
//! state it started from. The segment length is `ceil(n / snapshots)` when
//! the configuration asks for a number of snapshots, `1` for
//! `EnzymeCkptStoreAll`, else `-ferment-checkpoint=K`, else
//! `ceil(sqrt(n))` (peak memory: `sqrt(n)` snapshots plus one segment's
//! tape). Revolve's binomial schedule is not implemented: its scheme gets
//! these periodic segments.
//!
//! Exactness needs the steps to write only the regions (and their own
//! locals): the loop function's lowering checks the globals, and
//! [`check_writes`] here every other write of the inlined segment; the
//! memory the steps read through other arguments must not change between
//! the loop and the reverse sweep, which the caller vouches for
//! ([`DerivativeKey::unchanged_args`]) or the compile stops. A combined
//! derivative vouches for a plain pointer argument when its code after the
//! loop writes only its own locals ([`combined_vouches`]); the steps could
//! still change that memory if it overlaps a region, which the reverse
//! sweep checks at run time ([`DerivativeKey::checked_args`]).

use crate::derive::{Ctx, Derivative};
use crate::error::{Error, Result};
use crate::frontend::loops::{
    CHECKPOINT_COVERED, CHECKPOINT_EXTENTS, CHECKPOINT_REGIONS, CHECKPOINT_SEGMENT,
};
use crate::frontend::request::{Activity as ArgAct, DerivativeKey, Mode, Shape};
use crate::reverse::tape::declare;
use ferment_activity_analysis::{allocation_kind, underlying_objects, AllocKind};
use ferment_ir::{Builder, IntPredicate, Module, Opcode, Type, Value};

/// Whether `key` asks for the reverse mode of a checkpointed loop function.
pub fn applies(key: &DerivativeKey) -> bool {
    key.mode == Mode::Reverse && key.function.string_attribute(CHECKPOINT_SEGMENT).is_some()
}

/// Bytes of the snapshot buffer's header: steps, segment length, segments.
const HEADER: u64 = 32;

/// Fills the split pair `aug`/`rev` of the checkpointed loop function
/// `key.function` (see the module comment).
pub fn generate(ctx: &mut Ctx, key: &DerivativeKey, aug: Value, rev: Value) -> Result<()> {
    let helper = key.function;
    let module = ctx.module;
    let internal = || {
        Error::at(
            helper,
            "internal error: malformed checkpointed loop function",
        )
    };
    let seg = helper
        .string_attribute(CHECKPOINT_SEGMENT)
        .and_then(|n| module.function(&n))
        .ok_or_else(internal)?;
    let globals: Vec<bool> = helper
        .string_attribute(CHECKPOINT_REGIONS)
        .ok_or_else(internal)?
        .chars()
        .map(|c| c == 'g')
        .collect();
    let nreg = globals.len();
    let covered: Vec<bool> = helper
        .string_attribute(CHECKPOINT_COVERED)
        .unwrap_or_default()
        .chars()
        .map(|c| c == 'r')
        .collect();
    let step_name = seg
        .name()
        .trim_start_matches("ferment.checkpoint_seg.")
        .to_string();
    if key.shape != Shape::Split {
        return Err(Error::at(
            helper,
            format!(
                "internal error: checkpointed loop of '{step_name}' asked for in combined shape"
            ),
        ));
    }
    // Batched: one schedule for every lane, the segment's derivative
    // carrying `width` adjoints of each duplicated argument. An active
    // scalar argument's lanes are not collected here.
    if key.width > 1 && key.activities.contains(&ArgAct::Active) {
        return Err(Error::at(
            helper,
            format!("the checkpointed loop of '{step_name}' (__enzyme_checkpoint_for) has an active scalar argument, which ferment cannot differentiate in batched reverse mode"),
        )
        .hint("pass the value through memory (a duplicated pointer), call __enzyme_autodiff once per direction, or drop the checkpoint regions"));
    }
    let np = helper.params().len();
    let first = 4 + 2 * nreg;
    check_writes(ctx, seg, &covered, &step_name)?;
    check_reads(ctx, key, seg, &covered, first, &step_name)?;
    let extents = parse_extents(helper, nreg);
    // Regions every step writes whole before reading them: no snapshot.
    let snapped: Vec<bool> = {
        let copy = ctx.analysis_copy(seg)?;
        let params = copy.params();
        let b = Builder::new(module);
        let on_copy: Vec<Option<crate::reverse::checkpoint_writes::Extent>> = extents
            .iter()
            .map(|e| {
                e.map(|(j, m, elem)| {
                    let count = match m {
                        Count::Arg(m) => params[2 + m],
                        Count::Const(c) => b.const_int(b.i64(), c),
                    };
                    (params[2 + j], count, elem)
                })
            })
            .collect();
        let first_written = crate::reverse::checkpoint_writes::written_first(copy, &on_copy);
        copy.delete_function();
        first_written.iter().map(|w| !w).collect()
    };
    if ctx.options.print_tape != 0 {
        let list = |want: bool| {
            let v: Vec<String> = (0..nreg)
                .filter(|&k| snapped[k] == want)
                .map(|k| (k + 1).to_string())
                .collect();
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        eprintln!(
            "ferment: checkpointed loop of '{step_name}': snapshots hold regions {}; regions written whole by every step before it reads them (no copy): {}",
            list(true),
            list(false)
        );
    }
    let mut acts = vec![ArgAct::Const, ArgAct::Const];
    acts.extend(key.activities[first..].iter().map(|a| match a {
        ArgAct::DupNoNeed => ArgAct::Dup,
        a => *a,
    }));
    // the bounds of the regions the step arguments point into
    acts.push(ArgAct::Const);
    let seg_key = DerivativeKey {
        function: reverse_segment(seg, &extents),
        mode: Mode::Reverse,
        shape: Shape::Combined,
        return_active: false,
        return_primal: false,
        arg_types: if key.arg_types.len() == np {
            let mut t = vec![String::new(), String::new()];
            t.extend(key.arg_types[first..].iter().cloned());
            t.push(String::new());
            t
        } else {
            Vec::new()
        },
        uniform_pointers: false,
        width: key.width,
        unchanged_args: Vec::new(),
        checked_args: Vec::new(),
        context: key.context,
        globals: key.globals.clone(),
        level: key.level,
        log_loads: false,
        own_shadow_args: Vec::new(),
        seeds_finite: false,
        // (the loop's inputs, where its caller flagged any: all of them)
        nonfinite_inputs: if key.nonfinite_inputs.contains(&true) {
            vec![true; acts.len() + 1]
        } else {
            Vec::new()
        },
        activities: acts,
        handoffs: key.handoffs,
    };
    let Derivative::Combined(dseg) = ctx.get(&seg_key)? else {
        return Err(internal());
    };
    let checked: Vec<bool> = (first..np)
        .map(|k| key.checked_args.get(k) == Some(&true))
        .collect();
    let mut covered_all = covered.clone();
    covered_all.resize(np - first, false);
    check_bounds(module, dseg, &covered_all, &checked, nreg, &step_name)?;
    let k_opt = ctx.options.checkpoint.max(0) as i64;
    // The snapshots and the workspace are tens of megabytes for a long
    // time loop: through the tape cache, so the next gradient of the
    // thread does not fault in fresh pages for them (`-ferment-no-tape-cache`).
    let cache = if ctx.options.tape_cache != 0 {
        crate::reverse::tape::tape_cache_helpers(module, ctx.options.tape_arena != 0)
    } else {
        None
    };
    fill_augmented(module, key, aug, seg, &snapped, k_opt, cache);
    fill_reverse(module, key, rev, dseg, &globals, &covered, &snapped, cache);
    Ok(())
}

/// The function whose derivative recomputes and reverses a segment: a
/// copy of the segment with one more parameter, a pointer to the bounds
/// (`[address, bytes]` as `i64`s) of the region each step argument points
/// into, which [`check_bounds`] makes the derivative test its accesses
/// against. Where regions are reached through one argument each
/// ([`CHECKPOINT_EXTENTS`]), the copy says so: those parameters `noalias`,
/// with their extents ([`crate::reverse::tape::PARAM_EXTENTS`]). True of
/// the reverse sweep's calls, which pass the workspace's copy of each region
/// (no other argument points into the workspace); so the segment's
/// derivative may snapshot a region once per stage that reads it, as it
/// does a fresh allocation (the stage inputs), instead of taping each value
/// it loads.
fn reverse_segment(seg: Value, extents: &[Option<(usize, Count, i64)>]) -> Value {
    let name = format!(
        "ferment.checkpoint_rseg.{}",
        seg.name().trim_start_matches("ferment.checkpoint_seg.")
    );
    let module = seg.global_parent();
    if let Some(f) = module.function(&name) {
        return f;
    }
    let mut tys = seg.global_value_type().fn_params();
    tys.push(Type::ptr(module.context()));
    let copy = module.add_function(
        &name,
        Type::function(Type::void(module.context()), &tys, false),
    );
    let body = crate::shim::clone_function(seg, &format!("{name}.body"));
    crate::shim::move_body(body, copy);
    copy.set_internal();
    let known: Vec<(usize, Count, i64)> = extents.iter().flatten().copied().collect();
    if known.is_empty() {
        return copy;
    }
    let mut text = Vec::new();
    for &(j, m, elem) in &known {
        copy.add_param_enum_attribute(2 + j as u32, "noalias");
        match m {
            Count::Arg(m) => text.push(format!("{}:{}:{elem}", 2 + j, 2 + m)),
            Count::Const(c) => text.push(format!("{}:#{c}:{elem}", 2 + j)),
        }
    }
    copy.add_string_attribute(crate::reverse::tape::PARAM_EXTENTS, &text.join(";"));
    copy
}

/// String attribute of a segment's derivative whose accesses
/// [`check_bounds`] has guarded.
const BOUNDS_CHECKED: &str = "ferment-checkpoint-bounds";

/// Guards every access of `dseg` (the derivative of [`reverse_segment`]'s
/// copy: `(first, count, args..., bounds, shadows...)`) through the primal of
/// a step argument that points into the regions: its bytes must lie inside
/// that argument's region (bounds `[address, bytes]` per argument), else the
/// program stops with a message. The reverse sweep recomputes the steps in
/// a workspace holding only the regions' bytes: a step reading past its
/// region (a halo `u[-1]`, `u[n]` of a region of `n` elements, an offset
/// known at run time) read the caller's memory in the forward sweep but
/// would read another region's copy, or no memory of the workspace at all,
/// in the recomputation, and silently give a wrong gradient.
fn check_bounds(
    module: Module,
    dseg: Value,
    covered: &[bool],
    checked: &[bool],
    nreg: usize,
    step: &str,
) -> Result<()> {
    let nargs = covered.len();
    if dseg.string_attribute(BOUNDS_CHECKED).is_some() {
        return Ok(());
    }
    dseg.add_string_attribute(BOUNDS_CHECKED, "1");
    let params = dseg.params();
    let targets: Vec<(usize, Value)> = (0..nargs)
        .filter(|&j| covered.get(j) == Some(&true) && params[2 + j].ty().is_pointer())
        .map(|j| (j, params[2 + j]))
        .collect();
    // Arguments outside the regions whose reads must lie apart from every
    // region (`DerivativeKey::checked_args`).
    let apart: Vec<(usize, Value)> = (0..nargs)
        .filter(|&j| checked.get(j) == Some(&true) && params[2 + j].ty().is_pointer())
        .map(|j| (j, params[2 + j]))
        .collect();
    if targets.is_empty() && apart.is_empty() {
        return Ok(());
    }
    let ctx = module.context();
    let i64t = Type::int(ctx, 64);
    // (instruction, address, bytes: a constant or a length operand)
    let mut accesses: Vec<(Value, Value, Value, &str)> = Vec::new();
    let b = Builder::new(module);
    for i in dseg.instructions() {
        match i.opcode() {
            Opcode::LLVMLoad => accesses.push((
                i,
                i.operand(0),
                b.const_int(i64t, module.alloc_size(i.ty()) as i64),
                "reads",
            )),
            Opcode::LLVMStore => accesses.push((
                i,
                i.operand(1),
                b.const_int(i64t, module.alloc_size(i.operand(0).ty()) as i64),
                "writes",
            )),
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                let name = i.called_name();
                let args = i.call_args();
                let copies = args.len() >= 3
                    && args[2].ty().is_integer()
                    && (ferment_activity_analysis::is_memcpy_like(&name)
                        || ferment_activity_analysis::is_memset_like(&name));
                let unchecked = copies
                    || name.starts_with("llvm.lifetime")
                    || name.starts_with("llvm.dbg")
                    || name.starts_with("llvm.assume")
                    || (crate::rules::call_rule(&name).is_some()
                        && i.called_function().is_some_and(|f| f.is_declaration()));
                if !unchecked {
                    // Reads inside another function cannot be checked here.
                    for a in args.iter().filter(|a| a.ty().is_pointer()) {
                        let objs = underlying_objects(*a);
                        if let Some(&(j, _)) = apart.iter().find(|(_, p)| objs.contains(p)) {
                            return Err(Error::at(
                                i,
                                format!(
                                    "the step '{step}' of a checkpointed loop passes its argument {} (memory outside the checkpoint regions, which the reverse sweep must check apart from them) to '{name}', whose reads ferment cannot check",
                                    j + 1
                                ),
                            )
                            .hint("declare the pointer parameter it comes from `restrict` in the differentiated function, let the callee be inlined, or list that memory as a checkpoint region too (`enzyme_checkpoint_region, ptr, bytes`)"));
                        }
                    }
                }
                if !copies {
                    continue;
                }
                if ferment_activity_analysis::is_memcpy_like(&name) {
                    accesses.push((i, args[0], args[2], "writes"));
                    accesses.push((i, args[1], args[2], "reads"));
                } else if ferment_activity_analysis::is_memset_like(&name) {
                    accesses.push((i, args[0], args[2], "writes"));
                }
            }
            _ => {}
        }
    }
    let first = dseg.entry_block().first_instruction();
    let Some(first) = first else { return Ok(()) };
    b.before(first);
    let bounds = params[2 + nargs];
    let limits: Vec<(Value, Value)> = targets
        .iter()
        .map(|&(j, _)| {
            (
                b.load(i64t, b.gep_i8(bounds, 16 * j as u64)),
                b.load(i64t, b.gep_i8(bounds, 16 * j as u64 + 8)),
            )
        })
        .collect();
    // The original regions, and the statistics the forward sweep wrote,
    // which accesses through `apart` arguments must not touch.
    let forbidden: Vec<(Value, Value)> = (0..=nreg)
        .map(|k| {
            let at = 16 * (nargs + k) as u64;
            (
                b.load(i64t, b.gep_i8(bounds, at)),
                b.load(i64t, b.gep_i8(bounds, at + 8)),
            )
        })
        .collect();
    // the accesses through step arguments alone, with those arguments
    // (`apart`: through arguments outside the regions, flagged `usize::MAX`)
    let mut guarded = Vec::new();
    for (inst, addr, bytes, what) in accesses {
        let objects: Vec<Value> = underlying_objects(addr)
            .into_iter()
            .filter(|o| !o.is_null_constant())
            .collect();
        let mine: Vec<usize> = objects
            .iter()
            .filter_map(|o| targets.iter().position(|(_, p)| p == o))
            .collect();
        let away: Vec<usize> = objects
            .iter()
            .filter_map(|o| apart.iter().position(|(_, p)| p == o))
            .collect();
        if !away.is_empty() {
            if away.len() != objects.len() {
                return Err(Error::at(
                    inst,
                    format!(
                        "the step '{step}' of a checkpointed loop {what} memory through a pointer that may be its argument {} (outside the checkpoint regions) or other memory, which ferment cannot check apart from the regions",
                        apart[away[0]].0 + 1
                    ),
                )
                .hint("declare the pointer parameter it comes from `restrict` in the differentiated function, or list that memory as a checkpoint region too (`enzyme_checkpoint_region, ptr, bytes`)"));
            }
            guarded.push((inst, addr, bytes, what, vec![usize::MAX, away[0]]));
        } else if !mine.is_empty() && mine.len() == objects.len() {
            guarded.push((inst, addr, bytes, what, mine));
        }
    }
    // One test before a loop nest where the access runs in every iteration
    // at affine addresses, else a test before the access.
    let hoistable: Vec<(Value, Value)> = guarded
        .iter()
        .filter(|g| (g.4.len() == 1 || g.4[0] == usize::MAX) && !g.0.is_call())
        .map(|g| (g.0, g.1))
        .collect();
    let mut ranges = crate::shim::hoisted_ranges(dseg, &hoistable).into_iter();
    let planned: Vec<Option<(Value, Value, Value)>> = guarded
        .iter()
        .map(|g| {
            if (g.4.len() == 1 || g.4[0] == usize::MAX) && !g.0.is_call() {
                ranges.next().flatten()
            } else {
                None
            }
        })
        .collect();
    // Per argument and constant access size: the address `lo'` and limit
    // such that an access at `a` lies inside the region when `a - lo' <=
    // limit` (unsigned): `lo, bytes - size`, or where the region is smaller
    // than the access, an address no access is within reach of.
    let mut fixed: Vec<(usize, i64, Value, Value)> = Vec::new();
    b.before(first);
    for g in &guarded {
        let Some(size) = g.2.const_int() else {
            continue;
        };
        if g.4[0] == usize::MAX {
            continue;
        }
        for &t in &g.4 {
            if fixed.iter().any(|f| f.0 == t && f.1 == size) {
                continue;
            }
            let (lo, len) = limits[t];
            let size_v = b.const_int(i64t, size);
            let fits = b.icmp(IntPredicate::LLVMIntUGE, len, size_v);
            let far = b.add_int(lo, b.const_int(i64t, i64::MIN));
            let lo2 = b.select(fits, lo, far);
            let lim = b.select(fits, b.sub_int(len, size_v), b.const_int(i64t, 0));
            fixed.push((t, size, lo2, lim));
        }
    }
    // A floating-point load tested in place inside a loop would keep the
    // loop from being vectorized: its test only sets a flag, which every
    // exit of the loop tests, so nothing after the loop sees what it read
    // out of bounds (a number; an address or a store that depends on it is
    // tested in place).
    let deferred: Vec<Option<Vec<Value>>> = guarded
        .iter()
        .zip(&planned)
        .map(|(g, plan)| {
            if plan.is_some() || g.0.opcode() != Opcode::LLVMLoad || !g.0.ty().is_fp_like() {
                return None;
            }
            crate::shim::loop_exit_points(g.0)
        })
        .collect();
    // (one flag for accesses outside their region, one for accesses
    // through `apart` arguments, so each stop names what it found)
    let flag = deferred.iter().any(|d| d.is_some()).then(|| {
        b.before(first);
        [(); 2].map(|_| {
            let slot = b.alloca(Type::int(ctx, 1), "ckpt.outside");
            b.store(b.const_int(Type::int(ctx, 1), 0), slot);
            slot
        })
    });
    let mut exits_done: Vec<(Vec<Value>, bool)> = Vec::new();
    let stop = |b: &Builder,
                bad: Value,
                n: usize,
                what: &str,
                arg: usize,
                inst: Value,
                away: bool| {
        let place = inst
            .source_location()
            .map(|l| format!(" (at {l})"))
            .unwrap_or_default();
        let term = crate::shim::if_then_after(bad);
        b.before(term);
        let message = if away {
            format!(
                "ferment: the step '{step}' of a checkpointed time loop {what} memory through its argument {arg}, which is not a checkpoint region, inside a checkpoint region (or the statistics it writes){place}: the steps change that memory, so recomputing them in the reverse sweep would read other values; list it in the region (enzyme_checkpoint_region, ptr, bytes) or pass memory apart from the regions\n"
            )
        } else {
            format!(
                "ferment: the step '{step}' of a checkpointed time loop {what} memory through its argument {arg} outside the checkpoint region that argument points into{place}: the reverse sweep recomputes the steps from copies of the regions alone; list that memory in the region (enzyme_checkpoint_region, ptr, bytes)\n"
            )
        };
        crate::reverse::tape::emit_stop(
            b,
            &format!("ferment.checkpoint.bounds.{step}.{n}"),
            &message,
        );
    };
    for (n, (((inst, addr, bytes, what, mine), plan), exits)) in
        guarded.into_iter().zip(planned).zip(deferred).enumerate()
    {
        let size = bytes.const_int();
        let bytes = b.int_cast(bytes, i64t, false);
        let outside = |b: &Builder, low: Value, high: Value, t: usize| {
            if let Some(&(_, _, lo2, lim)) =
                size.and_then(|s| fixed.iter().find(|f| f.0 == t && f.1 == s))
            {
                let d = b.sub_int(b.ptr_to_int(low, i64t), lo2);
                let bad = b.icmp(IntPredicate::LLVMIntUGT, d, lim);
                if low == high {
                    return bad;
                }
                let e = b.sub_int(b.ptr_to_int(high, i64t), lo2);
                return b.or_int(bad, b.icmp(IntPredicate::LLVMIntUGT, e, lim));
            }
            let (lo, len) = limits[t];
            let d = b.sub_int(b.ptr_to_int(low, i64t), lo);
            let e = b.sub_int(b.ptr_to_int(high, i64t), lo);
            b.or_int(
                b.icmp(IntPredicate::LLVMIntUGT, d, len),
                b.or_int(
                    b.icmp(IntPredicate::LLVMIntUGT, e, len),
                    b.icmp(IntPredicate::LLVMIntUGT, b.add_int(e, bytes), len),
                ),
            )
        };
        // The bytes `[low, high + bytes)` overlap a forbidden range
        // `[lo, lo + len)`: `low - lo < len` or `lo - low < high + bytes - low`
        // (unsigned).
        let overlaps = |b: &Builder, low: Value, high: Value| {
            let (low, high) = (b.ptr_to_int(low, i64t), b.ptr_to_int(high, i64t));
            let span = b.add_int(b.sub_int(high, low), bytes);
            let mut bad = b.const_int(Type::int(ctx, 1), 0);
            for &(lo, len) in &forbidden {
                let into = b.icmp(IntPredicate::LLVMIntULT, b.sub_int(low, lo), len);
                let over = b.icmp(IntPredicate::LLVMIntULT, b.sub_int(lo, low), span);
                bad = b.or_int(bad, b.or_int(into, over));
            }
            bad
        };
        let away = mine[0] == usize::MAX;
        let bad = match plan {
            Some((low, high, at)) => {
                b.before(at);
                if away {
                    overlaps(&b, low, high)
                } else {
                    outside(&b, low, high, mine[0])
                }
            }
            None if away => {
                b.before(inst);
                overlaps(&b, addr, addr)
            }
            None => {
                b.before(inst);
                let mut bad = b.const_int(Type::int(ctx, 1), 1);
                for &t in &mine {
                    bad = b.and_int(bad, outside(&b, addr, addr, t));
                }
                bad
            }
        };
        let arg = if away {
            apart[mine[1]].0 + 1
        } else {
            targets[mine[0]].0 + 1
        };
        match (exits, flag) {
            (Some(exits), Some(slots)) => {
                let slot = slots[away as usize];
                let i1 = Type::int(ctx, 1);
                b.store(b.or_int(b.load(i1, slot), bad), slot);
                let key = (exits, away);
                if exits_done.contains(&key) {
                    continue;
                }
                for &x in &key.0 {
                    b.before(x);
                    stop(&b, b.load(i1, slot), n, what, arg, inst, away);
                }
                exits_done.push(key);
            }
            _ => stop(&b, bad, n, what, arg, inst, away),
        }
    }
    Ok(())
}

/// A region's element count: a step argument's value, or a constant.
#[derive(Clone, Copy)]
enum Count {
    Arg(usize),
    Const(i64),
}

/// The loop function's [`CHECKPOINT_EXTENTS`]: per region, `(j, m, elem)`
/// (step argument `j` is its pointer, `m` its element count).
fn parse_extents(helper: Value, nreg: usize) -> Vec<Option<(usize, Count, i64)>> {
    let text = helper
        .string_attribute(CHECKPOINT_EXTENTS)
        .unwrap_or_default();
    let mut out: Vec<Option<(usize, Count, i64)>> = text
        .split(',')
        .map(|r| {
            let v: Vec<&str> = r.split(':').collect();
            let [j, m, e] = v.as_slice() else {
                return None;
            };
            let (j, e) = (j.parse::<usize>().ok()?, e.parse::<i64>().ok()?);
            let m = match m.strip_prefix('#') {
                Some(c) => Count::Const(c.parse::<i64>().ok().filter(|c| *c > 0)?),
                None => Count::Arg(m.parse::<usize>().ok()?),
            };
            (e > 0).then_some((j, m, e))
        })
        .collect();
    out.resize(nreg, None);
    out
}

/// Every write of the inlined segment goes to a local object, a global
/// (checked when the loop was lowered) or memory of an argument that points
/// into the regions. A forked OpenMP region of a step (a call of its
/// canonical copy, which the inliner leaves alone) is checked through its
/// body: clang passes its captures as the addresses of stack slots of the
/// step, so each write of the region is traced back to the pointers the
/// step stored in those slots ([`region_sources`]).
fn check_writes(ctx: &Ctx, seg: Value, covered: &[bool], step: &str) -> Result<()> {
    let copy = ctx.analysis_copy(seg)?;
    let params = copy.params();
    // A non-region argument of the step, if `o` is one (its number for the
    // message; `None` for anything else).
    let outside_arg = |o: Value| {
        params
            .iter()
            .position(|p| *p == o)
            .filter(|&k| k >= 2 && covered.get(k - 2) != Some(&true))
    };
    // Whether the step may write the memory `o` (an underlying object of
    // one of its values) is: a local object, a global or a region argument.
    let writable = |o: Value| {
        allocation_kind(o).is_some()
            || params
                .iter()
                .position(|p| *p == o)
                .is_some_and(|k| k >= 2 && covered.get(k - 2) == Some(&true))
    };
    let kept_error = |i: Value, k: usize| {
        Error::at(
            i,
            format!("the step '{step}' of a checkpointed loop stores its argument {} (a pointer outside the checkpoint regions) in memory", k - 1),
        )
    };
    let write_error = |i: Value, o: Value| {
        let what = match params.iter().position(|p| *p == o) {
            Some(k) if k >= 2 => format!("through its argument {}", k - 1),
            _ => format!("at {}", o.short()),
        };
        Error::at(
            i,
            format!(
                "the step '{step}' of a checkpointed loop writes memory {what} that ferment cannot place inside the checkpoint regions: the reverse sweep could not restore it before recomputing a step"
            ),
        )
        .hint("pass the state's pointers (e.g. u.data()) to the step and list each as `enzyme_checkpoint_region, ptr, bytes`")
    };
    let result = (|| {
        for i in copy.instructions() {
            let region = crate::openmp::is_fork(i)
                .then(|| i.called_function())
                .flatten()
                .filter(|f| !f.is_declaration());
            let Some(region) = region else {
                let (dests, kept) = write_dests(i, step)?;
                // Keeping a pointer to memory outside the regions would
                // let a later step write it; a capture slot of the step's
                // forks does not outlive the step, and the regions' writes
                // through it are checked below.
                let capture = i.opcode() == Opcode::LLVMStore
                    && underlying_objects(i.operand(1))
                        .into_iter()
                        .all(|o| slot_contents(o).is_some());
                let kept = kept.filter(|_| !capture);
                for o in kept.map(underlying_objects).unwrap_or_default() {
                    if let Some(k) = outside_arg(o) {
                        return Err(kept_error(i, k));
                    }
                }
                for o in dests.into_iter().flat_map(underlying_objects) {
                    if !writable(o) {
                        return Err(write_error(i, o));
                    }
                }
                continue;
            };
            for r in region.instructions() {
                let (dests, kept) = write_dests(r, step)?;
                for o in kept.map(underlying_objects).unwrap_or_default() {
                    for v in region_sources(o, i, region).unwrap_or_default() {
                        for o in underlying_objects(v) {
                            if let Some(k) = outside_arg(o) {
                                return Err(kept_error(r, k));
                            }
                        }
                    }
                }
                for o in dests.into_iter().flat_map(underlying_objects) {
                    let Some(sources) = region_sources(o, i, region) else {
                        return Err(write_error(r, o));
                    };
                    for o in sources.into_iter().flat_map(underlying_objects) {
                        if !writable(o) {
                            return Err(write_error(r, o));
                        }
                    }
                }
            }
        }
        Ok(())
    })();
    copy.delete_function();
    result
}

/// What instruction `i` of a step may write (the addresses) and the pointer
/// it stores in memory, if any.
fn write_dests(i: Value, step: &str) -> Result<(Vec<Value>, Option<Value>)> {
    let mut dests = Vec::new();
    let mut kept = None;
    match i.opcode() {
        Opcode::LLVMStore => {
            dests.push(i.operand(1));
            kept = Some(i.operand(0)).filter(|v| v.ty().is_pointer());
        }
        Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => dests.push(i.operand(0)),
        Opcode::LLVMCall | Opcode::LLVMInvoke => {
            let Some(f) = i.called_function() else {
                return Err(Error::at(
                    i,
                    format!("the step '{step}' of a checkpointed loop makes an indirect call, whose writes ferment cannot check against the checkpoint regions"),
                ));
            };
            let name = f.name();
            let args = i.call_args();
            if ferment_activity_analysis::is_memcpy_like(&name)
                || ferment_activity_analysis::is_memset_like(&name)
            {
                dests.push(args[0]);
            } else if name.starts_with("llvm.")
                || allocation_kind(i).is_some()
                || ferment_activity_analysis::is_free_like(&name)
            {
            } else if let Some(rule) = crate::rules::call_rule(&name) {
                dests.extend(rule.writes.iter().filter_map(|&k| args.get(k).copied()));
            } else if name.starts_with("__kmpc_") {
                // The OpenMP run time's calls in a region write the loop
                // bounds, reduction and lock objects they are passed, not
                // their source locations (constants) or callbacks.
                let constant = |a: &Value| {
                    a.is_function()
                        || (a.is_global()
                            && unsafe { llvm_sys::core::LLVMIsGlobalConstant(a.0) != 0 })
                };
                dests.extend(
                    args.iter()
                        .filter(|a| a.ty().is_pointer() && !constant(a))
                        .copied(),
                );
            } else if !f.is_declaration() {
                dests.extend(args.iter().filter(|a| a.ty().is_pointer()).copied());
            } else {
                return Err(Error::at(
                    i,
                    format!("the step '{step}' of a checkpointed loop calls '{name}', whose writes ferment cannot check against the checkpoint regions"),
                )
                .hint("move the call out of the step, or drop the checkpoint regions (every step is taped then)"));
            }
        }
        _ => {}
    }
    Ok((dests, kept))
}

/// The values of the step that an underlying object `o` of the forked
/// region `region` (called by `fork`) stands for: none for the region's own
/// objects and globals, the fork's argument for a parameter, and for a
/// pointer loaded from a parameter that is the address of a stack slot of
/// the step (clang's capture of a shared pointer variable), every pointer
/// the step stores in that slot. `None` where that cannot be told: another
/// load, a slot the step passes to anything but forks, loads and lifetime
/// markers, or one that a region may write.
fn region_sources(o: Value, fork: Value, region: Value) -> Option<Vec<Value>> {
    let (params, args) = (region.params(), fork.call_args());
    if allocation_kind(o).is_some() {
        return Some(Vec::new());
    }
    if let Some(j) = params.iter().position(|p| *p == o) {
        return args.get(j).map(|a| vec![*a]);
    }
    if !o.is_instruction() || o.opcode() != Opcode::LLVMLoad {
        return None;
    }
    let mut out = Vec::new();
    for from in underlying_objects(o.operand(0)) {
        let j = params.iter().position(|p| *p == from)?;
        out.extend(slot_contents(*args.get(j)?)?);
    }
    Some(out)
}

/// The values stored in `slot` when it is a stack slot of a step that only
/// passes captures to its forks: its uses are stores into it, loads, forks
/// whose regions do not write it, and lifetime markers. `None` otherwise.
fn slot_contents(slot: Value) -> Option<Vec<Value>> {
    if allocation_kind(slot) != Some(AllocKind::Stack) {
        return None;
    }
    let mut out = Vec::new();
    for u in slot.users() {
        match u.opcode() {
            Opcode::LLVMStore if u.operand(1) == slot && u.operand(0) != slot => {
                out.push(u.operand(0))
            }
            Opcode::LLVMLoad => {}
            Opcode::LLVMCall if crate::openmp::is_fork(u) => {
                if region_writes_capture(u, slot)? {
                    return None;
                }
            }
            Opcode::LLVMCall
                if u.called_function()
                    .is_some_and(|f| f.name().starts_with("llvm.lifetime.")) => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Whether the region that `fork` calls may write the slot `slot` it is
/// passed (`None`: the callee is not known).
fn region_writes_capture(fork: Value, slot: Value) -> Option<bool> {
    let region = fork.called_function().filter(|f| !f.is_declaration())?;
    let params = region.params();
    let mine: Vec<Value> = fork
        .call_args()
        .iter()
        .zip(&params)
        .filter(|(a, _)| **a == slot)
        .map(|(_, p)| *p)
        .collect();
    for r in region.instructions() {
        let touched: Vec<Value> = match r.opcode() {
            Opcode::LLVMStore => vec![r.operand(1), r.operand(0)],
            Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => vec![r.operand(0)],
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                if r.called_function()
                    .is_some_and(|f| f.name().starts_with("llvm.lifetime."))
                {
                    continue;
                }
                r.call_args()
            }
            _ => continue,
        };
        if touched
            .into_iter()
            .filter(|v| v.ty().is_pointer())
            .flat_map(underlying_objects)
            .any(|o| mine.contains(&o))
        {
            return Some(true);
        }
    }
    Some(false)
}

/// Memory the steps read through an argument outside the regions must be
/// the same when the reverse sweep recomputes them: the caller vouches that
/// nothing writes it between the loop and the reverse sweep.
fn check_reads(
    ctx: &Ctx,
    key: &DerivativeKey,
    seg: Value,
    covered: &[bool],
    first: usize,
    step: &str,
) -> Result<()> {
    let copy = ctx.analysis_copy(seg)?;
    let params = copy.params();
    let mut read = vec![false; params.len()];
    for i in copy.instructions() {
        let srcs: Vec<Value> = match i.opcode() {
            Opcode::LLVMLoad => vec![i.operand(0)],
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                let mut args: Vec<Value> = i
                    .call_args()
                    .into_iter()
                    .filter(|a| a.ty().is_pointer())
                    .collect();
                // a fork's region reads what the step stored in the
                // capture slots it is passed
                if crate::openmp::is_fork(i) {
                    let held: Vec<Value> = args
                        .iter()
                        .flat_map(|a| slot_contents(*a).unwrap_or_default())
                        .filter(|v| v.ty().is_pointer())
                        .collect();
                    args.extend(held);
                }
                args
            }
            _ => Vec::new(),
        };
        for s in srcs {
            for o in underlying_objects(s) {
                // a pointer loaded from a capture slot: what the step
                // stored there
                let held: Vec<Value> = if o.is_instruction() && o.opcode() == Opcode::LLVMLoad {
                    underlying_objects(o.operand(0))
                        .into_iter()
                        .flat_map(|slot| slot_contents(slot).unwrap_or_default())
                        .flat_map(underlying_objects)
                        .collect()
                } else {
                    Vec::new()
                };
                for o in std::iter::once(o).chain(held) {
                    if let Some(k) = params.iter().position(|p| *p == o) {
                        read[k] = true;
                    }
                }
            }
        }
    }
    copy.delete_function();
    for (j, arg) in seg.params().iter().enumerate().skip(2) {
        let c = j - 2;
        if !arg.ty().is_pointer() || covered.get(c) == Some(&true) || !read[j] {
            continue;
        }
        if key.unchanged_args.get(first + c) != Some(&true) {
            return Err(Error::at(
                key.function,
                format!(
                    "the step '{step}' of a checkpointed loop reads memory through its argument {} outside the checkpoint regions, and ferment cannot prove that nothing writes it between the loop and the gradient's reverse sweep, which recomputes the steps",
                    c + 1
                ),
            )
            .hint("declare the pointer parameter it comes from `restrict` in the differentiated function, which must not write it, or list that memory as a checkpoint region too (`enzyme_checkpoint_region, ptr, bytes`)"));
        }
    }
    Ok(())
}

/// Modification bits of LLVM's `MemoryEffects` outside argument memory,
/// inaccessible memory and `errno` (2 bits per location, `Mod` the high
/// one): a call whose effects have none of them writes only through its
/// pointer arguments.
const MOD_OTHER: u64 = 0b1010_1000_0000;

/// For a checkpointed loop call `call` in a combined derivative (`blocks`,
/// its reachable blocks): the step arguments outside the regions whose
/// memory nothing writes between the loop and the reverse sweep, as far as
/// this function's own code after the call goes, which is all that runs
/// between them. Every write (or pointer kept, or memory freed) after the
/// call must go to a stack slot or an allocation of this function that the
/// argument does not point into, and the call must not run again (a loop
/// around it). What the steps themselves write is the regions alone
/// ([`check_writes`]); that the memory read through these arguments lies
/// outside every region is left to a run-time check in the reverse sweep
/// ([`DerivativeKey::checked_args`], [`check_bounds`]). `None` when no
/// argument qualifies.
pub fn combined_vouches(call: Value, blocks: &[ferment_ir::Block]) -> Option<Vec<bool>> {
    if !call.is_call() {
        return None;
    }
    let covered = call
        .called_function()?
        .string_attribute(CHECKPOINT_COVERED)?;
    let args = call.call_args();
    let first = args.len().checked_sub(covered.len())?;
    let candidates: Vec<usize> = (first..args.len())
        .filter(|&i| covered.as_bytes()[i - first] != b'r' && args[i].ty().is_pointer())
        .collect();
    if candidates.is_empty() {
        return None;
    }
    // The blocks that may run after the call.
    let home = call.parent();
    let mut after: Vec<ferment_ir::Block> = Vec::new();
    let mut work = home.successors();
    while let Some(blk) = work.pop() {
        if after.contains(&blk) || !blocks.contains(&blk) {
            continue;
        }
        if blk == home {
            return None;
        }
        after.push(blk);
        work.extend(blk.successors());
    }
    let mut tail = Vec::new();
    let mut i = call.next_instruction();
    while let Some(x) = i {
        tail.push(x);
        i = x.next_instruction();
    }
    let local = |o: Value| {
        o.is_instruction()
            && o.function_of() == call.function_of()
            && matches!(
                allocation_kind(o),
                Some(AllocKind::Stack | AllocKind::Heap { .. } | AllocKind::Calloc)
            )
    };
    let mut dirty: Vec<Value> = Vec::new();
    for inst in tail
        .into_iter()
        .chain(after.iter().flat_map(|b| b.instructions()))
    {
        let mut written: Vec<Value> = Vec::new();
        match inst.opcode() {
            Opcode::LLVMStore => {
                written.push(inst.operand(1));
                if inst.operand(0).ty().is_pointer() {
                    written.push(inst.operand(0));
                } else if !inst.operand(0).ty().is_fp_like() && !inst.operand(0).ty().is_integer() {
                    return None;
                }
            }
            Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg => written.push(inst.operand(0)),
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                let callee = inst.called_function()?;
                let name = callee.name();
                let args = inst.call_args();
                if name.starts_with("llvm.lifetime")
                    || name.starts_with("llvm.dbg")
                    || name.starts_with("llvm.assume")
                    || inst.call_accesses_no_memory()
                {
                } else if ferment_activity_analysis::is_memcpy_like(&name)
                    || ferment_activity_analysis::is_memset_like(&name)
                    || ferment_activity_analysis::is_free_like(&name)
                {
                    written.push(args[0]);
                } else if let Some(kind) = allocation_kind(inst) {
                    if matches!(kind, AllocKind::Realloc | AllocKind::OutParam { .. }) {
                        written.push(args[0]);
                    }
                } else if let Some(rule) =
                    crate::rules::call_rule(&name).filter(|_| callee.is_declaration())
                {
                    written.extend(rule.writes.iter().filter_map(|&w| args.get(w).copied()));
                } else if inst
                    .call_memory_effects()
                    .is_some_and(|e| e & MOD_OTHER == 0)
                {
                    // Writes through its pointer arguments at most.
                    written.extend(
                        args.iter()
                            .enumerate()
                            .filter(|&(k, a)| {
                                a.ty().is_pointer()
                                    && !(callee.param_has_attribute(k as u32, "readonly")
                                        && callee.param_captures_none(k as u32))
                            })
                            .map(|(_, a)| *a),
                    );
                } else {
                    return None;
                }
            }
            _ => {}
        }
        for w in written {
            let objs = underlying_objects(w);
            if objs.is_empty() || !objs.iter().all(|o| local(*o)) {
                return None;
            }
            dirty.extend(objs);
        }
    }
    let flags: Vec<bool> = (0..args.len())
        .map(|i| {
            candidates.contains(&i) && {
                // A pointer loaded or returned by a call may point into one
                // of this function's own objects written after the loop.
                let objs = underlying_objects(args[i]);
                !objs.is_empty()
                    && objs.iter().all(|o| {
                        !dirty.contains(o)
                            && (dirty.is_empty() || o.is_argument() || o.is_global() || local(*o))
                    })
            }
        })
        .collect();
    flags.contains(&true).then_some(flags)
}

/// The total size of the regions `which` accepts, at `b`.
fn total_bytes(b: &Builder, params: &[Value], which: &[bool]) -> Value {
    let i64t = b.i64();
    let mut total = b.const_int(i64t, 0);
    for (k, _) in which.iter().enumerate().filter(|(_, w)| **w) {
        total = b.add_int(total, params[5 + 2 * k]);
    }
    total
}

/// Copies each region `which` accepts to (`to_buffer`) or from consecutive
/// places of `buf`.
fn copy_regions(b: &Builder, params: &[Value], which: &[bool], buf: Value, to_buffer: bool) {
    let i8t = b.i8();
    let mut off = b.const_int(b.i64(), 0);
    for (k, _) in which.iter().enumerate().filter(|(_, w)| **w) {
        let (p, bytes) = (params[4 + 2 * k], params[5 + 2 * k]);
        let at = b.gep(i8t, buf, &[off]);
        if to_buffer {
            b.memcpy(at, p, bytes);
        } else {
            b.memcpy(p, at, bytes);
        }
        off = b.add_int(off, bytes);
    }
}

/// Stores at `out` the address and size of `config->stats` (when both are
/// not null; `out` holds zeros before).
fn stats_range(b: &Builder, f: Value, config: Value, out: Value) {
    let ptr = Type::ptr(b.module().context());
    let i64t = b.i64();
    let load_cfg = f.append_block("ckpt.config.range");
    let done = f.append_block("ckpt.config.ranged");
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntNE, config, b.zero(ptr)),
        load_cfg,
        done,
    );
    b.at_end(load_cfg);
    let stats = b.load(ptr, b.gep_i8(config, 32));
    b.store(b.ptr_to_int(stats, i64t), out);
    // EnzymeCkptStats: six int64 counters; a null pointer is no range.
    let len = b.select(
        b.icmp(IntPredicate::LLVMIntNE, stats, b.zero(ptr)),
        b.const_int(i64t, 48),
        b.const_int(i64t, 0),
    );
    b.store(len, b.gep_i8(out, 8));
    b.br(done);
    b.at_end(done);
}

/// Updates `config->stats` (when both are not null): per field of
/// `EnzymeCkptStats`, a value to store or, with `add`, to add.
fn write_stats(b: &Builder, f: Value, config: Value, fields: &[(u64, Value, bool)]) {
    let ptr = Type::ptr(b.module().context());
    let i64t = b.i64();
    let load_cfg = f.append_block("ckpt.config");
    let write = f.append_block("ckpt.stats");
    let done = f.append_block("ckpt.done");
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntNE, config, b.zero(ptr)),
        load_cfg,
        done,
    );
    b.at_end(load_cfg);
    // EnzymeCkptConfig: {int64 snapshots; int verbose; const char *spill_dir;
    // uint64 mem_budget; EnzymeCkptStats *stats}.
    let stats = b.load(ptr, b.gep_i8(config, 32));
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntNE, stats, b.zero(ptr)),
        write,
        done,
    );
    b.at_end(write);
    for &(field, v, add) in fields {
        let at = b.gep_i8(stats, 8 * field);
        let v = if add {
            b.add_int(b.load(i64t, at), v)
        } else {
            v
        };
        b.store(v, at);
    }
    b.br(done);
    b.at_end(done);
}

/// `aug(params..., shadows..., storage) -> {tape}`.
fn fill_augmented(
    module: Module,
    key: &DerivativeKey,
    aug: Value,
    seg: Value,
    snapped: &[bool],
    k_opt: i64,
    cache: Option<(Value, Value)>,
) {
    let nreg = snapped.len();
    let ctx = module.context();
    let (i64t, ptr) = (Type::int(ctx, 64), Type::ptr(ctx));
    let f64t = Type::f64(ctx);
    let p = aug.params();
    let np = key.function.params().len();
    let first = 4 + 2 * nreg;
    let b = Builder::new(module);
    let entry = aug.append_block("entry");
    b.at_end(entry);
    let (start, n, scheme, config) = (p[0], p[1], p[2], p[3]);
    let c = |v: i64| b.const_int(i64t, v);
    let nn = b.select(b.icmp(IntPredicate::LLVMIntSLT, n, c(0)), c(0), n);
    let total = total_bytes(&b, &p, snapped);
    // The snapshot count asked for by the configuration, if any.
    let load_cfg = aug.append_block("config");
    let join = aug.append_block("length");
    b.cond_br(
        b.icmp(IntPredicate::LLVMIntNE, config, b.zero(ptr)),
        load_cfg,
        join,
    );
    b.at_end(load_cfg);
    let asked = b.load(i64t, config);
    b.br(join);
    b.at_end(join);
    let snaps = b.phi(i64t, "snapshots");
    snaps.add_incoming(c(0), entry);
    snaps.add_incoming(asked, load_cfg);
    let sqrt = b.unary_intrinsic("llvm.sqrt", b.sitofp(nn, f64t));
    let sqrt = b.fptosi(b.unary_intrinsic("llvm.ceil", sqrt), i64t);
    let fallback = if k_opt > 0 { c(k_opt) } else { sqrt };
    let by_count = b.udiv_int(
        b.add_int(nn, b.sub_int(snaps, c(1))),
        b.select(b.icmp(IntPredicate::LLVMIntSGT, snaps, c(0)), snaps, c(1)),
    );
    let mut len = b.select(
        b.icmp(IntPredicate::LLVMIntSGT, snaps, c(0)),
        by_count,
        fallback,
    );
    if let Some(all) = module.global("EnzymeCkptStoreAll") {
        len = b.select(b.icmp(IntPredicate::LLVMIntEQ, scheme, all), c(1), len);
    }
    let len = b.select(b.icmp(IntPredicate::LLVMIntSLT, len, c(1)), c(1), len);
    let nseg = b.udiv_int(b.add_int(nn, b.sub_int(len, c(1))), len);
    let bytes = b.add_int(c(HEADER as i64), b.mul_int(nseg, total));
    let tape = match cache {
        Some((take, _)) => b.call_fn(take, &[b.zero(ptr), bytes]),
        None => b.call_fn(declare(module, "malloc", ptr, &[i64t]), &[bytes]),
    };
    b.store(nn, tape);
    b.store(len, b.gep_i8(tape, 8));
    b.store(nseg, b.gep_i8(tape, 16));
    let body = aug.append_block("segment");
    let done = aug.append_block("segments.done");
    b.cond_br(b.icmp(IntPredicate::LLVMIntSGT, nseg, c(0)), body, done);
    b.at_end(body);
    let s = b.phi(i64t, "s");
    s.add_incoming(c(0), join);
    let off = b.mul_int(s, len);
    let left = b.sub_int(nn, off);
    let count = b.select(b.icmp(IntPredicate::LLVMIntSLT, left, len), left, len);
    let slot = b.add_int(c(HEADER as i64), b.mul_int(s, total));
    copy_regions(&b, &p, snapped, b.gep(b.i8(), tape, &[slot]), true);
    let mut args = vec![b.add_int(start, off), count];
    args.extend(p[first..np].iter().copied());
    b.call_fn(seg, &args);
    let next = b.add_int(s, c(1));
    s.add_incoming(next, body);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, next, nseg), body, done);
    b.at_end(done);
    // EnzymeCkptStats: forward steps, taped steps, stores, restores, max
    // slots, max bytes.
    write_stats(
        &b,
        aug,
        config,
        &[
            (0, nn, false),
            (1, c(0), false),
            (2, nseg, false),
            (3, c(0), false),
            (4, nseg, false),
            (5, b.mul_int(nseg, total), false),
        ],
    );
    let ret_ty = aug.global_value_type().fn_return();
    let r = b.insert_value(b.undef(ret_ty), tape, 0);
    b.ret(r);
}

/// `rev(params..., shadows..., tape, free) -> {d_active_args}`.
///
/// The steps are recomputed in a workspace laid out like a snapshot, not in
/// the caller's memory (which its forward sweep may have freed by now): a
/// step argument that points into a region is moved into the workspace's
/// copy of that region. Regions in globals, which the steps may write
/// directly, are recomputed in place, and get back their contents at the
/// end.
#[allow(clippy::too_many_arguments)]
fn fill_reverse(
    module: Module,
    key: &DerivativeKey,
    rev: Value,
    dseg: Value,
    globals: &[bool],
    covered: &[bool],
    snapped: &[bool],
    cache: Option<(Value, Value)>,
) {
    let nreg = globals.len();
    let ctx = module.context();
    let (i64t, ptr) = (Type::int(ctx, 64), Type::ptr(ctx));
    let p = rev.params();
    let np = key.function.params().len();
    let first = 4 + 2 * nreg;
    let b = Builder::new(module);
    let entry = rev.append_block("entry");
    b.at_end(entry);
    let c = |v: i64| b.const_int(i64t, v);
    // Shadows follow the primal parameters, one per duplicated parameter
    // and lane.
    let width = key.width.max(1) as usize;
    let mut shadow_of = vec![Vec::new(); np];
    let mut idx = np;
    for (k, a) in key.activities.iter().enumerate() {
        if a.has_shadow() {
            shadow_of[k] = p[idx..idx + width].to_vec();
            idx += width;
        }
    }
    let (tape, free_flag) = (p[idx], p[idx + 1]);
    let (start, config) = (p[0], p[3]);
    let nn = b.load(i64t, tape);
    let len = b.load(i64t, b.gep_i8(tape, 8));
    let nseg = b.load(i64t, b.gep_i8(tape, 16));
    // the workspace holds every region, a snapshot those `snapped` accepts
    let total = total_bytes(&b, &p, &vec![true; nreg]);
    let snap_total = total_bytes(&b, &p, snapped);
    let (malloc, free) = match cache {
        Some(helpers) => helpers,
        None => (
            declare(module, "malloc", ptr, &[i64t]),
            declare(module, "free", Type::void(ctx), &[ptr]),
        ),
    };
    let malloc = |b: &Builder, bytes: Value| match cache {
        Some(_) => b.call_fn(malloc, &[b.zero(ptr), bytes]),
        None => b.call_fn(malloc, &[bytes]),
    };
    let work = malloc(&b, total);
    // Offsets of the regions in a snapshot.
    let mut offsets = Vec::new();
    let mut off = c(0);
    for k in 0..nreg {
        offsets.push(off);
        off = b.add_int(off, p[5 + 2 * k]);
    }
    // What the global regions hold now is given back at the end.
    let copy_globals = |buf: Value, to_buffer: bool| {
        for k in (0..nreg).filter(|&k| globals[k]) {
            let at = b.gep(b.i8(), buf, &[offsets[k]]);
            let (region, bytes) = (p[4 + 2 * k], p[5 + 2 * k]);
            if to_buffer {
                b.memcpy(at, region, bytes);
            } else {
                b.memcpy(region, at, bytes);
            }
        }
    };
    // Step arguments inside a region: the same place in the workspace.
    let mut args: Vec<Value> = p[first..np].to_vec();
    // per step argument, the bounds (address, bytes) of the region it
    // points into where it is recomputed (see `check_bounds`)
    // then per region its address and bytes in the caller's memory, and
    // the statistics the forward sweep wrote (`checked_args`)
    let bounds = b.alloca_n(i64t, c(2 * (args.len() + nreg + 1) as i64), "ckpt.bounds");
    for k in 0..nreg {
        let at = 16 * (args.len() + k) as u64;
        b.store(b.ptr_to_int(p[4 + 2 * k], i64t), b.gep_i8(bounds, at));
        b.store(p[5 + 2 * k], b.gep_i8(bounds, at + 8));
    }
    {
        let at = 16 * (args.len() + nreg) as u64;
        b.store(c(0), b.gep_i8(bounds, at));
        b.store(c(0), b.gep_i8(bounds, at + 8));
        stats_range(&b, rev, config, b.gep_i8(bounds, at));
    }
    for (j, a) in args.iter_mut().enumerate() {
        if covered.get(j) != Some(&true) || !a.ty().is_pointer() {
            continue;
        }
        let addr = b.ptr_to_int(*a, i64t);
        let mut moved = *a;
        let (mut lo, mut len) = (c(0), c(0));
        let mut found = b.const_int(Type::int(ctx, 1), 0);
        // Unsigned: below a region wraps around to a large offset. One past
        // a region's end is inside it (an end pointer), unless the address
        // is strictly inside another region that starts there: the second
        // pass, strict containment, overrides the first.
        for pred in [IntPredicate::LLVMIntULE, IntPredicate::LLVMIntULT] {
            for k in 0..nreg {
                let base = b.ptr_to_int(p[4 + 2 * k], i64t);
                let delta = b.sub_int(addr, base);
                let inside = b.icmp(pred, delta, p[5 + 2 * k]);
                found = b.or_int(found, inside);
                if !globals[k] {
                    let there = b.gep(b.i8(), work, &[b.add_int(offsets[k], delta)]);
                    moved = b.select(inside, there, moved);
                    let base = b.ptr_to_int(b.gep(b.i8(), work, &[offsets[k]]), i64t);
                    lo = b.select(inside, base, lo);
                } else {
                    // A global region is used in place: keep the address.
                    moved = b.select(inside, *a, moved);
                    lo = b.select(inside, base, lo);
                }
                len = b.select(inside, p[5 + 2 * k], len);
            }
        }
        *a = moved;
        b.store(lo, b.gep_i8(bounds, 16 * j as u64));
        b.store(len, b.gep_i8(bounds, 16 * j as u64 + 8));
        // Outside every region at run time (its object is a region's, its
        // address is not): recomputing from the caller's memory could be
        // wrong, so stop.
        let outside = rev.append_block("ckpt.outside");
        let go = rev.append_block("ckpt.inside");
        let steps = b.icmp(IntPredicate::LLVMIntSGT, nseg, c(0));
        b.cond_br(b.and_int(steps, b.not(found)), outside, go);
        b.at_end(outside);
        crate::reverse::tape::emit_stop(
            &b,
            &format!("ferment.checkpoint.outside.{}", j + 1),
            &format!(
                "ferment: step argument {} of a checkpointed time loop points outside its checkpoint regions (enzyme_checkpoint_region, ptr, bytes)\n",
                j + 1
            ),
        );
        b.unreachable();
        b.at_end(go);
    }
    // (only global regions are saved: none, no buffer)
    let any_global = globals.iter().any(|g| *g);
    let saved = if any_global {
        malloc(&b, total)
    } else {
        b.zero(ptr)
    };
    copy_globals(saved, true);
    let actives: Vec<Type> = key
        .function
        .params()
        .iter()
        .zip(&key.activities)
        .filter(|(_, a)| **a == ArgAct::Active)
        .map(|(v, _)| v.ty())
        .collect();
    let accs: Vec<Value> = actives
        .iter()
        .map(|t| {
            let a = b.alloca(*t, "ckpt.adjoint");
            b.store(b.zero(*t), a);
            a
        })
        .collect();
    let last = b.sub_int(nseg, c(1));
    let body = rev.append_block("segment");
    let done = rev.append_block("segments.done");
    let pre = b.insert_block();
    b.cond_br(b.icmp(IntPredicate::LLVMIntSGT, nseg, c(0)), body, done);
    b.at_end(body);
    let s = b.phi(i64t, "s");
    s.add_incoming(last, pre);
    let off = b.mul_int(s, len);
    let left = b.sub_int(nn, off);
    let count = b.select(b.icmp(IntPredicate::LLVMIntSLT, left, len), left, len);
    let slot = b.gep(
        b.i8(),
        tape,
        &[b.add_int(c(HEADER as i64), b.mul_int(s, snap_total))],
    );
    let mut at = c(0);
    for k in (0..nreg).filter(|&k| snapped[k]) {
        let bytes = p[5 + 2 * k];
        let to = b.gep(b.i8(), work, &[offsets[k]]);
        b.memcpy(to, b.gep(b.i8(), slot, &[at]), bytes);
        at = b.add_int(at, bytes);
    }
    copy_globals(work, false);
    let mut call_args = vec![b.add_int(start, off), count];
    call_args.extend(args.iter().copied());
    call_args.push(bounds);
    call_args.extend((first..np).flat_map(|k| shadow_of[k].iter().copied()));
    let r = b.call_fn(dseg, &call_args);
    for (j, acc) in accs.iter().enumerate() {
        let d = b.extract_value(r, j as u32);
        let sum = b.fadd(b.load(actives[j], *acc), d);
        b.store(sum, *acc);
    }
    let next = b.sub_int(s, c(1));
    s.add_incoming(next, body);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSGE, next, c(0)), body, done);
    b.at_end(done);
    copy_globals(saved, false);
    if any_global {
        b.call_fn(free, &[saved]);
    }
    b.call_fn(free, &[work]);
    crate::reverse::tape::free_when(&b, rev, free, free_flag, tape);
    write_stats(&b, rev, config, &[(1, nn, true), (3, nseg, true)]);
    let ret_ty = rev.global_value_type().fn_return();
    if ret_ty.is_void() {
        b.ret_void();
    } else {
        let mut agg = b.undef(ret_ty);
        for (j, acc) in accs.iter().enumerate() {
            agg = b.insert_value(agg, b.load(actives[j], *acc), j as u32);
        }
        b.ret(agg);
    }
}
