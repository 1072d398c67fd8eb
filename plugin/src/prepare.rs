//! The private, canonical copy of a function that the generators read.
//!
//! Role: never mutate user code. Clone the function, inline its defined
//! callees (unless disabled), and canonicalize the clone with a small LLVM
//! pipeline: at -O0 the user's code is unoptimized (allocas, no SSA), at
//! -O1+ it is already simplified and this is cheap.

use crate::error::{Error, Result};
use crate::shim::{self, Options};
use ferment_ir::{Block, Builder, Opcode, Value};

/// Upper bound on the size of a function after inlining callees into it.
const INLINE_BUDGET_INSTRUCTIONS: u32 = 20_000;

/// After `shim::jam_serial_sums` in [`canonical_copy`].
const AFTER_JAM: &str = "early-cse<memssa>,loop-simplify,lcssa";

/// Pipeline that turns the clone into canonical SSA form.
const CANONICALIZE: &str = "sroa,mem2reg,instsimplify,early-cse,simplifycfg,instcombine<no-verify-fixpoint>,sccp,simplifycfg,loop-simplify,lcssa";

/// In a derivative that is differentiated again (forward-over-reverse,
/// nested reverse), calls of ferment's tape-cache helpers become the
/// `realloc` and `free` they stand for: `take(old, n)` is `realloc(old, n)`
/// (a block of at least `n` bytes keeping old's contents; which block the
/// cache hands out is no part of its meaning) and `release(p)` is `free(p)`.
/// Differentiated as themselves (inlined), the cache's slots would get
/// shadow slots of their own, which could not stay paired with the primal
/// slots: a forward derivative clears shadow globals before each call (the
/// next call then took a kept tape block whose shadow was null), and a
/// plain derivative in the same thread takes and keeps blocks without
/// shadows. As `realloc`/`free`, the shadow of a tape block is a block of
/// its own, grown and freed beside it.
fn tape_helpers_as_libc(clone: Value) {
    let module = clone.global_parent();
    let ctx = module.context();
    let (ptr, i64t) = (ferment_ir::Type::ptr(ctx), ferment_ir::Type::int(ctx, 64));
    let b = Builder::new(module);
    for call in clone.instructions().into_iter().filter(|i| i.is_call()) {
        let Some(name) = call.called_function().map(|g| g.name()) else {
            continue;
        };
        let args = call.call_args();
        b.before(call);
        let new = match name.as_str() {
            "ferment.tape.take" | "ferment.tape.take.arena" => {
                let realloc = crate::reverse::tape::declare(module, "realloc", ptr, &[ptr, i64t]);
                b.call_fn(realloc, &args)
            }
            "ferment.tape.release" | "ferment.tape.release.arena" => {
                let free = crate::reverse::tape::declare(
                    module,
                    "free",
                    ferment_ir::Type::void(ctx),
                    &[ptr],
                );
                b.call_fn(free, &args)
            }
            _ => continue,
        };
        if !call.ty().is_void() {
            call.replace_all_uses_with(new);
        }
        call.erase();
    }
}

/// The tape-cache helpers of a derivative inlined into `clone`, which stay
/// calls (see [`tape_helpers_as_libc`]).
fn tape_helpers(module: ferment_ir::Module) -> Vec<Value> {
    [
        "ferment.tape.take",
        "ferment.tape.release",
        "ferment.tape.take.arena",
        "ferment.tape.release.arena",
    ]
    .into_iter()
    .filter_map(|n| module.function(n))
    .collect()
}

/// Inlines the calls in `f` of the helpers that stand for flang's runtime
/// routines (`ferment.fortran.*`, callees of callees included), which
/// `-ferment-no-inline` leaves out of the user's callees it keeps as calls:
/// a helper dispatches on the descriptor's rank and type code, which fold
/// only where it is inlined. As a function of its own, the copy for each
/// rank reads past a lower-rank descriptor (into the derived type's next
/// component, a `real(8)`), which the type analysis took for the
/// descriptor's integer fields and refused.
fn inline_fortran_helpers(f: Value) {
    loop {
        let calls: Vec<Value> = f
            .instructions()
            .into_iter()
            .filter(|i| {
                i.is_call()
                    && !i.is_invoke()
                    && i.called_function()
                        .is_some_and(|g| g.name().starts_with("ferment.fortran."))
            })
            .collect();
        let mut inlined = false;
        for call in calls {
            inlined |= shim::inline_call(call);
        }
        if !inlined {
            break;
        }
    }
}

/// Clones `function` as `name` and canonicalizes it.
/// Functions in `keep` stay calls (custom derivatives, inactive functions).
/// `forward`: the copy is for forward mode (or a question about it), which
/// keeps the stack scopes of loops (see [`keep_stack_scopes_alive`]).
pub fn canonical_copy(
    function: Value,
    name: &str,
    options: &Options,
    keep: &[Value],
    forward: bool,
) -> Result<Value> {
    let clone = shim::clone_function(function, name);
    crate::qsort::lower(clone)?;
    // OpenMP regions stay calls where they are called directly (the serial
    // branch of an `if()` clause), so `openmp::canonicalize` finds them.
    let mut keep = keep.to_vec();
    keep.extend(crate::openmp::forked_regions(function.global_parent()));
    keep.extend(tape_helpers(function.global_parent()));
    keep.extend(inactive_variadic_functions(function.global_parent()));
    // The class view marker stays a call until `lower_class_views` (a
    // dispatcher that stays a function holds such calls).
    keep.extend(crate::dispatch::existing_class_view_marker(
        function.global_parent(),
    ));
    let keep = &keep[..];
    // Calls of variadic helpers that read their `...` go to copies with
    // fixed parameters (those inlined below get the same treatment).
    shim::fix_variadic_calls(clone, keep);
    // OpenMP tasks run where they are created; their entries are inlined
    // like callees.
    crate::openmp::run_tasks_at_creation(clone)?;
    crate::openmp::lower_copyprivate(clone)?;
    if options.inline_callees != 0 {
        hoist_reading_calls(clone, keep)?;
        shim::inline_calls(clone, INLINE_BUDGET_INSTRUCTIONS, keep);
        // The sorts of inlined callees (at -O0 clang inlines none).
        if crate::qsort::lower(clone)? {
            shim::inline_calls(clone, INLINE_BUDGET_INSTRUCTIONS, keep);
        }
    }
    // Calls through function pointers become direct calls of their possible
    // targets. The first time, the targets' bodies are inlined (which may
    // bring more such calls); calls found in them dispatch to targets that
    // stay calls (differentiated on their own, recursion included). A
    // dispatcher with many targets stays a call, and so do its targets.
    // The second round's inlining may bring in yet more (a recursive
    // callee's body inlined one level deeper, which calls through a pointer
    // read from a node): a last round dispatches those to targets that stay
    // calls, with no inlining after it.
    let mut kept = keep.to_vec();
    for round in 0..3 {
        let dispatched = crate::dispatch::dispatch_indirect_calls(clone);
        if dispatched.targets.is_empty() || options.inline_callees == 0 {
            break;
        }
        kept.extend(dispatched.kept);
        if round > 0 {
            kept.extend(dispatched.targets);
        }
        if round == 2 {
            break;
        }
        shim::inline_calls(clone, INLINE_BUDGET_INSTRUCTIONS, &kept);
        if crate::qsort::lower(clone)? {
            shim::inline_calls(clone, INLINE_BUDGET_INSTRUCTIONS, &kept);
        }
    }
    // flang's runtime assignment, SUM, DOT_PRODUCT, MATMUL, TRANSPOSE and
    // ALLOCATE/DEALLOCATE of allocatables become IR (their helpers
    // are inlined like callees).
    let assigns = crate::fortran::lower_assignments(clone)?;
    let reductions = crate::fortran::lower_reductions(clone)?;
    let polymorphic = crate::fortran_derived::lower_polymorphic_allocations(clone)?;
    let allocations = crate::fortran::lower_allocations(clone)? || polymorphic;
    let matrix_ops = crate::fortran_matrix::lower_matrix_ops(clone)?;
    let pack_ops = crate::fortran_pack::lower_pack_ops(clone)?;
    let destroys = crate::fortran::lower_destroys(clone)?;
    let initializes = crate::fortran::lower_initializes(clone)?;
    if assigns || reductions || allocations || matrix_ops || pack_ops || destroys || initializes {
        if options.inline_callees != 0 {
            shim::inline_calls(clone, INLINE_BUDGET_INSTRUCTIONS, &kept);
        } else {
            inline_fortran_helpers(clone);
        }
    }
    tape_helpers_as_libc(clone);
    dynamic_casts_as_offsets(clone);
    split_invoke_edges(clone);
    address_thread_locals_directly(clone);
    return_aggregates_through_memory(clone, &kept);
    keep_stack_scopes_alive(clone, forward);
    crate::complex::lower_complex_calls(clone);
    crate::inline_asm::lower_idioms(clone);
    crate::inline_asm::lower_horizontal_ops(clone);
    crate::retype::retype_reinterpreted_memory(clone);
    crate::retype::split_record_copies(clone);
    atomic_float_updates(clone);
    local_float_exchanges(clone);
    crate::openmp::canonicalize(clone)?;
    extrema_as_selects(clone);
    bump_iteration_counts(clone);
    let pipeline = crate::timing::scope("canonicalization pipeline (LLVM)");
    if options.preopt != 0 {
        shim::run_function_pipeline(clone, CANONICALIZE)
            .map_err(|e| Error::new(format!("internal error: canonicalization pipeline: {e}")))?;
    } else {
        shim::run_function_pipeline(clone, "mem2reg,loop-simplify,lcssa")
            .map_err(|e| Error::new(format!("internal error: canonicalization pipeline: {e}")))?;
    }
    drop(pipeline);
    if options.preopt != 0 {
        // A re-read of a stored element behind branches that rule out
        // every write on the way (Gauss-Jordan's pivot row for each row
        // `i != k`) takes the stored value: one value on the tape, not one
        // per re-read.
        shim::forward_guarded_stores(clone);
        // Two independent iterations of a loop around a serial sum at a
        // time, their inner loops fused: the derivative's forward sweep
        // overlaps the two chains (a factorization's rows), and its reverse
        // sweep reads both rows' shadows in one pass.
        // The pair's loads of the shared row (`l[j][k]`) become one
        // (its adjoint then one update of the shadow per iteration).
        if shim::jam_serial_sums(clone) > 0 {
            shim::run_function_pipeline(clone, AFTER_JAM).map_err(|e| {
                Error::new(format!("internal error: cleanup after unroll-and-jam: {e}"))
            })?;
        }
    }
    // Struct copies split by SROA may still read padding or empty members
    // of a slot nothing writes there: undefined bytes, not floats.
    crate::undefined_reads::undefine_unwritten_reads(clone);
    // Copies out of such bytes, or of bytes only cleared (a `std::function`
    // holding a captureless lambda), store zeros instead.
    // (again while copies change: a copy into another slot's bytes the
    // later copy out of that slot reads, whichever slot comes first)
    for _ in 0..4 {
        if crate::undefined_reads::zero_unwritten_copies(clone) == 0 {
            break;
        }
    }
    // A running maximum over loaded values keeps the address it came from
    // (its derivative adds into one element instead of one choice a step).
    crate::running_extrema::track_positions(clone);
    // A running minimum over computed values (k-means) recomputes the
    // winning iteration after the loop (its derivative runs one body).
    crate::winning_iteration::recompute_winners(clone)?;
    // Addresses rounded as integers become offsets from their pointer (in
    // SSA form, where the integer arithmetic shows).
    crate::int_pointers::rebase_integer_pointers(clone);
    // Pointers moved through memory as integers (a moved `unique_ptr`)
    // load and store as pointers.
    crate::int_pointers::load_pointers_as_pointers(clone);
    // Again: at -O0 the integer reinterpretations of float packets (SSE
    // code through `__m128i`) only show once registers are promoted.
    crate::retype::retype_reinterpreted_memory(clone);
    crate::inline_asm::mark_magic_rounding(clone);
    define_undefined_floats(clone);
    split_invoke_edges(clone);
    // Each branch of a virtual call's dispatcher sees the object as its
    // candidate class (for type analysis; to the generators a view is the
    // object pointer itself).
    crate::dispatch::lower_class_views(clone);
    if std::env::var_os("FERMENT_PRINT_CANONICAL").is_some() {
        eprintln!("{}", clone.describe());
    }
    Ok(clone)
}

/// Defined variadic functions that read their `...` and are known to carry
/// no derivative (`std::to_string`'s `__gnu_cxx::__to_xstring`): they stay
/// calls of themselves, not of a copy with fixed parameters.
fn inactive_variadic_functions(module: ferment_ir::Module) -> Vec<Value> {
    module
        .functions()
        .into_iter()
        .filter(|&f| {
            shim::reads_var_args(f)
                && (ferment_activity_analysis::is_known_inactive_callee(f)
                    || ferment_activity_analysis::inactive_function_writes_or_aliases(&f.name()))
        })
        .collect()
}

/// The value an undefined floating-point lane takes in the canonical copy:
/// finite, with finite partials for every elementary function (0 would give
/// `log`, `sqrt` and division infinite ones, 1 `asin`, `acos` and `atanh`).
const UNDEFINED_FLOAT: f64 = 0.5;

/// Floating-point `undef`/`poison` in the clone, whole or as lanes of a
/// vector constant or of a shuffle's mask, become [`UNDEFINED_FLOAT`] (a
/// refinement: an undefined value may be given any value). The optimizer
/// leaves lanes whose result nothing reads undefined (Eigen's fixed-size
/// products: `fmul <2 x double> %v, <double 0.0, double poison>` of which
/// one lane is used), and a derivative multiplies such a lane by a zero
/// adjoint: `0 * poison` is poison, which the host's later optimization of
/// the derivative may turn into any value added into shadow memory (a
/// silently wrong gradient at -O2).
fn define_undefined_floats(f: Value) {
    let module = f.global_parent();
    let b = Builder::new(module);
    let defined = |c: Value| -> Option<Value> {
        let ty = c.ty();
        if !ty.scalar().is_float() || !c.is_constant() || c.is_constant_expr() {
            return None;
        }
        if c.is_undef() {
            return Some(b.const_real(ty, UNDEFINED_FLOAT));
        }
        if !ty.is_vector() {
            return None;
        }
        let lanes: Vec<Value> = (0..ty.vector_len())
            .map(|i| c.aggregate_element(i))
            .collect::<Option<_>>()?;
        lanes.iter().any(|l| l.is_undef()).then(|| {
            let fill = b.const_real(ty.scalar(), UNDEFINED_FLOAT);
            let lanes: Vec<Value> = lanes
                .iter()
                .map(|&l| if l.is_undef() { fill } else { l })
                .collect();
            b.const_vector(&lanes)
        })
    };
    for inst in f.instructions() {
        for i in 0..inst.num_operands() {
            if let Some(c) = defined(inst.operand(i)) {
                inst.set_operand(i, c);
            }
        }
        if inst.opcode() == Opcode::LLVMShuffleVector && inst.ty().scalar().is_float() {
            let mask = inst.shuffle_mask();
            if mask.iter().any(|&l| l < 0) {
                b.before(inst);
                let lanes: Vec<i32> = mask.iter().map(|&l| l.max(0)).collect();
                let defined = b.shuffle(inst.operand(0), inst.operand(1), b.const_mask(&lanes));
                inst.replace_all_uses_with(defined);
                inst.erase();
            }
        }
    }
}

/// `llvm.threadlocal.address(@g)` (clang's way of taking the address of a
/// `_Thread_local`/`thread_local` variable, at -O0 on every access) becomes
/// `@g` itself, which in IR also denotes the calling thread's instance: the
/// analyses then see the global (its shadow is thread-local too, see
/// [`crate::shadow`]) instead of an unknown call.
fn address_thread_locals_directly(f: Value) {
    let calls: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| {
            i.is_call()
                && !i.is_invoke()
                && i.called_function()
                    .is_some_and(|c| c.name().starts_with("llvm.threadlocal.address"))
        })
        .collect();
    for call in calls {
        call.replace_all_uses_with(call.operand(0));
        call.erase();
    }
}

/// Calls left in the copy that return an aggregate holding pointers or
/// floats (a C++ expression object, a `{pointer, length}` span, a pair of
/// iterators, a `struct { double x, y; }` returned in registers) become
/// calls of a copy of the callee that writes the aggregate into a slot of
/// the caller. The analyses and the generators follow pointers and floats
/// through memory (a pointer stored into shadowed memory has its shadow
/// stored beside it), not through struct values: without this, a shadow or
/// a derivative returned inside a struct would be lost and the derivative
/// silently zero.
fn return_aggregates_through_memory(f: Value, keep: &[Value]) {
    let module = f.global_parent();
    let calls: Vec<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| {
            let ty = i.ty();
            i.is_call()
                && (ty.is_struct() || ty.is_array())
                && (ty.contains_pointer() || ty.contains_float())
                && i.called_function().is_some_and(|g| {
                    let name = g.name();
                    !g.is_declaration()
                        && !keep.contains(&g)
                        && !name.starts_with("llvm.")
                        && !name.contains("__enzyme_")
                        && !g.global_value_type().fn_is_vararg()
                })
        })
        .collect();
    if calls.is_empty() {
        return;
    }
    let b = Builder::new(module);
    for call in calls {
        let Some(callee) = call.called_function() else {
            continue;
        };
        let target = out_return_copy(callee);
        let ty = call.ty();
        b.after_phis(f.entry_block());
        let slot = b.alloca(ty, "ret.slot");
        let mut args = call.call_args();
        args.push(slot);
        b.before(call);
        b.set_debug_loc_from(call);
        let new = b.call_like(call, target, &args);
        if call.is_invoke() {
            b.after_phis(call.successors()[0]);
        } else {
            b.after(new);
        }
        let value = load_leaves(&b, ty, slot, &mut Vec::new(), b.undef(ty));
        call.replace_all_uses_with(value);
        call.erase();
    }
}

/// `llvm.stackrestore` is dropped: it ends the life of the dynamic `alloca`s
/// made since the matching `llvm.stacksave` (a scratch buffer on the stack,
/// an inlined callee's variable-length array), whose shadows and contents
/// the reverse sweep still reads; once released, the calls the sweep makes
/// (and the next iteration's arrays) reuse that stack. Outside loops the
/// region runs once per call, so the stack grows by one region at most.
/// Inside loops the restore stays in forward mode (`keep_in_loops`: nothing
/// reads an earlier iteration's array later); in the reverse modes it goes
/// too, so the stack grows by one array per iteration (as `__builtin_alloca`
/// in a loop does in the primal): a variable-length array declared in a
/// loop body gave wrong gradients (the sweep read an iteration's array
/// after later ones, and its own calls, had overwritten it).
fn keep_stack_scopes_alive(f: Value, keep_in_loops: bool) {
    for i in f.instructions() {
        let restore = i.is_call()
            && i.called_function()
                .is_some_and(|g| g.name().starts_with("llvm.stackrestore"));
        if restore && !(keep_in_loops && in_cycle(i.parent())) {
            i.erase();
        }
    }
}

/// `memory(argmem: read)`: reads through pointer arguments only.
const ARGMEM_READ: u64 = 0b01;
/// `memory(read)`: reads any memory (Ref in each of LLVM's six locations).
const ANY_READ: u64 = 0b0101_0101_0101;
/// The Mod bit of each location.
const ANY_MOD: u64 = 0b1010_1010_1010;
/// How deep `read_only_callee` follows calls of defined functions.
const READ_ONLY_DEPTH: u32 = 3;

/// Calls inside loops of the copy whose callee only reads memory once
/// `errno` is ignored (the callee calls `sqrt`, `exp`, ... under the default
/// `-fmath-errno`) say so (`memory(argmem: read)` or `memory(read)`, and
/// `nounwind`), and LICM moves the loop-invariant ones out of their loop
/// before the callees are inlined. `errno` is no observable of a
/// derivative (the same reason its libm calls are pure), and the primal's
/// own optimizer could not hoist such a call because it may write `errno`:
/// `out[i] = in[i] / mag(in)` stays O(n^2) in the primal, and its derivative
/// is O(n) once `mag(in)` runs once.
fn hoist_reading_calls(f: Value, keep: &[Value]) -> Result<()> {
    let mut marked = 0;
    for call in f.instructions() {
        if !call.is_call() || call.is_invoke() || !in_cycle(call.parent()) {
            continue;
        }
        let Some(callee) = call.called_function() else {
            continue;
        };
        if callee.is_declaration() || keep.contains(&callee) {
            continue;
        }
        if call.call_memory_effects().is_some_and(|e| e & ANY_MOD == 0) {
            continue; // the primal's optimizer knew already
        }
        let mut seen = Vec::new();
        let Some(args_only) = read_only_callee(callee, READ_ONLY_DEPTH, &mut seen) else {
            continue;
        };
        call.add_call_enum_attribute("memory", if args_only { ARGMEM_READ } else { ANY_READ });
        call.add_call_enum_attribute("nounwind", 0);
        marked += 1;
    }
    if marked > 0 {
        shim::run_function_pipeline(f, "loop-simplify,lcssa,loop-mssa(licm)")
            .map_err(|e| Error::new(format!("internal error: hoisting calls: {e}")))?;
    }
    Ok(())
}

/// Whether the defined function `f` writes no memory, throws nothing and
/// only reads, ignoring the `errno` of its libm calls: `Some(true)` when it
/// reads only through its pointer arguments, `Some(false)` when it may read
/// other memory, `None` when it may write (stores, allocas, calls that are
/// not known to be pure) or is recursive.
fn read_only_callee(f: Value, depth: u32, seen: &mut Vec<Value>) -> Option<bool> {
    use llvm_sys::LLVMOpcode as Op;
    if seen.contains(&f) {
        return None;
    }
    seen.push(f);
    let based_on_arguments = |p: Value| {
        ferment_activity_analysis::underlying_objects(p)
            .iter()
            .all(|o| o.is_argument())
    };
    let mut args_only = true;
    for i in f.instructions() {
        match i.opcode() {
            Op::LLVMLoad => {
                if i.is_volatile_or_atomic() {
                    return None;
                }
                args_only &= based_on_arguments(i.operand(0));
            }
            Op::LLVMCall => {
                if crate::derive::is_pure_math_call(i) {
                    continue;
                }
                let callee = i.called_function()?;
                let name = callee.name();
                if name.starts_with("llvm.") {
                    let harmless = i.call_accesses_no_memory()
                        || name.starts_with("llvm.dbg.")
                        || name == "llvm.assume"
                        || name == "llvm.experimental.noalias.scope.decl";
                    if !harmless {
                        return None;
                    }
                    continue;
                }
                if callee.is_declaration() || depth == 0 {
                    return None;
                }
                let inner = read_only_callee(callee, depth - 1, seen)?;
                let pointers = i.call_args().into_iter().filter(|a| a.ty().is_pointer());
                args_only &= inner && pointers.into_iter().all(based_on_arguments);
            }
            Op::LLVMStore
            | Op::LLVMAlloca
            | Op::LLVMAtomicRMW
            | Op::LLVMAtomicCmpXchg
            | Op::LLVMFence
            | Op::LLVMVAArg
            | Op::LLVMInvoke
            | Op::LLVMCallBr
            | Op::LLVMResume
            | Op::LLVMLandingPad
            | Op::LLVMCatchSwitch
            | Op::LLVMCatchRet
            | Op::LLVMCleanupRet
            | Op::LLVMUnreachable => return None,
            _ => {}
        }
    }
    seen.pop();
    Some(args_only)
}

/// Whether `blk` can reach itself.
fn in_cycle(blk: Block) -> bool {
    let mut seen = hashbrown::HashSet::new();
    let mut work = blk.successors();
    while let Some(b) = work.pop() {
        if b == blk {
            return true;
        }
        if seen.insert(b) {
            work.extend(b.successors());
        }
    }
    false
}

/// `<callee>.ferment.outret`: `callee` with one more parameter, a pointer
/// its result is stored through, returning nothing (made once per module).
fn out_return_copy(callee: Value) -> Value {
    let module = callee.global_parent();
    let name = format!("{}.ferment.outret", callee.name());
    if let Some(existing) = module.function(&name) {
        return existing;
    }
    let fn_ty = callee.global_value_type();
    let ptr = ferment_ir::Type::ptr(module.context());
    let mut params = fn_ty.fn_params();
    params.push(ptr);
    let void = ferment_ir::Type::void(module.context());
    let target = module.add_function(&name, ferment_ir::Type::function(void, &params, false));
    let body = shim::clone_function(callee, &format!("{name}.body"));
    shim::move_body(body, target);
    // (an augmented function's frame storage stays marked)
    for i in 0..params.len() as u32 - 1 {
        let key = crate::derive::FRAME_STORAGE;
        if callee.param_string_attribute(i, key).is_some() {
            target.add_param_string_attribute(i, key, "");
        }
    }
    let out = target.params()[params.len() - 1];
    let b = Builder::new(module);
    for ret in target.instructions() {
        if ret.opcode() != ferment_ir::Opcode::LLVMRet || ret.num_operands() != 1 {
            continue;
        }
        b.before(ret);
        b.set_debug_loc_from(ret);
        let v = ret.operand(0);
        store_leaves(&b, v.ty(), v, out, &mut Vec::new());
        b.ret_void();
        ret.erase();
    }
    // The copy's own calls returning such aggregates go through slots too
    // (their copies made the same way, once each, so recursion ends at the
    // copy being made): a summary of the copy, which reads this body, then
    // sees a pointer the inner call hands out reach `out` through memory,
    // and asks the caller for a shadow of the slot (`_Hashtable::emplace`
    // returning `_M_emplace`'s pair at -O0 with `-ferment-no-inline`: the
    // pointer travelled inside a struct value the summary does not follow,
    // and the slot stayed without a shadow).
    return_aggregates_through_memory(target, &[]);
    // Fold the aggregate into its fields (the stores then store the
    // pointers themselves), so that the activity summaries of callers see
    // which pointers the copy writes.
    let _ = shim::run_function_pipeline(target, "sroa,instcombine<no-verify-fixpoint>");
    target
}

/// Largest array whose elements are moved one by one (larger ones move
/// as one value).
const MAX_LEAF_ARRAY: u64 = 16;

fn leaf_fields(ty: ferment_ir::Type) -> Option<Vec<ferment_ir::Type>> {
    if ty.is_struct() {
        Some(ty.struct_fields())
    } else if ty.is_array() && ty.array_len() <= MAX_LEAF_ARRAY {
        Some(vec![ty.element_type(); ty.array_len() as usize])
    } else {
        None
    }
}

fn field_address(b: &Builder, base_ty: ferment_ir::Type, slot: Value, path: &[u32]) -> Value {
    let i32t = ferment_ir::Type::int(b.module().context(), 32);
    let mut idx = vec![b.const_int(i32t, 0)];
    idx.extend(path.iter().map(|k| b.const_int(i32t, *k as i64)));
    b.gep(base_ty, slot, &idx)
}

/// Stores `v` (a value of the aggregate type `root` at `path`) through
/// `out` field by field, so that each pointer is a store of its own.
fn store_leaves(b: &Builder, root: ferment_ir::Type, v: Value, out: Value, path: &mut Vec<u32>) {
    match leaf_fields(v.ty()) {
        Some(fields) => {
            for k in 0..fields.len() as u32 {
                path.push(k);
                store_leaves(b, root, b.extract_value(v, k), out, path);
                path.pop();
            }
        }
        None if path.is_empty() => {
            b.store(v, out);
        }
        None => {
            b.store(v, field_address(b, root, out, path));
        }
    }
}

/// Loads the part of type `ty` at `path` of an aggregate of type
/// `acc.ty()` from `slot` field by field, inserting it into `acc`.
fn load_leaves(
    b: &Builder,
    ty: ferment_ir::Type,
    slot: Value,
    path: &mut Vec<u32>,
    acc: Value,
) -> Value {
    match leaf_fields(ty) {
        Some(fields) => {
            let mut acc = acc;
            for (k, fty) in fields.into_iter().enumerate() {
                path.push(k as u32);
                acc = load_leaves(b, fty, slot, path, acc);
                path.pop();
            }
            acc
        }
        None if path.is_empty() => b.load(ty, slot),
        None => {
            let v = b.load(ty, field_address(b, acc.ty(), slot, path));
            b.insert_value_path(acc, path, v)
        }
    }
}

/// `__enzyme_iter(n, k)` is `n` in the primal and `n + k` more per level of
/// differentiation (a truncated series keeps its accuracy in its
/// derivatives): every copy made to be differentiated adds `k` once; what
/// is left is lowered to `n` when the module is done
/// ([`lower_iteration_counts`]).
/// Calls of a maximum or minimum become the choice they make
/// ([`crate::rules::extremum_as_select`]): the reverse sweep then keeps the
/// choice (one bit) instead of both operands.
fn extrema_as_selects(f: Value) {
    let b = ferment_ir::Builder::new(f.global_parent());
    let mut never_nan = never_nan_extrema(f);
    for call in f.instructions() {
        if !call.is_call() {
            continue;
        }
        b.before(call);
        b.set_debug_loc_from(call);
        if let Some(v) = crate::rules::extremum_as_select(&b, call, &|x| never_nan.contains(&x)) {
            call.replace_all_uses_with(v);
            if never_nan.remove(&call) {
                never_nan.insert(v);
            }
            call.erase();
        }
    }
}

/// The phis and NaN-ignoring extrema ([`crate::rules::nan_ignoring_extremum`])
/// of `f` that are never NaN, by induction over the execution: a phi whose
/// incoming values all are, an extremum with one operand that is, where the
/// leaves are non-NaN constants. The largest such set (each value is
/// computed from values computed before it, and the first value of a cycle
/// comes from its leaves): `m = fmax(m, v)` in a loop, `m` started at
/// `-INFINITY`, is never NaN whatever `v` is, so its own NaN test is dead.
fn never_nan_extrema(f: Value) -> std::collections::HashSet<Value> {
    let mut set: std::collections::HashSet<Value> = f
        .instructions()
        .into_iter()
        .filter(|i| {
            !i.ty().is_vector()
                && ((i.opcode() == Opcode::LLVMPHI && i.ty().is_fp_like())
                    || (i.is_call() && crate::rules::nan_ignoring_extremum(*i)))
        })
        .collect();
    loop {
        let leaf = |set: &std::collections::HashSet<Value>, v: Value| {
            set.contains(&v) || v.const_float().is_some_and(|x| !x.is_nan())
        };
        let failed: Vec<Value> = set
            .iter()
            .copied()
            .filter(|&i| {
                if i.opcode() == Opcode::LLVMPHI {
                    !i.incoming().into_iter().all(|(v, _)| leaf(&set, v))
                } else {
                    let a = i.call_args();
                    !(leaf(&set, a[0]) || leaf(&set, a[1]))
                }
            })
            .collect();
        if failed.is_empty() {
            return set;
        }
        for i in failed {
            set.remove(&i);
        }
    }
}

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
/// `dynamic_cast<T*>(p)` (libstdc++'s `__dynamic_cast`, which reads only
/// type information) returns null or `p` moved by an offset it finds in
/// the object's type: its uses get `r == null ? null : p + (r - p)`, a
/// pointer derived from `p` whose shadow is `p`'s moved the same way; the
/// call itself then only yields an integer and is inactive.
fn dynamic_casts_as_offsets(f: Value) {
    let b = Builder::new(f.global_parent());
    let i64t = b.i64();
    for call in f.instructions() {
        if call.opcode() != ferment_ir::Opcode::LLVMCall
            || call.called_function().map(|g| g.name()).as_deref() != Some("__dynamic_cast")
            || !call.has_uses()
        {
            continue;
        }
        let p = call.call_args()[0];
        let uses = call.users();
        let Some(at) = call.next_instruction() else {
            continue;
        };
        b.before(at);
        b.set_debug_loc_from(call);
        let off = b.sub_int(b.ptr_to_int(call, i64t), b.ptr_to_int(p, i64t));
        let moved = b.gep(b.i8(), p, &[off]);
        let null = b.icmp(ferment_ir::IntPredicate::LLVMIntEQ, call, b.zero(call.ty()));
        let r = b.select(null, b.zero(call.ty()), moved);
        for u in uses {
            for (i, o) in u.operands().into_iter().enumerate() {
                if o == call {
                    u.set_operand(i, r);
                }
            }
        }
    }
}

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
pub const SIMPLIFY_DERIVATIVE: &str = "sroa,mem2reg,instcombine<no-verify-fixpoint>,simplifycfg,early-cse,gvn,dse,instcombine<no-verify-fixpoint>,adce,simplifycfg";

/// Loop preparation run on a derivative when the host pipeline will
/// vectorize it (-O1 and up). A reverse loop that reads and clears the
/// shadow of `u[i]` and adds into the shadow of `u[i+1]` stores a zero that
/// the next iteration reads back: loop-load elimination forwards it through
/// a phi `[shadow at entry, 0]`, peeling one iteration makes that phi a
/// constant, and the loop no longer has a memory dependence that blocks the
/// vectorizer. Peeling is limited to loops whose phis become invariant.
/// Forwarding the cleared shadow leaves `*s = *s` (the adjoint read back
/// and stored unchanged) behind adjoint stores elsewhere; `early-cse` with
/// memory SSA deletes it (DSE's check wants no store at all in between),
/// so the reverse loop stores once per element, and may be vectorized.
///
/// Between its two halves, `shim::hoist_carried_loads` moves a load of the
/// element the loop stored in the previous iteration into the loop header
/// where it runs on every iteration behind branches (an in-place sweep's
/// `x[j-1]` behind a boundary test): loop-load elimination forwards only
/// into the header. `shim::peel_last_iterations` then peels the last
/// iteration off a loop whose boundary test (`i < n - 1 ? y[i + 1] : y[i]`)
/// holds in all others: the vectorizer no longer gathers the selected
/// element.
const PREPARE_LOOPS: [&str; 2] = [
    "loop-simplify,lcssa,loop(indvars,loop-deletion)",
    "loop-load-elim,loop-unroll<O2;peeling;no-partial;no-runtime;no-upperbound;no-profile-peeling>,instcombine<no-verify-fixpoint>,early-cse<memssa>,simplifycfg",
];

/// Run on a derivative after the zero-adjoint unswitching (before it, the
/// promotion of an adjoint kept in memory to a register hides the invariant
/// adjoint that unswitching tests). The host pipeline runs no LICM between
/// this pass and its vectorizer, so values the reverse sweep reads or
/// rebuilds where they are used — a tape read of an outer loop's value, an
/// argument re-read — would stay inside the reverse loop, where a load
/// feeding an address makes the vectorizer give up ("unsafe indirect
/// dependence"). The tape and shadow alias scopes (`Tape::fence_rows`,
/// `tape::SHADOW_SCOPE`) let LICM move such loads past the loop's adjoint
/// stores.
const HOIST_INVARIANTS: &str = "loop-mssa(licm)";

/// After `shim::rotate_accumulations`: see [`simplify_derivative`].
const AFTER_ROTATION: &str = "loop-simplify,lcssa,loop-unroll<O2;peeling;no-partial;no-runtime;no-upperbound;no-profile-peeling>,instcombine<no-verify-fixpoint>,simplifycfg";

/// The neighbour-accumulation rotation of [`simplify_derivative`] (-O1
/// and up) on a function whose atomic adds became plain after it was
/// simplified: the copies of an OpenMP region's reverse for a team of one
/// and for a team's private ranges (`openmp::define_team_copies`), whose
/// atomics kept the rotation out.
pub fn rotate_plain_accumulations(f: Value) -> Result<()> {
    let _t = crate::timing::scope("store sinking and rotation of a region reverse's plain adds");
    let run = |pipeline: &str| {
        shim::run_function_pipeline(f, pipeline).map_err(|e| {
            Error::new(format!(
                "internal error: rotation of a region reverse's plain adds: {e}"
            ))
        })
    };
    // The team copy's loop split (`shim::split_private_loops`) leaves its
    // middle loop without a dedicated preheader, which the rotation needs.
    run("loop-simplify")?;
    shim::sink_stores(f);
    if shim::rotate_accumulations(f) > 0 {
        run(AFTER_ROTATION)?;
    }
    shim::no_runtime_unroll(f);
    Ok(())
}

/// Cleanup of a function some of whose stores were deleted
/// ([`crate::openmp_unobserved`]): the computation that fed them is dead,
/// down to loops that only count (their counters' stores sunk out of the
/// loop first, so that the loop can be deleted).
const AFTER_DROPPED_WRITES: &str = "instcombine<no-verify-fixpoint>,adce,simplifycfg,loop-simplify,lcssa,loop-mssa(licm),loop(indvars,loop-deletion),instcombine<no-verify-fixpoint>,adce,simplifycfg";

/// Runs [`AFTER_DROPPED_WRITES`] on `f`.
pub fn simplify_after_dropped_writes(f: Value) -> Result<()> {
    let _t = crate::timing::scope("cleanup after dropped region writes (LLVM)");
    shim::run_function_pipeline(f, AFTER_DROPPED_WRITES).map_err(|e| {
        Error::new(format!(
            "internal error: cleanup after dropped region writes: {e}"
        ))
    })
}

/// Loops unswitched on an invariant adjoint's zero test (see
/// `shim::unswitch_zero_adjoints`), then the zero side folded away: adding
/// zero into shadow memory stores the loaded value back (early-cse with
/// memory SSA deletes that store, past the other adjoint stores of the
/// loop), and the loop left with nothing to do is deleted. Forward mode over
/// such a derivative (a Hessian-vector product) otherwise ran an empty
/// loop per non-chosen candidate.
const UNSWITCH_ZERO_ADJOINTS: &str = "loop-mssa(licm,simple-loop-unswitch<nontrivial>),instcombine<no-verify-fixpoint>,early-cse<memssa>,simplifycfg,loop-simplify,lcssa,loop(indvars,loop-deletion),simplifycfg";

/// The loop cost up to which a derivative loop is unswitched on a zero
/// adjoint (LLVM's default is 50: a reverse loop over a primal loop that the
/// host unrolled 8 times costs a few hundred).
const UNSWITCH_ZERO_THRESHOLD: i32 = 600;

/// A derivative without loops is copied behind one test that its guards'
/// partials are finite (`shim::version_finite_guards`) when at least this
/// many guards go in the copy (ba_calls' reverse of `project`: 40)...
const VERSION_MIN_GUARDS: u32 = 4;
/// ... and it has at most this many instructions (the copy doubles them).
const VERSION_MAX_INSTS: u32 = 1200;
/// Cleanup after that copy.
const AFTER_VERSIONING: &str = "instcombine<no-verify-fixpoint>,adce,simplifycfg";

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
    {
        let _t = crate::timing::scope("derivative simplification pipeline (LLVM)");
        run(SIMPLIFY_DERIVATIVE)?;
    }
    if opt_level > 0 {
        {
            let _t = crate::timing::scope("derivative loop preparation pipeline (LLVM)");
            run(PREPARE_LOOPS[0])?;
            shim::hoist_carried_loads(f);
            shim::peel_last_iterations(f);
            run(PREPARE_LOOPS[1])?;
        }
        {
            let _t = crate::timing::scope("zero-adjoint loop unswitching (LLVM)");
            shim::unswitch_zero_adjoints(f, UNSWITCH_ZERO_ADJOINTS, UNSWITCH_ZERO_THRESHOLD)
                .map_err(|e| {
                    Error::new(format!(
                        "internal error: derivative simplification pipeline: {e}"
                    ))
                })?;
        }
        {
            let _t = crate::timing::scope("invariant hoisting (LLVM)");
            run(HOIST_INVARIANTS)?;
        }
        let _t = crate::timing::scope("store sinking and zero-adjoint guards");
        // After the unswitching, which looks for the guards' own zero tests.
        shim::share_guard_tests(f);
        shim::sink_stores(f);
        if shim::guard_zero_accumulations(f) > 0 {
            // Threads the guards' tests on the edges where the adjoint is
            // the constant zero (see the shim).
            run("simplifycfg")?;
        }
        if shim::rotate_accumulations(f) > 0 {
            // The flags of elements a boundary select may skip start false
            // and are true from the second iteration on: peeling that
            // iteration leaves a loop with unconditional accesses.
            run(AFTER_ROTATION)?;
        }
        shim::avoid_tape_gathers(f);
        if shim::version_finite_guards(f, VERSION_MIN_GUARDS, VERSION_MAX_INSTS) > 0 {
            // The hoisted partials' old computations and the guard-free
            // copy's dead zero tests.
            run(AFTER_VERSIONING)?;
        }
    }
    shim::drop_guard_marks(f);
    shim::no_runtime_unroll(f);
    Ok(())
}

/// What a compare-and-swap loop adds to the float it updates.
enum CasAddend {
    /// `old + v` (or `v + old`).
    Add(Value),
    /// `old - v`.
    Sub(Value),
    /// `llvm.fmuladd(a, b, old)`: `old + a * b`, fused or not (the
    /// intrinsic lets the code generator choose).
    MulAdd(Value, Value),
}

/// A C11 `_Atomic double` compound update (`x += v`, `x -= v`) or an
/// `omp atomic` that clang writes as a compare-and-swap loop on the float's
/// bits: `old = phi [init, pre], [bits(prev), loop]; new = old + v;
/// cmpxchg p, bits(old), bits(new); br ok, exit, loop`, with `v` computed
/// before the loop. The loop is an atomic `x += v` in every execution
/// (it retries until no other thread wrote in between), so it becomes
/// `atomicrmw fadd p, v`, which the generators differentiate (the adjoint
/// of `v` is the adjoint of `x`; other updates, `x *= v`, stay refused).
/// Returns the number of loops rewritten.
fn atomic_float_updates(f: Value) -> usize {
    let module = f.global_parent();
    let b = ferment_ir::Builder::new(module);
    let mut n = 0;
    for cx in exchanges(f) {
        let Some((pre, exit, old, new, addend)) = cas_float_update(cx) else {
            continue;
        };
        let lp = cx.parent();
        let ptr = cx.operand(0);
        let ordering = unsafe { llvm_sys::core::LLVMGetCmpXchgSuccessOrdering(cx.0) };
        let pre_term = pre.terminator().expect("terminator");
        b.before(pre_term);
        b.set_debug_loc_from(cx);
        let v = match addend {
            CasAddend::Add(v) => v,
            CasAddend::Sub(v) => b.fneg(v),
            CasAddend::MulAdd(x, y) => b.fmul(x, y),
        };
        let rmw = b.atomic_fadd(ptr, v);
        unsafe {
            llvm_sys::core::LLVMSetOrdering(rmw.0, ordering);
            llvm_sys::core::LLVMSetAlignment(rmw.0, llvm_sys::core::LLVMGetAlignment(cx.0));
        }
        let updated = b.fadd(rmw, v);
        // The loop's results after it: the old and new values of the
        // successful exchange.
        let map = |x: Value| {
            if x == old {
                rmw
            } else if x == new {
                updated
            } else {
                x
            }
        };
        for phi in exit.phis() {
            if !phi.incoming().iter().any(|(_, blk)| *blk == lp) {
                continue;
            }
            b.before(phi);
            let np = b.phi(phi.ty(), "atomic.result");
            for (x, blk) in phi.incoming() {
                if blk == lp {
                    np.add_incoming(map(x), pre);
                } else {
                    np.add_incoming(x, blk);
                }
            }
            phi.replace_all_uses_with(np);
            phi.erase();
        }
        for x in [old, new] {
            for u in x.users() {
                if u.is_instruction() && u.parent() != lp {
                    for (k, o) in u.operands().into_iter().enumerate() {
                        if o == x {
                            u.set_operand(k, map(x));
                        }
                    }
                }
            }
        }
        let succ = pre_term
            .successors()
            .iter()
            .position(|s| *s == lp)
            .expect("the loop follows its preheader");
        pre_term.set_successor(succ as u32, exit);
        for inst in lp.instructions().into_iter().rev() {
            if !inst.ty().is_void() {
                inst.replace_all_uses_with(b.poison(inst.ty()));
            }
            inst.erase();
        }
        unsafe { llvm_sys::core::LLVMDeleteBasicBlock(lp.0) };
        if updated.users().is_empty() {
            updated.erase();
        }
        n += 1;
    }
    n
}

/// The `cmpxchg` instructions of `f`, listed before any loop is rewritten:
/// a rewrite erases its loop's instructions and the exit's phis, which a
/// list of every instruction would visit afterwards (freed memory: a
/// flaky crash, valgrind's invalid reads at -O1 in
/// `reverse/c11_atomic_local_mul.c`). Rewriting one loop erases no other
/// loop's exchange.
fn exchanges(f: Value) -> Vec<Value> {
    f.instructions()
        .into_iter()
        .filter(|i| i.opcode() == Opcode::LLVMAtomicCmpXchg)
        .collect()
}

/// A compare-and-swap loop updating a float on a stack variable whose
/// address never leaves the function (a C11 `_Atomic double` local updated
/// by `x *= v`, `x /= v`, or any other function of its old value): no other
/// thread can reach the variable, so the first exchange always succeeds
/// (its expected value is the variable's contents, loaded just before with
/// no write in between), and the loop is the load, the update and a plain
/// store, which the generators differentiate. Updates of shared memory
/// (`omp atomic x *= v`) keep their loop and stay refused. Returns the
/// number of loops rewritten.
fn local_float_exchanges(f: Value) -> usize {
    let module = f.global_parent();
    let b = ferment_ir::Builder::new(module);
    let mut n = 0;
    for cx in exchanges(f) {
        let Some(parts) = local_float_exchange(cx) else {
            continue;
        };
        let LocalExchange {
            pre,
            exit,
            old,
            init,
            new,
            moved,
            gone,
        } = parts;
        let lp = cx.parent();
        let ptr = cx.operand(0);
        let pre_term = pre.terminator().expect("terminator");
        for &i in &moved {
            i.move_before(pre_term);
        }
        old.replace_all_uses_with(init);
        b.before(pre_term);
        b.set_debug_loc_from(cx);
        let st = b.store(new, ptr);
        unsafe { llvm_sys::core::LLVMSetAlignment(st.0, llvm_sys::core::LLVMGetAlignment(cx.0)) };
        // (the loop's own values are the preheader's now)
        for phi in exit.phis() {
            if !phi.incoming().iter().any(|(_, blk)| *blk == lp) {
                continue;
            }
            b.before(phi);
            let np = b.phi(phi.ty(), "exchange.result");
            for (x, blk) in phi.incoming() {
                np.add_incoming(x, if blk == lp { pre } else { blk });
            }
            phi.replace_all_uses_with(np);
            phi.erase();
        }
        let succ = pre_term
            .successors()
            .iter()
            .position(|s| *s == lp)
            .expect("the loop follows its preheader");
        pre_term.set_successor(succ as u32, exit);
        for inst in gone.into_iter().rev() {
            if !inst.ty().is_void() {
                inst.replace_all_uses_with(b.poison(inst.ty()));
            }
            inst.erase();
        }
        old.erase();
        unsafe { llvm_sys::core::LLVMDeleteBasicBlock(lp.0) };
        // The variable's other accesses need no atomicity either.
        for i in f.instructions() {
            let p = match i.opcode() {
                Opcode::LLVMLoad => i.operand(0),
                Opcode::LLVMStore => i.operand(1),
                _ => continue,
            };
            if ferment_activity_analysis::underlying_objects(p)
                == ferment_activity_analysis::underlying_objects(ptr)
            {
                unsafe {
                    llvm_sys::core::LLVMSetOrdering(
                        i.0,
                        llvm_sys::LLVMAtomicOrdering::LLVMAtomicOrderingNotAtomic,
                    )
                };
            }
        }
        n += 1;
    }
    n
}

/// The parts of a compare-and-swap loop on a local float (see
/// [`local_float_exchanges`]).
struct LocalExchange {
    pre: ferment_ir::Block,
    exit: ferment_ir::Block,
    /// The loop's phi of the old float.
    old: Value,
    /// Its value from the preheader: the load of the variable.
    init: Value,
    /// The updated float.
    new: Value,
    /// The update's instructions, in order, to move into the preheader.
    moved: Vec<Value>,
    /// The exchange and what only the loop uses (its results, the branch).
    gone: Vec<Value>,
}

/// Whether `p` is based on a stack slot of the function whose address is
/// only loaded from, stored to, exchanged or updated in place (never stored
/// elsewhere, passed to a call or compared).
fn local_unescaped(p: Value) -> bool {
    let objects = ferment_activity_analysis::underlying_objects(p);
    let [o] = objects.as_slice() else {
        return false;
    };
    if !(o.is_instruction() && o.opcode() == Opcode::LLVMAlloca) {
        return false;
    }
    let mut work = vec![*o];
    let mut seen = hashbrown::HashSet::new();
    while let Some(v) = work.pop() {
        if !seen.insert(v) {
            continue;
        }
        for u in v.users() {
            let fine = match u.opcode() {
                Opcode::LLVMGetElementPtr | Opcode::LLVMBitCast if u.operand(0) == v => {
                    work.push(u);
                    true
                }
                Opcode::LLVMLoad => true,
                Opcode::LLVMStore => u.operand(1) == v && u.operand(0) != v,
                Opcode::LLVMAtomicCmpXchg => {
                    u.operand(0) == v && u.operand(1) != v && u.operand(2) != v
                }
                Opcode::LLVMAtomicRMW => u.operand(0) == v && u.operand(1) != v,
                Opcode::LLVMCall => u.called_function().is_some_and(|g| {
                    let name = g.name();
                    name.starts_with("llvm.lifetime") || name.starts_with("llvm.dbg")
                }),
                _ => false,
            };
            if !fine {
                return false;
            }
        }
    }
    true
}

/// The parts of the compare-and-swap loop around `cx` if it updates a float
/// on an unescaped stack slot (see [`local_float_exchanges`]).
fn local_float_exchange(cx: Value) -> Option<LocalExchange> {
    let lp = cx.parent();
    let ptr = cx.operand(0);
    let CasLoop {
        old,
        new,
        term,
        exit,
        pre,
        init,
        ..
    } = cas_loop(cx)?;
    // The expected value is the variable's contents: loaded in the
    // preheader, with no write after the load there.
    if !(init.is_instruction()
        && init.opcode() == Opcode::LLVMLoad
        && init.parent() == pre
        && init.operand(0) == ptr)
    {
        return None;
    }
    let mut after = false;
    for i in pre.instructions() {
        if i == init {
            after = true;
        } else if after
            && matches!(
                i.opcode(),
                Opcode::LLVMStore
                    | Opcode::LLVMAtomicCmpXchg
                    | Opcode::LLVMAtomicRMW
                    | Opcode::LLVMCall
                    | Opcode::LLVMInvoke
                    | Opcode::LLVMFence
            )
            && !i
                .called_function()
                .is_some_and(|g| g.name().starts_with("llvm.dbg"))
        {
            return None;
        }
    }
    if !local_unescaped(ptr) {
        return None;
    }
    // The loop: the phi, the update (no memory access, no call but
    // intrinsics that touch no memory), the bit casts, the exchange, its
    // results and the branch.
    let results = |i: Value| {
        i == cx
            || i == term
            || (i.opcode() == Opcode::LLVMExtractValue && i.operand(0) == cx)
            || (i.opcode() == Opcode::LLVMBitCast
                && i.operand(0).is_instruction()
                && i.operand(0).opcode() == Opcode::LLVMExtractValue
                && i.operand(0).operand(0) == cx)
    };
    let (mut moved, mut gone) = (Vec::new(), Vec::new());
    for i in lp.instructions() {
        if i == old {
            continue;
        }
        if results(i) {
            // used by nothing after the loop
            if i.users()
                .iter()
                .any(|u| !u.is_instruction() || u.parent() != lp)
            {
                return None;
            }
            gone.push(i);
            continue;
        }
        let pure = match i.opcode() {
            Opcode::LLVMPHI
            | Opcode::LLVMLoad
            | Opcode::LLVMStore
            | Opcode::LLVMAtomicCmpXchg
            | Opcode::LLVMAtomicRMW
            | Opcode::LLVMFence
            | Opcode::LLVMInvoke
            | Opcode::LLVMAlloca => false,
            Opcode::LLVMCall => i.called_function().is_some_and(|g| {
                let name = g.name();
                name.starts_with("llvm.dbg")
                    || (name.starts_with("llvm.") && i.call_memory_effects() == Some(0))
            }),
            _ => !i.is_terminator(),
        };
        if !pure {
            return None;
        }
        moved.push(i);
    }
    if lp.phis().len() != 1 {
        return None;
    }
    // Exit phis may take what the loop computed (moved to the preheader),
    // but not the exchange's results.
    for phi in exit.phis() {
        for (x, blk) in phi.incoming() {
            if blk == lp && gone.contains(&x) {
                return None;
            }
            if blk == pre {
                return None;
            }
        }
    }
    Some(LocalExchange {
        pre,
        exit,
        old,
        init,
        new,
        moved,
        gone,
    })
}

/// The parts of the compare-and-swap loop around `cx` (see
/// [`atomic_float_updates`]): its preheader, its exit, the old and new
/// float values and what is added, or None where `cx` is anything else.
fn cas_float_update(
    cx: Value,
) -> Option<(
    ferment_ir::Block,
    ferment_ir::Block,
    Value,
    Value,
    CasAddend,
)> {
    let lp = cx.parent();
    let CasLoop {
        old,
        new,
        term,
        ok,
        exit,
        pre,
        ..
    } = cas_loop(cx)?;
    let outside = |v: Value| !(v.is_instruction() && v.parent() == lp) && v != old;
    let addend = match new.opcode() {
        _ if !new.is_instruction() || new.parent() != lp => return None,
        Opcode::LLVMFAdd if new.operand(0) == old && outside(new.operand(1)) => {
            CasAddend::Add(new.operand(1))
        }
        Opcode::LLVMFAdd if new.operand(1) == old && outside(new.operand(0)) => {
            CasAddend::Add(new.operand(0))
        }
        Opcode::LLVMFSub if new.operand(0) == old && outside(new.operand(1)) => {
            CasAddend::Sub(new.operand(1))
        }
        Opcode::LLVMCall
            if new
                .called_function()
                .is_some_and(|g| g.name().starts_with("llvm.fmuladd."))
                && new.call_args()[2] == old
                && outside(new.call_args()[0])
                && outside(new.call_args()[1]) =>
        {
            let a = new.call_args();
            CasAddend::MulAdd(a[0], a[1])
        }
        _ => return None,
    };
    let allowed = |i: Value| {
        i == old
            || i == new
            || i == cx
            || i == term
            || i == ok
            || i == cx.operand(1)
            || i == cx.operand(2)
            || (i.opcode() == Opcode::LLVMExtractValue && i.operand(0) == cx)
            || (i.opcode() == Opcode::LLVMBitCast
                && i.operand(0).is_instruction()
                && i.operand(0).opcode() == Opcode::LLVMExtractValue
                && i.operand(0).operand(0) == cx)
            || i.called_function()
                .is_some_and(|g| g.name().starts_with("llvm.dbg."))
    };
    let insts = lp.instructions();
    if !insts.iter().all(|&i| allowed(i)) || lp.phis().len() != 1 {
        return None;
    }
    // Only the old and new values may be used after the loop.
    for &i in &insts {
        if i == old || i == new {
            continue;
        }
        if i.users()
            .iter()
            .any(|u| !u.is_instruction() || u.parent() != lp)
        {
            return None;
        }
    }
    // Exit phis may take the old or new value, or one from before.
    for phi in exit.phis() {
        for (x, blk) in phi.incoming() {
            if blk == lp && x.is_instruction() && x.parent() == lp && x != old && x != new {
                return None;
            }
            if blk == pre {
                return None;
            }
        }
    }
    Some((pre, exit, old, new, addend))
}

/// The shape of a compare-and-swap loop on a float's bits around `cx`:
/// `old = phi [init, pre], [bits(prev), loop]; ...; cmpxchg p, bits(old),
/// bits(new); br ok, exit, loop`, entered from `pre` by an unconditional
/// branch.
struct CasLoop {
    old: Value,
    new: Value,
    term: Value,
    ok: Value,
    exit: ferment_ir::Block,
    pre: ferment_ir::Block,
    init: Value,
}

/// The parts of the compare-and-swap loop around `cx` (see [`CasLoop`]).
fn cas_loop(cx: Value) -> Option<CasLoop> {
    let lp = cx.parent();
    let float_of = |v: Value| {
        (v.is_instruction() && v.opcode() == Opcode::LLVMBitCast && v.parent() == lp)
            .then(|| v.operand(0))
            .filter(|x| x.ty().is_float())
    };
    let old = float_of(cx.operand(1))?;
    let new = float_of(cx.operand(2))?;
    if !(old.is_instruction() && old.opcode() == Opcode::LLVMPHI && old.parent() == lp) {
        return None;
    }
    let term = lp.terminator()?;
    if term.opcode() != Opcode::LLVMBr || term.num_operands() != 3 {
        return None;
    }
    let ok = term.operand(0);
    let succs = term.successors();
    if !(ok.is_instruction()
        && ok.opcode() == Opcode::LLVMExtractValue
        && ok.operand(0) == cx
        && ok.extract_indices() == [1]
        && succs.len() == 2
        && succs[1] == lp
        && succs[0] != lp)
    {
        return None;
    }
    let exit = succs[0];
    let (mut init, mut pre) = (None, None);
    for (v, blk) in old.incoming() {
        if blk == lp {
            bits_of_back(v, cx)?;
        } else if pre.is_some_and(|p| p != blk) {
            return None;
        } else {
            pre = Some(blk);
            init = Some(v);
        }
    }
    let (pre, init) = (pre?, init?);
    let pre_term = pre.terminator()?;
    if pre_term.opcode() != Opcode::LLVMBr || pre_term.num_operands() != 1 {
        return None;
    }
    Some(CasLoop {
        old,
        new,
        term,
        ok,
        exit,
        pre,
        init,
    })
}

/// `v` (a phi's value coming around the loop) is the exchange's old bits
/// reinterpreted as the float: `bitcast (extractvalue cx, 0)`.
fn bits_of_back(v: Value, cx: Value) -> Option<()> {
    let ev = (v.is_instruction() && v.opcode() == Opcode::LLVMBitCast).then(|| v.operand(0))?;
    (ev.is_instruction()
        && ev.opcode() == Opcode::LLVMExtractValue
        && ev.operand(0) == cx
        && ev.extract_indices() == [0])
    .then_some(())
}
