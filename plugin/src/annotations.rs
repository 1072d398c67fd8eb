//! Module-level annotations written for Enzyme: globals named `__enzyme_*`
//! and `enzyme_*` strings in `llvm.global.annotations`.
//!
//! Role: check every annotation up front, so that one ferment does not
//! understand stops the compile with an error naming it instead of being
//! silently ignored (an ignored `__enzyme_function_like` or
//! `__enzyme_inactive_global` gives a different derivative than the user
//! asked for). Also reads `__enzyme_function_like`: a user function that
//! behaves like a library function, whose derivative is that function's
//! rule. Reads the module only.

use crate::error::{Error, Result};
use crate::rules;
use ferment_activity_analysis::{enzyme_global_name, global_annotations};
use ferment_ir::{Module, Value};

/// Global-name prefixes ferment understands. Each is read elsewhere:
/// inactive functions by the activity analysis, registered derivatives by
/// `custom.rs`, function-like declarations here.
pub(crate) const UNDERSTOOD_GLOBALS: &[&str] = &[
    "__enzyme_inactivefn",
    "__enzyme_register_gradient",
    "__enzyme_register_derivative",
    "__enzyme_register_splitderivative",
    "__enzyme_function_like",
    "__enzyme_inactive_global",
    "__enzyme_allocation_like",
    // A promise that a function frees no memory: it only helps Enzyme's
    // caching, so it changes nothing here.
    "__enzyme_nofree",
];

/// `enzyme_*` strings in `llvm.global.annotations` that ferment understands.
fn understood_note(note: &str) -> bool {
    note == "enzyme_inactive"
        || note == "enzyme_nofree"
        || note.starts_with("enzyme_function_like=")
}

/// Every annotation of `module` that ferment would otherwise ignore, as an
/// error naming it.
pub fn check(module: Module) -> Vec<Error> {
    let mut errors = Vec::new();
    for g in module.globals() {
        let name = g.name();
        if name == "llvm.global.annotations" {
            for (f, note) in global_annotations(g) {
                if note.starts_with("enzyme") && !understood_note(&note) {
                    errors.push(
                        Error::at(f, format!("unknown Enzyme annotation \"{note}\" on '{}'", f.name()))
                            .hint("ferment understands enzyme_inactive, enzyme_nofree and enzyme_function_like=<libm name>"),
                    );
                }
            }
            for (v, note) in ferment_activity_analysis::global_variable_annotations(g) {
                let known = note == "enzyme_inactive" || note.starts_with("enzyme_shadow=");
                if note.starts_with("enzyme") && !known {
                    errors.push(
                        Error::new(format!("unknown Enzyme annotation \"{note}\" on the global '{}'", v.name()))
                            .hint("on global variables ferment understands enzyme_inactive and enzyme_shadow=<shadow global>"),
                    );
                }
            }
            continue;
        }
        let Some(name) = enzyme_global_name(&name) else {
            continue;
        };
        if g.global_initializer().is_none() {
            continue;
        }
        if UNDERSTOOD_GLOBALS.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        errors.push(
            Error::new(format!(
                "unknown Enzyme annotation global '{name}': ferment does not know what it means"
            ))
            .hint(format!(
                "annotation globals ferment understands start with {}",
                UNDERSTOOD_GLOBALS.join(", ")
            )),
        );
    }
    errors
}

/// The user functions declared to behave like a library function, each with
/// the canonical name of that function's derivative rule, in module order.
pub fn function_like(module: Module) -> Result<Vec<(Value, &'static str)>> {
    let mut out: Vec<(Value, &'static str)> = Vec::new();
    // `at`: where an error points (the annotation's call, or the function).
    let mut add = |f: Value, like: &str, at: Value| -> Result<()> {
        let Some(rule) = rules::call_rule(like) else {
            return Err(Error::at(
                at,
                format!(
                    "'{}' is declared function-like \"{like}\", but ferment has no derivative rule for \"{like}\"",
                    f.name()
                ),
            )
            .hint("name a C math function (e.g. \"log1p\", \"sin\", \"pow\"), or register a derivative with __enzyme_register_gradient / __enzyme_register_derivative"));
        };
        let ty = f.global_value_type();
        let params = ty.fn_params();
        if params.len() != rule.arity || !ty.fn_return().is_fp_like() {
            return Err(Error::at(
                at,
                format!(
                    "'{}' is declared function-like \"{like}\", but its signature does not match \"{like}\" ({} argument(s), a floating-point result)",
                    f.name(),
                    rule.arity
                ),
            ));
        }
        if !out.iter().any(|(g, _)| *g == f) {
            out.push((f, rule.name));
        }
        Ok(())
    };
    for g in module.globals() {
        let name = g.name();
        if name == "llvm.global.annotations" {
            for (f, note) in global_annotations(g) {
                if let Some(like) = note.strip_prefix("enzyme_function_like=") {
                    add(f, like, f)?;
                }
            }
            continue;
        }
        let Some(name) =
            enzyme_global_name(&name).filter(|n| n.starts_with("__enzyme_function_like"))
        else {
            continue;
        };
        let Some(init) = g.global_initializer() else {
            continue;
        };
        let ops = init.operands();
        let (f, like) = if init.strip_casts().is_function() {
            // Enzyme's Fortran procedure pointer `fn__enzyme_function_like__log1p => f`:
            // the library function is named after the double underscore.
            let like = name
                .strip_prefix("__enzyme_function_like__")
                .filter(|l| !l.is_empty())
                .map(str::to_string);
            (Some(init.strip_casts()), like)
        } else {
            let f = ops
                .first()
                .map(|o| o.strip_casts())
                .filter(|f| f.is_function());
            (f, ops.get(1).and_then(|s| s.c_string()))
        };
        match (f, like) {
            (Some(f), Some(like)) => add(f, &like, f)?,
            _ => {
                return Err(Error::new(format!(
                "the annotation '{name}' must hold a function and the name of a library function"
            ))
                .hint(format!(
                    "write `void* {name}[2] = {{ (void*)my_function, (void*)\"log1p\" }};`, or in Fortran a procedure pointer named `fn__enzyme_function_like__log1p => my_function`"
                )))
            }
        }
    }
    for (call, callee) in function_like_calls(module) {
        let args = call.call_args();
        let f = args
            .first()
            .map(|a| a.strip_casts())
            .filter(|f| f.is_function());
        let like = args.get(1).and_then(|a| {
            let a = a.strip_casts();
            a.c_string().or_else(|| {
                a.is_global()
                    .then(|| a.name())
                    .and_then(|n| n.strip_prefix("enzyme_math_").map(str::to_string))
            })
        });
        match (f, like) {
            (Some(f), Some(like)) => add(f, &like, call)?,
            _ => {
                return Err(Error::at(
                    call,
                    format!("the call of '{}' must pass a function and a library function's name", callee.name()),
                )
                .hint("pass the function and the marker of the library function it behaves like, e.g. `call enzyme_function_like(my_log1p, enzyme_log1p)` with Enzyme's Fortran module (its markers are globals named enzyme_math_<name>)"))
            }
        }
    }
    Ok(out)
}

/// Calls of `__enzyme_function_like` (Enzyme's Fortran spelling:
/// `call f__enzyme_function_like(f, enzyme_log1p)`, whose second argument is
/// the marker global `enzyme_math_log1p`), with their callee. A statement,
/// not a request: it declares `f` function-like for the whole module.
fn function_like_calls(module: Module) -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    for f in module.functions() {
        if !f.is_declaration() || !f.name().contains("__enzyme_function_like") {
            continue;
        }
        for user in f.users() {
            if user.is_call() && !user.is_invoke() && user.called_function() == Some(f) {
                out.push((user, f));
            }
        }
    }
    out
}

/// Removes the `__enzyme_function_like` calls (read by `function_like`:
/// they do nothing at run time and have no definition to link).
pub fn remove_function_like_calls(module: Module) -> bool {
    let calls = function_like_calls(module);
    for &(call, _) in &calls {
        if !call.has_uses() {
            call.erase();
        }
    }
    !calls.is_empty()
}

/// The globals the user declared inactive (`__enzyme_inactive_global_NAME =
/// { &g }`): their memory never carries a derivative; values read from it
/// are constants and active values stored into it lose their derivative.
pub fn inactive_globals(module: Module) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for g in module.globals() {
        let name = g.name();
        if name == "llvm.global.annotations" {
            // `__attribute__((annotate("enzyme_inactive")))` on a variable.
            for (v, note) in ferment_activity_analysis::global_variable_annotations(g) {
                if note == "enzyme_inactive" && !out.contains(&v) {
                    out.push(v);
                }
            }
            continue;
        }
        let Some(name) =
            enzyme_global_name(&name).filter(|n| n.starts_with("__enzyme_inactive_global"))
        else {
            continue;
        };
        let Some(init) = g.global_initializer() else {
            continue;
        };
        let targets: Vec<Value> = if init.strip_casts().is_global() {
            vec![init.strip_casts()]
        } else {
            init.operands()
                .into_iter()
                .map(|o| o.strip_casts())
                .collect()
        };
        if targets.is_empty() || targets.iter().any(|t| !t.is_global()) {
            return Err(Error::new(format!(
                "the annotation '{name}' must hold the address of a global variable"
            ))
            .hint(format!(
                "write `void* {name}[1] = {{ (void*)&my_global }};`"
            )));
        }
        for t in targets {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    Ok(out)
}

/// `annotate("enzyme_shadow=<symbol>")` on a global variable (what the
/// clang plugin makes of `__attribute__((enzyme_shadow(g)))`) becomes the
/// `!enzyme_shadow` metadata the shadow code reads.
pub fn apply_shadow_annotations(module: Module) -> Result<()> {
    let Some(a) = module.global("llvm.global.annotations") else {
        return Ok(());
    };
    for (v, note) in ferment_activity_analysis::global_variable_annotations(a) {
        let Some(sym) = note.strip_prefix("enzyme_shadow=") else {
            continue;
        };
        match module.global(sym) {
            Some(shadow) if shadow != v => v.set_user_shadow(shadow),
            _ => {
                return Err(Error::new(format!(
                    "the shadow '{sym}' named by enzyme_shadow on '{}' is not a global variable of this translation unit",
                    v.name()
                ))
                .hint("define the shadow global in the same file, with the same type"))
            }
        }
    }
    Ok(())
}

/// A user allocator declared with `__enzyme_allocation_like_NAME = { alloc,
/// size_arg, "-1", dealloc }`: `alloc` returns fresh memory of the size in
/// its argument `size_arg`, and `dealloc(p)` releases what it returned (or,
/// with an argument list such as `"2,-1"`, `dealloc(arg2, p)` with the
/// allocation call's argument 2).
/// Shadows of such memory are made and released by the same pair.
#[derive(Clone, Debug)]
pub struct AllocationLike {
    pub alloc: Value,
    pub size_arg: usize,
    pub dealloc: Value,
    /// Each argument of a deallocation call: `None` the freed pointer,
    /// `Some(k)` argument `k` of the allocation call.
    pub dealloc_args: Vec<Option<usize>>,
}

/// The module's allocation-like declarations.
pub fn allocation_like(module: Module) -> Result<Vec<AllocationLike>> {
    let mut out: Vec<AllocationLike> = Vec::new();
    for g in module.globals() {
        let name = g.name();
        let Some(name) =
            enzyme_global_name(&name).filter(|n| n.starts_with("__enzyme_allocation_like"))
        else {
            continue;
        };
        let Some(init) = g.global_initializer() else {
            continue;
        };
        let hint = format!(
            "write `void* {name}[4] = {{ (void*)my_alloc, (void*)SIZE_ARG_INDEX, (void*)\"-1\", (void*)my_free }};` where my_free(p) releases what my_alloc returned"
        );
        let ops = init.operands();
        let function = |k: usize| {
            ops.get(k)
                .map(|o| o.strip_casts())
                .filter(|f| f.is_function())
        };
        let index = ops.get(1).and_then(|o| {
            if o.is_null_constant() {
                Some(0)
            } else {
                o.strip_casts().const_int()
            }
        });
        let dealloc_args = ops.get(2).and_then(|o| o.c_string());
        let (Some(alloc), Some(index), Some(dealloc_args), Some(dealloc)) =
            (function(0), index, dealloc_args, function(3))
        else {
            return Err(Error::new(format!(
                "the annotation '{name}' must hold an allocation function, the index of its size argument, the deallocation argument list and a deallocation function"
            ))
            .hint(hint));
        };
        let alloc_ty = alloc.global_value_type();
        let nparams = alloc_ty.fn_params().len();
        if index < 0 || index as usize >= nparams || !alloc_ty.fn_return().is_pointer() {
            return Err(Error::at(
                alloc,
                format!(
                    "'{}' is declared allocation-like with size argument {index}, but it has {nparams} argument(s) and must return a pointer",
                    alloc.name()
                ),
            )
            .hint(hint));
        }
        let dealloc_params = dealloc.global_value_type().fn_params();
        // Each deallocation argument: the freed pointer (-1) or an argument
        // of the allocation call.
        let spec: Option<Vec<Option<usize>>> = dealloc_args
            .split(',')
            .map(|a| match a.trim().parse::<i64>() {
                Ok(-1) => Some(None),
                Ok(k) if (0..nparams as i64).contains(&k) => Some(Some(k as usize)),
                _ => None,
            })
            .collect();
        let fits = spec.as_ref().is_some_and(|spec| {
            spec.len() == dealloc_params.len()
                && spec.iter().filter(|a| a.is_none()).count() == 1
                && spec.iter().zip(&dealloc_params).all(|(a, t)| match a {
                    None => t.is_pointer(),
                    Some(k) => alloc_ty.fn_params()[*k] == *t,
                })
        });
        let (Some(spec), true) = (spec, fits) else {
            return Err(Error::at(
                dealloc,
                format!(
                    "'{name}': the deallocation argument list \"{dealloc_args}\" does not fit '{}' ({} argument(s)): it must name each of its arguments, -1 for the freed pointer (exactly once) and k for argument k of '{}', of the same type",
                    dealloc.name(),
                    dealloc_params.len(),
                    alloc.name()
                ),
            )
            .hint(hint));
        };
        if !out.iter().any(|a| a.alloc == alloc) {
            out.push(AllocationLike {
                alloc,
                size_arg: index as usize,
                dealloc,
                dealloc_args: spec,
            });
        }
    }
    Ok(out)
}

/// Enzyme functions whose calls are not AD requests: type hints, which type
/// analysis reads (they carry no derivative and are removed once the
/// derivatives exist).
pub const HINT_FUNCTIONS: &[&str] = &[
    "__enzyme_float",
    "__enzyme_double",
    "__enzyme_integer",
    "__enzyme_pointer",
];

/// Whether `name` is one of Enzyme's type-hint functions.
pub fn is_type_hint(name: &str) -> bool {
    HINT_FUNCTIONS.iter().any(|h| name.contains(h))
}

/// Removes every call of a type-hint function (they have no definition);
/// says whether it removed any.
pub fn remove_type_hints(module: Module) -> bool {
    let mut removed = false;
    for f in module.functions() {
        if !f.is_declaration() || !is_type_hint(&f.name()) {
            continue;
        }
        for user in f.users() {
            if user.is_call() && !user.is_invoke() && !user.has_uses() {
                user.erase();
                removed = true;
            }
        }
        if !f.has_uses() {
            f.delete_function();
        }
    }
    removed
}

/// Calls of `__enzyme_*` functions that are neither an entry point ferment
/// knows nor a type hint (`__enzyme_iter`, a misspelt `__enzyme_autodif`):
/// each is an error at the call, instead of an undefined symbol at link time.
pub fn unknown_entry_points(module: Module) -> Vec<Error> {
    let mut errors = Vec::new();
    for f in module.functions() {
        let name = f.name();
        if !f.is_declaration()
            || !name.contains("__enzyme_")
            || crate::frontend::request::entry_kind(&name).is_some()
            || crate::frontend::is_loop_construct(&name)
            || name.contains("__enzyme_iter")
            || name.contains("__enzyme_function_like")
            || is_type_hint(&name)
        {
            continue;
        }
        for user in f.users() {
            if user.is_call() {
                errors.push(
                    Error::at(user, format!("unknown Enzyme entry point '{name}'"))
                        .hint("ferment's entry points are __enzyme_autodiff, __enzyme_fwddiff, __enzyme_augmentfwd, __enzyme_reverse and __enzyme_augmentsize (see the README's table of Enzyme's interface)"),
                );
            }
        }
    }
    errors
}
