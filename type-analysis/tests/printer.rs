//! Data-driven tests of `print<ferment-types>`: each `tests/cases/*.ll` holds
//! the input IR and `; CHECK:` lines (FileCheck syntax) side by side.
//!
//! Each case runs twice:
//! - in-process: the IR is parsed here, `print_module(m, true)` prints, and the
//!   output is checked by a small built-in checker (CHECK, CHECK-NEXT,
//!   CHECK-NOT, CHECK-LABEL, CHECK-SAME with literal patterns) and, when
//!   `FileCheck-22` is installed, by FileCheck too;
//! - through the plugin: `opt-22 -load-pass-plugin=target/release/libferment.so
//!   -passes='print<ferment-types;all>'` piped into FileCheck-22, skipped with
//!   a message when the plugin has not been built.
//!
//! A case file may name another printer mode with `; MODE: requests` (only
//! functions reached from `__enzyme_*` calls are printed).

use filecheck::{check, parse, run_case};

#[path = "../../ir/tests/filecheck/mod.rs"]
mod filecheck;

// The library never links libLLVM; this test binary parses IR itself.
#[link(name = "LLVM-22")]
extern "C" {}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { run_case(stringify!($name), ferment_type_analysis::print_module); } )*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases!(
    struct_double_int,
    array_variable_gep,
    pointer_to_pointer,
    memcpy_doubles,
    memcpy_ints,
    malloc_doubles,
    call_helper,
    recursion,
    phi_pointers,
    tbaa_load,
    ptrtoint_roundtrip,
    float_vs_double,
    vector_load,
    nvptx_addrspace,
    conflict,
    linked_list,
    union_pun,
    array_of_structs_loop,
    pointer_in_memory,
    struct_by_value,
    enzyme_request,
    two_callers,
    libm_and_strlen,
    select_and_casts,
    int_arith,
    enzyme_type_attr,
    global_array,
    clang_o0_struct,
    realloc_calloc,
    bitcast_float_bits,
    select_field_gep,
    memmove_shift,
    clang_o0_union_pun,
    clang_o2_memcpy_int_struct,
    clang_o0_memcpy_double_struct,
    clang_o2_ptrtoint_arith,
    clang_o0_ptrtoint_launder,
    clang_o2_two_arg_types,
    clang_o2_array_of_structs,
    clang_o0_linked_list,
    clang_o2_float_double_slot,
);

#[test]
fn every_case_file_is_listed() {
    filecheck::every_case_file_is_listed(CASES);
}

#[test]
fn builtin_checker_agrees_with_filecheck_semantics() {
    let out = "function @f:\n  %a: {[-1]:Pointer}\n  %b: {[-1]:Integer}\n";
    assert!(check(
        out,
        "; CHECK: function @f\n; CHECK-NEXT: %a: {[-1]:Pointer}\n; CHECK-NEXT: %b:"
    )
    .is_ok());
    assert!(check(out, "; CHECK: function @f\n; CHECK-NEXT: %b:").is_err());
    assert!(check(out, "; CHECK: %a:\n; CHECK-NOT: Float\n; CHECK: %b").is_ok());
    assert!(check(out, "; CHECK: function\n; CHECK-NOT: Integer").is_err());
    assert!(check(out, "; CHECK: %a:\n; CHECK-SAME: Pointer").is_ok());
}

/// Runs the cases through the real plugin in `opt-22`, when it is built.
#[test]
fn cases_through_the_plugin() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    filecheck::cases_through_the_plugin(CASES, "ferment-types", &[src]);
}

/// Prints the analysis of any IR file: `TA_DUMP=x.ll cargo test -p
/// ferment-type-analysis --test printer dump -- --ignored --nocapture`
/// (several files: comma-separated; `TA_MODE=requests` for the default
/// printer mode; `TA_STATS=1` for the cost of a whole-module run).
#[test]
#[ignore]
fn dump() {
    let Ok(paths) = std::env::var("TA_DUMP") else {
        return;
    };
    let all = std::env::var("TA_MODE").map_or(true, |m| m != "requests");
    for path in paths.split(',') {
        let text = std::fs::read_to_string(path).unwrap();
        println!("==== {path}");
        let module = parse(&text, path);
        if std::env::var("TA_STATS").is_ok() {
            let start = std::time::Instant::now();
            let types = ferment_type_analysis::TypeAnalysis::new(module)
                .whole_module()
                .solve();
            println!(
                "{} functions, {} visits, largest tree {}, {} conflicts, converged {}, {:?}",
                types.functions().len(),
                types.visits(),
                types.largest_tree(),
                types.conflicts().len(),
                types.converged(),
                start.elapsed()
            );
            continue;
        }
        print!("{}", ferment_type_analysis::print_module(module, all));
    }
}
