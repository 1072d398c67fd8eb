//! ferment: automatic differentiation of LLVM IR, loaded as a pass plugin.
//!
//! Role of this file: the FFI boundary. The host (clang, opt, flang, rustc)
//! finds `llvmGetPassPluginInfo`; the C++ shim registers the passes and calls
//! back into [`ferment_rust_run_module`]. No panic crosses this boundary: each
//! entry point catches unwinding and turns it into a diagnostic.
//!
//! Map: `frontend` parses `__enzyme_*` calls into requests and lowers them,
//! `prepare` makes the private canonical copy of a function, `reverse` and
//! `forward` generate derivatives using `rules` (the one table of derivative
//! rules) and the analyses in the `type-analysis` / `activity-analysis` crates;
//! `lanes` tidies the vectorizer's lane order in their reverse loops.

pub mod annotations;
pub mod cfg;
pub mod complex;
pub mod context;
pub mod custom;
pub mod cxx_types;
pub mod derive;
pub mod dispatch;
pub mod error;
pub mod fortran;
pub mod fortran_complex;
pub mod fortran_derived;
pub mod fortran_flags;
pub mod fortran_matrix;
pub mod fortran_pack;
pub mod forward;
pub mod frontend;
pub mod fwdsplit;
pub mod gpu;
pub mod inline_asm;
pub mod int_pointers;
pub mod kept_globals;
pub mod lanes;
pub mod openmp;
pub mod openmp_team;
pub mod openmp_unobserved;
pub mod prepare;
pub mod qsort;
pub mod retype;
pub mod reverse;
pub mod rules;
pub mod running_extrema;
pub mod selfcheck;
pub mod shadow;
pub mod shim;
pub mod struct_params;
pub mod timing;
pub mod undefined_reads;
pub mod winning_iteration;

use ferment_ir::Module;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// `llvm::PassPluginLibraryInfo` for LLVM_PLUGIN_API_VERSION 2.
#[repr(C)]
pub struct PassPluginLibraryInfo {
    pub api_version: u32,
    pub plugin_name: *const c_char,
    pub plugin_version: *const c_char,
    pub register_callbacks: unsafe extern "C" fn(*mut std::ffi::c_void),
    pub pre_codegen_callback: *const std::ffi::c_void,
}

/// LLVM 22's plugin API version.
const LLVM_PLUGIN_API_VERSION: u32 = 2;

/// Entry point the host looks up when it loads `libferment.so`.
#[no_mangle]
pub extern "C" fn llvmGetPassPluginInfo() -> PassPluginLibraryInfo {
    PassPluginLibraryInfo {
        api_version: LLVM_PLUGIN_API_VERSION,
        plugin_name: c"ferment".as_ptr(),
        plugin_version: concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char,
        register_callbacks: shim::ferment_register_pass_builder_callbacks,
        pre_codegen_callback: std::ptr::null(),
    }
}

/// Called by the shim's module pass. Returns 1 when the module changed.
///
/// # Safety
/// `module` must be a live module of the host; `options` points at the
/// shim's `FermentOptions`.
#[no_mangle]
pub unsafe extern "C" fn ferment_rust_run_module(
    module: llvm_sys::prelude::LLVMModuleRef,
    opt_level: u32,
    options: *const shim::Options,
) -> i32 {
    let module = Module(module);
    let options = if options.is_null() {
        shim::Options::default()
    } else {
        *options
    };
    retype::forget_outer_types();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _t = timing::scope("requests and lowering (rest)");
        let outcome = frontend::run_module(module, opt_level, &options);
        // -flto compile step: the link-time run checks requests from other
        // files against these tags.
        if options.prelink == 0 {
            struct_params::untag(module);
        }
        outcome
    }));
    retype::forget_outer_types();
    match result {
        Ok(outcome) => {
            for err in &outcome.errors {
                shim::report_error(module, &err.to_string());
            }
            if outcome.errors.is_empty() {
                let _t = timing::scope("final verifier");
                // Every function ferment made (derivatives and their
                // helpers) must be well formed: clang optimizes and emits a
                // module without verifying it, so an ill-formed one would
                // become wrong machine code instead of an error.
                for f in module.functions() {
                    if f.is_declaration() || !f.name().starts_with("ferment.") {
                        continue;
                    }
                    if let Err(report) = shim::verify_function(f) {
                        shim::report_error(
                            module,
                            &format!(
                                "ferment: internal error: '{}' failed LLVM's verifier:\n{report}",
                                f.name()
                            ),
                        );
                    }
                }
            }
            if !outcome.errors.is_empty() && host_ignores_errors() {
                // rustc's diagnostic handler drops generic LLVM errors: the
                // compile would succeed with the failed request replaced by
                // a trap. Say what went wrong and stop the compile.
                for err in &outcome.errors {
                    eprintln!("error: {err}");
                }
                eprintln!(
                    "error: ferment: {} error(s) while differentiating; stopping the compile",
                    outcome.errors.len()
                );
                std::process::exit(1);
            }
            timing::report("FermentPass");
            outcome.changed as i32
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            shim::report_error(
                module,
                &format!(
                    "ferment: internal error while differentiating (please report it with the input IR): {what}"
                ),
            );
            1
        }
    }
}

/// Called by the shim at the start of the host pipeline, before any
/// optimization: clears the `nuw` flags flang-22 puts on signed arithmetic
/// (see [`fortran_flags`]). Returns 1 when the module changed.
///
/// # Safety
/// `module` must be a live module of the host.
#[no_mangle]
pub unsafe extern "C" fn ferment_rust_repair_module(
    module: llvm_sys::prelude::LLVMModuleRef,
) -> i32 {
    let module = Module(module);
    match catch_unwind(AssertUnwindSafe(|| {
        let flags = fortran_flags::repair_wrapping_flags(module);
        struct_params::tag(module) | retype::tag_record_copies(module) | flags
    })) {
        Ok(changed) => changed as i32,
        Err(_) => {
            shim::report_error(
                module,
                "ferment: internal error while checking integer flags (please report it with the input IR)",
            );
            1
        }
    }
}

/// Whether the host compiler drops the errors ferment reports through
/// LLVM's diagnostic handler: rustc's handler ignores generic diagnostics.
/// (rustc exports `LLVMRustStringWriteImpl`, a hook of its LLVM wrapper,
/// into the process.)
fn host_ignores_errors() -> bool {
    extern "C" {
        fn dlsym(
            handle: *mut std::ffi::c_void,
            symbol: *const std::os::raw::c_char,
        ) -> *mut std::ffi::c_void;
    }
    // RTLD_DEFAULT (a null handle on glibc): the process's global scope.
    let sym = c"LLVMRustStringWriteImpl";
    unsafe { !dlsym(std::ptr::null_mut(), sym.as_ptr()).is_null() }
}

/// Called by the shim's function pass after the vectorizer, for ferment's
/// own functions: reorders lanes of vectorized downward loops (see
/// [`lanes`]). Returns 1 when the function changed.
///
/// # Safety
/// `function` must be a live function of the host.
#[no_mangle]
pub unsafe extern "C" fn ferment_rust_reorder_lanes(
    function: llvm_sys::prelude::LLVMValueRef,
) -> i32 {
    let f = ferment_ir::Value(function);
    let run = || {
        let _t = timing::scope("lane order");
        let lanes = lanes::reorder_lanes(f);
        let module = f.global_parent();
        let hoisted = gpu::is_gpu(module) && gpu::hoist_loads(module, f);
        lanes || hoisted
    };
    let result = catch_unwind(AssertUnwindSafe(run));
    if timing::enabled() {
        timing::report(&format!("FermentLanesPass on {}", f.name()));
    }
    match result {
        Ok(changed) => changed as i32,
        Err(_) => {
            shim::report_error(
                f.global_parent(),
                "ferment: internal error while reordering vector lanes (please report it with the input IR)",
            );
            1
        }
    }
}

/// Printer passes `print<ferment-types>` (which = 0) and
/// `print<ferment-activity>` (which = 1).
///
/// # Safety
/// `module` must be a live module of the host.
#[no_mangle]
pub unsafe extern "C" fn ferment_rust_print(
    module: llvm_sys::prelude::LLVMModuleRef,
    which: u32,
    all: i32,
) {
    let module = Module(module);
    let result = catch_unwind(AssertUnwindSafe(|| match which {
        0 => ferment_type_analysis::print_module(module, all != 0),
        _ => frontend::print_activity(module, all != 0),
    }));
    match result {
        Ok(text) => eprint!("{text}"),
        Err(_) => shim::report_error(module, "ferment: internal error in a printer pass"),
    }
}

// Unit tests run outside any host: link LLVM into the test binary only.
#[cfg(test)]
#[link(name = "LLVM-22")]
extern "C" {}
