//! Markers and entry points of Enzyme's calling convention, and Rust's
//! `std::autodiff` attribute macros, for Rust programs compiled with the
//! ferment plugin loaded into rustc.
//!
//! # The attribute macros
//!
//! [`autodiff_reverse`] and [`autodiff_forward`] have `std::autodiff`'s
//! syntax and generate the same signatures (see the `ferment-macros` crate
//! for the activities):
//!
//! ```ignore
//! use ferment_runtime::{autodiff_forward, autodiff_reverse};
//!
//! #[autodiff_reverse(df, Active, Active)] // fn df(x: f64, dret: f64) -> (f64, f64)
//! #[autodiff_forward(tf, Dual, Dual)]     // fn tf(x: f64, bx_0: f64) -> (f64, f64)
//! fn f(x: f64) -> f64 {
//!     x * x.sin()
//! }
//! ```
//!
//! With cargo, put this in `.cargo/config.toml` (with your plugin's path):
//!
//! ```toml
//! [build]
//! rustflags = ["-Zllvm-plugins=/usr/local/lib/libferment.so"]
//! [env]
//! RUSTC_BOOTSTRAP = "1"
//! [profile.dev]
//! codegen-units = 1
//! [profile.release]
//! codegen-units = 1
//! ```
//!
//! The macros stop with a compile error naming what to set when the plugin
//! is not loaded or the crate has several codegen units.
//!
//! # The raw interface
//!
//! Role: declarations only. Nothing here is defined: when rustc runs with
//! the plugin, every call to a function whose name contains
//! `__enzyme_autodiff` / `__enzyme_fwddiff` is replaced by a call to a
//! generated derivative, and every reference to a marker is removed. Built
//! without the plugin, a program that uses them fails to link.
//!
//! ## Using it from Rust
//!
//! rustc 1.95 is built on LLVM 22.1, the same LLVM as clang-22, so the same
//! `libferment.so` loads into it. `-Z llvm-plugins` is unstable;
//! `RUSTC_BOOTSTRAP=1` lets a stable rustc accept it:
//!
//! ```text
//! RUSTC_BOOTSTRAP=1 rustc -C opt-level=2 -C codegen-units=1 \
//!     -Z llvm-plugins=$PWD/target/release/libferment.so demo.rs
//! ```
//!
//! (`-C codegen-units=1` keeps the differentiated function and its caller in
//! one LLVM module; the plugin only sees the module it runs on.) With cargo:
//! the `.cargo/config.toml` above.
//!
//! ```ignore
//! use ferment_runtime::{__enzyme_autodiff, __enzyme_fwddiff, enzyme_const};
//! use std::ffi::c_void;
//!
//! extern "C" fn f(x: f64, y: f64) -> f64 {
//!     x * x * y.sin()
//! }
//!
//! fn main() {
//!     let (x, y) = (3.0_f64, 0.5_f64);
//!     // Reverse mode: y is constant, x is active (unmarked f64):
//!     // returns df/dx = 2 x sin(y).
//!     let dx = unsafe { __enzyme_autodiff(f as *const c_void, x, enzyme_const, y) };
//!     // Forward mode: each f64 is followed by its tangent.
//!     let dy = unsafe { __enzyme_fwddiff(f as *const c_void, x, 0.0_f64, y, 1.0_f64) };
//!     println!("df/dx = {dx} (expected {}), df/dy = {dy}", 2.0 * x * y.sin());
//! }
//! ```
//!
//! Several active scalars come back as a struct. Declare your own prototype
//! (any name that contains the entry point name is a request):
//!
//! ```ignore
//! #[repr(C)]
//! struct Grad2 { dx: f64, dy: f64 }
//! extern "C" {
//!     fn __enzyme_autodiff_grad2(f: extern "C" fn(f64, f64) -> f64, x: f64, y: f64) -> Grad2;
//! }
//! ```
//!
//! Rust refuses to pass `f32` through C varargs (C would promote it to
//! `double`): for `f32` scalars declare a non-variadic prototype the same way.
//! Derivatives written into shadow memory (`enzyme_dup`, raw pointers) are
//! ADDED to what the shadow holds: zero it first.

#![no_std]

use core::ffi::{c_int, c_void};

pub use ferment_macros::{autodiff_forward, autodiff_reverse};

macro_rules! markers {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        #[allow(non_upper_case_globals)]
        extern "C" {
            $( $(#[$doc])* pub static $name: c_int; )*
        }

        /// The names of every marker declared by this crate, in declaration order.
        pub const MARKERS: &[&str] = &[$(stringify!($name)),*];
    };
}

markers! {
    /// Per argument: primal followed by its shadow.
    enzyme_dup,
    /// Per argument: only the shadow is needed; the primal result in that memory is unspecified.
    enzyme_dupnoneed,
    /// Per argument: active scalar; its derivative is returned (reverse mode).
    enzyme_out,
    /// Per argument: no derivative.
    enzyme_const,
    /// Per argument (batched): followed by a byte stride and a base shadow pointer.
    enzyme_dupv,
    /// Per argument (batched), shadow only.
    enzyme_dupnoneedv,
    /// Per argument: passed by reference, followed by its size N.
    enzyme_byref,
    /// Per argument: the memory is not overwritten after the call.
    enzyme_not_overwritten,
    /// Per argument (ferment's own): the next argument is a whole struct of
    /// floating-point fields passed by value, followed by its whole shadow
    /// struct (what ferment's C++ header passes for a class by value).
    enzyme_struct_value,
    /// Whole call: batch width N (a constant).
    enzyme_width,
    /// `__enzyme_batch`: argument shared by all lanes.
    enzyme_scalar,
    /// `__enzyme_batch`: argument holding one value per lane.
    enzyme_vector,
    /// `__enzyme_batch`: argument that is a buffer of lanes.
    enzyme_buffer,
    /// Whole call: also return the primal.
    enzyme_primal_return,
    /// Whole call: the return value has no derivative.
    enzyme_const_return,
    /// Whole call: the return value is an active scalar.
    enzyme_active_return,
    /// Whole call: the return value is duplicated.
    enzyme_dup_return,
    /// Whole call: return nothing.
    enzyme_noret,
    /// Whole call: the tape lives in user memory (followed by the pointer).
    enzyme_tape,
    /// Whole call: followed by the tape size N.
    enzyme_allocated,
    /// Whole call: do not free primal memory in the derivative.
    enzyme_nofree,
    /// Whole call: decide activity at run time.
    enzyme_runtime_activity,
    /// Whole call: followed by a context from `__enzyme_context(width)`
    /// whose shadows of global variables the derivative uses.
    enzyme_context,
}

extern "C" {
    /// Reverse mode. `f` is the function to differentiate (cast to a
    /// pointer); the arguments follow the convention above. Returns the
    /// derivative of the one active scalar argument (declare your own
    /// prototype for any other result).
    pub fn __enzyme_autodiff(f: *const c_void, ...) -> f64;
    /// Forward (tangent) mode: returns the tangent of `f`'s return value.
    pub fn __enzyme_fwddiff(f: *const c_void, ...) -> f64;
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::MARKERS;
    use std::collections::BTreeSet;
    use std::vec::Vec;

    /// The markers INTERFACE.md ("Argument markers") lists, per argument and whole call.
    const INTERFACE_MARKERS: &[&str] = &[
        "enzyme_dup",
        "enzyme_dupnoneed",
        "enzyme_out",
        "enzyme_const",
        "enzyme_dupv",
        "enzyme_dupnoneedv",
        "enzyme_byref",
        "enzyme_not_overwritten",
        "enzyme_width",
        "enzyme_allocated",
        "enzyme_tape",
        "enzyme_nofree",
        "enzyme_runtime_activity",
        "enzyme_primal_return",
        "enzyme_noret",
        "enzyme_const_return",
        "enzyme_active_return",
        "enzyme_dup_return",
        // `__enzyme_batch` argument kinds (INTERFACE.md, entry points table).
        "enzyme_scalar",
        "enzyme_vector",
        "enzyme_buffer",
        // Enzyme's global-shadow contexts (README, "Global-shadow contexts").
        "enzyme_context",
        // ferment's own marker for a struct passed by value (README's table of markers).
        "enzyme_struct_value",
    ];

    const C_HEADER: &str = include_str!("../../include/ferment.h");
    const FORTRAN_MODULE: &str = include_str!("../../fortran/ferment.f90");

    fn set<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
        names.into_iter().collect()
    }

    /// `extern int NAME;` declarations in the C header.
    fn c_markers(src: &str) -> Vec<&str> {
        src.lines()
            .filter_map(|l| l.trim().strip_prefix("extern int "))
            .filter_map(|rest| rest.split(';').next())
            .map(str::trim)
            .collect()
    }

    /// `bind(C, name="NAME")` variables in the Fortran module (comment lines skipped).
    fn fortran_markers(src: &str) -> Vec<&str> {
        src.lines()
            .map(str::trim)
            .filter(|l| l.starts_with("integer(c_int), bind(C"))
            .filter_map(|l| l.split("name=\"").nth(1))
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    #[test]
    fn markers_are_unique_and_named_like_enzyme() {
        assert_eq!(set(MARKERS.iter().copied()).len(), MARKERS.len());
        for m in MARKERS {
            assert!(m.starts_with("enzyme_"), "{m}");
        }
    }

    #[test]
    fn rust_markers_match_the_interface() {
        assert_eq!(
            set(MARKERS.iter().copied()),
            set(INTERFACE_MARKERS.iter().copied())
        );
    }

    #[test]
    fn c_header_declares_the_same_markers() {
        let c = c_markers(C_HEADER);
        assert_eq!(
            set(c.iter().copied()).len(),
            c.len(),
            "duplicate in ferment.h"
        );
        assert_eq!(set(c), set(MARKERS.iter().copied()));
    }

    #[test]
    fn fortran_module_defines_the_same_markers() {
        let f = fortran_markers(FORTRAN_MODULE);
        assert_eq!(
            set(f.iter().copied()).len(),
            f.len(),
            "duplicate in ferment.f90"
        );
        assert_eq!(set(f), set(MARKERS.iter().copied()));
        // Every binding name is also the Fortran name, so `use ferment` reads like C.
        for line in FORTRAN_MODULE.lines().map(str::trim) {
            if line.starts_with("integer(c_int), bind(C") {
                let name = line
                    .split("name=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                assert!(line.contains(&std::format!(":: {name} = 0")), "{line}");
            }
        }
    }

    #[test]
    fn c_header_declares_entry_points_and_hints() {
        for decl in [
            "double __enzyme_autodiff(void *fn, ...);",
            "double __enzyme_fwddiff(void *fn, ...);",
            "void __enzyme_float(void *ptr, size_t size);",
            "void __enzyme_double(void *ptr, size_t size);",
            "void __enzyme_integer(void *ptr, size_t size);",
            "void __enzyme_pointer(void *ptr, size_t size);",
        ] {
            assert!(C_HEADER.contains(decl), "ferment.h lacks `{decl}`");
        }
    }
}
