//! Type analysis for opaque-pointer LLVM IR (see ARCHITECTURE.md).
//!
//! Role: infer what each value and the memory it points to holds (float,
//! integer, pointer) as a [`TypeTree`]. Never mutates IR.
//!
//! Map: `tree` (the lattice, pure), `layout` (data-layout-aware conversions),
//! `rules` and `calls` (what each instruction implies), `tbaa` (metadata
//! hints), `scope` (call graph, `__enzyme_*` requests), `analysis` (the
//! fixed point and the query API), `printer` (`print<ferment-types>`).
//!
//! The plugin asks: `TypeAnalysis::run(module, f)` (or the builder form with
//! extra roots and seeds), then `FunctionTypes::tree(v)`,
//! `FunctionTypes::memory_at(p, offset)` and `FunctionTypes::conflicts()`.

mod analysis;
mod calls;
mod fortran;
mod layout;
mod printer;
pub mod rules;
mod scope;
pub mod tbaa;
pub mod tree;

pub use analysis::{FunctionTypes, TypeAnalysis, TypeConflict};
pub use fortran::fortran_integer_result;
pub use layout::{base_and_offset, float_kind, Layout};
pub use printer::{print_function, print_module, slot_names};
pub use scope::{requests, Request};
pub use tree::{BaseType, FloatKind, TreeConflict, TypeTree};

// Unit tests parse IR in-process: only they link libLLVM (the plugin must not).
#[cfg(test)]
#[link(name = "LLVM-22")]
extern "C" {}
