//! Facts about memory from C++ signatures: a function with an
//! Itanium-mangled name (`_Z...`) declares its parameters' C++ types, and a
//! parameter of type `double*` / `const double*` (or `float`) points to
//! elements of that type (C++'s aliasing rules), a `double&` to one. Such
//! parameters get an `enzyme_type` attribute that type analysis reads like
//! rustc's, which types the memory a function only copies (a non-inlined
//! `std::copy` of a `std::vector<double>`: a `memmove` of unknown type).
//!
//! A signature is used only when its parameters line up with the IR's one
//! to one (after an `sret` or a `this` pointer) and every pointer-like C++
//! parameter is an IR pointer and every other one is not; anything else
//! (parameters split or merged by the ABI) is left alone.

use ferment_ir::{Module, Value};

const ATTRIBUTE: &str = "enzyme_type";

/// Adds the attributes to every defined C++ function of `module`; says
/// whether any was added.
pub fn annotate(module: Module) -> bool {
    let mut changed = false;
    for f in module.functions() {
        if f.is_declaration() || !f.name().starts_with("_Z") {
            continue;
        }
        let Some(signature) = crate::shim::demangle(&f.name()) else {
            continue;
        };
        let Some(cxx) = parameters(&signature) else {
            continue;
        };
        changed |= annotate_function(f, &cxx);
    }
    changed
}

fn annotate_function(f: Value, cxx: &[&str]) -> bool {
    let ir = f.params();
    let offset = match ir.len().checked_sub(cxx.len()) {
        Some(0) => 0,
        // A hidden sret or `this` pointer first.
        Some(1) if ir[0].ty().is_pointer() => 1,
        _ => return false,
    };
    let kinds: Vec<Option<(bool, &str)>> = cxx.iter().map(|p| pointee(p)).collect();
    let lines_up = cxx
        .iter()
        .zip(&ir[offset..])
        .all(|(c, p)| is_pointer_like(c) == p.ty().is_pointer());
    if !lines_up {
        return false;
    }
    let mut changed = false;
    for (i, kind) in kinds.into_iter().enumerate() {
        let Some((array, ty)) = kind else {
            continue;
        };
        let index = (offset + i) as u32;
        if f.param_string_attribute(index, ATTRIBUTE).is_some() {
            continue;
        }
        let at = if array { -1 } else { 0 };
        f.add_param_string_attribute(
            index,
            ATTRIBUTE,
            &format!("{{[-1]:Pointer, [-1,{at}]:Float@{ty}}}"),
        );
        changed = true;
    }
    changed
}

/// The parameter list of a demangled function signature, `...name(a, b)`
/// (with trailing qualifiers `const`, `&`, `&&`, `volatile`, `noexcept`
/// ignored); `None` when it is not one.
fn parameters(signature: &str) -> Option<Vec<&str>> {
    let mut s = signature.trim_end();
    loop {
        let before = s;
        for q in [" const", " volatile", " &&", " &", " noexcept"] {
            s = s.strip_suffix(q).unwrap_or(s).trim_end();
        }
        if s == before {
            break;
        }
    }
    let body = s.strip_suffix(')')?;
    // The '(' matching the final ')'.
    let mut depth = 0i32;
    let mut open = None;
    for (i, c) in body.char_indices().rev() {
        match c {
            ')' | '>' | ']' => depth += 1,
            '(' | '<' | '[' if depth > 0 => depth -= 1,
            '(' => {
                open = Some(i);
                break;
            }
            _ => {}
        }
    }
    let inner = &body[open? + 1..];
    if inner.trim().is_empty() {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '(' | '<' | '[' => depth += 1,
            ')' | '>' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(inner[start..].trim());
    if out.iter().any(|p| p.is_empty() || *p == "...") {
        return None;
    }
    Some(out)
}

/// Whether the C++ parameter type is passed as a pointer in the IR: a
/// pointer or a reference (not a pointer to member).
fn is_pointer_like(p: &str) -> bool {
    !p.contains("::*")
        && (p.ends_with('*') || p.ends_with('&') || p.contains("(*)") || p.contains("(&)"))
}

/// For `double*`, `double const*`, `const double*`: (true, "double"); for
/// `double&`, `double const&`, `double&&`: (false, "double"); likewise
/// `float`. `None` for anything else.
fn pointee(p: &str) -> Option<(bool, &'static str)> {
    let (array, base) = if let Some(b) = p.strip_suffix("&&").or_else(|| p.strip_suffix('&')) {
        (false, b)
    } else if let Some(b) = p.strip_suffix('*') {
        (true, b)
    } else {
        return None;
    };
    let base = base.trim();
    let base = base
        .strip_prefix("const ")
        .or_else(|| base.strip_suffix(" const"))
        .unwrap_or(base)
        .trim();
    match base {
        "double" => Some((array, "double")),
        "float" => Some((array, "float")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_lists() {
        assert_eq!(
            parameters("double* std::__copy_move<false, true, std::random_access_iterator_tag>::__copy_m<double>(double const*, double const*, double*)"),
            Some(vec!["double const*", "double const*", "double*"])
        );
        assert_eq!(parameters("f()"), Some(vec![]));
        assert_eq!(
            parameters("S::get(std::pair<int, double>&, void (*)(int, int)) const"),
            Some(vec!["std::pair<int, double>&", "void (*)(int, int)"])
        );
        assert_eq!(parameters("g(int, ...)"), None);
        assert_eq!(parameters("not a signature"), None);
    }

    #[test]
    fn pointees() {
        assert_eq!(pointee("double const*"), Some((true, "double")));
        assert_eq!(pointee("const float*"), Some((true, "float")));
        assert_eq!(pointee("double&"), Some((false, "double")));
        assert_eq!(pointee("double**"), None);
        assert_eq!(pointee("long double*"), None);
        assert_eq!(pointee("std::vector<double>&"), None);
        assert!(is_pointer_like("void (*)(int)"));
        assert!(is_pointer_like("double const&"));
        assert!(!is_pointer_like("int S::*"));
        assert!(!is_pointer_like("double"));
    }
}
