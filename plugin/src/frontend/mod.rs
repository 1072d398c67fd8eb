//! Finds the `__enzyme_*` calls of a module, turns each into a request,
//! obtains the derivative (generated once per function and activity
//! pattern) and lowers the call to a call of it.

mod batch;
mod fn_params;
pub mod loops;
pub mod lower;
pub mod printer;
pub mod request;
mod runtime_activity;
pub mod validate;
mod vectorized;

use crate::derive::Ctx;
use crate::error::{Error, Result};
use crate::shim::Options;
use ferment_ir::{Module, Value};
use hashbrown::{HashMap, HashSet};
use request::DerivativeKey;

/// What one run over a module did.
#[derive(Default)]
pub struct Outcome {
    pub changed: bool,
    pub errors: Vec<Error>,
}

/// All calls in `module` to an `__enzyme_*` entry point, with the entry.
pub fn find_ad_calls(module: Module) -> Vec<(Value, &'static str)> {
    let entries: Vec<(Value, &'static str)> = module
        .functions()
        .into_iter()
        .filter_map(|f| request::entry_kind(&f.name()).map(|e| (f, e)))
        .collect();
    if entries.is_empty() {
        return Vec::new();
    }
    // Walk the module in order so diagnostics come out in source order.
    let mut out = Vec::new();
    for f in module.functions() {
        if f.is_declaration() {
            continue;
        }
        for i in f.instructions() {
            if !i.is_call() {
                continue;
            }
            let callee = i.called_operand().strip_casts();
            if let Some((_, e)) = entries.iter().find(|(g, _)| *g == callee) {
                out.push((i, *e));
            }
        }
    }
    out
}

/// Functions the user declared inactive through `__enzyme_inactivefn*`
/// globals or the `enzyme_inactive` annotation.
fn user_inactive_functions(module: Module) -> HashSet<Value> {
    let mut out = HashSet::new();
    for g in module.globals() {
        let name = g.name();
        if name == "llvm.global.annotations" {
            for (f, note) in ferment_activity_analysis::global_annotations(g) {
                if note == "enzyme_inactive" {
                    out.insert(f);
                }
            }
        }
        let enzyme_name = ferment_activity_analysis::enzyme_global_name(&name);
        if !enzyme_name.is_some_and(|n| n.starts_with("__enzyme_inactivefn")) {
            continue;
        }
        if let Some(init) = g.global_initializer() {
            collect_functions(init, &mut out, 0);
        }
    }
    for f in module.functions() {
        if f.string_attribute("enzyme_inactive").is_some() {
            out.insert(f);
        }
    }
    out
}

fn collect_functions(v: Value, out: &mut HashSet<Value>, depth: u32) {
    let v = v.strip_casts();
    if v.is_function() {
        out.insert(v);
        return;
    }
    if depth > 4 || !v.is_constant() {
        return;
    }
    for o in v.operands() {
        collect_functions(o, out, depth + 1);
    }
}

thread_local! {
    static USER_INACTIVE: std::cell::RefCell<HashSet<Value>> = std::cell::RefCell::new(HashSet::new());
}

/// The user's inactive functions of one module, known while it lives (a
/// module run, a printer pass): dropping it empties the set, so that no
/// later pass asks about functions of a module that may have been freed
/// since (a new function at a freed one's address would read as inactive).
pub(crate) struct UserInactive;

impl UserInactive {
    pub(crate) fn enter(module: Module) -> UserInactive {
        USER_INACTIVE.with(|s| *s.borrow_mut() = user_inactive_functions(module));
        UserInactive
    }
}

impl Drop for UserInactive {
    fn drop(&mut self) {
        USER_INACTIVE.with(|s| s.borrow_mut().clear());
    }
}

/// Whether a call propagates no derivative: known-inactive library
/// functions, user-annotated inactive functions, `__enzyme_*` helpers.
pub fn is_inactive_call(call: Value) -> bool {
    let Some(f) = call.called_function() else {
        return false;
    };
    let name = f.name();
    ferment_activity_analysis::is_known_inactive_callee(f)
        || crate::annotations::is_type_hint(&name)
        || name.contains("__enzyme_call_inactive")
        || name.contains("__enzyme_ignore_derivatives")
        || name.contains("__enzyme_iter")
        || name.starts_with("ferment.ctx.")
        || USER_INACTIVE.with(|s| s.borrow().contains(&f))
}

/// The user's inactive functions (kept as calls, never inlined).
pub fn user_inactive_list() -> Vec<Value> {
    USER_INACTIVE.with(|s| s.borrow().iter().copied().collect())
}

pub(crate) use batch::repeatable;
pub use loops::is_loop_construct;
pub use printer::print_activity;

/// Processes every AD request of the module. `opt_level` is the host
/// pipeline's speed-up level (0..3): derivatives are prepared for the
/// vectorizer only where the host runs it (1+).
pub fn run_module(module: Module, opt_level: u32, options: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    crate::selfcheck::ENABLED.store(
        options.self_check != 0,
        std::sync::atomic::Ordering::Relaxed,
    );
    // Enzyme's global-shadow contexts: the run time is linked in and the
    // context calls become calls of it, before requests refer to them.
    let (lowered, context_errors) = crate::context::lower(module);
    outcome.changed |= lowered;
    outcome.errors.extend(context_errors);
    let unknown = crate::annotations::unknown_entry_points(module);
    if !unknown.is_empty() {
        outcome.errors = unknown;
        return outcome;
    }
    // Loop constructs become the loops they stand for, in the primal code,
    // before any request copies a function that contains one.
    let (lowered, loop_errors) = loops::lower(module);
    if lowered {
        outcome.changed = true;
        outcome.errors.extend(loop_errors);
        lower::cleanup_declarations(module);
    }
    // `__enzyme_batch` runs the primal over lanes: no derivative involved.
    for (call, _) in find_ad_calls(module)
        .into_iter()
        .filter(|(_, e)| *e == "__enzyme_batch")
    {
        if let Err(e) = vectorized::lower(module, call) {
            outcome.errors.push(e);
            lower::replace_with_trap(module, call);
        }
        outcome.changed = true;
    }
    // `__enzyme_virtualreverse(p)` makes a shadow object's function
    // pointer: ferment dispatches indirect calls on the primal pointer
    // (`dispatch.rs`), so the shadow keeps the primal's.
    for (call, _) in find_ad_calls(module)
        .into_iter()
        .filter(|(_, e)| *e == "__enzyme_virtualreverse")
    {
        match call.call_args().as_slice() {
            [p] if p.ty() == call.ty() => {
                call.replace_all_uses_with(*p);
                erase_wrapper(module, call, &[]);
            }
            _ => {
                outcome.errors.push(
                    Error::at(
                        call,
                        "__enzyme_virtualreverse takes one pointer and returns it",
                    )
                    .hint("declare it as `void* __enzyme_virtualreverse(void*);`"),
                );
                lower::replace_with_trap(module, call);
            }
        }
        outcome.changed = true;
    }
    outcome.changed |= promote_spilled_entry_points(module);
    let escaped = escaped_entry_points(module);
    if !escaped.is_empty() {
        outcome.errors.extend(escaped);
        return outcome;
    }
    outcome.changed |= promote_laundered_markers(module);
    outcome.changed |= fn_params::specialize_function_parameters(module);
    outcome.changed |= split_selected_requests(module);
    let (wrappers, calls): (Vec<_>, Vec<_>) = find_ad_calls(module)
        .into_iter()
        .partition(|(_, e)| is_inactive_wrapper(e));
    if calls.is_empty() {
        outcome
            .errors
            .extend(lower_inactive_wrappers(module, &wrappers));
        let hints = crate::annotations::remove_type_hints(module);
        let iters = crate::prepare::lower_iteration_counts(module);
        let likes = crate::annotations::remove_function_like_calls(module);
        outcome.changed |= hints || iters || likes || !wrappers.is_empty();
        return outcome;
    }
    let mut errors = crate::annotations::check(module);
    let like = crate::annotations::function_like(module).unwrap_or_else(|e| {
        errors.push(e);
        Vec::new()
    });
    if crate::annotations::remove_function_like_calls(module) {
        outcome.changed = true;
    }
    let allocators = crate::annotations::allocation_like(module).unwrap_or_else(|e| {
        errors.push(e);
        Vec::new()
    });
    if let Err(e) = crate::annotations::apply_shadow_annotations(module) {
        errors.push(e);
    }
    let inactive_globals = crate::annotations::inactive_globals(module).unwrap_or_else(|e| {
        errors.push(e);
        Vec::new()
    });
    if !errors.is_empty() {
        // No derivative is right while an annotation is not understood.
        for (call, _) in calls {
            lower::replace_with_trap(module, call);
        }
        outcome.errors.extend(errors);
        outcome.changed = true;
        return outcome;
    }
    // C++ signatures say what `double*` parameters point to.
    outcome.changed |= crate::cxx_types::annotate(module);
    let _inactive = UserInactive::enter(module);
    let mut ctx = Ctx::new(module, options, opt_level);
    ctx.set_function_like(&like);
    ctx.set_memory_annotations(&allocators, &inactive_globals);
    let fwdsplits: Vec<_> = calls
        .iter()
        .filter(|(_, entry)| *entry == "__enzyme_fwdsplit")
        .filter_map(|(call, entry)| request::parse(*call, entry).ok())
        .collect();
    ctx.fwdsplit_functions = fwdsplits.iter().map(|r| r.function).collect();
    ctx.fwdsplit_consuming = fwdsplits
        .iter()
        .filter(|r| !r.nofree)
        .map(|r| (r.function, r.call.source_location()))
        .collect();
    let mut deferred = false;
    let levels = request_levels(&calls);
    for (call, entry) in innermost_first(calls) {
        let external = || {
            call.call_args()
                .into_iter()
                .take(2)
                .find_map(request::trace_function_of)
                .is_some_and(|f| f.is_declaration() || reaches_indirect_call(f))
        };
        if options.prelink != 0 && external() {
            // -flto: the function is defined in another translation unit,
            // or calls through a pointer that may reach one (a virtual
            // call whose overriders other files define); the link-time run
            // (which sees them) lowers this request.
            deferred = true;
            continue;
        }
        // An AD call inside a `try` (an `invoke`): the calls that replace
        // it unwind to its landing pad, so an exception the derivative
        // throws reaches the caller's handler.
        // The block's calls are watched, not kept as keys: a call the
        // lowering erases may leave its address to a new one.
        let unwind = call.is_invoke().then(|| {
            let old: Vec<(Value, crate::shim::Watched)> = calls_in(call.parent())
                .into_iter()
                .map(|c| (c, crate::shim::Watched::new(c)))
                .collect();
            let succ = call.successors();
            (old, call.parent(), succ[0], succ[1])
        });
        ctx.level = levels.get(&call).copied().unwrap_or(1);
        match process_call(&mut ctx, call, entry) {
            Ok(()) => {
                if let Some((old, orig, normal, pad)) = unwind {
                    let old: HashSet<Value> = old
                        .into_iter()
                        .filter(|(_, w)| w.alive())
                        .map(|(c, _)| c)
                        .collect();
                    let new: Vec<Value> = replacement_blocks(orig, normal, pad)
                        .into_iter()
                        .flat_map(calls_in)
                        .filter(|c| !old.contains(c))
                        .collect();
                    crate::shim::invoke_calls(&new, orig, pad);
                }
                outcome.changed = true
            }
            Err(e) => {
                outcome.errors.push(e);
                // Never leave a call that could run with a wrong result.
                lower::replace_with_trap(module, call);
                outcome.changed = true;
            }
        }
    }
    // The wrappers marked values and calls inactive while derivatives were
    // generated; now they become what they stand for, in the primal code and
    // in the derivatives' copies of it alike.
    let wrappers: Vec<(Value, &str)> = find_ad_calls(module)
        .into_iter()
        .filter(|(_, e)| is_inactive_wrapper(e))
        .collect();
    outcome
        .errors
        .extend(lower_inactive_wrappers(module, &wrappers));
    crate::annotations::remove_type_hints(module);
    crate::prepare::lower_iteration_counts(module);
    outcome.errors.extend(ctx.finish());
    drop_unused_functions(module);
    lower::cleanup_declarations(module);
    if !deferred {
        internalize_annotations(module);
    }
    outcome
}

/// Deletes the functions ferment made that nothing calls any more: the
/// primal region copies and combined reverse sweeps an OpenMP derivative
/// replaced by its team and single-thread copies, derivatives of requests
/// that failed. The host removes them only after its optimizer pipeline
/// (GlobalDCE comes after vectorization), so left in place they would be
/// vectorized, unrolled and simplified for nothing. Only internal
/// definitions named `ferment.*` (or `<f>.ferment.va.*`, the copies of
/// variadic functions with fixed parameters) are candidates; a function used by one
/// deleted here is looked at again.
fn drop_unused_functions(module: Module) {
    loop {
        let dead: Vec<Value> = module
            .functions()
            .into_iter()
            .filter(|f| {
                !f.is_declaration()
                    && f.has_local_linkage()
                    && !f.has_uses()
                    && (f.name().starts_with("ferment.") || f.name().contains(".ferment.va."))
            })
            .collect();
        if dead.is_empty() {
            return;
        }
        for f in dead {
            f.delete_function();
        }
    }
}

/// The annotation globals (`__enzyme_register_gradient_f`...) are read by
/// the plugin, not by the program: once this module's requests are lowered
/// they become internal, so that a rule defined in a header included by
/// several translation units does not define the same symbol twice.
fn internalize_annotations(module: Module) {
    for g in module.globals() {
        let name = g.name();
        let annotation = crate::annotations::UNDERSTOOD_GLOBALS
            .iter()
            .any(|p| name.starts_with(p));
        if !g.is_declaration() && annotation {
            g.set_internal();
        }
    }
}

/// Orders the requests so that one whose function reaches (through direct
/// calls of defined functions) another pending request comes after it: a
/// nested request (`fwddiff` of a function that calls `autodiff`) is lowered
/// before the function containing it is copied and differentiated. Within
/// that, module order is kept; a cycle keeps module order too.
fn innermost_first(calls: Vec<(Value, &'static str)>) -> Vec<(Value, &'static str)> {
    let targets: Vec<Option<Value>> = calls
        .iter()
        .map(|(c, e)| request::parse(*c, e).ok().map(|r| r.function))
        .collect();
    let mut pending: Vec<usize> = (0..calls.len()).collect();
    let mut order = Vec::with_capacity(calls.len());
    while !pending.is_empty() {
        let pending_calls: HashSet<Value> = pending.iter().map(|&i| calls[i].0).collect();
        let ready: Vec<usize> = pending
            .iter()
            .copied()
            .filter(|&i| !targets[i].is_some_and(|f| reaches_any(f, &pending_calls, calls[i].0)))
            .collect();
        let take = if ready.is_empty() {
            pending.clone()
        } else {
            ready
        };
        pending.retain(|i| !take.contains(i));
        order.extend(take.into_iter().map(|i| calls[i]));
    }
    order
}

/// Each request's nesting depth (`DerivativeKey::level`): 1 for one whose
/// function reaches (through calls of defined functions, direct or through
/// pointers: [`reaches_any`]) no other
/// request, else one more than the deepest request it reaches (a cycle
/// counts as reaching nothing more). Forward over forward: the inner
/// `fwddiff` is 1, the outer 2, and their derivatives keep the tangents of
/// a global in globals of their own.
fn request_levels(calls: &[(Value, &'static str)]) -> HashMap<Value, u32> {
    let all: HashSet<Value> = calls.iter().map(|(c, _)| *c).collect();
    let reached: Vec<Vec<usize>> = calls
        .iter()
        .map(|(c, e)| {
            let Some(f) = request::parse(*c, e).ok().map(|r| r.function) else {
                return Vec::new();
            };
            if !reaches_any(f, &all, *c) {
                return Vec::new();
            }
            (0..calls.len())
                .filter(|&j| {
                    let one: HashSet<Value> = std::iter::once(calls[j].0).collect();
                    calls[j].0 != *c && reaches_any(f, &one, *c)
                })
                .collect()
        })
        .collect();
    if reached.iter().all(Vec::is_empty) {
        return HashMap::new();
    }
    fn depth(i: usize, reached: &[Vec<usize>], on_path: &mut Vec<usize>) -> u32 {
        if on_path.contains(&i) {
            return 0;
        }
        on_path.push(i);
        let d = reached[i]
            .iter()
            .map(|&j| depth(j, reached, on_path))
            .max()
            .unwrap_or(0);
        on_path.pop();
        d + 1
    }
    (0..calls.len())
        .map(|i| (calls[i].0, depth(i, &reached, &mut Vec::new())))
        .collect()
}

/// Whether `f`, or a defined function it may call (transitively), contains
/// one of `calls` other than `except` (the request itself, when it sits
/// inside the function it differentiates). A function may be called
/// directly, or through a pointer: the functions the request `except` passes
/// as arguments (`__enzyme_fwddiff(apply, enzyme_const, dg, x, 1.0)`, with
/// `apply` calling its argument) and those any reached function uses as a
/// value (passes on, stores) count as called.
fn reaches_any(f: Value, calls: &HashSet<Value>, except: Value) -> bool {
    let as_function = |v: Value| {
        let v = v.strip_casts();
        v.is_function().then_some(v)
    };
    let mut seen = HashSet::new();
    let mut work = vec![f];
    if except.is_call() {
        work.extend(except.call_args().into_iter().filter_map(as_function));
    }
    while let Some(g) = work.pop() {
        if g.is_declaration() || !seen.insert(g) {
            continue;
        }
        for i in g.instructions() {
            if i.is_call() && i != except && calls.contains(&i) {
                return true;
            }
            work.extend(i.operands().into_iter().filter_map(as_function));
        }
    }
    false
}

/// At -O0, an AD call made through inline helpers (Enzyme's C++ interface:
/// markers handed down `always_inline` functions, which clang's
/// always-inliner merges into the caller) gets its markers through stack
/// slots. Such callers have their slots promoted to registers (SROA), so
/// the call reads like a hand-written one; says whether any was.
fn promote_laundered_markers(module: Module) -> bool {
    let mut promoted: Vec<Value> = Vec::new();
    for (call, _) in find_ad_calls(module) {
        let f = call.function_of();
        if promoted.contains(&f) || !call.call_args().into_iter().any(|a| spilled_marker(a, 0)) {
            continue;
        }
        // A failure leaves the function as it was; the request then says
        // what it cannot read.
        let _ = crate::shim::run_function_pipeline(f, "sroa,early-cse,instsimplify");
        promoted.push(f);
    }
    !promoted.is_empty()
}

/// The `__enzyme_*` entry points (declared functions) of `module`.
fn entry_point_declarations(module: Module) -> Vec<Value> {
    module
        .functions()
        .into_iter()
        .filter(|f| f.is_declaration() && request::entry_kind(&f.name()).is_some())
        .collect()
}

/// At -O0 an entry point called through a local function-pointer variable
/// (`double (*grad)(void *, double) = (...)__enzyme_autodiff; grad(f, x)`)
/// is stored to a stack slot and loaded back as the callee: the functions
/// doing so get their slots promoted (SROA), which makes those calls
/// direct. Says whether any was.
fn promote_spilled_entry_points(module: Module) -> bool {
    let mut promoted: Vec<Value> = Vec::new();
    for entry in entry_point_declarations(module) {
        for user in entry.users() {
            let store = if user.is_instruction() {
                user
            } else {
                // A cast of the function, stored.
                match user.users().into_iter().find(|u| u.is_instruction()) {
                    Some(u) => u,
                    None => continue,
                }
            };
            if store.opcode() != ferment_ir::Opcode::LLVMStore
                || store.operand(0).strip_casts() != entry
            {
                continue;
            }
            let f = store.function_of();
            if !promoted.contains(&f) {
                let _ = crate::shim::run_function_pipeline(f, "sroa,early-cse,instsimplify");
                promoted.push(f);
            }
        }
    }
    !promoted.is_empty()
}

/// Uses of an entry point other than calling it (its address stored in a
/// table or a global, passed to another function): ferment cannot see
/// which calls it makes, and the program would not link.
fn escaped_entry_points(module: Module) -> Vec<Error> {
    let mut errors = Vec::new();
    for entry in entry_point_declarations(module) {
        let mut work: Vec<Value> = entry.users();
        let mut seen = 0;
        while let Some(u) = work.pop() {
            seen += 1;
            if seen > 10_000 {
                break;
            }
            if !u.is_instruction() {
                if u.is_global() && u.name().starts_with("llvm.") {
                    continue;
                }
                if u.is_global() {
                    let message = format!(
                        "the address of Enzyme entry point '{}' is stored in the global '{}': ferment lowers direct calls of it only",
                        entry.name(),
                        u.name()
                    );
                    // Located at a use of the global where there is one.
                    let error = match u.users().into_iter().find(|g| g.is_instruction()) {
                        Some(at) => Error::at(at, message),
                        None => Error::new(message),
                    };
                    errors.push(error.hint(
                        "call the entry point directly (declare it with the prototype you need)",
                    ));
                    continue;
                }
                // A constant expression (cast) of the function: its uses.
                work.extend(u.users());
                continue;
            }
            if u.is_call() && u.called_operand().strip_casts() == entry {
                continue;
            }
            errors.push(
                Error::at(
                    u,
                    format!(
                        "the address of Enzyme entry point '{}' is used other than by calling it (through a function pointer, a table or an argument): ferment lowers direct calls of it only",
                        entry.name()
                    ),
                )
                .hint("call the entry point directly (declare it with the prototype you need)"),
            );
        }
    }
    errors
}

/// Optimization merges AD calls made in the two arms of a branch into one
/// call whose function argument is a `select` of the two functions
/// (SimplifyCFG sinks them). Each such call becomes the two calls again,
/// each under its arm of the condition; says whether any was split.
fn split_selected_requests(module: Module) -> bool {
    use ferment_ir::{Builder, Opcode};
    let mut split = false;
    for (call, entry) in find_ad_calls(module) {
        if call.is_invoke() || is_inactive_wrapper(entry) {
            continue;
        }
        let args = call.call_args();
        let at = usize::from(!args.is_empty() && crate::shim::call_arg_is_sret(call, 0));
        let Some(sel) = args.get(at).map(|a| a.strip_casts()) else {
            continue;
        };
        if !sel.is_instruction() || sel.opcode() != Opcode::LLVMSelect {
            continue;
        }
        let (t, e) = (sel.operand(1), sel.operand(2));
        if request::trace_function_of(t).is_none() || request::trace_function_of(e).is_none() {
            continue;
        }
        let b = Builder::new(module);
        let slot = (!call.ty().is_void()).then(|| {
            let eb = Builder::new(module);
            eb.at_start(call.function_of().entry_block());
            eb.alloca(call.ty(), "ferment.merged.result")
        });
        b.before(call);
        b.set_debug_loc_from(call);
        let cond = b.freeze(sel.operand(0));
        let not = b.not(cond);
        for (c, f) in [(cond, t), (not, e)] {
            let end = crate::shim::if_then_after(c);
            let arm = call.clone_instruction();
            arm.set_operand(at, f);
            b.before(end);
            b.insert(arm);
            if let Some(s) = slot {
                b.store(arm, s);
            }
        }
        b.before(call);
        if let Some(s) = slot {
            let r = b.load(call.ty(), s);
            call.replace_all_uses_with(r);
        }
        call.erase();
        split = true;
    }
    split
}

/// Whether `v` is read from a stack slot that holds an `enzyme_*` marker
/// (its value or its address), possibly through more slots.
fn spilled_marker(v: Value, depth: u32) -> bool {
    let v = v.strip_casts();
    if depth > 8 || !v.is_instruction() || v.opcode() != ferment_ir::Opcode::LLVMLoad {
        return false;
    }
    let mut slot = v.operand(0).strip_casts();
    while slot.is_instruction() && slot.opcode() == ferment_ir::Opcode::LLVMGetElementPtr {
        slot = slot.operand(0).strip_casts();
    }
    if !slot.is_instruction() || slot.opcode() != ferment_ir::Opcode::LLVMAlloca {
        return false;
    }
    slot.users().into_iter().any(|u| {
        u.is_instruction()
            && u.opcode() == ferment_ir::Opcode::LLVMStore
            && (request::marker_name(u.operand(0)).is_some()
                || spilled_marker(u.operand(0), depth + 1))
    })
}

/// `__enzyme_ignore_derivatives(v)` (the value `v`, carrying no derivative)
/// and `__enzyme_call_inactive(f, args...)` (the call `f(args...)`, carrying
/// none): not derivative requests, but markers the analyses read.
fn is_inactive_wrapper(entry: &str) -> bool {
    entry == "__enzyme_ignore_derivatives" || entry == "__enzyme_call_inactive"
}

/// Replaces each wrapper call by the value or call it stands for.
fn lower_inactive_wrappers(module: Module, wrappers: &[(Value, &str)]) -> Vec<Error> {
    let b = ferment_ir::Builder::new(module);
    let mut errors = Vec::new();
    for &(call, entry) in wrappers {
        let args = call.call_args();
        b.before(call);
        let mut made = Vec::new();
        let replacement = if entry == "__enzyme_ignore_derivatives" {
            match args.as_slice() {
                [v] if v.ty() == call.ty() => Some(*v),
                [v] if v.ty().is_fp_like() && call.ty().is_fp_like() => {
                    Some(b.fp_convert(*v, call.ty()))
                }
                [_] if call.ty().is_void() => None,
                _ => {
                    errors.push(
                        Error::at(call, "__enzyme_ignore_derivatives takes one value and returns it")
                            .hint("declare it as `double __enzyme_ignore_derivatives(double);` (or with your value's type)"),
                    );
                    continue;
                }
            }
        } else {
            let f = args
                .first()
                .map(|a| a.strip_casts())
                .filter(|f| f.is_function());
            let Some(f) = f else {
                errors.push(
                    Error::at(
                        call,
                        "the first argument of __enzyme_call_inactive must be a function",
                    )
                    .hint("write __enzyme_call_inactive((void*)f, args...)"),
                );
                continue;
            };
            let fty = f.global_value_type();
            let rest = &args[1..];
            let fits = fty.fn_params().len() == rest.len()
                && fty.fn_params().iter().zip(rest).all(|(p, a)| *p == a.ty())
                && (fty.fn_return() == call.ty() || !call.has_uses());
            if !fits {
                errors.push(Error::at(
                    call,
                    format!(
                        "__enzyme_call_inactive's arguments do not match the signature of '{}'",
                        f.name()
                    ),
                ));
                continue;
            }
            let r = b.call_fn(f, rest);
            made.push(r);
            (!call.ty().is_void() && call.has_uses()).then_some(r)
        };
        if let Some(r) = replacement {
            call.replace_all_uses_with(r);
        }
        erase_wrapper(module, call, &made);
    }
    errors
}

/// Erases `call`, a wrapper whose uses are replaced. An `invoke` (the
/// wrapper called where a C++ destructor or handler is pending) becomes a
/// branch to its normal destination, and `made`, the calls put before it in
/// its place, unwind to its landing pad where they may throw.
fn erase_wrapper(module: Module, call: Value, made: &[Value]) {
    if !call.is_invoke() {
        call.erase();
        return;
    }
    let (orig, succ) = (call.parent(), call.successors());
    let b = ferment_ir::Builder::new(module);
    b.before(call);
    b.br(succ[0]);
    call.erase();
    crate::shim::invoke_calls(made, orig, succ[1]);
}

/// The `call` instructions of `blk`, in order.
fn calls_in(blk: ferment_ir::Block) -> Vec<ferment_ir::Value> {
    blk.instructions()
        .into_iter()
        .filter(|i| i.opcode() == ferment_ir::Opcode::LLVMCall)
        .collect()
}

/// The blocks of the code that replaced an `invoke` ending `orig` (whose
/// destinations were `normal` and `pad`): `orig` and the blocks the
/// lowering added after it, in order.
fn replacement_blocks(
    orig: ferment_ir::Block,
    normal: ferment_ir::Block,
    pad: ferment_ir::Block,
) -> Vec<ferment_ir::Block> {
    let mut out = vec![orig];
    let mut seen: HashSet<ferment_ir::Block> = [orig, normal, pad].into_iter().collect();
    let mut i = 0;
    while i < out.len() {
        for s in out[i].successors() {
            if seen.insert(s) {
                out.push(s);
            }
        }
        i += 1;
    }
    out
}

fn process_call(ctx: &mut Ctx, call: Value, entry: &str) -> Result<()> {
    if ctx.options.leaf_vectors != 0 && request::has_marker(call, "enzyme_width") {
        // The shadows would be read as lanes: say what the layout is.
        return Err(Error::at(
            call,
            format!("batched mode under -enzyme-vectorize-at-leaf-nodes (one interleaved shadow buffer of N-element vectors per argument, Enzyme's experimental layout) is not supported: '{entry}'"),
        )
        .hint("drop the flag and pass N shadows after each duplicated argument, or enzyme_dupv, STRIDE, x, shadows with the lanes' shadows STRIDE bytes apart"));
    }
    let mut req = request::parse(call, entry)?;
    req.level = ctx.level;
    if req.part == request::Part::Augmented || req.part == request::Part::Reverse {
        // The split pair of a function the module also asks a fwdsplit of
        // writes the log of loaded values that fwdsplit reads.
        req.log_loads = ctx.fwdsplit_functions.contains(&req.function);
    }
    if req.part == request::Part::Reverse && req.log_loads {
        if let Some(call) = split_rule_call(req.function) {
            let g = call.called_name();
            return Err(Error::at(
                req.call,
                format!("__enzyme_reverse of '{}', whose augmented forward pass runs the split forward rule of '{g}' (__enzyme_register_splitderivative; the module also asks a __enzyme_fwdsplit of it), which has no registered gradient", req.function.name()),
            )
            .hint(format!("register a gradient for '{g}' too, or differentiate in reverse mode in a file without the __enzyme_fwdsplit")));
        }
    }
    materialize_sret(ctx.module, &mut req);
    specialize_function_arguments(ctx.module, &mut req);
    if req.part == request::Part::TapeSize {
        return lower::lower_tape_size(ctx.module, &req);
    }
    if req.fwdsplit {
        check_fwdsplit(&req)?;
    }
    let Some(context) = req.context else {
        return lower_request(ctx, &req);
    };
    // `enzyme_context, c`: `c` is the current context while the derivative
    // runs (the derivative's code and its callees' read global shadows
    // from it).
    let b = ferment_ir::Builder::new(ctx.module);
    b.before(call);
    b.set_debug_loc_from(call);
    let previous = crate::context::enter(ctx.module, &b, context, req.width)?;
    // Right after the call; an `invoke` (C++) becomes a call and a branch
    // to its normal destination, before which the context is restored.
    let after = if call.is_invoke() {
        None
    } else {
        call.next_instruction()
    };
    lower_request(ctx, &req)?;
    match after.or_else(|| previous.parent().terminator()) {
        Some(next) => b.before(next),
        None => return Err(Error::at(call, "internal error: a call ends its block")),
    }
    crate::context::leave(ctx.module, &b, previous)
}

/// `__enzyme_fwdsplit`: the forward derivative reads the values the
/// primal code loads from the log of the augmented forward pass
/// ([`crate::fwdsplit`]), so the function may write memory it reads and the
/// caller may change the inputs in between.
///
/// Enzyme's users may pass null primal pointers to `__enzyme_fwdsplit`
/// (every primal value it needs is on Enzyme's tape); ferment's derivative
/// keeps the primal address arithmetic, so a constant null primal of a
/// duplicated pointer argument stays an error here.
fn check_fwdsplit(req: &request::Request) -> Result<()> {
    if let Some((i, _)) = req.args.iter().enumerate().find(|(_, a)| {
        a.activity.has_shadow() && a.primal.ty().is_pointer() && a.primal.is_null_constant()
    }) {
        return Err(Error::at(
            req.call,
            format!(
                "__enzyme_fwdsplit of '{}': argument {} is a null pointer with a shadow; ferment's forward derivative keeps the primal address computations, so it needs the primal pointers given to the augmented forward pass",
                req.function.name(),
                i + 1
            ),
        )
        .hint("pass the same primal pointers as to __enzyme_augmentfwd, or use __enzyme_fwddiff"));
    }
    Ok(())
}

/// Forward mode of a function returning its struct through `sret`: the
/// primal result and the N tangent results get buffers in the caller's
/// frame (the tangent buffers zeroed before the call, so fields the
/// function leaves unwritten read as zero); `lower::fit_results` reads them.
fn materialize_sret(module: Module, req: &mut request::Request) {
    let Some(t) = req.sret_result else {
        return;
    };
    let eb = ferment_ir::Builder::new(module);
    eb.at_start(req.call.function_of().entry_block());
    let align = module.abi_align(t).max(8);
    let slot = |name: &str| {
        let a = eb.alloca(t, name);
        eb.set_alignment(a, align);
        a
    };
    let primal = slot("ferment.sret.primal");
    let arg = &mut req.args[0];
    arg.primal = primal;
    if req.mode != request::Mode::Forward {
        // Reverse mode: the shadow is the caller's adjoint buffer, or one
        // holding the seed the return marker asks for.
        if let Some(active) = req.sret_seed {
            let seed = slot("ferment.sret.seed");
            let b = ferment_ir::Builder::new(module);
            b.before(req.call);
            let v = if active {
                lower::ones_in_floats(&b, t)
            } else {
                b.zero(t)
            };
            let st = b.store(v, seed);
            b.set_alignment(st, align);
            req.args[0].shadow = Some(seed);
        }
        return;
    }
    let shadows: Vec<Value> = (0..req.width.max(1))
        .map(|_| slot("ferment.sret.tangent"))
        .collect();
    let b = ferment_ir::Builder::new(module);
    b.before(req.call);
    for s in &shadows {
        let st = b.store(b.zero(t), *s);
        b.set_alignment(st, align);
    }
    let arg = &mut req.args[0];
    arg.shadow = Some(shadows[0]);
    arg.lanes = shadows[1..].to_vec();
}

fn lower_request(ctx: &mut Ctx, req: &request::Request) -> Result<()> {
    let every = ctx.options.runtime_activity != 0;
    let module = ctx.module;
    if let Some(done) =
        runtime_activity::lower(module, req, every, &mut |r| lower_fixed_request(ctx, r))
    {
        return done;
    }
    lower_fixed_request(ctx, req)
}

/// [`lower_request`] with every argument's activity as the call gives it.
fn lower_fixed_request(ctx: &mut Ctx, req: &request::Request) -> Result<()> {
    if req.width > 1 {
        return batch::lower(ctx, req);
    }
    match ctx.get(&req.key()) {
        Ok(derivative) => lower::lower_call(ctx.module, req, derivative),
        Err(e) => {
            // Split mode of a function returning a pointer without a shadow
            // (into constant memory): the pair without the return's shadow.
            let ret = req.function.global_value_type().fn_return();
            if req.return_active && ret.is_pointer() {
                let mut plain = req.clone();
                plain.return_active = false;
                if let Ok(derivative) = ctx.get(&plain.key()) {
                    return lower::lower_call(ctx.module, &plain, derivative);
                }
            }
            Err(e.or_at(req.call))
        }
    }
}

/// A constant function passed for a parameter (`enzyme_const, g`): the
/// request goes to a private copy of the function with that parameter
/// replaced by `g`, so that calls through it become direct calls the
/// derivative can follow (an integrator or solver taking its right-hand
/// side as a callback). Copies are shared by requests passing the same
/// functions.
fn specialize_function_arguments(module: Module, req: &mut request::Request) {
    let f = req.function;
    if f.is_declaration() {
        return;
    }
    let params = f.params();
    let fixed: Vec<(usize, Value)> = req
        .args
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let g = a.primal.strip_casts();
            let used = params
                .get(i)
                .is_some_and(|p| p.ty().is_pointer() && p.has_uses());
            (a.activity == request::Activity::Const && g.is_function() && used).then_some((i, g))
        })
        .collect();
    if fixed.is_empty() {
        return;
    }
    let suffix: Vec<String> = fixed
        .iter()
        .map(|(i, g)| format!("{i}={}", g.name()))
        .collect();
    let name = format!("ferment.spec.{}.{}", f.name(), suffix.join(","));
    req.function = module.function(&name).unwrap_or_else(|| {
        let copy = crate::shim::clone_function(f, &name);
        let copy_params = copy.params();
        for &(i, g) in &fixed {
            copy_params[i].replace_all_uses_with(g);
        }
        copy
    });
}

/// The activity-analysis seeds of a request on `params` (the function's or
/// its canonical copy's parameters).
pub fn seeds_for(params: &[Value], key: &DerivativeKey) -> ferment_activity_analysis::Seeds {
    use request::Activity as A;
    let ptr = |i: usize| params.get(i).is_some_and(|p| p.ty().is_pointer());
    ferment_activity_analysis::Seeds {
        active_args: key
            .activities
            .iter()
            .enumerate()
            .map(|(i, a)| !ptr(i) && matches!(a, A::Active | A::Dup | A::DupNoNeed))
            .collect(),
        shadow_args: key
            .activities
            .iter()
            .enumerate()
            .map(|(i, a)| ptr(i) && a.has_shadow())
            .collect(),
        active_return: key.return_active,
        context_globals: key.context,
        shadow_globals: key.globals.clone(),
    }
}

/// A call, in `f` or a function of the module it calls (transitively), of
/// a function with a split forward rule and no registered gradient.
fn split_rule_call(f: Value) -> Option<Value> {
    let mut seen: HashSet<Value> = HashSet::new();
    let mut work = vec![f];
    let rules = crate::custom::CustomRules::read(f.global_parent());
    let protected = rules.functions();
    while let Some(g) = work.pop() {
        if !seen.insert(g) || seen.len() > 4096 || g.is_declaration() {
            continue;
        }
        for inst in g.instructions() {
            let Some(c) = inst.is_call().then(|| inst.called_function()).flatten() else {
                continue;
            };
            if rules.has_split(c) && !rules.has_gradient(c) {
                return Some(inst);
            }
            if !protected.contains(&c) {
                work.push(c);
            }
        }
    }
    None
}

/// Whether `f`, or a function of the module it calls (transitively), calls
/// through a function pointer (inline assembly aside).
fn reaches_indirect_call(f: Value) -> bool {
    let mut seen: HashSet<Value> = HashSet::new();
    let mut work = vec![f];
    while let Some(g) = work.pop() {
        if !seen.insert(g) || seen.len() > 4096 || g.is_declaration() {
            continue;
        }
        for inst in g.instructions() {
            if !inst.is_call() {
                continue;
            }
            match inst.called_function() {
                Some(c) => work.push(c),
                None => {
                    let callee = inst.called_operand();
                    if unsafe { llvm_sys::core::LLVMIsAInlineAsm(callee.0).is_null() } {
                        return true;
                    }
                }
            }
        }
    }
    false
}
