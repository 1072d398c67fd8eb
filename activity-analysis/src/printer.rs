//! The `print<ferment-activity>` listing of one function.
//!
//! Role: render a request's activities before and after canonicalization
//! and the analysis under the canonical activities. The plugin's printer
//! pass picks the functions and builds the [`Request`]s; tests call the same
//! functions in-process. Notation:
//!
//! ```text
//! function @f: __enzyme_autodiff                  what asked for the function
//!   request: (%x: active, %p: dup, %n: const) -> active        as marked
//!   canonical: (%x: active, %p: const, %n: const) -> activenoneed
//!   note: %p: dup -> const: no active instruction reads or writes its memory
//!   note: return: active -> activenoneed: the request does not return the primal value
//!   %x: active                                   per argument: active | shadowed | const
//!   %i: value=const inst=const                   per non-void instruction
//!   %m: value=active inst=active
//!   %q: value=shadowed inst=const                a shadow pointer: no derivative work
//!   %l: value=const inst=const ; varied, not useful
//!   store double 0.000000e+00, %q: inst=active   stores, void calls, value returns
//!   call @printf(ptr @fmt, %m): inst=const ; inactive function
//!   ret %m: inst=active
//! ```
//!
//! `value=` is the value's activity: `active` (varied and useful: it
//! carries a derivative), `shadowed` (a pointer that needs a shadow) or
//! `const`, with the half-facts after `;` when only one of varied/useful
//! holds. `inst=` says whether the instruction's own operation must be
//! differentiated ([`Activity::is_active_instruction`]): the two differ, as
//! in Enzyme: a GEP of a shadowed pointer is a constant instruction with a
//! shadowed value; a store of a constant into shadowed memory is an active
//! instruction (it must zero the shadow) storing a constant value.
//!
//! Unnamed values print as their slot (`%3`), numbered as LLVM does. The
//! function is analyzed as it is in the module; at -O0 that is the
//! unoptimized IR (allocas and all), while the generators analyze a
//! private canonical copy, so their view can be more precise.

use crate::analysis::Activity;
use crate::calls::Context;
use crate::canonical::{canonicalize, Mode, Request};
use crate::{ModuleAnnotations, Seeds};
use ferment_ir::{Module, Opcode, Value};
use ferment_type_analysis::{slot_names, TypeAnalysis};
use hashbrown::HashMap;
use std::fmt::Write;

/// One function to print, and the request that asks for it.
#[derive(Clone, Debug)]
pub struct PrintTarget {
    pub function: Value,
    /// What asked for it (the `__enzyme_*` entry point's name).
    pub header: String,
    pub request: Request,
}

/// The whole `print<ferment-activity>` output: every target, then (with
/// `all`) every other defined function under the default activities of a
/// reverse-mode request. Calls are inactive when `inactive_call` says so or
/// the module's annotations do ([`ModuleAnnotations`]); defined callees
/// without a registered derivative are summarized; type analysis runs once
/// over the printed functions.
pub fn print_module(
    module: Module,
    targets: &[PrintTarget],
    all: bool,
    inactive_call: &dyn Fn(Value) -> bool,
) -> String {
    let notes = ModuleAnnotations::scan(module);
    let inactive = |c: Value| inactive_call(c) || notes.is_inactive_call(c);
    let summarize = |f: Value| notes.may_summarize(f);
    let mut targets = targets.to_vec();
    if all {
        for f in module.functions() {
            let skip = f.is_declaration()
                || f.name().starts_with("__enzyme")
                || targets.iter().any(|t| t.function == f);
            if !skip {
                targets.push(PrintTarget {
                    function: f,
                    header: "default activities".into(),
                    request: Request::defaults(f, Mode::Reverse),
                });
            }
        }
    }
    let mut ta = TypeAnalysis::new(module);
    if all {
        ta = ta.whole_module();
    } else {
        for t in &targets {
            ta = ta.root(t.function);
        }
    }
    let types = ta.solve();
    let ctx = Context::new(&inactive)
        .interprocedural(&summarize)
        .with_types(&types);
    let mut out = String::new();
    for t in &targets {
        out.push_str(&print_request(t.function, &t.request, &t.header, &ctx));
    }
    out
}

/// The listing of `f` analyzed under `seeds`, with no request lines.
pub fn print_function(f: Value, seeds: &Seeds, header: &str, ctx: &Context) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "function @{}: {header}", f.name());
    let activity = Activity::analyze_with(f, seeds, ctx);
    print_body(&mut out, f, &slot_names(f), &activity, ctx);
    out
}

/// The listing of `f` for `request`: its activities before and after
/// canonicalization, then the analysis under the canonical activities.
pub fn print_request(f: Value, request: &Request, header: &str, ctx: &Context) -> String {
    let mut out = String::new();
    let names = slot_names(f);
    let name = |v: Value| names.get(&v).cloned().unwrap_or_else(|| operand(v));
    let params = f.params();
    let canonical = canonicalize(f, request, ctx);
    let _ = writeln!(out, "function @{}: {header}", f.name());
    let list = |acts: &[crate::ArgActivity], ret: crate::RetActivity| {
        let args: Vec<String> = params
            .iter()
            .zip(acts)
            .map(|(p, a)| format!("{}: {a}", name(*p)))
            .collect();
        format!("({}) -> {ret}", args.join(", "))
    };
    let _ = writeln!(out, "  request: {}", list(&request.args, request.ret));
    let _ = writeln!(out, "  canonical: {}", list(&canonical.args, canonical.ret));
    for (i, (p, reasons)) in params.iter().zip(&canonical.arg_reasons).enumerate() {
        if !reasons.is_empty() {
            let why: Vec<String> = reasons.iter().map(|r| r.to_string()).collect();
            let _ = writeln!(
                out,
                "  note: {}: {} -> {}: {}",
                name(*p),
                request.args[i],
                canonical.args[i],
                why.join("; ")
            );
        }
    }
    if !canonical.ret_reasons.is_empty() {
        let why: Vec<String> = canonical
            .ret_reasons
            .iter()
            .map(|r| r.to_string())
            .collect();
        let _ = writeln!(
            out,
            "  note: return: {} -> {}: {}",
            request.ret,
            canonical.ret,
            why.join("; ")
        );
    }
    print_body(&mut out, f, &names, &canonical.activity, ctx);
    out
}

fn print_body(
    out: &mut String,
    f: Value,
    names: &HashMap<Value, String>,
    a: &Activity,
    ctx: &Context,
) {
    let name = |v: Value| names.get(&v).cloned().unwrap_or_else(|| operand(v));
    for p in f.params() {
        let _ = writeln!(
            out,
            "  {}: {}{}",
            name(p),
            value_label(a, p),
            half_facts(a, p)
        );
    }
    for i in f.instructions() {
        let inst = if a.is_active_instruction(i) {
            "active"
        } else {
            "const"
        };
        let note = if i.is_call() && ctx.is_inactive_call(i) {
            " ; inactive function".to_string()
        } else {
            half_facts(a, i)
        };
        if !i.ty().is_void() {
            let _ = writeln!(
                out,
                "  {}: value={} inst={inst}{note}",
                name(i),
                value_label(a, i)
            );
            continue;
        }
        let what = match i.opcode() {
            Opcode::LLVMStore => format!("store {}, {}", name(i.operand(0)), name(i.operand(1))),
            Opcode::LLVMCall | Opcode::LLVMInvoke => {
                let args: Vec<String> = i.call_args().into_iter().map(name).collect();
                format!("call {}({})", name(i.called_operand()), args.join(", "))
            }
            Opcode::LLVMRet if i.num_operands() == 1 => format!("ret {}", name(i.operand(0))),
            _ => continue,
        };
        let _ = writeln!(out, "  {what}: inst={inst}{note}");
    }
}

fn value_label(a: &Activity, v: Value) -> &'static str {
    match a.value_activity(v) {
        crate::ValueActivity::Active => "active",
        crate::ValueActivity::Shadowed => "shadowed",
        crate::ValueActivity::Const => "const",
    }
}

/// ` ; varied, not useful` and the like, for constant values.
fn half_facts(a: &Activity, v: Value) -> String {
    if a.is_shadowed(v) {
        return String::new();
    }
    match (a.is_varied(v), a.is_useful(v)) {
        (true, false) => " ; varied, not useful".into(),
        (false, true) => " ; useful, not varied".into(),
        _ => String::new(),
    }
}

/// A constant or global operand as LLVM prints it (`double 1.0`, `@g`).
fn operand(v: Value) -> String {
    if v.is_global_value() {
        return format!("@{}", v.name());
    }
    v.short()
}
