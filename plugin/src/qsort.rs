//! The C library's `qsort` and `qsort_r` in a function being differentiated.
//! Their element moves carry derivatives that ferment cannot see in the
//! library. In a canonical copy, before inlining, each such call goes to
//! `ferment.qsort` / `ferment.qsort_r` (`qsort/runtime.c`, linked into the
//! module on first use): a stable merge sort of element indices that calls
//! the comparator on the elements where they lie, then moves the elements
//! into that order with `memcpy`. Once inlined, the comparisons are integer
//! work with no derivative (Enzyme's semantics: the permutation is
//! inactive) and the moves are copies differentiated like any other.
//! `bsearch` goes to `ferment.bsearch` the same way: once inlined, the
//! pointer it returns is `base` plus an offset, whose shadow follows.
//!
//! A call whose comparator is a known function goes to a copy of the sort
//! made for that comparator (`ferment.qsort.cmp=<comparator>`), which calls
//! it directly. Where the sort stays a call of its own
//! (`-ferment-no-inline`), its derivative then sees the comparator, an
//! integer-valued call; the shared sort would call it through a parameter
//! whose targets its derivative cannot see.

use crate::error::{Error, Result};
use ferment_ir::{Module, Value};

const RUNTIME: &str = include_str!("qsort/runtime.ll");

/// `(library name, stand-in, parameter count, element size parameter,
/// comparator parameter)`.
const SORTS: [(&str, &str, usize, usize, usize); 3] = [
    ("qsort", "ferment.qsort", 4, 2, 3),
    ("qsort_r", "ferment.qsort_r", 5, 2, 3),
    ("bsearch", "ferment.bsearch", 5, 3, 4),
];

/// Whether `name` is one of the run time's functions (or a copy of one
/// for a comparator).
fn is_runtime_function(name: &str) -> bool {
    name.starts_with("ferment.qsort") || name.starts_with("ferment.bsearch")
}

/// Points the calls of `qsort`/`qsort_r` in `f` at ferment's sort; true
/// when there were any.
pub fn lower(f: Value) -> Result<bool> {
    let module = f.global_parent();
    let mut calls = Vec::new();
    for inst in f.instructions() {
        // (an invoke's callee is its last operand too)
        if !inst.is_call() {
            continue;
        }
        let Some(callee) = inst.called_function() else {
            continue;
        };
        let name = callee.name();
        let Some(&(_, stand_in, n, size, comparator)) = SORTS.iter().find(|(lib, ..)| *lib == name)
        else {
            continue;
        };
        // The C prototypes: qsort (ptr, size_t, size_t, ptr[, ptr]) returning
        // void; bsearch (ptr, ptr, size_t, size_t, ptr) returning ptr.
        let ty = callee.global_value_type();
        let params = ty.fn_params();
        let fits = callee.is_declaration()
            && params.len() == n
            && if name == "bsearch" {
                ty.fn_return().is_pointer()
                    && params[0].is_pointer()
                    && params[1].is_pointer()
                    && params[2].is_integer()
                    && params[3].is_integer()
                    && params[4].is_pointer()
            } else {
                ty.fn_return().is_void()
                    && params[0].is_pointer()
                    && params[1].is_integer()
                    && params[2].is_integer()
                    && params[3].is_pointer()
            };
        if fits {
            calls.push((inst, stand_in, [size, comparator]));
        }
    }
    if calls.is_empty() {
        return Ok(false);
    }
    link(module, calls[0].0)?;
    for (call, stand_in, params) in calls {
        let g = module.function(stand_in).ok_or_else(|| {
            Error::at(
                call,
                format!("internal error: ferment's sort '{stand_in}' is missing"),
            )
        })?;
        // (a 32-bit `size_t` would not match: the call stays, and is an
        // error where it moves derivatives)
        let declared = call.called_function().map(|c| c.global_value_type());
        if declared != Some(g.global_value_type()) {
            continue;
        }
        let g = for_comparator(module, g, call, params);
        call.set_operand(call.num_operands() - 1, g);
    }
    Ok(true)
}

/// The copy of the sort `g` for `call`'s comparator and element size (`g`'s
/// parameters `[size, comparator]`), made once per module: the comparator
/// function called directly, the size a constant (so that the element
/// moves, `memcpy`s of `size` bytes at multiples of `size`, copy whole
/// elements of a type the caller knows). `g` itself when the comparator is
/// not a named function (one passed in from the caller) or the size not a
/// constant.
fn for_comparator(module: Module, g: Value, call: Value, [size, cmp]: [usize; 2]) -> Value {
    let (n, f) = (call.operand(size), call.operand(cmp).strip_casts());
    let Some(bytes) = n.const_int().filter(|b| *b > 0) else {
        return g;
    };
    // (an unnamed function would share its copy's name with others)
    if !f.is_function() || f.name().is_empty() {
        return g;
    }
    let name = format!("{}.cmp={}.size={bytes}", g.name(), f.name());
    if let Some(copy) = module.function(&name) {
        return copy;
    }
    let copy = crate::shim::clone_function(g, &name);
    copy.set_internal();
    copy.params()[size].replace_all_uses_with(n);
    copy.params()[cmp].replace_all_uses_with(f);
    copy
}

/// Links the sort into the module once; its functions are internal.
fn link(module: Module, at: Value) -> Result<()> {
    if module.function("ferment.qsort").is_some() {
        return Ok(());
    }
    crate::context::link_ir(module, RUNTIME, c"ferment.qsort.runtime").map_err(|e| {
        Error::at(
            at,
            format!("internal error: ferment's qsort run time does not {e}"),
        )
    })?;
    for f in module.functions() {
        if is_runtime_function(&f.name()) && !f.is_declaration() {
            f.set_internal();
        }
    }
    Ok(())
}

/// Removes ferment's sort where nothing calls it any more (the canonical
/// copies that did are gone).
pub fn remove_unused(module: Module) {
    loop {
        let dead: Vec<Value> = module
            .functions()
            .into_iter()
            .filter(|f| is_runtime_function(&f.name()) && !f.is_declaration() && !f.has_uses())
            .collect();
        if dead.is_empty() {
            return;
        }
        for f in dead {
            f.delete_function();
        }
    }
}
