//! Which functions take part in an analysis, and what `__enzyme_*` requests
//! tell about the differentiated function's arguments.
//!
//! Role: call-graph walking (callees and direct callers within the module),
//! recognition of AD requests (the callee name contains `__enzyme_`, the
//! first argument is a function behind casts or an `-O0` alloca), the
//! mapping of a request's arguments to the function's parameters through
//! the `enzyme_*` markers of INTERFACE.md, and `enzyme_type` attributes.
//! Reads IR only.

use crate::tree::TypeTree;
use ferment_ir::{Module, Opcode, Value};
use hashbrown::HashSet;

/// An `__enzyme_*` call and how its arguments feed the function's
/// parameters (primal and shadow arguments alike).
#[derive(Clone, Debug)]
pub struct Request {
    pub call: Value,
    pub function: Value,
    /// `(call argument, parameter index)`.
    pub links: Vec<(Value, usize)>,
}

fn is_call_or_invoke(v: Value) -> bool {
    v.is_instruction() && matches!(v.opcode(), Opcode::LLVMCall | Opcode::LLVMInvoke)
}

/// Defined functions that `f` calls directly.
pub fn defined_callees(f: Value) -> Vec<Value> {
    let mut out = Vec::new();
    for inst in f.instructions() {
        if !is_call_or_invoke(inst) {
            continue;
        }
        if let Some(c) = inst.called_function() {
            if !c.is_declaration() && !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Functions that call `f` directly.
fn direct_callers(f: Value) -> Vec<Value> {
    let mut out = Vec::new();
    for u in f.users() {
        if is_call_or_invoke(u) && u.called_function() == Some(f) {
            let caller = u.function_of();
            if !out.contains(&caller) {
                out.push(caller);
            }
        }
    }
    out
}

/// The roots, everything they call (transitively), their direct callers
/// and the functions holding `__enzyme_*` requests for them.
pub fn closure(module: Module, roots: &[Value]) -> Vec<Value> {
    let mut seen: HashSet<Value> = HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<Value> = roots
        .iter()
        .copied()
        .filter(|f| !f.is_declaration())
        .collect();
    while let Some(f) = stack.pop() {
        if !seen.insert(f) {
            continue;
        }
        out.push(f);
        stack.extend(defined_callees(f));
    }
    let mut extra = Vec::new();
    for &r in roots {
        extra.extend(direct_callers(r));
    }
    for req in requests(module) {
        if roots.contains(&req.function) {
            extra.push(req.call.function_of());
        }
    }
    for f in extra {
        if seen.insert(f) {
            out.push(f);
        }
    }
    out
}

/// The function a request's first argument names: behind casts, or stored
/// into an alloca that is loaded back (`-O0`).
pub fn resolve_function(arg: Value) -> Option<Value> {
    let v = arg.strip_casts();
    if v.is_function() {
        return Some(v);
    }
    if v.is_instruction() && v.opcode() == Opcode::LLVMLoad {
        let slot = v.operand(0).strip_casts();
        for u in slot.users() {
            if u.is_instruction() && u.opcode() == Opcode::LLVMStore && u.operand(1) == slot {
                let stored = u.operand(0).strip_casts();
                if stored.is_function() {
                    return Some(stored);
                }
            }
        }
    }
    None
}

/// The name of an `enzyme_*` marker argument (load of the global, its
/// address, or a metadata string).
pub fn marker_name(v: Value) -> Option<String> {
    if let Some(s) = v.metadata_string() {
        return s.starts_with("enzyme_").then_some(s);
    }
    let mut s = v.strip_casts();
    if s.is_instruction() && s.opcode() == Opcode::LLVMLoad {
        s = s.operand(0).strip_casts();
    }
    if s.is_global() {
        let n = s.name();
        return n.starts_with("enzyme_").then_some(n);
    }
    None
}

/// The functions holding an instruction that uses `v`, seen through
/// constant expressions (a cast of the callee).
fn collect_calling_functions(v: Value, out: &mut HashSet<Value>, depth: usize) {
    for u in v.users() {
        if u.is_instruction() {
            out.insert(u.function_of());
        } else if u.is_constant_expr() && depth < 4 {
            collect_calling_functions(u, out, depth + 1);
        }
    }
}

/// Every `__enzyme_*` call of the module whose first argument is a function.
pub fn requests(module: Module) -> Vec<Request> {
    // Only the functions that call an `__enzyme_*` declaration are scanned
    // (found through the declarations' users): every analysis asks, and
    // walking every instruction of a large unoptimized module each time
    // cost more than the analysis of a small function.
    let mut callers: HashSet<Value> = HashSet::new();
    for f in module.functions() {
        if f.name().contains("__enzyme_") {
            collect_calling_functions(f, &mut callers, 0);
        }
    }
    let mut out = Vec::new();
    for f in module.functions() {
        if !callers.contains(&f) {
            continue;
        }
        for inst in f.instructions() {
            if !is_call_or_invoke(inst) {
                continue;
            }
            let Some(callee) = inst.called_function() else {
                continue;
            };
            let name = callee.name();
            if !name.contains("__enzyme_") {
                continue;
            }
            let args = inst.call_args();
            let Some(function) = args.first().copied().and_then(resolve_function) else {
                continue;
            };
            let forward = name.contains("fwddiff") || name.contains("fwdsplit");
            let links = link_arguments(function, &args[1..], forward);
            out.push(Request {
                call: inst,
                function,
                links,
            });
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Shape {
    Single,
    Dup,
    DupV,
}

/// Walks a request's arguments the way the frontend consumes them.
fn link_arguments(function: Value, args: &[Value], forward: bool) -> Vec<(Value, usize)> {
    let params = function.params();
    let mut links = Vec::new();
    let mut width = 1usize;
    let mut pending: Option<Shape> = None;
    let (mut i, mut p) = (0usize, 0usize);
    while i < args.len() && p < params.len() {
        if let Some(m) = marker_name(args[i]) {
            i += 1;
            match m.as_str() {
                "enzyme_dup" | "enzyme_dupnoneed" => pending = Some(Shape::Dup),
                "enzyme_dupv" | "enzyme_dupnoneedv" => pending = Some(Shape::DupV),
                "enzyme_const" | "enzyme_out" => pending = Some(Shape::Single),
                "enzyme_width" => {
                    width = args
                        .get(i)
                        .and_then(|w| w.const_int())
                        .unwrap_or(1)
                        .clamp(1, 64) as usize;
                    i += 1;
                }
                "enzyme_tape" | "enzyme_allocated" | "enzyme_byref" => i += 1,
                _ => {}
            }
            continue;
        }
        let ty = params[p].ty();
        let shape = pending
            .take()
            .unwrap_or(if ty.is_pointer() || (forward && ty.is_fp_like()) {
                Shape::Dup
            } else {
                Shape::Single
            });
        let link = |v: Value, links: &mut Vec<(Value, usize)>| {
            if v.ty().kind() == ty.kind() {
                links.push((v, p));
            }
        };
        link(args[i], &mut links);
        i += 1;
        match shape {
            Shape::Single => {}
            Shape::Dup => {
                for _ in 0..width {
                    if let Some(&a) = args.get(i) {
                        link(a, &mut links);
                    }
                    i += 1;
                }
            }
            Shape::DupV => {
                if let Some(&a) = args.get(i + 1) {
                    link(a, &mut links);
                }
                i += 2;
            }
        }
        p += 1;
    }
    links
}

/// The `enzyme_type` string attribute at an attribute index (0 = return,
/// i + 1 = parameter i), parsed.
pub fn enzyme_type_attr(f: Value, index: u32) -> Option<TypeTree> {
    const KEY: &str = "enzyme_type";
    unsafe {
        let a = llvm_sys::core::LLVMGetStringAttributeAtIndex(
            f.0,
            index,
            KEY.as_ptr().cast(),
            KEY.len() as u32,
        );
        if a.is_null() {
            return None;
        }
        let mut len = 0u32;
        let p = llvm_sys::core::LLVMGetStringAttributeValue(a, &mut len);
        let text =
            String::from_utf8_lossy(std::slice::from_raw_parts(p as *const u8, len as usize))
                .into_owned();
        text.parse().ok()
    }
}
