//! Data-driven tests of `print<ferment-activity>`: each `tests/cases/*.ll`
//! holds the input IR and `; CHECK:` lines (FileCheck syntax) side by side.
//!
//! Each case runs twice:
//! - in-process: the IR is parsed here, the `__enzyme_autodiff` /
//!   `__enzyme_fwddiff` calls are read by the small request reader below
//!   (markers `enzyme_out/dup/dupnoneed/const`, `enzyme_const_return`,
//!   `enzyme_primal_return`, `enzyme_dup_return`, INTERFACE.md's defaults),
//!   `print_module` prints, and the output is checked by a built-in checker
//!   (CHECK, CHECK-NEXT, CHECK-NOT, CHECK-LABEL, CHECK-SAME with literal
//!   patterns) and, when `FileCheck-22` is installed, by FileCheck too;
//! - through the plugin: `opt-22 -load-pass-plugin=target/release/libferment.so
//!   -passes='print<ferment-activity;all>'` piped into FileCheck-22 (the
//!   plugin's own request parser), skipped with a message when the plugin
//!   has not been built or is older than the sources.
//!
//! A case file may ask for the default printer mode with `; MODE: requests`
//! (only functions that `__enzyme_*` calls differentiate are printed).
//!
//! Print any IR file: `AA_DUMP=x.ll cargo test -p ferment-activity-analysis
//! --test printer dump -- --ignored --nocapture`.

use ferment_activity_analysis::{
    print_module, ArgActivity, CallerUse, Mode, PrintTarget, Request, RetActivity,
};
use ferment_ir::{Module, Opcode, Value};
use filecheck::{cases_dir, check, mode_all, parse, run_case};
use std::path::Path;

#[path = "../../ir/tests/filecheck/mod.rs"]
mod filecheck;

// The library never links libLLVM; this test binary parses IR itself.
#[link(name = "LLVM-22")]
extern "C" {}

// ---- the request reader (the plugin has the real one) ----

fn marker(v: Value) -> Option<String> {
    if let Some(s) = v.metadata_string() {
        return s.starts_with("enzyme_").then_some(s);
    }
    let v = v.strip_casts();
    let g = if v.is_instruction() && v.opcode() == Opcode::LLVMLoad {
        v.operand(0).strip_casts()
    } else {
        v
    };
    (g.is_global() && g.name().starts_with("enzyme_")).then(|| g.name())
}

fn read_request(call: Value, mode: Mode) -> Option<(Value, Request)> {
    let args = call.call_args();
    let f = args.first()?.strip_casts();
    if !f.is_function() {
        return None;
    }
    let params = f.params();
    let mut acts = Vec::new();
    let mut primals = Vec::new();
    let (mut pending, mut const_return, mut returns_primal) = (None, false, false);
    let mut pos = 1;
    while pos < args.len() && acts.len() < params.len() {
        let a = args[pos];
        pos += 1;
        if let Some(m) = marker(a) {
            match m.as_str() {
                "enzyme_const" => pending = Some(ArgActivity::Const),
                "enzyme_out" => pending = Some(ArgActivity::Active),
                "enzyme_dup" => pending = Some(ArgActivity::Dup),
                "enzyme_dupnoneed" => pending = Some(ArgActivity::DupNoNeed),
                "enzyme_const_return" => const_return = true,
                "enzyme_primal_return" | "enzyme_dup_return" => returns_primal = true,
                _ => {}
            }
            continue;
        }
        let ty = params[acts.len()].ty();
        let act = pending.take().unwrap_or(if ty.is_pointer() {
            ArgActivity::Dup
        } else if ty.is_fp_like() && mode == Mode::Reverse {
            ArgActivity::Active
        } else if ty.is_fp_like() {
            ArgActivity::Dup
        } else {
            ArgActivity::Const
        });
        acts.push(act);
        primals.push(a);
        if act.has_shadow() {
            pos += 1;
        }
    }
    let ret_ty = f.global_value_type().fn_return();
    let ret = match (ret_ty.is_void(), ret_ty.is_fp_like() && !const_return, mode) {
        (true, _, _) => RetActivity::Void,
        (false, false, _) => RetActivity::Const,
        (false, true, Mode::Reverse) => RetActivity::Active,
        (false, true, Mode::Forward) => RetActivity::Dup,
    };
    let mut req = Request {
        mode,
        args: acts,
        ret,
        returns_primal: returns_primal && mode == Mode::Forward,
        uses: None,
    };
    req.uses = Some(CallerUse::of_call(call, &req, &primals));
    Some((f, req))
}

fn targets(module: Module) -> Vec<PrintTarget> {
    let mut out = Vec::new();
    for f in module.functions() {
        for i in f.instructions() {
            if !i.is_call() {
                continue;
            }
            let callee = i.called_operand().strip_casts();
            let name = if callee.is_function() {
                callee.name()
            } else {
                continue;
            };
            let (entry, mode) = if name.contains("__enzyme_autodiff") {
                ("__enzyme_autodiff", Mode::Reverse)
            } else if name.contains("__enzyme_fwddiff") {
                ("__enzyme_fwddiff", Mode::Forward)
            } else {
                continue;
            };
            if let Some((function, request)) = read_request(i, mode) {
                out.push(PrintTarget {
                    function,
                    header: entry.into(),
                    request,
                });
            }
        }
    }
    out
}

fn print(module: Module, all: bool) -> String {
    print_module(module, &targets(module), all, &|_| false)
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { run_case(stringify!($name), print); } )*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases!(
    loop_index_const,
    atomic_fadd,
    sum_through_memory,
    store_reload_local,
    int_array_pointer,
    printf_const,
    unused_active_arg,
    square_mlir,
    fptosi_const,
    select_active,
    phi_loop,
    shadowed_malloc,
    linked_list,
    memcpy_to_local,
    store_const_shadowed,
    inactivefn_annotation,
    vector_ops,
    fcmp_only,
    int_struct_field,
    forward_mode,
    forward_primal_unused,
    forward_tangent_unused,
    result_unused,
    memcpy_int_typed,
    call_summary,
    callee_writes_local,
    recursion,
    constant_table,
    const_marker,
    pointer_store_shadowed,
    memset_shadowed,
    clang_o0,
    return_not_varied,
    struct_values,
    unused_load,
    float_casts,
    rand_time,
    opaque_call,
    annotation_inactive,
    dup_untouched,
    forward_pointer,
);

#[test]
fn every_case_file_is_listed() {
    filecheck::every_case_file_is_listed(CASES);
}

#[test]
fn builtin_checker_agrees_with_filecheck_semantics() {
    let out = "function @f: x\n  %a: active\n  %b: value=const inst=const\n";
    assert!(check(
        out,
        "; CHECK: function @f\n; CHECK-NEXT: %a: active\n; CHECK-NEXT: %b:"
    )
    .is_ok());
    assert!(check(out, "; CHECK: function @f\n; CHECK-NEXT: %b:").is_err());
    assert!(check(out, "; CHECK: %a:\n; CHECK-NOT: shadowed\n; CHECK: %b").is_ok());
    assert!(check(out, "; CHECK: function\n; CHECK-NOT: inst=const").is_err());
    assert!(check(out, "; CHECK: %b:\n; CHECK-SAME: inst=const").is_ok());
    assert!(check(out, "; CHECK-NOT: shadowed\n; CHECK: function").is_ok());
    assert!(check(out, "; CHECK-NOT: active\n; CHECK: %b").is_err());
}

/// Runs the cases through the real plugin in `opt-22`, when it is built.
#[test]
fn cases_through_the_plugin() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = [
        root.join("src"),
        root.join("../plugin/src/frontend/printer.rs"),
    ];
    filecheck::cases_through_the_plugin(CASES, "ferment-activity", &sources);
}

/// Rewrites the `; CHECK` lines of cases from the in-process output:
/// `AA_BLESS=name1,name2 cargo test -p ferment-activity-analysis --test
/// printer bless -- --ignored` (`AA_BLESS=all` for every case). Review the
/// diff: the expectations are only as right as the output they come from.
#[test]
#[ignore]
fn bless() {
    let Ok(which) = std::env::var("AA_BLESS") else {
        return;
    };
    let names: Vec<&str> = if which == "all" {
        CASES.to_vec()
    } else {
        which.split(',').collect()
    };
    for name in names {
        let path = cases_dir().join(format!("{name}.ll"));
        let text = std::fs::read_to_string(&path).unwrap();
        let output = print(parse(&text, name), mode_all(&text));
        let mut kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("; CHECK"))
            .collect();
        while kept.last().is_some_and(|l| l.trim().is_empty()) {
            kept.pop();
        }
        let mut new = kept.join("\n");
        new.push('\n');
        for line in output.lines() {
            let tag = if line.starts_with("function @") {
                "\n; CHECK-LABEL:"
            } else {
                "; CHECK-NEXT:"
            };
            new.push_str(&format!("{tag} {}\n", line.trim()));
        }
        std::fs::write(&path, new).unwrap();
    }
}

/// Prints the analysis of any IR file: `AA_DUMP=x.ll cargo test -p
/// ferment-activity-analysis --test printer dump -- --ignored --nocapture`
/// (several files: comma-separated; `AA_MODE=requests` for the default
/// printer mode).
#[test]
#[ignore]
fn dump() {
    let Ok(paths) = std::env::var("AA_DUMP") else {
        return;
    };
    let all = std::env::var("AA_MODE").map_or(true, |m| m != "requests");
    for path in paths.split(',') {
        let text = std::fs::read_to_string(path).unwrap();
        println!("==== {path}");
        print!("{}", print(parse(&text, path), all));
    }
}
