//! Activity analysis: which values and instructions of a function can carry
//! a derivative, and which activities a request really needs.
//!
//! Role: answer, for each argument and instruction of the function being
//! differentiated, three questions about values:
//! - *shadowed*: is it a pointer to memory that may hold derivatives, so it
//!   needs a shadow pointer (duplicated arguments, allocations receiving
//!   active values, pointers derived from or loaded through those)?
//! - *varied*: does it depend on an active input (floats computed from
//!   active values, floats loaded from shadowed memory)?
//! - *useful*: can it influence an active output (the returned value, or
//!   anything stored to shadowed memory)?
//!
//! and one about instructions: must its own operation be differentiated
//! (propagate a derivative, or read/write shadow memory)? A value is active
//! when varied and useful; instruction and value activity differ (a store
//! of a constant into shadowed memory is active, a GEP of a shadowed
//! pointer is not). Generators emit derivative code only for active values
//! and instructions and shadow code for shadowed pointers.
//!
//! Map: `analysis` (the fixed point, [`Activity`]), `calls` (how calls
//! propagate activity: [`Context`], [`CallPolicy`], callee summaries),
//! `memory` (allocations, underlying objects), `inactive` (known-inactive
//! functions, module annotations), `canonical` (argument/return activity
//! canonicalization: [`canonicalize`]), `caller` (what a call site reads of
//! a request's results: [`CallerUse`]), `printer` (the
//! `print<ferment-activity>` listing).
//!
//! Never mutates IR; knows nothing about how derivatives are generated.

mod analysis;
mod caller;
mod calls;
mod canonical;
mod inactive;
mod memory;
mod printer;

pub use analysis::{float_accumulation, Activity, ValueActivity};
pub use caller::CallerUse;
pub use calls::{ArgEffect, CallPolicy, Context, KnownCalls};
pub use canonical::{
    canonicalize, seeds_of, ArgActivity, Canonical, Mode, Reason, Request, RetActivity,
};
pub use ferment_type_analysis::fortran_integer_result;
pub use inactive::{
    derivative_free_output, enzyme_global_name, formatted_output_va_list, global_annotations,
    global_variable_annotations, inactive_function_writes_or_aliases, is_known_inactive_callee,
    is_known_inactive_function, ModuleAnnotations, WRITES_OR_ALIASES,
};
pub use memory::{
    allocation_kind, carried_global, carried_globals_of, context_global, context_runtime_pointer,
    free_like_arguments, freed_pointer_argument, is_free_like, is_inactive_global_stand_in,
    is_memcpy_like, is_memset_like, is_string_create, keeps_global, returns_fresh_memory,
    stored_before, underlying_objects, AllocKind, ALLOC_LIKE_PREFIX, FREE_LIKE_PREFIX,
    INACTIVE_GLOBAL_PREFIX,
};
pub use printer::{print_function, print_module, print_request, PrintTarget};

use ferment_ir::{Type, Value};

/// What the request says about the function's inputs and output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seeds {
    /// Per parameter: whether a float parameter carries a derivative in.
    pub active_args: Vec<bool>,
    /// Per parameter: whether a pointer parameter comes with a shadow.
    pub shadow_args: Vec<bool>,
    /// Whether the return value's derivative is requested.
    pub active_return: bool,
    /// Enzyme's `enzyme_context`: every mutable global the function uses
    /// that may hold floats or pointers ([`context_global`]) has a shadow
    /// from the start, and its value on entry carries a derivative (like
    /// the memory of a duplicated argument).
    pub context_globals: bool,
    /// Globals ([`carried_global`]) whose shadow the caller's derivative
    /// shares with this one (a call that stays a call: recursion, a
    /// dispatch target): they have a shadow from the start and their
    /// values on entry carry derivatives, like a duplicated argument's
    /// memory.
    pub shadow_globals: Vec<Value>,
}

/// Whether a type can carry a derivative at all.
pub fn type_can_be_active(ty: Type) -> bool {
    ty.contains_float()
}

// Unit tests parse IR in-process: only they link libLLVM (the plugin must not).
#[cfg(test)]
#[link(name = "LLVM-22")]
extern "C" {}
