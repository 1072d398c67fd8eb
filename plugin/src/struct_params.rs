//! Structs passed by value to a differentiated function.
//!
//! The C ABI does not pass `double f(V2 p)` one struct: clang splits a small
//! struct into scalars (`double, double` for `{double x, y}`, `i32, double`
//! or `i64, i64` for a mixed one, `<2 x float>` for two floats), or passes a
//! large one in memory (`ptr byval(%struct.V3)`). Enzyme's calling
//! convention is positional on those IR parameters, so
//! `__enzyme_fwddiff((void*)f, p, dp)` pairs `p.y` with `p.x` as its tangent:
//! a wrong derivative with no error. This module finds such parameters and
//! turns the calls whose pairing is not the user's into compile errors:
//!
//! - [`tag`] runs at the start of the host pipeline, when every function
//!   clang defined still stores its coerced parameters into the struct's
//!   stack slot; it records the groups as the string attribute
//!   [`ATTRIBUTE`] (`first:count:floats:type;...`), which optimization keeps.
//! - [`check`] looks at a parsed request: a struct split into several
//!   values is accepted only in reverse mode with no markers on its pieces,
//!   where each piece is an active float returned in order (the returned
//!   struct of adjoints then has the struct's own layout); a struct passed
//!   as one integer is never accepted (its floats would be constants); a
//!   struct passed in memory (`byval`) may not receive its adjoint in a
//!   by-value copy either (the caller would never see it).
//! - [`split_floats_at`] serves the marker `enzyme_struct_value` (ferment's
//!   C++ header puts it before every class passed by value): the struct
//!   and then its whole shadow struct follow, and the parser pairs them
//!   member by member, so `enzyme::autodiff<Forward>(f,
//!   Duplicated<V2>{p, dp})` means what it says. Only all-float pieces.
//!
//! It touches nothing but that attribute.

use crate::error::{Error, Result};
use crate::frontend::request::{Mode, Request};
use crate::shim;
use ferment_ir::{Module, Opcode, Type, Value};

/// The function attribute listing the coerced struct parameters.
pub const ATTRIBUTE: &str = "ferment-struct-params";

/// One struct parameter the C ABI split: IR parameters
/// `first..first + count`, of the struct named `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    first: usize,
    count: usize,
    name: String,
    /// Floating-point scalars in the struct.
    floats: u64,
}

/// The floating-point scalars in a value of type `ty`.
fn float_leaves(ty: Type) -> u64 {
    if ty.is_float() {
        1
    } else if ty.is_vector() {
        u64::from(ty.vector_len()) * float_leaves(ty.element_type())
    } else if ty.is_array() {
        ty.array_len() * float_leaves(ty.element_type())
    } else if ty.is_struct() {
        ty.struct_fields().into_iter().map(float_leaves).sum()
    } else {
        0
    }
}

fn struct_name(ty: Type) -> String {
    let named = if ty.is_struct() {
        // SAFETY: a struct type of a live context; the name (if any) is
        // owned by the type.
        unsafe {
            let p = llvm_sys::core::LLVMGetStructName(ty.0);
            (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
        }
    } else {
        None
    };
    let text = named.unwrap_or_else(|| "{".to_string());
    let text = text.as_str();
    let text = text
        .strip_prefix("struct.")
        .or_else(|| text.strip_prefix("class."))
        .or_else(|| text.strip_prefix("union."))
        .unwrap_or(text);
    if text.starts_with('{') {
        let fields = if ty.is_struct() {
            ty.struct_fields()
        } else {
            Vec::new()
        };
        if fields.len() == 2 && fields[0] == fields[1] && fields[0].is_float() {
            // clang's `_Complex` type
            "a complex number".to_string()
        } else {
            "a struct".to_string()
        }
    } else {
        format!("'{text}'")
    }
}

/// Whether clang compiles `module` for full LTO (`-flto`): it marks such a
/// module with the flag `ThinLTO` = 0 before the pipeline runs (ThinLTO
/// modules carry no such flag).
pub fn full_lto(module: Module) -> bool {
    let key = "ThinLTO";
    // SAFETY: a live module; the key is a valid slice.
    unsafe {
        !llvm_sys::core::LLVMGetModuleFlag(module.0, key.as_ptr() as *const _, key.len()).is_null()
    }
}

/// Whether the pipeline-start tags (this module's, and
/// `retype::tag_record_copies`) are recorded in `module`: a module with
/// requests, or an -flto compile (the link-time run may differentiate its
/// functions for requests in other files; the tags travel in the bitcode).
pub fn needs_tags(module: Module) -> bool {
    full_lto(module)
        || module
            .functions()
            .iter()
            .any(|f| f.is_declaration() && f.name().contains("__enzyme_"))
}

/// Records, on every function defined in `module`, the parameters clang
/// stores into one struct-typed stack slot in the entry block (the pieces
/// of a struct the C ABI split). Returns whether it added any attribute.
pub fn tag(module: Module) -> bool {
    let mut changed = false;
    let functions = module.functions();
    // Only a module with requests needs them (and others stay unchanged),
    // or an -flto compile: the link-time run may differentiate its functions
    // for requests in other files, and by then optimization has removed the
    // stores this reads (the tags travel in the bitcode).
    if !needs_tags(module) {
        return false;
    }
    for f in functions {
        if f.is_declaration() || f.string_attribute(ATTRIBUTE).is_some() {
            continue;
        }
        let params = f.params();
        let mut groups: Vec<(Value, Vec<usize>)> = Vec::new();
        for inst in f.entry_block().instructions() {
            if inst.opcode() != Opcode::LLVMStore {
                continue;
            }
            let Some(index) = params.iter().position(|p| *p == inst.operand(0)) else {
                continue;
            };
            let mut base = inst.operand(1);
            if base.is_instruction() && base.opcode() == Opcode::LLVMGetElementPtr {
                base = base.operand(0);
            }
            if !base.is_instruction() || base.opcode() != Opcode::LLVMAlloca {
                continue;
            }
            let ty = base.allocated_type();
            if !(ty.is_struct() || ty.is_array()) || !(ty.contains_float() || ty.contains_pointer())
            {
                continue;
            }
            match groups.iter_mut().find(|(slot, _)| *slot == base) {
                Some((_, list)) => list.push(index),
                None => groups.push((base, vec![index])),
            }
        }
        let mut text = Vec::new();
        for (slot, mut list) in groups {
            list.sort_unstable();
            list.dedup();
            // Consecutive parameters only (clang's pieces are).
            if list.windows(2).any(|w| w[1] != w[0] + 1) {
                continue;
            }
            let ty = slot.allocated_type();
            let name = struct_name(ty).replace([':', ';'], "_");
            text.push(format!(
                "{}:{}:{}:{name}",
                list[0],
                list.len(),
                float_leaves(ty)
            ));
        }
        if !text.is_empty() {
            f.add_string_attribute(ATTRIBUTE, &text.join(";"));
            changed = true;
        }
    }
    changed
}

/// Removes what [`tag`] added, once the module's requests are lowered (not
/// in the compile step of an -flto build: see [`tag`]).
pub fn untag(module: Module) {
    for f in module.functions() {
        if f.string_attribute(ATTRIBUTE).is_some() {
            // SAFETY: a function of a live module; the key is a valid slice.
            unsafe {
                llvm_sys::core::LLVMRemoveStringAttributeAtIndex(
                    f.0,
                    llvm_sys::LLVMAttributeFunctionIndex,
                    ATTRIBUTE.as_ptr() as *const _,
                    ATTRIBUTE.len() as u32,
                );
            }
        }
    }
}

fn groups_of(function: Value) -> Vec<Group> {
    let Some(text) = function.string_attribute(ATTRIBUTE) else {
        return Vec::new();
    };
    text.split(';')
        .filter_map(|g| {
            let mut it = g.splitn(4, ':');
            let first = it.next()?.parse().ok()?;
            let count = it.next()?.parse().ok()?;
            let floats = it.next()?.parse().ok()?;
            let name = it.next()?.to_string();
            Some(Group {
                first,
                count,
                name,
                floats,
            })
        })
        .collect()
}

/// The source-level position (1-based) of IR parameter `index`, counting
/// each split struct once.
fn source_position(groups: &[Group], index: usize) -> usize {
    let folded: usize = groups
        .iter()
        .filter(|g| g.first + g.count <= index)
        .map(|g| g.count - 1)
        .sum();
    index - folded + 1
}

const HINT: &str = "pass the struct by pointer instead: declare the parameter `const V *p` (or `V *p`) and call with enzyme_dup, &p, &dp (forward mode: dp holds the tangent; reverse mode: dp receives the gradient); for a struct of floats only, `enzyme_struct_value` before it says that the struct and then its whole shadow struct follow (enzyme_struct_value, enzyme_dup, p, dp), as ferment's C++ header passes enzyme::Duplicated<V>";

/// Refuses a request, before its arguments are read, whose function takes
/// a struct by value in a way no argument list can pair as the user
/// means: as an integer, or split in forward mode.
pub fn check_signature(req: &Request) -> Result<()> {
    if crate::frontend::request::has_marker(req.call, "enzyme_struct_value") {
        // The parser pairs the marked structs; `check` sees the rest.
        return Ok(());
    }
    check_groups(req, None)
}

/// The IR parameter types of the struct passed by value that opens at IR
/// parameter `k` of `function`, split into several values each holding
/// only floating-point data (`double, double`; `<2 x float>, float`), or
/// `None` (no such struct there). `enzyme_struct_value` pairs such a
/// struct with its shadow member by member.
pub fn split_floats_at(function: Value, k: usize) -> Option<Vec<Type>> {
    let params = function.global_value_type().fn_params();
    let g = groups_of(function).into_iter().find(|g| g.first == k)?;
    let pieces: Vec<Type> = params.iter().skip(g.first).take(g.count).copied().collect();
    let floats: u64 = pieces.iter().map(|t| float_leaves(*t)).sum();
    (g.count > 1
        && pieces.len() == g.count
        && floats == g.floats
        && pieces
            .iter()
            .all(|t| !t.is_pointer() && float_leaves(*t) > 0))
    .then_some(pieces)
}

/// Refuses a request whose arguments cannot mean what the user wrote for a
/// struct passed by value (see the module comment). `marked[i]`: whether an
/// activity marker preceded IR parameter `i`.
pub fn check(req: &Request, marked: &[bool]) -> Result<()> {
    check_groups(req, Some(marked))?;
    check_byval(req)
}

fn check_groups(req: &Request, marked: Option<&[bool]>) -> Result<()> {
    let function = req.function;
    let fname = function.name();
    let entry = &req.entry;
    let params = function.global_value_type().fn_params();
    let groups = groups_of(function);
    for g in &groups {
        if req.struct_values.contains(&g.first) {
            // Paired by `enzyme_struct_value` (see `split_floats_at`).
            continue;
        }
        let pieces: Vec<Type> = params.iter().skip(g.first).take(g.count).copied().collect();
        let pointers = pieces.iter().any(|t| t.is_pointer());
        if pieces.len() != g.count || (g.floats == 0 && !(pointers && g.count > 1)) {
            continue;
        }
        let at = source_position(&groups, g.first);
        let what = format!(
            "'{fname}' takes {} by value (parameter {at}), which the C ABI passes as {}",
            g.name,
            if g.count == 1 {
                format!("one {}", pieces[0].describe())
            } else {
                format!(
                    "{} separate values ({})",
                    g.count,
                    pieces
                        .iter()
                        .map(|t| t.describe())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        if pieces.iter().map(|t| float_leaves(*t)).sum::<u64>() < g.floats {
            return Err(Error::at(
                req.call,
                format!("{entry}: {what}: its floating-point members travel inside an integer, so they would get no derivative"),
            )
            .hint(HINT));
        }
        if g.count == 1 {
            // One float or float vector: positional is the user's pairing.
            continue;
        }
        if pointers {
            return Err(Error::at(
                req.call,
                format!("{entry}: {what}: a pointer among them takes the value after it as its shadow, so the struct's pointers would be paired with each other and with the shadow struct's out of order (a wrong derivative)"),
            )
            .hint(HINT));
        }
        let any_marker = marked.is_some_and(|marked| {
            (g.first..g.first + g.count).any(|i| marked.get(i) == Some(&true))
        });
        let mixed = pieces.iter().any(|t| float_leaves(*t) == 0);
        if req.mode == Mode::Forward || any_marker || mixed || req.width > 1 {
            let why = if req.mode == Mode::Forward {
                "the tangent of each value is expected right after it, so the call's struct and its tangent struct would be paired member by member out of order (a wrong derivative)"
            } else if any_marker {
                "an activity marker applies to one of these values, not to the whole struct"
            } else if mixed {
                "only its floating-point values are active, so the adjoints returned for it would not have the struct's layout"
            } else {
                "with enzyme_width, each of these values would take its own lanes"
            };
            return Err(Error::at(req.call, format!("{entry}: {what}: {why}")).hint(HINT));
        }
    }
    Ok(())
}

/// Reverse mode: the shadow of a `byval` struct must not be a by-value
/// copy itself.
fn check_byval(req: &Request) -> Result<()> {
    let function = req.function;
    let fname = function.name();
    let entry = &req.entry;
    let groups = groups_of(function);
    if req.mode == Mode::Reverse {
        let all_args = req.call.call_args();
        for (i, a) in req.args.iter().enumerate() {
            let Some(t) = function.param_type_attribute(i as u32, "byval") else {
                continue;
            };
            let Some(s) = a.shadow else { continue };
            let by_copy = all_args
                .iter()
                .enumerate()
                .any(|(j, v)| *v == s && shim::call_arg_byval_type(req.call, j as u32).is_some());
            if by_copy && t.contains_float() {
                return Err(Error::at(
                    req.call,
                    format!(
                        "{entry}: '{fname}' takes {} by value (parameter {}), passed in memory, and its shadow is passed by value too: the gradient would be added to a temporary copy that the caller never sees",
                        struct_name(t),
                        source_position(&groups, i)
                    ),
                )
                .hint("pass the address of the shadow struct after the value (enzyme_dup, v, &dv), or pass the struct by pointer"));
            }
        }
    }
    Ok(())
}
