//! `__enzyme_fwdsplit` reading its tape: the values the augmented forward
//! pass read from memory.
//!
//! Both derivatives involved carry `DerivativeKey::log_loads`: the
//! augmented forward function of a function that the module also asks a
//! `__enzyme_fwdsplit` of, and that forward derivative. Before either is
//! generated, every load of the canonical copy gets a number ([`number`]).
//! The augmented function appends each numbered load's value, as it runs,
//! to a log whose header sits in its frame at byte 8
//! ([`instrument_augmented`]); the forward derivative takes the tape as a
//! last parameter and reads each numbered load's value from that log
//! instead of from memory, checking the number, and drops the primal
//! writes, whose effects already happened ([`read_from_log`]). The two
//! derivatives come from the same canonical code, so their loads run in the
//! same order; where they would not (a tape of another function or
//! activity), the number check stops the program with a message. The
//! reverse function frees the log with the tape (`runtime.ll`); so does a
//! fwdsplit call without `enzyme_nofree`, which consumes the tape
//! ([`release`]).

use crate::error::{Error, Result};
use ferment_ir::{Builder, Module, Opcode, Value};

const RUNTIME: &str = include_str!("runtime.ll");
/// Metadata kind numbering the canonical copy's loads.
pub const LOAD: &str = "ferment.log.load";
/// Metadata kind numbering the canonical copy's calls of functions with a
/// split forward rule (`__enzyme_register_splitderivative`): the tape of
/// the user's augmented function travels in the log, at that call.
pub const CALL: &str = "ferment.log.call";
/// Metadata kind of the load standing for such a call's tape in a
/// derivative (the augmented function logs its value, the forward
/// derivative reads it from the log instead).
const TAPE: &str = "ferment.log.tape";
/// Metadata kind marking the canonical copy's writes (stores, memory
/// intrinsics, `free`).
const WRITE: &str = "ferment.log.write";
/// Byte offset of the log's header in the augmented function's frame
/// (after the byte saying who owns the frame).
pub const HEADER_OFFSET: u64 = 8;
/// The header's first word while it holds a log (`runtime.ll` checks it).
pub const MAGIC: i64 = 7370019658386519654;
/// Size of the header: magic, data, length, capacity, and the function
/// freeing the tape's other parts (see [`release`]).
pub const HEADER_BYTES: u64 = 40;
/// Offset in the header of that function's address (null: none).
pub const RELEASE_OFFSET: u64 = 32;

/// Links the log's run time into the module once.
pub fn link(module: Module) -> Result<()> {
    if module.function("ferment.log.push").is_some() {
        return Ok(());
    }
    crate::context::link_ir(module, RUNTIME, c"ferment.log.runtime").map_err(|e| {
        Error::new(format!(
            "internal error: ferment's fwdsplit log run time does not {e}"
        ))
    })?;
    for f in module.functions() {
        if f.name().starts_with("ferment.log.") && !f.is_declaration() {
            f.set_internal();
        }
    }
    Ok(())
}

fn runtime(module: Module, name: &str) -> Result<Value> {
    link(module)?;
    module
        .function(name)
        .ok_or_else(|| Error::new(format!("internal error: '{name}' is missing")))
}

fn is_memory_intrinsic(call: Value) -> bool {
    call.called_function().is_some_and(|f| {
        let n = f.name();
        n.starts_with("llvm.memcpy")
            || n.starts_with("llvm.memmove")
            || n.starts_with("llvm.memset")
    })
}

/// Numbers the loads of the canonical copy `f` (in instruction order) and,
/// for the forward derivative (`forward`), marks its writes and refuses
/// what reads memory other than by a load: calls that stay calls (their
/// derivatives would read memory again), atomic read-modify-writes.
pub fn number(f: Value, fname: &str, forward: bool) -> Result<usize> {
    let mut n = 0;
    let mut calls = 0;
    for inst in f.instructions() {
        match inst.opcode() {
            _ if inst.is_call()
                && inst
                    .called_function()
                    .is_some_and(crate::custom::has_split_rule) =>
            {
                inst.set_md_int(CALL, calls);
                calls += 1;
            }
            Opcode::LLVMLoad => {
                inst.set_md_int(LOAD, n as i64);
                n += 1;
            }
            Opcode::LLVMStore if forward => inst.set_md_int(WRITE, 1),
            Opcode::LLVMAtomicRMW | Opcode::LLVMAtomicCmpXchg if forward => {
                return Err(Error::at(
                    inst,
                    format!("__enzyme_fwdsplit of '{fname}': an atomic read-modify-write is not supported (ferment reads the values the augmented forward pass read from its tape, and cannot log this one)"),
                )
                .hint("use __enzyme_fwddiff"));
            }
            _ if forward && inst.is_call() => {
                let name = inst.called_name();
                if is_memory_intrinsic(inst) || name == "free" {
                    inst.set_md_int(WRITE, 1);
                    continue;
                }
                let harmless = inst.call_accesses_no_memory()
                    || name.starts_with("llvm.dbg")
                    || name.starts_with("llvm.lifetime")
                    || name.starts_with("llvm.assume")
                    || name.starts_with("llvm.experimental.noalias")
                    || matches!(name.as_str(), "malloc" | "calloc");
                if !harmless {
                    let what = if name.is_empty() {
                        "an indirect call".to_string()
                    } else {
                        format!("the call of '{name}'")
                    };
                    return Err(Error::at(
                        inst,
                        format!("__enzyme_fwdsplit of '{fname}': {what} stays a call that may read memory; ferment's __enzyme_fwdsplit reads the values the augmented forward pass read from its tape, and the derivative of a call that stays a call would read memory again (BLAS, MPI, OpenMP, I/O and functions that are not inlined are not supported here)"),
                    )
                    .hint("use __enzyme_fwddiff (before the inputs change), or let the callee be inlined"));
                }
            }
            _ => {}
        }
    }
    Ok(n)
}

/// A load or store `to` replacing the primal access `from` (same bytes,
/// another type: `retype`) takes its number or its mark.
pub fn carry_number(from: Value, to: Value) {
    for kind in [LOAD, WRITE] {
        if let Some(k) = from.md_int(kind) {
            to.set_md_int(kind, k);
        }
    }
}

/// What the log records before a load's value, and the reader checks: a
/// hash of the function's name, the load's number and its size, so a log
/// of another function (or other types) is not read as this one's.
fn entry_tag(fname: &str, k: i64, bytes: u64) -> i64 {
    // FNV-1a, 24 bits of it.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in fname.bytes() {
        h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
    }
    (((h & 0xff_ffff) << 40) | ((k as u64 & 0xff_ffff) << 16) | (bytes & 0xffff)) as i64
}

/// The numbered loads of `f`, each number exactly once, `count` of them.
fn numbered_loads(f: Value, fname: &str, count: usize) -> Result<Vec<(Value, i64)>> {
    let mut seen = vec![false; count];
    let mut loads = Vec::new();
    for inst in f.instructions() {
        if inst.opcode() != Opcode::LLVMLoad {
            continue;
        }
        let Some(k) = inst.md_int(LOAD) else {
            continue;
        };
        let slot = usize::try_from(k).ok().and_then(|k| seen.get_mut(k));
        match slot {
            Some(s) if !*s => *s = true,
            _ => {
                return Err(Error::at(
                    inst,
                    format!("internal error: __enzyme_fwdsplit of '{fname}': a load of the primal code appears twice in a derivative"),
                ))
            }
        }
        loads.push((inst, k));
    }
    if let Some(k) = seen.iter().position(|s| !s) {
        return Err(Error::new(format!(
            "__enzyme_fwdsplit of '{fname}': load {k} of the primal code was rewritten while the derivative was generated, so its value cannot be taken from the tape"
        ))
        .hint("use __enzyme_fwddiff"));
    }
    Ok(loads)
}

/// The loads standing for the tapes of calls with a split forward rule
/// ([`tape_slot`]), each with its entry number (after the loads' numbers'
/// range: the call's number with the top bit of the 24 set).
fn tape_loads(f: Value) -> Vec<(Value, i64)> {
    f.instructions()
        .into_iter()
        .filter(|i| i.opcode() == Opcode::LLVMLoad)
        .filter_map(|i| i.md_int(TAPE).map(|k| (i, k | 0x80_0000)))
        .collect()
}

/// At `b`, right after a call numbered `k` ([`CALL`]) of a function with
/// a split forward rule: a slot in `f`'s entry block holding `tape` (the
/// augmented side; null in the forward derivative), and a load of it
/// that the log instrumentation pushes ([`instrument_augmented`]) or
/// replaces by the logged value ([`read_from_log`]). Returns the load.
pub fn tape_slot(module: Module, b: &Builder, f: Value, k: i64, tape: Option<Value>) -> Value {
    let ptr = ferment_ir::Type::ptr(module.context());
    let eb = Builder::new(module);
    eb.at_start(f.entry_block());
    let slot = eb.alloca(ptr, "split.tape");
    b.store(tape.unwrap_or_else(|| b.zero(ptr)), slot);
    let l = b.load(ptr, slot);
    l.set_md_int(TAPE, k);
    l
}

/// The augmented forward function `f`, once generated: each numbered load
/// appends its value to the log whose header is at `header` (in its frame,
/// initialized by [`MAGIC`] and zeros at the entry).
pub fn instrument_augmented(
    module: Module,
    f: Value,
    fname: &str,
    count: usize,
    header: Value,
) -> Result<()> {
    let mut loads = numbered_loads(f, fname, count)?;
    loads.extend(tape_loads(f));
    let push = runtime(module, "ferment.log.push")?;
    let b = Builder::new(module);
    let eb = Builder::new(module);
    eb.at_start(f.entry_block());
    for (load, k) in loads {
        let ty = load.ty();
        let tmp = eb.alloca(ty, "log.value");
        b.after(load);
        b.store(load, tmp);
        let bytes = module.alloc_size(ty);
        let size = b.const_int(b.i64(), bytes as i64);
        let tag = b.const_int(b.i64(), entry_tag(fname, k, bytes));
        b.call_fn(push, &[header, tag, tmp, size]);
    }
    Ok(())
}

/// The forward derivative `f`, once generated: its last parameter is the
/// tape; each numbered load reads the augmented pass's value from the log,
/// and the primal writes are dropped (the augmented pass made them; a
/// `free` stays where it releases an allocation of this run).
pub fn read_from_log(module: Module, f: Value, fname: &str, count: usize) -> Result<()> {
    let mut loads = numbered_loads(f, fname, count)?;
    loads.extend(tape_loads(f));
    if loads.is_empty() {
        // Nothing to read: the tape may be null (as Enzyme's users pass
        // it for functions of scalars).
        return Ok(());
    }
    let open = runtime(module, "ferment.log.open")?;
    let pop = runtime(module, "ferment.log.pop")?;
    let tape = *f.params().last().expect("the tape parameter");
    let eb = Builder::new(module);
    eb.at_start(f.entry_block());
    let cursor_ty = ferment_ir::Type::literal_struct(
        module.context(),
        &[ferment_ir::Type::ptr(module.context()), eb.i64()],
    );
    let cursor = eb.alloca(cursor_ty, "log.cursor");
    let opened = eb.call_fn(open, &[tape, cursor]);
    // The loads replaced below may include the entry's first instruction:
    // the value slots go before the call, which stays.
    eb.before(opened);
    let b = Builder::new(module);
    for (load, k) in loads {
        let ty = load.ty();
        let tmp = eb.alloca(ty, "log.value");
        b.before(load);
        let bytes = module.alloc_size(ty);
        let size = b.const_int(b.i64(), bytes as i64);
        let tag = b.const_int(b.i64(), entry_tag(fname, k, bytes));
        b.call_fn(pop, &[cursor, tag, tmp, size]);
        let v = b.load(ty, tmp);
        load.replace_all_uses_with(v);
        load.erase();
    }
    for inst in f.instructions() {
        if inst.md_int(WRITE).is_none() {
            continue;
        }
        if inst.is_call() && inst.called_name() == "free" {
            let p = inst.call_args()[0].strip_casts();
            let fresh = p.is_call() && matches!(p.called_name().as_str(), "malloc" | "calloc");
            if fresh {
                continue;
            }
        }
        if inst.has_uses() {
            continue;
        }
        inst.erase();
    }
    Ok(())
}

/// `__enzyme_fwdsplit` without `enzyme_nofree`, at `b` after the forward
/// derivative's call(s): releases `tape`, as Enzyme's fwdsplit frees the
/// tape it reads. The run time frees the log and, where the augmented
/// function recorded a release function in the log's header
/// (`Tape::record_release`: the reverse function frees the tape's parts
/// only in its freeing block, which the release function copies), the
/// other parts and the frame; otherwise they stay for `__enzyme_reverse`.
pub fn release(module: Module, b: &Builder, tape: Value) -> Result<()> {
    let f = runtime(module, "ferment.log.release")?;
    b.call_fn(f, &[tape]);
    Ok(())
}

/// The reverse function releasing the tape: frees the log at `header`
/// (the run time is linked when the log's header is reserved).
pub fn free_log(module: Module, b: &Builder, header: Value) {
    if let Some(free) = module.function("ferment.log.free") {
        b.call_fn(free, &[header]);
    }
}
