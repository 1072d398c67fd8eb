//! Declarations of the C++ glue in `shim.cpp` and safe wrappers around it.
//!
//! Role: everything the Rust side needs from LLVM's C++ API (cloning,
//! re-signaturing, inlining, running a function pipeline, verifying,
//! diagnostics). Nothing here decides anything about differentiation.

use ferment_ir::{Module, Type, Value};
use llvm_sys::prelude::*;
use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_uint};

/// Command-line options, parsed by the shim (`-ferment-*`, `-enzyme-*`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub print: c_int,
    pub print_tape: c_int,
    pub preopt: c_int,
    pub inline_callees: c_int,
    pub loose_types: c_int,
    pub print_types: c_int,
    pub print_activity: c_int,
    pub all_useful: c_int,
    pub fast_math: c_int,
    /// `-ferment-check`: derivatives check themselves at run time (`selfcheck.rs`).
    pub self_check: c_int,
    /// The compile step of an `-flto` build: requests whose function is
    /// defined in another translation unit wait for the link-time run.
    pub prelink: c_int,
    /// `-ferment-packed-lanes`: batched forward mode packs the tangents of
    /// a float scalar into one `<N x T>` vector (measured slower or equal on
    /// benches/batched.sh, so not the default).
    pub packed_lanes: c_int,
    /// Large tape buffers are advised to use transparent huge pages
    /// (`reverse::tape::HUGE_TAPE_BYTES`); `-ferment-no-huge-pages` is 0.
    pub huge_pages: c_int,
    /// Large tape buffers are kept for the next gradient of the thread
    /// (`reverse::tape::tape_cache_helpers`); `-ferment-no-tape-cache` is 0.
    pub tape_cache: c_int,
    /// The tape cache takes row buffers of 64 KiB to 4 MiB from the tape
    /// arena (`reverse/tape/arena.c`) with `-ferment-tape-arena` (off by
    /// default: README's option list says why).
    pub tape_arena: c_int,
    /// A combined derivative's primal pointer parameters are `noalias`
    /// where the primal's are (`reverse::mark_restrict_params`);
    /// `-ferment-no-restrict-params` is 0.
    pub restrict_params: c_int,
    /// `-enzyme-vectorize-at-leaf-nodes` (Enzyme's interleaved batched
    /// shadows, one buffer of N-element vectors per argument): batched
    /// requests are an error under it.
    pub leaf_vectors: c_int,
    /// `-ferment-checkpoint=K`: a checkpointed time loop whose configuration
    /// gives no snapshot count stores its state every K steps (0: every
    /// ceil(sqrt(n)) steps; `reverse::checkpoint`).
    pub checkpoint: c_int,
    /// `-enzyme-runtime-activity`: every request behaves as if it carried
    /// the `enzyme_runtime_activity` marker.
    pub runtime_activity: c_int,
    /// The reverse sweep rebuilds a recomputed value once per block, not
    /// at every use (`reverse::tape::Tape::memo_begin`);
    /// `-ferment-no-reload-memo` is 0.
    pub reload_memo: c_int,
    /// A load may read a sibling loop's tape field
    /// (`reverse::tape::Tape::sibling_load`); `-ferment-no-sibling-loads`
    /// is 0.
    pub sibling_loads: c_int,
    /// Combined shape: a pure math call whose values reach only the dropped
    /// `ret` is rebuilt in the reverse sweep instead of taped
    /// (`reverse::tape::tape_only_calls`); `-ferment-no-recompute-calls`
    /// is 0.
    pub recompute_calls: c_int,
    /// Combined shape: an outermost loop whose iterations read data rows,
    /// write nothing and meet only in a sum the derivative drops runs each
    /// row's combined derivative in the reverse sweep (`reverse::rows`);
    /// 1 (the default) for loops whose rows unroll and jam by two,
    /// `-ferment-recompute-rows` 2 for every such loop,
    /// `-ferment-no-recompute-rows` and `-ferment-no-jam-rows` 0.
    pub recompute_rows: c_int,
    /// Loads of buffers swapped by pointers may read a snapshot of the
    /// buffer (`reverse::tape::snapshot`); `-ferment-no-swapped-snapshots`
    /// is 0.
    pub swapped_snapshots: c_int,
    /// Reverse mode guards the products of loaded factors behind one
    /// run-time test of the stored quotients
    /// (`reverse::loaded_factor_guards`): 2, also where a stored quotient
    /// is computed in a loop (its values tested as the forward sweep makes
    /// them); `-ferment-no-guard-loads` is 0, `-ferment-no-guard-loop-loads`
    /// 1 (origins in loops: no guard), `-ferment-guard-loop-loads` 3
    /// (origins in loops: guards without a test).
    pub guard_loads: c_int,
    /// A reverse function's adjoint slots are zeroed where they are used
    /// (`reverse::adjoint::Adjoints::localize`) when its slots times
    /// blocks reach this (`-ferment-localize-min-work=N`, default
    /// 1,000,000): SROA's cost of placing phis of zeros grows with that
    /// product (Eigen's unrolled LLT at -O3: 4706 slots, ~7000 blocks).
    /// Below it the derivatives stay as they were (the promotion leaves the
    /// same values, but orders phis differently, which later passes may
    /// see).
    pub localize_min_work: c_int,
    /// A combined-shape derivative with this many loop row buffers or
    /// more keeps its loop tape state in memory
    /// (`reverse::tape::Tape::keep_state_in_memory`,
    /// `-ferment-tape-state-memory=N`, default 64, 0: never): as SSA
    /// values the state of every buffer is a phi wherever paths around its
    /// loop merge, which the host's SLP vectorizer tries to bundle (Eigen's
    /// blocked LLT at -O3: 152 buffers, 12,166 phis).
    pub tape_state_memory: c_int,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            print: 0,
            print_tape: 0,
            preopt: 1,
            inline_callees: 1,
            loose_types: 0,
            print_types: 0,
            print_activity: 0,
            all_useful: 0,
            fast_math: 0,
            self_check: 0,
            prelink: 0,
            packed_lanes: 0,
            huge_pages: 1,
            tape_cache: 1,
            tape_arena: 0,
            restrict_params: 1,
            leaf_vectors: 0,
            checkpoint: 0,
            runtime_activity: 0,
            reload_memo: 1,
            sibling_loads: 1,
            recompute_calls: 1,
            recompute_rows: 1,
            swapped_snapshots: 1,
            guard_loads: 2,
            localize_min_work: 1_000_000,
            tape_state_memory: 64,
        }
    }
}

extern "C" {
    pub fn ferment_register_pass_builder_callbacks(pb: *mut std::ffi::c_void);
    fn ferment_clone_function(f: LLVMValueRef, name: *const c_char) -> LLVMValueRef;
    fn ferment_move_body(old: LLVMValueRef, new: LLVMValueRef);
    fn ferment_watch(v: LLVMValueRef) -> *mut std::ffi::c_void;
    fn ferment_watched_alive(h: *mut std::ffi::c_void) -> c_int;
    fn ferment_unwatch(h: *mut std::ffi::c_void);
    fn ferment_copy_fn_attributes(from: LLVMValueRef, to: LLVMValueRef);
    fn ferment_same_function(a: LLVMValueRef, b: LLVMValueRef) -> c_int;
    fn ferment_change_to_unreachable(inst: LLVMValueRef);
    fn ferment_detach(inst: LLVMValueRef);
    fn ferment_invoke_calls(
        calls: *mut LLVMValueRef,
        n: c_uint,
        orig: LLVMBasicBlockRef,
        unwind: LLVMBasicBlockRef,
    );
    fn ferment_infer_lib_attributes(m: LLVMModuleRef) -> c_uint;
    fn ferment_replace_global_in_function(g: LLVMValueRef, new: LLVMValueRef, f: LLVMValueRef);
    fn ferment_inline_calls(
        f: LLVMValueRef,
        max_insts: c_uint,
        keep: *mut LLVMValueRef,
        n_keep: c_uint,
    ) -> c_uint;
    fn ferment_fix_variadic_calls(
        f: LLVMValueRef,
        keep: *mut LLVMValueRef,
        n_keep: c_uint,
    ) -> c_uint;
    fn ferment_reads_var_args(f: LLVMValueRef) -> c_int;
    fn ferment_time_report_option() -> c_int;
    fn ferment_outline_sum_rows(
        f: LLVMValueRef,
        out: *mut LLVMValueRef,
        max: c_uint,
        mode: c_uint,
    ) -> c_uint;
    fn ferment_inline_call(call: LLVMValueRef) -> c_int;
    fn ferment_run_function_pipeline(
        f: LLVMValueRef,
        pipeline: *const c_char,
        err: *mut c_char,
        len: usize,
    ) -> c_int;
    fn ferment_verify_function(f: LLVMValueRef, err: *mut c_char, len: usize) -> c_int;
    fn ferment_unswitch_zero_adjoints(
        f: LLVMValueRef,
        pipeline: *const c_char,
        threshold: c_int,
        err: *mut c_char,
        len: usize,
    ) -> c_int;
    fn ferment_demangle(name: *const c_char, out: *mut c_char, len: usize) -> c_int;
    fn ferment_sink_stores(f: LLVMValueRef) -> c_uint;
    fn ferment_share_guard_tests(f: LLVMValueRef) -> c_uint;
    fn ferment_version_finite_guards(
        f: LLVMValueRef,
        min_guards: c_uint,
        max_insts: c_uint,
    ) -> c_uint;
    fn ferment_drop_guard_marks(f: LLVMValueRef);
    fn ferment_hoist_carried_loads(f: LLVMValueRef) -> c_uint;
    fn ferment_peel_last_iterations(f: LLVMValueRef) -> c_uint;
    fn ferment_forward_guarded_stores(f: LLVMValueRef) -> c_uint;
    fn ferment_keep_loop_rolled(latch_branch: LLVMValueRef);
    fn ferment_no_runtime_unroll(f: LLVMValueRef) -> u32;
    fn ferment_jam_serial_sums(f: LLVMValueRef) -> c_uint;
    fn ferment_lean_helper_loops(f: LLVMValueRef, rolled: i32) -> u32;
    fn ferment_avoid_tape_gathers(f: LLVMValueRef) -> c_int;
    fn ferment_print_inner_pass_times();
    fn ferment_guard_zero_accumulations(f: LLVMValueRef) -> c_uint;
    fn ferment_rotate_accumulations(f: LLVMValueRef) -> c_uint;
    fn ferment_omp_publish_ranges() -> c_int;
    fn ferment_site_ranges(
        f: LLVMValueRef,
        sites: *mut LLVMValueRef,
        n: c_uint,
        lo: *mut LLVMValueRef,
        hi: *mut LLVMValueRef,
    ) -> LLVMValueRef;
    fn ferment_split_private_loops(
        f: LLVMValueRef,
        conds: *mut LLVMValueRef,
        n: c_uint,
        avoid: *mut LLVMValueRef,
        m: c_uint,
    ) -> c_uint;
    fn ferment_report_error(m: LLVMModuleRef, msg: *const c_char);
    fn ferment_report_warning(m: LLVMModuleRef, msg: *const c_char);
    fn ferment_call_arg_is_sret(call: LLVMValueRef, arg: c_uint) -> c_int;
    fn ferment_call_arg_byval_type(call: LLVMValueRef, arg: c_uint) -> LLVMTypeRef;
    fn ferment_fn_param_sret_type(f: LLVMValueRef, arg: c_uint) -> LLVMTypeRef;
    fn ferment_if_then_after(cond: LLVMValueRef) -> LLVMValueRef;
    fn ferment_if_then_else_after(
        cond: LLVMValueRef,
        then: *mut LLVMValueRef,
        els: *mut LLVMValueRef,
    );
    fn ferment_affine_rows(
        f: LLVMValueRef,
        headers: *const LLVMBasicBlockRef,
        slots: *const LLVMValueRef,
        idx: *const LLVMValueRef,
        bump: *const LLVMValueRef,
        n: c_uint,
        done: *mut c_int,
    ) -> c_uint;
    fn ferment_hoisted_ranges(
        f: LLVMValueRef,
        insts: *const LLVMValueRef,
        ptrs: *const LLVMValueRef,
        n: c_uint,
        lo: *mut LLVMValueRef,
        hi: *mut LLVMValueRef,
        at: *mut LLVMValueRef,
    );
    fn ferment_loop_exit_points(i: LLVMValueRef, out: *mut LLVMValueRef, max: c_uint) -> c_uint;
    fn ferment_frontier_rereads(
        f: LLVMValueRef,
        loads: *const LLVMValueRef,
        stores: *const LLVMValueRef,
        n: c_uint,
        out: *mut c_int,
    );
    fn ferment_offset_ranges(
        f: LLVMValueRef,
        base: LLVMValueRef,
        ptrs: *const LLVMValueRef,
        n: c_uint,
        lo: *mut i64,
        hi: *mut i64,
        known: *mut c_int,
    );
    fn ferment_header_trip_bounds(
        f: LLVMValueRef,
        headers: *const LLVMBasicBlockRef,
        n: c_uint,
        out: *mut LLVMValueRef,
        out_pre: *mut LLVMBasicBlockRef,
        out_nest: *mut LLVMValueRef,
        out_nest_pre: *mut LLVMBasicBlockRef,
        out_nest_covers: *mut c_int,
    );
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// A private (internal, optimizable) copy of `f` named `name`.
pub fn clone_function(f: Value, name: &str) -> Value {
    let n = cstring(name);
    Value(unsafe { ferment_clone_function(f.0, n.as_ptr()) })
}

/// Inlines defined callees into `f` (not through recursion). Returns the count.
/// Functions in `keep` stay calls.
pub fn inline_calls(f: Value, max_insts: u32, keep: &[Value]) -> u32 {
    let mut raw: Vec<LLVMValueRef> = keep.iter().map(|v| v.0).collect();
    unsafe { ferment_inline_calls(f.0, max_insts, raw.as_mut_ptr(), raw.len() as c_uint) }
}

/// Makes each direct call in `f` of a defined variadic function that reads
/// its `...` (except those in `keep`) a call of the callee's copy with
/// fixed parameters, `<callee>.ferment.va.<types>` (see `variadic.cpp`;
/// x86-64 System V only). Returns the number of calls changed.
pub fn fix_variadic_calls(f: Value, keep: &[Value]) -> u32 {
    let mut raw: Vec<LLVMValueRef> = keep.iter().map(|v| v.0).collect();
    unsafe { ferment_fix_variadic_calls(f.0, raw.as_mut_ptr(), raw.len() as c_uint) }
}

/// Whether `f` is a defined variadic function that reads its `...`
/// (calls `va_start`).
pub fn reads_var_args(f: Value) -> bool {
    unsafe { ferment_reads_var_args(f.0) != 0 }
}

/// Runs `pipeline` on `f` with LLVM's `-unswitch-threshold` raised to
/// `threshold`, when some loop of `f` tests a loop-invariant value against
/// zero (see the shim); `Ok(false)` when it did not run.
pub fn unswitch_zero_adjoints(f: Value, pipeline: &str, threshold: i32) -> Result<bool, String> {
    let p = cstring(pipeline);
    let mut buf = vec![0 as c_char; 4096];
    let rc = unsafe {
        ferment_unswitch_zero_adjoints(f.0, p.as_ptr(), threshold, buf.as_mut_ptr(), buf.len())
    };
    match rc {
        0 => Ok(true),
        -1 => Ok(false),
        _ => Err(unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()),
    }
}

/// Outlines the rows of `f`'s outermost loops whose iterations only add
/// to one floating-point sum (see `reverse::rows` and the shim); returns
/// the new functions, `ferment.rows.*`.
pub fn outline_sum_rows(f: Value, mode: u32) -> Vec<Value> {
    let mut out = vec![std::ptr::null_mut(); 16];
    let n = unsafe { ferment_outline_sum_rows(f.0, out.as_mut_ptr(), out.len() as c_uint, mode) };
    out.truncate(n as usize);
    out.into_iter().map(Value).collect()
}

/// Inlines the direct call `call`; false where LLVM could not.
pub fn inline_call(call: Value) -> bool {
    unsafe { ferment_inline_call(call.0) != 0 }
}

/// Whether the host was given `-ferment-time-report` (see `timing.rs`).
pub fn time_report_option() -> bool {
    unsafe { ferment_time_report_option() != 0 }
}

/// Runs a textual function pipeline on `f`.
pub fn run_function_pipeline(f: Value, pipeline: &str) -> Result<(), String> {
    let p = cstring(pipeline);
    let mut buf = vec![0 as c_char; 4096];
    let rc = unsafe { ferment_run_function_pipeline(f.0, p.as_ptr(), buf.as_mut_ptr(), buf.len()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned())
    }
}

/// Moves stores down their blocks past pure arithmetic (see the shim);
/// returns how many moved.
pub fn sink_stores(f: Value) -> u32 {
    unsafe { ferment_sink_stores(f.0) }
}

/// Makes the guarded products of a chain test the chain's first zero
/// test instead of each its own adjoint (see the shim); returns how many
/// guards changed. Only guards marked by `rules::may_share_test` share
/// (a guard that lost its mark keeps its own test; [`drop_guard_marks`]
/// removes the marks afterwards).
pub fn share_guard_tests(f: Value) -> u32 {
    unsafe { ferment_share_guard_tests(f.0) }
}

/// Copies the body of `f`, a function without loops, behind one run-time
/// test that the factors of its zero-adjoint guards are finite, the copy
/// entered where it holds without those guards (`finite_version.cpp`);
/// only where at least `min_guards` go and `f` has at most `max_insts`
/// instructions. Returns how many guards the copy dropped (0: unchanged;
/// always 0 under `-ferment-no-version-guards`).
pub fn version_finite_guards(f: Value, min_guards: u32, max_insts: u32) -> u32 {
    unsafe { ferment_version_finite_guards(f.0, min_guards, max_insts) }
}

/// Drops the marks of `rules::may_share_test` (read only by
/// [`share_guard_tests`]), so that they do not reach the output.
pub fn drop_guard_marks(f: Value) {
    unsafe { ferment_drop_guard_marks(f.0) }
}

/// Moves into the header of each innermost loop the loads that read the
/// element the loop stored one iteration before, where they run on every
/// iteration behind branches that write nothing (see the shim), so that
/// loop-load elimination forwards the stored value. Returns how many moved.
pub fn hoist_carried_loads(f: Value) -> u32 {
    unsafe { ferment_hoist_carried_loads(f.0) }
}

/// Peels the last iteration off a loop whose test of its induction variable
/// against a loop-invariant bound (`i < n - 1 ? y[i + 1] : y[i]`) has one
/// value in the last iteration and the other in all earlier ones, so the
/// loop left has no such test (see the shim). Returns how many loops lost
/// their last iteration.
pub fn peel_last_iterations(f: Value) -> u32 {
    unsafe { ferment_peel_last_iterations(f.0) }
}

/// Replaces a load by the value one earlier store wrote to its element when
/// no write on any path between them may touch it, stores into the same
/// object cleared by the branch tests on their way (`i != k`; see the shim).
/// Returns how many loads went.
pub fn forward_guarded_stores(f: Value) -> u32 {
    unsafe { ferment_forward_guarded_stores(f.0) }
}

/// `FERMENT_TIME`: prints (and forgets) the own time of each pass that
/// [`run_function_pipeline`] ran since the last call.
pub fn print_inner_pass_times() {
    unsafe { ferment_print_inner_pass_times() }
}

/// Marks the loop whose latch ends in `latch_branch` to stay a rolled
/// scalar loop (`llvm.loop.unroll.disable`, vectorization off): for the
/// small search loops of ferment's helpers, whose unrolled copies would only
/// cost compile time.
pub fn keep_loop_rolled(latch_branch: Value) {
    unsafe { ferment_keep_loop_rolled(latch_branch.0) }
}

/// Tells the host not to runtime-unroll the loops of `f` that contain other
/// loops (not with `-ferment-unroll-outer`), nor the scalar loop the
/// vectorizer keeps beside a loop it vectorizes (a
/// `llvm.loop.vectorize.followup_epilogue` on the other innermost loops; not
/// with `-ferment-unroll-fallbacks`), nor the innermost loops of `f` that
/// call a library function (`exp`, `log`... also as intrinsics; not with
/// `-ferment-unroll-calls`) and, only with `-ferment-no-unroll-runtime`
/// (off by default), those that store tape rows (loop metadata
/// `llvm.loop.unroll.runtime.disable` on each such innermost loop): such a
/// scalar loop would otherwise be copied 2-8 times behind a remainder loop,
/// code the host then optimizes and compiles for no measured speed. The
/// other loops keep the host's treatment. Returns how many loops it marked.
pub fn no_runtime_unroll(f: Value) -> u32 {
    unsafe { ferment_no_runtime_unroll(f.0) }
}

/// Runs two independent iterations at a time of a loop whose inner loop is
/// a floating-point sum in source order, the two inner loops fused
/// (unroll-and-jam), where every memory access of the loop is proven apart
/// across its iterations (see the shim). Returns how many loops changed.
pub fn jam_serial_sums(f: Value) -> u32 {
    unsafe { ferment_jam_serial_sums(f.0) }
}

/// Gives each innermost loop of `f` (a matrix helper of the BLAS and LAPACK
/// rules) one interleave, so no vectorized epilogue either, or with `rolled`
/// keeps it a rolled scalar loop (for helpers that read `X[j,i]`, whose
/// only vector plan assumes a leading dimension of 1). Returns how many
/// loops it marked.
pub fn lean_helper_loops(f: Value, rolled: bool) -> u32 {
    unsafe { ferment_lean_helper_loops(f.0, i32::from(rolled)) }
}

/// On x86 with AVX-512: a derivative whose loops store or load tape rows
/// of several fields prefers no gathers and scatters (see the shim,
/// `-ferment-tape-gathers` turns it off). Returns whether it changed `f`.
pub fn avoid_tape_gathers(f: Value) -> bool {
    unsafe { ferment_avoid_tape_gathers(f.0) != 0 }
}

/// Puts accumulations of adjoints that are zero on one side of a branch
/// under a test of that adjoint (see the shim); returns how many.
pub fn guard_zero_accumulations(f: Value) -> u32 {
    unsafe { ferment_guard_zero_accumulations(f.0) }
}

/// Turns a loop's read-modify-writes of neighbouring shadow elements into
/// partial sums carried in registers and one read-modify-write per
/// iteration (see the shim); returns how many loops changed.
pub fn rotate_accumulations(f: Value) -> u32 {
    unsafe { ferment_rotate_accumulations(f.0) }
}

/// Whether `-ferment-omp-publish-ranges` asks the team copies of OpenMP
/// regions' reverses to publish their private ranges at a barrier
/// (`openmp_team::frame_computable` not tried).
pub fn omp_publish_ranges() -> bool {
    unsafe { ferment_omp_publish_ranges() != 0 }
}

/// For the atomic read-modify-writes `sites` of `f`: the terminator of a
/// block that dominates them all and lies on no cycle, and the byte range
/// `[lo, hi)` (i64 values computed before that terminator) each site's
/// address covers over all its executions; `None` (and `f` unchanged) when
/// some address is not affine in its loops or not computable there.
pub fn site_ranges(f: Value, sites: &[Value]) -> Option<(Value, Vec<(Value, Value)>)> {
    let mut raw: Vec<LLVMValueRef> = sites.iter().map(|s| s.0).collect();
    let mut lo = vec![std::ptr::null_mut(); sites.len()];
    let mut hi = vec![std::ptr::null_mut(); sites.len()];
    let at = unsafe {
        ferment_site_ranges(
            f.0,
            raw.as_mut_ptr(),
            raw.len() as c_uint,
            lo.as_mut_ptr(),
            hi.as_mut_ptr(),
        )
    };
    if at.is_null() {
        return None;
    }
    Some((
        Value(at),
        lo.into_iter()
            .zip(hi)
            .map(|(l, h)| (Value(l), Value(h)))
            .collect(),
    ))
}

/// Splits each loop of `f` holding some of the private-range tests `conds`
/// (`icmp ult` of an affine offset against an invariant span, see
/// `openmp_team::accumulate`) into the iterations before, within and after
/// the block where all its tests hold, the tests made `true` in the middle
/// loop, and the buffer checks `avoid` (same form, over the buffers'
/// descriptors, which keep their entry values where every test holds)
/// made `false` there, the block cut to the larger side of any iteration
/// where one could hold; returns how many loops were split.
pub fn split_private_loops(f: Value, conds: &[Value], avoid: &[Value]) -> u32 {
    let mut raw: Vec<LLVMValueRef> = conds.iter().map(|c| c.0).collect();
    let mut raw2: Vec<LLVMValueRef> = avoid.iter().map(|c| c.0).collect();
    unsafe {
        ferment_split_private_loops(
            f.0,
            raw.as_mut_ptr(),
            raw.len() as c_uint,
            raw2.as_mut_ptr(),
            raw2.len() as c_uint,
        )
    }
}

/// `Ok` when `f` passes LLVM's verifier, else the verifier's report.
pub fn verify_function(f: Value) -> Result<(), String> {
    let mut buf = vec![0 as c_char; 16384];
    let rc = unsafe { ferment_verify_function(f.0, buf.as_mut_ptr(), buf.len()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned())
    }
}

/// The demangled C++ signature of an Itanium-mangled name (`_Z...`).
pub fn demangle(name: &str) -> Option<String> {
    let c = cstring(name);
    let mut buf = vec![0 as c_char; 4096];
    let ok = unsafe { ferment_demangle(c.as_ptr(), buf.as_mut_ptr(), buf.len()) };
    (ok != 0).then(|| {
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    })
}

/// Reports an error diagnostic through the host (fails the compile).
pub fn report_error(m: Module, msg: &str) {
    let c = cstring(msg);
    unsafe { ferment_report_error(m.0, c.as_ptr()) }
}

/// Reports a warning diagnostic through the host (the compile goes on).
pub fn report_warning(m: Module, msg: &str) {
    let c = cstring(msg);
    unsafe { ferment_report_warning(m.0, c.as_ptr()) }
}

/// Whether argument `arg` of call `call` is an `sret` pointer.
pub fn call_arg_is_sret(call: Value, arg: u32) -> bool {
    unsafe { ferment_call_arg_is_sret(call.0, arg) != 0 }
}

/// The `byval` type of argument `arg` of call `call` (a struct the C ABI
/// passes in memory), if it has one.
pub fn call_arg_byval_type(call: Value, arg: u32) -> Option<Type> {
    let t = unsafe { ferment_call_arg_byval_type(call.0, arg) };
    (!t.is_null()).then_some(Type(t))
}

/// The `sret` type of parameter `arg` of function `f` (a struct the C ABI
/// returns through a hidden pointer), if it has one.
pub fn fn_param_sret_type(f: Value, arg: u32) -> Option<Type> {
    let t = unsafe { ferment_fn_param_sret_type(f.0, arg) };
    (!t.is_null()).then_some(Type(t))
}

/// Splits `cond`'s block after `cond`, branching on it into a new unlikely
/// block that falls through to the rest; returns that block's terminator.
pub fn if_then_after(cond: Value) -> Value {
    Value(unsafe { ferment_if_then_after(cond.0) })
}

/// Splits `cond`'s block after `cond`, branching on it into a likely block
/// (true) and another (false), both falling through to the rest; returns
/// their terminators.
pub fn if_then_else_after(cond: Value) -> (Value, Value) {
    let (mut t, mut e) = (std::ptr::null_mut(), std::ptr::null_mut());
    unsafe { ferment_if_then_else_after(cond.0, &mut t, &mut e) };
    (Value(t), Value(e))
}

/// A loop's tape counter as the forward function keeps it: the loop's
/// header, the counter's slot, the header's load of it (the row of the
/// iteration) and its store of the next row.
pub struct RowCounter {
    pub header: ferment_ir::Block,
    pub slot: Value,
    pub idx: Value,
    pub bump: Value,
}

/// Rows from iteration numbers: rewrites each counter the shim can (exact
/// counts in a nest, see `ferment_affine_rows`) into `base + iter` with the
/// counter advanced once before the nest; which ones it rewrote.
pub fn affine_rows(f: Value, counters: &[RowCounter]) -> Vec<bool> {
    let n = counters.len();
    let headers: Vec<LLVMBasicBlockRef> = counters.iter().map(|c| c.header.0).collect();
    let slots: Vec<LLVMValueRef> = counters.iter().map(|c| c.slot.0).collect();
    let idx: Vec<LLVMValueRef> = counters.iter().map(|c| c.idx.0).collect();
    let bump: Vec<LLVMValueRef> = counters.iter().map(|c| c.bump.0).collect();
    let mut done: Vec<c_int> = vec![0; n];
    unsafe {
        ferment_affine_rows(
            f.0,
            headers.as_ptr(),
            slots.as_ptr(),
            idx.as_ptr(),
            bump.as_ptr(),
            n as c_uint,
            done.as_mut_ptr(),
        );
    }
    done.into_iter().map(|d| d != 0).collect()
}

/// A bound on a loop's iterations, expanded where the tape can reserve rows.
#[derive(Clone, Copy)]
pub struct TripBound {
    /// Upper bound (i64) on the header's executions per entry of the loop,
    /// valid at the end of `preheader`.
    pub trips: Value,
    pub preheader: ferment_ir::Block,
    /// Bound on the header's executions during one entry of the outermost
    /// enclosing loop that keeps the count invariant, with that loop's
    /// preheader (see the shim).
    pub nest: Option<(Value, ferment_ir::Block)>,
    /// Whether `nest` provably bounds the header's executions during one
    /// entry of the nest (false where a narrow count's sign extension may
    /// lose it: the loop's own entry then checks again).
    pub nest_covers: bool,
}

/// For each pointer in `ptrs` (of `f`): the lowest and highest byte offset
/// from `base` it takes, by scalar evolution over the loops around it;
/// `None` where unbounded.
pub fn offset_ranges(f: Value, base: Value, ptrs: &[Value]) -> Vec<Option<(i64, i64)>> {
    let raw: Vec<LLVMValueRef> = ptrs.iter().map(|p| p.0).collect();
    let n = raw.len();
    let (mut lo, mut hi, mut known) = (vec![0i64; n], vec![0i64; n], vec![0 as c_int; n]);
    unsafe {
        ferment_offset_ranges(
            f.0,
            base.0,
            raw.as_ptr(),
            n as c_uint,
            lo.as_mut_ptr(),
            hi.as_mut_ptr(),
            known.as_mut_ptr(),
        );
    }
    (0..n)
        .map(|k| (known[k] != 0).then_some((lo[k], hi[k])))
        .collect()
}

/// For each loop header of `f`: its [`TripBound`], computed by scalar
/// evolution; `None` where unbounded.
pub fn header_trip_bounds(f: Value, headers: &[ferment_ir::Block]) -> Vec<Option<TripBound>> {
    let raw: Vec<LLVMBasicBlockRef> = headers.iter().map(|h| h.0).collect();
    let n = raw.len();
    let mut out: Vec<LLVMValueRef> = vec![std::ptr::null_mut(); n];
    let mut pre: Vec<LLVMBasicBlockRef> = vec![std::ptr::null_mut(); n];
    let mut nest: Vec<LLVMValueRef> = vec![std::ptr::null_mut(); n];
    let mut nest_pre: Vec<LLVMBasicBlockRef> = vec![std::ptr::null_mut(); n];
    let mut nest_covers: Vec<c_int> = vec![0; n];
    unsafe {
        ferment_header_trip_bounds(
            f.0,
            raw.as_ptr(),
            n as c_uint,
            out.as_mut_ptr(),
            pre.as_mut_ptr(),
            nest.as_mut_ptr(),
            nest_pre.as_mut_ptr(),
            nest_covers.as_mut_ptr(),
        );
    }
    (0..n)
        .map(|k| {
            (!out[k].is_null()).then(|| TripBound {
                trips: Value(out[k]),
                preheader: ferment_ir::Block(pre[k]),
                nest: (!nest[k].is_null())
                    .then(|| (Value(nest[k]), ferment_ir::Block(nest_pre[k]))),
                nest_covers: !nest[k].is_null() && nest_covers[k] != 0,
            })
        })
        .collect()
}

/// For each access `(instruction, address)` of `f`: the lowest and highest
/// address it takes over the loops it hoists out of, and the instruction
/// before which those two are computed (the outermost such loop's
/// preheader's terminator); `None` where it does not hoist (see the shim's
/// `ferment_hoisted_ranges`: only accesses that run in every iteration,
/// at invariant or affine addresses, so the range is exact).
pub fn hoisted_ranges(f: Value, accesses: &[(Value, Value)]) -> Vec<Option<(Value, Value, Value)>> {
    let n = accesses.len();
    let insts: Vec<LLVMValueRef> = accesses.iter().map(|a| a.0 .0).collect();
    let ptrs: Vec<LLVMValueRef> = accesses.iter().map(|a| a.1 .0).collect();
    let mut lo: Vec<LLVMValueRef> = vec![std::ptr::null_mut(); n];
    let mut hi: Vec<LLVMValueRef> = vec![std::ptr::null_mut(); n];
    let mut at: Vec<LLVMValueRef> = vec![std::ptr::null_mut(); n];
    unsafe {
        ferment_hoisted_ranges(
            f.0,
            insts.as_ptr(),
            ptrs.as_ptr(),
            n as c_uint,
            lo.as_mut_ptr(),
            hi.as_mut_ptr(),
            at.as_mut_ptr(),
        );
    }
    (0..n)
        .map(|k| (!at[k].is_null()).then(|| (Value(lo[k]), Value(hi[k]), Value(at[k]))))
        .collect()
}

/// The first insertion points of the exit blocks of the innermost loop
/// around instruction `i`; `None` where it is in no loop or the loop has
/// more than 8 exits.
pub fn loop_exit_points(i: Value) -> Option<Vec<Value>> {
    let mut out: Vec<LLVMValueRef> = vec![std::ptr::null_mut(); 8];
    let n = unsafe { ferment_loop_exit_points(i.0, out.as_mut_ptr(), 8) } as usize;
    (n > 0 && n <= 8).then(|| out[..n].iter().map(|&v| Value(v)).collect())
}

/// For each (load, store) pair of `f`: whether the store, a loop's write
/// moving one way element by element (`y[i] = ...`), never writes a byte the
/// load read after the load ran (the load reads elements the store passed
/// in earlier iterations: `y[j]`, `j < i`); see `ferment_frontier_rereads`.
pub fn frontier_rereads(f: Value, pairs: &[(Value, Value)]) -> Vec<bool> {
    let loads: Vec<LLVMValueRef> = pairs.iter().map(|p| p.0 .0).collect();
    let stores: Vec<LLVMValueRef> = pairs.iter().map(|p| p.1 .0).collect();
    let mut out: Vec<c_int> = vec![0; pairs.len()];
    unsafe {
        ferment_frontier_rereads(
            f.0,
            loads.as_ptr(),
            stores.as_ptr(),
            pairs.len() as c_uint,
            out.as_mut_ptr(),
        );
    }
    out.into_iter().map(|o| o != 0).collect()
}

/// Whether a value still exists: LLVM clears the handle when the value is
/// deleted. A cache keyed by values that lives across deletions keeps one
/// per key and drops an entry whose value is gone; otherwise a new object
/// made at the freed address would take the entry over.
pub struct Watched(*mut std::ffi::c_void);

impl Watched {
    pub fn new(v: Value) -> Watched {
        Watched(unsafe { ferment_watch(v.0) })
    }

    pub fn alive(&self) -> bool {
        unsafe { ferment_watched_alive(self.0) != 0 }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        unsafe { ferment_unwatch(self.0) }
    }
}

/// Moves the body of `old` into the declaration `new` (whose first
/// parameters match `old`'s); `old` is erased.
pub fn move_body(old: Value, new: Value) {
    unsafe { ferment_move_body(old.0, new.0) }
}

/// Gives the module's library declarations LLVM's inferred attributes
/// (`noalias` malloc/realloc results...); returns how many changed.
pub fn infer_lib_attributes(m: ferment_ir::Module) -> u32 {
    unsafe { ferment_infer_lib_attributes(m.0) }
}

/// Replaces the uses of global `g` inside function `f` (also inside its
/// constant expressions) by `new`.
pub fn replace_global_in_function(g: Value, new: Value, f: Value) {
    unsafe { ferment_replace_global_in_function(g.0, new.0, f.0) }
}

/// Instructions a derivative's generation took out of their blocks
/// instead of erasing them: each is detached (out of its block, operands
/// dropped; it must have no uses left) and stays allocated until this list
/// is dropped, with the generator that owns it. While the generator's maps
/// hold handles to them as keys (activity facts, per-call flags, the
/// analyses taken before the walk), no instruction made meanwhile can take
/// a freed one's address and inherit their facts.
#[derive(Default)]
pub struct Detached(Vec<Value>);

impl Detached {
    /// Detaches `inst` (in place of erasing it) and keeps it until drop.
    pub fn keep(&mut self, inst: Value) {
        unsafe { ferment_detach(inst.0) }
        self.0.push(inst);
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        for inst in self.0.drain(..) {
            unsafe { llvm_sys::core::LLVMDeleteInstruction(inst.0) }
        }
    }
}

/// Ends the block at `inst` with `unreachable`: `inst` and what follows it
/// are erased, and the successors' phis forget the block.
pub fn change_to_unreachable(inst: Value) {
    unsafe { ferment_change_to_unreachable(inst.0) }
}

/// The calls among `calls` that may throw, made in place of an `invoke` that ended block `orig`
/// and unwound to `unwind`, become invokes unwinding there (each splits its
/// block); the landing pad's phis are kept consistent.
pub fn invoke_calls(calls: &[Value], orig: ferment_ir::Block, unwind: ferment_ir::Block) {
    let mut raw: Vec<LLVMValueRef> = calls.iter().map(|c| c.0).collect();
    unsafe { ferment_invoke_calls(raw.as_mut_ptr(), raw.len() as c_uint, orig.0, unwind.0) }
}

/// Whether the definitions `a` and `b` compute the same thing, instruction for instruction
/// (operands, flags, attributes and metadata; loop IDs, debug locations and names aside).
pub fn same_function(a: Value, b: Value) -> bool {
    unsafe { ferment_same_function(a.0, b.0) != 0 }
}

/// Gives `to` the function attributes of `from` (minus optnone/noinline).
pub fn copy_fn_attributes(from: Value, to: Value) {
    unsafe { ferment_copy_fn_attributes(from.0, to.0) }
}
