//! The `print<ferment-types>` output.
//!
//! Role: choose the functions to print (those reached from `__enzyme_*`
//! requests and their callees, or every defined function with `all`), run
//! one analysis over them and print, per function:
//!
//! ```text
//! function @f:
//!   %x: {[-1]:Pointer, [-1,0]:Float@double}     one line per argument
//!   %3: {[-1]:Float@double}                     and per non-void instruction
//!   return: {[-1]:Float@double}                 what the function returns
//!   conflict: type conflict for %y at [-1,0]: Float@double vs Integer (from `...`)
//! ```
//!
//! Unnamed values are printed as their slot (`%3`), numbered as LLVM does.

use crate::analysis::{FunctionTypes, TypeAnalysis};
use crate::scope;
use ferment_ir::{Module, Value};
use hashbrown::HashMap;
use std::fmt::Write;

/// `%name`, `@name` or LLVM's printed form for an unnamed value.
pub(crate) fn value_name(v: Value) -> String {
    v.short()
}

/// `%name` or `%N` for the arguments and instructions of `f`, numbered as
/// LLVM prints unnamed values (also used by the activity printer).
pub fn slot_names(f: Value) -> HashMap<Value, String> {
    let mut names = HashMap::new();
    let mut next = 0usize;
    let mut name = |v: Value, is_value: bool, next: &mut usize| {
        let n = v.name();
        if !n.is_empty() {
            names.insert(v, format!("%{n}"));
        } else if is_value {
            names.insert(v, format!("%{next}"));
            *next += 1;
        }
    };
    for p in f.params() {
        name(p, true, &mut next);
    }
    for b in f.blocks() {
        if b.name().is_empty() {
            next += 1;
        }
        for i in b.instructions() {
            name(i, !i.ty().is_void(), &mut next);
        }
    }
    names
}

/// Appends the listing of one function.
pub fn print_function(out: &mut String, types: &FunctionTypes, f: Value) {
    let names = slot_names(f);
    let _ = writeln!(out, "function @{}:", f.name());
    let line = |v: Value, out: &mut String| {
        let n = names.get(&v).cloned().unwrap_or_else(|| value_name(v));
        let _ = writeln!(out, "  {n}: {}", types.tree(v));
    };
    for p in f.params() {
        line(p, out);
    }
    for i in f.instructions() {
        if !i.ty().is_void() {
            line(i, out);
        }
    }
    if !f.global_value_type().fn_return().is_void() {
        let _ = writeln!(out, "  return: {}", types.return_tree(f));
    }
    for c in types.conflicts() {
        let inside = (c.value.is_argument() && f.params().contains(&c.value))
            || (c.value.is_instruction() && c.value.function_of() == f)
            || (c.value == f);
        if inside {
            let _ = writeln!(out, "  conflict: {c}");
        }
    }
}

/// Text printed by `print<ferment-types>`: every function reached from an
/// `__enzyme_*` request (or every defined function when `all`).
pub fn print_module(module: Module, all: bool) -> String {
    let (types, shown) = if all {
        let types = TypeAnalysis::new(module).whole_module().solve();
        let shown = types.functions().to_vec();
        (types, shown)
    } else {
        let roots: Vec<Value> = scope::requests(module)
            .into_iter()
            .map(|r| r.function)
            .collect();
        if roots.is_empty() {
            return String::new();
        }
        let mut analysis = TypeAnalysis::new(module);
        for &r in &roots {
            analysis = analysis.root(r);
        }
        let types = analysis.solve();
        let mut reached: Vec<Value> = Vec::new();
        let mut stack = roots;
        while let Some(f) = stack.pop() {
            if !reached.contains(&f) && !f.is_declaration() {
                reached.push(f);
                stack.extend(scope::defined_callees(f));
            }
        }
        let shown = module
            .functions()
            .into_iter()
            .filter(|f| reached.contains(f))
            .collect();
        (types, shown)
    };
    let mut out = String::new();
    for f in shown {
        print_function(&mut out, &types, f);
    }
    if !types.converged() {
        out.push_str("warning: type analysis stopped before reaching a fixed point\n");
    }
    out
}
