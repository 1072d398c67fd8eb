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

use ferment_ir::Module;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// The library never links libLLVM; this test binary parses IR itself.
#[link(name = "LLVM-22")]
extern "C" {}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn parse(text: &str, name: &str) -> Module {
    Module::parse_ir(text, name).unwrap_or_else(|e| panic!("{name}: invalid IR: {e}"))
}

#[derive(Debug, PartialEq)]
enum Kind {
    Check,
    Next,
    Not,
    Same,
}

fn directives(text: &str) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix(';') else {
            continue;
        };
        let rest = rest.trim_start();
        for (tag, kind) in [
            ("CHECK-NEXT:", Kind::Next),
            ("CHECK-NOT:", Kind::Not),
            ("CHECK-SAME:", Kind::Same),
            ("CHECK-LABEL:", Kind::Check),
            ("CHECK:", Kind::Check),
        ] {
            if let Some(p) = rest.strip_prefix(tag) {
                out.push((kind, p.trim().to_string()));
                break;
            }
        }
    }
    out
}

/// A literal-pattern subset of FileCheck.
fn check(output: &str, text: &str) -> Result<(), String> {
    let lines: Vec<&str> = output.lines().collect();
    let (mut line, mut col) = (0usize, 0usize);
    let mut nots: Vec<String> = Vec::new();
    let mut matched_any = false;
    let find_from = |pat: &str, line: usize, col: usize| -> Option<(usize, usize)> {
        for (i, l) in lines.iter().enumerate().skip(line) {
            let start = if i == line { col.min(l.len()) } else { 0 };
            if let Some(p) = l[start..].find(pat) {
                return Some((i, start + p + pat.len()));
            }
        }
        None
    };
    let directives = directives(text);
    if directives.is_empty() {
        return Err("no CHECK lines".into());
    }
    for (kind, pat) in directives {
        if pat.contains("{{") || pat.contains("[[") {
            return Err(format!("pattern `{pat}` needs FileCheck regex support"));
        }
        let found = match kind {
            Kind::Not => {
                nots.push(pat);
                continue;
            }
            Kind::Check => find_from(&pat, line, col),
            Kind::Next => {
                let next = if matched_any { line + 1 } else { 0 };
                lines
                    .get(next)
                    .and_then(|l| l.find(&pat).map(|p| (next, p + pat.len())))
            }
            Kind::Same => lines.get(line).and_then(|l| {
                l[col.min(l.len())..]
                    .find(&pat)
                    .map(|p| (line, col + p + pat.len()))
            }),
        };
        let Some((l2, c2)) = found else {
            return Err(format!(
                "{kind:?} `{pat}` not found after line {}: `{}`",
                line + 1,
                lines.get(line).unwrap_or(&"")
            ));
        };
        for n in nots.drain(..) {
            let region: Vec<&str> = (line..=l2).filter_map(|i| lines.get(i).copied()).collect();
            if region.iter().any(|l| l.contains(&n)) {
                return Err(format!("CHECK-NOT `{n}` found before `{pat}`"));
            }
        }
        (line, col, matched_any) = (l2, c2, true);
    }
    for n in nots {
        if lines.iter().skip(line).any(|l| l.contains(&n)) {
            return Err(format!("CHECK-NOT `{n}` found after the last match"));
        }
    }
    Ok(())
}

fn filecheck_available() -> bool {
    Command::new("FileCheck-22")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn filecheck(case: &Path, output: &str) -> Result<(), String> {
    use std::io::Write;
    let mut child = Command::new("FileCheck-22")
        .arg(case)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(output.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn mode_all(text: &str) -> bool {
    !text.lines().any(|l| l.trim() == "; MODE: requests")
}

fn run_case(name: &str) {
    let path = cases_dir().join(format!("{name}.ll"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let module = parse(&text, name);
    let output = ferment_type_analysis::print_module(module, mode_all(&text));
    if let Err(e) = check(&output, &text) {
        panic!("{name}: {e}\n--- output ---\n{output}");
    }
    if filecheck_available() {
        if let Err(e) = filecheck(&path, &output) {
            panic!("{name}: FileCheck-22 failed:\n{e}\n--- output ---\n{output}");
        }
    }
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { run_case(stringify!($name)); } )*
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
    let mut missing = Vec::new();
    for e in std::fs::read_dir(cases_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "ll") {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            if !CASES.contains(&stem.as_str()) {
                missing.push(stem);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add these cases to `cases!`: {missing:?}"
    );
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
    let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/libferment.so");
    if !plugin.exists() {
        println!(
            "skipped: {} not built (cargo build --release -p ferment)",
            plugin.display()
        );
        return;
    }
    if !filecheck_available() {
        println!("skipped: FileCheck-22 not installed");
        return;
    }
    let built = std::fs::metadata(&plugin).and_then(|m| m.modified()).ok();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let newest_source = std::fs::read_dir(&src)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
        .max();
    if let (Some(built), Some(newest)) = (built, newest_source) {
        if newest > built {
            println!(
                "skipped: {} is older than type-analysis/src (cargo build --release -p ferment)",
                plugin.display()
            );
            return;
        }
    }
    let mut failures = Vec::new();
    for name in CASES {
        let path = cases_dir().join(format!("{name}.ll"));
        let text = std::fs::read_to_string(&path).unwrap();
        let pass = if mode_all(&text) {
            "print<ferment-types;all>"
        } else {
            "print<ferment-types>"
        };
        let out = Command::new("opt-22")
            .arg(format!("-load-pass-plugin={}", plugin.display()))
            .arg(format!("-passes={pass}"))
            .arg("-disable-output")
            .arg(&path)
            .output()
            .expect("opt-22 runs");
        let printed = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        if let Err(e) = filecheck(&path, &printed) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
