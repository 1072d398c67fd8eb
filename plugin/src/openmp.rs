//! OpenMP (clang `-fopenmp`, libomp): parallel regions differentiated as
//! parallel code.
//!
//! Role: clang outlines the body of `#pragma omp parallel` into a function
//! `<f>.omp_outlined` and runs it on every thread of a team through
//! `__kmpc_fork_call(ident, argc, outlined, captured...)`. In a canonical copy
//! ([`canonicalize`], called by `prepare.rs`) that call becomes a direct call
//! `outlined(&gtid, &btid, captured...)` marked with the call-site attribute
//! [`FORK`], so the analyses see the region as an ordinary callee. The
//! generators turn a marked call back into a fork of the region's derivative
//! (forward mode: the tangent function; reverse mode: the augmented forward
//! function in the forward sweep, each thread leaving its tape in a per-team
//! array, and the reverse function in the reverse sweep, each thread
//! reversing the tape of the same thread number), and a marked call that
//! needs no derivative becomes the original fork again ([`restore_forks`]).
//!
//! Inside a region, worksharing loops (`__kmpc_for_static_init_*`,
//! `__kmpc_dispatch_*`) are inactive calls: the reverse sweep replays each
//! thread's own iterations from its tape, whatever the schedule. Barriers are
//! repeated at the mirrored place of the reverse sweep. Critical sections and
//! reductions (`__kmpc_reduce*`, rewritten as a critical section updating the
//! shared variable) take a ticket when they enter; the reverse sweep runs
//! their reverses in the opposite ticket order ([`reverse_runtime_call`]), so
//! order-dependent updates (`max`) are reversed correctly; sections between
//! `omp_set_lock` and `omp_unset_lock` take tickets the same way (one counter
//! for every lock of the program), and so do `omp ordered` blocks. Shadow memory that
//! several threads may accumulate into is updated with atomic adds
//! (`reverse/mod.rs`, [`is_parallel_region`]). Everything else of the runtime
//! is a compile error naming the construct, except tasks, which run where
//! they are created ([`run_tasks_at_creation`]). `omp single` / `master` /
//! `masked` need nothing more: the reverse sweep replays the branch each
//! thread took. Two forms are rewritten first: the serial branch of an
//! `if()` clause becomes a fork on a team of one, and a float passed by
//! value (`firstprivate`) is passed by address ([`floats_by_address`]).
//!
//! Touches: the canonical copy of a function, the derivative being built,
//! and module-level helper functions / ticket counters it adds.

use crate::error::{Error, Result};
use ferment_ir::{Builder, IntPredicate, Module, Type, Value};

/// Call-site attribute of a region call standing for a fork; its value is
/// the name of the fork's `ident_t` global.
pub const FORK: &str = "ferment-omp-fork";

/// Whether `f` is an outlined OpenMP parallel region (runs on every thread
/// of a team at once), or a derivative of one: every forked region is
/// called through its copy `ferment.region.*` (whatever the front end named
/// it: clang's `.omp_outlined`, flang's `..omp_par`).
pub fn is_parallel_region(f: Value) -> bool {
    let name = f.name();
    name.contains("ferment.region.") || name.contains(".omp_outlined")
}

/// Whether `call` is a region call standing for a fork (the form forks
/// take in canonical copies and while derivatives are generated).
pub fn is_fork(call: Value) -> bool {
    call.is_call() && call.has_call_string_attribute(FORK)
}

/// Whether `call` calls the OpenMP run time's `__kmpc_fork_call` itself:
/// a fork in the primal before ferment marks it, or in a finished
/// derivative (region calls become runtime forks again).
pub fn is_runtime_fork(call: Value) -> bool {
    call.called_function()
        .is_some_and(|f| f.name() == "__kmpc_fork_call")
}

/// The construct behind an OpenMP runtime call ferment does not
/// differentiate, for the error message.
fn construct_of(name: &str) -> &'static str {
    match name {
        n if n.starts_with("__kmpc_omp_task") || n.contains("taskloop") || n.contains("taskgroup") => {
            "OpenMP tasks (omp task / taskloop / taskgroup / taskwait)"
        }
        "__kmpc_single" | "__kmpc_end_single" => "omp single",
        "__kmpc_copyprivate" => "the copyprivate clause",
        "__kmpc_master" | "__kmpc_end_master" | "__kmpc_masked" | "__kmpc_end_masked" => {
            "omp master / masked"
        }
        n if n.contains("doacross") => "omp ordered with depend (doacross loops)",
        n if n.starts_with("__tgt_") || n.contains("teams") || n.contains("target") => {
            "OpenMP target offload / teams"
        }
        n if n.contains("lock") => "this OpenMP lock routine",
        n if n.contains("serialized_parallel") => {
            "a parallel region with an if() clause whose serial branch is not a direct call of the region"
        }
        n if n.contains("fork_call_if") => "a parallel region with an if() clause",
        n if n.contains("threadprivate") => "threadprivate variables",
        "__kmpc_atomic_start" | "__kmpc_atomic_end" => {
            "an omp atomic on a type without hardware atomics"
        }
        _ => "this OpenMP runtime call",
    }
}

fn unsupported(call: Value, name: &str) -> Error {
    if name.contains("threadprivate") {
        return Error::at(
            call,
            format!(
                "cannot differentiate {} (OpenMP runtime call '{name}')",
                construct_of(name)
            ),
        )
        .hint(
            "threadprivate variables in thread-local storage (clang's default) are supported: \
             compile without -fnoopenmp-use-tls",
        );
    }
    Error::at(
        call,
        format!(
            "cannot differentiate {} (OpenMP runtime call '{name}')",
            construct_of(name)
        ),
    )
    .hint(
        "ferment differentiates omp parallel / parallel for (static and dynamic schedules, collapse, \
         private / firstprivate / shared, if), reduction, omp for, barrier, single, master, \
         masked (copyprivate of scalars), critical, ordered (and doacross depend(sink / source)), sections, tasks (run where they are created), omp atomic updates, \
         flush, and OpenMP locks (simple and nestable: set / unset / test); restructure this part, or move it out of the differentiated function",
    )
}

/// Rewrites the OpenMP runtime calls of a canonical copy (before mem2reg):
/// forks become marked region calls, reductions and critical sections
/// ticketed critical sections; unsupported constructs are errors.
pub fn canonicalize(f: Value) -> Result<()> {
    if is_parallel_region(f) {
        refuse_spin_waits(f)?;
        atomic_updates_as_critical(f)?;
    }
    fork_serialized_regions(f)?;
    let calls: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| i.is_call() || i.is_invoke())
        .collect();
    let module = f.global_parent();
    let b = Builder::new(module);
    // One ticket slot per lock: the critical entry stores its ticket, the
    // exit reads it (mem2reg turns the slot into SSA values).
    let mut slots: Vec<(Value, Value)> = Vec::new();
    let mut slot_of = |lock: Value| -> Value {
        if let Some(&(_, s)) = slots.iter().find(|(l, _)| *l == lock) {
            return s;
        }
        let b = Builder::new(module);
        b.at_start(f.entry_block());
        let s = b.alloca(b.i64(), "omp.ticket.slot");
        slots.push((lock, s));
        s
    };
    let mut forks = Vec::new();
    let mut lock_slot: Option<Value> = None;
    let mut ordered_slot: Option<Value> = None;
    let mut nest_slots: Option<(Value, Value)> = None;
    let mut doacross_slot: Option<Value> = None;
    let mut doacross_sections = 0i64;
    let mut first_doacross: Option<Value> = None;
    for call in calls {
        if first_doacross.is_none()
            && call
                .called_function()
                .is_some_and(|g| g.name().starts_with("__kmpc_doacross_"))
        {
            first_doacross = Some(call);
        }
        let Some(callee) = call.called_function() else {
            continue;
        };
        let name = callee.name();
        if !(name.starts_with("__kmpc_") || name.starts_with("omp_") || name.starts_with("__tgt_"))
        {
            continue;
        }
        if call.is_invoke() {
            return Err(unsupported(call, &name));
        }
        let args = call.call_args();
        match name.as_str() {
            "__kmpc_fork_call" => forks.push(direct_region_call(module, f, call)?),
            "__kmpc_critical"
            | "__kmpc_critical_with_hint"
            | "__kmpc_reduce"
            | "__kmpc_reduce_nowait" => {
                let lock = if name.contains("reduce") {
                    args[6]
                } else {
                    args[2]
                };
                let counter = ticket_counter(module, call, lock)?;
                b.before(call);
                b.set_debug_loc_from(call);
                let t = b.call_fn(helpers(module).critical, &[args[0], args[1], lock, counter]);
                b.store(t, slot_of(lock));
                if name.contains("reduce") {
                    // The shared variable is updated inside the critical
                    // section (clang's case 1); the atomic case is dead.
                    call.replace_all_uses_with(b.const_int(b.i32(), 1));
                }
                call.erase();
            }
            "__kmpc_end_critical" | "__kmpc_end_reduce" | "__kmpc_end_reduce_nowait" => {
                let lock = args[2];
                b.before(call);
                b.set_debug_loc_from(call);
                let t = b.load(b.i64(), slot_of(lock));
                b.call_fn(helpers(module).end_critical, &[args[0], args[1], lock, t]);
                if name == "__kmpc_end_reduce" {
                    // The blocking form ends with a barrier.
                    b.call_fn(barrier_fn(module), &[args[0], args[1]]);
                }
                call.erase();
            }
            "omp_set_lock" | "omp_unset_lock" => {
                // An OpenMP lock is a critical section whose lock is a run-time
                // object: one ticket counter serves every lock of the program
                // (the reverse sweep undoes all lock-protected updates in the
                // opposite order of the forward's), and the function's lock
                // slot carries the ticket from the set to the unset.
                let slot = *lock_slot.get_or_insert_with(|| {
                    let b = Builder::new(module);
                    b.at_start(f.entry_block());
                    let s = b.alloca(b.i64(), "omp.lock.ticket");
                    b.store(b.const_int(b.i64(), -1), s);
                    s
                });
                let h = helpers(module);
                let helper = if name == "omp_set_lock" {
                    h.set_lock
                } else {
                    h.unset_lock
                };
                b.before(call);
                b.set_debug_loc_from(call);
                let counter = named_ticket_counter(module, "ferment.omp.ticket.omp_locks");
                b.call_fn(helper, &[args[0], counter, slot]);
                call.erase();
            }
            "omp_test_lock"
            | "omp_set_nest_lock"
            | "omp_unset_nest_lock"
            | "omp_test_nest_lock" => {
                // A tested lock that was taken, and the outermost set of a
                // nestable lock, take a ticket like `omp_set_lock` (the
                // same counter and slot: a thread holds one lock at a
                // time); nested sets and failed tests take none (their
                // reverses do nothing). Depth and owner of the nest lock
                // held live in slots of the function too.
                let slot = *lock_slot.get_or_insert_with(|| {
                    let b = Builder::new(module);
                    b.at_start(f.entry_block());
                    let s = b.alloca(b.i64(), "omp.lock.ticket");
                    b.store(b.const_int(b.i64(), -1), s);
                    s
                });
                let (depth, owner) = *nest_slots.get_or_insert_with(|| {
                    let b = Builder::new(module);
                    b.at_start(f.entry_block());
                    let d = b.alloca(b.i64(), "omp.nest.depth");
                    b.store(b.const_int(b.i64(), 0), d);
                    let o = b.alloca(Type::ptr(module.context()), "omp.nest.owner");
                    b.store(b.zero(Type::ptr(module.context())), o);
                    (d, o)
                });
                let result = (name.starts_with("omp_test")).then(|| {
                    let b = Builder::new(module);
                    b.at_start(f.entry_block());
                    b.alloca(b.i32(), "omp.test.result")
                });
                let h = helpers(module);
                let counter = named_ticket_counter(module, "ferment.omp.ticket.omp_locks");
                b.before(call);
                b.set_debug_loc_from(call);
                let lock = args[0];
                match name.as_str() {
                    "omp_test_lock" => {
                        b.call_fn(h.test_lock, &[lock, counter, slot, result.unwrap()]);
                    }
                    "omp_set_nest_lock" => {
                        b.call_fn(h.set_nest_lock, &[lock, counter, slot, depth, owner]);
                    }
                    "omp_unset_nest_lock" => {
                        b.call_fn(h.unset_nest_lock, &[lock, counter, slot, depth]);
                    }
                    _ => {
                        b.call_fn(
                            h.test_nest_lock,
                            &[lock, counter, slot, depth, owner, result.unwrap()],
                        );
                    }
                }
                if let Some(result) = result {
                    let r = b.load(b.i32(), result);
                    call.replace_all_uses_with(r);
                }
                call.erase();
            }
            "__kmpc_flush" => {
                // Ordering only: a fence here and at the mirrored place of
                // the reverse sweep.
                b.before(call);
                b.set_debug_loc_from(call);
                b.call_fn(helpers(module).flush, &[args[0]]);
                call.erase();
            }
            "omp_init_lock"
            | "omp_destroy_lock"
            | "omp_init_nest_lock"
            | "omp_destroy_nest_lock" => {}
            "__kmpc_doacross_init" | "__kmpc_doacross_fini" => {}
            "__kmpc_doacross_wait" | "__kmpc_doacross_post" => {
                // Doacross loops: the last wait of an iteration's
                // depend(sink) waits takes a ticket once they all returned
                // (every iteration it waited for has posted, so has taken
                // its own), the post (depend(source)) ends the section: the
                // reverse sweep runs the sections' reverses one at a time
                // in the opposite ticket order, after every later iteration
                // that waited for them. Other waits stay plain.
                if name == "__kmpc_doacross_wait" && !last_doacross_wait(call) {
                    continue;
                }
                let slot = *doacross_slot.get_or_insert_with(|| {
                    let b = Builder::new(module);
                    b.at_start(f.entry_block());
                    b.alloca(b.i64(), "omp.doacross.ticket")
                });
                doacross_sections += if name == "__kmpc_doacross_wait" {
                    1
                } else {
                    -1
                };
                let h = helpers(module);
                let helper = if name == "__kmpc_doacross_wait" {
                    h.doacross_wait
                } else {
                    h.doacross_post
                };
                b.before(call);
                b.set_debug_loc_from(call);
                let counter = named_ticket_counter(module, "ferment.omp.ticket.omp_doacross");
                let ticketed = b.call_fn(helper, &[args[0], args[1], args[2], counter, slot]);
                // The error below names the first doacross call: its replacement, same place.
                if first_doacross == Some(call) {
                    first_doacross = Some(ticketed);
                }
                call.erase();
            }
            "__kmpc_ordered" | "__kmpc_end_ordered" => {
                // The ordered blocks of a loop run in iteration order; they
                // take tickets (one counter for every ordered block of the
                // program) so the reverse sweep runs their reverses in the
                // opposite order. The slot carries the ticket to the end.
                let slot = *ordered_slot.get_or_insert_with(|| {
                    let b = Builder::new(module);
                    b.at_start(f.entry_block());
                    b.alloca(b.i64(), "omp.ordered.ticket")
                });
                let h = helpers(module);
                let helper = if name == "__kmpc_ordered" {
                    h.ordered
                } else {
                    h.end_ordered
                };
                b.before(call);
                b.set_debug_loc_from(call);
                let counter = named_ticket_counter(module, "ferment.omp.ticket.omp_ordered");
                b.call_fn(helper, &[args[0], args[1], counter, slot]);
                call.erase();
            }
            _ if ferment_activity_analysis::is_known_inactive_function(&name) => {}
            _ => return Err(unsupported(call, &name)),
        }
    }
    // As many ticketed waits as posts: each iteration's waits come together
    // before its post (else an iteration would take two tickets, or code
    // between its waits would run outside the ordered section); and each
    // post is reached from a ticketed wait on every path (`doacross_paired`).
    if doacross_sections != 0 || (first_doacross.is_some() && !doacross_paired(f)) {
        let at = first_doacross.unwrap_or(f);
        return Err(Error::at(
            at,
            "cannot differentiate this doacross loop (omp ordered depend(sink) / depend(source)): \
             its depend(sink) waits must come together, in one ordered construct, before its \
             depend(source), once per iteration",
        )
        .hint(
            "put all depend(sink: ...) clauses of an iteration on one '#pragma omp ordered' \
             and end the iteration's ordered part with '#pragma omp ordered depend(source)'",
        ));
    }
    for call in forks {
        let region = call.called_operand();
        let once = read_captures_once(call, region);
        if once != region {
            call.set_operand(call.num_operands() - 1, once);
        }
    }
    Ok(())
}

/// Whether every ticketed doacross post of `f` has a ticketed wait that
/// dominates it and from which every path reaches it (not back to the wait,
/// nor out of the function, first): each iteration that takes a ticket
/// posts, once, and posts only with its own ticket.
fn doacross_paired(f: Value) -> bool {
    use crate::cfg::{loops, Cfg};
    use ferment_ir::Block;
    let named = |name: &str| -> Vec<Value> {
        f.instructions()
            .into_iter()
            .filter(|i| i.is_call() && i.called_function().is_some_and(|g| g.name() == name))
            .collect()
    };
    let (waits, posts) = (
        named("ferment.omp.doacross_wait"),
        named("ferment.omp.doacross_post"),
    );
    if waits.len() != posts.len() {
        return false;
    }
    let cfg = Cfg::new(f);
    let idom = loops::dominators(&cfg, &cfg.rpo);
    // Within one block: the wait comes first.
    let before = |a: Value, b: Value| {
        let mut next = a.next_instruction();
        while let Some(i) = next {
            if i == b {
                return true;
            }
            next = i.next_instruction();
        }
        false
    };
    // Every path from `w` meets `p` before meeting `w` again or leaving.
    let reaches = |w: Value, p: Value| -> bool {
        let (wb, pb) = (w.parent(), p.parent());
        if wb == pb {
            return before(w, p);
        }
        let mut seen: hashbrown::HashSet<Block> = hashbrown::HashSet::new();
        let mut work: Vec<Block> = wb.successors();
        while let Some(x) = work.pop() {
            if x == pb {
                continue;
            }
            let succ = x.successors();
            if x == wb || succ.is_empty() {
                return false;
            }
            if seen.insert(x) {
                work.extend(succ);
            }
        }
        true
    };
    posts.iter().all(|&p| {
        waits.iter().any(|&w| {
            let (wb, pb) = (w.parent(), p.parent());
            (wb == pb || loops::dominates(&idom, wb, pb)) && reaches(w, p)
        })
    })
}

/// Whether the doacross wait `call` is the last of its group: no other
/// `__kmpc_doacross_wait` follows it in its block before a call of
/// anything else or a floating-point instruction (clang emits the waits of
/// one `omp ordered depend(sink: ...)` together).
fn last_doacross_wait(call: Value) -> bool {
    let mut next = call.next_instruction();
    while let Some(i) = next {
        if i.is_call() {
            return i
                .called_function()
                .is_none_or(|g| g.name() != "__kmpc_doacross_wait");
        }
        if i.ty().scalar().is_float() || i.operands().iter().any(|o| o.ty().scalar().is_float()) {
            return true;
        }
        next = i.next_instruction();
    }
    true
}

/// A loop of a parallel region that waits for another thread through shared
/// memory (its exit depends on an atomic or volatile load, or on a load of
/// memory outside the function's frame in a loop that flushes) is refused:
/// the forward sweep's threads are ordered by it, but nothing orders the
/// reverse sweep's (the consumer's adjoints must reach the producer's
/// reverse), so the derivative would be silently wrong. Lock-free updates
/// (a compare-and-swap retry loop) are not waits.
fn refuse_spin_waits(f: Value) -> Result<()> {
    use crate::cfg::{loops::Loops, Cfg};
    use ferment_ir::{Block, Opcode};
    let cfg = Cfg::new(f);
    let reachable: Vec<Block> = cfg
        .rpo
        .iter()
        .copied()
        .filter(|&b| b == f.entry_block() || !cfg.preds(b).is_empty())
        .collect();
    let Ok(loops) = Loops::find(&cfg, &reachable) else {
        return Ok(());
    };
    for lp in &loops.loops {
        let insts: Vec<Value> = lp.blocks.iter().flat_map(|b| b.instructions()).collect();
        let flushing = insts.iter().any(|c| {
            c.is_call()
                && c.called_function()
                    .is_some_and(|g| g.name() == "__kmpc_flush" || g.name() == "ferment.omp.flush")
        });
        // Pointers the loop updates atomically: a load of one is a
        // compare-and-swap retry loop's, not a wait.
        let updated: Vec<Value> = insts
            .iter()
            .filter(|x| {
                matches!(
                    x.opcode(),
                    Opcode::LLVMAtomicCmpXchg | Opcode::LLVMAtomicRMW
                )
            })
            .map(|x| x.operand(0))
            .collect();
        let mut blocks: Vec<Block> = lp.blocks.iter().copied().collect();
        blocks.sort_by_key(|b| reachable.iter().position(|r| r == b));
        for blk in blocks {
            let Some(term) = blk.terminator() else {
                continue;
            };
            if term.opcode() != Opcode::LLVMBr
                || term.num_operands() != 3
                || term.successors().iter().all(|s| lp.blocks.contains(s))
            {
                continue;
            }
            let mut seen = Vec::new();
            let mut work = vec![term.operand(0)];
            while let Some(v) = work.pop() {
                if !v.is_instruction() || seen.contains(&v) {
                    continue;
                }
                seen.push(v);
                match v.opcode() {
                    Opcode::LLVMLoad => {
                        let p = v.operand(0);
                        let objects = ferment_activity_analysis::underlying_objects(p);
                        let local = objects
                            .iter()
                            .all(|o| o.is_instruction() && o.opcode() == Opcode::LLVMAlloca);
                        // A wait reads again on every turn: a load before
                        // the loop (a bound) is none.
                        if lp.blocks.contains(&v.parent())
                            && !updated.contains(&p)
                            && (v.is_volatile_or_atomic() || (flushing && !local))
                        {
                            return Err(Error::at(
                                v,
                                "cannot differentiate a loop that waits for another thread \
                                 through shared memory (a spin on an atomic read, a volatile or \
                                 a flushed variable) inside an OpenMP parallel region: the \
                                 reverse sweep cannot order the threads' adjoints by it",
                            )
                            .hint(
                                "synchronize with omp barrier, critical, ordered or OpenMP \
                                 locks (omp_set_lock, omp_test_lock), which ferment reverses \
                                 in order",
                            ));
                        }
                        if local {
                            // What was stored in the local slot (-O0 keeps
                            // every variable in memory).
                            for o in objects {
                                for u in o.users() {
                                    if u.opcode() == Opcode::LLVMStore && u.operand(1) == p {
                                        work.push(u.operand(0));
                                    }
                                }
                            }
                        }
                    }
                    Opcode::LLVMCall
                    | Opcode::LLVMInvoke
                    | Opcode::LLVMAtomicCmpXchg
                    | Opcode::LLVMAtomicRMW => {}
                    _ => work.extend(v.operands()),
                }
            }
        }
    }
    Ok(())
}

/// An `ident_t` of the module (the location record the OpenMP runtime's
/// entry points take; any one serves a helper ferment adds).
fn any_ident(module: Module) -> Option<Value> {
    module.globals().into_iter().find(|g| {
        let ty = g.global_value_type();
        let name = unsafe {
            let n = llvm_sys::core::LLVMGetStructName(ty.0);
            if n.is_null() {
                String::new()
            } else {
                std::ffi::CStr::from_ptr(n).to_string_lossy().into_owned()
            }
        };
        name == "struct.ident_t"
    })
}

/// `__kmpc_critical` / `__kmpc_end_critical` (`void (ident, gtid, lock)`).
fn critical_fn(module: Module, name: &str) -> Value {
    let c = module.context();
    let ptr = Type::ptr(c);
    declare(
        module,
        name,
        Type::function(Type::void(c), &[ptr, Type::int(c, 32), ptr], false),
    )
}

/// `omp atomic` updates of a float other than `x += v` / `x -= v` become
/// ticketed critical sections on one lock of the program
/// (`ferment.omp.atomic.lock`), which the reverse sweep reverses in the
/// opposite order, as any critical section: clang's compare-and-swap loop
/// (`x *= v`, `x = x / v`, `x = f(x)`: a one-block loop whose exit is the
/// exchange's success) becomes a plain read, the update and a plain write
/// under the lock, and `atomicrmw fmax` / `fmin` (`omp atomic compare` of a
/// maximum or minimum) a read, `maxnum` / `minnum` and a write. Float
/// atomic adds to the same address in the function go under the lock too,
/// so the updates of one variable stay atomic with respect to each other.
/// Other shapes are left alone (validation then names them).
fn atomic_updates_as_critical(f: Value) -> Result<()> {
    use ferment_ir::Opcode;
    use llvm_sys::LLVMAtomicRMWBinOp as Rmw;
    let module = f.global_parent();
    // Both lists are taken before any rewrite: a loop's rewrite erases instructions that
    // come after its exchange (the extracts, the casts), which a lazy filter over the
    // function's instructions would then read.
    let insts = f.instructions();
    let of =
        |op: Opcode| -> Vec<Value> { insts.iter().copied().filter(|i| i.opcode() == op).collect() };
    let (exchanges, rmws) = (of(Opcode::LLVMAtomicCmpXchg), of(Opcode::LLVMAtomicRMW));
    let locked = |b: &Builder, at: Value| -> Option<(Value, Value, Value)> {
        let ident = any_ident(module)?;
        let ctx = module.context();
        let lock = module.zeroed_global(
            "ferment.omp.atomic.lock",
            Type::array(Type::int(ctx, 32), 8),
            Value::set_weak,
        );
        b.before(at);
        b.set_debug_loc_from(at);
        let gtid = b.call_fn(global_thread_num_fn(module), &[ident]);
        // A plain critical section: `canonicalize` gives it its tickets.
        b.call_fn(critical_fn(module, "__kmpc_critical"), &[ident, gtid, lock]);
        Some((ident, gtid, lock))
    };
    let b = Builder::new(module);
    let mut pointers: Vec<Value> = Vec::new();
    for c in exchanges {
        let (p, phi, new_bits) = (c.operand(0), c.operand(1), c.operand(2));
        let blk = c.parent();
        if phi.opcode() != Opcode::LLVMPHI || phi.parent() != blk {
            continue;
        }
        let incoming = phi.incoming();
        let init = incoming
            .iter()
            .find(|(_, from)| *from != blk)
            .map(|(v, _)| *v);
        let Some(init) = init.filter(|v| {
            v.is_instruction()
                && v.opcode() == Opcode::LLVMLoad
                && v.operand(0) == p
                && incoming.len() == 2
        }) else {
            continue;
        };
        let users = c.users();
        let ext = |k: u32| {
            users.iter().copied().find(|u| {
                u.opcode() == Opcode::LLVMExtractValue
                    && unsafe { *llvm_sys::core::LLVMGetIndices(u.0) } == k
            })
        };
        let (Some(old), Some(ok)) = (ext(0), ext(1)) else {
            continue;
        };
        let Some(term) = blk.terminator() else {
            continue;
        };
        if users.len() != 2
            || term.opcode() != Opcode::LLVMBr
            || term.num_operands() != 3
            || term.operand(0) != ok
            || ok.users().len() != 1
            || old.users().iter().any(|u| *u != phi)
        {
            continue;
        }
        let exit = term.successors()[0];
        if term.successors()[1] != blk || exit == blk {
            continue;
        }
        let preds = f
            .blocks()
            .into_iter()
            .filter(|x| x.successors().contains(&exit))
            .count();
        // The old value as a float (bitcasts of the phi), and the new one.
        let casts: Vec<Value> = phi
            .users()
            .into_iter()
            .filter(|u| *u != c && *u != old)
            .collect();
        let fty = casts.first().map(|x| x.ty());
        let Some(fty) = fty.filter(|t| t.is_float()) else {
            continue;
        };
        if preds != 1
            || casts
                .iter()
                .any(|x| x.opcode() != Opcode::LLVMBitCast || x.ty() != fty)
        {
            continue;
        }
        let new_value = if new_bits.opcode() == Opcode::LLVMBitCast {
            Some(new_bits.operand(0))
        } else if new_bits.opcode() == Opcode::LLVMLoad {
            // -O0: the new value goes through a temporary.
            let slot = new_bits.operand(0);
            let stores: Vec<Value> = slot
                .users()
                .into_iter()
                .filter(|u| u.opcode() == Opcode::LLVMStore && u.operand(1) == slot)
                .collect();
            (stores.len() == 1 && stores[0].parent() == blk).then(|| stores[0].operand(0))
        } else {
            None
        };
        let Some(new_value) = new_value.filter(|v| v.ty() == fty) else {
            continue;
        };
        let Some((ident, gtid, lock)) = locked(&b, init) else {
            continue;
        };
        let cur = b.load(fty, p);
        for x in casts {
            x.replace_all_uses_with(cur);
            x.erase();
        }
        b.before(c);
        b.set_debug_loc_from(c);
        b.store(new_value, p);
        ok.replace_all_uses_with(b.const_int(Type::int(module.context(), 1), 1));
        ok.erase();
        old.replace_all_uses_with(b.poison(phi.ty()));
        old.erase();
        c.erase();
        phi.replace_all_uses_with(b.poison(phi.ty()));
        phi.erase();
        if !init.has_uses() {
            init.erase();
        }
        let Some(first) = exit.first_non_phi() else {
            continue;
        };
        b.before(first);
        b.call_fn(
            critical_fn(module, "__kmpc_end_critical"),
            &[ident, gtid, lock],
        );
        pointers.push(p);
    }
    for r in rmws {
        let Some(op) = r.atomic_rmw_op() else {
            continue;
        };
        let p = r.operand(0);
        let v = r.operand(1);
        if !v.ty().is_float() {
            continue;
        }
        let combine = match op {
            Rmw::LLVMAtomicRMWBinOpFMax => "llvm.maxnum",
            Rmw::LLVMAtomicRMWBinOpFMin => "llvm.minnum",
            Rmw::LLVMAtomicRMWBinOpFAdd | Rmw::LLVMAtomicRMWBinOpFSub if pointers.contains(&p) => {
                ""
            }
            _ => continue,
        };
        let Some((ident, gtid, lock)) = locked(&b, r) else {
            continue;
        };
        let cur = b.load(v.ty(), p);
        let new = match op {
            Rmw::LLVMAtomicRMWBinOpFAdd => b.fadd(cur, v),
            Rmw::LLVMAtomicRMWBinOpFSub => b.fsub(cur, v),
            _ => b.intrinsic(combine, &[v.ty()], &[cur, v]),
        };
        b.store(new, p);
        b.call_fn(
            critical_fn(module, "__kmpc_end_critical"),
            &[ident, gtid, lock],
        );
        r.replace_all_uses_with(cur);
        r.erase();
    }
    Ok(())
}

/// The outlined regions the module forks (`__kmpc_fork_call`'s microtask).
pub fn forked_regions(module: Module) -> Vec<Value> {
    let Some(fork) = module.function("__kmpc_fork_call") else {
        return Vec::new();
    };
    let mut regions = Vec::new();
    for call in fork.users() {
        if !call.is_call() || call.called_operand() != fork {
            continue;
        }
        if let Some(r) = call.call_args().get(2).map(|r| r.strip_casts()) {
            if r.is_function() && !regions.contains(&r) {
                regions.push(r);
            }
        }
    }
    regions
}

/// A region with an `if()` clause: clang forks it when the condition holds
/// and otherwise runs it on the encountering thread alone, calling the
/// outlined function directly between `__kmpc_serialized_parallel` and
/// `__kmpc_end_serialized_parallel`. That serialized run becomes a fork on a
/// team of one thread (`num_threads(1)`), which runs the region the same way
/// (thread number 0 of 1) and which the generators handle like every fork.
fn fork_serialized_regions(f: Value) -> Result<()> {
    let module = f.global_parent();
    let b = Builder::new(module);
    let named =
        |i: Value, name: &str| i.is_call() && i.called_function().is_some_and(|g| g.name() == name);
    let starts: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| named(*i, "__kmpc_serialized_parallel"))
        .collect();
    for start in starts {
        let mut at = start.next_instruction();
        while let Some(i) = at.filter(|i| !i.is_call() && !i.is_invoke()) {
            at = i.next_instruction();
        }
        let region = at.filter(|c| {
            c.is_call()
                && c.called_function()
                    .is_some_and(|g| !g.is_declaration() && g.params().len() >= 2)
        });
        let end = region.and_then(|r| r.next_instruction());
        let (Some(region), Some(end)) = (
            region,
            end.filter(|e| named(*e, "__kmpc_end_serialized_parallel")),
        ) else {
            return Err(unsupported(start, "__kmpc_serialized_parallel"));
        };
        let args = start.call_args();
        b.before(region);
        b.set_debug_loc_from(region);
        b.call_fn(
            push_num_threads_fn(module),
            &[args[0], args[1], b.const_int(b.i32(), 1)],
        );
        let outlined = region.called_operand();
        fork(module, &b, args[0], outlined, &region.call_args()[2..]);
        region.erase();
        end.erase();
        start.erase();
    }
    Ok(())
}

/// `__kmpc_fork_call(ident, argc, region, captured...)` becomes the marked
/// call `region(&gtid, &btid, captured...)`.
fn direct_region_call(module: Module, f: Value, call: Value) -> Result<Value> {
    let args = call.call_args();
    let region = args.get(2).map(|r| r.strip_casts());
    let Some(region) = region.filter(|r| r.is_function() && !r.is_declaration()) else {
        return Err(Error::at(
            call,
            "cannot differentiate an OpenMP parallel region whose outlined function it cannot see",
        ));
    };
    let captured = &args[3..];
    let params = region.params();
    if params.len() != 2 + captured.len()
        || params[2..]
            .iter()
            .zip(captured)
            .any(|(p, c)| p.ty() != c.ty())
    {
        return Err(Error::at(
            call,
            format!(
                "internal error: the OpenMP region '{}' does not take the arguments of its fork",
                region.name()
            ),
        ));
    }
    let region = canonical_region(region)?;
    let mut captured = captured.to_vec();
    let b = Builder::new(module);
    if let Some(indices) = region.string_attribute(BY_ADDRESS) {
        for i in indices.split(',').filter_map(|i| i.parse::<usize>().ok()) {
            let value = captured[i - 2];
            let address = match float_capture(value) {
                Some(FloatCapture::Address(a)) => a,
                Some(FloatCapture::Value(v)) => {
                    b.at_start(f.entry_block());
                    let slot = b.alloca(v.ty(), "omp.firstprivate");
                    b.before(call);
                    b.store(v, slot);
                    slot
                }
                None => return Err(captured_by_value(call)),
            };
            // Zero, not poison: libomp compares each argument with the one it
            // kept from the previous fork before storing it (a read of
            // undefined bits under memcheck).
            captured[i - 2] = b.zero(value.ty());
            captured.push(address);
        }
    }
    let ident = args[0];
    if ident.name().is_empty() {
        ident.set_name("ferment.omp.ident");
    }
    b.at_start(f.entry_block());
    let gtid = b.alloca(b.i32(), "omp.gtid");
    let btid = b.alloca(b.i32(), "omp.btid");
    b.store(b.const_int(b.i32(), 0), gtid);
    b.store(b.const_int(b.i32(), 0), btid);
    b.before(call);
    b.set_debug_loc_from(call);
    let mut all = vec![gtid, btid];
    all.extend_from_slice(&captured);
    let direct = b.call_fn(region, &all);
    direct.add_call_string_attribute(FORK, &ident.name());
    direct.add_call_enum_attribute("noinline", 0);
    call.erase();
    Ok(direct)
}

/// The copy of an outlined region that marked calls call: its variables
/// promoted to registers (at -O0 clang spills every captured pointer), so
/// the caller's activity analysis, which summarizes the callee's body, sees
/// through the captured addresses; its callees inlined. Semantically the
/// region itself.
fn canonical_region(region: Value) -> Result<Value> {
    let module = region.global_parent();
    let name = format!("ferment.region.{}", region.name());
    if let Some(f) = module.function(&name) {
        return Ok(f);
    }
    let copy = crate::shim::clone_function(region, &name);
    // With -g clang's region only forwards to `<f>.omp_outlined_debug__`.
    crate::shim::inline_calls(copy, 20_000, &[]);
    // Its tasks run where they are created (their entries inlined next),
    // and copyprivate copies through plain memory.
    run_tasks_at_creation(copy)?;
    lower_copyprivate(copy)?;
    crate::shim::inline_calls(copy, 20_000, &[]);
    crate::shim::run_function_pipeline(copy, "sroa,mem2reg,instsimplify")
        .map_err(|e| Error::new(format!("internal error: region canonicalization: {e}")))?;
    // Before the caller's analyses see the region: a float its atomic
    // updates write through plain stores is active there.
    atomic_updates_as_critical(copy)?;
    Ok(floats_by_address(copy))
}

/// Function attribute of a canonical region whose float captures passed by
/// value were given an address parameter ([`floats_by_address`]): the
/// indices of those value parameters, comma-separated, in the order of the
/// address parameters added after the region's own.
const BY_ADDRESS: &str = "ferment-omp-by-address";

/// The float a by-value capture parameter carries, with the casts that turn
/// it back into that float: clang passes a `firstprivate` float as the bits
/// of an integer, which the region (after `sroa`) only bitcasts back, through
/// a `trunc` for types narrower than the integer.
fn float_bits_parameter(p: Value) -> Option<(Type, Vec<Value>)> {
    use ferment_ir::Opcode::{LLVMBitCast, LLVMTrunc};
    if !p.ty().is_integer() || !p.has_uses() {
        return None;
    }
    let mut float: Option<Type> = None;
    let mut casts = Vec::new();
    for u in p.users() {
        let ends = match u.opcode() {
            LLVMBitCast => vec![u],
            LLVMTrunc => u.users(),
            _ => return None,
        };
        for e in ends {
            if e.opcode() != LLVMBitCast || !e.ty().is_float() || float.is_some_and(|f| f != e.ty())
            {
                return None;
            }
            float = Some(e.ty());
            casts.push(e);
        }
    }
    float.map(|f| (f, casts))
}

/// A canonical region whose float captures passed by value (`firstprivate`)
/// are read instead through an address parameter added at the end, each
/// thread loading its private copy at the region's entry. The forking call
/// then passes the address of a slot holding the value
/// ([`direct_region_call`]), and the region reads it like a shared variable
/// it only reads: its adjoint is accumulated into the slot's shadow, once
/// per thread, which a value passed as integer bits could not carry.
/// Returns `region` itself when it has no such capture.
fn floats_by_address(region: Value) -> Value {
    let params = region.params();
    let found: Vec<(usize, Type, Vec<Value>)> = params
        .iter()
        .enumerate()
        .skip(2)
        .filter_map(|(i, p)| float_bits_parameter(*p).map(|(t, casts)| (i, t, casts)))
        .collect();
    if found.is_empty() {
        return region;
    }
    let module = region.global_parent();
    let c = module.context();
    let fn_ty = region.global_value_type();
    let mut types = fn_ty.fn_params();
    types.extend(found.iter().map(|_| Type::ptr(c)));
    let indices: Vec<String> = found.iter().map(|(i, _, _)| i.to_string()).collect();
    let name = region.name();
    let decl = module.add_function(
        &format!("{name}.by_address"),
        Type::function(fn_ty.fn_return(), &types, false),
    );
    crate::shim::move_body(region, decl);
    decl.set_name(&name);
    decl.add_string_attribute(BY_ADDRESS, &indices.join(","));
    let b = Builder::new(module);
    let entry = decl.entry_block();
    let new_params = decl.params();
    for (k, (_, float, casts)) in found.into_iter().enumerate() {
        match entry.first_insertion_point() {
            Some(at) => b.before(at),
            None => b.at_end(entry),
        }
        let v = b.load(float, new_params[params.len() + k]);
        for cast in casts {
            cast.replace_all_uses_with(v);
            cast.erase();
        }
    }
    decl
}

/// The float value whose bits a fork passes as the integer `c` (clang's
/// `firstprivate` capture), when it can be found: at -O0 the integer is
/// loaded from the slot the float was stored to, which is returned as an
/// address; after `sroa` it is a bitcast of the float, returned as a value
/// (a constant is returned as it is: storing its bits stores the float);
/// an integer loaded from other memory is read again there as the float.
enum FloatCapture {
    Address(Value),
    Value(Value),
}

fn float_capture(c: Value) -> Option<FloatCapture> {
    use ferment_ir::Opcode::{LLVMAlloca, LLVMBitCast, LLVMLoad, LLVMZExt};
    if c.is_constant() {
        // A constant: its bits, stored as they are, read back as the float.
        return Some(FloatCapture::Value(c));
    }
    if !c.is_instruction() {
        return None;
    }
    match c.opcode() {
        LLVMLoad if c.operand(0).is_instruction() && c.operand(0).opcode() == LLVMAlloca => {
            Some(FloatCapture::Address(c.operand(0)))
        }
        LLVMBitCast if c.operand(0).ty().is_float() => Some(FloatCapture::Value(c.operand(0))),
        LLVMZExt => float_capture(c.operand(0)),
        // After instcombine, a float read from memory and captured is
        // loaded as the integer of its bits (`b = w[5]` at -O2): the same
        // read as the float, right after it (same memory, same bits).
        LLVMLoad
            if !c.is_volatile_or_atomic()
                && c.ty().is_integer()
                && matches!(c.ty().int_width(), 32 | 64) =>
        {
            let module = c.parent().parent().global_parent();
            let ctx = module.context();
            let ty = if c.ty().int_width() == 64 {
                ferment_ir::Type::f64(ctx)
            } else {
                ferment_ir::Type::f32(ctx)
            };
            let b = ferment_ir::Builder::new(module);
            b.before(c.next_instruction()?);
            b.set_debug_loc_from(c);
            Some(FloatCapture::Value(b.load_like(ty, c.operand(0), c)))
        }
        _ => None,
    }
}

/// Shared variables the region only reads (clang passes every shared
/// variable by address, `k` in `v[i] = k * u[i]` included) are read once at
/// the region's entry instead of once per use: the derivative then tapes one
/// value per thread instead of one per iteration, and accumulates the
/// variable's adjoint in a register, adding it to the shared shadow once per
/// thread rather than atomically per iteration (where every thread updates
/// the same address). Returns a copy of `region` with those reads moved
/// (named after which captures moved), or `region` when none qualify.
///
/// Sound when nothing writes the variable while the region runs: the
/// captured address is a stack slot of the forking function whose address
/// goes nowhere but to forks whose regions only load through it (so no
/// other pointer the region sees can reach it), with plain loads within
/// the slot's size (reading it early is safe even on paths that did not).
fn read_captures_once(call: Value, region: Value) -> Value {
    let module = region.global_parent();
    let args = call.call_args();
    let captured = &args[2..];
    let params = region.params();
    // Whether each parameter of `g` that receives `c` in `fork` is only
    // loaded from (plain loads of at most `size` bytes).
    let only_loaded = |fork: Value, c: Value, size: u64| {
        let Some(g) = fork.called_function() else {
            return false;
        };
        let gp = g.params();
        fork.call_args().iter().enumerate().all(|(i, a)| {
            *a != c
                || gp.get(i).is_some_and(|p| {
                    let users = p.users();
                    !users.is_empty()
                        && users.iter().all(|u| {
                            u.opcode() == ferment_ir::Opcode::LLVMLoad
                                && u.operand(0) == *p
                                && !u.is_volatile_or_atomic()
                                && module.alloc_size(u.ty()) <= size
                        })
                })
        })
    };
    let read_only_slot = |c: Value| -> bool {
        if c.opcode() != ferment_ir::Opcode::LLVMAlloca || c.operand(0).const_int() != Some(1) {
            return false;
        }
        let size = module.alloc_size(c.allocated_type());
        c.users().into_iter().all(|u| match u.opcode() {
            ferment_ir::Opcode::LLVMLoad => true,
            ferment_ir::Opcode::LLVMStore => u.operand(0) != c,
            ferment_ir::Opcode::LLVMCall if is_fork(u) => only_loaded(u, c, size),
            ferment_ir::Opcode::LLVMCall => u.called_function().is_some_and(|g| {
                let n = g.name();
                n.starts_with("llvm.lifetime") || n.starts_with("llvm.dbg")
            }),
            _ => false,
        })
    };
    let moved: Vec<usize> = captured
        .iter()
        .enumerate()
        .filter(|&(i, c)| params[2 + i].has_uses() && read_only_slot(*c))
        .map(|(i, _)| i)
        .collect();
    if moved.is_empty() {
        return region;
    }
    let tag: Vec<String> = moved.iter().map(|i| i.to_string()).collect();
    let name = format!("{}.once.{}", region.name(), tag.join("."));
    if let Some(g) = module.function(&name) {
        return g;
    }
    let copy = crate::shim::clone_function(region, &name);
    let b = Builder::new(module);
    let entry = copy.entry_block();
    let params = copy.params();
    for i in moved {
        let p = params[2 + i];
        let mut once: Vec<(Type, Value)> = Vec::new();
        for l in p.users() {
            let v = match once.iter().find(|(t, _)| *t == l.ty()) {
                Some(&(_, v)) => v,
                None => {
                    match entry.first_insertion_point() {
                        Some(at) => b.before(at),
                        None => b.at_end(entry),
                    }
                    let v = b.load_like(l.ty(), p, l);
                    once.push((l.ty(), v));
                    v
                }
            };
            l.replace_all_uses_with(v);
            l.erase();
        }
    }
    copy
}

/// A stack slot of the forking function that only hands one pointer to
/// forked regions (clang's capture of a shared pointer variable `x`: the
/// slot holding `x`, passed by address): stored once, before each fork in
/// the fork's block, read by nothing else, and each region it is passed to
/// only loads the pointer from it and never writes through that pointer
/// nor lets it escape. Returns the store. Storing a pointer into such a
/// slot writes nothing through it, and while the slot's memory is
/// unchanged so is the memory the regions read through it.
pub fn forked_pointer_slot(s: Value) -> Option<Value> {
    if s.opcode() != ferment_ir::Opcode::LLVMAlloca || s.operand(0).const_int() != Some(1) {
        return None;
    }
    let mut store = None;
    let mut forks = Vec::new();
    for u in s.users() {
        match u.opcode() {
            ferment_ir::Opcode::LLVMStore
                if u.operand(1) == s
                    && u.operand(0) != s
                    && u.operand(0).ty().is_pointer()
                    && !u.is_volatile_or_atomic()
                    && store.is_none() =>
            {
                store = Some(u)
            }
            _ if is_fork(u) => forks.push(u),
            _ => return None,
        }
    }
    let store = store?;
    let precedes = |call: Value| {
        let mut cur = store.next_instruction();
        while let Some(i) = cur {
            if i == call {
                return true;
            }
            cur = i.next_instruction();
        }
        false
    };
    let read_only = |call: Value| {
        let Some(region) = call.called_function() else {
            return false;
        };
        let params = region.params();
        call.call_args().iter().enumerate().all(|(i, a)| {
            *a != s
                || params
                    .get(i)
                    .is_some_and(|p| region_only_reads_through(region, *p))
        })
    };
    (!forks.is_empty() && forks.iter().all(|c| precedes(*c) && read_only(*c))).then_some(store)
}

/// Whether the region only loads pointers from its parameter `p` and never
/// writes through them nor lets them escape.
fn region_only_reads_through(region: Value, p: Value) -> bool {
    let users = p.users();
    let loads_ok = !users.is_empty()
        && users.iter().all(|u| {
            u.opcode() == ferment_ir::Opcode::LLVMLoad
                && u.ty().is_pointer()
                && !u.is_volatile_or_atomic()
        });
    if !loads_ok {
        return false;
    }
    let loaded: hashbrown::HashSet<Value> = users.into_iter().collect();
    crate::reverse::tape::unchanged_roots(&region.blocks(), &loaded).len() == loaded.len()
}

/// For the marked call of a region differentiated in split shape: which of
/// its captures are [`forked_pointer_slot`]s holding a pointer into memory
/// the caller vouches for (`unchanged` objects): nothing writes the slot
/// nor that memory between the region's two sweeps, so its reverse sweep
/// may read both again (empty when none is).
pub fn vouched_slots(args: &[Value], unchanged: &hashbrown::HashSet<Value>) -> Vec<bool> {
    let flags: Vec<bool> = args
        .iter()
        .map(|a| {
            forked_pointer_slot(*a).is_some_and(|st| {
                let objs = ferment_activity_analysis::underlying_objects(st.operand(0));
                !objs.is_empty() && objs.iter().all(|o| unchanged.contains(o))
            })
        })
        .collect();
    if flags.contains(&true) {
        flags
    } else {
        Vec::new()
    }
}

/// Forward mode reverses nothing: its critical sections take no tickets
/// (the counters must stay where the reverse sweeps expect them).
pub fn drop_tickets(f: Value) {
    let module = f.global_parent();
    let c = module.context();
    let lock_ty = Type::function(
        Type::void(c),
        &[Type::ptr(c), Type::int(c, 32), Type::ptr(c)],
        false,
    );
    let omp_lock_ty = Type::function(Type::void(c), &[Type::ptr(c)], false);
    let omp_test_ty = Type::function(Type::int(c, 32), &[Type::ptr(c)], false);
    let gtid_ty = Type::function(Type::void(c), &[Type::ptr(c), Type::int(c, 32)], false);
    let vec_ty = Type::function(
        Type::void(c),
        &[Type::ptr(c), Type::int(c, 32), Type::ptr(c)],
        false,
    );
    let b = Builder::new(module);
    for call in f.instructions().into_iter().filter(|i| i.is_call()) {
        let Some(name) = call.called_function().map(|g| g.name()) else {
            continue;
        };
        let (plain, ty, args) = match name.as_str() {
            "ferment.omp.critical" => ("__kmpc_critical", lock_ty, 3),
            "ferment.omp.end_critical" => ("__kmpc_end_critical", lock_ty, 3),
            "ferment.omp.set_lock" => ("omp_set_lock", omp_lock_ty, 1),
            "ferment.omp.unset_lock" => ("omp_unset_lock", omp_lock_ty, 1),
            "ferment.omp.ordered" => ("__kmpc_ordered", gtid_ty, 2),
            "ferment.omp.end_ordered" => ("__kmpc_end_ordered", gtid_ty, 2),
            "ferment.omp.doacross_wait" => ("__kmpc_doacross_wait", vec_ty, 3),
            "ferment.omp.doacross_post" => ("__kmpc_doacross_post", vec_ty, 3),
            "ferment.omp.set_nest_lock" => ("omp_set_nest_lock", omp_lock_ty, 1),
            "ferment.omp.unset_nest_lock" => ("omp_unset_nest_lock", omp_lock_ty, 1),
            "ferment.omp.test_lock" | "ferment.omp.test_nest_lock" => {
                // The test's result goes to its slot, as the helper's does.
                let args = call.call_args();
                let plain = if name == "ferment.omp.test_lock" {
                    "omp_test_lock"
                } else {
                    "omp_test_nest_lock"
                };
                b.before(call);
                b.set_debug_loc_from(call);
                let r = b.call_fn(declare(module, plain, omp_test_ty), &[args[0]]);
                b.store(r, *args.last().unwrap_or(&args[0]));
                if call.has_uses() {
                    call.replace_all_uses_with(b.const_int(b.i64(), 0));
                }
                call.erase();
                continue;
            }
            "ferment.omp.flush" => {
                b.before(call);
                b.set_debug_loc_from(call);
                b.call_fn(
                    declare(module, "__kmpc_flush", omp_lock_ty),
                    &call.call_args()[..1],
                );
                call.erase();
                continue;
            }
            _ => continue,
        };
        b.before(call);
        b.set_debug_loc_from(call);
        b.call_fn(declare(module, plain, ty), &call.call_args()[..args]);
        if call.has_uses() {
            call.replace_all_uses_with(b.const_int(b.i64(), 0));
        }
        call.erase();
    }
}

/// The module's counter of tickets for critical sections on `lock`.
fn ticket_counter(module: Module, call: Value, lock: Value) -> Result<Value> {
    let lock = lock.strip_casts();
    if !lock.is_global() {
        return Err(Error::at(
            call,
            "cannot differentiate an OpenMP critical section or reduction whose lock is not a global",
        ));
    }
    let name = format!("ferment.omp.ticket.{}", lock.name());
    // One counter per lock in the whole program (a named critical section in several
    // translation units shares its lock, and so must its tickets).
    Ok(named_ticket_counter(module, &name))
}

/// The program's counter of tickets `name` for sections protected by
/// OpenMP locks (`omp_set_lock` .. `omp_unset_lock`, all locks together) or
/// for ordered blocks (all of them together).
fn named_ticket_counter(module: Module, name: &str) -> Value {
    module.zeroed_global(name, Type::int(module.context(), 64), Value::set_weak)
}

fn declare(module: Module, name: &str, ty: Type) -> Value {
    module
        .function(name)
        .unwrap_or_else(|| module.add_function(name, ty))
}

fn barrier_fn(module: Module) -> Value {
    let c = module.context();
    declare(
        module,
        "__kmpc_barrier",
        Type::function(Type::void(c), &[Type::ptr(c), Type::int(c, 32)], false),
    )
}

fn thread_num_fn(module: Module, name: &str) -> Value {
    let c = module.context();
    declare(module, name, Type::function(Type::int(c, 32), &[], false))
}

/// `__kmpc_global_thread_num(ident)`, declared once.
pub(crate) fn global_thread_num_fn(module: Module) -> Value {
    let c = module.context();
    declare(
        module,
        "__kmpc_global_thread_num",
        Type::function(Type::int(c, 32), &[Type::ptr(c)], false),
    )
}

fn push_num_threads_fn(module: Module) -> Value {
    let c = module.context();
    declare(
        module,
        "__kmpc_push_num_threads",
        Type::function(
            Type::void(c),
            &[Type::ptr(c), Type::int(c, 32), Type::int(c, 32)],
            false,
        ),
    )
}

fn fork_fn(module: Module) -> Value {
    let c = module.context();
    declare(
        module,
        "__kmpc_fork_call",
        Type::function(
            Type::void(c),
            &[Type::ptr(c), Type::int(c, 32), Type::ptr(c)],
            true,
        ),
    )
}

/// The plugin's runtime helpers, defined in the module on first use.
struct Helpers {
    /// `i64 critical(ident, gtid, lock, counter)`: enter, take a ticket.
    critical: Value,
    /// `void end_critical(ident, gtid, lock, ticket)`: leave.
    end_critical: Value,
    /// `void wait_ticket(counter, ticket)`: wait until the reverse sweep's
    /// turn for `ticket` has come (the counter is `ticket + 1`).
    wait_ticket: Value,
    /// `void check_team(expected i64, actual i32)`: abort with a message
    /// when the reverse sweep's team differs from the forward sweep's.
    check_team: Value,
    /// `i64 set_lock(lock, counter, slot)`: `omp_set_lock`, then take a
    /// ticket, kept in the function's slot (which must be free: -1).
    set_lock: Value,
    /// `i64 unset_lock(lock, counter, slot)`: `omp_unset_lock`; returns the
    /// ticket its `set_lock` took, and frees the slot.
    unset_lock: Value,
    /// `i64 ordered(ident, gtid, counter, slot)`: `__kmpc_ordered`, then
    /// take a ticket, kept in the function's slot.
    ordered: Value,
    /// `i64 end_ordered(ident, gtid, counter, slot)`: `__kmpc_end_ordered`;
    /// returns the ticket its `ordered` took.
    end_ordered: Value,
    /// `i64 test_lock(lock, counter, slot, result)`: `omp_test_lock`, its
    /// result stored at `result`; on success a ticket as `set_lock` takes,
    /// else -2.
    test_lock: Value,
    /// `i64 set_nest_lock(lock, counter, slot, depth, owner)`:
    /// `omp_set_nest_lock`; the outermost set takes a ticket (the slot must
    /// be free), a nested one (`depth` > 0, the same lock) returns -1.
    set_nest_lock: Value,
    /// `i64 unset_nest_lock(lock, counter, slot, depth)`:
    /// `omp_unset_nest_lock`; the outermost unset returns its set's ticket
    /// and frees the slot, a nested one returns -1.
    unset_nest_lock: Value,
    /// `i64 test_nest_lock(lock, counter, slot, depth, owner, result)`:
    /// `omp_test_nest_lock` (result stored at `result`), then as
    /// `set_nest_lock` on success; -2 on failure.
    test_nest_lock: Value,
    /// `void flush()`: `__kmpc_flush` (a memory fence, in both sweeps).
    flush: Value,
    /// `i64 doacross_wait(ident, gtid, vec, counter, slot)`:
    /// `__kmpc_doacross_wait`, then take a ticket, kept in the slot.
    doacross_wait: Value,
    /// `i64 doacross_post(ident, gtid, vec, counter, slot)`:
    /// `__kmpc_doacross_post`; returns the ticket its wait took.
    doacross_post: Value,
    /// `void pass_turn(counter, ticket)`: the reverse of taking a ticket
    /// (store it in the counter) where one was taken (`ticket` >= 0).
    pass_turn: Value,
    /// `void wait_turn(counter, ticket)`: `wait_ticket` where a ticket was
    /// taken (`ticket` >= 0).
    wait_turn: Value,
}

fn helpers(module: Module) -> Helpers {
    let c = module.context();
    let (ptr, i32t, i64t, void) = (
        Type::ptr(c),
        Type::int(c, 32),
        Type::int(c, 64),
        Type::void(c),
    );
    let lock_ty = Type::function(void, &[ptr, i32t, ptr], false);
    let b = Builder::new(module);
    let define = |name: &str, ty: Type, body: &dyn Fn(&Builder, &[Value])| -> Value {
        if let Some(f) = module.function(name) {
            return f;
        }
        let f = module.add_function(name, ty);
        f.set_internal();
        b.at_end(f.append_block("entry"));
        body(&b, &f.params());
        f
    };
    let critical = define(
        "ferment.omp.critical",
        Type::function(i64t, &[ptr, i32t, ptr, ptr], false),
        &|b, p| {
            b.call_fn(declare(module, "__kmpc_critical", lock_ty), &p[..3]);
            let t = b.atomic_add_int(p[3], b.const_int(b.i64(), 1));
            b.ret(t);
        },
    );
    let end_critical = define(
        "ferment.omp.end_critical",
        Type::function(void, &[ptr, i32t, ptr, i64t], false),
        &|b, p| {
            b.call_fn(declare(module, "__kmpc_end_critical", lock_ty), &p[..3]);
            b.ret_void();
        },
    );
    let wait_ticket = define(
        "ferment.omp.wait_ticket",
        Type::function(void, &[ptr, i64t], false),
        &|b, p| {
            let f = b.insert_block().parent();
            let lp = f.append_block("wait");
            let spin = f.append_block("spin");
            let done = f.append_block("done");
            let want = b.add_int(p[1], b.const_int(b.i64(), 1));
            b.br(lp);
            b.at_end(lp);
            let now = b.load(b.i64(), p[0]);
            b.set_alignment(now, 8);
            b.make_atomic(now, true);
            let ready = b.icmp(IntPredicate::LLVMIntEQ, now, want);
            b.cond_br(ready, done, spin);
            b.at_end(spin);
            b.call_fn(
                declare(module, "sched_yield", Type::function(i32t, &[], false)),
                &[],
            );
            b.br(lp);
            b.at_end(done);
            b.ret_void();
        },
    );
    let check_team = define(
        "ferment.omp.check_team",
        Type::function(void, &[i64t, i32t], false),
        &|b, p| {
            let f = b.insert_block().parent();
            let bad = f.append_block("mismatch");
            let ok = f.append_block("ok");
            let actual = b.int_cast(p[1], b.i64(), true);
            let same = b.icmp(IntPredicate::LLVMIntEQ, actual, p[0]);
            b.cond_br(same, ok, bad);
            b.at_end(bad);
            let msg = "ferment: the reverse sweep of an OpenMP parallel region got a team of a \
                       different size than its forward sweep (set OMP_DYNAMIC=false and do not \
                       change the number of threads between the two)\n";
            crate::reverse::tape::emit_stop(b, "ferment.omp.team.message", msg);
            b.unreachable();
            b.at_end(ok);
            b.ret_void();
        },
    );
    let lock_fn = |name: &str| declare(module, name, Type::function(void, &[ptr], false));
    // Stops the program with `message` unless `ok` holds.
    let stop_unless = |b: &Builder, ok: Value, global: &str, message: &str| {
        let f = b.insert_block().parent();
        let bad = f.append_block("bad");
        let fine = f.append_block("ok");
        b.cond_br(ok, fine, bad);
        b.at_end(bad);
        crate::reverse::tape::emit_stop(b, global, message);
        b.unreachable();
        b.at_end(fine);
    };
    // Takes a ticket for `lock` into the free slot (a thread holds one lock
    // at a time), records the nest depth 1 and owner where given; returns
    // the ticket.
    let take =
        |b: &Builder, lock: Value, counter: Value, slot: Value, nest: Option<(Value, Value)>| {
            let held = b.load(i64t, slot);
            let free = b.icmp(IntPredicate::LLVMIntEQ, held, b.const_int(i64t, -1));
            stop_unless(
                b,
                free,
                "ferment.omp.lock.nested.message",
                "ferment: a differentiated function set an OpenMP lock while it held another \
             one (nested locks are not supported: release the first lock before setting \
             the second, or use named omp critical sections)\n",
            );
            let t = b.atomic_add_int(counter, b.const_int(i64t, 1));
            b.store(t, slot);
            if let Some((depth, owner)) = nest {
                b.store(b.const_int(i64t, 1), depth);
                b.store(lock, owner);
            }
            t
        };
    let set_lock = define(
        "ferment.omp.set_lock",
        Type::function(i64t, &[ptr, ptr, ptr], false),
        &|b, p| {
            b.call_fn(lock_fn("omp_set_lock"), &[p[0]]);
            let t = take(b, p[0], p[1], p[2], None);
            b.ret(t);
        },
    );
    let unset_lock = define(
        "ferment.omp.unset_lock",
        Type::function(i64t, &[ptr, ptr, ptr], false),
        &|b, p| {
            let t = b.load(i64t, p[2]);
            let held = b.icmp(IntPredicate::LLVMIntNE, t, b.const_int(i64t, -1));
            stop_unless(
                b,
                held,
                "ferment.omp.lock.unset.message",
                "ferment: a differentiated function unset an OpenMP lock it did not set itself \
                 (set and unset each lock in the same function, or the same parallel region)\n",
            );
            b.store(b.const_int(i64t, -1), p[2]);
            b.call_fn(lock_fn("omp_unset_lock"), &[p[0]]);
            b.ret(t);
        },
    );
    let gtid_fn = |name: &str| declare(module, name, Type::function(void, &[ptr, i32t], false));
    let ordered = define(
        "ferment.omp.ordered",
        Type::function(i64t, &[ptr, i32t, ptr, ptr], false),
        &|b, p| {
            b.call_fn(gtid_fn("__kmpc_ordered"), &p[..2]);
            let t = b.atomic_add_int(p[2], b.const_int(i64t, 1));
            b.store(t, p[3]);
            b.ret(t);
        },
    );
    let end_ordered = define(
        "ferment.omp.end_ordered",
        Type::function(i64t, &[ptr, i32t, ptr, ptr], false),
        &|b, p| {
            let t = b.load(i64t, p[3]);
            b.call_fn(gtid_fn("__kmpc_end_ordered"), &p[..2]);
            b.ret(t);
        },
    );
    let vec_fn = |name: &str| declare(module, name, Type::function(void, &[ptr, i32t, ptr], false));
    let doacross_wait = define(
        "ferment.omp.doacross_wait",
        Type::function(i64t, &[ptr, i32t, ptr, ptr, ptr], false),
        &|b, p| {
            b.call_fn(vec_fn("__kmpc_doacross_wait"), &p[..3]);
            let t = b.atomic_add_int(p[3], b.const_int(i64t, 1));
            b.store(t, p[4]);
            b.ret(t);
        },
    );
    let doacross_post = define(
        "ferment.omp.doacross_post",
        Type::function(i64t, &[ptr, i32t, ptr, ptr, ptr], false),
        &|b, p| {
            let t = b.load(i64t, p[4]);
            b.call_fn(vec_fn("__kmpc_doacross_post"), &p[..3]);
            b.ret(t);
        },
    );
    let i32_lock_fn = |name: &str| declare(module, name, Type::function(i32t, &[ptr], false));
    // A nest lock this thread already holds (depth > 0): must be the same
    // lock; one level deeper, no ticket. Branches to `outer` when the
    // thread does not hold it yet, else returns -1.
    let nested = |b: &Builder, lock: Value, depth: Value, owner: Value| {
        let f = b.insert_block().parent();
        let inner = f.append_block("nested");
        let outer = f.append_block("outer");
        let d = b.load(i64t, depth);
        let is_nested = b.icmp(IntPredicate::LLVMIntNE, d, b.const_int(i64t, 0));
        b.cond_br(is_nested, inner, outer);
        b.at_end(inner);
        let o = b.load(ptr, owner);
        let same = b.icmp(IntPredicate::LLVMIntEQ, o, lock);
        stop_unless(
            b,
            same,
            "ferment.omp.lock.nested.message",
            "ferment: a differentiated function set an OpenMP lock while it held another \
             one (nested locks are not supported: release the first lock before setting \
             the second, or use named omp critical sections)\n",
        );
        b.store(b.add_int(d, b.const_int(i64t, 1)), depth);
        b.ret(b.const_int(i64t, -1));
        b.at_end(outer);
    };
    // Returns -2 unless the tested lock was taken (`r` != 0).
    let unless_taken = |b: &Builder, r: Value| {
        let f = b.insert_block().parent();
        let failed = f.append_block("failed");
        let taken = f.append_block("taken");
        let ok = b.icmp(IntPredicate::LLVMIntNE, r, b.const_int(i32t, 0));
        b.cond_br(ok, taken, failed);
        b.at_end(failed);
        b.ret(b.const_int(i64t, -2));
        b.at_end(taken);
    };
    let test_lock = define(
        "ferment.omp.test_lock",
        Type::function(i64t, &[ptr, ptr, ptr, ptr], false),
        &|b, p| {
            let r = b.call_fn(i32_lock_fn("omp_test_lock"), &[p[0]]);
            b.store(r, p[3]);
            unless_taken(b, r);
            let t = take(b, p[0], p[1], p[2], None);
            b.ret(t);
        },
    );
    let set_nest_lock = define(
        "ferment.omp.set_nest_lock",
        Type::function(i64t, &[ptr, ptr, ptr, ptr, ptr], false),
        &|b, p| {
            b.call_fn(lock_fn("omp_set_nest_lock"), &[p[0]]);
            nested(b, p[0], p[3], p[4]);
            let t = take(b, p[0], p[1], p[2], Some((p[3], p[4])));
            b.ret(t);
        },
    );
    let test_nest_lock = define(
        "ferment.omp.test_nest_lock",
        Type::function(i64t, &[ptr, ptr, ptr, ptr, ptr, ptr], false),
        &|b, p| {
            let r = b.call_fn(i32_lock_fn("omp_test_nest_lock"), &[p[0]]);
            b.store(r, p[5]);
            unless_taken(b, r);
            nested(b, p[0], p[3], p[4]);
            let t = take(b, p[0], p[1], p[2], Some((p[3], p[4])));
            b.ret(t);
        },
    );
    let unset_nest_lock = define(
        "ferment.omp.unset_nest_lock",
        Type::function(i64t, &[ptr, ptr, ptr, ptr], false),
        &|b, p| {
            let d = b.load(i64t, p[3]);
            let held = b.icmp(IntPredicate::LLVMIntSGT, d, b.const_int(i64t, 0));
            stop_unless(
                b,
                held,
                "ferment.omp.lock.unset.message",
                "ferment: a differentiated function unset an OpenMP lock it did not set itself \
                 (set and unset each lock in the same function, or the same parallel region)\n",
            );
            let left = b.add_int(d, b.const_int(i64t, -1));
            b.store(left, p[3]);
            b.call_fn(lock_fn("omp_unset_nest_lock"), &[p[0]]);
            let f = b.insert_block().parent();
            let inner = f.append_block("nested");
            let outer = f.append_block("outer");
            let last = b.icmp(IntPredicate::LLVMIntEQ, left, b.const_int(i64t, 0));
            b.cond_br(last, outer, inner);
            b.at_end(inner);
            b.ret(b.const_int(i64t, -1));
            b.at_end(outer);
            let t = b.load(i64t, p[2]);
            b.store(b.const_int(i64t, -1), p[2]);
            b.ret(t);
        },
    );
    let flush = define(
        "ferment.omp.flush",
        Type::function(void, &[ptr], false),
        &|b, p| {
            b.call_fn(
                declare(module, "__kmpc_flush", Type::function(void, &[ptr], false)),
                &[p[0]],
            );
            b.ret_void();
        },
    );
    // Runs `then` where a ticket was taken (`t` >= 0).
    let if_ticket = |b: &Builder, t: Value, then: &dyn Fn(&Builder)| {
        let f = b.insert_block().parent();
        let yes = f.append_block("ticket");
        let done = f.append_block("done");
        let taken = b.icmp(IntPredicate::LLVMIntSGE, t, b.const_int(i64t, 0));
        b.cond_br(taken, yes, done);
        b.at_end(yes);
        then(b);
        b.br(done);
        b.at_end(done);
        b.ret_void();
    };
    let pass_turn = define(
        "ferment.omp.pass_turn",
        Type::function(void, &[ptr, i64t], false),
        &|b, p| {
            if_ticket(b, p[1], &|b| {
                let st = b.store(p[1], p[0]);
                b.set_alignment(st, 8);
                b.make_atomic(st, false);
            })
        },
    );
    let wait_turn = define(
        "ferment.omp.wait_turn",
        Type::function(void, &[ptr, i64t], false),
        &|b, p| {
            if_ticket(b, p[1], &|b| {
                b.call_fn(wait_ticket, &[p[0], p[1]]);
            })
        },
    );
    Helpers {
        critical,
        end_critical,
        wait_ticket,
        check_team,
        set_lock,
        unset_lock,
        ordered,
        end_ordered,
        doacross_wait,
        doacross_post,
        test_lock,
        set_nest_lock,
        unset_nest_lock,
        test_nest_lock,
        flush,
        pass_turn,
        wait_turn,
    }
}

/// The ident of a marked region call.
fn ident_of(module: Module, call: Value) -> Result<Value> {
    let name = call.call_string_attribute(FORK).unwrap_or_default();
    module.global(&name).ok_or_else(|| {
        Error::at(
            call,
            "internal error: the OpenMP fork's location record (ident_t) disappeared",
        )
    })
}

/// Emits `__kmpc_fork_call(ident, n, microtask, args...)` at `b`.
fn fork(module: Module, b: &Builder, ident: Value, microtask: Value, args: &[Value]) -> Value {
    let mut all = vec![ident, b.const_int(b.i32(), args.len() as i64), microtask];
    all.extend_from_slice(args);
    b.call_fn(fork_fn(module), &all)
}

/// Turns the marked region calls left in a generated function (regions
/// that needed no derivative) back into forks.
pub fn restore_forks(f: Value) -> Result<()> {
    let module = f.global_parent();
    let b = Builder::new(module);
    for call in f.instructions() {
        if !is_fork(call) {
            continue;
        }
        let ident = ident_of(module, call)?;
        let region = call.called_operand();
        b.before(call);
        b.set_debug_loc_from(call);
        fork(module, &b, ident, region, &call.call_args()[2..]);
        call.erase();
    }
    Ok(())
}

/// Forward mode: the marked call `call` runs the tangent function `fwd` on
/// every thread (`tangents`: those of the captured arguments that have one).
pub fn fork_tangent(b: &Builder, call: Value, fwd: Value, tangents: &[Value]) -> Result<()> {
    let module = b.module();
    let ident = ident_of(module, call)?;
    let mut args = call.call_args()[2..].to_vec();
    args.extend_from_slice(tangents);
    fork(module, b, ident, fwd, &args);
    Ok(())
}

/// What the reverse sweep needs of a forked augmented region.
#[derive(Clone, Copy)]
pub struct ForkedTapes {
    pub ident: Value,
    /// The per-thread tape array (freed by the reverse sweep).
    pub tapes: Value,
    /// The forward team's size (i32).
    pub team: Value,
}

/// Reverse mode, forward sweep: forks a wrapper of the augmented forward
/// function `aug` of the marked call's region; each thread stores the tape
/// `aug` returns at its thread number in an array that the first thread to
/// finish allocates (a compare-and-swap on the holder, which the caller
/// clears before the fork: no barrier in the region).
/// Returns the fork call and what the reverse sweep needs.
pub fn fork_augmented(
    b: &Builder,
    call: Value,
    aug: Value,
    shadows: &[Value],
) -> Result<(Value, ForkedTapes)> {
    let module = b.module();
    let c = module.context();
    let (ptr, i32t, i64t, void) = (
        Type::ptr(c),
        Type::int(c, 32),
        Type::int(c, 64),
        Type::void(c),
    );
    let ident = ident_of(module, call)?;
    let captured = call.call_args()[2..].to_vec();
    // wrapper(gtid*, btid*, holder, captured..., shadows...)
    let mut params = vec![ptr, ptr, ptr];
    params.extend(captured.iter().map(|v| v.ty()));
    params.extend(shadows.iter().map(|v| v.ty()));
    let w = module.add_function(
        &format!("ferment.omp.augmented.{}", call.called_operand().name()),
        Type::function(void, &params, false),
    );
    w.set_internal();
    {
        let wb = Builder::new(module);
        let p = w.params();
        let entry = w.append_block("entry");
        let alloc = w.append_block("alloc");
        let won = w.append_block("won");
        let lost = w.append_block("lost");
        let store = w.append_block("store");
        wb.at_end(entry);
        let nth = wb.call_fn(thread_num_fn(module, "omp_get_num_threads"), &[]);
        let tid = wb.call_fn(thread_num_fn(module, "omp_get_thread_num"), &[]);
        let mut args = vec![p[0], p[1]];
        args.extend_from_slice(&p[3..]);
        // Each thread's frame on the heap (the reverse region frees it).
        args.push(wb.zero(ptr));
        let t = wb.call_fn(aug, &args);
        let tape = wb.extract_value(t, 0);
        let seen = wb.load(ptr, p[2]);
        wb.make_atomic(seen, true);
        let none = wb.icmp(IntPredicate::LLVMIntEQ, seen, wb.zero(ptr));
        wb.cond_br(none, alloc, store);
        // No array yet: allocate one and try to install it; a thread that
        // loses the race frees its own and takes the winner's.
        wb.at_end(alloc);
        // Three words per thread: its tape, its slot of the reverse team's
        // board, and the frame it leaves to the caller to free (null unless
        // `openmp_team::defer_free_helper` sets it).
        let words = wb.mul_int(wb.int_cast(nth, i64t, false), wb.const_int(i64t, 8));
        let bytes = wb.mul_int(words, wb.const_int(i64t, 3));
        let malloc = declare(module, "malloc", Type::function(ptr, &[i64t], false));
        let m = wb.call_fn(malloc, &[bytes]);
        let deferred = wb.gep(wb.i8(), m, &[wb.mul_int(words, wb.const_int(i64t, 2))]);
        wb.memset(deferred, wb.const_int(Type::int(c, 8), 0), words);
        let swap = wb.cmpxchg(p[2], wb.zero(ptr), m);
        let old = wb.extract_value(swap, 0);
        let ok = wb.extract_value(swap, 1);
        wb.cond_br(ok, won, lost);
        wb.at_end(won);
        wb.store(nth, wb.gep_i8(p[2], 8));
        wb.br(store);
        wb.at_end(lost);
        let free = declare(module, "free", Type::function(void, &[ptr], false));
        wb.call_fn(free, &[m]);
        wb.br(store);
        wb.at_end(store);
        let tapes = wb.phi(ptr, "tapes");
        tapes.add_incoming(seen, entry);
        tapes.add_incoming(m, won);
        tapes.add_incoming(old, lost);
        let slot = wb.gep(ptr, tapes, &[wb.int_cast(tid, i64t, true)]);
        wb.store(tape, slot);
        wb.ret_void();
    }
    // The holder {tapes, team} lives in the caller's frame, cleared before
    // every fork (the wrapper installs the array only where it is null).
    let f = b.insert_block().parent();
    let hb = Builder::new(module);
    hb.at_start(f.entry_block());
    let holder = hb.alloca(Type::literal_struct(c, &[ptr, i32t]), "omp.tapes");
    b.store(b.zero(ptr), holder);
    let mut args = vec![holder];
    args.extend_from_slice(&captured);
    args.extend_from_slice(shadows);
    let fork_call = fork(module, b, ident, w, &args);
    let tapes = b.load(ptr, holder);
    let team = b.load(i32t, b.gep_i8(holder, 8));
    Ok((fork_call, ForkedTapes { ident, tapes, team }))
}

/// Reverse mode, reverse sweep: forks a wrapper of the region's reverse
/// function `rev` on a team of the forward team's size; thread k reverses
/// tape k. `forked` (its tapes and team reloaded), `captured` and `shadows`
/// are the reverse sweep's values; the tape array is freed after the join.
pub fn fork_reverse(
    b: &Builder,
    region: Value,
    rev: Value,
    forked: ForkedTapes,
    captured: &[Value],
    shadows: &[Value],
) {
    let (tapes, team) = (forked.tapes, forked.team);
    let module = b.module();
    let c = module.context();
    let (ptr, i32t, i64t, void) = (
        Type::ptr(c),
        Type::int(c, 32),
        Type::int(c, 64),
        Type::void(c),
    );
    // wrapper(gtid*, btid*, tapes, team (i64), captured..., shadows...)
    let mut params = vec![ptr, ptr, ptr, i64t];
    params.extend(captured.iter().map(|v| v.ty()));
    params.extend(shadows.iter().map(|v| v.ty()));
    let w = module.add_function(
        &format!("ferment.omp.reverse.{}", region.name()),
        Type::function(void, &params, false),
    );
    w.set_internal();
    {
        let wb = Builder::new(module);
        let p = w.params();
        wb.at_end(w.append_block("entry"));
        let nth = wb.call_fn(thread_num_fn(module, "omp_get_num_threads"), &[]);
        wb.call_fn(helpers(module).check_team, &[p[3], nth]);
        let tid = wb.call_fn(thread_num_fn(module, "omp_get_thread_num"), &[]);
        let slot = wb.gep(ptr, p[2], &[wb.int_cast(tid, i64t, true)]);
        let tape = wb.load(ptr, slot);
        let mut args = vec![p[0], p[1]];
        args.extend_from_slice(&p[4..]);
        args.push(tape);
        args.push(wb.const_int(Type::int(c, 1), 1));
        // A team of one shares nothing: its adjoints need no atomic adds.
        let alone = wb.icmp(IntPredicate::LLVMIntEQ, nth, wb.const_int(i32t, 1));
        let one = w.append_block("alone");
        let many = w.append_block("team");
        wb.cond_br(alone, one, many);
        wb.at_end(one);
        wb.call_fn(serial_copy(rev, captured.len()), &args);
        wb.ret_void();
        wb.at_end(many);
        // The team copy's merge at its return publishes each thread's
        // buffers on the board, the second part of the tape array (the
        // frames in the first part stay: other threads may read them).
        let (board, ident) = crate::openmp_team::team_slots(module);
        wb.store(wb.gep(ptr, p[2], &[wb.int_cast(nth, i64t, true)]), board);
        wb.store(forked.ident, ident);
        wb.call_fn(team_copy(rev, captured.len()), &args);
        wb.ret_void();
    }
    let gtid = b.call_fn(global_thread_num_fn(module), &[forked.ident]);
    b.call_fn(push_num_threads_fn(module), &[forked.ident, gtid, team]);
    let mut args = vec![tapes, b.int_cast(team, i64t, true)];
    args.extend_from_slice(captured);
    args.extend_from_slice(shadows);
    fork(module, b, forked.ident, w, &args);
    b.call_fn(
        free_tapes_fn(module),
        &[tapes, b.int_cast(team, i64t, true)],
    );
}

/// `void ferment.omp.free_tapes(tapes, i64 team)`, after the join of a
/// region's reverse: frees the frames the team left (the third part of the
/// tape array, see [`fork_augmented`]) and the array.
fn free_tapes_fn(module: Module) -> Value {
    let name = "ferment.omp.free_tapes";
    if let Some(f) = module.function(name) {
        return f;
    }
    let c = module.context();
    let (ptr, i64t, void) = (Type::ptr(c), Type::int(c, 64), Type::void(c));
    let f = module.add_function(name, Type::function(void, &[ptr, i64t], false));
    f.set_internal();
    let p = f.params();
    let b = Builder::new(module);
    let (entry, each, done) = (
        f.append_block("entry"),
        f.append_block("thread"),
        f.append_block("done"),
    );
    let free = declare(module, "free", Type::function(void, &[ptr], false));
    let k = |v: i64| b.const_int(i64t, v);
    b.at_end(entry);
    b.cond_br(b.icmp(IntPredicate::LLVMIntSGT, p[1], k(0)), each, done);
    b.at_end(each);
    let t = b.phi(i64t, "t");
    let at = b.add_int(b.mul_int(p[1], k(2)), t);
    b.call_fn(free, &[b.load(ptr, b.gep(ptr, p[0], &[at]))]);
    let t2 = b.add_int(t, k(1));
    b.cond_br(b.icmp(IntPredicate::LLVMIntSLT, t2, p[1]), each, done);
    t.add_incoming(k(0), entry);
    t.add_incoming(t2, each);
    b.at_end(done);
    b.call_fn(free, &[p[0]]);
    b.ret_void();
    f
}

/// The copy of a region's reverse function for a team of one thread, as a
/// declaration: [`define_serial_copies`] gives it its body once `rev` is
/// simplified (a copy taken now would miss the derivative's simplification);
/// `captures`: how many captured values the region has.
fn serial_copy(rev: Value, captures: usize) -> Value {
    let module = rev.global_parent();
    let name = format!("{}.alone", rev.name());
    if let Some(f) = module.function(&name) {
        return f;
    }
    let f = module.add_function(&name, rev.global_value_type());
    f.set_internal();
    f.add_string_attribute(CAPTURES, &captures.to_string());
    f
}

/// The copy of a region's reverse function for a team of several threads,
/// as a declaration ([`define_team_copies`] defines it); `captures`: how
/// many captured values the region has.
fn team_copy(rev: Value, captures: usize) -> Value {
    let module = rev.global_parent();
    let name = format!("{}.team", rev.name());
    if let Some(f) = module.function(&name) {
        return f;
    }
    let f = module.add_function(&name, rev.global_value_type());
    f.set_internal();
    f.add_string_attribute(CAPTURES, &captures.to_string());
    f
}

/// Function attribute of a team copy's declaration: the region's number of
/// captured values.
const CAPTURES: &str = "ferment-omp-captures";

/// Defines the copies of region reverse functions that [`serial_copy`] and
/// [`team_copy`] declared, from the simplified reverse functions. Team of
/// one: adjoint accumulations (`atomicrmw fadd` with an unused result: in a
/// reverse function, only the adjoints of shared loads are such) become
/// plain read-modify-writes. Team of several: per-thread adjoint buffers
/// where they pay (`openmp_team`), else the reverse function itself.
/// Called after the derivatives of a run are simplified. The plain adds
/// of both copies are accumulations (`Builder::fadd_acc`: reassociable, as
/// the reverse sweep's own). Returns the copies it defined, whose plain
/// adds [`crate::prepare::rotate_plain_accumulations`] may now rotate.
pub fn define_team_copies(module: Module) -> Vec<Value> {
    let mut plain = Vec::new();
    for decl in module.functions() {
        let name = decl.name();
        if !decl.is_declaration() || !is_parallel_region(decl) {
            continue;
        }
        if let Some(base) = name.strip_suffix(".team") {
            let Some(rev) = module.function(base).filter(|r| !r.is_declaration()) else {
                continue;
            };
            let captures = decl
                .string_attribute(CAPTURES)
                .and_then(|s| s.parse().ok())
                .unwrap_or(usize::MAX);
            match crate::openmp_team::team_copy(rev, captures, &format!("{name}.body")) {
                Some(copy) => {
                    crate::shim::move_body(copy, decl);
                    plain.push(decl);
                }
                None => {
                    decl.replace_all_uses_with(rev);
                    decl.delete_function();
                }
            }
            continue;
        }
        let Some(base) = name.strip_suffix(".alone") else {
            continue;
        };
        let Some(rev) = module.function(base).filter(|r| !r.is_declaration()) else {
            continue;
        };
        let copy = crate::shim::clone_function(rev, &format!("{name}.body"));
        let b = Builder::new(module);
        let mut accumulations = Vec::new();
        for inst in copy.instructions() {
            if inst.atomic_float_add_sign() != Some(1.0) || inst.has_uses() {
                continue;
            }
            let (p, d) = (inst.operand(0), inst.operand(1));
            b.before(inst);
            let old = b.load(d.ty(), p);
            b.set_alignment(old, inst.alignment());
            let st = b.store(b.fadd_acc(old, d), p);
            b.set_alignment(st, inst.alignment());
            // Shadow memory, never a tape row (`Tape::fence_rows`).
            old.set_alias_scope("ferment.tape", false);
            st.set_alias_scope("ferment.tape", false);
            accumulations.extend([old, st]);
            inst.erase();
        }
        if let Some(captures) = decl.string_attribute(CAPTURES).and_then(|s| s.parse().ok()) {
            crate::openmp_team::scope_primal_reads(copy, captures, &accumulations);
        }
        crate::shim::move_body(copy, decl);
        plain.push(decl);
    }
    plain
}

/// Reverse sweep of the runtime calls that order threads: a barrier is
/// repeated; leaving a critical section (in reverse: entering it) waits for
/// the section's ticket to come up, entering it (in reverse: leaving)
/// passes the turn on. Returns whether `call` was one of them.
pub fn reverse_runtime_call(
    b: &Builder,
    call: Value,
    ticket: &mut dyn FnMut(Value) -> Value,
) -> bool {
    let Some(callee) = call.called_function() else {
        return false;
    };
    let module = b.module();
    match callee.name().as_str() {
        "__kmpc_barrier" => {
            let ident = call.call_args()[0];
            let gtid = b.call_fn(global_thread_num_fn(module), &[ident]);
            b.call_fn(barrier_fn(module), &[ident, gtid]);
            true
        }
        "ferment.omp.end_critical" => {
            // The matching entry's counter: the ticket is its result.
            let t = call.call_args()[3];
            let Some(counter) = ticket_counter_of(t) else {
                return false;
            };
            let t = ticket(t);
            b.call_fn(helpers(module).wait_ticket, &[counter, t]);
            true
        }
        "ferment.omp.end_ordered" => {
            let counter = call.call_args()[2];
            let t = ticket(call);
            b.call_fn(helpers(module).wait_ticket, &[counter, t]);
            true
        }
        "ferment.omp.ordered" => {
            hand_back_turn(b, call.call_args()[2], ticket(call));
            true
        }
        "ferment.omp.doacross_post" => {
            let counter = call.call_args()[3];
            let t = ticket(call);
            b.call_fn(helpers(module).wait_ticket, &[counter, t]);
            true
        }
        "ferment.omp.doacross_wait" => {
            hand_back_turn(b, call.call_args()[3], ticket(call));
            true
        }
        "ferment.omp.unset_lock" => {
            // Its result is the ticket its set took.
            let counter = call.call_args()[1];
            let t = ticket(call);
            b.call_fn(helpers(module).wait_ticket, &[counter, t]);
            true
        }
        "ferment.omp.set_lock" => {
            hand_back_turn(b, call.call_args()[1], ticket(call));
            true
        }
        "ferment.omp.test_lock" | "ferment.omp.set_nest_lock" | "ferment.omp.test_nest_lock" => {
            let counter = call.call_args()[1];
            let t = ticket(call);
            b.call_fn(helpers(module).pass_turn, &[counter, t]);
            true
        }
        "ferment.omp.unset_nest_lock" => {
            let counter = call.call_args()[1];
            let t = ticket(call);
            b.call_fn(helpers(module).wait_turn, &[counter, t]);
            true
        }
        "ferment.omp.flush" => {
            b.call_fn(helpers(module).flush, &call.call_args());
            true
        }
        "ferment.omp.critical" => {
            hand_back_turn(b, call.call_args()[3], ticket(call));
            true
        }
        _ => false,
    }
}

/// The reverse of taking a turn (entering a critical section or an ordered
/// block, setting a lock): the ticket the forward sweep took is stored into
/// its counter, atomically, for the threads waiting on that counter in the
/// reverse sweep.
fn hand_back_turn(b: &Builder, counter: Value, t: Value) {
    let st = b.store(t, counter);
    b.set_alignment(st, 8);
    b.make_atomic(st, false);
}

/// The ticket counter behind a ticket value (a `ferment.omp.critical` call,
/// possibly through phis of such calls on the same counter).
fn ticket_counter_of(t: Value) -> Option<Value> {
    let mut seen = Vec::new();
    let mut work = vec![t];
    let mut counter = None;
    while let Some(v) = work.pop() {
        if seen.contains(&v) {
            continue;
        }
        seen.push(v);
        if v.is_call()
            && v.called_function()
                .is_some_and(|f| f.name() == "ferment.omp.critical")
        {
            let c = v.call_args()[3];
            if counter.is_some_and(|k| k != c) {
                return None;
            }
            counter = Some(c);
        } else if v.opcode() == ferment_ir::Opcode::LLVMPHI {
            work.extend(v.incoming().into_iter().map(|(x, _)| x));
        } else if !v.is_undef() {
            return None;
        }
    }
    counter
}

/// The error for an active float captured by value by a region (`at`: the
/// region call or the region's use of the bits).
pub fn captured_by_value(at: Value) -> Error {
    Error::at(
        at,
        "cannot differentiate a floating-point variable captured by value by an OpenMP \
         region (firstprivate, or a scalar clang copies into the region)",
    )
    .hint("make the variable shared (it is then passed by address), or read it from an array")
}

/// libomp's `kmp_sch_static_chunked`: chunks of the given size dealt to the
/// threads in turn.
const SCHED_STATIC_CHUNKED: i64 = 33;

/// Whether `kind` (a `kmp_sched_t` without its modifier bits) hands chunks
/// out at run time: dynamic, guided, runtime, auto, trapezoidal, the guided
/// variants and static stealing.
fn assigns_at_run_time(kind: i64) -> bool {
    matches!(kind, 35..=39 | 42..=44)
}

/// Worksharing loops with a schedule decided at run time (`dynamic`,
/// `guided`, `runtime`) in the augmented forward sweep of a region that,
/// once simplified, does no floating-point work: the loop only records
/// which chunks each thread took. The reverse sweep replays those chunks on
/// the same threads, so the whole derivative's work follows that
/// assignment; but with nothing to do per chunk, the first thread to reach
/// the loop takes nearly every chunk (a pair loop whose energy the gradient
/// does not need: omp_particles ran its whole reverse on one thread). Such a
/// loop is dealt round-robin instead (`schedule(static, chunk)`, the same
/// chunk size; 1 where the chunk is not a constant), one of the
/// assignments the original schedule allows, so every thread gets its share
/// of the reverse sweep. A region whose forward sweep computes something
/// keeps its schedule: there its dynamic assignment balances real work,
/// which the reverse sweep's work follows. Returns the functions changed.
pub fn deal_idle_schedules(functions: &[Value]) -> Vec<Value> {
    let mut changed = Vec::new();
    for &f in functions {
        if f.is_declaration()
            || !f.name().starts_with("ferment.augmented.")
            || !is_parallel_region(f)
        {
            continue;
        }
        let insts = f.instructions();
        let inits: Vec<Value> = insts
            .iter()
            .copied()
            .filter(|i| {
                i.is_call()
                    && i.called_function()
                        .is_some_and(|g| g.name().starts_with("__kmpc_dispatch_init_"))
            })
            .collect();
        if inits.is_empty() || insts.iter().any(|i| does_work(*i)) {
            continue;
        }
        let module = f.global_parent();
        let b = Builder::new(module);
        for init in inits {
            let args = init.call_args();
            let (Some(sched), Some(chunk)) = (args.get(2), args.get(6)) else {
                continue;
            };
            let Some(kind) = sched.const_int() else {
                continue;
            };
            if !assigns_at_run_time(kind & 0x1fff_ffff) {
                continue;
            }
            init.set_operand(2, b.const_int(sched.ty(), SCHED_STATIC_CHUNKED));
            if chunk.const_int().is_none_or(|c| c < 1) {
                init.set_operand(6, b.const_int(chunk.ty(), 1));
            }
            if !changed.contains(&f) {
                changed.push(f);
            }
        }
    }
    changed
}

/// `kmp_sched_t` modifier bits: `monotonic` and `nonmonotonic`.
const SCHED_MONOTONIC: i64 = 1 << 29;
const SCHED_NONMONOTONIC: i64 = 1 << 30;

/// Worksharing loops with a run-time schedule in the functions ferment
/// generated (a derivative's forward sweep of a region, a region's tangent)
/// ask libomp for monotonic dispatch. clang marks `schedule(dynamic)` and
/// `guided` nonmonotonic (OpenMP 5's default), which libomp runs with a
/// work-stealing dispatcher that has an open race under load ("Assertion
/// failure at kmp_dispatch.cpp(1618)", llvm-project issues 54422 and
/// 132164). A monotonic assignment is one of those a nonmonotonic schedule
/// allows, and the reverse sweep replays whatever chunks each thread took,
/// so the derivative never meets that dispatcher. The primal's own loops
/// keep their schedule. Returns how many calls changed.
pub fn monotonic_dispatch(module: Module) -> usize {
    let b = Builder::new(module);
    let mut changed = 0;
    for f in module.functions() {
        if f.is_declaration() || !f.name().starts_with("ferment.") {
            continue;
        }
        for init in f.instructions() {
            if !init.is_call()
                || !init
                    .called_function()
                    .is_some_and(|g| g.name().starts_with("__kmpc_dispatch_init_"))
            {
                continue;
            }
            let Some(sched) = init.call_args().get(2).copied() else {
                continue;
            };
            let Some(kind) = sched.const_int() else {
                continue;
            };
            if kind & SCHED_NONMONOTONIC == 0 || !assigns_at_run_time(kind & 0x1fff_ffff) {
                continue;
            }
            let monotonic = (kind & !SCHED_NONMONOTONIC) | SCHED_MONOTONIC;
            init.set_operand(2, b.const_int(sched.ty(), monotonic));
            changed += 1;
        }
    }
    changed
}

/// Whether the instruction `i` of an augmented region is work whose cost a
/// dynamic schedule should balance: floating-point values, or a call of
/// anything but the OpenMP runtime, the plugin's own helpers and
/// intrinsics without floating-point operands.
fn does_work(i: Value) -> bool {
    let float = |v: Value| v.ty().scalar().is_float();
    if float(i) || i.operands().into_iter().any(float) {
        return true;
    }
    if !i.is_call() && !i.is_invoke() {
        return false;
    }
    let Some(callee) = i.called_function() else {
        return true;
    };
    let name = callee.name();
    !(name.starts_with("__kmpc_")
        || name.starts_with("omp_")
        || name.starts_with("ferment.")
        || name.starts_with("llvm.")
        || name == "malloc"
        || name == "free")
}

/// `kmp_tasking_flags_t` bits of `__kmpc_omp_task_alloc` a task run at its
/// creation cannot honour: a destructors thunk (C++ firstprivates the
/// runtime destroys after the task), a proxy task, a detachable task.
const TASK_FLAGS_REFUSED: i64 = 0x08 | 0x10 | 0x40;

/// OpenMP tasks in a function about to be differentiated run where they are
/// created, as the runtime runs an undeferred task (`if(0)`): that is one
/// of the executions OpenMP allows (a task may run at once on the thread
/// that creates it; in creation order every `depend` clause is met), and it
/// leaves plain code for the generators. The task's block
/// (`__kmpc_omp_task_alloc`: the runtime's `kmp_task_t`, its privates and
/// its shared variables' addresses) becomes a `calloc` of the same layout
/// (the `shareds` pointer at its start points past the task part), the
/// spawning call (`__kmpc_omp_task`, `__kmpc_omp_task_with_deps`, or
/// `__kmpc_taskloop` for a whole taskloop as one task) a direct call of the
/// task's entry followed by `free`, and `taskwait`, `taskgroup` and
/// `taskyield` nothing (every task has finished by then). Called before
/// the function's callees are inlined (the entry is one of them). The
/// derivative thus runs each task on the thread that created it: right,
/// but without the tasks' parallelism.
pub fn run_tasks_at_creation(f: Value) -> Result<()> {
    let module = f.global_parent();
    let c = module.context();
    let (ptr, i64t) = (Type::ptr(c), Type::int(c, 64));
    let b = Builder::new(module);
    let named = |i: Value| {
        (i.is_call() || i.is_invoke())
            .then(|| i.called_function().map(|g| g.name()))
            .flatten()
    };
    let calls: Vec<(Value, String)> = f
        .instructions()
        .into_iter()
        .filter_map(|i| named(i).map(|n| (i, n)))
        .filter(|(_, n)| {
            n.starts_with("__kmpc_omp_task")
                || n.starts_with("__kmpc_taskloop")
                || n.contains("taskgroup")
        })
        .collect();
    if calls.is_empty() {
        return Ok(());
    }
    // The blocks made here, with their tasks' entries.
    let mut blocks: Vec<(Value, Value)> = Vec::new();
    for (call, name) in &calls {
        if call.is_invoke() || name != "__kmpc_omp_task_alloc" {
            continue;
        }
        let args = call.call_args();
        let (flags, size, shareds) = (
            args[2].const_int(),
            args[3].const_int(),
            args[4].const_int(),
        );
        let entry = args[5].strip_casts();
        let (Some(flags), Some(size), Some(shareds)) = (flags, size, shareds) else {
            return Err(unsupported(*call, name));
        };
        if flags & TASK_FLAGS_REFUSED != 0 {
            return Err(Error::at(
                *call,
                "cannot differentiate an OpenMP task that is detachable (detach), a proxy task, or \
                 whose firstprivate C++ objects the runtime destroys after it",
            )
            .hint(
                "ferment runs each task where it is created; write the task without detach, or \
                 with firstprivate copies of plain types",
            ));
        }
        if !entry.is_function() || entry.is_declaration() {
            return Err(unsupported(*call, name));
        }
        let task_bytes = (size + 7) & !7;
        b.before(*call);
        b.set_debug_loc_from(*call);
        let calloc = declare(module, "calloc", Type::function(ptr, &[i64t, i64t], false));
        let block = b.call_fn(
            calloc,
            &[
                b.const_int(i64t, 1),
                b.const_int(i64t, task_bytes + shareds.max(0)),
            ],
        );
        if shareds > 0 {
            let st = b.store(b.gep_i8(block, task_bytes as u64), block);
            b.set_alignment(st, 8);
        }
        // kmp_task_t { shareds, routine, part_id, ... }
        let st = b.store(entry, b.gep_i8(block, 8));
        b.set_alignment(st, 8);
        call.replace_all_uses_with(block);
        call.erase();
        blocks.push((block, entry));
    }
    for (call, name) in calls {
        if name == "__kmpc_omp_task_alloc" {
            continue;
        }
        if call.is_invoke() {
            return Err(unsupported(call, &name));
        }
        let args = call.call_args();
        match name.as_str() {
            "__kmpc_omp_task"
            | "__kmpc_omp_task_with_deps"
            | "__kmpc_taskloop"
            | "__kmpc_taskloop_5" => {
                let task = args[2].strip_casts();
                let Some(&(block, entry)) = blocks.iter().find(|(bl, _)| *bl == task) else {
                    return Err(unsupported(call, &name));
                };
                b.before(call);
                b.set_debug_loc_from(call);
                let gtid = args[1];
                b.call_fn(entry, &[gtid, block]);
                let free = declare(module, "free", Type::function(Type::void(c), &[ptr], false));
                b.call_fn(free, &[block]);
            }
            "__kmpc_omp_taskwait"
            | "__kmpc_omp_taskwait_deps_51"
            | "__kmpc_omp_taskyield"
            | "__kmpc_taskgroup"
            | "__kmpc_end_taskgroup" => {}
            _ => return Err(unsupported(call, &name)),
        }
        if call.has_uses() {
            call.replace_all_uses_with(b.const_int(call.ty(), 0));
        }
        call.erase();
    }
    Ok(())
}

/// Bytes of the broadcast buffer for one copyprivate variable (larger
/// variables are copied with `memcpy`, refused inside regions).
const COPYPRIVATE_SLOT: u64 = 256;

/// `single copyprivate(v...)`: clang ends the single block with
/// `__kmpc_copyprivate(ident, gtid, size, list, copy, didit)` on every
/// thread, where `list` holds the addresses of the thread's `size / 8`
/// private variables and `copy(dst_list, src_list)` copies them; the thread
/// that ran the block (`didit`) is the source. That call becomes a call of a
/// helper (inlined with the callees that follow): the source thread copies
/// its values into a module buffer (one slot per variable), a barrier, every
/// other thread copies them out, a barrier. Plain loads and stores of
/// floats between barriers, which the generators differentiate: each copy's
/// adjoint flows back through the buffer into the source thread's variable
/// before the first barrier's reverse lets that thread go on. Called before
/// inlining.
pub fn lower_copyprivate(f: Value) -> Result<()> {
    let module = f.global_parent();
    let c = module.context();
    let (ptr, i32t, void) = (Type::ptr(c), Type::int(c, 32), Type::void(c));
    let calls: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| {
            i.is_call()
                && i.called_function()
                    .is_some_and(|g| g.name() == "__kmpc_copyprivate")
        })
        .collect();
    for call in calls {
        let args = call.call_args();
        let copy = args[4].strip_casts();
        let Some(count) = args[2]
            .const_int()
            .filter(|n| *n > 0 && n % 8 == 0)
            .map(|n| n / 8)
        else {
            return Err(unsupported(call, "__kmpc_copyprivate"));
        };
        if !copy.is_function() || copy.is_declaration() {
            return Err(unsupported(call, "__kmpc_copyprivate"));
        }
        let name = format!("ferment.copyprivate.{}", copy.name());
        let helper = match module.function(&name) {
            Some(h) => h,
            None => {
                let h = module
                    .add_function(&name, Type::function(void, &[ptr, i32t, ptr, i32t], false));
                h.set_internal();
                let bytes = COPYPRIVATE_SLOT * count as u64;
                let buffer = module.add_zeroed_global(
                    &format!("ferment.omp.copyprivate.buffer.{}", copy.name()),
                    Type::array(Type::int(c, 64), bytes / 8),
                );
                let p = h.params();
                let b = Builder::new(module);
                let entry = h.append_block("entry");
                let give = h.append_block("give");
                let first = h.append_block("first");
                let take = h.append_block("take");
                let second = h.append_block("second");
                b.at_end(entry);
                // The buffer's slots, as a list like the thread's own.
                let slots = b.alloca(Type::array(ptr, count as u64), "copyprivate.slots");
                for k in 0..count as u64 {
                    let st = b.store(
                        b.gep_i8(buffer, k * COPYPRIVATE_SLOT),
                        b.gep_i8(slots, k * 8),
                    );
                    b.set_alignment(st, 8);
                }
                let source = b.icmp(IntPredicate::LLVMIntNE, p[3], b.const_int(i32t, 0));
                b.cond_br(source, give, first);
                b.at_end(give);
                b.call_fn(copy, &[slots, p[2]]);
                b.br(first);
                b.at_end(first);
                b.call_fn(barrier_fn(module), &[p[0], p[1]]);
                b.cond_br(source, second, take);
                b.at_end(take);
                b.call_fn(copy, &[p[2], slots]);
                b.br(second);
                b.at_end(second);
                b.call_fn(barrier_fn(module), &[p[0], p[1]]);
                b.ret_void();
                h
            }
        };
        let b = Builder::new(module);
        b.before(call);
        b.set_debug_loc_from(call);
        b.call_fn(helper, &[args[0], args[1], args[3], args[5]]);
        call.erase();
    }
    Ok(())
}
